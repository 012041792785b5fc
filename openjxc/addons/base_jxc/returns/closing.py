"""Closing an inspected return with the customer: a credit note (红字发票) or a refund.

What is credited is what was **invoiced** of the returned goods.  The sales chapter bills
an order line's delivered quantity net of returns, so goods returned before they were
invoiced simply drop out of the next invoice; only the part the customer was already
billed for needs a credit note.  Per return line that is
``invoiced − credited by earlier returns − (delivered − returned)``, between zero and what
came back; goods returned without an order line are credited in full at the agreed price.

* ``credit_note``: a receivable credit note through ``invoicing.create_invoice`` — one line
  per credited return line, ``source_type="ReturnLine"``, priced from the sales order line;
  it corrects the customer's invoice for those order lines when there is exactly one, and
  settles what that invoice still has open.  Nothing invoiced: no credit note is needed.
* ``refund``: money back through ``invoicing.create_payment`` (``kind="refund"``): the
  credit note is issued as above, settles the invoice's open part, and the refund (by
  default all the rest) is allocated to it; without a credit note (goods paid for but never
  invoiced) the refund stands alone, at most what the returned goods are worth.  More is
  refused (``OVER_REFUND``).

Only an inspected return can be closed (``INVALID_STATE``).  Credit notes naming return
lines are checked whoever posts them (:func:`on_invoice_posted`): a receivable credit note
to the return's customer, never more than came back.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.models import utcnow
from openjxc.core.validation import check_decimal, check_text

from ..catalog.models import Product
from ..invoicing.amounts import line_amounts
from ..invoicing.events import InvoicePosted
from ..invoicing.models import (
    CREDIT_NOTE,
    INVOICE,
    PAYMENT_METHODS,
    RECEIVABLE,
    REFUND,
    Invoice,
    InvoiceLine,
)
from ..sales.models import SalesOrderLine
from .events import ReturnClosed
from .models import BY_CREDIT_NOTE, BY_REFUND, CLOSED, INSPECTED, ReturnLine, ReturnRequest
from .services import advance, invalid_state, lock_return, return_lines

SETTLEMENTS = (BY_CREDIT_NOTE, BY_REFUND)
ORIGIN = "sales.return"
SOURCE_TYPE = "ReturnLine"
ORDER_LINE_SOURCE = "SalesOrderLine"
ZERO = Decimal("0.00")


@dataclass
class _Credit:
    """What closing will credit: per return line a quantity, and the totals."""

    quantities: dict[int, Decimal]
    total: Decimal
    credited_invoice: Invoice | None

    @property
    def settles_invoice(self) -> Decimal:
        """What of the credited invoice the credit note settles: its open part, at most
        the credit."""
        invoice = self.credited_invoice
        if invoice is None or self.total <= 0:
            return ZERO
        return min(max(invoice.amount_total - invoice.amount_settled, ZERO), self.total)


def close_return(session: Session, return_id: int | None, *, settlement: str,
                 refund_amount: Decimal | None = None, method: str = "bank",
                 note: str = "", user_id: int | None = None) -> ReturnRequest:
    """Settle an inspected return by ``settlement`` (``credit_note`` or ``refund``).

    ``refund_amount`` (tax included) defaults to everything refundable; ``method`` is the
    refund's payment method.  Refused: a return not inspected (``INVALID_STATE``), an
    unknown settlement or method (``INVALID``), a refund above what is refundable
    (``OVER_REFUND``).  All or nothing.
    """
    errors: list[FieldError] = []
    if settlement not in SETTLEMENTS:
        errors.append(FieldError("INVALID", _("Close with a credit note or a refund"),
                                 field="settlement"))
    note = check_text(errors, note, "note", max_length=400)
    if settlement == BY_REFUND and method not in PAYMENT_METHODS:
        errors.append(FieldError("INVALID", _("Unknown payment method {method}"),
                                 field="method", method=str(method)[:16]))
    amount = None
    if refund_amount is not None:
        amount = check_decimal(errors, refund_amount, "refundAmount", places=2, minimum=None)
        if amount is not None and amount <= 0:
            errors.append(FieldError("INVALID", _("The refund must be greater than zero"),
                                     field="refundAmount"))
        elif settlement != BY_REFUND:
            errors.append(FieldError("INVALID", _("A refund amount needs a refund"),
                                     field="refundAmount"))
    if errors:
        raise ValidationFailed(errors)
    request = lock_return(session, return_id)
    if request.state != INSPECTED:
        raise invalid_state(request, "close")
    lines = return_lines(session, [request.id])[request.id]
    credit = _credit(session, request, lines)
    refund = None
    if settlement == BY_REFUND:
        refundable = (credit.total - credit.settles_invoice if credit.quantities
                      else goods_value(lines))
        refund = refundable if amount is None else amount
        if refund > refundable or refund <= 0:
            raise ValidationFailed(FieldError(
                "OVER_REFUND", _("{amount} to refund, but only {refundable} is refundable "
                                 "(what was paid for the returned goods)"),
                field="refundAmount", amount=f"{refund:f}", refundable=f"{refundable:f}"))
    with session.begin_nested():
        credit_note = _credit_note(session, request, lines, credit, note, user_id)
        refund_id = None
        if refund is not None:
            refund_id = _refund(session, request, refund, credit_note, method, note, user_id)
        settled = refund if refund is not None else credit.total
        advance(session, request, INSPECTED, "close", state=CLOSED, closed_at=utcnow(),
                closed_by_id=user_id, closed_with=settlement,
                credit_note_id=credit_note.id if credit_note is not None else None,
                refund_payment_id=refund_id, amount=settled)
    publish(session, ReturnClosed(
        return_id=request.id, code=request.code, customer_id=request.customer_id,
        closed_with=settlement, amount=settled,
        credit_note_id=credit_note.id if credit_note is not None else None,
        refund_payment_id=refund_id))
    return request


def goods_value(lines: list[ReturnLine]) -> Decimal:
    """What the returned goods are worth to the customer, tax included (Σ line totals)."""
    return sum((line_amounts(line.received_quantity, line.unit_price or ZERO,
                             line.tax_rate or ZERO)[2]
                for line in lines if line.received_quantity > 0), ZERO)


def _credit(session: Session, request: ReturnRequest, lines: list[ReturnLine]) -> _Credit:
    order_line_ids = {line.sales_order_line_id for line in lines if line.sales_order_line_id}
    billed: dict[int, Decimal] = {}
    if order_line_ids:
        # Locked first: another return of the same order line closing at the same time
        # waits, then sees what this one credited (else both would credit it).
        rows = session.execute(
            select(SalesOrderLine.id, SalesOrderLine.invoiced_quantity,
                   SalesOrderLine.delivered_quantity, SalesOrderLine.returned_quantity)
            .where(SalesOrderLine.id.in_(sorted(order_line_ids)))
            .order_by(SalesOrderLine.id).with_for_update()).all()
        credited = dict(session.execute(
            select(ReturnLine.sales_order_line_id, -func.sum(InvoiceLine.quantity))
            .join(InvoiceLine, (InvoiceLine.source_type == SOURCE_TYPE)
                  & (InvoiceLine.source_id == ReturnLine.id))
            .where(ReturnLine.sales_order_line_id.in_(order_line_ids))
            .group_by(ReturnLine.sales_order_line_id)).all())
        for row in rows:
            # Billed for goods the customer no longer has, and not credited yet.
            billed[row.id] = (row.invoiced_quantity - Decimal(credited.get(row.id) or 0)
                              - (row.delivered_quantity - row.returned_quantity))
    quantities: dict[int, Decimal] = {}
    total = ZERO
    for line in lines:
        quantity = line.received_quantity
        if line.sales_order_line_id is not None:
            quantity = min(quantity, max(billed.get(line.sales_order_line_id, ZERO), ZERO))
            billed[line.sales_order_line_id] = (billed.get(line.sales_order_line_id, ZERO)
                                                - quantity)
        if quantity > 0:
            quantities[line.id] = quantity
            total += line_amounts(quantity, line.unit_price or ZERO, line.tax_rate or ZERO)[2]
    invoice = _credited_invoice(session, request.customer_id,
                                [line for line in lines if line.id in quantities])
    return _Credit(quantities, total, invoice)


def _credited_invoice(session: Session, customer_id: int, lines: list[ReturnLine],
                      ) -> Invoice | None:
    """The customer's one invoice that billed these order lines, if there is exactly one."""
    order_lines = {line.sales_order_line_id for line in lines if line.sales_order_line_id}
    if not order_lines:
        return None
    found = list(session.scalars(
        select(Invoice).where(Invoice.id.in_(
            select(InvoiceLine.invoice_id)
            .where(InvoiceLine.source_type == ORDER_LINE_SOURCE,
                   InvoiceLine.source_id.in_(order_lines))),
            Invoice.partner_id == customer_id, Invoice.direction == RECEIVABLE,
            Invoice.kind == INVOICE)
        .limit(2).execution_options(populate_existing=True)))
    return found[0] if len(found) == 1 else None


