"""Posting moves into the ledger: the one door every change of stock goes through.

:func:`post_moves` validates a whole document's lines against the database, then writes
in a fixed number of set-based statements, whatever the number of lines.  The work comes
in three steps, in this order:

1. **Read** (:mod:`.lookups`, :mod:`.checks`): one statement brings the document's
   locations (with their warehouse's negative-stock rule), its products, the end of the
   last closed month and the ids its moves will get; on SQLite — whose writer holds the
   whole database from ``BEGIN IMMEDIATE`` on, so nothing read can change before commit —
   the products' valuations and the highest serial and batch ids come with it.  Batches
   and serial units are read by one more statement each when the document has some; new
   batches are created here.  Every line is checked (all errors at once), and serial
   units are followed line by line in memory.
2. **Lock**: balances change by atomic increments (``INSERT … ON CONFLICT DO UPDATE SET
   quantity = quantity + excluded.quantity RETURNING quantity``) — never
   read-modify-write — and a result below zero where the warehouse forbids it refuses the
   whole document here, before anything else is written.  On PostgreSQL the products'
   valuations (moving weighted average) are locked in the same round trip, in product
   order (``SELECT … FOR UPDATE`` when they all exist, else an upsert that creates the
   missing ones).
3. **Write**: moves are costed in memory, then written with the new serial units, the
   serials they carried, the guarded relocation of existing units (``UPDATE … WHERE
   location_id = :from``: a concurrent delivery of the same unit finds it gone and the
   document is refused) and the valuations that changed.

On PostgreSQL steps 2 and 3 are one statement each (:mod:`.bulk`), so a document of
untracked goods costs three round trips whatever its size; on SQLite it costs four
statements.  Everything happens inside a savepoint: a refusal leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError, PendingRollbackError
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.models import utcnow

from . import bulk
from .checks import CheckedDocument, LineCheck, check_document
from .events import StockMovesPosted
from .lookups import DocumentFacts
from .models import (
    PHYSICAL_KINDS,
    SerialNumber,
    StockBalance,
    StockMove,
    StockMoveSerial,
    StockValuation,
    table_of,
)

CENT = Decimal("0.01")
COST_PLACES = Decimal("0.000001")


@dataclass
class MoveLine:
    """One line of a document that moves stock.

    ``unit_cost`` prices goods coming in from outside (a receipt); without it they come in
    at the current average.  ``serials`` may hold ranges (``SN0001..0100``).  A batch is
    named by ``batch_id`` or ``batch_number``; an unknown number arriving from outside
    creates the batch with ``manufactured_on``/``expires_on``.  ``value`` forces the exact
    value carried (reversals use it).
    """

    product_id: int
    quantity: Decimal
    from_location_id: int
    to_location_id: int
    unit_cost: Decimal | None = None
    batch_id: int | None = None
    batch_number: str | None = None
    manufactured_on: date | None = None
    expires_on: date | None = None
    serials: Sequence[str] = ()
    note: str = ""
    value: Decimal | None = None
    reversal_of_id: int | None = None


@dataclass
class PostingResult:
    move_ids: list[int] = field(default_factory=list)
    values: list[Decimal] = field(default_factory=list)


def business_today(session: Session) -> date:
    """Today in the company's time zone (business dates are local, timestamps UTC)."""
    env = session.info.get("openjxc.env")
    tz = getattr(getattr(env, "settings", None), "timezone", "Asia/Shanghai")
    return datetime.now(ZoneInfo(tz)).date()


