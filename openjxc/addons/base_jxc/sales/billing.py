"""Invoicing what was delivered, and keeping each order line's invoiced quantity.

:func:`invoice_sales_order` bills the delivered-not-invoiced quantities of an order (or the
quantities given per line) through ``invoicing.services.create_invoice``, each invoice
line naming its order line (``source_type="SalesOrderLine"``).  Whatever creates the
invoice — this function or ``invoiceCreate`` with a ``sourceLineId`` — the invoiced
quantity is kept by :func:`on_invoice_posted`, which listens to ``InvoicePosted`` in the
same transaction and refuses (``OVER_INVOICED``) to bill more than was delivered (net of
returns): a guarded increment, so two invoices racing for the same line cannot both pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.validation import check_decimal, check_text

from ..invoicing.events import InvoicePosted
from ..invoicing.models import CREDIT_NOTE, RECEIVABLE, Invoice
from ..invoicing.services import InvoiceLineInput, create_invoice
from . import statements
from .models import CANCELLED, DRAFT
from .orders import expire_lines, invalid_state

SOURCE_TYPE = "SalesOrderLine"
ORIGIN = "sales.order"


@dataclass
class InvoiceQuantityInput:
    """How much of one order line to invoice (empty: all delivered and not yet invoiced)."""

    order_line_id: int | None
    quantity: Decimal | None = None


class BilledLine(Protocol):
    """What billing reads of an order line (a :class:`SalesOrderLine` or a row of it)."""

    @property
    def delivered_quantity(self) -> Decimal: ...
    @property
    def returned_quantity(self) -> Decimal: ...
    @property
    def invoiced_quantity(self) -> Decimal: ...


class _Line(NamedTuple):
    """An order line as billing reads it."""

    id: int
    product_id: int
    description: str
    unit_price: Decimal
    tax_rate: Decimal
    delivered_quantity: Decimal
    returned_quantity: Decimal
    invoiced_quantity: Decimal


def invoiceable(line: BilledLine) -> Decimal:
    """Delivered, net of returns, and not invoiced yet."""
    return max(line.delivered_quantity - line.returned_quantity - line.invoiced_quantity,
               Decimal(0))


def invoice_sales_order(session: Session, order_id: int | None, *,
                        lines: Sequence[InvoiceQuantityInput] | None = None,
                        invoice_date: date | None = None, due_date: date | None = None,
                        external_number: str = "", note: str = "",
                        user_id: int | None = None) -> Invoice:
    """Invoice an order's delivered goods at the order's prices and tax rates; due by the
    customer's payment terms unless ``due_date`` is given."""
    rows = (session.execute(statements.lock_order_to_bill(), {"id": order_id}).all()
            if order_id is not None else [])
    if not rows:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown sales order"), field="id"))
    order = rows[0]
    own = [_Line(r.line_id, r.product_id, r.description, r.unit_price, r.tax_rate,
                 r.delivered_quantity, r.returned_quantity, r.invoiced_quantity)
           for r in rows if r.line_id is not None]
    if order.state in (DRAFT, CANCELLED):
        raise invalid_state(order, _("Sales order {number} is {state}: nothing was delivered "
                                     "to invoice"))
    errors: list[FieldError] = []
    external_number = check_text(errors, external_number, "externalNumber", max_length=32)
    note = check_text(errors, note, "note", max_length=400)
    billed = _quantities(errors, own, lines)
    if errors:
        raise ValidationFailed(errors)
    inputs = [InvoiceLineInput(product_id=line.product_id, description=line.description,
                               quantity=quantity, unit_price=line.unit_price,
                               tax_rate=line.tax_rate, source_type=SOURCE_TYPE,
                               source_id=line.id)
              for line, quantity in billed]
    # The lines were just read under the order's lock: what on_invoice_posted checks the
    # invoice against, handed to it instead of read again.
    session.info[_BILLED_KEY] = {line.id: _Billed(line.id, line.delivered_quantity,
                                                  line.returned_quantity,
                                                  line.invoiced_quantity, order.customer_id)
                                 for line, _quantity in billed}
    try:
        return create_invoice(session, partner_id=order.customer_id, direction=RECEIVABLE,
                              lines=inputs, invoice_date=invoice_date, due_date=due_date,
                              external_number=external_number, origin_type=ORIGIN,
                              origin_id=order.id, note=note or order.number, user_id=user_id)
    finally:
        session.info.pop(_BILLED_KEY, None)


#: ``session.info`` key of the order lines :func:`invoice_sales_order` is billing.
_BILLED_KEY = "jxc.sales.billing.lines"


class _Billed(NamedTuple):
    """What :func:`on_invoice_posted` checks of an order line (:func:`statements.billed_lines`)."""

    id: int
    delivered_quantity: Decimal
    returned_quantity: Decimal
    invoiced_quantity: Decimal
    customer_id: int


