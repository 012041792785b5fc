"""The GraphQL types of receivables and payables: ``Invoice``, ``InvoiceLine``, ``Payment``,
``PaymentAllocation`` and their enums.

Partners, products, lines, allocations, related invoices and users resolve through
per-request DataLoaders: a page of invoices with all of them costs a fixed number of
statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar

import strawberry
from sqlalchemy import or_, select
from strawberry.types import Info

from openjxc.core.i18n import _
from openjxc.core.security.models import User
from openjxc.graphql import Node, align, get_session, make_user_error_type, to_global_id

from ..catalog.api import Product
from ..partners.api import Partner
from ..stock.posting import business_today
from . import models
from .services import invoice_lines

INVOICE_READ = "invoicing.invoice.read"
PAYMENT_READ = "invoicing.payment.read"


@strawberry.enum(description="Which side of the business: money owed to us or by us.")
class InvoiceDirection(Enum):
    RECEIVABLE = "receivable"
    PAYABLE = "payable"

    __labels__ = {"RECEIVABLE": _("Receivable"), "PAYABLE": _("Payable")}


@strawberry.enum(description="An invoice, or a credit note (红字发票) with negative amounts.")
class InvoiceKind(Enum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"

    __labels__ = {"INVOICE": _("Invoice"), "CREDIT_NOTE": _("Credit note")}


@strawberry.enum(description="How much of an invoice is settled.")
class InvoiceState(Enum):
    OPEN = "open"
    PARTLY_SETTLED = "partly_settled"
    SETTLED = "settled"

    __labels__ = {"OPEN": _("Open"), "PARTLY_SETTLED": _("Partly settled"),
                  "SETTLED": _("Settled")}


@strawberry.enum(description="A payment, or a refund (money going back the other way).")
class PaymentKind(Enum):
    PAYMENT = "payment"
    REFUND = "refund"

    __labels__ = {"PAYMENT": _("Payment"), "REFUND": _("Refund")}


@strawberry.enum(description="How the money moved.")
class PaymentMethod(Enum):
    BANK = "bank"
    CASH = "cash"
    ACCEPTANCE_BILL = "acceptance_bill"
    WECHAT = "wechat"
    ALIPAY = "alipay"
    OTHER = "other"

    __labels__ = {"BANK": _("Bank transfer"), "CASH": _("Cash"),
                  "ACCEPTANCE_BILL": _("Acceptance bill"), "WECHAT": _("WeChat Pay"),
                  "ALIPAY": _("Alipay"), "OTHER": _("Other")}


@strawberry.enum
class InvoicingErrorCode(Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    INVALID_STATE = "INVALID_STATE"
    DUPLICATE_CODE = "DUPLICATE_CODE"
    OVER_ALLOCATED = "OVER_ALLOCATED"
    # Raised by the chapter whose document lines are billed.
    OVER_INVOICED = "OVER_INVOICED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    # Passed through from an accounting addon: the document's date lies in a closed
    # accounting period.
    PERIOD_CLOSED = "PERIOD_CLOSED"


InvoicingError = make_user_error_type("Invoicing", InvoicingErrorCode)


# -- loaders --------------------------------------------------------------------------------

def _loader(info: Info[Any, Any], name: str, batch: Any) -> Any:
    return info.context.loaders.get(f"invoicing.{name}", batch)


async def partner_of(info: Info[Any, Any], partner_id: int) -> Partner | None:
    return await _loader(  # type: ignore[no-any-return]
        info, "partner", lambda ids: Partner.get_nodes(info, ids)).load(partner_id)


async def product_of(info: Info[Any, Any], product_id: int | None) -> Product | None:
    if product_id is None:
        return None
    return await _loader(  # type: ignore[no-any-return]
        info, "product", lambda ids: Product.get_nodes(info, ids)).load(product_id)


async def invoice_of(info: Info[Any, Any], invoice_id: int | None) -> Invoice | None:
    if invoice_id is None:
        return None
    return await _loader(  # type: ignore[no-any-return]
        info, "invoice", lambda ids: Invoice.get_nodes(info, ids)).load(invoice_id)


async def payment_of(info: Info[Any, Any], payment_id: int | None) -> Payment | None:
    if payment_id is None:
        return None
    return await _loader(  # type: ignore[no-any-return]
        info, "payment", lambda ids: Payment.get_nodes(info, ids)).load(payment_id)


async def username_of(info: Info[Any, Any], user_id: int | None) -> str | None:
    if user_id is None:
        return None

    def batch(ids: list[int]) -> list[str | None]:
        names = {r.id: r.username for r in get_session(info).execute(
            select(User.id, User.username).where(User.id.in_(set(ids))))}
        return [names.get(i) for i in ids]

    return await _loader(info, "username", batch).load(user_id)  # type: ignore[no-any-return]


def _allocations_loader(info: Info[Any, Any]) -> Any:
    """``("invoice" | "payment", id) → allocations`` touching it, oldest first; an
    invoice's are those settling it and, for a credit note, those it settled."""

    def batch(keys: list[tuple[str, int]]) -> list[list[PaymentAllocation]]:
        alloc = models.PaymentAllocation
        invoice_ids = {k for kind, k in keys if kind == "invoice"}
        payment_ids = {k for kind, k in keys if kind == "payment"}
        rows = get_session(info).scalars(
            select(alloc).where(or_(alloc.invoice_id.in_(invoice_ids),
                                    alloc.credit_note_id.in_(invoice_ids),
                                    alloc.payment_id.in_(payment_ids)))
            .order_by(alloc.id))
        found: dict[tuple[str, int], list[PaymentAllocation]] = {k: [] for k in keys}
        for row in rows:
            node = PaymentAllocation.from_row(row)
            for key in (("invoice", row.invoice_id), ("invoice", row.credit_note_id),
                        ("payment", row.payment_id)):
                if key in found:
                    found[key].append(node)  # type: ignore[index]
        return [found[k] for k in keys]

    return _loader(info, "allocations", batch)