def post_moves(session: Session, lines: Sequence[MoveLine], *, move_date: date | None = None,
               origin_type: str = "", origin_id: int | None = None, reference: str = "",
               user_id: int | None = None, allow_expired: bool = False,
               field: str = "lines", savepoint: bool = True) -> PostingResult:
    """Post ``lines`` as one document; all of them or none.

    ``savepoint=False``: the caller already holds a savepoint that a refusal from here
    rolls back (it lets the error through), so the posting's own would be two statements
    for nothing — a sales delivery posts this way.

    Refusals are :class:`ValidationFailed` with codes ``INSUFFICIENT_STOCK``,
    ``SERIAL_ALREADY_EXISTS``, ``SERIAL_NOT_IN_LOCATION``, ``SERIAL_COUNT_MISMATCH``,
    ``BATCH_REQUIRED``, ``BATCH_EXPIRED``, ``STOCK_PERIOD_CLOSED`` … at
    ``(field, index, attribute)``.  Example::

        post_moves(session, [MoveLine(product_id=motor.id, quantity=Decimal(2),
                                      from_location_id=supplier.id,
                                      to_location_id=stock.id, unit_cost=Decimal("3100"),
                                      serials=["YE3-0001..0002"])],
                   origin_type="purchase.receipt", origin_id=receipt.id)
    """
    if not lines:
        raise ValidationFailed(FieldError("REQUIRED", _("At least one line is required"),
                                          field=field))
    move_date = move_date or business_today(session)
    with _savepoint(session) if savepoint else _flushed(session):
        document = check_document(session, lines, move_date=move_date,
                                  allow_expired=allow_expired, field=field)
        result = _write(session, document, move_date=move_date, origin_type=origin_type,
                        origin_id=origin_id, reference=reference, user_id=user_id, field=field)
    publish(session, StockMovesPosted(move_ids=tuple(result.move_ids), origin_type=origin_type,
                                      origin_id=origin_id))
    return result


@contextmanager
def _savepoint(session: Session) -> Iterator[None]:
    """All or nothing: a savepoint around the posting, rolled back on any error.

    Plain ``SAVEPOINT`` statements on the session's connection: posting writes through the
    connection only (no ORM objects to expire), and ``Session.begin_nested`` costs five
    times as much — per document, which counts for the small ones.  Pending ORM changes of
    the caller are flushed first, so they stay outside the savepoint, as with
    ``begin_nested``.  Savepoints nest by name (the innermost of a name is the one
    released or rolled back to).
    """
    session.flush()
    connection = session.connection()
    connection.exec_driver_sql(f"SAVEPOINT {_SAVEPOINT}")
    try:
        yield
    except BaseException:
        try:
            connection.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            connection.exec_driver_sql(f"RELEASE SAVEPOINT {_SAVEPOINT}")
        except (DBAPIError, PendingRollbackError):
            # The connection is gone (so is the caller's transaction): raise what broke it,
            # not SQLAlchemy's refusal to use the invalidated connection.
            pass
        raise
    connection.exec_driver_sql(f"RELEASE SAVEPOINT {_SAVEPOINT}")


_SAVEPOINT = "jxc_post_moves"


@contextmanager
def _flushed(session: Session) -> Iterator[None]:
    """What :func:`_savepoint` does but the savepoint: the caller's pending ORM changes
    flushed first."""
    session.flush()
    yield


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


MOVE = table_of(StockMove)
MOVE_SERIAL = table_of(StockMoveSerial)
SERIAL = table_of(SerialNumber)
BALANCE = table_of(StockBalance)
VALUATION = table_of(StockValuation)
_MOVE_COLUMNS = ("id", "product_id", "from_location_id", "to_location_id", "batch_id",
                 "quantity", "unit_cost", "value", "note", "reversal_of_id")
_SERIAL_COLUMNS = ("id", "product_id", "number", "location_id", "batch_id", "unit_cost")
_BALANCE_KEY = ("location_id", "product_id", "batch_id")
_VALUATION_COLUMNS = ("product_id", "quantity", "value", "last_unit_cost")
ZERO = Decimal(0)


