"""The analysis as plain services, for the API, the CLI, other addons and tests.

Every report takes a session, a checked :class:`~.common.Period` (``period(from, to)``),
a :class:`~.common.GroupBy` and optionally the warehouses to limit it to, and returns one
figure per group (the whole company: one figure with ``group_id`` None)::

    report = period(date(2026, 1, 1), date(2026, 3, 31))
    for f in inventory_turnover(session, report, GroupBy.CATEGORY):
        print(f.group_id, f.cost_of_goods_sold, f.average_value, f.turnover)

Each runs a fixed number of set-based statements whatever the size of the ledger; what
exactly each figure means is told in its module (:mod:`.turnover`, :mod:`.stockouts`,
:mod:`.deliveries`, :mod:`.accuracy`, :mod:`.approvals`, :mod:`.trend`,
:mod:`.dead_stock`).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from sqlalchemy.orm import Session

from ..stock.posting import business_today
from .accuracy import AccuracyFigure, inventory_accuracy
from .approvals import ApprovalTimeFigure, purchase_approval_time
from .common import GroupBy, Period, period
from .dead_stock import (
    DeadStockCriteria,
    DeadStockItem,
    StockAge,
    criteria,
    dead_stock,
    dead_stock_statement,
    item_of,
)
from .deliveries import OnTimeFigure
from .deliveries import on_time_delivery as _on_time_delivery
from .stockouts import StockoutFigure, stockout_rate
from .trend import SalesMonth, TrendFigure, sales_trend
from .turnover import TurnoverFigure, inventory_turnover


def on_time_delivery(session: Session, report: Period, group_by: GroupBy, *,
                     warehouse_ids: Collection[int] | None = None,
                     today: date | None = None) -> list[OnTimeFigure]:
    """On-time delivery (see :mod:`.deliveries`); orders promised after ``today``
    (default: the business date) are not judged yet."""
    return _on_time_delivery(session, report, group_by, warehouse_ids=warehouse_ids,
                             today=today or business_today(session))


__all__ = [
    "AccuracyFigure",
    "ApprovalTimeFigure",
    "DeadStockCriteria",
    "DeadStockItem",
    "GroupBy",
    "OnTimeFigure",
    "Period",
    "SalesMonth",
    "StockAge",
    "StockoutFigure",
    "TrendFigure",
    "TurnoverFigure",
    "criteria",
    "dead_stock",
    "dead_stock_statement",
    "inventory_accuracy",
    "inventory_turnover",
    "item_of",
    "on_time_delivery",
    "period",
    "purchase_approval_time",
    "sales_trend",
    "stockout_rate",
]
