"""GraphQL types of the documents around purchase orders: requisitions (请购单), receipts
with their inspection (入库单) and purchase returns (采购退货单)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from openjxc.core.i18n import _
from openjxc.graphql import Node, align, field, get_session

from ..catalog.api import Product
from ..partners.api import Partner
from ..stock.api_types import (
    Batch,
    Location,
    Warehouse,
    batch_of,
    load_locations,
    load_products,
    load_warehouses,
)
from . import models
from .api_loaders import in_scope, load_children, load_partners, move_serials, username
from .api_types import PurchaseOrder, PurchaseOrderLine, load_order_lines, load_orders


@strawberry.enum(description="Where goods rejected at inspection went.")
class PurchaseRejectedTo(Enum):
    QUARANTINE = "quarantine"
    SUPPLIER = "supplier"

    __labels__ = {"QUARANTINE": _("Into quarantine"),
                  "SUPPLIER": _("Refused at the door, back to the supplier")}


@strawberry.enum(description="Where a requisition is in its life.")
class PurchaseRequisitionState(Enum):
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    ORDERED = "ordered"
    CANCELLED = "cancelled"

    __labels__ = {"SUBMITTED": _("Submitted"), "APPROVED": _("Approved"),
                  "REJECTED": _("Rejected"), "ORDERED": _("Ordered"),
                  "CANCELLED": _("Cancelled")}


async def _order_line(info: Info[Any, Any], line_id: int | None) -> PurchaseOrderLine | None:
    if line_id is None:
        return None
    return await load_order_lines(info).load(line_id)  # type: ignore[no-any-return]


async def _location(info: Info[Any, Any], location_id: int | None) -> Location | None:
    if location_id is None:
        return None
    return await load_locations(info).load(location_id)  # type: ignore[no-any-return]


# -- requisitions ---------------------------------------------------------------------------

@strawberry.type(description="One product a requisition asks for.")
class PurchaseRequisitionLine(Node):
    node_permission: ClassVar[str] = "purchase.requisition.read"

    position: int
    quantity: Decimal
    note: str
    product_id: strawberry.Private[int]
    suggested_supplier_id: strawberry.Private[int | None]
    order_line_id: strawberry.Private[int | None]

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await load_products(info).load(self.product_id)  # type: ignore[no-any-return]

    @strawberry.field(description="The supplier the requester suggests.")
    async def suggested_supplier(self, info: Info[Any, Any]) -> Partner | None:
        if self.suggested_supplier_id is None:
            return None
        return await load_partners(info).load(  # type: ignore[no-any-return]
            self.suggested_supplier_id)

    @field(permission="purchase.order.read",
           description="The purchase order line that buys it, once ordered.")
    async def order_line(self, info: Info[Any, Any]) -> PurchaseOrderLine | None:
        return await _order_line(info, self.order_line_id)

    @classmethod
    def from_row(cls, row: models.PurchaseRequisitionLine) -> PurchaseRequisitionLine:
        return cls(pk=row.id, position=row.position, quantity=row.quantity, note=row.note,
                   product_id=row.product_id, suggested_supplier_id=row.suggested_supplier_id,
                   order_line_id=row.order_line_id)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int],
                  ) -> list[PurchaseRequisitionLine | None]:
        line, requisition = models.PurchaseRequisitionLine, models.PurchaseRequisition
        rows = get_session(info).scalars(in_scope(
            info, select(line).join(requisition, requisition.id == line.requisition_id)
            .where(line.id.in_(pks)), requisition))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda line: line.pk)


@strawberry.type(description="A request to buy (请购单), approved and then ordered.")
class PurchaseRequisition(Node):
    node_permission: ClassVar[str] = "purchase.requisition.read"

    number: str = strawberry.field(description="QG-YYYYMM-NNNN, unique.")
    state: PurchaseRequisitionState
    department: str
    needed_by: date | None
    note: str
    created_at: datetime
    decided_at: datetime | None = strawberry.field(description="When it was approved or "
                                                               "rejected.")
    warehouse_id: strawberry.Private[int]
    created_by_id: strawberry.Private[int | None]
    decided_by_id: strawberry.Private[int | None]

    @strawberry.field
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse | None:
        return await load_warehouses(info).load(self.warehouse_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Who asked (username).")
    async def created_by(self, info: Info[Any, Any]) -> str | None:
        return await username(info, self.created_by_id)

    @strawberry.field(description="Who approved or rejected it (username).")
    async def decided_by(self, info: Info[Any, Any]) -> str | None:
        return await username(info, self.decided_by_id)

    @strawberry.field(description="The lines, in order.")
    async def lines(self, info: Info[Any, Any]) -> list[PurchaseRequisitionLine]:
        loader = load_children(info, "purchase.requisition_lines",
                               models.PurchaseRequisitionLine.requisition_id,
                               [models.PurchaseRequisitionLine.position],
                               PurchaseRequisitionLine.from_row)
        return await loader.load(self.pk)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: models.PurchaseRequisition) -> PurchaseRequisition:
        return cls(pk=row.id, number=row.number, state=PurchaseRequisitionState(row.state),
                   department=row.department, needed_by=row.needed_by, note=row.note,
                   created_at=row.created_at, decided_at=row.decided_at,
                   warehouse_id=row.warehouse_id, created_by_id=row.created_by_id,
                   decided_by_id=row.decided_by_id)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int],
                  ) -> list[PurchaseRequisition | None]:
        rows = get_session(info).scalars(in_scope(
            info, select(models.PurchaseRequisition)
            .where(models.PurchaseRequisition.id.in_(pks)), models.PurchaseRequisition))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda r: r.pk)


# -- receipts -------------------------------------------------------------------------------

@strawberry.type(description="What arrived of one order line and what inspection decided.")
class PurchaseReceiptLine:
    quantity: Decimal = strawberry.field(description="Arrived: accepted plus rejected.")
    accepted_quantity: Decimal
    rejected_quantity: Decimal
    rejected_to: PurchaseRejectedTo | None = strawberry.field(
        description="Null when nothing was rejected.")
    reject_reason: str
    order_line_id: strawberry.Private[int]
    product_id: strawberry.Private[int]
    batch_id: strawberry.Private[int | None]
    location_id: strawberry.Private[int | None]
    accepted_move_id: strawberry.Private[int | None]
    rejected_move_id: strawberry.Private[int | None]

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await load_products(info).load(self.product_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def order_line(self, info: Info[Any, Any]) -> PurchaseOrderLine | None:
        return await _order_line(info, self.order_line_id)

    @strawberry.field
    async def batch(self, info: Info[Any, Any]) -> Batch | None:
        return await batch_of(info, self.batch_id or 0)

    @strawberry.field(description="Where the accepted goods were put.")
    async def location(self, info: Info[Any, Any]) -> Location | None:
        return await _location(info, self.location_id)

    @strawberry.field(description="Serial numbers of the accepted units.")
    async def serials(self, info: Info[Any, Any]) -> list[str]:
        return await move_serials(info, self.accepted_move_id)

    @strawberry.field(description="Serial numbers of the units rejected into quarantine.")
    async def rejected_serials(self, info: Info[Any, Any]) -> list[str]:
        return await move_serials(info, self.rejected_move_id)

    @classmethod
    def from_row(cls, row: models.PurchaseReceiptLine) -> PurchaseReceiptLine:
        return cls(quantity=row.quantity, accepted_quantity=row.accepted_quantity,
                   rejected_quantity=row.rejected_quantity,
                   rejected_to=PurchaseRejectedTo(row.rejected_to) if row.rejected_to else None,
                   reject_reason=row.reject_reason, order_line_id=row.order_line_id,
                   product_id=row.product_id, batch_id=row.batch_id,
                   location_id=row.location_id, accepted_move_id=row.accepted_move_id,
                   rejected_move_id=row.rejected_move_id)


@strawberry.type(description="Goods received against a purchase order (入库单).")
class PurchaseReceipt(Node):
    node_permission: ClassVar[str] = "purchase.order.read"

    number: str = strawberry.field(description="RK-YYYYMM-NNNN, unique.")
    receipt_date: date
    note: str
    received_at: datetime
    order_id: strawberry.Private[int]
    warehouse_id: strawberry.Private[int]
    received_by_id: strawberry.Private[int | None]

    @strawberry.field
    async def order(self, info: Info[Any, Any]) -> PurchaseOrder | None:
        return await load_orders(info).load(self.order_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse | None:
        return await load_warehouses(info).load(self.warehouse_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Who received it (username).")
    async def received_by(self, info: Info[Any, Any]) -> str | None:
        return await username(info, self.received_by_id)

    @strawberry.field
    async def lines(self, info: Info[Any, Any]) -> list[PurchaseReceiptLine]:
        loader = load_children(info, "purchase.receipt_lines",
                               models.PurchaseReceiptLine.receipt_id,
                               [models.PurchaseReceiptLine.id], PurchaseReceiptLine.from_row)
        return await loader.load(self.pk)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: models.PurchaseReceipt) -> PurchaseReceipt:
        return cls(pk=row.id, number=row.number, receipt_date=row.receipt_date, note=row.note,
                   received_at=row.received_at, order_id=row.order_id,
                   warehouse_id=row.warehouse_id, received_by_id=row.received_by_id)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[PurchaseReceipt | None]:
        rows = get_session(info).scalars(in_scope(
            info, select(models.PurchaseReceipt).where(models.PurchaseReceipt.id.in_(pks)),
            models.PurchaseReceipt))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda r: r.pk)


# -- returns --------------------------------------------------------------------------------

@strawberry.type(description="Goods of one product sent back to the supplier.")
class PurchaseReturnLine:
    position: int
    quantity: Decimal
    product_id: strawberry.Private[int]
    order_line_id: strawberry.Private[int | None]
    batch_id: strawberry.Private[int | None]
    from_location_id: strawberry.Private[int]
    move_id: strawberry.Private[int | None]
    _value: strawberry.Private[Decimal]

    @field(permission="stock.cost.read", description="The stock value that left, at cost.")
    def value(self) -> Decimal | None:
        return self._value

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await load_products(info).load(self.product_id)  # type: ignore[no-any-return]

    @field(permission="purchase.order.read", description="The order line it came in on.")
    async def order_line(self, info: Info[Any, Any]) -> PurchaseOrderLine | None:
        return await _order_line(info, self.order_line_id)

    @strawberry.field
    async def batch(self, info: Info[Any, Any]) -> Batch | None:
        return await batch_of(info, self.batch_id or 0)

    @strawberry.field(description="Stock, a bin or the quarantine it left from.")
    async def from_location(self, info: Info[Any, Any]) -> Location | None:
        return await _location(info, self.from_location_id)

    @strawberry.field
    async def serials(self, info: Info[Any, Any]) -> list[str]:
        return await move_serials(info, self.move_id)

    @classmethod
    def from_row(cls, row: models.PurchaseReturnLine) -> PurchaseReturnLine:
        return cls(position=row.position, quantity=row.quantity, product_id=row.product_id,
                   order_line_id=row.order_line_id, batch_id=row.batch_id,
                   from_location_id=row.from_location_id, move_id=row.move_id,
                   _value=row.value)


@strawberry.type(description="Goods sent back to a supplier (采购退货单), at cost.")
class PurchaseReturn(Node):
    node_permission: ClassVar[str] = "purchase.return.read"

    number: str = strawberry.field(description="CT-YYYYMM-NNNN, unique.")
    return_date: date
    reason: str
    created_at: datetime
    supplier_id: strawberry.Private[int]
    warehouse_id: strawberry.Private[int]
    order_id: strawberry.Private[int | None]
    created_by_id: strawberry.Private[int | None]

    @strawberry.field
    async def supplier(self, info: Info[Any, Any]) -> Partner | None:
        return await load_partners(info).load(self.supplier_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse | None:
        return await load_warehouses(info).load(self.warehouse_id)  # type: ignore[no-any-return]

    @field(permission="purchase.order.read", description="The order the goods came in on.")
    async def order(self, info: Info[Any, Any]) -> PurchaseOrder | None:
        if self.order_id is None:
            return None
        return await load_orders(info).load(self.order_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Who sent it back (username).")
    async def created_by(self, info: Info[Any, Any]) -> str | None:
        return await username(info, self.created_by_id)

    @strawberry.field
    async def lines(self, info: Info[Any, Any]) -> list[PurchaseReturnLine]:
        loader = load_children(info, "purchase.return_lines",
                               models.PurchaseReturnLine.return_id,
                               [models.PurchaseReturnLine.position], PurchaseReturnLine.from_row)
        return await loader.load(self.pk)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: models.PurchaseReturn) -> PurchaseReturn:
        return cls(pk=row.id, number=row.number, return_date=row.return_date,
                   reason=row.reason, created_at=row.created_at, supplier_id=row.supplier_id,
                   warehouse_id=row.warehouse_id, order_id=row.order_id,
                   created_by_id=row.created_by_id)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[PurchaseReturn | None]:
        rows = get_session(info).scalars(in_scope(
            info, select(models.PurchaseReturn).where(models.PurchaseReturn.id.in_(pks)),
            models.PurchaseReturn))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda r: r.pk)
