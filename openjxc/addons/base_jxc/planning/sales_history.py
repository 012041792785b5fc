"""Monthly sales read from the stock ledger, in one set-based statement.

Sales of a month = Σ quantity of the moves with ``origin_type`` ``sales.delivery`` minus
those of ``sales.return``, by the month of ``move_date``.  A reversal (``origin_type``
``reversal``) of such a move counts against it: the sign of a move is its direction —
out to a company-wide location (the customers') is a sale (+), back from it is a return
(−) — so deliveries, returns and their reversals all net out.  A move belongs to the
warehouse of its other side.

Months are numbered ``year × 12 + month − 1`` (:func:`month_index`), so consecutive
months are consecutive integers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, case, extract, func, literal, or_, select, union_all
from sqlalchemy.orm import Session, aliased

from ..stock.models import Location, StockMove

SALES_ORIGINS = ("sales.delivery", "sales.return")
REVERSAL = "reversal"
#: The bucket of the moves before the first month asked for.
EARLIER = -1
#: How far before the first month asked for a sale still counts as "sold earlier": the
#: ledger is read over a bounded window however long the history is.
EARLIER_MONTHS = 12


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)


def month_label(index: int) -> str:
    """``2026-03``."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


@dataclass
class SalesHistory:
    """What one product sold, per month (only months with moves are present)."""

    months: dict[int, Decimal] = field(default_factory=dict)
    #: Whether it sold (or had returns) in the year before the first month asked for.
    sold_earlier: bool = False

    def series(self, first: int, end: int) -> tuple[int, list[Decimal]]:
        """(the first month of the history, one quantity a month up to ``end`` exclusive).

        The history starts at ``first`` when the product sold shortly before it, else at
        its first month with sales; months without moves in between are zero.
        """
        start = first if self.sold_earlier else min(self.months, default=end)
        start = max(start, first)
        return start, [self.months.get(i, Decimal(0)) for i in range(start, end)]


def sales_rows(*, since: date, until: date, warehouse_id: int | None = None,
               product_ids: Sequence[int] | None = None) -> Any:
    """``(product_id, move_date, quantity)`` of the sales moves dated in ``[since, until)``,
    quantity signed by direction — a building block for :func:`monthly_sales` and for "has
    it sold" filters.

    Two parts joined by ``UNION ALL``, each served by the (origin type, date) index: the
    sales moves themselves, and reversals of sales moves.  The sides of a move are tested
    against small location-id lists rather than joined, so the planner keeps to the index.
    """
    company = select(Location.id).where(Location.warehouse_id.is_(None))
    own = select(Location.id).where(Location.warehouse_id == warehouse_id)
    wanted = sorted(set(product_ids)) if product_ids is not None else None

    def part(move: Any) -> Select[Any]:
        signed = case((move.to_location_id.in_(company), move.quantity), else_=-move.quantity)
        stmt = select(move.product_id.label("product_id"), move.move_date.label("move_date"),
                      signed.label("quantity")).where(move.move_date >= since,
                                                      move.move_date < until)
        if warehouse_id is not None:
            stmt = stmt.where(or_(move.from_location_id.in_(own),
                                  move.to_location_id.in_(own)))
        if wanted is not None:
            stmt = stmt.where(move.product_id.in_(wanted))
        return stmt

    reversal, original = aliased(StockMove, name="reversal"), aliased(StockMove, name="original")
    return union_all(
        part(StockMove).where(StockMove.origin_type.in_(SALES_ORIGINS)),
        part(reversal).join(original, original.id == reversal.reversal_of_id)
        .where(reversal.origin_type == REVERSAL, original.origin_type.in_(SALES_ORIGINS)))


def monthly_sales(session: Session, *, first: int, end: int,
                  product_ids: Sequence[int] | None = None,
                  warehouse_id: int | None = None) -> dict[int, SalesHistory]:
    """Sales per product and month in ``[first, end)`` (month indexes), and whether the
    product sold in the :data:`EARLIER_MONTHS` before ``first`` (a product dormant longer
    than that is read as starting anew) — one statement for all products asked for (all
    products when ``product_ids`` is None), in one warehouse or all of them.
    """
    rows = sales_rows(since=month_start(first - EARLIER_MONTHS), until=month_start(end),
                      warehouse_id=warehouse_id, product_ids=product_ids).subquery("sales")
    month = case((rows.c.move_date < month_start(first), literal(EARLIER)),
                 else_=extract("year", rows.c.move_date) * 12
                 + extract("month", rows.c.move_date) - 1)
    # Grouped outside, so that both backends group by the computed month as one column.
    dated = select(rows.c.product_id, month.label("month"), rows.c.quantity).subquery("dated")
    grouped = (select(dated.c.product_id, dated.c.month, func.sum(dated.c.quantity))
               .group_by(dated.c.product_id, dated.c.month))
    found: dict[int, SalesHistory] = defaultdict(SalesHistory)
    for product_id, index, quantity in session.execute(grouped):
        history = found[product_id]
        if int(index) == EARLIER:
            history.sold_earlier = True
        else:
            history.months[int(index)] = Decimal(quantity or 0)
    return dict(found)