def _write(session: Session, document: CheckedDocument, *, move_date: date, origin_type: str,
           origin_id: int | None, reference: str, user_id: int | None,
           field: str) -> PostingResult:
    """Two round trips on PostgreSQL, whatever the document: balances and valuations are
    taken (a refusal for negative stock comes here, before anything else is written), then
    moves, serial units and valuations are written together.  On SQLite the valuations
    were read with the document, under the writer lock: its first statement here is the
    balances'."""
    checked, move_ids, facts = document.lines, document.move_ids, document.facts
    deltas = _balance_deltas(checked)
    increments = bulk.Upsert(
        BALANCE, _BALANCE_KEY, (*_BALANCE_KEY, "warehouse_id", "quantity"),
        [(*key, warehouse_id, delta)
         for key, (warehouse_id, delta, _first) in sorted(deltas.items())],
        assign=f"quantity = {BALANCE.name}.quantity + excluded.quantity",
        returning=(*_BALANCE_KEY, "quantity"), zeros=("reserved",))
    valuations: dict[int, _Valuation]
    if facts.valuations is None:
        products = sorted({c.product_id for c in checked})
        balances, locked = bulk.run(session, [increments, bulk.Lock(
            VALUATION, _VALUATION_COLUMNS, products, existing=facts.valued.issuperset(products))])
        valuations = {r[0]: _Valuation(r[1], r[2], r[3]) for r in locked}
        if len(valuations) < len(products):  # a row read as there is not: create it
            missing = sorted(set(products).difference(valuations))
            (created,) = bulk.run(session, [bulk.Lock(VALUATION, _VALUATION_COLUMNS, missing)])
            valuations.update((r[0], _Valuation(r[1], r[2], r[3])) for r in created)
    else:
        (balances,) = bulk.run(session, [increments])
        valuations = {p: _Valuation(*v) if v is not None else _Valuation(ZERO, ZERO, ZERO, True)
                      for p, v in facts.valuations.items()}
    _refuse_negative(balances, deltas, field)
    now = utcnow()
    for c in checked:
        if c.new_serials:
            cost = c.unit_cost if c.unit_cost is not None else valuations[c.product_id].average()
            c.new_serial_cost = _round(cost)
    new_serials, serial_rows = _new_serials(session, facts, checked)
    move_rows = []
    for c, move_id in zip(checked, move_ids, strict=True):
        value, unit_cost = _cost(c, valuations[c.product_id], new_serials)
        c.value = value
        move_rows.append((move_id, c.product_id, c.from_location.id, c.to_location.id,
                          c.batch_id, c.quantity, unit_cost, value, c.note, c.reversal_of_id))
    links = [(move_id, c.serial_ids.get(number) or new_serials[(c.product_id, number)][0])
             for c, move_id in zip(checked, move_ids, strict=True) for number in c.serials]
    relocations = _relocations(checked)
    operations: list[bulk.Operation] = [
        bulk.Insert(MOVE, _MOVE_COLUMNS, move_rows, {
            "move_date": move_date, "origin_type": origin_type, "origin_id": origin_id,
            "reference": reference, "created_by_id": user_id, "created_at": now}),
        # Written whole, created where missing (SQLite did not create them when it read).
        bulk.Upsert(VALUATION, ("product_id",), _VALUATION_COLUMNS,
                    [(p, v.quantity, v.value, v.last_unit_cost)
                     for p, v in sorted(valuations.items()) if v.changed()],
                    assign=_VALUATION_ASSIGN, returning=())]
    if serial_rows or links:
        operations += [
            bulk.Insert(SERIAL, _SERIAL_COLUMNS, serial_rows,
                        {"received_on": move_date, "created_at": now}),
            bulk.Insert(MOVE_SERIAL, ("move_id", "serial_id"), links),
            bulk.Update(SERIAL, "id", ("location_id",), relocations, guard="location_id")]
    done = bulk.run(session, operations)
    if len(done) > 2 and done[4] != len(relocations):
        # Someone moved one of them since we looked: refuse, like a late second sale.
        first = next(c for c in checked if c.serial_ids)
        raise ValidationFailed(FieldError(
            "SERIAL_NOT_IN_LOCATION", _("A serial number is no longer in {location}"),
            field=(field, str(first.index), "serials"), location=first.from_location.code))
    session.expire_all()
    return PostingResult(move_ids=move_ids, values=[c.value or ZERO for c in checked])


_VALUATION_ASSIGN = ", ".join(f"{name} = excluded.{name}" for name in _VALUATION_COLUMNS[1:])


@dataclass
class _Valuation:
    quantity: Decimal
    value: Decimal
    last_unit_cost: Decimal
    #: Not in the database yet (SQLite: it is created when written).
    missing: bool = False

    def __post_init__(self) -> None:
        self._read = None if self.missing else (self.quantity, self.value, self.last_unit_cost)

    def average(self) -> Decimal:
        if self.quantity > 0:
            return (self.value / self.quantity).quantize(COST_PLACES, rounding=ROUND_HALF_UP)
        return self.last_unit_cost

    def changed(self) -> bool:
        """Whether costing changed it (a transfer between warehouses does not)."""
        return (self.quantity, self.value, self.last_unit_cost) != self._read


#: (location, product, batch) → (warehouse, change of quantity, first line taking from it)
_Deltas = dict[tuple[int, int, int], tuple[int, Decimal, LineCheck | None]]


def _balance_deltas(checked: list[LineCheck]) -> _Deltas:
    deltas: _Deltas = {}
    for c in checked:
        for location, sign in ((c.from_location, -1), (c.to_location, 1)):
            if location.kind not in PHYSICAL_KINDS:
                continue
            assert location.warehouse_id is not None
            key = (location.id, c.product_id, c.batch_id)
            _warehouse, delta, first = deltas.get(key, (0, ZERO, None))
            if sign < 0 and first is None:
                first = c
            deltas[key] = (location.warehouse_id, delta + sign * c.quantity, first)
    return deltas


