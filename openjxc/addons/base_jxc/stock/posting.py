"""Posting moves into the ledger: the one door every change of stock goes through.

:func:`post_moves` validates a whole document's lines against the database, then writes
in a fixed number of set-based statements, whatever the number of lines:

1. new batches and serial units, the moves and the serials they carried;
2. serial units move with a guarded ``UPDATE … WHERE location_id = :from`` (a concurrent
   delivery of the same unit finds it gone and is refused);
3. balances change by atomic increments (``INSERT … ON CONFLICT DO UPDATE SET quantity =
   quantity + excluded.quantity RETURNING quantity``) — never read-modify-write — and a
   result below zero where the warehouse forbids it refuses the whole document;
4. the product's valuation (moving weighted average) is locked, costed and written.

Everything happens inside a savepoint: a refusal leaves nothing behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from openjxc.core.db import upsert
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _

from .checks import LineCheck, check_lines
from .events import StockMovesPosted
from .ids import allocate_ids
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
               field: str = "lines") -> PostingResult:
    """Post ``lines`` as one document; all of them or none.

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
    with session.begin_nested():
        checked = check_lines(session, lines, move_date=move_date, allow_expired=allow_expired,
                              field=field)
        result = _write(session, checked, move_date=move_date, origin_type=origin_type,
                        origin_id=origin_id, reference=reference, user_id=user_id, field=field)
    publish(session, StockMovesPosted(move_ids=tuple(result.move_ids), origin_type=origin_type,
                                      origin_id=origin_id))
    return result


