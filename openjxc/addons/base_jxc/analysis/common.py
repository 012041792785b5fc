"""What every analysis shares: the period, the grouping, warehouse limits and ratios.

Each figure is computed by set-based SQL at the finest grain it needs (product ×
warehouse, order × group …) and rolled up to the requested group in the same statement,
so a report costs a fixed number of statements whatever the size of the ledger.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, null, true
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _

from ..catalog.models import Product
from ..counts.accuracy import ratio

#: The longest period a report covers (keeps a typo like 2206 from scanning centuries).
MAX_PERIOD_DAYS = 3660
CENT = Decimal("0.01")


class GroupBy(Enum):
    """What the figures of a report are given per."""

    NONE = "none"
    PRODUCT = "product"
    CATEGORY = "category"
    WAREHOUSE = "warehouse"


@dataclass(frozen=True)
class Period:
    """Business dates ``date_from`` … ``date_to``, both included."""

    date_from: date
    date_to: date

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @property
    def day_before(self) -> date:
        """The end of the day before the period: its opening stock."""
        return self.date_from - timedelta(days=1)

    def utc_bounds(self, session: Session) -> tuple[datetime, datetime]:
        """The period as UTC instants ``[start, end)``, midnight to midnight in the company's
        time zone (timestamps are stored in UTC, business dates are local)."""
        env = session.info.get("openjxc.env")
        zone = ZoneInfo(getattr(getattr(env, "settings", None), "timezone", "Asia/Shanghai"))
        start = datetime.combine(self.date_from, time(0), zone).astimezone(UTC)
        end = datetime.combine(self.date_to + timedelta(days=1), time(0), zone).astimezone(UTC)
        return start, end

    def months(self) -> list[tuple[int, int]]:
        """The calendar months the period touches, in order: ``[(2026, 1), (2026, 2)]``."""
        index = self.date_from.year * 12 + self.date_from.month - 1
        last = self.date_to.year * 12 + self.date_to.month - 1
        return [(i // 12, i % 12 + 1) for i in range(index, last + 1)]


def period(date_from: date, date_to: date) -> Period:
    """A checked period: ``INVALID`` at ``to`` when it ends before it starts or spans more
    than ten years."""
    if date_from > date_to:
        raise ValidationFailed(FieldError("INVALID", _("The period ends before it starts"),
                                          field="to"))
    if (date_to - date_from).days >= MAX_PERIOD_DAYS:
        raise ValidationFailed(FieldError(
            "INVALID", _("A period may span at most {days} days", days=MAX_PERIOD_DAYS),
            field="to"))
    return Period(date_from, date_to)


def group_key(stmt: Select[Any], group_by: GroupBy, *, product_id: Any,
              warehouse_id: Any) -> tuple[Select[Any], Any]:
    """``stmt`` (joined to the product when grouping per category) and the group's key
    column: the product, category or warehouse id, or NULL for the whole company."""
    if group_by is GroupBy.PRODUCT:
        return stmt, product_id
    if group_by is GroupBy.WAREHOUSE:
        return stmt, warehouse_id
    if group_by is GroupBy.CATEGORY:
        return stmt.join(Product, Product.id == product_id), Product.category_id
    return stmt, null()


def rolled_up(stmt: Select[Any], group_by: GroupBy, key: ColumnElement[Any]) -> Select[Any]:
    """``stmt`` grouped by ``key`` (not grouped at all for the whole company)."""
    return stmt.group_by(*keys_of(group_by, key))


def keys_of(group_by: GroupBy, key: ColumnElement[Any]) -> list[ColumnElement[Any]]:
    """``[key]``, or nothing for the whole company (a constant is no GROUP BY term)."""
    return [] if group_by is GroupBy.NONE else [key]


def key_of(group_by: GroupBy, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """``column`` as the group key of an outer statement (NULL for the whole company)."""
    return null() if group_by is GroupBy.NONE else column


def in_warehouses(column: Any, warehouse_ids: Collection[int] | None) -> Any:
    """A condition limiting ``column`` to ``warehouse_ids`` (None: no limit)."""
    return true() if warehouse_ids is None else column.in_(list(warehouse_ids))


def share(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """``part / whole`` to four places; None when there is nothing to measure."""
    if not whole:
        return None
    return ratio(Decimal(part), Decimal(whole))


def money(value: Any) -> Decimal:
    """A sum read back from SQL as a Decimal to the cent (NULL as zero)."""
    return Decimal(value or 0).quantize(CENT, ROUND_HALF_UP)
