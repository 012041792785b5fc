"""The KPIs through the analysis services, against figures worked out by hand from the
history in :mod:`test_analysis_support` (read its table first), per grouping.

March 2025 is the period unless said otherwise; January and February are closed months
(the opening stock comes from February's snapshot), March is open (the closing stock is
February's snapshot plus March's moves).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from test_analysis_support import AnalysisWorld, D, build_analysis_world

from openjxc.addons.base_jxc.analysis import services as analysis
from openjxc.addons.base_jxc.analysis.common import Period
from openjxc.addons.base_jxc.analysis.services import GroupBy
from openjxc.addons.base_jxc.analysis.turnover import TurnoverFigure
from openjxc.addons.base_jxc.stock.posting import business_today
from openjxc.core.errors import ValidationFailed
from openjxc.testing.fixtures import BACKENDS, DatabaseFactory

MARCH = analysis.period(date(2025, 3, 1), date(2025, 3, 31))
FIRST_QUARTER = analysis.period(date(2025, 1, 1), date(2025, 3, 31))


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalysisWorld]:
    """One history per backend for the whole module: the reports only read it."""
    factory = DatabaseFactory(str(request.param), Path(tmp_path_factory.mktemp("analysis")))
    built = build_analysis_world(factory.new())
    yield built
    built.env.database.dispose()
    factory.cleanup()


def names(world: AnalysisWorld, group_by: GroupBy) -> dict[int | None, str]:
    """Group ids → the codes the expectations below are written with."""
    source: dict[str, int] = {GroupBy.PRODUCT: world.products,
                              GroupBy.CATEGORY: world.categories,
                              GroupBy.WAREHOUSE: world.warehouses}.get(group_by, {})
    return {v: k for k, v in source.items()} | {None: "ALL"}


def report(world: AnalysisWorld, compute: Any, group_by: GroupBy, *columns: str,
           **kwargs: Any) -> dict[str, tuple[Any, ...]]:
    """``{group code: (figure.column, …)}`` of one report."""
    with world.uow(readonly=True) as session:
        figures = compute(session, kwargs.pop("period", MARCH), group_by, **kwargs)
    label = names(world, group_by)
    return {label[f.group_id]: tuple(getattr(f, c) for c in columns) for f in figures}


def test_inventory_turnover_per_company_product_category_and_warehouse(
        world: AnalysisWorld) -> None:
    columns = ("cost_of_goods_sold", "opening_value", "closing_value", "average_value",
               "turnover", "turnover_days")

    def turnover(group_by: GroupBy, **kwargs: Any) -> dict[str, tuple[str, ...]]:
        found = report(world, analysis.inventory_turnover, group_by, *columns, **kwargs)
        return {k: tuple(str(v) for v in values) for k, values in found.items()}

    # COGS: PLAIN 1800 − 300 returned; PLAIN2 3000; VALVE 800 + 200 + 200 − 200 reversed.
    # Opening (Feb 28): PLAIN 80 × 60, PLAIN2 3000, VALVE 2000.  Closing (Mar 31): PLAIN
    # 50 × 60 + 300 in quarantine, PLAIN2 10 × 150, VALVE 5 × 200 (June's receipt is later).
    assert turnover(GroupBy.NONE) == {
        "ALL": ("5500.00", "9800.00", "5800.00", "7800.00", "0.71", "44.0")}
    assert turnover(GroupBy.PRODUCT) == {
        "PLAIN": ("1500.00", "4800.00", "3300.00", "4050.00", "0.37", "83.7"),
        "PLAIN2": ("3000.00", "3000.00", "1500.00", "2250.00", "1.33", "23.3"),
        "VALVE": ("1000.00", "2000.00", "1000.00", "1500.00", "0.67", "46.5")}
    assert turnover(GroupBy.CATEGORY) == {
        "DJ": ("4500.00", "7800.00", "4800.00", "6300.00", "0.71", "43.4"),
        "FM": ("1000.00", "2000.00", "1000.00", "1500.00", "0.67", "46.5")}
    assert turnover(GroupBy.WAREHOUSE) == {
        "WH1": ("2500.00", "6800.00", "4300.00", "5550.00", "0.45", "68.8"),
        "WH2": ("3000.00", "3000.00", "1500.00", "2250.00", "1.33", "23.3")}
    # Limited to a warehouse; a quarter with closed months on both ends of nothing sold.
    assert turnover(GroupBy.NONE, warehouse_ids=[world.warehouses["WH2"]]) == {
        "ALL": ("3000.00", "3000.00", "1500.00", "2250.00", "1.33", "23.3")}
    january = analysis.period(date(2025, 1, 1), date(2025, 1, 31))
    assert turnover(GroupBy.NONE, period=january) == {
        "ALL": ("0.00", "0.00", "11000.00", "5500.00", "0.00", "None")}
    assert turnover(GroupBy.PRODUCT, period=analysis.period(date(2024, 1, 1),
                                                            date(2024, 12, 31))) == {}


def test_turnover_figures_never_divide_by_nothing() -> None:
    empty = TurnoverFigure(None, D("0.00"), D("0.00"), D("0.00"), 31)
    negative = TurnoverFigure(None, D("100.00"), D("-50.00"), D("10.00"), 31)
    sold_out = TurnoverFigure(None, D("100.00"), D("100.00"), D("0.00"), 31)
    assert (empty.turnover, empty.turnover_days) == (None, None)
    assert (negative.turnover, negative.turnover_days) == (None, None)
    assert (sold_out.turnover, sold_out.turnover_days) == (D("2.00"), D("15.5"))


def test_stockout_rate_counts_pairs_with_demand_that_ran_out(world: AnalysisWorld) -> None:
    def stockouts(group_by: GroupBy, **kwargs: Any) -> dict[str, tuple[Any, ...]]:
        return report(world, analysis.stockout_rate, group_by, "demand_count",
                      "stockout_count", "rate", **kwargs)

    # Demand: WH1·PLAIN, WH2·PLAIN2 (ran out on Mar 10), WH2·SER (ordered on O2, never
    # stocked) and WH1·VALVE (lowest 4); SER2 was only on a cancelled order and a draft.
    assert stockouts(GroupBy.NONE) == {"ALL": (4, 2, D("0.5000"))}
    assert stockouts(GroupBy.PRODUCT) == {"PLAIN": (1, 0, D("0.0000")),
                                          "PLAIN2": (1, 1, D("1.0000")),
                                          "SER": (1, 1, D("1.0000")),
                                          "VALVE": (1, 0, D("0.0000"))}
    assert stockouts(GroupBy.CATEGORY) == {"DJ": (3, 2, D("0.6667")),
                                           "FM": (1, 0, D("0.0000"))}
    assert stockouts(GroupBy.WAREHOUSE) == {"WH1": (2, 0, D("0.0000")),
                                            "WH2": (2, 2, D("1.0000"))}
    # In February the only demand (O0, PLAIN from WH1) never ran out; in 2024 there was none.
    february = analysis.period(date(2025, 2, 1), date(2025, 2, 28))
    assert stockouts(GroupBy.NONE, period=february) == {"ALL": (1, 0, D("0.0000"))}
    assert stockouts(GroupBy.NONE, period=analysis.period(date(2024, 1, 1),
                                                          date(2024, 1, 31))) == {
        "ALL": (0, 0, None)}


def test_on_time_delivery_judges_orders_due_by_their_promised_date(
        world: AnalysisWorld) -> None:
    def on_time(group_by: GroupBy, **kwargs: Any) -> dict[str, tuple[Any, ...]]:
        return report(world, analysis.on_time_delivery, group_by, "due_count",
                      "on_time_count", "rate", **kwargs)

    # Due in March: O1 (on time), O2 (the SER never came), O3 (its last VALVE a day
    # late) and O7 (nothing delivered); O4 is cancelled, O6 a draft, O5 due in April.
    assert on_time(GroupBy.NONE) == {"ALL": (4, 1, D("0.2500"))}
    assert on_time(GroupBy.WAREHOUSE) == {"WH1": (3, 1, D("0.3333")),
                                          "WH2": (1, 0, D("0.0000"))}
    # Per product an order is judged on that product's lines: O2's PLAIN2 came in time.
    assert on_time(GroupBy.PRODUCT) == {"PLAIN": (2, 1, D("0.5000")),
                                        "PLAIN2": (1, 1, D("1.0000")),
                                        "SER": (1, 0, D("0.0000")),
                                        "VALVE": (1, 0, D("0.0000"))}
    assert on_time(GroupBy.CATEGORY) == {"DJ": (3, 1, D("0.3333")),
                                         "FM": (1, 0, D("0.0000"))}
    # Seen on Mar 30, O7 (promised Mar 31) cannot be late yet.
    assert on_time(GroupBy.NONE, today=date(2025, 3, 30)) == {"ALL": (3, 1, D("0.3333"))}
    assert on_time(GroupBy.NONE, warehouse_ids=[world.warehouses["WH2"]]) == {
        "ALL": (1, 0, D("0.0000"))}
    february = analysis.period(date(2025, 2, 1), date(2025, 2, 28))
    assert on_time(GroupBy.NONE, period=february) == {"ALL": (1, 1, D("1.0000"))}


def test_inventory_accuracy_comes_from_the_posted_counts(world: AnalysisWorld) -> None:
    with world.uow(readonly=True) as session:
        today = business_today(session)
    posted = analysis.period(today, today)

    def accuracy(group_by: GroupBy, **kwargs: Any) -> dict[str, tuple[Any, ...]]:
        return report(world, analysis.inventory_accuracy, group_by, "count_count",
                      "line_count", "accurate_line_count", "line_accuracy",
                      "value_accuracy", **{"period": posted, **kwargs})

    # WH1 (full): 4 lines, VALVE 4 of 5 → −200.00 of 5,050.00 expected; WH2 (cycle): 1 line.
    assert accuracy(GroupBy.NONE) == {"ALL": (2, 5, 4, D("0.8000"), D("0.9695"))}
    assert accuracy(GroupBy.WAREHOUSE) == {"WH1": (1, 4, 3, D("0.7500"), D("0.9604")),
                                           "WH2": (1, 1, 1, D("1.0000"), D("1.0000"))}
    assert accuracy(GroupBy.PRODUCT) == {"PLAIN": (1, 2, 2, D("1.0000"), None),
                                         "PLAIN2": (2, 2, 2, D("1.0000"), None),
                                         "VALVE": (1, 1, 0, D("0.0000"), None)}
    assert accuracy(GroupBy.CATEGORY) == {"DJ": (2, 4, 4, D("1.0000"), None),
                                          "FM": (1, 1, 0, D("0.0000"), None)}
    assert accuracy(GroupBy.NONE, warehouse_ids=[world.warehouses["WH2"]]) == {
        "ALL": (1, 1, 1, D("1.0000"), D("1.0000"))}
    # Nothing was counted in March: nothing to measure, not "100 %".
    assert accuracy(GroupBy.NONE, period=MARCH) == {"ALL": (0, 0, 0, None, None)}
    assert accuracy(GroupBy.WAREHOUSE, period=MARCH) == {}


def test_purchase_approval_time_over_orders_approved_in_the_local_period(
        world: AnalysisWorld) -> None:
    def approvals(group_by: GroupBy, **kwargs: Any) -> dict[str, tuple[Any, ...]]:
        return report(world, analysis.purchase_approval_time, group_by, "order_count",
                      "average_hours", "max_hours", **kwargs)

    # P1 2.5 h, P2 36 h, P3 209 h (approved Mar 01 01:00 in Shanghai); P4 on Apr 01 there.
    assert approvals(GroupBy.NONE) == {"ALL": (3, D("82.50"), D("209.00"))}
    assert approvals(GroupBy.WAREHOUSE) == {"WH1": (2, D("105.75"), D("209.00")),
                                            "WH2": (1, D("36.00"), D("36.00"))}
    # P2 has two VALVE lines and counts once for VALVE.
    assert approvals(GroupBy.PRODUCT) == {"PLAIN": (1, D("2.50"), D("2.50")),
                                          "PLAIN2": (1, D("36.00"), D("36.00")),
                                          "VALVE": (2, D("122.50"), D("209.00"))}
    assert approvals(GroupBy.CATEGORY) == {"DJ": (2, D("19.25"), D("36.00")),
                                           "FM": (2, D("122.50"), D("209.00"))}
    february = analysis.period(date(2025, 2, 1), date(2025, 2, 28))
    assert approvals(GroupBy.NONE, period=february) == {"ALL": (0, None, None)}


def test_sales_trend_per_month_with_returns_and_rounding(world: AnalysisWorld) -> None:
    def trend(group_by: GroupBy) -> dict[str, list[tuple[str, ...]]]:
        with world.uow(readonly=True) as session:
            figures = analysis.sales_trend(session, FIRST_QUARTER, group_by)
        label = names(world, group_by)
        return {label[f.group_id]: [(f"{m.year}-{m.month:02d}", str(m.quantity),
                                     str(m.revenue), str(m.cost)) for m in f.months]
                for f in figures}

    jan = ("2025-01", "0", "0.00", "0.00")
    # March: 30 PLAIN @100, 20 PLAIN2 @250, 4 + 1 VALVE @333.333333 (1333.33 + 333.33),
    # less 5 PLAIN returned at O1's price; the stray VALVE move has no document.
    assert trend(GroupBy.NONE) == {"ALL": [
        jan, ("2025-02", "20.0000", "2000.00", "1200.00"),
        ("2025-03", "50.0000", "9166.66", "5500.00")]}
    assert trend(GroupBy.WAREHOUSE) == {
        "WH1": [jan, ("2025-02", "20.0000", "2000.00", "1200.00"),
                ("2025-03", "30.0000", "4166.66", "2500.00")],
        "WH2": [jan, ("2025-02", "0", "0.00", "0.00"),
                ("2025-03", "20.0000", "5000.00", "3000.00")]}
    assert trend(GroupBy.PRODUCT)["VALVE"][2] == ("2025-03", "5.0000", "1666.66", "1000.00")
    assert trend(GroupBy.PRODUCT)["PLAIN"][2] == ("2025-03", "25.0000", "2500.00", "1500.00")
    assert trend(GroupBy.CATEGORY) == {
        "DJ": [jan, ("2025-02", "20.0000", "2000.00", "1200.00"),
               ("2025-03", "45.0000", "7500.00", "4500.00")],
        "FM": [jan, ("2025-02", "0", "0.00", "0.00"),
               ("2025-03", "5.0000", "1666.66", "1000.00")]}
    with world.uow(readonly=True) as session:
        [whole] = analysis.sales_trend(session, MARCH, GroupBy.NONE)
    assert (whole.quantity, whole.revenue, whole.months[0].margin) == (
        D("50.0000"), D("9166.66"), D("3666.66"))


def test_a_period_is_checked() -> None:
    with pytest.raises(ValidationFailed) as refused:
        analysis.period(date(2025, 3, 31), date(2025, 3, 1))
    assert [(e.code, e.field) for e in refused.value.errors] == [("INVALID", ("to",))]
    with pytest.raises(ValidationFailed):
        analysis.period(date(2000, 1, 1), date(2025, 1, 1))
    assert Period(date(2025, 1, 30), date(2025, 3, 2)).months() == [
        (2025, 1), (2025, 2), (2025, 3)]
    assert MARCH.days == 31 and Decimal(FIRST_QUARTER.days) == 90
