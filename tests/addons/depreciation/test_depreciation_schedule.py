"""The arithmetic of the four methods, against textbook worked examples (no database).

The classic examples: 原值 100,000, 5 years.  With 预计净残值 4,000 (残值率 4%):

双倍余额递减法 — 年折旧率 2/5 = 40%:
  year 1  100,000 × 40%                = 40,000   net 60,000
  year 2   60,000 × 40%                = 24,000   net 36,000
  year 3   36,000 × 40%                = 14,400   net 21,600
  years 4 and 5  (21,600 − 4,000) ÷ 2  =  8,800 each            total 96,000

年数总和法 — 年数总和 1+2+3+4+5 = 15, 应计折旧额 96,000:
  5/15 → 32,000; 4/15 → 25,600; 3/15 → 19,200; 2/15 → 12,800; 1/15 → 6,400

With 残值率 5% (残值 5,000, 应计折旧额 95,000): 年数总和法 31,666.67, 25,333.33,
19,000.00, 12,666.67, 6,333.33; 年限平均法 95,000 ÷ 60 = 1,583.33 a month, the last
month 1,583.53.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from openjxc.addons.depreciation import schedule as s

D = Decimal


def years_of(method: str, *, residual: str, life: int = 60) -> list[Decimal]:
    months = s.monthly_amounts(cost=D(100000), residual=D(residual), life_months=life,
                               method=method)
    return [sum(year, D(0)) for year in s.yearly(months)]


def test_double_declining_textbook_example() -> None:
    assert years_of(s.DOUBLE_DECLINING, residual="4000") == [
        D("40000.00"), D("24000.00"), D("14400.00"), D("8800.00"), D("8800.00")]


def test_double_declining_months_of_the_first_year() -> None:
    months = s.monthly_amounts(cost=D(100000), residual=D(4000), life_months=60,
                               method=s.DOUBLE_DECLINING)
    assert months[:11] == [D("3333.33")] * 11
    assert months[11] == D("3333.37")            # the year's remainder
    assert sum(months) == D("96000.00")


def test_sum_of_years_textbook_examples() -> None:
    assert years_of(s.SUM_OF_YEARS, residual="4000") == [
        D("32000.00"), D("25600.00"), D("19200.00"), D("12800.00"), D("6400.00")]
    assert years_of(s.SUM_OF_YEARS, residual="5000") == [
        D("31666.67"), D("25333.33"), D("19000.00"), D("12666.67"), D("6333.33")]


def test_straight_line_last_month_absorbs_the_rounding() -> None:
    residual = s.residual_value(D(100000), D("0.05"))
    months = s.monthly_amounts(cost=D(100000), residual=residual, life_months=60,
                               method=s.STRAIGHT_LINE)
    assert residual == D("5000.00")
    assert months[:59] == [D("1583.33")] * 59 and months[59] == D("1583.53")
    assert sum(months) == D("95000.00")


def test_units_of_production_textbook_example() -> None:
    # 原值 500,000, 残值率 5%, 预计行驶 1,000,000 km: 0.475 per km.
    months = s.monthly_amounts(cost=D(500000), residual=D(25000), life_months=60,
                               method=s.UNITS_OF_PRODUCTION, total_units=D(1000000),
                               usage=[D(4000), D(6000), D(990000), D(5000)])
    assert months == [D("1900.00"), D("2850.00"), D("470250.00"), D("0.00")]


def test_one_time_deduction_takes_everything_in_the_first_month() -> None:
    assert s.monthly_amounts(cost=D("80000"), residual=D(0), life_months=36,
                             method=s.ONE_TIME) == [D("80000")]


def test_chinese_timing() -> None:
    assert s.first_period(date(2026, 3, 1)) == date(2026, 4, 1)
    assert s.first_period(date(2026, 12, 31)) == date(2027, 1, 1)
    lines = s.schedule_lines(cost=D(1200), starts=date(2026, 4, 1), amounts=[D(100)] * 12,
                             last_period=date(2026, 6, 1))
    assert [line.period for line in lines] == [date(2026, 4, 1), date(2026, 5, 1),
                                               date(2026, 6, 1)]
    assert lines[-1].net_book_value == D(900)


@settings(max_examples=300, deadline=None)
@given(cost=st.decimals(min_value=D("0.01"), max_value=D("9999999.99"), places=2),
       rate=st.decimals(min_value=D(0), max_value=D("0.99"), places=2),
       years=st.integers(min_value=1, max_value=30),
       extra=st.integers(min_value=0, max_value=11),
       method=st.sampled_from(s.METHODS),
       usage=st.lists(st.decimals(min_value=D(0), max_value=D(5000), places=2),
                      min_size=1, max_size=40))
def test_accumulated_never_exceeds_and_ends_at_the_depreciable_amount(
        cost: Decimal, rate: Decimal, years: int, extra: int, method: str,
        usage: list[Decimal]) -> None:
    life = years * 12 + (0 if method in s.YEARLY_METHODS else extra)
    residual = s.residual_value(cost, rate)
    depreciable = cost - residual
    if not sum(usage, D(0)):
        usage = [*usage, D(1)]
    total_units = sum(usage, D(0))      # the usage reaches the total units in the end
    months = s.monthly_amounts(cost=cost, residual=residual, life_months=life,
                               method=method, total_units=total_units, usage=usage)
    running = D(0)
    for amount in months:
        assert amount >= 0
        assert amount == amount.quantize(D("0.01"))
        running += amount
        assert running <= depreciable
    assert running == depreciable


def test_the_tax_book_follows_the_asset_treatment() -> None:
    from openjxc.addons.depreciation.assets import book_amounts
    from openjxc.addons.depreciation.models import BOOK, TAX, Asset

    asset = Asset(cost=D("12000.00"), residual_value=D("600.00"), life_months=36,
                  method=s.STRAIGHT_LINE, tax_treatment="straight_line", tax_life_months=60,
                  starts_on=date(2026, 4, 1))
    _residual, book = book_amounts(asset, BOOK)
    _residual, tax = book_amounts(asset, TAX)
    assert (len(book), book[0]) == (36, D("316.67"))       # 11,400 ÷ 36
    assert (len(tax), tax[0]) == (60, D("190.00"))         # 11,400 ÷ 60
    assert sum(book) == sum(tax) == D("11400.00")
    asset.tax_treatment = "same"
    assert book_amounts(asset, TAX) == book_amounts(asset, BOOK)
