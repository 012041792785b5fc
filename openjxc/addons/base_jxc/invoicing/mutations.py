"""The invoicing mutations: ``invoiceCreate``, ``paymentCreate`` and ``paymentAllocate``.

All three post and accept ``idempotencyKey``: a retry with the same key and input gets the
first answer and nothing is posted twice (API.md).  Partners and products are named by
code, invoices and payments by their global IDs; an invoice line may name the document
line it bills by its global ID (``sourceLineId``), decoded generically into the type name
and key the owning chapter recognises (``SalesOrderLine``, ``PurchaseOrderLine`` …).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.graphql import (
    BadUserInput,
    composition_of,
    from_global_id,
    get_session,
    mutation,
)
from openjxc.graphql.payloads import run_posting

from ..catalog.models import Product as ProductRow
from ..partners.models import Partner as PartnerRow
from . import models, services
from .allocation import allocate
from .amounts import DEFAULT_TAX_RATE
from .api_types import (
    Invoice,
    InvoiceDirection,
    InvoiceKind,
    InvoicingError,
    Payment,
    PaymentAllocation,
    PaymentKind,
    PaymentMethod,
)


def _pk(global_id: str | None, type_name: str) -> int | None:
    """The key behind a global ID of ``type_name``; 0 (then ``NOT_FOUND``) for anything
    else, None when no ID was given."""
    if global_id is None:
        return None
    try:
        name, pk = from_global_id(global_id)
    except BadUserInput:
        return 0
    return int(pk) if name == type_name and pk.isdigit() and len(pk) < 19 else 0


def _user_id(info: Info[Any, Any]) -> int | None:
    return getattr(getattr(info.context, "principal", None), "user_id", None)


def _partner_id(session: Session, code: str) -> int | None:
    return session.scalar(select(PartnerRow.id).where(PartnerRow.code == code.strip()[:64]))


# -- invoiceCreate --------------------------------------------------------------------------

@strawberry.input(description="One line to bill.")
class InvoiceLineInput:
    quantity: Decimal = strawberry.field(description="Positive, also on a credit note.")
    unit_price: Decimal = strawberry.field(description="Tax-exclusive.")
    product_code: str | None = strawberry.field(
        default=None, description="Empty for a line that is not a product (freight).")
    description: str = strawberry.field(
        default="", description="Required without a product; default: the product's name.")
    tax_rate: Decimal | None = strawberry.field(
        default=None, description="A fraction (0.13); default: the product's rate, else 0.13.")
    source_line_id: strawberry.ID | None = strawberry.field(
        default=None, description="The global ID of the document line billed "
                                  "(a SalesOrderLine, PurchaseOrderLine …).")


@strawberry.input
class InvoiceCreateInput:
    partner_code: str
    direction: InvoiceDirection
    lines: list[InvoiceLineInput]
    kind: InvoiceKind = InvoiceKind.INVOICE
    invoice_date: date | None = strawberry.field(default=None, description="Default: today.")
    due_date: date | None = strawberry.field(
        default=None, description="Default: invoice date + the partner's payment terms "
                                  "(a credit note: the invoice date).")
    external_number: str = strawberry.field(
        default="", description="The official 发票号码 (the supplier's on payables).")
    credited_invoice_id: strawberry.ID | None = strawberry.field(
        default=None, description="For a credit note: the invoice it corrects.")
    note: str = ""
    idempotency_key: str | None = None


@strawberry.type
class InvoiceCreatePayload:
    invoice: Invoice | None
    errors: list[InvoicingError]  # type: ignore[valid-type]


def _source(info: Info[Any, Any], global_id: str | None, at: tuple[str, ...],
            errors: list[FieldError]) -> tuple[str, int | None]:
    """``(type name, key)`` of a document line's global ID, for any Node type of the
    edition; the owning chapter checks the line itself when the invoice is posted."""
    if not global_id:
        return "", None
    try:
        type_name, raw = from_global_id(global_id)
        node_type = composition_of(info).nodes[type_name]
        key = node_type.parse_pk(raw)
    except (BadUserInput, KeyError, TypeError, ValueError):
        errors.append(FieldError("INVALID", _("Not the ID of a document line"),
                                 field=(*at, "sourceLineId")))
        return "", None
    return type_name, key


def _create_invoice(info: Info[Any, Any], session: Session, data: InvoiceCreateInput,
                    ) -> models.Invoice:
    errors: list[FieldError] = []
    codes = {line.product_code.strip() for line in data.lines if line.product_code}
    products = {r.code: (r.id, r.tax_rate) for r in session.execute(
        select(ProductRow.code, ProductRow.id, ProductRow.tax_rate)
        .where(ProductRow.code.in_(codes)))} if codes else {}
    lines = []
    for i, line in enumerate(data.lines):
        product_id, product_rate = None, DEFAULT_TAX_RATE
        if line.product_code:
            # An unknown code is the service's NOT_FOUND (id 0 exists nowhere).
            product_id, product_rate = products.get(line.product_code.strip(),
                                                    (0, DEFAULT_TAX_RATE))
        source_type, source_id = _source(info, line.source_line_id, ("lines", str(i)),
                                         errors)
        lines.append(services.InvoiceLineInput(
            product_id=product_id, description=line.description, quantity=line.quantity,
            unit_price=line.unit_price,
            tax_rate=product_rate if line.tax_rate is None else line.tax_rate,
            source_type=source_type, source_id=source_id))
    try:
        invoice = services.create_invoice(
            session, partner_id=_partner_id(session, data.partner_code),  # type: ignore[arg-type]
            direction=data.direction.value, kind=data.kind.value, lines=lines,
            invoice_date=data.invoice_date, due_date=data.due_date,
            external_number=data.external_number,
            credited_invoice_id=_pk(data.credited_invoice_id, "Invoice"), note=data.note,
            user_id=_user_id(info))
    except ValidationFailed as refused:
        raise ValidationFailed(errors + refused.errors) from None
    if errors:
        raise ValidationFailed(errors)
    return invoice


def _encode_invoice(invoice: models.Invoice | None) -> int | None:
    return invoice.id if invoice is not None else None


def _decode_invoice(session: Session, invoice_id: int) -> models.Invoice:
    return session.get_one(models.Invoice, invoice_id)


def invoice_create(info: Info[Any, Any], input: InvoiceCreateInput) -> InvoiceCreatePayload:
    invoice, errors = run_posting(
        info, lambda s: _create_invoice(info, s, input), InvoicingError,
        scope="invoiceCreate", idempotency_key=input.idempotency_key, request=input,
        encode=_encode_invoice, decode=_decode_invoice)
    return InvoiceCreatePayload(invoice=Invoice.from_row(invoice) if invoice else None,
                                errors=errors)


# -- paymentCreate / paymentAllocate --------------------------------------------------------

@strawberry.input(description="How much of one invoice (or credit note) to settle.")
class PaymentAllocationInput:
    invoice_id: strawberry.ID
    amount: Decimal = strawberry.field(description="Positive, also for a credit note.")


def _allocations(items: list[PaymentAllocationInput]) -> list[tuple[int, Decimal]]:
    return [(_pk(item.invoice_id, "Invoice") or 0, item.amount) for item in items]


@strawberry.input
class PaymentCreateInput:
    partner_code: str
    direction: InvoiceDirection = strawberry.field(
        description="RECEIVABLE: a customer pays us; PAYABLE: we pay a supplier.")
    amount: Decimal
    kind: PaymentKind = strawberry.field(
        default=PaymentKind.PAYMENT,
        description="REFUND: money going back the other way; it settles credit notes.")
    method: PaymentMethod = PaymentMethod.BANK
    payment_date: date | None = strawberry.field(default=None, description="Default: today.")
    reference: str = strawberry.field(default="", description="Bank slip, cheque or bill.")
    note: str = ""
    allocations: list[PaymentAllocationInput] = strawberry.field(
        default_factory=list, description="Invoices it settles; the rest stays on account.")
    idempotency_key: str | None = None


@strawberry.type
class PaymentCreatePayload:
    payment: Payment | None
    errors: list[InvoicingError]  # type: ignore[valid-type]


def _encode_payment(payment: models.Payment | None) -> int | None:
    return payment.id if payment is not None else None


def _decode_payment(session: Session, payment_id: int) -> models.Payment:
    return session.get_one(models.Payment, payment_id)


def payment_create(info: Info[Any, Any], input: PaymentCreateInput) -> PaymentCreatePayload:
    def action(session: Session) -> models.Payment:
        return services.create_payment(
            session, partner_id=_partner_id(session, input.partner_code),  # type: ignore[arg-type]
            direction=input.direction.value, amount=input.amount, kind=input.kind.value,
            method=input.method.value, payment_date=input.payment_date,
            allocations=_allocations(input.allocations), reference=input.reference,
            note=input.note, user_id=_user_id(info))

    payment, errors = run_posting(
        info, action, InvoicingError, scope="paymentCreate",
        idempotency_key=input.idempotency_key, request=input, encode=_encode_payment,
        decode=_decode_payment)
    return PaymentCreatePayload(payment=Payment.from_row(payment) if payment else None,
                                errors=errors)


@strawberry.input(description="Settle invoices from a payment, or from a credit note.")
class PaymentAllocateInput:
    allocations: list[PaymentAllocationInput]
    payment_id: strawberry.ID | None = strawberry.field(
        default=None, description="A payment (settles invoices) or a refund (settles "
                                  "credit notes).")
    credit_note_id: strawberry.ID | None = strawberry.field(
        default=None, description="A credit note settling invoices of its partner.")
    idempotency_key: str | None = None


@strawberry.type
class PaymentAllocatePayload:
    payment: Payment | None = strawberry.field(description="The payment, when one was used.")
    credit_note: Invoice | None = strawberry.field(
        description="The credit note, when one was used.")
    allocations: list[PaymentAllocation] = strawberry.field(
        description="The allocations made (empty on errors).")
    errors: list[InvoicingError]  # type: ignore[valid-type]


def _encode_allocated(rows: list[models.PaymentAllocation] | None) -> list[int]:
    return [row.id for row in rows or []]


def _decode_allocated(session: Session, ids: list[int]) -> list[models.PaymentAllocation]:
    found = {row.id: row for row in session.scalars(
        select(models.PaymentAllocation).where(models.PaymentAllocation.id.in_(ids)))}
    return [found[i] for i in ids]


def payment_allocate(info: Info[Any, Any], input: PaymentAllocateInput,
                     ) -> PaymentAllocatePayload:
    payment_id = _pk(input.payment_id, "Payment")
    credit_note_id = _pk(input.credit_note_id, "Invoice")
    rows, errors = run_posting(
        info, lambda s: allocate(s, payment_id, _allocations(input.allocations),
                                 credit_note_id=credit_note_id, user_id=_user_id(info)),
        InvoicingError, scope="paymentAllocate", idempotency_key=input.idempotency_key,
        request=input, encode=_encode_allocated, decode=_decode_allocated)
    if rows is None:
        return PaymentAllocatePayload(payment=None, credit_note=None, allocations=[],
                                      errors=errors)
    session = get_session(info)
    payment = session.get(models.Payment, payment_id) if payment_id else None
    note = session.get(models.Invoice, credit_note_id) if credit_note_id else None
    return PaymentAllocatePayload(
        payment=Payment.from_row(payment) if payment else None,
        credit_note=Invoice.from_row(note) if note else None,
        allocations=[PaymentAllocation.from_row(r) for r in rows], errors=errors)


def types() -> list[type]:
    return [InvoiceLineInput, InvoiceCreateInput, InvoiceCreatePayload,
            PaymentAllocationInput, PaymentCreateInput, PaymentCreatePayload,
            PaymentAllocateInput, PaymentAllocatePayload]


def mutations() -> list[Any]:
    return [
        mutation(invoice_create, permission="invoicing.invoice.create", name="invoiceCreate",
                 description="Post an invoice or a credit note (红字发票) at once."),
        mutation(payment_create, permission="invoicing.payment.create", name="paymentCreate",
                 description="Record money received, paid or refunded, and allocate it to "
                             "invoices."),
        mutation(payment_allocate, permission="invoicing.payment.create",
                 name="paymentAllocate",
                 description="Allocate what is left of a payment, or a credit note, to "
                             "invoices."),
    ]
