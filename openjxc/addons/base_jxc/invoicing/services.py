"""Receivables and payables: the services other chapters and the API call.

Invoices and credit notes are posted at once (:func:`create_invoice`); money in and out is
a payment (:func:`create_payment`, in :mod:`.payments`) allocated to invoices, partly or in
full, several at a time (:func:`allocate`, in :mod:`.allocation`); a credit note settles
invoices through the same :func:`allocate`.  Balances and ageing are read set-based
(:mod:`.balances`, :mod:`.aging`)::

    invoice = create_invoice(session, partner_id=c1, direction="receivable", lines=[
        InvoiceLineInput(product_id=motor, description="", quantity=Decimal(2),
                         unit_price=Decimal("3000"), tax_rate=Decimal("0.13"),
                         source_type="SalesOrderLine", source_id=line.id)])
    payment = create_payment(session, partner_id=c1, direction="receivable",
                             amount=Decimal("5000"), allocations=[(invoice.id, Decimal("5000"))])

Error codes these services raise (a calling chapter's error enum should declare them):
``REQUIRED``, ``INVALID``, ``INVALID_QUANTITY``, ``NOT_FOUND``, ``DUPLICATE_CODE`` (a
supplier's invoice number entered twice), ``OVER_ALLOCATED`` (more than is open or
unallocated), plus whatever the chapters listening to ``InvoicePosted`` raise
(``OVER_INVOICED``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, insert, inspect, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.models import utcnow
from openjxc.core.validation import check_text

from ..catalog.models import Product
from ..numbering import next_document_number
from ..stock.models import table_of
from ..stock.posting import business_today
from .aging import AgingReport, AgingRow, aging
from .allocation import allocate
from .amounts import MAX_AMOUNT, check_line_values, line_amounts
from .balances import PartnerBalance, open_receivables, partner_balances
from .checks import check_date, check_direction, check_partner
from .events import InvoicePosted
from .models import (
    CREDIT_NOTE,
    INVOICE,
    INVOICE_KINDS,
    OPEN,
    PAYABLE,
    RECEIVABLE,
    SETTLED,
    Invoice,
    InvoiceLine,
)
from .payments import create_payment

__all__ = [
    "AgingReport", "AgingRow", "InvoiceLineInput", "PartnerBalance", "aging", "allocate",
    "create_invoice", "create_payment", "invoice_lines", "open_receivables",
    "partner_balances",
]

#: 销售发票 / 采购发票 / 红字发票 (either direction).
NUMBER_PREFIXES = {(RECEIVABLE, INVOICE): "XSFP", (PAYABLE, INVOICE): "CGFP",
                   (RECEIVABLE, CREDIT_NOTE): "HZFP", (PAYABLE, CREDIT_NOTE): "HZFP"}
MAX_LINES = 1000
#: A total beyond this is a typing mistake, and it keeps every sum inside what both
#: databases store exactly.
MAX_TOTAL = MAX_AMOUNT


@dataclass
class InvoiceLineInput:
    """One line to bill.  ``quantity`` is positive, also on a credit note (it is stored
    negative there).  ``source_type``/``source_id`` name the document line billed (the
    GraphQL type name, e.g. ``SalesOrderLine``, and its id)."""

    product_id: int | None
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    source_type: str = ""
    source_id: int | None = None


def create_invoice(session: Session, *, partner_id: int, direction: str,
                   lines: Sequence[InvoiceLineInput], kind: str = INVOICE,
                   invoice_date: date | None = None, due_date: date | None = None,
                   external_number: str = "", credited_invoice_id: int | None = None,
                   origin_type: str = "", origin_id: int | None = None, note: str = "",
                   user_id: int | None = None, field: str = "lines") -> Invoice:
    """Post an invoice or a credit note (``kind="credit_note"``, 红字发票) for a partner.

    The due date, when not given, is the invoice date plus the partner's
    ``payment_terms_days`` (a credit note is due at once).  Line amounts are rounded per
    line (:func:`~.amounts.line_amounts`); a credit note stores them negative.  A credit
    note naming the invoice it corrects (``credited_invoice_id``) cannot, with the credit
    notes before it, exceed that invoice.  Publishes :class:`~.events.InvoicePosted` in
    the transaction (listeners may still refuse, e.g. ``OVER_INVOICED``).  Line errors
    are reported at ``(field, index, attribute)``.
    """
    errors: list[FieldError] = []
    direction_ok = check_direction(errors, direction, "direction")
    partner = check_partner(session, errors, partner_id, direction_ok, "partnerCode")
    if kind not in INVOICE_KINDS:
        errors.append(FieldError("INVALID", _("The kind is invoice or credit_note"),
                                 field="kind"))
    today = business_today(session)
    day = today if invoice_date is None else check_date(errors, invoice_date, "invoiceDate")
    due = None if due_date is None else check_date(errors, due_date, "dueDate")
    if day is not None and due is not None and due < day:
        errors.append(FieldError("INVALID", _("The due date cannot be before the invoice "
                                              "date"), field="dueDate"))
    external = check_text(errors, external_number, "externalNumber", max_length=32)
    note = check_text(errors, note, "note", max_length=400)
    origin = check_text(errors, origin_type, "originType", max_length=32)
    checked = _check_lines(session, errors, lines, field)
    if errors:
        raise ValidationFailed(errors)
    assert partner is not None and day is not None
    sign = -1 if kind == CREDIT_NOTE else 1
    amounts = [line_amounts(sign * line.quantity, line.unit_price, line.tax_rate)
               for line in checked]
    untaxed = sum((a for a, _t, _s in amounts), Decimal("0.00"))
    tax = sum((t for _a, t, _s in amounts), Decimal("0.00"))
    total = untaxed + tax
    if abs(total) >= MAX_TOTAL:
        raise ValidationFailed(FieldError("INVALID", _("The total must be smaller than "
                                                       "{limit}"), field=field,
                                          limit=f"{MAX_TOTAL:,.0f}"))
    _check_credited(session, errors, kind, credited_invoice_id, partner.id, direction, total)
    if direction == PAYABLE and kind == INVOICE and external:
        _check_external_number(session, errors, partner.id, external)
    if errors:
        raise ValidationFailed(errors)
    if due is None:
        due = day if kind == CREDIT_NOTE else day + timedelta(days=partner.payment_terms_days)
    invoice = Invoice(
        external_number=external, partner_id=partner.id, direction=direction, kind=kind,
        state=SETTLED if total == 0 else OPEN, invoice_date=day, due_date=due,
        currency=partner.currency, amount_untaxed=untaxed, amount_tax=tax,
        amount_total=total, amount_settled=Decimal("0.00"),
        credited_invoice_id=credited_invoice_id, origin_type=origin, origin_id=origin_id,
        note=note, created_at=utcnow(), created_by_id=user_id)
    try:
        with session.begin_nested():  # a listener refusing the invoice leaves nothing behind
            _insert(session, invoice, checked, amounts, sign,
                    NUMBER_PREFIXES[(direction, kind)])
    except BaseException:
        if invoice in session:  # not stored after all: forgotten, as a flushed one would be
            session.expunge(invoice)
        raise
    return invoice


def _insert(session: Session, invoice: Invoice, checked: list[InvoiceLineInput],
            amounts: list[tuple[Decimal, Decimal, Decimal]], sign: int, prefix: str) -> None:
    """Number and store the invoice and its lines, then publish it.  Written through the
    connection (no flush): the invoice joins the session as stored, and the lines go in
    one statement (their ids come back in the order given; SQLite draws them first)."""
    invoice.number = next_document_number(session, Invoice.number, prefix)
    connection = session.connection()
    sqlite = connection.dialect.name != "postgresql"
    inserted = connection.execute(
        _statements().insert_invoice_sqlite if sqlite else _statements().insert_invoice,
        {c.key: getattr(invoice, c.key) for c in Invoice.__mapper__.column_attrs
         if c.key != "id"}).one()
    invoice.id = inserted[0]
    make_transient_to_detached(invoice)
    session.add(invoice)
    rows = [{"invoice_id": invoice.id, "position": position, "product_id": line.product_id,
             "description": line.description, "quantity": sign * line.quantity,
             "unit_price": line.unit_price, "tax_rate": line.tax_rate, "amount": amount,
             "tax": line_tax, "total": line_total, "source_type": line.source_type,
             "source_id": line.source_id}
            for position, (line, (amount, line_tax, line_total))
            in enumerate(zip(checked, amounts, strict=True), start=1)]
    if not sqlite:
        ids = list(connection.execute(_statements().insert_lines, rows).scalars())
    else:  # SQLite returns rows in no promised order: keys drawn first (after the highest
        # line id, which the invoice's insert returned: the writer lock is held since
        # BEGIN IMMEDIATE, as allocate_ids relies on), one executemany
        ids = list(range(inserted[1] + 1, inserted[1] + len(rows) + 1))
        connection.execute(_statements().insert_lines_with_ids,
                           [{"id": line_id, **row} for line_id, row in zip(ids, rows, strict=True)])
    publish(session, InvoicePosted(
        invoice_id=invoice.id, number=invoice.number, direction=invoice.direction,
        kind=invoice.kind, partner_id=invoice.partner_id, amount_total=invoice.amount_total,
        lines=tuple((line_id, line.source_type, line.source_id, sign * line.quantity)
                    for line_id, line in zip(ids, checked, strict=True))))


class _Statements(NamedTuple):
    insert_invoice: Any
    insert_invoice_sqlite: Any
    insert_lines: Any
    insert_lines_with_ids: Any
    products: Any


@cache
def _statements() -> _Statements:
    """What posting an invoice runs, built once."""
    invoice, line = table_of(Invoice), table_of(InvoiceLine)
    return _Statements(
        insert_invoice=insert(invoice).returning(invoice.c.id),
        # SQLite: with the highest invoice line id, the lines' keys are drawn after it.
        insert_invoice_sqlite=insert(invoice).returning(
            invoice.c.id, select(func.coalesce(func.max(line.c.id), 0)).scalar_subquery()),
        insert_lines=insert(line).returning(line.c.id, sort_by_parameter_order=True),
        insert_lines_with_ids=insert(line),
        products=select(Product.id, Product.name)
        .where(Product.id.in_(bindparam("ids", expanding=True))))


def _check_lines(session: Session, errors: list[FieldError],
                 lines: Sequence[InvoiceLineInput], field: str) -> list[InvoiceLineInput]:
    if not lines:
        errors.append(FieldError("REQUIRED", _("At least one line is required"), field=field))
        return []
    if len(lines) > MAX_LINES:
        errors.append(FieldError("INVALID", _("At most {max} lines"), field=field,
                                 max=MAX_LINES))
        return []
    wanted = {line.product_id for line in lines if isinstance(line.product_id, int)}
    products = _product_names(session, wanted)
    checked = []
    for i, line in enumerate(lines):
        at = (field, str(i))
        before = len(errors)
        product = products.get(line.product_id) if line.product_id is not None else None
        if line.product_id is not None and product is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown product"),
                                     field=(*at, "productCode")))
        description = check_text(errors, line.description, (*at, "description"),
                                 max_length=200,
                                 required=line.product_id is None)
        values = check_line_values(errors, at, quantity=line.quantity,
                                   unit_price=line.unit_price, tax_rate=line.tax_rate)
        source_type = check_text(errors, line.source_type, (*at, "sourceLineId"),
                                 max_length=32)
        source_id = line.source_id
        if bool(source_type) != (source_id is not None) or (
                source_id is not None and (not isinstance(source_id, int) or source_id < 1)):
            errors.append(FieldError("INVALID", _("A source line needs both its type and "
                                                  "its id"), field=(*at, "sourceLineId")))
        if len(errors) == before and values is not None:
            quantity, price, rate = values
            total = line_amounts(quantity, price, rate)[2]
            if abs(total) >= MAX_TOTAL:
                errors.append(FieldError("INVALID", _("The total must be smaller than "
                                                      "{limit}"), field=(*at, "quantity"),
                                         limit=f"{MAX_TOTAL:,.0f}"))
                continue
            checked.append(InvoiceLineInput(
                product_id=line.product_id,
                description=description or (product.name[:200] if product else ""),
                quantity=quantity, unit_price=price, tax_rate=rate,
                source_type=source_type, source_id=source_id))
    return checked


def _product_names(session: Session, wanted: set[int]) -> dict[int, Any]:
    """Product id → ``(id, name)`` of the products that exist; those already loaded in the
    session (a chapter billing its own lines loaded them) are not read again."""
    found: dict[int, Any] = {}
    for product_id in wanted:
        product = session.identity_map.get(identity_key(Product, product_id))
        if product is not None and "name" in inspect(product).dict:
            found[product_id] = product
    missing = sorted(wanted - found.keys())
    if missing:
        found.update((p.id, p) for p in session.execute(_statements().products,
                                                        {"ids": missing}))
    return found


def _check_credited(session: Session, errors: list[FieldError], kind: str,
                    credited_invoice_id: int | None, partner_id: int, direction: str,
                    total: Decimal) -> None:
    if credited_invoice_id is None:
        return
    at = "creditedInvoiceId"
    if kind != CREDIT_NOTE:
        errors.append(FieldError("INVALID", _("Only a credit note corrects an invoice"),
                                 field=at))
        return
    credited = session.get(Invoice, credited_invoice_id) if isinstance(
        credited_invoice_id, int) else None
    if credited is None or credited.kind != INVOICE:
        errors.append(FieldError("NOT_FOUND", _("Unknown invoice"), field=at))
        return
    if credited.partner_id != partner_id or credited.direction != direction:
        errors.append(FieldError("INVALID", _("Invoice {number} belongs to another partner "
                                              "or direction"), field=at,
                                 number=credited.number))
        return
    credited_before = session.scalar(
        select(func.coalesce(func.sum(Invoice.amount_total), 0))
        .where(Invoice.credited_invoice_id == credited.id, Invoice.kind == CREDIT_NOTE))
    already = -(credited_before or Decimal("0.00"))
    if already - total > credited.amount_total:
        errors.append(FieldError(
            "INVALID", _("Credit notes for invoice {number} would exceed its total "
                         "{total} ({credited} credited already)"),
            field=at, number=credited.number, total=credited.amount_total, credited=already))


def _check_external_number(session: Session, errors: list[FieldError], partner_id: int,
                           external: str) -> None:
    taken = session.scalar(select(Invoice.number).where(
        Invoice.partner_id == partner_id, Invoice.direction == PAYABLE,
        Invoice.kind == INVOICE, Invoice.external_number == external).limit(1))
    if taken is not None:
        errors.append(FieldError("DUPLICATE_CODE",
                                 _("This supplier's invoice {external} is already entered "
                                   "as {number}"), field="externalNumber",
                                 external=external, number=taken))


def invoice_lines(session: Session, invoice_ids: Sequence[int],
                  ) -> dict[int, list[InvoiceLine]]:
    """The lines of each invoice, in order (one statement for all)."""
    found: dict[int, list[InvoiceLine]] = {i: [] for i in invoice_ids}
    for line in session.scalars(select(InvoiceLine)
                                .where(InvoiceLine.invoice_id.in_(set(invoice_ids)))
                                .order_by(InvoiceLine.invoice_id, InvoiceLine.position)):
        found[line.invoice_id].append(line)
    return found
