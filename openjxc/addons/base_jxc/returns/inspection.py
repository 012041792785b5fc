"""Inspecting a received return: each line (and each serial unit) is restocked, scrapped or
sent back to the supplier.

The goods leave quarantine with ``origin_type="sales.return.inspection"``: restocked to the
warehouse's main stock or one of its bins, scrapped to its scrap location, or to the
company's supplier location.  They carry the cost they came back at (a serial unit its own;
other goods split the received value, the last part taking the remainder), so quarantine is
left at exactly zero quantity and value.

Every line must be decided, and its decisions must add up to what was received
(``QUANTITY_MISMATCH``); on a serial line every unit is decided, either by listing it or
because the whole line gets one decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.models import utcnow
from openjxc.core.validation import check_decimal

from ..stock.models import Location, StockMove, table_of
from ..stock.posting import MoveLine, post_moves
from ..stock.serials import expand_serials
from ..stock.warehouses import company_location, warehouse_location
from .events import ReturnInspected
from .models import (
    DISPOSITIONS,
    INSPECTED,
    RECEIVED,
    RESTOCK,
    SCRAP,
    TO_SUPPLIER,
    ReturnLine,
    ReturnLineSerial,
    ReturnRequest,
)
from .services import advance, invalid_state, line_serials, lock_return, return_lines

ORIGIN = "sales.return.inspection"
CENT = Decimal("0.01")


@dataclass
class InspectionLineInput:
    """What inspection decided for one return line.

    Quantities for any line; on a serial line the units of each decision may be listed
    (then the quantities, when given, must match the lists)."""

    line_id: int | None
    restock: Decimal | None = None
    scrap: Decimal | None = None
    to_supplier: Decimal | None = None
    restock_serials: Sequence[str] = ()
    scrap_serials: Sequence[str] = ()
    to_supplier_serials: Sequence[str] = ()
    #: A stock location (bin) of the return's warehouse; empty: the inspection's default.
    restock_location_id: int | None = None


@dataclass
class _Decision:
    line: ReturnLine
    at: tuple[str, ...]
    quantities: dict[str, Decimal]
    serials: dict[str, list[tuple[int, str]]] = field(default_factory=dict)
    restock_location_id: int = 0


def inspect_return(session: Session, return_id: int | None, *,
                   lines: Sequence[InspectionLineInput],
                   restock_location_id: int | None = None,
                   user_id: int | None = None) -> ReturnRequest:
    """Decide every line of a received return and move its goods out of quarantine.

    Refused: a return not received, or inspected already (``INVALID_STATE``); a line
    missing, unknown or listed twice; decisions that do not add up to what was received
    (``QUANTITY_MISMATCH``); a unit not on the line (``SERIAL_NOT_RETURNED``); a restock
    location outside the warehouse's stock (``INVALID_LOCATION``).
    """
    request = lock_return(session, return_id)
    if request.state != RECEIVED:
        raise invalid_state(request, "inspect")
    errors: list[FieldError] = []
    own = return_lines(session, [request.id])[request.id]
    units = line_serials(session, [line.id for line in own])
    default_to = _restock_location(session, errors, request, restock_location_id,
                                   ("restockLocation",))
    given = _given(errors, own, lines)
    decisions = []
    for line in own:
        if line.id not in given:
            errors.append(FieldError("REQUIRED", _("Decide line {position} too"),
                                     field="lines", position=line.position))
            continue
        index, entry = given[line.id]
        decision = _decide(session, errors, request, line, index, entry,
                           [(sid, n) for sid, n, _d in units[line.id]], default_to)
        if decision is not None:
            decisions.append(decision)
    if errors:
        raise ValidationFailed(errors)
    move_ids, by_disposition = _post(session, request, decisions, user_id)
    _record(session, decisions)
    advance(session, request, RECEIVED, "inspect", state=INSPECTED, inspected_at=utcnow(),
            inspected_by_id=user_id)
    publish(session, ReturnInspected(
        return_id=request.id, code=request.code, warehouse_id=request.warehouse_id,
        move_ids=tuple(move_ids), restocked_serial_ids=tuple(by_disposition[RESTOCK]),
        scrapped_serial_ids=tuple(by_disposition[SCRAP]),
        to_supplier_serial_ids=tuple(by_disposition[TO_SUPPLIER])))
    return request


def _given(errors: list[FieldError], own: list[ReturnLine],
           lines: Sequence[InspectionLineInput]) -> dict[int, tuple[int, InspectionLineInput]]:
    known = {line.id for line in own}
    given: dict[int, tuple[int, InspectionLineInput]] = {}
    for i, entry in enumerate(lines):
        if entry.line_id not in known:
            errors.append(FieldError("NOT_FOUND", _("This line is not part of the return"),
                                     field=("lines", str(i), "lineId")))
        elif entry.line_id in given:
            errors.append(FieldError("INVALID", _("A line is listed twice"),
                                     field=("lines", str(i), "lineId")))
        else:
            given[entry.line_id] = (i, entry)
    return given


def _restock_location(session: Session, errors: list[FieldError], request: ReturnRequest,
                      location_id: int | None, at: tuple[str, ...]) -> int | None:
    """A stock location of the return's warehouse; None when not given (or refused)."""
    if location_id is None:
        return None
    location = session.get(Location, location_id)
    if location is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown location"), field=at))
        return None
    if location.warehouse_id != request.warehouse_id or location.kind != "internal":
        errors.append(FieldError("INVALID_LOCATION",
                                 _("{location} is not a stock location of the receiving "
                                   "warehouse"), field=at, location=location.code))
        return None
    return location.id