def _quantities(errors: list[FieldError], own: list[_Line],
                lines: Sequence[InvoiceQuantityInput] | None,
                ) -> list[tuple[_Line, Decimal]]:
    if not lines:
        billed = [(line, invoiceable(line)) for line in own if invoiceable(line) > 0]
        if not billed:
            errors.append(FieldError("NOTHING_TO_INVOICE",
                                     _("Everything delivered was invoiced already"),
                                     field="lines"))
        return billed
    by_id = {line.id: line for line in own}
    seen: set[int] = set()
    billed = []
    for i, entry in enumerate(lines):
        at = ("lines", str(i))
        line = by_id.get(entry.order_line_id) if entry.order_line_id is not None else None
        if line is None:
            errors.append(FieldError("NOT_FOUND", _("This line is not part of the order"),
                                     field=(*at, "orderLine")))
            continue
        if line.id in seen:
            errors.append(FieldError("INVALID", _("A line is listed twice"),
                                     field=(*at, "orderLine")))
            continue
        seen.add(line.id)
        open_quantity = invoiceable(line)
        quantity: Decimal | None = open_quantity
        if entry.quantity is None and open_quantity <= 0:
            errors.append(FieldError("NOTHING_TO_INVOICE",
                                     _("Everything delivered on this line was invoiced "
                                       "already"), field=(*at, "orderLine")))
            continue
        if entry.quantity is not None:
            quantity = check_decimal(errors, entry.quantity, (*at, "quantity"), places=4,
                                     minimum=None)
        if quantity is None:
            continue
        if quantity <= 0:
            errors.append(FieldError("INVALID_QUANTITY", _("Quantity must be greater than zero"),
                                     field=(*at, "quantity")))
        elif quantity > open_quantity:
            errors.append(_over(at, quantity, open_quantity))
        else:
            billed.append((line, quantity))
    return billed


def _over(at: tuple[str, ...], quantity: Decimal, open_quantity: Decimal) -> FieldError:
    return FieldError("OVER_INVOICED",
                      _("{wanted} to invoice but only {left} delivered and not invoiced"),
                      field=(*at, "quantity"), wanted=f"{quantity.normalize():f}",
                      left=f"{open_quantity.normalize():f}")


def on_invoice_posted(event: InvoicePosted, *, session: Session, env: Any) -> None:
    """Add each billed quantity to its order line; refuse the invoice when a line would be
    invoiced beyond what was delivered (net of returns), when the line belongs to another
    customer's order, or when a credit note takes back more than was invoiced."""
    mine = [(i, source_id, quantity) for i, (_line, source_type, source_id, quantity)
            in enumerate(event.lines) if source_type == SOURCE_TYPE]
    if not mine:
        return
    sign = -1 if event.kind == CREDIT_NOTE else 1
    deltas = [(i, source_id, sign * abs(Decimal(quantity))) for i, source_id, quantity in mine]
    wanted = {s for _i, s, _q in deltas if s is not None}
    known: dict[int, Any] = session.info.get(_BILLED_KEY) or {}
    if wanted.issubset(known):  # billed by invoice_sales_order: read under its lock
        rows = {i: known[i] for i in wanted}
    else:
        rows = {r.id: r for r in session.execute(statements.billed_lines(),
                                                 {"ids": sorted(wanted)})}
    errors: list[FieldError] = []
    pending: dict[int, Decimal] = {}
    for i, source_id, delta in deltas:
        at = ("lines", str(i))
        row = rows.get(source_id) if source_id is not None else None
        if row is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown sales order line"),
                                     field=(*at, "sourceLine")))
            continue
        if event.direction != RECEIVABLE or row.customer_id != event.partner_id:
            errors.append(FieldError("INVALID", _("This sales order line is another "
                                                  "customer's"), field=(*at, "sourceLine")))
            continue
        invoiced = row.invoiced_quantity + pending.get(row.id, Decimal(0)) + delta
        limit = row.delivered_quantity - row.returned_quantity
        if delta > 0 and invoiced > limit:
            errors.append(_over(at, delta, max(limit - invoiced + delta, Decimal(0))))
        elif invoiced < 0:
            errors.append(FieldError("OVER_INVOICED", _("More is credited than was invoiced"),
                                     field=(*at, "quantity")))
        pending[row.id] = pending.get(row.id, Decimal(0)) + delta
    if errors:
        raise ValidationFailed(errors)
    _apply(session, pending)


def _apply(session: Session, deltas: dict[int, Decimal]) -> None:
    """Guarded increments: a concurrent invoice of the same line makes one of them fail."""
    done = session.execute(statements.add_invoiced(),
                           [{"lid": lid, "q": q} for lid, q in deltas.items()])
    if done.rowcount != len(deltas):  # type: ignore[attr-defined]
        raise ValidationFailed(FieldError(
            "OVER_INVOICED", _("These goods were invoiced meanwhile by someone else"),
            field="lines"))
    session.execute(statements.mark_unbilled(), {"lines": sorted(deltas)})
    expire_lines(session, deltas)
