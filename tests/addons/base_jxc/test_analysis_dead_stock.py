"""Dead and slow-moving stock through the analysis services, on the history of
:mod:`test_analysis_support`: what counts as a movement and as goods going out, the day
limits and their policies, values, warehouse and status limits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from test_analysis_support import AnalysisWorld, D, build_analysis_world

from openjxc.addons.base_jxc.analysis import services as analysis
from openjxc.addons.base_jxc.analysis.services import StockAge
from openjxc.addons.base_jxc.policies.services import set_policy
from openjxc.addons.base_jxc.stock.posting import business_today
from openjxc.core.errors import ValidationFailed
from openjxc.testing.fixtures import BACKENDS, DatabaseFactory

SEPT_15 = date(2025, 9, 15)
DEAD, SLOW = StockAge.DEAD, StockAge.SLOW_MOVING


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalysisWorld]:
    factory = DatabaseFactory(str(request.param), Path(tmp_path_factory.mktemp("dead")))
    built = build_analysis_world(factory.new())
    yield built
    built.env.database.dispose()
    factory.cleanup()


def items(world: AnalysisWorld, **kwargs: Any) -> list[tuple[Any, ...]]:
    """``(product, warehouse, status, quantity, value, last movement, last outgoing,
    idle days, days without outgoing)`` per item, in the report's order."""
    product = {v: k for k, v in world.products.items()}
    warehouse = {v: k for k, v in world.warehouses.items()}
    with world.uow(readonly=True) as session:
        found = analysis.dead_stock(session, analysis.criteria(session, **kwargs))
    return [(product[i.product_id], warehouse[i.warehouse_id], i.status, str(i.quantity),
             str(i.value), i.last_movement_date, i.last_outgoing_date, i.idle_days,
             i.days_without_outgoing) for i in found]


def test_dead_and_slow_moving_stock_on_a_day(world: AnalysisWorld) -> None:
    mar = {day: date(2025, 3, day) for day in (5, 8, 10, 12, 22, 25)}
    # Default days: dead after 180 days without movement, slow-moving after 90 days
    # without goods going out.  PLAIN's last movement is the return into WH1's
    # quarantine (Mar 08), though only its 50 in stock are counted and valued; VALVE's
    # sale of Mar 22 was reversed on Mar 25, which moved it; PLAIN2 in WH1 never left.
    assert items(world, as_of=SEPT_15) == [
        ("PLAIN", "WH1", DEAD, "50.0000", "3000.00", mar[8], mar[5], 191, 194),
        ("PLAIN2", "WH2", DEAD, "10.0000", "1500.00", mar[12], mar[10], 187, 189),
        ("VALVE", "WH1", SLOW, "5.0000", "1000.00", mar[25], mar[22], 174, 177),
        ("PLAIN2", "WH1", SLOW, "5.0000", "750.00", date(2025, 6, 1), None, 106, 106)]
    # Exactly 180 days after the last movement is dead; 176 is not yet.
    on_the_day = items(world, as_of=date(2025, 9, 4))
    assert [(i[0], i[1], i[2], i[7]) for i in on_the_day[:2]] == [
        ("PLAIN", "WH1", DEAD, 180), ("PLAIN2", "WH2", SLOW, 176)]
    # Before the stock had been anywhere long enough, nothing; before anything, nothing.
    assert items(world, as_of=date(2025, 4, 1)) == []
    assert items(world, as_of=date(2024, 12, 31)) == []


def test_the_days_limits_the_warehouse_and_the_status(world: AnalysisWorld) -> None:
    found = items(world, as_of=SEPT_15, days=190, slow_moving_days=120)
    assert [(i[0], i[1], i[2]) for i in found] == [
        ("PLAIN", "WH1", DEAD), ("PLAIN2", "WH2", SLOW), ("VALVE", "WH1", SLOW)]
    only_wh2 = items(world, as_of=SEPT_15, warehouse_ids=[world.warehouses["WH2"]])
    assert [(i[0], i[1]) for i in only_wh2] == [("PLAIN2", "WH2")]
    dead = items(world, as_of=SEPT_15, status=DEAD)
    assert [(i[0], i[1]) for i in dead] == [("PLAIN", "WH1"), ("PLAIN2", "WH2")]
    slow = items(world, as_of=SEPT_15, status=SLOW)
    assert [(i[0], i[1]) for i in slow] == [("VALVE", "WH1"), ("PLAIN2", "WH1")]
    for wrong in ({"days": 0}, {"slow_moving_days": 0}, {"days": 100_000}):
        with world.uow(readonly=True) as session, pytest.raises(ValidationFailed) as refused:
            analysis.criteria(session, **wrong)
        assert [e.code for e in refused.value.errors] == ["INVALID"]


def test_the_days_default_to_the_policies(world: AnalysisWorld) -> None:
    with world.uow() as session:
        set_policy(session, "analysis.dead_stock_days", "190")
        set_policy(session, "analysis.slow_moving_days", "180")
    try:
        with world.uow(readonly=True) as session:
            wanted = analysis.criteria(session, as_of=SEPT_15)
        assert (wanted.days, wanted.slow_moving_days) == (190, 180)
        assert [(i[0], i[1], i[2]) for i in items(world, as_of=SEPT_15)] == [
            ("PLAIN", "WH1", DEAD), ("PLAIN2", "WH2", SLOW)]
    finally:
        with world.uow() as session:
            set_policy(session, "analysis.dead_stock_days", None)
            set_policy(session, "analysis.slow_moving_days", None)


def test_today_a_count_correction_is_a_movement_but_not_goods_going_out(
        world: AnalysisWorld) -> None:
    with world.uow(readonly=True) as session:
        today = business_today(session)
    found = {(i[0], i[1]): i for i in items(world)}
    # The count took one VALVE out to the adjustment location today: it moved, but
    # nothing has been sold since March 22.
    valve = found[("VALVE", "WH1")]
    assert valve[2:7] == (SLOW, "4.0000", "800.00", today, date(2025, 3, 22))
    assert found[("PLAIN", "WH1")][2] is DEAD
    assert D(found[("PLAIN", "WH1")][3]) == 50