_FIELDS = {RESTOCK: "restock", SCRAP: "scrap", TO_SUPPLIER: "toSupplier"}


def _decide(session: Session, errors: list[FieldError], request: ReturnRequest,
            line: ReturnLine, index: int, entry: InspectionLineInput,
            units: list[tuple[int, str]], default_to: int | None) -> _Decision | None:
    at = ("lines", str(index))
    before = len(errors)
    to_id = default_to
    if entry.restock_location_id is not None:
        to_id = _restock_location(session, errors, request, entry.restock_location_id,
                                  (*at, "restockLocation"))
    quantities: dict[str, Decimal | None] = {}
    for disposition, raw in ((RESTOCK, entry.restock), (SCRAP, entry.scrap),
                             (TO_SUPPLIER, entry.to_supplier)):
        quantities[disposition] = None
        if raw is not None:
            quantities[disposition] = check_decimal(errors, raw, (*at, _FIELDS[disposition]),
                                                    places=4)
    listed = {RESTOCK: entry.restock_serials, SCRAP: entry.scrap_serials,
              TO_SUPPLIER: entry.to_supplier_serials}
    serials: dict[str, list[tuple[int, str]]] = {d: [] for d in DISPOSITIONS}
    if units:
        _decide_units(errors, at, units, listed, quantities, serials, line.received_quantity)
    elif any(listed.values()):
        errors.append(FieldError("SERIAL_NOT_TRACKED", _("This line carries no serial numbers"),
                                 field=(*at, "restockSerials")))
    if len(errors) > before:
        return None
    decided = {d: (q or Decimal(0)) for d, q in quantities.items()}
    if sum(decided.values(), Decimal(0)) != line.received_quantity:
        errors.append(FieldError(
            "QUANTITY_MISMATCH",
            _("{restock} restocked + {scrap} scrapped + {supplier} to the supplier is not "
              "the {received} received"), field=at,
            restock=f"{decided[RESTOCK].normalize():f}",
            scrap=f"{decided[SCRAP].normalize():f}",
            supplier=f"{decided[TO_SUPPLIER].normalize():f}",
            received=f"{line.received_quantity.normalize():f}"))
        return None
    if to_id is None:
        to_id = warehouse_location(session, request.warehouse_id, "internal").id
    return _Decision(line, at, decided, serials, to_id)


def _decide_units(errors: list[FieldError], at: tuple[str, ...], units: list[tuple[int, str]],
                  listed: dict[str, Sequence[str]], quantities: dict[str, Decimal | None],
                  serials: dict[str, list[tuple[int, str]]], received: Decimal) -> None:
    """Each unit of a serial line gets its decision: listed, or the line's only one."""
    by_number = dict((n, sid) for sid, n in units)
    seen: set[str] = set()
    before = len(errors)
    for disposition, entries in listed.items():
        where = (*at, f"{_FIELDS[disposition]}Serials")
        for number in expand_serials(entries, errors, where):
            if number in seen:
                errors.append(FieldError("SERIAL_DUPLICATED",
                                         _("A serial number is listed twice"), field=where))
            elif number not in by_number:
                errors.append(FieldError("SERIAL_NOT_RETURNED",
                                         _("Serial number {serial} is not on this line"),
                                         field=where, serial=number))
            else:
                serials[disposition].append((by_number[number], number))
            seen.add(number)
    if any(listed.values()):
        for disposition, chosen in serials.items():
            count = Decimal(len(chosen))
            stated = quantities[disposition]
            if stated is not None and stated != count:
                errors.append(FieldError(
                    "QUANTITY_MISMATCH",
                    _("{quantity} units need {quantity} serial numbers, {count} given"),
                    field=(*at, _FIELDS[disposition]), quantity=f"{stated.normalize():f}",
                    count=len(chosen)))
            quantities[disposition] = count
        missing = [n for _sid, n in units if n not in seen]
        if missing and len(errors) == before:
            errors.append(FieldError("QUANTITY_MISMATCH",
                                     _("Decide every serial unit: {serials} not decided"),
                                     field=at, serials=", ".join(missing[:10])))
        return
    given = {d: q for d, q in quantities.items() if q}
    if len(given) == 1 and next(iter(given.values())) == received:
        serials[next(iter(given))] = list(units)
    elif sum(given.values(), Decimal(0)) == received:
        errors.append(FieldError("REQUIRED", _("Name the serial numbers of each decision"),
                                 field=(*at, "restockSerials")))


