"""Receiving goods against an approved order, with inspection (入库验收).

Per order line the receiver says what arrived (``quantity``) and how much of it inspection
rejected (``rejected_quantity``).  The accepted goods move from the supplier location to
the warehouse's stock (or a bin) at the order line's tax-exclusive unit price; rejected
goods either go to the warehouse's quarantine (to be returned or re-inspected later) or
are refused at the door (``rejected_to="supplier"``: the carrier takes them back, nothing
moves).  Serial units and batches are named as for any stock move::

    receive_purchase_order(session, order.id, lines=[
        ReceiptLineInput(order_line_id=line.id, quantity=Decimal(3),
                         rejected_quantity=Decimal(1), reject_reason="外壳破损",
                         serials=["YE3-0001..0002"], rejected_serials=["YE3-0003"])],
        user_id=clerk.id)

More accepted than ordered is refused (``OVER_RECEIPT``) unless within the policy
``purchase.receipt_tolerance``.  An order whose every line is fully accepted is
``received``; otherwise ``partly_received``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.validation import check_decimal, check_text

from ..catalog.models import Product
from ..numbering import next_document_number
from ..policies.services import get_policy
from ..stock.models import Batch, Location
from ..stock.posting import MoveLine, business_today, post_moves
from ..stock.serials import expand_serials
from ..stock.warehouses import company_location, warehouse_location
from .events import PurchaseReceived
from .models import (
    APPROVED,
    DRAFT,
    PARTLY_RECEIVED,
    RECEIVED,
    REJECT_TO_QUARANTINE,
    REJECT_TO_SUPPLIER,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseReceipt,
    PurchaseReceiptLine,
)
from .orders import invalid_state, lock_order, order_lines

ORIGIN = "purchase.receipt"
NUMBER_PREFIX = "RK"
MAX_LINES = 500


@dataclass
class ReceiptLineInput:
    """What arrived of one order line.  ``serials`` are the accepted units,
    ``rejected_serials`` those rejected into quarantine."""

    order_line_id: int | None
    quantity: Decimal
    rejected_quantity: Decimal = Decimal(0)
    rejected_to: str = REJECT_TO_QUARANTINE
    reject_reason: str = ""
    serials: Sequence[str] = ()
    rejected_serials: Sequence[str] = ()
    batch_number: str | None = None
    manufactured_on: date | None = None
    expires_on: date | None = None
    #: A stock location (bin) of the order's warehouse; empty: the receipt's default.
    location_id: int | None = None


@dataclass
class _Arrival:
    at: tuple[str, ...]
    line: PurchaseOrderLine
    quantity: Decimal
    rejected: Decimal
    rejected_to: str
    reason: str
    serials: list[str]
    rejected_serials: list[str]
    batch_number: str | None
    location_id: int
    entry: ReceiptLineInput
    move_ids: dict[str, int] = field(default_factory=dict)

    @property
    def accepted(self) -> Decimal:
        return self.quantity - self.rejected


def receive_purchase_order(session: Session, order_id: int | None, *,
                           lines: Sequence[ReceiptLineInput], receipt_date: date | None = None,
                           location_id: int | None = None, note: str = "",
                           user_id: int | None = None) -> PurchaseReceipt:
    """Record a receipt (``RK-…``) and post its moves (origin ``purchase.receipt``); all
    lines or none.  Refusals: ``APPROVAL_REQUIRED`` (a draft), ``INVALID_STATE``,
    ``OVER_RECEIPT``, ``INVALID_LOCATION``, the stock engine's serial and batch codes."""
    order = lock_order(session, order_id)
    if order.state == DRAFT:
        raise ValidationFailed(FieldError("APPROVAL_REQUIRED",
                                          _("Order {number} is not approved yet"),
                                          field="id", number=order.number))
    if order.state not in (APPROVED, PARTLY_RECEIVED, RECEIVED):
        raise invalid_state(order, "receive")
    errors: list[FieldError] = []
    note = check_text(errors, note, "note", max_length=400)
    today = business_today(session)
    day = receipt_date or today
    if day > today:
        errors.append(FieldError("INVALID", _("A receipt cannot be dated in the future"),
                                 field="receiptDate"))
    stock = warehouse_location(session, order.warehouse_id, "internal").id
    default_to = _destination(session, errors, order, location_id, ("locationCode",)) or stock
    if not lines:
        errors.append(FieldError("REQUIRED", _("At least one line is required"), field="lines"))
    elif len(lines) > MAX_LINES:
        errors.append(FieldError("INVALID", _("At most {max} lines"), field="lines",
                                 max=MAX_LINES))
    own = {line.id: line for line in order_lines(session, [order.id], lock=True)[order.id]}
    products = {p.id: p for p in session.scalars(
        select(Product).where(Product.id.in_({line.product_id for line in own.values()})))}
    arrivals = []
    for i, entry in enumerate(lines[:MAX_LINES]):
        arrival = _arrival(session, errors, order, ("lines", str(i)), entry, own, products,
                           default_to)
        if arrival is not None:
            arrivals.append(arrival)
    _check_tolerance(session, errors, arrivals)
    if errors:
        raise ValidationFailed(errors)
    receipt = PurchaseReceipt(number=next_document_number(session, PurchaseReceipt.number,
                                                          NUMBER_PREFIX),
                              order_id=order.id, warehouse_id=order.warehouse_id,
                              receipt_date=day, note=note, received_by_id=user_id)
    session.add(receipt)
    session.flush()
    move_ids = _post(session, order, receipt, arrivals, user_id)
    # Posting expired what the session held: reload the order's lines in one statement.
    order_lines(session, [order.id])
    _record(session, receipt, arrivals)
    lines_now = order_lines(session, [order.id])[order.id]
    order.state = (RECEIVED if all(line.received_quantity >= line.quantity
                                   for line in lines_now) else PARTLY_RECEIVED)
    session.flush()
    publish(session, PurchaseReceived(receipt_id=receipt.id, order_id=order.id,
                                      supplier_id=order.supplier_id, move_ids=tuple(move_ids)))
    return receipt


