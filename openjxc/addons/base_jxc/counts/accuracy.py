"""Inventory accuracy (库存准确率), measured by the counts that were posted.

Per count: the share of judged lines without a variance, and the value accuracy
``1 − |Σ variance value| / expected value``.  Over a period the figures add up count by
count: lines with lines, and ``1 − Σ|variance value of a count| / Σ expected value`` (a
surplus in one count does not hide a shortage in another).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..stock.models import Warehouse
from .models import StockCount

RATIO_PLACES = Decimal("0.0001")


def ratio(part: Decimal, whole: Decimal) -> Decimal:
    """``part / whole`` to four places; 1 for an empty whole (nothing to be wrong about)."""
    if whole == 0:
        return Decimal(1)
    return (part / whole).quantize(RATIO_PLACES)


@dataclass
class CountAccuracy:
    count_id: int
    number: str
    posted_on: date
    line_count: int
    accurate_line_count: int
    expected_value: Decimal
    variance_value: Decimal

    @property
    def line_accuracy(self) -> Decimal:
        return ratio(Decimal(self.accurate_line_count), Decimal(self.line_count))

    @property
    def value_accuracy(self) -> Decimal:
        if self.expected_value == 0:
            return Decimal(1) if self.variance_value == 0 else Decimal(0)
        return max(Decimal(0), 1 - ratio(abs(self.variance_value), self.expected_value))


@dataclass
class InventoryAccuracy:
    warehouse_code: str
    date_from: date
    date_to: date
    counts: list[CountAccuracy] = field(default_factory=list)

    @property
    def line_count(self) -> int:
        return sum(c.line_count for c in self.counts)

    @property
    def accurate_line_count(self) -> int:
        return sum(c.accurate_line_count for c in self.counts)

    @property
    def expected_value(self) -> Decimal:
        return sum((c.expected_value for c in self.counts), Decimal(0))

    @property
    def absolute_variance_value(self) -> Decimal:
        return sum((abs(c.variance_value) for c in self.counts), Decimal(0))

    @property
    def line_accuracy(self) -> Decimal:
        return ratio(Decimal(self.accurate_line_count), Decimal(self.line_count))

    @property
    def value_accuracy(self) -> Decimal:
        if self.expected_value == 0:
            return Decimal(1) if self.absolute_variance_value == 0 else Decimal(0)
        return max(Decimal(0), 1 - ratio(self.absolute_variance_value, self.expected_value))


def count_accuracy(count: StockCount) -> CountAccuracy:
    """The accuracy figures a posted count keeps."""
    assert count.posted_on is not None
    return CountAccuracy(count_id=count.id, number=count.number, posted_on=count.posted_on,
                         line_count=count.line_count,
                         accurate_line_count=count.accurate_line_count,
                         expected_value=count.expected_value,
                         variance_value=count.variance_value)


def inventory_accuracy(session: Session, *, warehouse_code: str, date_from: date,
                       date_to: date) -> InventoryAccuracy | None:
    """Accuracy of the counts of a warehouse posted between two business dates
    (inclusive); None for an unknown warehouse."""
    warehouse_id = session.scalar(select(Warehouse.id).where(Warehouse.code == warehouse_code))
    if warehouse_id is None:
        return None
    counts = session.scalars(select(StockCount).where(
        StockCount.warehouse_id == warehouse_id, StockCount.state == "posted",
        StockCount.posted_on >= date_from, StockCount.posted_on <= date_to,
    ).order_by(StockCount.posted_on, StockCount.id))
    return InventoryAccuracy(warehouse_code=warehouse_code, date_from=date_from,
                             date_to=date_to, counts=[count_accuracy(c) for c in counts])
