"""Depreciation arithmetic: plain Python and ``Decimal``, no database.

Formulas (企业会计准则第4号, textbook):

* 年限平均法 (``straight_line``): monthly = (cost − residual) ÷ months;
* 工作量法 (``units_of_production``): monthly = usage × (cost − residual) ÷ total units;
* 双倍余额递减法 (``double_declining``): yearly = opening net book value × 2 ÷ years, the
  residual ignored, until the last two service years, which share (net book value −
  residual) equally; monthly = yearly ÷ 12;
* 年数总和法 (``sum_of_years``): yearly = (cost − residual) × remaining years ÷ sum of
  the years' digits; monthly = yearly ÷ 12;
* ``one_time`` (tax book only): the whole depreciable amount in the first month.

Service years count from the first month of depreciation, not calendar years.  Amounts
are rounded to the cent; the last month of a year takes the year's remainder and the
last month of the life takes what is left, so the accumulated depreciation ends exactly
at cost − residual.  No month is negative and none takes more than is left.

    >>> [str(sum(y)) for y in yearly(monthly_amounts(cost=Decimal(100000),
    ...     residual=Decimal(4000), life_months=60, method=DOUBLE_DECLINING))]
    ['40000.00', '24000.00', '14400.00', '8800.00', '8800.00']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

STRAIGHT_LINE = "straight_line"
UNITS_OF_PRODUCTION = "units_of_production"
DOUBLE_DECLINING = "double_declining"
SUM_OF_YEARS = "sum_of_years"
ONE_TIME = "one_time"
#: The methods an asset's book may use (准则4号 第十七条).
METHODS = (STRAIGHT_LINE, UNITS_OF_PRODUCTION, DOUBLE_DECLINING, SUM_OF_YEARS)
#: Methods counted in whole service years.
YEARLY_METHODS = (DOUBLE_DECLINING, SUM_OF_YEARS)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def residual_value(cost: Decimal, rate: Decimal) -> Decimal:
    """预计净残值 = 原值 × 残值率, to the cent."""
    return cents(cost * rate)


def spread(total: Decimal, months: int) -> list[Decimal]:
    """``total`` in ``months`` equal cent amounts, the last one taking the remainder."""
    if months <= 0:
        return []
    each = cents(total / months)
    out: list[Decimal] = []
    left = total
    for _i in range(months - 1):
        amount = min(each, left)
        out.append(amount)
        left -= amount
    out.append(left)
    return out


def yearly_double_declining(cost: Decimal, residual: Decimal, years: int) -> list[Decimal]:
    """双倍余额递减法 per service year: the last two years straight line."""
    out: list[Decimal] = []
    book = cost
    for year in range(1, years + 1):
        remaining_years = years - year + 1
        if remaining_years > 2:
            amount = min(cents(book * 2 / years), max(book - residual, ZERO))
        elif remaining_years == 2:
            amount = min(cents((book - residual) / 2), max(book - residual, ZERO))
        else:
            amount = max(book - residual, ZERO)
        out.append(amount)
        book -= amount
    return out


def yearly_sum_of_years(cost: Decimal, residual: Decimal, years: int) -> list[Decimal]:
    """年数总和法 per service year: remaining years ÷ sum of the years' digits."""
    depreciable = cost - residual
    digits = years * (years + 1) // 2
    out: list[Decimal] = []
    left = depreciable
    for year in range(1, years + 1):
        amount = left if year == years else min(
            cents(depreciable * (years - year + 1) / digits), left)
        out.append(amount)
        left -= amount
    return out


def monthly_amounts(*, cost: Decimal, residual: Decimal, life_months: int, method: str,
                    total_units: Decimal | None = None,
                    usage: Sequence[Decimal] = ()) -> list[Decimal]:
    """The amount of each month of depreciation, the first month first.

    Time-based methods give ``life_months`` amounts; units of production gives one per
    entry of ``usage`` (the units of each month, in order), the month the total units are
    reached taking what is left and later ones nothing.
    """
    depreciable = max(cost - residual, ZERO)
    if method == ONE_TIME:
        return [depreciable]
    if method == STRAIGHT_LINE:
        return spread(depreciable, life_months)
    if method == UNITS_OF_PRODUCTION:
        return _units(depreciable, total_units or Decimal(0), usage)
    if method in YEARLY_METHODS:
        if life_months % 12:
            raise ValueError("yearly methods need a life in whole years")
        years = life_months // 12
        by_year = (yearly_double_declining(cost, residual, years) if method == DOUBLE_DECLINING
                   else yearly_sum_of_years(cost, residual, years))
        return [month for amount in by_year for month in spread(amount, 12)]
    raise ValueError(f"unknown method {method!r}")


def _units(depreciable: Decimal, total_units: Decimal, usage: Sequence[Decimal],
           ) -> list[Decimal]:
    # Rounded on the running total, so the cents never drift and the end is exact.
    out: list[Decimal] = []
    used = Decimal(0)
    done = ZERO
    for units in usage:
        used += max(units, Decimal(0))
        if total_units <= 0 or used >= total_units:
            target = depreciable
        else:
            target = min(cents(depreciable * used / total_units), depreciable)
        out.append(target - done)
        done = target
    return out


def yearly(months: Sequence[Decimal]) -> list[list[Decimal]]:
    """Months grouped by service year (12 a year)."""
    return [list(months[i:i + 12]) for i in range(0, len(months), 12)]


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(period: date, months: int) -> date:
    index = period.year * 12 + period.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_between(start: date, end: date) -> int:
    """Whole months from the period of ``start`` to the period of ``end``."""
    return (end.year - start.year) * 12 + end.month - start.month


def first_period(acquired_on: date) -> date:
    """当月增加的固定资产当月不提，下月起提: the month after acquisition."""
    return add_months(month_start(acquired_on), 1)


@dataclass(frozen=True)
class ScheduleLine:
    period: date
    amount: Decimal
    accumulated: Decimal
    net_book_value: Decimal


def schedule_lines(*, cost: Decimal, starts: date, amounts: Sequence[Decimal],
                   last_period: date | None = None) -> list[ScheduleLine]:
    """``amounts`` laid on the months from ``starts``; nothing after ``last_period``
    (当月减少的当月照提，下月起停: the disposal month still depreciates)."""
    out: list[ScheduleLine] = []
    accumulated = ZERO
    for index, amount in enumerate(amounts):
        period = add_months(starts, index)
        if last_period is not None and period > last_period:
            break
        accumulated += amount
        out.append(ScheduleLine(period, amount, accumulated, cost - accumulated))
    return out
