"""Posting a count: variances become adjustment moves, in one ``post_moves`` call.

For a location × product × batch::

    variance = counted − (expected at start + net moves in since the start)

where the moves counted are those with an id above the count's ``start_move_id`` and, for
a counted line, at most the line's ``counted_move_id`` (the ledger's highest move when it
was last scanned): a delivery made during the count, before the shelf was counted, is
not a variance, and neither is one made after it was counted.

* Lines nobody counted count as zero in a full count; a cycle count does the same unless
  posted with ``zero_uncounted=False``, which leaves them untouched (and out of the
  accuracy figures).
* Surplus comes in from the company ADJUSTMENT location at the product's current average
  cost; shortage goes out to it (at the average, as every issue does).
* Serial units are judged one by one, not by quantity: a unit expected and not found
  (and still where it was expected) goes out to ADJUSTMENT; a unit found where the
  ledger does not have it moves from wherever the ledger has it (a unit written off
  earlier comes back in from ADJUSTMENT at its own cost; a unit booked on another shelf
  is relocated).  A unit the ledger moved after it was scanned is left to the ledger.

The number of statements does not depend on the number of lines.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import bindparam, func, select, type_coerce, update
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.models import Quantity, utcnow

from ..catalog.models import Product
from ..stock.models import SerialNumber, StockMove, StockValuation, table_of
from ..stock.posting import MoveLine, business_today, post_moves
from ..stock.warehouses import company_location
from .events import StockCountPosted
from .lookup import count_by_number
from .models import StockCount, StockCountLine, StockCountSerial

CENT = Decimal("0.01")
COST_PLACES = Decimal("0.000001")
LineKey = tuple[int, int, int]


@dataclass
class _Line:
    id: int
    key: LineKey
    tracking: str
    expected: Decimal
    counted: Decimal | None
    moved: Decimal
    judged: bool = False
    variance: Decimal = Decimal(0)
    variance_value: Decimal = Decimal(0)


def post_count(session: Session, *, number: str, zero_uncounted: bool | None = None,
               user_id: int | None = None) -> StockCount:
    """Post the count's variances as adjustment moves and close it.

    Refusals: ``NOT_FOUND``, ``NOT_IN_PROGRESS`` (posted twice, or cancelled),
    ``INVALID`` (``zero_uncounted=False`` on a full count), and whatever
    :func:`~..stock.posting.post_moves` refuses (e.g. ``STOCK_PERIOD_CLOSED``).
    """
    count = count_by_number(session, number, lock=True, in_progress=True)
    if count.scope == "full" and zero_uncounted is False:
        raise ValidationFailed(FieldError(
            "INVALID", _("A full count takes every uncounted line as zero"),
            field="zeroUncounted"))
    zero = zero_uncounted is not False
    now_move_id = session.scalar(select(func.max(StockMove.id))) or 0
    lines = _load_lines(session, count, now_move_id)
    averages = _averages(session, count.id)
    by_key = {line.key: line for line in lines}
    for line in lines:
        line.judged = line.counted is not None or zero
        if line.judged and line.tracking != "serial":
            counted = line.counted if line.counted is not None else Decimal(0)
            line.counted = counted
            line.variance = counted - (line.expected + line.moved)
        elif line.judged:
            line.counted = line.counted if line.counted is not None else Decimal(0)
    adjustment = company_location(session, "adjustment").id
    moves: list[MoveLine] = []
    touches: list[list[tuple[_Line, int]]] = []  # per move: (line, sign)
    for line in lines:
        if line.tracking == "serial" or line.variance == 0:
            continue
        location, product, batch = line.key
        surplus = line.variance > 0
        moves.append(MoveLine(product_id=product, quantity=abs(line.variance),
                              from_location_id=adjustment if surplus else location,
                              to_location_id=location if surplus else adjustment,
                              batch_id=batch or None))
        touches.append([(line, 1 if surplus else -1)])
    for (source, target, product, batch), numbers in sorted(
            _serial_moves(session, count.id, by_key, adjustment).items()):
        moves.append(MoveLine(product_id=product, quantity=Decimal(len(numbers)),
                              from_location_id=source, to_location_id=target,
                              batch_id=batch or None, serials=sorted(numbers)))
        touched = []
        for location, sign in ((source, -1), (target, 1)):
            moved_line = by_key.get((location, product, batch))
            if moved_line is not None:
                moved_line.variance += sign * len(numbers)
                touched.append((moved_line, sign))
        touches.append(touched)
    move_ids: list[int] = []
    move_date = business_today(session)
    if moves:
        result = post_moves(session, moves, move_date=move_date, origin_type="count",
                            origin_id=count.id, reference=count.number, user_id=user_id)
        move_ids = result.move_ids
        for value, touched in zip(result.values, touches, strict=True):
            for line, sign in touched:
                line.variance_value += sign * value
    _save(session, count, lines, averages, zero=zero, user_id=user_id, move_date=move_date)
    publish(session, StockCountPosted(count_id=count.id, number=count.number,
                                      warehouse_id=count.warehouse_id,
                                      move_ids=tuple(move_ids)))
    return count


def _load_lines(session: Session, count: StockCount, now_move_id: int) -> list[_Line]:
    """The lines with their net moves since the start (up to when each was counted)."""
    line = table_of(StockCountLine)
    move = table_of(StockMove)
    window = (move.c.product_id == line.c.product_id, move.c.batch_id == line.c.batch_id,
              move.c.id > count.start_move_id,
              move.c.id <= func.coalesce(line.c.counted_move_id, now_move_id))

    def net(column: Any) -> Any:
        total = (select(func.coalesce(func.sum(move.c.quantity), 0))
                 .where(column == line.c.location_id, *window).scalar_subquery())
        return type_coerce(total, Quantity())

    rows = session.execute(
        select(line.c.id, line.c.location_id, line.c.product_id, line.c.batch_id,
               line.c.expected_quantity, line.c.counted_quantity, Product.tracking,
               net(move.c.to_location_id).label("moved_in"),
               net(move.c.from_location_id).label("moved_out"))
        .join(Product, Product.id == line.c.product_id)
        .where(line.c.count_id == count.id).order_by(line.c.id))
    return [_Line(id=r.id, key=(r.location_id, r.product_id, r.batch_id), tracking=r.tracking,
                  expected=r.expected_quantity, counted=r.counted_quantity,
                  moved=r.moved_in - r.moved_out) for r in rows]


def _averages(session: Session, count_id: int) -> dict[int, Decimal]:
    """Each counted product's current average unit cost (移动加权平均)."""
    products = select(StockCountLine.product_id).where(StockCountLine.count_id == count_id)
    averages = {}
    for r in session.execute(select(StockValuation.product_id, StockValuation.quantity,
                                    StockValuation.value, StockValuation.last_unit_cost)
                             .where(StockValuation.product_id.in_(products))):
        averages[r.product_id] = ((r.value / r.quantity).quantize(COST_PLACES, ROUND_HALF_UP)
                                  if r.quantity > 0 else r.last_unit_cost)
    return averages