def _post(session: Session, request: ReturnRequest, decisions: list[_Decision],
          user_id: int | None) -> tuple[list[int], dict[str, list[int]]]:
    """One document: every line's parts out of quarantine, each at its share of the value
    the line came back at."""
    quarantine = warehouse_location(session, request.warehouse_id, "quarantine").id
    scrap = warehouse_location(session, request.warehouse_id, "scrap").id
    supplier = company_location(session, "supplier").id
    received = dict(session.execute(
        select(StockMove.id, StockMove.value)
        .where(StockMove.id.in_([d.line.receive_move_id for d in decisions]))).all())
    moves: list[MoveLine] = []
    places: list[tuple[str, ...]] = []
    by_disposition: dict[str, list[int]] = {d: [] for d in DISPOSITIONS}
    for d in decisions:
        targets = {RESTOCK: d.restock_location_id, SCRAP: scrap, TO_SUPPLIER: supplier}
        parts = [(disposition, q) for disposition, q in d.quantities.items() if q > 0]
        left = received.get(d.line.receive_move_id or 0, Decimal(0))
        for k, (disposition, quantity) in enumerate(parts):
            numbers = [n for _sid, n in d.serials[disposition]]
            value = None
            if not numbers:
                value = left if k == len(parts) - 1 else _share(d.line, quantity)
                left -= value
            by_disposition[disposition].extend(sid for sid, _n in d.serials[disposition])
            moves.append(MoveLine(product_id=d.line.product_id, quantity=quantity,
                                  from_location_id=quarantine,
                                  to_location_id=targets[disposition],
                                  batch_id=d.line.batch_id, serials=numbers, value=value))
            places.append(d.at)
    try:
        posted = post_moves(session, moves, origin_type=ORIGIN, origin_id=request.id,
                            reference=request.code, user_id=user_id, field="moves")
    except ValidationFailed as exc:
        raise ValidationFailed([_relocated(e, places) for e in exc.errors]) from None
    return posted.move_ids, by_disposition


def _share(line: ReturnLine, quantity: Decimal) -> Decimal:
    return (line.unit_cost * quantity).quantize(CENT, rounding=ROUND_HALF_UP)


def _relocated(error: FieldError, places: list[tuple[str, ...]]) -> FieldError:
    """An engine error at ``moves.<k>.<attr>`` said at the inspection line it came from."""
    path = list(error.field)
    if len(path) >= 2 and path[0] == "moves" and path[1].isdigit():
        return FieldError(error.code, error.message, field=(*places[int(path[1])], *path[2:]),
                          **error.params)
    return error


def _record(session: Session, decisions: list[_Decision]) -> None:
    params: list[dict[str, object]] = []
    for d in decisions:
        d.line.restocked_quantity = d.quantities[RESTOCK]
        d.line.scrapped_quantity = d.quantities[SCRAP]
        d.line.to_supplier_quantity = d.quantities[TO_SUPPLIER]
        if d.quantities[RESTOCK] > 0:
            d.line.restock_location_id = d.restock_location_id
        params.extend({"lid": d.line.id, "sid": sid, "decided": disposition}
                      for disposition, chosen in d.serials.items() for sid, _n in chosen)
    session.flush()
    if params:
        table = table_of(ReturnLineSerial)
        session.execute(update(table)
                        .where(table.c.line_id == bindparam("lid"),
                               table.c.serial_id == bindparam("sid"))
                        .values(disposition=bindparam("decided")), params)
