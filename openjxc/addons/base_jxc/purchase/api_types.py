"""GraphQL types of purchase orders: ``PurchaseOrder``, its lines and approvals, the
states, and the error codes every purchase mutation may return."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any, ClassVar

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from openjxc.core.i18n import _
from openjxc.graphql import Node, align, field, get_session, make_user_error_type

from ..catalog.api import Product
from ..partners.api import Partner
from ..stock.api_types import Warehouse, load_products, load_warehouses
from . import models
from .api_loaders import in_scope, load_children, load_partners, username

if TYPE_CHECKING:
    from .api_documents import PurchaseReceipt, PurchaseReturn

READ = "purchase.order.read"


@strawberry.enum(description="Where a purchase order is in its life.")
class PurchaseOrderState(Enum):
    DRAFT = "draft"
    APPROVED = "approved"
    PARTLY_RECEIVED = "partly_received"
    RECEIVED = "received"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    __labels__ = {"DRAFT": _("Draft"), "APPROVED": _("Approved"),
                  "PARTLY_RECEIVED": _("Partly received"), "RECEIVED": _("Received"),
                  "CLOSED": _("Closed"), "CANCELLED": _("Cancelled")}


@strawberry.enum(description="Orders of the purchase order list.")
class PurchaseOrderSort(Enum):
    NEWEST = "newest"
    NUMBER = "number"
    EXPECTED_DATE = "expected_date"

    __labels__ = {"NEWEST": _("Newest first"), "NUMBER": _("By number"),
                  "EXPECTED_DATE": _("By expected date")}


@strawberry.enum
class PurchaseErrorCode(Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    INVALID_STATE = "INVALID_STATE"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    INVALID_LOCATION = "INVALID_LOCATION"
    NOT_SUPPLIER = "NOT_SUPPLIER"
    APPROVAL_REQUIRED = "APPROVAL_REQUIRED"
    ALREADY_APPROVED = "ALREADY_APPROVED"
    SAME_APPROVER = "SAME_APPROVER"
    REQUISITION_NOT_APPROVED = "REQUISITION_NOT_APPROVED"
    ALREADY_ORDERED = "ALREADY_ORDERED"
    OVER_RECEIPT = "OVER_RECEIPT"
    OVER_RETURN = "OVER_RETURN"
    OVER_INVOICED = "OVER_INVOICED"
    NOTHING_TO_INVOICE = "NOTHING_TO_INVOICE"
    SERIAL_NOT_RECEIVED = "SERIAL_NOT_RECEIVED"
    DUPLICATE_CODE = "DUPLICATE_CODE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    # Passed through from the stock engine when goods move.
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    SERIAL_ALREADY_EXISTS = "SERIAL_ALREADY_EXISTS"
    SERIAL_NOT_IN_LOCATION = "SERIAL_NOT_IN_LOCATION"
    SERIAL_COUNT_MISMATCH = "SERIAL_COUNT_MISMATCH"
    SERIAL_DUPLICATED = "SERIAL_DUPLICATED"
    SERIAL_NOT_TRACKED = "SERIAL_NOT_TRACKED"
    INVALID_SERIAL_RANGE = "INVALID_SERIAL_RANGE"
    BATCH_REQUIRED = "BATCH_REQUIRED"
    BATCH_NOT_TRACKED = "BATCH_NOT_TRACKED"
    BATCH_EXPIRED = "BATCH_EXPIRED"
    SAME_LOCATION = "SAME_LOCATION"
    STOCK_PERIOD_CLOSED = "STOCK_PERIOD_CLOSED"
    # Passed through from an accounting addon: the document's date lies in a closed
    # accounting period.
    PERIOD_CLOSED = "PERIOD_CLOSED"


PurchaseError = make_user_error_type("Purchase", PurchaseErrorCode)


@strawberry.type(description="One product a purchase order buys, and what became of it.")
class PurchaseOrderLine(Node):
    node_permission: ClassVar[str] = READ

    position: int = strawberry.field(description="1, 2, 3 … in the order given.")
    quantity: Decimal = strawberry.field(description="Quantity ordered.")
    unit_price: Decimal = strawberry.field(description="Tax-exclusive unit price.")
    tax_rate: Decimal = strawberry.field(description="VAT rate as a fraction (0.13).")
    amount: Decimal = strawberry.field(description="Tax-exclusive amount, rounded to cents.")
    tax: Decimal
    total: Decimal = strawberry.field(description="Amount plus tax.")
    expected_date: date | None
    received_quantity: Decimal = strawberry.field(description="Accepted into stock.")
    rejected_quantity: Decimal = strawberry.field(
        description="Rejected at inspection (into quarantine or refused at the door).")
    returned_quantity: Decimal = strawberry.field(
        description="Accepted goods sent back by purchase returns.")
    invoiced_quantity: Decimal = strawberry.field(description="Billed by the supplier.")
    order_id: strawberry.Private[int]
    product_id: strawberry.Private[int]

    @strawberry.field(description="Ordered and not accepted yet (never below zero).")
    def open_quantity(self) -> Decimal:
        return max(self.quantity - self.received_quantity, Decimal(0)).quantize(Decimal("0.0001"))

    @strawberry.field(description="Accepted, kept and not invoiced yet.")
    def billable_quantity(self) -> Decimal:
        return max(self.received_quantity - self.returned_quantity - self.invoiced_quantity,
                   Decimal(0)).quantize(Decimal("0.0001"))

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await load_products(info).load(self.product_id)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: models.PurchaseOrderLine) -> PurchaseOrderLine:
        return cls(pk=row.id, position=row.position, quantity=row.quantity,
                   unit_price=row.unit_price, tax_rate=row.tax_rate, amount=row.amount,
                   tax=row.tax, total=row.total, expected_date=row.expected_date,
                   received_quantity=row.received_quantity,
                   rejected_quantity=row.rejected_quantity,
                   returned_quantity=row.returned_quantity,
                   invoiced_quantity=row.invoiced_quantity, order_id=row.order_id,
                   product_id=row.product_id)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int],
                  ) -> list[PurchaseOrderLine | None]:
        line, order = models.PurchaseOrderLine, models.PurchaseOrder
        rows = get_session(info).scalars(in_scope(
            info, select(line).join(order, order.id == line.order_id).where(line.id.in_(pks)),
            order))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda line: line.pk)


def load_order_lines(info: Info[Any, Any]) -> Any:
    return info.context.loaders.get("purchase.order_line",
                                    lambda ids: PurchaseOrderLine.get_nodes(info, ids))


@strawberry.type(description="One approval of a purchase order: who gave it and when.")
class PurchaseApproval:
    approved_at: datetime
    note: str
    user_id: strawberry.Private[int]

    @strawberry.field(description="Who approved (username).")
    async def approved_by(self, info: Info[Any, Any]) -> str | None:
        return await username(info, self.user_id)


@strawberry.type(description="A purchase order (采购订单) to one supplier, delivered to one "
                             "warehouse: approved by amount, received with inspection, "
                             "invoiced by the supplier.")
class PurchaseOrder(Node):
    node_permission: ClassVar[str] = READ

    number: str = strawberry.field(description="CG-YYYYMM-NNNN, unique.")
    state: PurchaseOrderState
    order_date: date
    expected_date: date | None = strawberry.field(
        description="When the supplier promised delivery.")
    currency: str
    amount_untaxed: Decimal
    amount_tax: Decimal
    amount_total: Decimal
    approvals_required: int = strawberry.field(
        description="Approvals by different users it needs (2 above the threshold policy).")
    note: str
    created_at: datetime
    approved_at: datetime | None = strawberry.field(
        description="When the last required approval was given.")
    closed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    supplier_id: strawberry.Private[int]
    warehouse_id: strawberry.Private[int]
    created_by_id: strawberry.Private[int | None]
    closed_by_id: strawberry.Private[int | None]
    cancelled_by_id: strawberry.Private[int | None]

    @strawberry.field(description="Hours from creation to the last approval (2 decimals); "
                                  "null until approved.")
    def approval_hours(self) -> Decimal | None:
        if self.approved_at is None:
            return None
        seconds = Decimal((self.approved_at - self.created_at).total_seconds())
        return (seconds / 3600).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @strawberry.field
    async def supplier(self, info: Info[Any, Any]) -> Partner | None:
        return await load_partners(info).load(self.supplier_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse | None:
        return await load_warehouses(info).load(self.warehouse_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Who prepared it (username).")
    async def created_by(self, info: Info[Any, Any]) -> str | None:
        return await username(info, self.created_by_id)

    @strawberry.field(description="Who closed it (username).")
    async def closed_by(self, info: Info[Any, Any]) -> str | None:
        return await username(info, self.closed_by_id)

    @strawberry.field(description="Who cancelled it (username).")
    async def cancelled_by(self, info: Info[Any, Any]) -> str | None:
        return await username(info, self.cancelled_by_id)

    @strawberry.field(description="The lines, in order.")
    async def lines(self, info: Info[Any, Any]) -> list[PurchaseOrderLine]:
        loader = load_children(info, "purchase.lines", models.PurchaseOrderLine.order_id,
                               [models.PurchaseOrderLine.position],
                               PurchaseOrderLine.from_row)
        return await loader.load(self.pk)  # type: ignore[no-any-return]

    @strawberry.field(description="The approvals given, oldest first.")
    async def approvals(self, info: Info[Any, Any]) -> list[PurchaseApproval]:
        loader = load_children(info, "purchase.approvals", models.PurchaseApproval.order_id,
                               [models.PurchaseApproval.approved_at, models.PurchaseApproval.id],
                               lambda r: PurchaseApproval(approved_at=r.approved_at,
                                                          note=r.note, user_id=r.user_id))
        return await loader.load(self.pk)  # type: ignore[no-any-return]

    @strawberry.field(description="Goods received against it, oldest first.")
    async def receipts(self, info: Info[Any, Any],
                       ) -> list[Annotated[PurchaseReceipt,
                                           strawberry.lazy(".api_documents")]]:
        from .api_documents import PurchaseReceipt

        loader = load_children(info, "purchase.receipts", models.PurchaseReceipt.order_id,
                               [models.PurchaseReceipt.id], PurchaseReceipt.from_row)
        return await loader.load(self.pk)  # type: ignore[no-any-return]

    @field(permission="purchase.return.read",
           description="Goods sent back against it, oldest first.")
    async def returns(self, info: Info[Any, Any],
                      ) -> list[Annotated[PurchaseReturn,
                                          strawberry.lazy(".api_documents")]] | None:
        from .api_documents import PurchaseReturn

        loader = load_children(info, "purchase.returns", models.PurchaseReturn.order_id,
                               [models.PurchaseReturn.id], PurchaseReturn.from_row)
        return await loader.load(self.pk)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: models.PurchaseOrder) -> PurchaseOrder:
        return cls(pk=row.id, number=row.number, state=PurchaseOrderState(row.state),
                   order_date=row.order_date, expected_date=row.expected_date,
                   currency=row.currency, amount_untaxed=row.amount_untaxed,
                   amount_tax=row.amount_tax, amount_total=row.amount_total,
                   approvals_required=row.approvals_required, note=row.note,
                   created_at=row.created_at, approved_at=row.approved_at,
                   closed_at=row.closed_at, cancelled_at=row.cancelled_at,
                   cancel_reason=row.cancel_reason, supplier_id=row.supplier_id,
                   warehouse_id=row.warehouse_id, created_by_id=row.created_by_id,
                   closed_by_id=row.closed_by_id, cancelled_by_id=row.cancelled_by_id)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[PurchaseOrder | None]:
        rows = get_session(info).scalars(in_scope(
            info, select(models.PurchaseOrder).where(models.PurchaseOrder.id.in_(pks)),
            models.PurchaseOrder))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda o: o.pk)


def load_orders(info: Info[Any, Any]) -> Any:
    return info.context.loaders.get("purchase.order",
                                    lambda ids: PurchaseOrder.get_nodes(info, ids))
