"""Purchase returns (采购退货): goods go back from stock, a bin or quarantine to the
supplier location at cost (the stock engine's value: a serial unit's own cost, else the
moving average), origin ``purchase.return``::

    create_purchase_return(session, order_id=order.id, reason="质量问题", lines=[
        PurchaseReturnLineInput(order_line_id=line.id, quantity=Decimal(1),
                                serials=["YE3-0003"], from_location_id=quarantine.id)],
        user_id=clerk.id)

A line naming an order line returns goods received on it, never more: from stock or a bin
at most what was accepted and not yet returned (``returned_quantity`` grows), from
quarantine at most what inspection rejected into it and was not yet returned.  Serial units
must have come in on that order.  A line without an order line returns any product of the
warehouse to the supplier.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.validation import check_decimal, check_text

from ..catalog.models import Product
from ..numbering import next_document_number
from ..stock.models import Batch, Location, SerialNumber, StockMove, StockMoveSerial
from ..stock.posting import MoveLine, business_today, post_moves
from ..stock.serials import expand_serials
from ..stock.warehouses import company_location, warehouse_location
from .events import PurchaseReturned
from .labels import order_state
from .models import (
    CANCELLED,
    DRAFT,
    REJECT_TO_QUARANTINE,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
    PurchaseReceiptLine,
    PurchaseReturn,
    PurchaseReturnLine,
)
from .orders import check_supplier, check_warehouse, lock_order, order_lines
from .receiving import ORIGIN as RECEIPT_ORIGIN

ORIGIN = "purchase.return"
NUMBER_PREFIX = "CT"
MAX_LINES = 500
RETURN_FROM = ("internal", "quarantine")


@dataclass
class PurchaseReturnLineInput:
    """Goods to send back.  ``product_id`` defaults to the order line's;
    ``from_location_id`` (stock, a bin or quarantine of the warehouse) to its main stock."""

    quantity: Decimal
    product_id: int | None = None
    order_line_id: int | None = None
    from_location_id: int | None = None
    batch_number: str | None = None
    serials: Sequence[str] = ()


@dataclass
class _Line:
    at: tuple[str, ...]
    product: Product
    quantity: Decimal
    location: Location
    order_line: PurchaseOrderLine | None
    batch_number: str | None
    serials: list[str]


def create_purchase_return(session: Session, *, lines: Sequence[PurchaseReturnLineInput],
                           order_id: int | None = None, supplier_id: int | None = None,
                           warehouse_id: int | None = None, reason: str = "",
                           return_date: date | None = None,
                           user_id: int | None = None) -> PurchaseReturn:
    """Record a return (``CT-…``) and post its moves to the supplier location; all lines
    or none.  With an order, its supplier and warehouse are the return's.  Refusals:
    ``NOT_FOUND``, ``INVALID_STATE``, ``INVALID_LOCATION``, ``OVER_RETURN``,
    ``SERIAL_NOT_RECEIVED`` and the stock engine's codes (``INSUFFICIENT_STOCK`` …)."""
    errors: list[FieldError] = []
    reason = check_text(errors, reason, "reason", max_length=400)
    today = business_today(session)
    day = return_date or today
    if day > today:
        errors.append(FieldError("INVALID", _("A return cannot be dated in the future"),
                                 field="returnDate"))
    if not lines:
        errors.append(FieldError("REQUIRED", _("At least one line is required"), field="lines"))
    elif len(lines) > MAX_LINES:
        errors.append(FieldError("INVALID", _("At most {max} lines"), field="lines",
                                 max=MAX_LINES))
    lines = lines[:MAX_LINES]
    before = len(errors)
    order = _order(session, errors, order_id, lines)
    if len(errors) > before:
        raise ValidationFailed(errors)
    if order is not None:
        supplier_id = supplier_id or order.supplier_id
        warehouse_id = warehouse_id or order.warehouse_id
        if supplier_id != order.supplier_id:
            errors.append(FieldError("INVALID", _("The order is from another supplier"),
                                     field="supplierCode"))
        if warehouse_id != order.warehouse_id:
            errors.append(FieldError("INVALID", _("The order is for another warehouse"),
                                     field="warehouseCode"))
    supplier = check_supplier(session, errors, supplier_id)
    warehouse = check_warehouse(session, errors, warehouse_id)
    if warehouse is None or errors:
        raise ValidationFailed(errors)
    checked = _check_lines(session, errors, lines, order, warehouse.id)
    if errors:
        raise ValidationFailed(errors)
    assert supplier is not None
    document = PurchaseReturn(number=next_document_number(session, PurchaseReturn.number,
                                                          NUMBER_PREFIX),
                              supplier_id=supplier.id,
                              order_id=order.id if order is not None else None,
                              warehouse_id=warehouse.id, return_date=day, reason=reason,
                              created_by_id=user_id)
    session.add(document)
    session.flush()
    target = company_location(session, "supplier").id
    moves = [MoveLine(product_id=c.product.id, quantity=c.quantity,
                      from_location_id=c.location.id, to_location_id=target,
                      batch_number=c.batch_number, serials=c.serials, note=reason)
             for c in checked]
    try:
        posted = post_moves(session, moves, move_date=day, origin_type=ORIGIN,
                            origin_id=document.id, reference=document.number,
                            user_id=user_id, field="moves")
    except ValidationFailed as exc:
        raise ValidationFailed([_relocated(e, checked) for e in exc.errors]) from None
    batch_ids = _batch_ids(session, checked)
    if order is not None:  # posting expired the order lines: reload them in one statement
        order_lines(session, [order.id])
    for position, (c, move_id, value) in enumerate(
            zip(checked, posted.move_ids, posted.values, strict=True), start=1):
        session.add(PurchaseReturnLine(
            return_id=document.id, position=position,
            order_line_id=c.order_line.id if c.order_line is not None else None,
            product_id=c.product.id, quantity=c.quantity,
            batch_id=batch_ids.get((c.product.id, c.batch_number or "")),
            from_location_id=c.location.id,
            move_id=move_id, value=value))
        if c.order_line is not None and c.location.kind == "internal":
            c.order_line.returned_quantity += c.quantity
    session.flush()
    publish(session, PurchaseReturned(return_id=document.id, supplier_id=supplier.id,
                                      move_ids=tuple(posted.move_ids)))
    return document