def _destination(session: Session, errors: list[FieldError], order: PurchaseOrder,
                 location_id: int | None, at: tuple[str, ...]) -> int | None:
    """A stock location (the main stock or a bin) of the order's warehouse."""
    if location_id is None:
        return None
    location = session.get(Location, location_id)
    if location is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown location"), field=at))
        return None
    if location.warehouse_id != order.warehouse_id or location.kind != "internal":
        errors.append(FieldError("INVALID_LOCATION",
                                 _("{location} is not a stock location of the order's "
                                   "warehouse"), field=at, location=location.code))
        return None
    return location.id


def _arrival(session: Session, errors: list[FieldError], order: PurchaseOrder,
             at: tuple[str, ...], entry: ReceiptLineInput, own: dict[int, PurchaseOrderLine],
             products: dict[int, Product], default_to: int) -> _Arrival | None:
    before = len(errors)
    line = own.get(entry.order_line_id) if entry.order_line_id is not None else None
    if line is None:
        errors.append(FieldError("NOT_FOUND", _("This line is not part of the order"),
                                 field=(*at, "orderLineId")))
        return None
    product = products[line.product_id]
    quantity = check_decimal(errors, entry.quantity, (*at, "quantity"), places=4, minimum=None)
    if quantity is not None and quantity <= 0:
        errors.append(FieldError("INVALID_QUANTITY", _("Quantity must be greater than zero"),
                                 field=(*at, "quantity")))
    rejected = check_decimal(errors, entry.rejected_quantity, (*at, "rejectedQuantity"),
                             places=4)
    if quantity is not None and rejected is not None and rejected > quantity:
        errors.append(FieldError("INVALID_QUANTITY",
                                 _("More rejected than arrived"),
                                 field=(*at, "rejectedQuantity")))
    rejected_to = entry.rejected_to if entry.rejected_to else REJECT_TO_QUARANTINE
    if rejected_to not in (REJECT_TO_QUARANTINE, REJECT_TO_SUPPLIER):
        errors.append(FieldError("INVALID", _("Rejected goods go to quarantine or back to the "
                                              "supplier"), field=(*at, "rejectedTo")))
    reason = check_text(errors, entry.reject_reason, (*at, "rejectReason"), max_length=200)
    if rejected and not reason:
        errors.append(FieldError("REQUIRED", _("Say why the goods were rejected"),
                                 field=(*at, "rejectReason")))
    location_id = default_to
    if entry.location_id is not None:
        location_id = _destination(session, errors, order, entry.location_id,
                                   (*at, "locationCode")) or default_to
    serials, rejected_serials = _serials(errors, at, product, entry, quantity, rejected,
                                         rejected_to)
    batch_number = _batch(errors, at, product, entry, quantity, rejected, rejected_to)
    if len(errors) > before or quantity is None or rejected is None:
        return None
    return _Arrival(at=at, line=line, quantity=quantity, rejected=rejected,
                    rejected_to=rejected_to if rejected else "", reason=reason,
                    serials=serials, rejected_serials=rejected_serials,
                    batch_number=batch_number, location_id=location_id, entry=entry)


