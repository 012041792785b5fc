"""Inventory accuracy (库存准确率) from the stock counts posted in the period.

Line accuracy = lines without a variance ÷ lines judged (counted, or taken as zero), as the
counts chapter keeps it on each posted count (:mod:`..counts.accuracy`).  For the whole
company and per warehouse the figures are that chapter's, summed count by count (with its
value accuracy ``1 − Σ|variance value of a count| ÷ Σ expected value``).  Per product or
category they come from the posted lines themselves: a posted line was judged when it
has a counted quantity, and accurate when its variance is zero; value accuracy is not
given at that grain (a count's value figures are kept per count, not per line).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..counts.accuracy import InventoryAccuracy, count_accuracy
from ..counts.models import StockCount, StockCountLine
from ..stock.models import Warehouse
from .common import GroupBy, Period, group_key, in_warehouses, rolled_up, share

POSTED = "posted"


@dataclass(frozen=True)
class AccuracyFigure:
    """Inventory accuracy of one group (``group_id`` None for the whole company)."""

    group_id: int | None
    count_count: int
    line_count: int
    accurate_line_count: int
    #: None per product and category, and when no count was posted
    value_accuracy: Decimal | None

    @property
    def line_accuracy(self) -> Decimal | None:
        return share(self.accurate_line_count, self.line_count)


def inventory_accuracy(session: Session, period: Period, group_by: GroupBy, *,
                       warehouse_ids: Collection[int] | None = None) -> list[AccuracyFigure]:
    """Accuracy per group of the counts posted in ``period``, in one statement."""
    if group_by in (GroupBy.PRODUCT, GroupBy.CATEGORY):
        return _per_product(session, period, group_by, warehouse_ids)
    reports: dict[int | None, InventoryAccuracy] = {}
    if group_by is GroupBy.NONE:
        reports[None] = InventoryAccuracy("", period.date_from, period.date_to)
    for count, code in session.execute(
            select(StockCount, Warehouse.code)
            .join(Warehouse, Warehouse.id == StockCount.warehouse_id)
            .where(StockCount.state == POSTED, StockCount.posted_on >= period.date_from,
                   StockCount.posted_on <= period.date_to,
                   in_warehouses(StockCount.warehouse_id, warehouse_ids))
            .order_by(StockCount.posted_on, StockCount.id)):
        key = None if group_by is GroupBy.NONE else count.warehouse_id
        report = reports.setdefault(key, InventoryAccuracy(code, period.date_from,
                                                           period.date_to))
        report.counts.append(count_accuracy(count))
    figures = [AccuracyFigure(key, len(r.counts), r.line_count, r.accurate_line_count,
                              r.value_accuracy if r.counts else None)
               for key, r in reports.items()]
    return sorted(figures, key=lambda f: f.group_id or 0)


def _per_product(session: Session, period: Period, group_by: GroupBy,
                 warehouse_ids: Collection[int] | None) -> list[AccuracyFigure]:
    line = StockCountLine
    judged = line.counted_quantity.is_not(None)
    stmt = (select().select_from(line)
            .join(StockCount, StockCount.id == line.count_id)
            .where(StockCount.state == POSTED, StockCount.posted_on >= period.date_from,
                   StockCount.posted_on <= period.date_to, judged,
                   in_warehouses(StockCount.warehouse_id, warehouse_ids)))
    stmt, key = group_key(stmt, group_by, product_id=line.product_id,
                          warehouse_id=StockCount.warehouse_id)
    stmt = rolled_up(stmt.add_columns(
        key.label("group_id"), func.count(func.distinct(line.count_id)).label("counts"),
        func.count().label("lines"),
        func.sum(case((line.variance_quantity == 0, 1), else_=0)).label("accurate")),
        group_by, key)
    found: dict[int, AccuracyFigure] = {}
    for r in session.execute(stmt):
        found[r.group_id] = AccuracyFigure(r.group_id, int(r.counts), int(r.lines),
                                           int(r.accurate or 0), None)
    return [found[k] for k in sorted(found)]