def _order(session: Session, errors: list[FieldError], order_id: int | None,
           lines: Sequence[PurchaseReturnLineInput]) -> PurchaseOrder | None:
    """The order returned against: the one given, else the one the order lines belong to."""
    if order_id is None:
        line_ids = {line.order_line_id for line in lines if line.order_line_id is not None}
        found = set(session.scalars(select(PurchaseOrderLine.order_id)
                                    .where(PurchaseOrderLine.id.in_(line_ids))))
        if len(found) > 1:
            errors.append(FieldError("INVALID", _("A return takes goods of one order only"),
                                     field="lines"))
            return None
        if not found:
            return None
        order_id = found.pop()
    try:
        order = lock_order(session, order_id)
    except ValidationFailed:
        errors.append(FieldError("NOT_FOUND", _("Unknown purchase order"), field="orderId"))
        return None
    if order.state in (DRAFT, CANCELLED):
        errors.append(FieldError("INVALID_STATE",
                                 _("Order {number} is {state}: nothing was received on it"),
                                 field="orderId", number=order.number,
                                 state=order_state(order.state)))
        return None
    return order


def _check_lines(session: Session, errors: list[FieldError],
                 lines: Sequence[PurchaseReturnLineInput], order: PurchaseOrder | None,
                 warehouse_id: int) -> list[_Line]:
    own: dict[int, PurchaseOrderLine] = {}
    if order is not None:
        own = {line.id: line for line in session.scalars(
            select(PurchaseOrderLine).where(PurchaseOrderLine.order_id == order.id)
            .with_for_update().execution_options(populate_existing=True))}
    wanted = {line.product_id for line in lines if line.product_id is not None}
    wanted |= {line.product_id for line in own.values()}
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(wanted)))}
    places = {loc.id: loc for loc in session.scalars(select(Location).where(
        Location.id.in_({line.from_location_id for line in lines if line.from_location_id})))}
    stock = warehouse_location(session, warehouse_id, "internal")
    checked = []
    for i, entry in enumerate(lines):
        at = ("lines", str(i))
        before = len(errors)
        order_line = None
        product_id = entry.product_id
        if entry.order_line_id is not None:
            order_line = own.get(entry.order_line_id)
            if order_line is None:
                errors.append(FieldError("NOT_FOUND", _("This line is not part of the order"),
                                         field=(*at, "orderLineId")))
                continue
            if product_id is not None and product_id != order_line.product_id:
                errors.append(FieldError("INVALID", _("The order line is for another product"),
                                         field=(*at, "productCode")))
            product_id = order_line.product_id
        product = products.get(product_id) if product_id is not None else None
        if product is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown product"),
                                     field=(*at, "productCode")))
        quantity = check_decimal(errors, entry.quantity, (*at, "quantity"), places=4,
                                 minimum=None)
        if quantity is not None and quantity <= 0:
            errors.append(FieldError("INVALID_QUANTITY", _("Quantity must be greater than zero"),
                                     field=(*at, "quantity")))
        location = stock
        if entry.from_location_id is not None:
            found = places.get(entry.from_location_id)
            if found is None:
                errors.append(FieldError("NOT_FOUND", _("Unknown location"),
                                         field=(*at, "fromLocationCode")))
            elif found.warehouse_id != warehouse_id or found.kind not in RETURN_FROM:
                errors.append(FieldError("INVALID_LOCATION",
                                         _("Goods go back from stock, a bin or the quarantine "
                                           "of the return's warehouse, not {location}"),
                                         field=(*at, "fromLocationCode"),
                                         location=found.code))
            else:
                location = found
        batch = check_text(errors, entry.batch_number, (*at, "batchNumber"), max_length=64)
        serials = expand_serials(entry.serials, errors, (*at, "serials"))
        if len(errors) == before and product is not None and quantity is not None:
            checked.append(_Line(at, product, quantity, location, order_line, batch or None,
                                 serials))
    if not errors and order is not None:
        _check_limits(session, errors, order, checked)
        _check_serials_came_in(session, errors, order, checked)
    return checked


