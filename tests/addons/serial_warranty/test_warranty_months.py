"""Month arithmetic of warranty terms (end-of-month clamping, leap years) and the status
rule at its boundaries — pure functions, no database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openjxc.addons.serial_warranty.models import Warranty
from openjxc.addons.serial_warranty.months import (
    add_months,
    expiring_from,
    extended_end,
    replay_extensions,
    term_end,
)
from openjxc.addons.serial_warranty.warranties import warranty_status


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2024, 1, 31), 1, date(2024, 2, 29)),   # leap year
    (date(2026, 1, 30), 1, date(2026, 2, 28)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),  # a leap day in a common year
    (date(2024, 2, 29), 48, date(2028, 2, 29)),  # and in the next leap year
    (date(2026, 3, 31), 1, date(2026, 4, 30)),
    (date(2026, 12, 15), 1, date(2027, 1, 15)),  # the year turns
    (date(2026, 3, 31), -1, date(2026, 2, 28)),
    (date(2026, 1, 15), -13, date(2024, 12, 15)),
    (date(2026, 5, 17), 0, date(2026, 5, 17)),
])
def test_add_months_clamps_to_the_end_of_the_month(day: date, months: int,
                                                   expected: date) -> None:
    assert add_months(day, months) == expected


@pytest.mark.parametrize(("start", "months", "end"), [
    (date(2026, 1, 31), 12, date(2027, 1, 30)),  # the contract's own example
    (date(2026, 1, 1), 12, date(2026, 12, 31)),
    (date(2026, 1, 31), 1, date(2026, 2, 27)),
    (date(2024, 2, 29), 12, date(2025, 2, 27)),
    (date(2023, 2, 28), 12, date(2024, 2, 27)),
    (date(2023, 3, 1), 12, date(2024, 2, 29)),   # ends on a leap day
    (date(2026, 12, 1), 1, date(2026, 12, 31)),
])
def test_a_term_ends_the_day_before_the_same_day_months_later(start: date, months: int,
                                                               end: date) -> None:
    assert term_end(start, months) == end


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31)),
       st.integers(min_value=1, max_value=240))
def test_a_term_is_the_day_before_the_clamped_day_and_grows_with_its_months(
        start: date, months: int) -> None:
    end = term_end(start, months)
    assert start <= end < add_months(start, months)
    assert (add_months(start, months) - end).days == 1
    assert term_end(start, months + 1) > end
    # at most 3 days short of the unclamped length (a 31st clamped to February 28)
    assert add_months(start, months).day >= min(start.day, 28)


def test_an_extension_moves_the_end_or_starts_afresh_when_expired() -> None:
    end = date(2027, 1, 30)
    assert extended_end(end, 12, sold_on=date(2027, 1, 30)) == date(2028, 1, 30)
    assert extended_end(end, 12, sold_on=date(2026, 6, 1)) == date(2028, 1, 30)
    # expired on the sale day: a fresh term from the sale day
    assert extended_end(end, 12, sold_on=date(2027, 1, 31)) == date(2028, 1, 30)
    assert extended_end(end, 6, sold_on=date(2027, 8, 31)) == date(2028, 2, 28)
    assert extended_end(date(2027, 1, 31), 1, sold_on=date(2027, 1, 1)) == date(2027, 2, 28)
    assert replay_extensions(end, []) == end
    assert replay_extensions(date(2027, 1, 31), [(1, date(2027, 1, 1)),
                                                 (1, date(2027, 1, 2))]) == date(2027, 3, 28)


def _warranty(end: date, *, base_end: date | None = None, alert_days: int = 30,
              voided_on: date | None = None) -> Warranty:
    return Warranty(end_date=end, base_end_date=base_end or end, alert_days=alert_days,
                    voided_on=voided_on, expiring_from=expiring_from(end, alert_days))


def test_status_boundaries_in_the_contract_order() -> None:
    end = date(2027, 1, 30)
    plain = _warranty(end)
    assert warranty_status(plain, end - timedelta(days=30)) == "active"   # 30 days left
    assert warranty_status(plain, end - timedelta(days=29)) == "expiring"  # 29 < 30
    assert warranty_status(plain, end) == "expiring"
    assert warranty_status(plain, end + timedelta(days=1)) == "expired"
    extended = _warranty(end, base_end=date(2026, 1, 30))
    assert warranty_status(extended, date(2026, 3, 1)) == "extended"
    assert warranty_status(extended, end - timedelta(days=1)) == "expiring"  # expiring wins
    assert warranty_status(extended, end + timedelta(days=1)) == "expired"
    void = _warranty(end, voided_on=date(2026, 3, 1))
    assert warranty_status(void, date(2026, 2, 1)) == "void"  # void wins over everything
    assert warranty_status(void, end + timedelta(days=5)) == "void"
    never = _warranty(end, alert_days=0)
    assert warranty_status(never, end) == "active"
    assert warranty_status(never, end + timedelta(days=1)) == "expired"
    assert expiring_from(end, 30) == end - timedelta(days=29)
    assert expiring_from(end, 0) == end + timedelta(days=1)