def _credit_note(session: Session, request: ReturnRequest, lines: list[ReturnLine],
                 credit: _Credit, note: str, user_id: int | None) -> Invoice | None:
    from ..invoicing.services import InvoiceLineInput, allocate, create_invoice

    if not credit.quantities:
        return None
    names = dict(session.execute(select(Product.id, Product.name).where(
        Product.id.in_({line.product_id for line in lines}))).all())
    invoice = credit.credited_invoice
    settles = credit.settles_invoice
    credit_note = create_invoice(
        session, partner_id=request.customer_id, direction=RECEIVABLE, kind=CREDIT_NOTE,
        lines=[InvoiceLineInput(product_id=line.product_id,
                                description=names.get(line.product_id, "")[:200],
                                quantity=credit.quantities[line.id],
                                unit_price=line.unit_price or ZERO,
                                tax_rate=line.tax_rate or ZERO,
                                source_type=SOURCE_TYPE, source_id=line.id)
               for line in lines if line.id in credit.quantities],
        credited_invoice_id=invoice.id if invoice is not None else None,
        origin_type=ORIGIN, origin_id=request.id, note=note or request.code,
        user_id=user_id, field="lines")
    if invoice is not None and settles > 0:
        allocate(session, None, [(invoice.id, settles)], credit_note_id=credit_note.id,
                 user_id=user_id)
    return credit_note