def _check_limits(session: Session, errors: list[FieldError], order: PurchaseOrder,
                  checked: list[_Line]) -> None:
    """Never more back than came in on the order line, from stock and from quarantine."""
    wanted: dict[tuple[int, bool], Decimal] = {}
    last: dict[tuple[int, bool], _Line] = {}
    for c in checked:
        if c.order_line is None:
            continue
        key = (c.order_line.id, c.location.kind == "quarantine")
        wanted[key] = wanted.get(key, Decimal(0)) + c.quantity
        last[key] = c
    if not wanted:
        return
    rejected, returned = quarantine_balances(session, order.id)
    for (line_id, quarantine), quantity in wanted.items():
        line = last[(line_id, quarantine)].order_line
        assert line is not None
        if quarantine:
            left = rejected.get(line_id, Decimal(0)) - returned.get(line_id, Decimal(0))
        else:
            left = line.received_quantity - line.returned_quantity
        if quantity > left:
            message = (_("Only {left} rejected into quarantine on this order line can go "
                         "back from there") if quarantine else
                       _("Only {left} accepted on this order line and not yet returned can "
                         "go back"))
            errors.append(FieldError("OVER_RETURN", message,
                                     field=(*last[(line_id, quarantine)].at, "quantity"),
                                     left=f"{max(left, Decimal(0)).normalize():f}"))


def quarantine_balances(session: Session, order_id: int,
                        ) -> tuple[dict[int, Decimal], dict[int, Decimal]]:
    """Per order line: rejected into quarantine at receipt, and returned from quarantine."""
    rejected = dict(session.execute(
        select(PurchaseReceiptLine.order_line_id, func.sum(PurchaseReceiptLine.rejected_quantity))
        .join(PurchaseReceipt, PurchaseReceipt.id == PurchaseReceiptLine.receipt_id)
        .where(PurchaseReceipt.order_id == order_id,
               PurchaseReceiptLine.rejected_to == REJECT_TO_QUARANTINE)
        .group_by(PurchaseReceiptLine.order_line_id)).all())
    returned = dict(session.execute(
        select(PurchaseReturnLine.order_line_id, func.sum(PurchaseReturnLine.quantity))
        .join(PurchaseReturn, PurchaseReturn.id == PurchaseReturnLine.return_id)
        .join(Location, Location.id == PurchaseReturnLine.from_location_id)
        .where(PurchaseReturn.order_id == order_id, Location.kind == "quarantine")
        .group_by(PurchaseReturnLine.order_line_id)).all())
    return ({k: Decimal(v) for k, v in rejected.items()},
            {k: Decimal(v) for k, v in returned.items() if k is not None})


def _check_serials_came_in(session: Session, errors: list[FieldError], order: PurchaseOrder,
                           checked: list[_Line]) -> None:
    """Serial units returned against an order line came in on that order."""
    wanted = {(c.product.id, n) for c in checked if c.order_line is not None for n in c.serials}
    if not wanted:
        return
    receipts = select(PurchaseReceipt.id).where(PurchaseReceipt.order_id == order.id)
    came_in = {(product_id, number) for product_id, number in session.execute(
        select(SerialNumber.product_id, SerialNumber.number)
        .join(StockMoveSerial, StockMoveSerial.serial_id == SerialNumber.id)
        .join(StockMove, StockMove.id == StockMoveSerial.move_id)
        .where(StockMove.origin_type == RECEIPT_ORIGIN, StockMove.origin_id.in_(receipts),
               SerialNumber.number.in_({n for _p, n in wanted})))}
    for c in checked:
        if c.order_line is None:
            continue
        for number in c.serials:
            if (c.product.id, number) not in came_in:
                errors.append(FieldError("SERIAL_NOT_RECEIVED",
                                         _("Serial number {serial} did not come in on this "
                                           "order"), field=(*c.at, "serials"), serial=number))


def _batch_ids(session: Session, checked: list[_Line]) -> dict[tuple[int, str], int]:
    wanted = {(c.product.id, c.batch_number) for c in checked if c.batch_number}
    if not wanted:
        return {}
    return {(r.product_id, r.number): r.id for r in session.execute(
        select(Batch.product_id, Batch.number, Batch.id)
        .where(tuple_(Batch.product_id, Batch.number).in_(wanted)))}


def _relocated(error: FieldError, checked: list[_Line]) -> FieldError:
    """An engine error at ``moves.<k>.<attr>`` said at the return line it came from."""
    path = list(error.field)
    if len(path) >= 2 and path[0] == "moves" and path[1].isdigit():
        attr = ["batchNumber" if a == "batch" else a for a in path[2:]]
        return FieldError(error.code, error.message, field=(*checked[int(path[1])].at, *attr),
                          **error.params)
    return error
