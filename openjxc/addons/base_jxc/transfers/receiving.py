"""Receiving a shipped transfer: what arrived goes to stock, what did not is a loss.

The receiver says, per line, what arrived (a quantity, or the serial numbers scanned) and
where it was put; a line not mentioned arrived in full.  What arrived moves from the
source warehouse's in-transit to the destination; the difference moves from in-transit to
the company's loss location, with the receiver (``created_by_id``) and the reason (the
moves' note) on the ledger, so in-transit is empty once a transfer is received.  More than
was shipped is refused (``OVER_RECEIPT``), as is a serial unit the transfer did not carry
(``SERIAL_NOT_SHIPPED``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.models import utcnow
from openjxc.core.validation import check_decimal, check_text

from ..stock.models import Location, SerialNumber
from ..stock.posting import MoveLine, post_moves
from ..stock.serials import expand_serials
from ..stock.warehouses import company_location, warehouse_location
from .events import TransferReceived
from .models import (
    PARTLY_RECEIVED,
    RECEIVED,
    SERIAL_LOST,
    SERIAL_RECEIVED,
    SHIPPED,
    StockTransfer,
    StockTransferLine,
    StockTransferSerial,
)
from .services import (
    ORIGIN,
    advance,
    invalid_state,
    lock_transfer,
    serial_numbers,
    transfer_lines,
)


@dataclass
class ReceiptLineInput:
    """What arrived of one transfer line.  ``quantity`` empty: the serials given, or
    everything shipped; ``serials`` empty on a serial line: every unit shipped (when the
    quantity is the full one)."""

    line_id: int | None
    quantity: Decimal | None = None
    serials: Sequence[str] | None = None
    #: A stock location (bin) of the destination warehouse; empty: the receipt's default.
    to_location_code: str | None = None


@dataclass
class _Arrival:
    line: StockTransferLine
    at: tuple[str, ...]
    quantity: Decimal
    serials: list[str]
    lost_serials: list[str]
    to_location_id: int

    @property
    def lost(self) -> Decimal:
        return self.line.quantity - self.quantity


def receive_transfer(session: Session, transfer_id: int | None, *,
                     lines: Sequence[ReceiptLineInput] | None = None, reason: str = "",
                     to_location_code: str | None = None,
                     user_id: int | None = None) -> StockTransfer:
    """Receive a shipped transfer; the state becomes ``received``, or ``partly_received``
    when something was lost (then ``reason`` is required: ``REASON_REQUIRED``)."""
    transfer = lock_transfer(session, transfer_id)
    if transfer.state != SHIPPED:
        raise invalid_state(transfer, "receive")
    errors: list[FieldError] = []
    reason = check_text(errors, reason, "reason", max_length=400)
    default_to = _destination(session, errors, transfer, to_location_code, ("toLocationCode",))
    own = transfer_lines(session, [transfer.id])[transfer.id]
    shipped = serial_numbers(session, [line.id for line in own])
    given: dict[int, tuple[int, ReceiptLineInput]] = {}
    known = {line.id for line in own}
    for i, wanted in enumerate(lines or []):
        if wanted.line_id not in known:
            errors.append(FieldError("NOT_FOUND", _("This line is not part of the transfer"),
                                     field=("lines", str(i), "lineId")))
        elif wanted.line_id in given:
            errors.append(FieldError("INVALID", _("A line is listed twice"),
                                     field=("lines", str(i), "lineId")))
        else:
            given[wanted.line_id] = (i, wanted)
    arrivals = []
    for line in own:
        index: int | None = None
        entry: ReceiptLineInput | None = None
        if line.id in given:
            index, entry = given[line.id]
        numbers = [n for n, _state in shipped[line.id]]
        arrival = _arrival(session, errors, transfer, line, numbers, index, entry, default_to)
        if arrival is not None:
            arrivals.append(arrival)
    if errors:
        raise ValidationFailed(errors)
    lossy = [a for a in arrivals if a.lost > 0]
    if lossy and not reason:
        raise ValidationFailed(FieldError(
            "REASON_REQUIRED", _("Say why what arrived differs from what was shipped"),
            field="reason"))
    received_ids, lost_ids = _post(session, transfer, arrivals, reason, user_id)
    _record(session, arrivals)
    advance(session, transfer, SHIPPED, state=PARTLY_RECEIVED if lossy else RECEIVED,
             received_at=utcnow(), received_by_id=user_id, difference_reason=reason)
    publish(session, TransferReceived(
        transfer_id=transfer.id, number=transfer.number,
        from_warehouse_id=transfer.from_warehouse_id, to_warehouse_id=transfer.to_warehouse_id,
        complete=not lossy, move_ids=tuple(received_ids), lost_move_ids=tuple(lost_ids)))
    return transfer


def _destination(session: Session, errors: list[FieldError], transfer: StockTransfer,
                 code: str | None, at: tuple[str, ...]) -> int | None:
    """A stock location of the destination warehouse (its main stock when ``code`` is
    empty)."""
    code = check_text(errors, code, at, max_length=64)
    if not code:
        return None
    location = session.scalar(select(Location).where(Location.code == code))
    if location is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown location"), field=at))
        return None
    if location.warehouse_id != transfer.to_warehouse_id or location.kind != "internal":
        errors.append(FieldError("INVALID_LOCATION",
                                 _("{location} is not a stock location of the receiving "
                                   "warehouse"), field=at, location=location.code))
        return None
    return location.id


def _arrival(session: Session, errors: list[FieldError], transfer: StockTransfer,
             line: StockTransferLine, shipped: list[str], index: int | None,
             entry: ReceiptLineInput | None, default_to: int | None) -> _Arrival | None:
    at: tuple[str, ...] = ("lines", str(index)) if index is not None else ("lines",)
    to_id = default_to
    if entry is not None and entry.to_location_code:
        to_id = _destination(session, errors, transfer, entry.to_location_code,
                             (*at, "toLocationCode"))
    if to_id is None:
        to_id = warehouse_location(session, transfer.to_warehouse_id, "internal").id
    if entry is None:
        return _Arrival(line, at, line.quantity, shipped, [], to_id)
    before = len(errors)
    quantity = None
    if entry.quantity is not None:
        quantity = check_decimal(errors, entry.quantity, (*at, "quantity"), places=4,
                                 minimum=None)
        if quantity is not None and quantity < 0:
            errors.append(FieldError("INVALID_QUANTITY", _("Quantity cannot be negative"),
                                     field=(*at, "quantity")))
        elif quantity is not None and quantity > line.quantity:
            errors.append(FieldError("OVER_RECEIPT",
                                     _("{received} received but only {shipped} shipped"),
                                     field=(*at, "quantity"), received=f"{quantity:f}",
                                     shipped=f"{line.quantity.normalize():f}"))
    arrived: list[str] = []
    if shipped:  # a serial line: the serials scanned say what arrived
        arrived = _scanned(errors, at, entry, shipped, quantity, line.quantity)
        quantity = Decimal(len(arrived))
    elif entry.serials:
        errors.append(FieldError("SERIAL_NOT_TRACKED", _("This line carries no serial numbers"),
                                 field=(*at, "serials")))
    if len(errors) > before:
        return None
    if quantity is None:
        quantity = line.quantity
    lost = [n for n in shipped if n not in set(arrived)]
    return _Arrival(line, at, quantity, arrived, lost, to_id)


def _scanned(errors: list[FieldError], at: tuple[str, ...], entry: ReceiptLineInput,
             shipped: list[str], quantity: Decimal | None, full: Decimal) -> list[str]:
    if entry.serials is None:
        if quantity is not None and quantity != full:
            errors.append(FieldError("SERIAL_COUNT_MISMATCH",
                                     _("Name the serial numbers that arrived"),
                                     field=(*at, "serials")))
        return list(shipped)
    numbers = expand_serials(entry.serials, errors, (*at, "serials"))
    carried = set(shipped)
    seen: set[str] = set()
    for number in numbers:
        if number in seen:
            errors.append(FieldError("SERIAL_DUPLICATED", _("A serial number is listed twice"),
                                     field=(*at, "serials")))
        elif number not in carried:
            errors.append(FieldError("SERIAL_NOT_SHIPPED",
                                     _("Serial number {serial} was not shipped on this line"),
                                     field=(*at, "serials"), serial=number))
        seen.add(number)
    if quantity is not None and quantity != len(numbers):
        errors.append(FieldError(
            "SERIAL_COUNT_MISMATCH",
            _("{quantity} units need {quantity} serial numbers, {count} given"),
            field=(*at, "serials"), quantity=f"{quantity.normalize():f}", count=len(numbers)))
    return numbers


def _post(session: Session, transfer: StockTransfer, arrivals: list[_Arrival], reason: str,
          user_id: int | None) -> tuple[list[int], list[int]]:
    """One document: arrivals to their bins, differences to the loss location."""
    transit = warehouse_location(session, transfer.from_warehouse_id, "transit").id
    loss = company_location(session, "loss").id
    moves: list[MoveLine] = []
    places: list[tuple[tuple[str, ...], bool]] = []
    for a in arrivals:
        if a.quantity > 0:
            moves.append(MoveLine(product_id=a.line.product_id, quantity=a.quantity,
                                  from_location_id=transit, to_location_id=a.to_location_id,
                                  batch_id=a.line.batch_id, serials=a.serials))
            places.append((a.at, False))
        if a.lost > 0:
            moves.append(MoveLine(product_id=a.line.product_id, quantity=a.lost,
                                  from_location_id=transit, to_location_id=loss,
                                  batch_id=a.line.batch_id, serials=a.lost_serials,
                                  note=reason))
            places.append((a.at, True))
    try:
        posted = post_moves(session, moves, origin_type=ORIGIN, origin_id=transfer.id,
                            reference=transfer.number, user_id=user_id, field="moves")
    except ValidationFailed as exc:
        raise ValidationFailed([_relocated(e, places) for e in exc.errors]) from None
    received = [m for m, (_at, lost) in zip(posted.move_ids, places, strict=True) if not lost]
    lost_ids = [m for m, (_at, lost) in zip(posted.move_ids, places, strict=True) if lost]
    return received, lost_ids


def _relocated(error: FieldError, places: list[tuple[tuple[str, ...], bool]]) -> FieldError:
    """An engine error at ``moves.<k>.<attr>`` said at the receipt line it came from."""
    path = list(error.field)
    if len(path) >= 2 and path[0] == "moves" and path[1].isdigit():
        at = places[int(path[1])][0]
        return FieldError(error.code, error.message, field=(*at, *path[2:]), **error.params)
    return error


def _record(session: Session, arrivals: list[_Arrival]) -> None:
    for a in arrivals:
        a.line.received_quantity = a.quantity
        a.line.lost_quantity = a.lost
        a.line.to_location_id = a.to_location_id
        if a.lost_serials:
            lost_ids = select(SerialNumber.id).where(
                SerialNumber.product_id == a.line.product_id,
                SerialNumber.number.in_(a.lost_serials))
            session.execute(update(StockTransferSerial)
                            .where(StockTransferSerial.line_id == a.line.id,
                                   StockTransferSerial.serial_id.in_(lost_ids))
                            .values(state=SERIAL_LOST)
                            .execution_options(synchronize_session=False))
        if a.serials:
            session.execute(update(StockTransferSerial)
                            .where(StockTransferSerial.line_id == a.line.id,
                                   StockTransferSerial.state != SERIAL_LOST)
                            .values(state=SERIAL_RECEIVED)
                            .execution_options(synchronize_session=False))
    session.flush()
