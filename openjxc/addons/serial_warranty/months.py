"""Calendar months with end-of-month clamping, the way a warranty term is counted.

A term of N months starting on a day ends the day before the same day N months later;
when that month is shorter, the day is clamped to its last day first::

    >>> add_months(date(2026, 1, 31), 1)
    datetime.date(2026, 2, 28)
    >>> term_end(date(2026, 1, 31), 12)   # 12 months from 2026-01-31
    datetime.date(2027, 1, 30)
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date, timedelta


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months (negative goes back), the day of the
    month clamped to the target month's last day."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


#: The last index (year × 12 + month − 1) a date can hold: December 9999.
_LAST_MONTH = date.max.year * 12 + date.max.month - 1


def months_left(day: date) -> int:
    """How many months ``day`` may still be moved forward by (the calendar ends in 9999)."""
    return _LAST_MONTH - (day.year * 12 + day.month - 1)


def term_end(start: date, months: int) -> date:
    """The last day of a term of ``months`` starting on ``start``: start + months − 1 day."""
    return add_months(start, months) - timedelta(days=1)


def extended_end(end: date, months: int, sold_on: date) -> date:
    """The end after an extension of ``months`` sold on ``sold_on``: moved by ``months``
    from the current end, or — when the warranty had already expired on the sale day — a
    fresh term of ``months`` from the sale day."""
    if sold_on > end:
        return term_end(sold_on, months)
    return add_months(end, months)


def replay_extensions(base_end: date, extensions: Iterable[tuple[int, date]]) -> date:
    """The end of a warranty whose base term ends on ``base_end`` after its extensions
    ``(months, sold_on)``, applied in the order they were sold."""
    end = base_end
    for months, sold_on in extensions:
        end = extended_end(end, months, sold_on)
    return end


def expiring_from(end: date, alert_days: int) -> date:
    """The first day a warranty ending on ``end`` counts as expiring: the status rule
    ``end − day < alert_days`` holds from ``end − alert_days + 1`` on (never for 0)."""
    if end == date.max and alert_days < 1:
        return end  # the calendar's last day; no later day exists to be expiring on
    return end - timedelta(days=alert_days - 1)