# -- types ------------------------------------------------------------------------------------

@strawberry.type(description="Part of an invoice settled by a payment, a refund or a credit "
                             "note.")
class PaymentAllocation:
    amount: Decimal = strawberry.field(
        description="Signed like the invoice settled (negative on a credit note).")
    settled_on: date = strawberry.field(
        description="The day it counts from in the ageing: the later of the payment's "
                    "(or credit note's) and the invoice's date.")
    allocated_at: datetime
    invoice_id: strawberry.Private[int]
    payment_id: strawberry.Private[int | None]
    credit_note_id: strawberry.Private[int | None]
    allocated_by_id: strawberry.Private[int | None]

    @strawberry.field(description="The invoice (or credit note) settled.")
    async def invoice(self, info: Info[Any, Any]) -> Invoice | None:
        return await invoice_of(info, self.invoice_id)

    @strawberry.field(description="The payment or refund that settled it, if it was money.")
    async def payment(self, info: Info[Any, Any]) -> Payment | None:
        return await payment_of(info, self.payment_id)

    @strawberry.field(description="The credit note that settled it, if it was one.")
    async def credit_note(self, info: Info[Any, Any]) -> Invoice | None:
        return await invoice_of(info, self.credit_note_id)

    @strawberry.field(description="Who allocated it (username).")
    async def allocated_by(self, info: Info[Any, Any]) -> str | None:
        return await username_of(info, self.allocated_by_id)

    @classmethod
    def from_row(cls, row: models.PaymentAllocation) -> PaymentAllocation:
        return cls(amount=row.amount, settled_on=row.settled_on,
                   allocated_at=row.allocated_at, invoice_id=row.invoice_id,
                   payment_id=row.payment_id, credit_note_id=row.credit_note_id,
                   allocated_by_id=row.allocated_by_id)