def _refuse_negative(balances: list[tuple[Any, ...]], deltas: _Deltas, field: str) -> None:
    """Balances changed by atomic increments (never read-modify-write); one left below zero
    where the warehouse forbids it refuses the whole document."""
    errors = []
    for location_id, product_id, batch_id, quantity in balances:
        if quantity >= 0:
            continue
        _warehouse, delta, c = deltas[(location_id, product_id, batch_id)]
        if c is None or c.from_location.allow_negative:
            continue
        errors.append(FieldError(
            "INSUFFICIENT_STOCK",
            _("Not enough {product} in {location}: {available} available, {wanted} wanted"),
            field=(field, str(c.index), "quantity"), product=c.product_code,
            location=c.from_location.code, available=quantity - delta, wanted=-delta))
    if errors:
        raise ValidationFailed(errors)


def _new_serials(session: Session, facts: DocumentFacts, checked: list[LineCheck]
                 ) -> tuple[dict[tuple[int, str], tuple[int, Decimal]], list[tuple[Any, ...]]]:
    """The serial units arriving for the first time: (product, number) → (id, cost), and
    their rows — each created where the document leaves it (a unit received and moved on
    by the same document is created at its last place)."""
    count = sum(len(c.new_serials) for c in checked)
    if not count:
        return {}, []
    ids = iter(facts.draw_ids(session, SERIAL, count))
    made: dict[tuple[int, str], tuple[int, Decimal]] = {}
    rows: dict[tuple[int, str], list[Any]] = {}
    for c in checked:
        for number in c.new_serials:
            serial_id = next(ids)
            made[(c.product_id, number)] = (serial_id, c.new_serial_cost)
            rows[(c.product_id, number)] = [serial_id, c.product_id, number, c.to_location.id,
                                            c.batch_id, c.new_serial_cost]
        for number in c.carried_new:
            rows[(c.product_id, number)][3] = c.to_location.id
    return made, [tuple(row) for row in rows.values()]


def _relocations(checked: list[LineCheck]) -> list[tuple[int, int, int]]:
    """(unit, where it must be, where it goes) for the existing units the document moves,
    each guarded by where it must be (``UPDATE … WHERE location_id = :from``): a concurrent
    move of any of them makes the count short and refuses the document.  A unit moved twice
    by one document (stock → van → customer) was followed in memory by the checks; it is
    written once, from where it was to where it ends."""
    moves: dict[int, list[int]] = {}
    for c in checked:
        for serial_id in c.serial_ids.values():
            if serial_id in moves:
                moves[serial_id][1] = c.to_location.id
            else:
                moves[serial_id] = [c.from_location.id, c.to_location.id]
    return [(serial_id, src, dst) for serial_id, (src, dst) in moves.items()]


def _cost(c: LineCheck, valuation: _Valuation,
          new_serials: dict[tuple[int, str], tuple[int, Decimal]]) -> tuple[Decimal, Decimal]:
    """The value the line carries and its unit cost; updates the valuation."""
    qty = c.quantity
    incoming = c.to_location.kind in PHYSICAL_KINDS and c.from_location.kind not in PHYSICAL_KINDS
    outgoing = c.from_location.kind in PHYSICAL_KINDS and c.to_location.kind not in PHYSICAL_KINDS
    if c.serials:
        value = sum((c.serial_costs[n] if n in c.serial_costs else new_serials[
            (c.product_id, n)][1] for n in c.serials), Decimal(0))
    elif c.value is not None:
        value = c.value
    elif incoming:
        cost = c.unit_cost if c.unit_cost is not None else valuation.average()
        value = _round(qty * cost)
    elif outgoing and valuation.quantity > 0:
        value = _round(valuation.value * qty / valuation.quantity)
    else:
        value = _round(qty * valuation.average())
    if outgoing and not c.serials and valuation.quantity == qty:
        value = valuation.value  # the move that empties the stock takes what is left
    unit_cost = (value / qty).quantize(COST_PLACES, rounding=ROUND_HALF_UP)
    if incoming:
        valuation.quantity += qty
        valuation.value += value
        valuation.last_unit_cost = unit_cost
    elif outgoing:
        valuation.quantity -= qty
        valuation.value -= value
    return value, unit_cost


