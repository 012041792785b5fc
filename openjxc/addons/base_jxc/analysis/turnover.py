"""Inventory turnover (库存周转率): cost of goods sold ÷ average inventory value.

* **Cost of goods sold** of a period is the value the ledger recorded on the goods that
  left for customers (``sales.delivery`` moves) minus the value of what customers sent
  back (``sales.return`` moves), dated in the period; a reversal of either counts against
  it.  It is signed by direction: a sales move leaving a warehouse adds, one arriving in a
  warehouse subtracts.
* **Average inventory value** is the mean of the stock value at the end of the day before
  the period (opening) and at the end of its last day (closing), read with the stock
  chapter's as-of machinery (the last closed month's snapshot plus the later moves), over
  every physical location (stock, bins, transit, quarantine, scrap).
* **Turnover** = COGS ÷ average value; **turnover days** = days of the period ÷ turnover
  (= average value × days ÷ COGS).  Both are null when they would divide by zero or by a
  negative average (negative stock).

Example: COGS 6,000.00 over a 31-day month with opening 10,000.00 and closing 2,000.00 →
average 6,000.00, turnover 1.00, turnover days 31.0.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import (
    Select,
    Subquery,
    case,
    func,
    literal_column,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from openjxc.core.models import Money

from ..stock.models import Location, StockMove
from ..stock.queries import stock_as_of_statement
from .common import GroupBy, Period, group_key, in_warehouses, money, rolled_up

#: Where sold goods leave to and come back from; their values are the cost of goods sold.
SALES_ORIGINS = ("sales.delivery", "sales.return")
TURNOVER_PLACES = Decimal("0.01")
DAYS_PLACES = Decimal("0.1")


@dataclass(frozen=True)
class TurnoverFigure:
    """Turnover of one group (``group_id`` None for the whole company)."""

    group_id: int | None
    cost_of_goods_sold: Decimal
    opening_value: Decimal
    closing_value: Decimal
    days: int

    @property
    def average_value(self) -> Decimal:
        return ((self.opening_value + self.closing_value) / 2).quantize(
            Decimal("0.01"), ROUND_HALF_UP)

    @property
    def turnover(self) -> Decimal | None:
        if self.average_value <= 0:
            return None
        return (self.cost_of_goods_sold / self.average_value).quantize(TURNOVER_PLACES,
                                                                        ROUND_HALF_UP)

    @property
    def turnover_days(self) -> Decimal | None:
        if self.average_value <= 0 or self.cost_of_goods_sold <= 0:
            return None
        return (self.average_value * self.days / self.cost_of_goods_sold).quantize(
            DAYS_PLACES, ROUND_HALF_UP)


def cost_of_goods_sold(period: Period) -> Subquery:
    """A subquery of the cost of goods sold in ``period`` per ``product_id`` ×
    ``warehouse_id`` (the warehouse the goods left or came back to), column ``cogs``.

    The moves are summed per product × from × to location first and only those few sums
    are joined to their locations: a year of sales is hundreds of thousands of moves but a
    few thousand such routes.
    """
    move, original = StockMove, aliased(StockMove)
    in_period = (move.move_date >= period.date_from, move.move_date <= period.date_to)
    routes = (move.product_id, move.from_location_id, move.to_location_id)
    direct = (select(*routes, func.sum(move.value).label("value"))
              .where(move.origin_type.in_(SALES_ORIGINS), *in_period).group_by(*routes))
    mirrored = (select(*routes, func.sum(move.value).label("value"))
                .join(original, original.id == move.reversal_of_id)
                .where(move.origin_type == "reversal", original.origin_type.in_(SALES_ORIGINS),
                       *in_period).group_by(*routes))
    sums = union_all(direct, mirrored).subquery("sales_routes")
    source, target = aliased(Location), aliased(Location)
    return (select(sums.c.product_id.label("product_id"),
                   func.coalesce(source.warehouse_id, target.warehouse_id).label("warehouse_id"),
                   case((source.warehouse_id.is_not(None), sums.c.value), else_=-sums.c.value)
                   .label("cogs"))
            .join(source, source.id == sums.c.from_location_id)
            .join(target, target.id == sums.c.to_location_id)).subquery("cogs")


def _stock_values(session: Session, as_of: Any, column: str) -> Select[Any]:
    """Stock value per product × warehouse at the end of ``as_of``, in the ``column`` of
    the parts below (the others zero)."""
    stock = stock_as_of_statement(session, as_of).subquery()
    values = {name: stock.c.value if name == column else literal_column("0")
              for name in ("opening", "closing")}
    return select(stock.c.product_id.label("product_id"),
                  stock.c.warehouse_id.label("warehouse_id"),
                  literal_column("0").label("cogs"),
                  values["opening"].label("opening"), values["closing"].label("closing"))


def inventory_turnover(session: Session, period: Period, group_by: GroupBy, *,
                       warehouse_ids: Collection[int] | None = None) -> list[TurnoverFigure]:
    """Turnover per group over ``period``; groups with neither sales nor stock are left
    out (the whole company always has its one row).  Three statements: the closed-month
    look-ups for the opening and closing dates, then one that sums everything."""
    sold = cost_of_goods_sold(period)
    cogs = select(sold.c.product_id, sold.c.warehouse_id, sold.c.cogs,
                  literal_column("0").label("opening"), literal_column("0").label("closing"))
    parts = union_all(cogs, _stock_values(session, period.day_before, "opening"),
                      _stock_values(session, period.date_to, "closing")).subquery("parts")
    stmt, key = group_key(select().select_from(parts), group_by,
                          product_id=parts.c.product_id, warehouse_id=parts.c.warehouse_id)
    stmt = stmt.add_columns(key.label("group_id"),
                            *(type_coerce(func.sum(parts.c[name]), Money()).label(name)
                              for name in ("cogs", "opening", "closing")))
    stmt = rolled_up(stmt.where(in_warehouses(parts.c.warehouse_id, warehouse_ids)),
                     group_by, key)
    figures = []
    for row in session.execute(stmt):
        figure = TurnoverFigure(row.group_id, money(row.cogs), money(row.opening),
                                money(row.closing), period.days)
        if group_by is GroupBy.NONE or any((figure.cost_of_goods_sold, figure.opening_value,
                                            figure.closing_value)):
            figures.append(figure)
    return sorted(figures, key=lambda f: f.group_id or 0)