def _round(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _write(session: Session, checked: list[LineCheck], *, move_date: date, origin_type: str,
           origin_id: int | None, reference: str, user_id: int | None,
           field: str) -> PostingResult:
    product_ids = sorted({c.product_id for c in checked})
    valuations = _lock_valuations(session, product_ids)
    for c in checked:
        if c.new_serials:
            cost = c.unit_cost if c.unit_cost is not None else valuations[c.product_id].average()
            c.new_serial_cost = _round(cost)
    new_serials = _insert_new_serials(session, checked, move_date)
    move_rows = []
    for c in checked:
        value, unit_cost = _cost(c, valuations[c.product_id], new_serials)
        c.value = value
        move_rows.append({
            "move_date": move_date, "product_id": c.product_id,
            "from_location_id": c.from_location.id, "to_location_id": c.to_location.id,
            "batch_id": c.batch_id, "quantity": c.quantity, "unit_cost": unit_cost,
            "value": value, "origin_type": origin_type, "origin_id": origin_id,
            "reference": reference, "note": c.note, "reversal_of_id": c.reversal_of_id,
            "created_by_id": user_id,
        })
    table = table_of(StockMove)
    move_ids = allocate_ids(session, table, len(move_rows))
    for row, move_id in zip(move_rows, move_ids, strict=True):
        row["id"] = move_id
    session.execute(insert(table), move_rows)
    links = []
    for c, move_id in zip(checked, move_ids, strict=True):
        for number in c.serials:
            serial_id = c.serial_ids.get(number) or new_serials[(c.product_id, number)][0]
            links.append({"move_id": move_id, "serial_id": serial_id})
    if links:
        session.execute(insert(table_of(StockMoveSerial)), links)
    _move_existing_serials(session, checked, new_serials, field)
    _apply_balances(session, checked, field)
    _save_valuations(session, valuations)
    session.expire_all()
    return PostingResult(move_ids=move_ids, values=[c.value or Decimal(0) for c in checked])


@dataclass
class _Valuation:
    quantity: Decimal
    value: Decimal
    last_unit_cost: Decimal

    def average(self) -> Decimal:
        if self.quantity > 0:
            return (self.value / self.quantity).quantize(COST_PLACES, rounding=ROUND_HALF_UP)
        return self.last_unit_cost


def _lock_valuations(session: Session, product_ids: list[int]) -> dict[int, _Valuation]:
    """The products' valuation rows, locked in product order (no deadlocks) on PostgreSQL.

    SQLite serialises writers with ``BEGIN IMMEDIATE``, so the lock is implicit there.
    """
    table = table_of(StockValuation)
    session.execute(upsert(session, table).on_conflict_do_nothing(),
                    [{"product_id": p, "quantity": Decimal(0), "value": Decimal(0),
                      "last_unit_cost": Decimal(0)} for p in product_ids])
    rows = session.execute(select(StockValuation.product_id, StockValuation.quantity,
                                  StockValuation.value, StockValuation.last_unit_cost)
                           .where(StockValuation.product_id.in_(product_ids))
                           .order_by(StockValuation.product_id).with_for_update())
    return {r.product_id: _Valuation(r.quantity, r.value, r.last_unit_cost) for r in rows}


def _insert_new_serials(session: Session, checked: list[LineCheck],
                        move_date: date) -> dict[tuple[int, str], tuple[int, Decimal]]:
    """Create the serial units that arrive for the first time: (product, number) → (id, cost)."""
    keys: list[tuple[int, str, Decimal]] = []
    rows = []
    for c in checked:
        for number in c.new_serials:
            keys.append((c.product_id, number, c.new_serial_cost))
            rows.append({"product_id": c.product_id, "number": number,
                         "location_id": c.to_location.id, "batch_id": c.batch_id,
                         "unit_cost": c.new_serial_cost, "received_on": move_date})
    if not rows:
        return {}
    table = table_of(SerialNumber)
    ids = allocate_ids(session, table, len(rows))
    for row, serial_id in zip(rows, ids, strict=True):
        row["id"] = serial_id
    session.execute(insert(table), rows)
    return {(product_id, number): (serial_id, cost)
            for (product_id, number, cost), serial_id in zip(keys, ids, strict=True)}


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


def _move_existing_serials(session: Session, checked: list[LineCheck],
                           new_serials: dict[tuple[int, str], tuple[int, Decimal]],
                           field: str) -> None:
    """Relocate the units, each guarded by where it must be: one ``executemany`` in line order
    (a unit moved twice by one document moves twice); a concurrent move of any of them makes
    the total short and refuses the document."""
    params = [{"sid": serial_id, "src": c.from_location.id, "dst": c.to_location.id}
              for c in checked
              for serial_id in (*c.serial_ids.values(),
                                *(new_serials[(c.product_id, n)][0] for n in c.carried_new))]
    if not params:
        return
    table = table_of(SerialNumber)
    moved = session.execute(update(table)
                            .where(table.c.id == bindparam("sid"),
                                   table.c.location_id == bindparam("src"))
                            .values(location_id=bindparam("dst")), params)
    if moved.rowcount != len(params):  # type: ignore[attr-defined]
        # Someone moved one of them since we looked: refuse, like a late second sale.
        first = next(c for c in checked if c.serial_ids or c.carried_new)
        raise ValidationFailed(FieldError(
            "SERIAL_NOT_IN_LOCATION", _("A serial number is no longer in {location}"),
            field=(field, str(first.index), "serials"), location=first.from_location.code))


def _apply_balances(session: Session, checked: list[LineCheck], field: str) -> None:
    deltas: dict[tuple[int, int, int], Decimal] = {}
    warehouses: dict[tuple[int, int, int], int] = {}
    first_out: dict[tuple[int, int, int], LineCheck] = {}
    for c in checked:
        for location, sign in ((c.from_location, -1), (c.to_location, 1)):
            if location.kind not in PHYSICAL_KINDS:
                continue
            key = (location.id, c.product_id, c.batch_id)
            deltas[key] = deltas.get(key, Decimal(0)) + sign * c.quantity
            assert location.warehouse_id is not None
            warehouses[key] = location.warehouse_id
            if sign < 0:
                first_out.setdefault(key, c)
    if not deltas:
        return
    table = table_of(StockBalance)
    insert_or_add = upsert(session, table)
    stmt = insert_or_add.on_conflict_do_update(
        index_elements=["location_id", "product_id", "batch_id"],
        set_={"quantity": table.c.quantity + insert_or_add.excluded.quantity},
    ).returning(table.c.location_id, table.c.product_id, table.c.batch_id, table.c.quantity)
    keys = sorted(deltas)
    rows = session.execute(stmt, [
        {"location_id": k[0], "product_id": k[1], "batch_id": k[2], "warehouse_id": warehouses[k],
         "quantity": deltas[k], "reserved": Decimal(0)} for k in keys])
    errors = []
    for row in rows:
        key = (row.location_id, row.product_id, row.batch_id)
        if row.quantity >= 0 or key not in first_out:
            continue
        c = first_out[key]
        location = c.from_location
        if location.allow_negative:
            continue
        errors.append(FieldError(
            "INSUFFICIENT_STOCK",
            _("Not enough {product} in {location}: {available} available, {wanted} wanted"),
            field=(field, str(c.index), "quantity"), product=c.product_code,
            location=location.code, available=row.quantity - deltas[key],
            wanted=-deltas[key]))
    if errors:
        raise ValidationFailed(errors)


def _save_valuations(session: Session, valuations: dict[int, _Valuation]) -> None:
    table = table_of(StockValuation)
    session.execute(update(table).where(table.c.product_id == bindparam("pid"))
                    .values(quantity=bindparam("qty"), value=bindparam("val"),
                            last_unit_cost=bindparam("last")),
                    [{"pid": p, "qty": v.quantity, "val": v.value, "last": v.last_unit_cost}
                     for p, v in valuations.items()])
