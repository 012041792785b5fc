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
window sum of its daily net moves, so the whole report is one statement (plus the
closed-month look-up of the opening), whatever the size of the ledger.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Subquery, case, func, or_, select, union, union_all
from sqlalchemy.orm import Session, aliased

from ..sales.models import CANCELLED, DRAFT, SalesOrder, SalesOrderLine
from ..stock.models import Location, StockMove
from ..stock.queries import stock_as_of_statement
from .common import GroupBy, Period, group_key, in_warehouses, rolled_up, share
from .sql import unindexed

SELLABLE = "internal"


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
    delivered = (select(Location.warehouse_id, StockMove.product_id)
                 .join(Location, Location.id == StockMove.from_location_id)
                 .where(StockMove.origin_type == "sales.delivery",
                        StockMove.move_date >= period.date_from,
                        StockMove.move_date <= period.date_to,
                        Location.warehouse_id.is_not(None)))
    return union(ordered, delivered).subquery("demand")


def _opening(session: Session, period: Period) -> Subquery:
    stock = stock_as_of_statement(session, period.day_before).subquery()
    return (select(stock.c.warehouse_id, stock.c.product_id,
                   func.sum(stock.c.quantity).label("quantity"))
            .join(Location, Location.id == stock.c.location_id)
            .where(Location.kind == SELLABLE)
            .group_by(stock.c.warehouse_id, stock.c.product_id)).subquery("opening")


def _lowest(period: Period) -> Subquery:
    """Per pair, the lowest end-of-day running sum of the moves in and out of sellable
    stock.

    One pass over the period's moves (each with the warehouse it left sellable stock of
    and the one it entered sellable stock of, if any), read twice from a CTE: once for
    what came in, once for what went out.  A move between two sellable places of one
    warehouse nets to zero.
    """
    source, target = aliased(Location), aliased(Location)
    moves = (select(StockMove.product_id, StockMove.move_date, StockMove.quantity,
                    case((source.kind == SELLABLE, source.warehouse_id)).label("out_of"),
                    case((target.kind == SELLABLE, target.warehouse_id)).label("into"))
             .join(source, source.id == unindexed(StockMove.from_location_id))
             .join(target, target.id == unindexed(StockMove.to_location_id))
             .where(StockMove.move_date >= period.date_from,
                    StockMove.move_date <= period.date_to,
                    or_(source.kind == SELLABLE, target.kind == SELLABLE))
             ).cte("sellable_moves")
    # (a literal sign would be bound as a Quantity, scaled on SQLite: negate instead)
    sides = union_all(*(select(warehouse.label("warehouse_id"), moves.c.product_id,
                               moves.c.move_date, quantity.label("quantity"))
                        .where(warehouse.is_not(None))
                        for warehouse, quantity in ((moves.c.into, moves.c.quantity),
                                                    (moves.c.out_of, -moves.c.quantity))
                        )).subquery("sides")
    # With its default frame (RANGE … CURRENT ROW, peers included) the window gives every
    # move of a day the running stock at the end of that day: no daily sums needed.
    running = select(sides.c.warehouse_id, sides.c.product_id,
                     func.sum(sides.c.quantity).over(
                         partition_by=(sides.c.warehouse_id, sides.c.product_id),
                         order_by=sides.c.move_date).label("running")).subquery("running")
    return (select(running.c.warehouse_id, running.c.product_id,
                   func.min(running.c.running).label("lowest"))
            .group_by(running.c.warehouse_id, running.c.product_id)).subquery("lowest")


def stockout_rate(session: Session, period: Period, group_by: GroupBy, *,
                  warehouse_ids: Collection[int] | None = None) -> list[StockoutFigure]:
    """Stockouts per group over ``period`` (groups without demand are left out; the whole
    company always has its one row)."""
    demand = _demand(period)
    opening = _opening(session, period)
    lowest = _lowest(period)
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