@strawberry.type(description="One billed line: tax-exclusive unit price, VAT and total, "
                             "signed like its invoice.")
class InvoiceLine(Node):
    node_permission: ClassVar[str] = INVOICE_READ

    position: int
    description: str
    quantity: Decimal = strawberry.field(description="Negative on a credit note.")
    unit_price: Decimal = strawberry.field(description="Tax-exclusive.")
    tax_rate: Decimal = strawberry.field(description="A fraction: 0.13 for 13% VAT.")
    amount: Decimal = strawberry.field(description="quantity × unit price, to the cent.")
    tax: Decimal
    total: Decimal
    source_type: str = strawberry.field(
        description="The type of document line billed (SalesOrderLine, …); empty if none.")
    product_id: strawberry.Private[int | None]
    source_id: strawberry.Private[int | None]

    @strawberry.field(description="Null for a line that is not a product (freight, labour).")
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await product_of(info, self.product_id)

    @strawberry.field(description="The global ID of the document line billed, if any.")
    def source_line_id(self) -> strawberry.ID | None:
        if not self.source_type or self.source_id is None:
            return None
        return strawberry.ID(to_global_id(self.source_type, self.source_id))

    @classmethod
    def from_row(cls, row: models.InvoiceLine) -> InvoiceLine:
        return cls(pk=row.id, position=row.position, description=row.description,
                   quantity=row.quantity, unit_price=row.unit_price, tax_rate=row.tax_rate,
                   amount=row.amount, tax=row.tax, total=row.total,
                   source_type=row.source_type, product_id=row.product_id,
                   source_id=row.source_id)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[InvoiceLine | None]:
        rows = get_session(info).scalars(select(models.InvoiceLine)
                                         .where(models.InvoiceLine.id.in_(pks)))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda line: line.pk)


def _lines_loader(info: Info[Any, Any]) -> Any:
    def batch(ids: list[int]) -> list[list[InvoiceLine]]:
        found = invoice_lines(get_session(info), ids)
        return [[InvoiceLine.from_row(r) for r in found[i]] for i in ids]

    return _loader(info, "lines", batch)


@strawberry.type(description="A posted invoice or credit note (红字发票), receivable or "
                             "payable.  Credit notes carry negative amounts.")
class Invoice(Node):
    node_permission: ClassVar[str] = INVOICE_READ

    number: str = strawberry.field(description="XSFP-/CGFP-/HZFP-YYYYMM-NNNN, unique.")
    external_number: str = strawberry.field(
        description="The official 发票号码 (the supplier's number on payables).")
    direction: InvoiceDirection
    kind: InvoiceKind
    state: InvoiceState
    invoice_date: date
    due_date: date
    currency: str
    amount_untaxed: Decimal
    amount_tax: Decimal
    amount_total: Decimal
    amount_settled: Decimal = strawberry.field(
        description="What payments and credit notes have settled (signed like the total).")
    origin_type: str = strawberry.field(
        description="The business document behind it (sales.order, purchase.order, …).")
    note: str
    created_at: datetime
    partner_id: strawberry.Private[int]
    credited_invoice_id: strawberry.Private[int | None]
    created_by_id: strawberry.Private[int | None]

    @strawberry.field(description="What is still to be settled (signed like the total).")
    def amount_open(self) -> Decimal:
        return self.amount_total - self.amount_settled

    @strawberry.field(description="Days past the due date today while still open; 0 "
                                  "otherwise.")
    def overdue_days(self, info: Info[Any, Any]) -> int:
        if self.state is InvoiceState.SETTLED:
            return 0
        return max(0, (business_today(get_session(info)) - self.due_date).days)

    @strawberry.field
    async def partner(self, info: Info[Any, Any]) -> Partner | None:
        return await partner_of(info, self.partner_id)

    @strawberry.field(description="For a credit note: the invoice it corrects, if named.")
    async def credited_invoice(self, info: Info[Any, Any]) -> Invoice | None:
        return await invoice_of(info, self.credited_invoice_id)

    @strawberry.field(description="Who posted it (username).")
    async def created_by(self, info: Info[Any, Any]) -> str | None:
        return await username_of(info, self.created_by_id)

    @strawberry.field(description="The lines, in order.")
    async def lines(self, info: Info[Any, Any]) -> list[InvoiceLine]:
        return await _lines_loader(info).load(self.pk)  # type: ignore[no-any-return]

    @strawberry.field(description="What settled it and, for a credit note, what it settled.")
    async def allocations(self, info: Info[Any, Any]) -> list[PaymentAllocation]:
        return await _allocations_loader(info).load(  # type: ignore[no-any-return]
            ("invoice", self.pk))

    @classmethod
    def from_row(cls, row: models.Invoice) -> Invoice:
        return cls(pk=row.id, number=row.number, external_number=row.external_number,
                   direction=InvoiceDirection(row.direction), kind=InvoiceKind(row.kind),
                   state=InvoiceState(row.state), invoice_date=row.invoice_date,
                   due_date=row.due_date, currency=row.currency,
                   amount_untaxed=row.amount_untaxed, amount_tax=row.amount_tax,
                   amount_total=row.amount_total, amount_settled=row.amount_settled,
                   origin_type=row.origin_type, note=row.note, created_at=row.created_at,
                   partner_id=row.partner_id, credited_invoice_id=row.credited_invoice_id,
                   created_by_id=row.created_by_id)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[Invoice | None]:
        rows = get_session(info).scalars(select(models.Invoice)
                                         .where(models.Invoice.id.in_(pks)))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda i: i.pk)


