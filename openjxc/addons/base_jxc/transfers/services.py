"""Transfer operations: create a draft, ship it to in-transit, cancel a draft.

Receiving (and recording what was lost on the way) lives in :mod:`.receiving`.  Every
change of stock goes through ``stock.posting.post_moves`` with ``origin_type="transfer"``
and the transfer's id, so the ledger tells which document moved what::

    transfer = create_transfer(session, TransferInput(
        from_warehouse_code="WH1", to_warehouse_code="WH2",
        lines=[TransferLineInput(product_code="DJ-YE3-7.5-4", quantity=Decimal(2),
                                 serials=["YE3-0001..0002"])]), user_id=user.id)
    ship_transfer(session, transfer.id, user_id=user.id)     # WH1/STOCK → WH1/TRANSIT
    receive_transfer(session, transfer.id, user_id=user.id)  # WH1/TRANSIT → WH2/STOCK
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.numbering import next_document_number
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.models import utcnow
from openjxc.core.validation import check_decimal, check_text

from ..catalog.models import Product
from ..stock.models import Batch, Location, SerialNumber, Warehouse
from ..stock.posting import MoveLine, post_moves
from ..stock.serials import expand_serials
from ..stock.warehouses import warehouse_location
from .events import TransferShipped
from .models import (
    CANCELLED,
    DRAFT,
    SHIPPED,
    StockTransfer,
    StockTransferLine,
    StockTransferSerial,
)

ORIGIN = "transfer"
NUMBER_PREFIX = "DB"
#: A transfer on the road longer than a year is a typo, not a plan.
MAX_RECEIVE_HOURS = 8760
MAX_LINES = 1000


@dataclass
class TransferLineInput:
    """One product to send; ``serials`` may hold ranges (``SN0001..0010``)."""

    product_code: str
    quantity: Decimal
    batch_number: str | None = None
    serials: Sequence[str] = ()
    #: A bin of the source warehouse; empty: its main stock.
    from_location_code: str | None = None


@dataclass
class TransferInput:
    from_warehouse_code: str
    to_warehouse_code: str
    lines: Sequence[TransferLineInput] = field(default_factory=list)
    note: str = ""
    #: Hours the goods may be on the road before an alert (empty: the configured default).
    receive_within_hours: int | None = None


#: What each state change needs, as the refusal says it.
_NEEDS = {
    SHIPPED: _("Transfer {number} is {state}: only a draft can be shipped"),
    CANCELLED: _("Transfer {number} is {state}: only a draft can be cancelled"),
    "receive": _("Transfer {number} is {state}: only a shipped transfer can be received"),
}


def invalid_state(transfer: StockTransfer, change: str) -> ValidationFailed:
    """``INVALID_STATE``: ``change`` (``shipped``, ``cancelled``, ``receive``) is not
    allowed from the transfer's state."""
    return ValidationFailed(FieldError("INVALID_STATE", _NEEDS[change], field="id",
                                       number=transfer.number, state=transfer.state.upper()))


def lock_transfer(session: Session, transfer_id: int | None) -> StockTransfer:
    """The transfer, locked until the transaction ends (two clerks shipping the same
    document take turns: the second finds it shipped).  ``NOT_FOUND`` when unknown."""
    transfer = None
    if transfer_id is not None:
        transfer = session.scalar(select(StockTransfer).where(StockTransfer.id == transfer_id)
                                  .with_for_update()
                                  .execution_options(populate_existing=True))
    if transfer is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown transfer"), field="id"))
    return transfer


def _warehouse(session: Session, errors: list[FieldError], code: str, at: str,
               ) -> Warehouse | None:
    code = check_text(errors, code, at, max_length=32, required=True)
    if not code:
        return None
    warehouse = session.scalar(select(Warehouse).where(Warehouse.code == code))
    if warehouse is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown warehouse {code}"), field=at, code=code))
    return warehouse


def next_number(session: Session) -> str:
    """The next free ``DB-YYYYMM-NNNN`` of the current business month."""
    return next_document_number(session, StockTransfer.number, NUMBER_PREFIX)


def create_transfer(session: Session, data: TransferInput, *,
                    user_id: int | None = None) -> StockTransfer:
    """A draft transfer, checked line by line (products, quantities, batches, serials and
    source bins); nothing moves until it is shipped, when the stock engine checks again
    what is really there."""
    errors: list[FieldError] = []
    source = _warehouse(session, errors, data.from_warehouse_code, "fromWarehouseCode")
    target = _warehouse(session, errors, data.to_warehouse_code, "toWarehouseCode")
    if source is not None and target is not None and source.id == target.id:
        errors.append(FieldError("SAME_WAREHOUSE",
                                 _("A transfer needs two different warehouses"),
                                 field="toWarehouseCode"))
    note = check_text(errors, data.note, "note", max_length=400)
    hours = data.receive_within_hours
    if hours is not None and (isinstance(hours, bool) or not isinstance(hours, int)
                              or not 0 < hours <= MAX_RECEIVE_HOURS):
        errors.append(FieldError("INVALID", _("Hours must be between 1 and {max}"),
                                 field="receiveWithinHours", max=MAX_RECEIVE_HOURS))
    if not data.lines:
        errors.append(FieldError("REQUIRED", _("At least one line is required"), field="lines"))
    elif len(data.lines) > MAX_LINES:
        errors.append(FieldError("INVALID", _("At most {max} lines"), field="lines",
                                 max=MAX_LINES))
    lines = _check_lines(session, errors, data.lines[:MAX_LINES], source)
    if errors:
        raise ValidationFailed(errors)
    assert source is not None and target is not None
    transfer = StockTransfer(number=next_number(session), from_warehouse_id=source.id,
                             to_warehouse_id=target.id, state=DRAFT, note=note,
                             receive_within_hours=hours, created_by_id=user_id)
    session.add(transfer)
    session.flush()
    for position, (line, serial_ids) in enumerate(lines, start=1):
        line.transfer_id = transfer.id
        line.position = position
        session.add(line)
        session.flush()
        session.add_all(StockTransferSerial(line_id=line.id, serial_id=s) for s in serial_ids)
    session.flush()
    return transfer