def _serial_moves(session: Session, count_id: int, lines: dict[LineKey, _Line],
                  adjustment: int) -> dict[tuple[int, int, int, int], list[str]]:
    """(from, to, product, batch) → serial numbers to move, as described above."""
    unit = table_of(StockCountSerial)
    moves: dict[tuple[int, int, int, int], list[str]] = defaultdict(list)
    for r in session.execute(
            select(unit.c.product_id, unit.c.batch_id, unit.c.expected_location_id,
                   unit.c.found_location_id, unit.c.seen_location_id,
                   SerialNumber.location_id.label("now"), SerialNumber.number)
            .join(SerialNumber, SerialNumber.id == unit.c.serial_id)
            .where(unit.c.count_id == count_id)):
        if r.found_location_id is not None:
            if r.now == r.seen_location_id and r.now != r.found_location_id:
                moves[(r.now, r.found_location_id, r.product_id, r.batch_id)].append(r.number)
            continue
        expected = r.expected_location_id
        line = lines.get((expected, r.product_id, r.batch_id)) if expected else None
        if expected is not None and r.now == expected and line is not None and line.judged:
            moves[(expected, adjustment, r.product_id, r.batch_id)].append(r.number)
    return moves


def _save(session: Session, count: StockCount, lines: list[_Line],
          averages: dict[int, Decimal], *, zero: bool, user_id: int | None,
          move_date: Any) -> None:
    expected_value = Decimal(0)
    variance_value = Decimal(0)
    judged = accurate = 0
    rows = []
    for line in lines:
        cost = averages.get(line.key[1], Decimal(0))
        if line.judged:
            judged += 1
            accurate += line.variance == 0
            expected_value += ((line.expected + line.moved) * cost).quantize(CENT, ROUND_HALF_UP)
            variance_value += line.variance_value
        rows.append({"line_id": line.id, "counted": line.counted, "moved": line.moved,
                     "variance": line.variance, "cost": cost, "value": line.variance_value})
    if rows:
        table = table_of(StockCountLine)
        session.execute(update(table).where(table.c.id == bindparam("line_id")).values(
            counted_quantity=bindparam("counted"), moved_quantity=bindparam("moved"),
            variance_quantity=bindparam("variance"), unit_cost=bindparam("cost"),
            variance_value=bindparam("value")), rows)
    count.state = "posted"
    count.posted_at = utcnow()
    count.posted_on = move_date
    count.posted_by_id = user_id
    count.zero_uncounted = zero
    count.line_count = judged
    count.accurate_line_count = accurate
    count.expected_value = expected_value
    count.variance_value = variance_value
    session.flush()
