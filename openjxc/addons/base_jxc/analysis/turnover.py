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

from sqlalchemy import Select, Subquery, func, literal_column, select, type_coerce, union_all
from sqlalchemy.orm import Session

from openjxc.core.models import Money

from ..stock.period_totals import SALES_ORIGINS, StockPeriodTotal, sales_routes
from ..stock.queries import stock_as_of_statement
from .closed_months import Split, split
from .common import GroupBy, Period, group_key, in_warehouses, money, rolled_up

__all__ = ["SALES_ORIGINS", "TurnoverFigure", "cost_of_goods_sold", "inventory_turnover"]
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
    ``warehouse_id`` (the warehouse the goods left or came back to), column ``cogs``: the
    closed whole months from their totals, the other days from the moves
    (:mod:`.closed_months`), so a year costs a few thousand monthly rows and the moves of
    the open month rather than every sale of the year."""
    parts = split(period)
    selects: list[Any] = []
    for sold in _moves_parts(parts):
        selects.append(select(sold.c.product_id, sold.c.warehouse_id, sold.c.cogs))
    if parts.months_from is not None:
        selects.append(select(StockPeriodTotal.product_id, StockPeriodTotal.warehouse_id,
                              StockPeriodTotal.cogs).where(*parts.month_rows()))
    return union_all(*selects).subquery("cogs")


def _moves_parts(parts: Split) -> list[Subquery]:
    found = []
    if parts.head is not None:
        found.append(sales_routes(*parts.head))
    if parts.tail is not None:
        date_from, date_to, after = parts.tail
        found.append(sales_routes(date_from, date_to, after=after))
    return found


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