def _check_lines(session: Session, errors: list[FieldError],
                 lines: Sequence[TransferLineInput], source: Warehouse | None,
                 ) -> list[tuple[StockTransferLine, list[int]]]:
    codes = {str(line.product_code).strip() for line in lines if line.product_code}
    products = {p.code: p for p in session.scalars(select(Product)
                                                   .where(Product.code.in_(codes)))}
    bins = {str(line.from_location_code).strip() for line in lines if line.from_location_code}
    locations = {loc.code: loc for loc in session.scalars(select(Location)
                                                          .where(Location.code.in_(bins)))}
    wanted_batches = {(p.id, str(line.batch_number).strip()) for line in lines
                      if line.batch_number and (p := products.get(line.product_code))}
    batches = {(b.product_id, b.number): b for b in session.scalars(
        select(Batch).where(tuple_(Batch.product_id, Batch.number).in_(wanted_batches)))
    } if wanted_batches else {}
    expanded: list[list[str]] = []
    for i, line in enumerate(lines):
        expanded.append(expand_serials(line.serials, errors, ("lines", str(i), "serials")))
    wanted_serials = {(p.id, n) for line, numbers in zip(lines, expanded, strict=True)
                      if (p := products.get(line.product_code)) for n in numbers}
    serials = {(s.product_id, s.number): s for s in session.scalars(
        select(SerialNumber).where(
            tuple_(SerialNumber.product_id, SerialNumber.number).in_(wanted_serials)))
    } if wanted_serials else {}
    seen: set[tuple[int, str]] = set()
    checked = []
    for i, (line, numbers) in enumerate(zip(lines, expanded, strict=True)):
        at = ("lines", str(i))
        before = len(errors)
        code = check_text(errors, line.product_code, (*at, "productCode"), max_length=64,
                          required=True)
        product = products.get(code)
        if code and product is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown product {code}"),
                                     field=(*at, "productCode"), code=code))
        quantity = check_decimal(errors, line.quantity, (*at, "quantity"), places=4,
                                 minimum=None)
        if quantity is not None and quantity <= 0:
            errors.append(FieldError("INVALID_QUANTITY", _("Quantity must be greater than zero"),
                                     field=(*at, "quantity")))
        bin_id = None
        if line.from_location_code:
            location = locations.get(str(line.from_location_code).strip())
            if location is None:
                errors.append(FieldError("NOT_FOUND", _("Unknown location"),
                                         field=(*at, "fromLocationCode")))
            elif source is not None and (location.warehouse_id != source.id
                                         or location.kind != "internal"):
                errors.append(FieldError("INVALID_LOCATION",
                                         _("{location} is not a stock location of {warehouse}"),
                                         field=(*at, "fromLocationCode"),
                                         location=location.code, warehouse=source.code))
            else:
                bin_id = location.id
        batch_id = None
        serial_ids: list[int] = []
        if product is not None:
            batch_id = _check_batch(errors, at, product, line, batches)
            serial_ids = _check_serials(errors, at, product, quantity, numbers, serials, seen)
        if len(errors) == before and product is not None and quantity is not None:
            checked.append((StockTransferLine(product_id=product.id, quantity=quantity,
                                              batch_id=batch_id, from_location_id=bin_id),
                            serial_ids))
    return checked


def _check_batch(errors: list[FieldError], at: tuple[str, ...], product: Product,
                 line: TransferLineInput, batches: dict[tuple[int, str], Batch]) -> int | None:
    number = str(line.batch_number or "").strip()
    if product.tracking != "batch":
        if number:
            errors.append(FieldError("BATCH_NOT_TRACKED", _("{product} is not tracked by batch"),
                                     field=(*at, "batchNumber"), product=product.code))
        return None
    if not number:
        errors.append(FieldError("BATCH_REQUIRED", _("{product} needs a batch"),
                                 field=(*at, "batchNumber"), product=product.code))
        return None
    batch = batches.get((product.id, number))
    if batch is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown batch {batch}"),
                                 field=(*at, "batchNumber"), batch=number))
        return None
    return batch.id


