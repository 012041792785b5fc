"""The depreciation rules on a database, one story each, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from depreciation_support import World, build_world
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.stock.models import Location, SerialNumber, StockMove
from openjxc.addons.depreciation import events, models, schedule
from openjxc.addons.depreciation.assets import (
    CAPITALIZE_ORIGIN,
    AssetInput,
    asset_schedule,
    capitalize_serial,
    create_asset,
    record_usage,
)
from openjxc.addons.depreciation.disposal import dispose_asset
from openjxc.addons.depreciation.runs import run_depreciation
from openjxc.addons.depreciation.settings import close_period, reopen_period, set_tax_policy

D = Decimal
MAR, APR, MAY, JUN = (date(2026, m, 1) for m in (3, 4, 5, 6))


@pytest.fixture
def world(database_url: str) -> World:
    return build_world(database_url)


def lines(world: World, book: str = models.BOOK) -> list[tuple[str, date, Decimal]]:
    with world.uow(readonly=True) as session:
        return [(code, period, amount) for code, period, amount in session.execute(
            select(models.Asset.code, models.DepreciationLine.period,
                   models.DepreciationLine.amount)
            .join(models.Asset, models.Asset.id == models.DepreciationLine.asset_id)
            .where(models.DepreciationLine.book == book)
            .order_by(models.Asset.code, models.DepreciationLine.period))]


def test_an_asset_depreciates_from_the_month_after_it_is_added_and_runs_are_idempotent(
        world: World) -> None:
    world.asset(date(2026, 3, 15), code="A1")   # straight line, 5 %, 120 months
    assert world.run(lambda s: run_depreciation(s, MAR)).posted == 0
    first = world.run(lambda s: run_depreciation(s, APR))
    assert (first.posted, first.book_total) == (2, D("791.67"))   # book and tax
    again = world.run(lambda s: run_depreciation(s, APR))
    assert (again.posted, again.book_total) == (0, D(0))
    assert lines(world) == [("A1", APR, D("791.67"))]
    posted = world.of(events.DepreciationPosted)
    assert [(e.period, e.amounts, e.total) for e in posted] == [
        (APR, (D("791.67"),), D("791.67"))]                        # once, book only


def test_a_closed_period_refuses_the_run_until_reopened(world: World) -> None:
    world.asset(date(2026, 3, 15), code="A1")
    assert world.refusal(lambda s: close_period(s, APR)) == [   # 计提折旧 before 结账
        ("DEPRECIATION_NOT_RUN", ("period",))]
    assert world.run(lambda s: run_depreciation(s, APR)).posted == 2
    world.run(lambda s: close_period(s, APR))
    assert world.refusal(lambda s: run_depreciation(s, APR)) == [
        ("PERIOD_CLOSED", ("period",))]
    # Back-dated into the closed month, or depreciating first in it: refused.
    assert world.refusal(lambda s: world_asset(s, "1000", date(2026, 4, 10))) == [
        ("PERIOD_CLOSED", ("acquiredOn",))]
    assert world.refusal(lambda s: world_asset(s, "1000", date(2026, 3, 20))) == [
        ("PERIOD_CLOSED", ("acquiredOn",))]
    assert lines(world) == [("A1", APR, D("791.67"))]
    world.run(lambda s: reopen_period(s, APR))
    world.run(lambda s: world_asset(s, "1000", date(2026, 3, 20)))
    assert world.run(lambda s: run_depreciation(s, APR)).posted == 2   # the new one's


def test_disposal_depreciates_in_its_month_then_stops_with_gain_or_loss(
        world: World) -> None:
    asset = world.asset(date(2026, 3, 15), code="A1", cost="12000", life_months=60)
    # 12,000 × 95 % ÷ 60 = 190.00 a month; disposed of in May: April and May depreciate.
    sold = world.run(lambda s: dispose_asset(s, asset.id, kind="sale",
                                             disposed_on=date(2026, 5, 20),
                                             proceeds=D("11000"), costs=D("100")))
    assert (sold.disposal_depreciation, sold.disposal_net_value) == (D("380.00"),
                                                                   D("11620.00"))
    assert sold.gain_loss == D("-720.00")                 # 11,000 − 11,620 − 100
    for period in (APR, MAY, JUN):
        world.run(lambda s, p=period: run_depreciation(s, p))
    assert lines(world) == [("A1", APR, D("190.00")), ("A1", MAY, D("190.00"))]
    [disposed] = world.of(events.AssetDisposed)
    assert (disposed.kind, disposed.net_book_value, disposed.gain_loss) == (
        "sale", D("11620.00"), D("-720.00"))
    assert world.refusal(lambda s: dispose_asset(s, asset.id, kind="scrap",
                                                 disposed_on=date(2026, 6, 1))) == [
        ("ALREADY_DISPOSED", ("assetCode",))]


def test_the_tax_book_takes_the_one_time_deduction_within_the_policy(world: World) -> None:
    asset = world.asset(date(2026, 3, 15), code="A1", cost="60000", life_months=60,
                        tax_treatment=models.TAX_ONE_TIME)
    world.run(lambda s: run_depreciation(s, APR))
    world.run(lambda s: run_depreciation(s, MAY))
    assert lines(world) == [("A1", APR, D("950.00")), ("A1", MAY, D("950.00"))]
    assert lines(world, models.TAX) == [("A1", APR, D("60000.00"))]
    with world.uow(readonly=True) as session:
        row = session.get_one(models.Asset, asset.id)
        tax = asset_schedule(session, row, models.TAX)
    assert [(t.period, t.net_book_value) for t in tax] == [(APR, D("0.00"))]
    # Above the ceiling, or once the policy ends, it does not apply.
    refused = [("NOT_ELIGIBLE", ("taxTreatment",))]
    assert world.refusal(lambda s: world_asset(s, "5000000.01", date(2026, 3, 1))) == refused
    world.run(lambda s: set_tax_policy(s, enabled=True, starts=date(2024, 1, 1),
                                       ends=date(2025, 12, 31), limit=D("5000000")))
    assert world.refusal(lambda s: world_asset(s, "1000", date(2026, 3, 1))) == refused


def world_asset(session: Session, cost: str, acquired_on: date) -> None:
    """An asset of ``cost`` asking for the one-time deduction in the tax book."""
    create_asset(session, AssetInput(
        name="设备", category_code="MACHINERY", cost=D(cost), acquired_on=acquired_on,
        tax_treatment=models.TAX_ONE_TIME))


def test_units_of_production_depreciates_the_usage_entered(world: World) -> None:
    truck = world.asset(date(2026, 3, 2), code="T1", cost="500000", category_code="VEHICLES",
                        method=schedule.UNITS_OF_PRODUCTION, total_units=D(1000000))
    world.run(lambda s: record_usage(s, truck.id, APR, D(4000)))
    world.run(lambda s: run_depreciation(s, APR))
    world.run(lambda s: run_depreciation(s, MAY))            # no usage: nothing
    assert lines(world) == [("T1", APR, D("1900.00"))]        # 4,000 km × 0.475
    assert world.refusal(lambda s: record_usage(s, truck.id, APR, D(1))) == [
        ("ALREADY_POSTED", ("period",))]


def test_a_serial_unit_is_capitalised_at_its_own_cost_out_of_sellable_stock(
        world: World) -> None:
    with world.uow(readonly=True) as session:
        unit = session.scalar(select(SerialNumber.id).where(SerialNumber.number == "M-002"))
    assert unit is not None
    data = AssetInput(name="展厅样机", category_code="MACHINERY", cost=D(0),
                      acquired_on=date(2026, 3, 10), department="销售部")
    asset = world.run(lambda s: capitalize_serial(s, unit, data))
    assert (asset.cost, asset.serial_id, asset.starts_on) == (D("3300.00"), unit, APR)
    with world.uow(readonly=True) as session:
        place = session.scalar(select(Location.kind).join(
            SerialNumber, SerialNumber.location_id == Location.id)
            .where(SerialNumber.id == unit))
        moves = session.scalar(select(func.count()).select_from(StockMove).where(
            StockMove.origin_type == CAPITALIZE_ORIGIN, StockMove.origin_id == asset.id))
    assert (place, moves) == ("adjustment", 1)
    [event] = world.of(events.AssetCapitalized)
    assert (event.cost, event.serial_id, len(event.move_ids)) == (D("3300.00"), unit, 1)
    again = AssetInput(name="again", category_code="MACHINERY", cost=D(0),
                       acquired_on=date(2026, 3, 10))
    assert world.refusal(lambda s: capitalize_serial(s, unit, again)) == [
        ("ALREADY_CAPITALIZED", ("serialNumber",))]