def _refund(session: Session, request: ReturnRequest, amount: Decimal,
            credit_note: Invoice | None, method: str, note: str, user_id: int | None) -> int:
    from ..invoicing.services import create_payment

    payment = create_payment(
        session, partner_id=request.customer_id, direction=RECEIVABLE, amount=amount,
        kind=REFUND, method=method,
        allocations=[(credit_note.id, amount)] if credit_note is not None else (),
        reference=request.code, note=note, user_id=user_id)
    return payment.id


def on_invoice_posted(event: InvoicePosted, *, session: Session, env: Any) -> None:
    """Credit notes naming return lines (whoever posts them): a receivable credit note to
    the return's customer, never crediting more than came back of a line
    (``OVER_INVOICED``)."""
    mine = [(i, source_id, abs(Decimal(quantity)))
            for i, (_id, source_type, source_id, quantity) in enumerate(event.lines)
            if source_type == SOURCE_TYPE]
    if not mine:
        return
    ids = {source_id for _i, source_id, _q in mine if source_id is not None}
    rows = {r.id: r for r in session.execute(
        select(ReturnLine.id, ReturnLine.received_quantity, ReturnRequest.customer_id)
        .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
        .where(ReturnLine.id.in_(ids)))}
    credited = dict(session.execute(
        select(InvoiceLine.source_id, -func.sum(InvoiceLine.quantity))
        .where(InvoiceLine.source_type == SOURCE_TYPE, InvoiceLine.source_id.in_(ids))
        .group_by(InvoiceLine.source_id)).all())
    errors = []
    for i, source_id, _quantity in mine:
        at = ("lines", str(i), "sourceLineId")
        row = rows.get(source_id) if source_id is not None else None
        if row is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown return line"), field=at))
        elif (event.kind != CREDIT_NOTE or event.direction != RECEIVABLE
              or event.partner_id != row.customer_id):
            errors.append(FieldError("INVALID", _("A return line is credited by a credit note "
                                                  "to its customer"), field=at))
        elif Decimal(credited.get(row.id) or 0) > row.received_quantity:
            errors.append(FieldError("OVER_INVOICED",
                                     _("More is credited than came back"), field=at))
    if errors:
        raise ValidationFailed(errors)