def _check_serials(errors: list[FieldError], at: tuple[str, ...], product: Product,
                   quantity: Decimal | None, numbers: list[str],
                   serials: dict[tuple[int, str], SerialNumber],
                   seen: set[tuple[int, str]]) -> list[int]:
    if product.tracking != "serial":
        if numbers:
            errors.append(FieldError("SERIAL_NOT_TRACKED",
                                     _("{product} is not tracked by serial number"),
                                     field=(*at, "serials"), product=product.code))
        return []
    if quantity is not None and quantity != len(numbers):
        errors.append(FieldError(
            "SERIAL_COUNT_MISMATCH",
            _("{quantity} units need {quantity} serial numbers, {count} given"),
            field=(*at, "serials"), quantity=f"{quantity.normalize():f}", count=len(numbers)))
    ids = []
    for number in numbers:
        key = (product.id, number)
        if key in seen:
            errors.append(FieldError("SERIAL_DUPLICATED", _("A serial number is listed twice"),
                                     field=(*at, "serials")))
            continue
        seen.add(key)
        serial = serials.get(key)
        if serial is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown serial number {serial}"),
                                     field=(*at, "serials"), serial=number))
            continue
        ids.append(serial.id)
    return ids


def ship_transfer(session: Session, transfer_id: int | None, *,
                  user_id: int | None = None) -> StockTransfer:
    """Ship a draft: its goods move from the source bins to the source warehouse's
    in-transit location, all lines or none (``INSUFFICIENT_STOCK``,
    ``SERIAL_NOT_IN_LOCATION`` … from the stock engine, at ``lines.<i>``)."""
    transfer = lock_transfer(session, transfer_id)
    if transfer.state != DRAFT:
        raise invalid_state(transfer, SHIPPED)
    stock = warehouse_location(session, transfer.from_warehouse_id, "internal")
    transit = warehouse_location(session, transfer.from_warehouse_id, "transit")
    lines = transfer_lines(session, [transfer.id])[transfer.id]
    numbers = serial_numbers(session, [line.id for line in lines])
    moves = [MoveLine(product_id=line.product_id, quantity=line.quantity,
                      from_location_id=line.from_location_id or stock.id,
                      to_location_id=transit.id, batch_id=line.batch_id,
                      serials=[n for n, _state in numbers.get(line.id, [])])
             for line in lines]
    posted = post_moves(session, moves, origin_type=ORIGIN, origin_id=transfer.id,
                        reference=transfer.number, user_id=user_id, field="lines")
    advance(session, transfer, DRAFT, state=SHIPPED, shipped_at=utcnow(),
             shipped_by_id=user_id)
    publish(session, TransferShipped(transfer_id=transfer.id, number=transfer.number,
                                     from_warehouse_id=transfer.from_warehouse_id,
                                     to_warehouse_id=transfer.to_warehouse_id,
                                     move_ids=tuple(posted.move_ids)))
    return transfer


def cancel_transfer(session: Session, transfer_id: int | None, *,
                    user_id: int | None = None) -> StockTransfer:
    """Cancel a draft (a shipped transfer is received, with its losses, instead)."""
    transfer = lock_transfer(session, transfer_id)
    if transfer.state != DRAFT:
        raise invalid_state(transfer, CANCELLED)
    advance(session, transfer, DRAFT, state=CANCELLED, cancelled_at=utcnow(),
             cancelled_by_id=user_id)
    return transfer


def advance(session: Session, transfer: StockTransfer, expected: str, **values: object,
             ) -> None:
    """Change the state only from ``expected`` (a guarded update: a concurrent change wins
    once, the other is refused)."""
    done = session.execute(update(StockTransfer)
                           .where(StockTransfer.id == transfer.id,
                                  StockTransfer.state == expected)
                           .values(**values)
                           .execution_options(synchronize_session=False))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(transfer)
        raise invalid_state(transfer, "receive" if expected == SHIPPED else str(values["state"]))
    session.refresh(transfer)


def transfer_lines(session: Session, transfer_ids: Sequence[int],
                   ) -> dict[int, list[StockTransferLine]]:
    """The lines of each transfer, in order (one statement for all)."""
    found: dict[int, list[StockTransferLine]] = {i: [] for i in transfer_ids}
    for line in session.scalars(select(StockTransferLine)
                                .where(StockTransferLine.transfer_id.in_(set(transfer_ids)))
                                .order_by(StockTransferLine.transfer_id,
                                          StockTransferLine.position)):
        found[line.transfer_id].append(line)
    return found


def serial_numbers(session: Session, line_ids: Sequence[int],
                   ) -> dict[int, list[tuple[str, str]]]:
    """``line id → [(serial number, state)]`` in number order (one statement for all)."""
    found: dict[int, list[tuple[str, str]]] = {i: [] for i in line_ids}
    if not line_ids:
        return found
    for line_id, number, state in session.execute(
            select(StockTransferSerial.line_id, SerialNumber.number, StockTransferSerial.state)
            .join(SerialNumber, SerialNumber.id == StockTransferSerial.serial_id)
            .where(StockTransferSerial.line_id.in_(set(line_ids)))
            .order_by(SerialNumber.number)):
        found[line_id].append((number, state))
    return found
