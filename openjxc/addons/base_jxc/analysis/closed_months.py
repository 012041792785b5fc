"""Reading a period as closed months plus moves: the reports' fast path.

A report over a period sums three parts, which together are every day of it once:

* the **head**: the days before the period's first whole calendar month (a period that
  starts mid-month), from the moves;
* the **closed months**: the whole months of the period up to the last closed stock month,
  from their totals (:class:`~..stock.period_totals.StockPeriodTotal`, a few rows per
  product and month instead of every move);
* the **tail**: the days after the last closed month (the open months, and the part of a
  month the period ends in), from the moves.

Which months are closed is read inside the report's own statement (a scalar subquery on
the closed stock months: every month up to the latest close, since a close closes the
months before it too), so the split costs no statement.  Every month up to the last
closed one has its totals (see :mod:`~..stock.period_totals`), so the closed months are
exactly the totals' rows dated in the period.

Example: 2025-01-15 … 2025-12-31 with stock closed through 2025-09-30 → head Jan 15 … 31
(moves), February … September (totals), tail October 1 … December 31 (moves).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Date, case, func, literal, select

from ..stock.models import StockPeriod
from ..stock.period_totals import StockPeriodTotal
from .common import Period


def first_whole_month(period: Period) -> date | None:
    """The first day of the first calendar month lying wholly in ``period`` (None: none)."""
    start = period.date_from
    if start.day != 1:
        start = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start if following - timedelta(days=1) <= period.date_to else None


@dataclass(frozen=True)
class Split:
    """The parts of a period (see the module's doc)."""

    period: Period
    #: the first day of the first whole month (None: the period has none, all is head)
    months_from: date | None

    @property
    def head(self) -> tuple[date, date] | None:
        """The days read from the moves before the first whole month."""
        if self.months_from is None:
            return self.period.date_from, self.period.date_to
        if self.period.date_from < self.months_from:
            return self.period.date_from, self.months_from - timedelta(days=1)
        return None

    @property
    def tail(self) -> tuple[date, date, Any] | None:
        """``(from, to, after)``: the days read from the moves from the first whole month
        on, those dated after ``after`` (an SQL expression: the end of the last closed
        whole month of the period, else the day before ``from``) only."""
        if self.months_from is None:
            return None
        # A close closes every earlier month with it: the months closed are those up to
        # the latest close, whichever close they came with.  The bound is one scalar
        # subquery, evaluated once and used as the start of the date index's range.
        closed = func.max(StockPeriod.period_end)
        lowest = literal(self.months_from - timedelta(days=1), Date())
        highest = literal(self.last_whole_month_end, Date())
        after = select(case((closed.is_(None), lowest), (closed < lowest, lowest),
                            (closed > highest, highest), else_=closed)).scalar_subquery()
        return self.months_from, self.period.date_to, after

    @property
    def last_whole_month_end(self) -> date:
        """The last day of the period's last whole month."""
        end = self.period.date_to
        following = end + timedelta(days=1)
        return end if following.day == 1 else end.replace(day=1) - timedelta(days=1)

    def month_rows(self) -> list[Any]:
        """The conditions on :class:`StockPeriodTotal` picking the closed whole months
        (for a period with a whole month: ``months_from`` set)."""
        assert self.months_from is not None
        return [StockPeriodTotal.period_end >= self.months_from,
                StockPeriodTotal.period_end <= self.period.date_to]


def split(period: Period) -> Split:
    """``period`` as head, closed whole months and tail."""
    return Split(period, first_whole_month(period))
