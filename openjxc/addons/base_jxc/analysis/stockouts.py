"""Stockout rate (缺货率): how often goods customers wanted ran out.

The unit is a **product × warehouse with demand** in the period: a line of a sales order
from that warehouse dated in the period (order not a draft, not cancelled), or goods
delivered from it to a customer (``sales.delivery``) in the period.  Such a pair **ran
out** when its sellable stock (the warehouse's main stock and bins, not transit,
quarantine or scrap) was at or below zero at the start of the period or at the end of any
day of it.  Stockout rate = pairs that ran out ÷ pairs with demand.

On hand is used rather than available (on hand − reserved): the ledger keeps the history
of on hand, reservations have none.

The running stock of a pair is its opening (the as-of machinery at the day before) plus a
window sum of its daily net moves — for the closed whole months of the period, the lowest
point and net change each month's totals keep (:mod:`.closed_months`) — so the whole
report is one statement (plus the closed-month look-up of the opening), whatever the size
of the ledger.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, Subquery, case, func, literal, or_, select, union, union_all
from sqlalchemy.orm import Session

from ..sales.models import CANCELLED, DRAFT, SalesOrder, SalesOrderLine
from ..stock.models import Location, StockMove
from ..stock.period_totals import SELLABLE, StockPeriodTotal, dated, sellable_lowest
from ..stock.queries import stock_as_of_statement
from .closed_months import Split, split
from .common import GroupBy, Period, group_key, in_warehouses, rolled_up, share


@dataclass(frozen=True)
class StockoutFigure:
    """Stockouts of one group (``group_id`` None for the whole company)."""

    group_id: int | None
    #: product × warehouse pairs with demand in the period
    demand_count: int
    #: of which ran out at least once
    stockout_count: int

    @property
    def rate(self) -> Decimal | None:
        return share(self.stockout_count, self.demand_count)


def _demand(period: Period) -> Subquery:
    ordered = (select(SalesOrder.warehouse_id.label("warehouse_id"),
                      SalesOrderLine.product_id.label("product_id"))
               .join(SalesOrderLine, SalesOrderLine.order_id == SalesOrder.id)
               .where(SalesOrder.order_date >= period.date_from,
                      SalesOrder.order_date <= period.date_to,
                      SalesOrder.state.not_in((DRAFT, CANCELLED))))
    parts = split(period)
    delivered: list[Any] = []
    for date_from, date_to, after in _moves_parts(parts):
        delivered.append(
            select(Location.warehouse_id, StockMove.product_id)
            .join(Location, Location.id == StockMove.from_location_id)
            .where(StockMove.origin_type == "sales.delivery",
                   *dated(date_from, date_to, after),
                   Location.warehouse_id.is_not(None)))
    if parts.months_from is not None:
        delivered.append(select(StockPeriodTotal.warehouse_id, StockPeriodTotal.product_id)
                         .where(*parts.month_rows(), StockPeriodTotal.deliveries > 0))
    return union(ordered, *delivered).subquery("demand")


def _moves_parts(parts: Split) -> list[tuple[date, date, Any]]:
    """The head and tail of the period as ``(from, to, after)`` (``after`` None: all)."""
    found: list[tuple[date, date, Any]] = []
    if parts.head is not None:
        found.append((*parts.head, None))
    if parts.tail is not None:
        found.append(parts.tail)
    return found


def _opening(session: Session, period: Period) -> Subquery:
    stock = stock_as_of_statement(session, period.day_before).subquery()
    return (select(stock.c.warehouse_id, stock.c.product_id,
                   func.sum(stock.c.quantity).label("quantity"))
            .join(Location, Location.id == stock.c.location_id)
            .where(Location.kind == SELLABLE)
            .group_by(stock.c.warehouse_id, stock.c.product_id)).subquery("opening")


def _lowest(session: Session, period: Period) -> Subquery:
    """Per pair, the lowest end-of-day running sum of the moves in and out of sellable
    stock over the period.

    The period is read in segments, in order: the head and the tail from the moves (one
    pass each: the lowest end-of-day running sum within the segment and its net change),
    each closed whole month from its totals (the same two figures, kept when it was
    closed).  The lowest over the period is the lowest of each segment's lowest plus the
    net change of the segments before it.
    """
    parts = split(period)
    unindexed = session.get_bind().dialect.name == "sqlite"
    segments: list[Any] = []
    for n, (start, end, after) in enumerate(_moves_parts(parts)):
        lowest = sellable_lowest(start, end, unindexed=unindexed, after=after,
                                 name=f"segment{n}")
        segments.append(select(lowest.c.warehouse_id, lowest.c.product_id,
                               # ordered by their last day: the head's is before the
                               # first whole month, the tail's after the last closed one
                               literal(end, Date()).label("segment"),
                               lowest.c.net, lowest.c.lowest))
    if parts.months_from is not None:
        total = StockPeriodTotal
        segments.append(select(total.warehouse_id, total.product_id,
                               total.period_end, total.sellable_net, total.sellable_lowest)
                        .where(*parts.month_rows(), total.sellable_lowest.is_not(None)))
    rows = union_all(*segments).subquery("segments")
    pair = (rows.c.warehouse_id, rows.c.product_id)
    # (each segment's own net is taken back out of the running sum, which includes it)
    before = func.sum(rows.c.net).over(partition_by=pair, order_by=rows.c.segment) - rows.c.net
    ranked = select(*pair, (before + rows.c.lowest).label("lowest")).subquery("ranked")
    return (select(ranked.c.warehouse_id, ranked.c.product_id,
                   func.min(ranked.c.lowest).label("lowest"))
            .group_by(ranked.c.warehouse_id, ranked.c.product_id)).subquery("lowest")


def stockout_rate(session: Session, period: Period, group_by: GroupBy, *,
                  warehouse_ids: Collection[int] | None = None) -> list[StockoutFigure]:
    """Stockouts per group over ``period`` (groups without demand are left out; the whole
    company always has its one row)."""
    demand = _demand(period)
    opening = _opening(session, period)
    lowest = _lowest(session, period)
    start = func.coalesce(opening.c.quantity, 0)
    ran_out = case((or_(start <= 0, start + lowest.c.lowest <= 0), 1),
                   else_=0)
    pairs = (select(demand.c.warehouse_id, demand.c.product_id,
                    ran_out.label("ran_out"))
             .outerjoin(opening, (opening.c.warehouse_id == demand.c.warehouse_id)
                        & (opening.c.product_id == demand.c.product_id))
             .outerjoin(lowest, (lowest.c.warehouse_id == demand.c.warehouse_id)
                        & (lowest.c.product_id == demand.c.product_id))
             .where(in_warehouses(demand.c.warehouse_id, warehouse_ids))
             ).subquery("pairs")
    stmt, key = group_key(select().select_from(pairs), group_by,
                          product_id=pairs.c.product_id, warehouse_id=pairs.c.warehouse_id)
    stmt = rolled_up(stmt.add_columns(key.label("group_id"),
                                      func.count().label("demand"),
                                      func.coalesce(func.sum(pairs.c.ran_out), 0)
                                      .label("ran_out")), group_by, key)
    figures = [StockoutFigure(r.group_id, int(r.demand), int(r.ran_out))
               for r in session.execute(stmt)]
    return sorted(figures, key=lambda f: f.group_id or 0)


