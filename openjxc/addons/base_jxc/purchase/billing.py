"""Supplier invoices (采购发票) for what an order received.

:func:`invoice_purchase_order` bills the received-and-not-invoiced quantities of an
order's lines through ``invoicing.create_invoice`` (a payable invoice, each line naming its
``PurchaseOrderLine``).  Whoever posts an invoice — this service or ``invoiceCreate`` with a
``sourceLineId`` — the order lines keep count through :func:`on_invoice_posted`, which
refuses (``OVER_INVOICED``) to bill more than was accepted and kept (received − returned),
and lowers the count again for a credit note::

    invoice = invoice_purchase_order(session, order.id, external_number="04512345",
                                     user_id=accountant.id)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.validation import check_decimal

from ..catalog.models import Product
from ..invoicing.events import InvoicePosted
from ..invoicing.models import Invoice
from ..invoicing.services import InvoiceLineInput, create_invoice
from .labels import order_state
from .models import CANCELLED, DRAFT, PurchaseOrder, PurchaseOrderLine
from .orders import invalid_state, lock_order, order_lines

SOURCE_TYPE = "PurchaseOrderLine"
ORIGIN = "purchase.order"
PAYABLE = "payable"


@dataclass
class InvoiceQuantity:
    """Bill ``quantity`` of one order line (empty: all it has to bill)."""

    order_line_id: int | None
    quantity: Decimal | None = None


def billable(line: PurchaseOrderLine) -> Decimal:
    """What an order line may still be billed: accepted − returned − invoiced."""
    return max(line.received_quantity - line.returned_quantity - line.invoiced_quantity,
               Decimal(0))


def invoice_purchase_order(session: Session, order_id: int | None, *,
                           lines: Sequence[InvoiceQuantity] | None = None,
                           external_number: str = "", invoice_date: date | None = None,
                           due_date: date | None = None, note: str = "",
                           user_id: int | None = None) -> Invoice:
    """Post the supplier's invoice for an order: the lines given, or every line with
    something to bill (``NOTHING_TO_INVOICE`` when there is none); priced as ordered."""
    order = lock_order(session, order_id)
    if order.state in (DRAFT, CANCELLED):
        raise invalid_state(order, "invoice")
    own = order_lines(session, [order.id], lock=True)[order.id]
    errors: list[FieldError] = []
    wanted = _wanted(errors, own, lines)
    if errors:
        raise ValidationFailed(errors)
    if not wanted:
        raise ValidationFailed(FieldError("NOTHING_TO_INVOICE",
                                          _("Order {number} has nothing received that is not "
                                            "invoiced yet"), field="id", number=order.number))
    products = {p.id: p for p in session.scalars(
        select(Product).where(Product.id.in_({line.product_id for line, _q in wanted})))}
    inputs = [InvoiceLineInput(
        product_id=line.product_id,
        description=f"{products[line.product_id].code} {products[line.product_id].name}"[:200],
        quantity=quantity, unit_price=line.unit_price, tax_rate=line.tax_rate,
        source_type=SOURCE_TYPE, source_id=line.id) for line, quantity in wanted]
    return create_invoice(session, partner_id=order.supplier_id, direction=PAYABLE,
                          lines=inputs, invoice_date=invoice_date, due_date=due_date,
                          external_number=external_number, origin_type=ORIGIN,
                          origin_id=order.id, note=note, user_id=user_id)


def _wanted(errors: list[FieldError], own: list[PurchaseOrderLine],
            lines: Sequence[InvoiceQuantity] | None,
            ) -> list[tuple[PurchaseOrderLine, Decimal]]:
    if lines is None or not lines:
        return [(line, billable(line)) for line in own if billable(line) > 0]
    by_id = {line.id: line for line in own}
    seen: set[int] = set()
    wanted = []
    for i, entry in enumerate(lines):
        at = ("lines", str(i))
        line = by_id.get(entry.order_line_id) if entry.order_line_id is not None else None
        if line is None:
            errors.append(FieldError("NOT_FOUND", _("This line is not part of the order"),
                                     field=(*at, "orderLineId")))
            continue
        if line.id in seen:
            errors.append(FieldError("INVALID", _("A line is listed twice"),
                                     field=(*at, "orderLineId")))
            continue
        seen.add(line.id)
        open_quantity = billable(line)
        quantity = open_quantity
        if entry.quantity is not None:
            given = check_decimal(errors, entry.quantity, (*at, "quantity"), places=4,
                                  minimum=None)
            if given is None:
                continue
            if given <= 0:
                errors.append(FieldError("INVALID_QUANTITY",
                                         _("Quantity must be greater than zero"),
                                         field=(*at, "quantity")))
                continue
            quantity = given
        if quantity > open_quantity or quantity <= 0:
            errors.append(_over_invoiced((*at, "quantity"), open_quantity))
            continue
        wanted.append((line, quantity))
    return wanted


def _over_invoiced(at: tuple[str, ...], left: Decimal) -> FieldError:
    return FieldError("OVER_INVOICED",
                      _("Only {left} received and not yet invoiced can be billed"),
                      field=at, left=f"{max(left, Decimal(0)).normalize():f}")


def on_invoice_posted(event: InvoicePosted, *, session: Session, env: Any) -> None:
    """Keep ``invoiced_quantity`` of the purchase order lines an invoice bills (in its
    transaction); refuse the invoice when a line would be billed beyond what was received
    and kept, or credited below zero, or billed to another partner or as a receivable."""
    mine = [(i, source_id, quantity) for i, (_line, source_type, source_id, quantity)
            in enumerate(event.lines) if source_type == SOURCE_TYPE]
    if not mine:
        return
    ids = {source_id for _i, source_id, _q in mine if source_id is not None}
    rows = {line.id: (line, order) for line, order in session.execute(
        select(PurchaseOrderLine, PurchaseOrder)
        .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.order_id)
        .where(PurchaseOrderLine.id.in_(ids)).order_by(PurchaseOrderLine.id)
        .with_for_update().execution_options(populate_existing=True))}
    errors: list[FieldError] = []
    for i, source_id, quantity in mine:
        at = ("lines", str(i))
        found = rows.get(source_id) if source_id is not None else None
        if found is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown purchase order line"),
                                     field=(*at, "sourceLineId")))
            continue
        line, order = found
        if event.direction != PAYABLE:
            errors.append(FieldError("INVALID", _("A purchase order line is billed on a "
                                                  "payable invoice"),
                                     field=(*at, "sourceLineId")))
        elif order.supplier_id != event.partner_id:
            errors.append(FieldError("INVALID", _("Order {number} is from another supplier"),
                                     field=(*at, "sourceLineId"), number=order.number))
        elif order.state in (DRAFT, CANCELLED):
            errors.append(FieldError("INVALID_STATE",
                                     _("Order {number} is {state}: it cannot be invoiced"),
                                     field=(*at, "sourceLineId"), number=order.number,
                                     state=order_state(order.state)))
        else:
            kept = line.received_quantity - line.returned_quantity
            invoiced = line.invoiced_quantity + quantity
            if quantity > 0 and invoiced > kept:
                errors.append(_over_invoiced((*at, "quantity"), kept - line.invoiced_quantity))
            elif invoiced < 0:
                errors.append(FieldError("OVER_INVOICED",
                                         _("Only {left} invoiced on this order line can be "
                                           "credited"), field=(*at, "quantity"),
                                         left=f"{line.invoiced_quantity.normalize():f}"))
            else:
                line.invoiced_quantity = invoiced
    if errors:
        raise ValidationFailed(errors)
    session.flush()