def _serials(errors: list[FieldError], at: tuple[str, ...], product: Product,
             entry: ReceiptLineInput, quantity: Decimal | None, rejected: Decimal | None,
             rejected_to: str) -> tuple[list[str], list[str]]:
    if product.tracking != "serial":
        for given, name in ((entry.serials, "serials"),
                            (entry.rejected_serials, "rejectedSerials")):
            if given:
                errors.append(FieldError("SERIAL_NOT_TRACKED",
                                         _("{product} is not tracked by serial number"),
                                         field=(*at, name), product=product.code))
        return [], []
    accepted = expand_serials(entry.serials, errors, (*at, "serials"))
    refused = expand_serials(entry.rejected_serials, errors, (*at, "rejectedSerials"))
    if quantity is None or rejected is None:
        return accepted, refused
    if rejected_to == REJECT_TO_SUPPLIER and refused:
        errors.append(FieldError("INVALID", _("Goods refused at the door are not recorded by "
                                              "serial number"),
                                 field=(*at, "rejectedSerials")))
    wanted = ((accepted, quantity - rejected, "serials"),
              (refused, rejected if rejected_to == REJECT_TO_QUARANTINE else Decimal(0),
               "rejectedSerials"))
    for numbers, count, name in wanted:
        if count != len(numbers) and not (name == "rejectedSerials"
                                          and rejected_to == REJECT_TO_SUPPLIER):
            errors.append(FieldError(
                "SERIAL_COUNT_MISMATCH",
                _("{quantity} units need {quantity} serial numbers, {count} given"),
                field=(*at, name), quantity=f"{count.normalize():f}", count=len(numbers)))
    if len(set(accepted) | set(refused)) != len(accepted) + len(refused):
        errors.append(FieldError("SERIAL_DUPLICATED", _("A serial number is listed twice"),
                                 field=(*at, "serials")))
    return accepted, refused


def _batch(errors: list[FieldError], at: tuple[str, ...], product: Product,
           entry: ReceiptLineInput, quantity: Decimal | None, rejected: Decimal | None,
           rejected_to: str) -> str | None:
    number = check_text(errors, entry.batch_number, (*at, "batchNumber"), max_length=64)
    if product.tracking != "batch":
        if number:
            errors.append(FieldError("BATCH_NOT_TRACKED", _("{product} is not tracked by batch"),
                                     field=(*at, "batchNumber"), product=product.code))
        return None
    moves_goods = (quantity is None or rejected is None or quantity > rejected
                   or rejected_to == REJECT_TO_QUARANTINE)
    if not number and moves_goods:
        errors.append(FieldError("BATCH_REQUIRED", _("{product} needs a batch"),
                                 field=(*at, "batchNumber"), product=product.code))
    if entry.manufactured_on and entry.expires_on and entry.expires_on < entry.manufactured_on:
        errors.append(FieldError("INVALID", _("A batch cannot expire before it is made"),
                                 field=(*at, "expiresOn")))
    return number or None