@strawberry.type(description="Money received from a customer or paid to a supplier, or a "
                             "refund of either; allocated to invoices.")
class Payment(Node):
    node_permission: ClassVar[str] = PAYMENT_READ

    number: str = strawberry.field(description="SK-/FK-/TK-YYYYMM-NNNN, unique.")
    direction: InvoiceDirection = strawberry.field(
        description="RECEIVABLE: money from a customer; PAYABLE: money to a supplier "
                    "(the other way round for a refund).")
    kind: PaymentKind
    payment_date: date
    amount: Decimal = strawberry.field(description="Always positive.")
    amount_allocated: Decimal
    method: PaymentMethod
    reference: str = strawberry.field(description="Bank slip, cheque or bill number.")
    note: str
    created_at: datetime
    partner_id: strawberry.Private[int]
    created_by_id: strawberry.Private[int | None]

    @strawberry.field(description="What is left to allocate to invoices.")
    def amount_unallocated(self) -> Decimal:
        return self.amount - self.amount_allocated

    @strawberry.field
    async def partner(self, info: Info[Any, Any]) -> Partner | None:
        return await partner_of(info, self.partner_id)

    @strawberry.field(description="Who recorded it (username).")
    async def created_by(self, info: Info[Any, Any]) -> str | None:
        return await username_of(info, self.created_by_id)

    @strawberry.field(description="The invoices (or credit notes) it settled.")
    async def allocations(self, info: Info[Any, Any]) -> list[PaymentAllocation]:
        return await _allocations_loader(info).load(  # type: ignore[no-any-return]
            ("payment", self.pk))

    @classmethod
    def from_row(cls, row: models.Payment) -> Payment:
        return cls(pk=row.id, number=row.number, direction=InvoiceDirection(row.direction),
                   kind=PaymentKind(row.kind), payment_date=row.payment_date,
                   amount=row.amount, amount_allocated=row.amount_allocated,
                   method=PaymentMethod(row.method), reference=row.reference, note=row.note,
                   created_at=row.created_at, partner_id=row.partner_id,
                   created_by_id=row.created_by_id)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[Payment | None]:
        rows = get_session(info).scalars(select(models.Payment)
                                         .where(models.Payment.id.in_(pks)))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda p: p.pk)