def _check_tolerance(session: Session, errors: list[FieldError],
                     arrivals: list[_Arrival]) -> None:
    """Accepted so far + now ≤ ordered × (1 + tolerance), per order line."""
    if not arrivals:
        return
    tolerance = Decimal(get_policy(session, "purchase.receipt_tolerance"))
    accepted: dict[int, Decimal] = {}
    last: dict[int, _Arrival] = {}
    for a in arrivals:
        accepted[a.line.id] = accepted.get(a.line.id, Decimal(0)) + a.accepted
        last[a.line.id] = a
    for line_id, now in accepted.items():
        a = last[line_id]
        limit = a.line.quantity * (1 + tolerance)
        if a.line.received_quantity + now > limit:
            errors.append(FieldError(
                "OVER_RECEIPT",
                _("{received} would be accepted but only {ordered} were ordered"),
                field=(*a.at, "quantity"),
                received=f"{(a.line.received_quantity + now).normalize():f}",
                ordered=f"{a.line.quantity.normalize():f}"))


def _post(session: Session, order: PurchaseOrder, receipt: PurchaseReceipt,
          arrivals: list[_Arrival], user_id: int | None) -> list[int]:
    supplier = company_location(session, "supplier").id
    quarantine = warehouse_location(session, order.warehouse_id, "quarantine").id
    moves: list[MoveLine] = []
    places: list[tuple[_Arrival, str]] = []
    for a in arrivals:
        if a.accepted > 0:
            moves.append(_move(a, a.accepted, supplier, a.location_id, a.serials))
            places.append((a, "accepted"))
        if a.rejected > 0 and a.rejected_to == REJECT_TO_QUARANTINE:
            moves.append(_move(a, a.rejected, supplier, quarantine, a.rejected_serials,
                               note=a.reason))
            places.append((a, "rejected"))
    if not moves:
        return []
    try:
        posted = post_moves(session, moves, move_date=receipt.receipt_date,
                            origin_type=ORIGIN, origin_id=receipt.id,
                            reference=receipt.number, user_id=user_id, field="moves")
    except ValidationFailed as exc:
        raise ValidationFailed([_relocated(e, places) for e in exc.errors]) from None
    for move_id, (a, kind) in zip(posted.move_ids, places, strict=True):
        a.move_ids[kind] = move_id
    return list(posted.move_ids)


def _move(a: _Arrival, quantity: Decimal, source: int, target: int, serials: list[str],
          note: str = "") -> MoveLine:
    """Goods of an arrival in from the supplier, at the order line's unit price."""
    return MoveLine(product_id=a.line.product_id, quantity=quantity, from_location_id=source,
                    to_location_id=target, unit_cost=a.line.unit_price,
                    batch_number=a.batch_number, manufactured_on=a.entry.manufactured_on,
                    expires_on=a.entry.expires_on, serials=serials, note=note)


def _relocated(error: FieldError, places: list[tuple[_Arrival, str]]) -> FieldError:
    """An engine error at ``moves.<k>.<attr>`` said at the receipt line it came from."""
    path = list(error.field)
    if len(path) >= 2 and path[0] == "moves" and path[1].isdigit():
        a, kind = places[int(path[1])]
        attr = path[2:]
        if attr == ["serials"] and kind == "rejected":
            attr = ["rejectedSerials"]
        elif attr == ["batch"]:
            attr = ["batchNumber"]
        return FieldError(error.code, error.message, field=(*a.at, *attr), **error.params)
    return error


def _record(session: Session, receipt: PurchaseReceipt, arrivals: list[_Arrival]) -> None:
    wanted = {(a.line.product_id, a.batch_number) for a in arrivals if a.batch_number}
    batch_ids: dict[tuple[int, str | None], int] = {}
    if wanted:
        batch_ids = {(r.product_id, r.number): r.id for r in session.execute(
            select(Batch.product_id, Batch.number, Batch.id)
            .where(tuple_(Batch.product_id, Batch.number).in_(wanted)))}
    for a in arrivals:
        session.add(PurchaseReceiptLine(
            receipt_id=receipt.id, order_line_id=a.line.id, product_id=a.line.product_id,
            quantity=a.quantity, accepted_quantity=a.accepted, rejected_quantity=a.rejected,
            rejected_to=a.rejected_to, reject_reason=a.reason,
            batch_id=batch_ids.get((a.line.product_id, a.batch_number)),
            location_id=a.location_id if a.accepted > 0 else None,
            accepted_move_id=a.move_ids.get("accepted"),
            rejected_move_id=a.move_ids.get("rejected")))
        a.line.received_quantity += a.accepted
        a.line.rejected_quantity += a.rejected
    session.flush()
