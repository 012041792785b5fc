"""The reports' fast path: closed months read from their monthly totals give exactly what
summing every move gives.

A seeded random history of 2024 (January … August: receipts into stock and a bin, sales
out of stock and bins — WH2 allows negative stock and runs out —, customer returns into
stock and quarantine, restocking, transfers through transit, scrap, reversed sales, sales
orders) with January … March and April … May closed in three closes (one of two months,
one of one, one of two), June … August open.  Each report, per grouping, over periods
that start and end mid-month, lie inside one closed month, cross from closed into open
months or lie wholly in open ones, must equal the same report computed from the moves
alone (the closed-month split switched off).  And the migration's back-fill of the totals
must write exactly the rows closing wrote.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import select
from test_analysis_support import AnalysisWorld, D
from trading_support import build_trading_world

from openjxc.addons.base_jxc.analysis import closed_months
from openjxc.addons.base_jxc.analysis import services as analysis
from openjxc.addons.base_jxc.analysis.common import Period
from openjxc.addons.base_jxc.analysis.services import GroupBy
from openjxc.addons.base_jxc.catalog.services import ProductInput, create_category, create_product
from openjxc.addons.base_jxc.stock.period_totals import StockPeriodTotal, month_ends
from openjxc.addons.base_jxc.stock.periods import close_stock_period
from openjxc.addons.base_jxc.stock.reversals import reverse_moves
from openjxc.core.migrate import alembic_config, schema_change
from openjxc.testing.fixtures import BACKENDS, DatabaseFactory

PRODUCTS = ("PLAIN", "PLAIN2", "VALVE")
#: (first day, last day) of the periods compared
PERIODS = [
    (date(2024, 1, 1), date(2024, 8, 31)),    # the whole history
    (date(2024, 1, 15), date(2024, 7, 10)),   # mid-month to mid-month across the close
    (date(2024, 2, 1), date(2024, 5, 31)),    # closed whole months only
    (date(2024, 2, 10), date(2024, 5, 31)),   # closed, starting mid-month
    (date(2024, 1, 1), date(2024, 5, 20)),    # closed, ending mid-month
    (date(2024, 3, 10), date(2024, 3, 20)),   # inside one closed month
    (date(2024, 4, 1), date(2024, 4, 30)),    # one closed month (closed with May)
    (date(2024, 5, 20), date(2024, 6, 10)),   # closed into open
    (date(2024, 5, 31), date(2024, 6, 1)),    # two days either side of the close
    (date(2024, 6, 1), date(2024, 8, 31)),    # open months only
    (date(2024, 6, 15), date(2024, 8, 14)),   # open, mid-month
    (date(2023, 12, 15), date(2024, 2, 10)),  # starting before the history
    (date(2024, 2, 29), date(2024, 2, 29)),   # one day
    (date(2023, 11, 1), date(2023, 12, 31)),  # before the history: nothing
]
#: January … March and April … May in three closes (Jan–Feb, Mar, Apr–May)
CLOSES = (date(2024, 2, 1), date(2024, 3, 1), date(2024, 5, 1))


class History:
    """Posts the random history, keeping on hand per place to stay within the rules."""

    def __init__(self, world: AnalysisWorld, rng: random.Random) -> None:
        self.world, self.rng = world, rng
        self.on_hand: dict[tuple[str, str], Decimal] = {}
        self.sales: list[tuple[int, date]] = []
        self.count = 0

    def move(self, product: str, quantity: int, source: str, target: str, day: date,
             origin: str, **kwargs: Any) -> None:
        self.count += 1
        move_id = self.world.move(f"m{self.count}", product, quantity, source, target, day,
                                  origin, **kwargs)
        for place, sign in ((source, -1), (target, 1)):
            self.on_hand[place, product] = (self.on_hand.get((place, product), D(0))
                                            + sign * quantity)
        if origin == "sales.delivery":
            self.sales.append((move_id, day))

    def held(self, place: str, product: str) -> int:
        return int(self.on_hand.get((place, product), D(0)))

    def day(self, day: date) -> None:
        rng, product = self.rng, self.rng.choice(PRODUCTS)
        kind = rng.choices(["receipt", "sale", "return", "restock", "transfer", "scrap",
                            "reverse"], [4, 6, 1, 1, 1, 1, 1])[0]
        if kind == "receipt":
            place = rng.choice(["WH1/STOCK", "WH1/A-01", "WH2/STOCK"])
            self.move(product, rng.randint(1, 12), "supplier", place, day,
                      "purchase.receipt", unit_cost=D(rng.choice(["10", "12.5", "13.33"])))
        elif kind == "sale":
            place = rng.choice(["WH1/STOCK", "WH1/A-01", "WH2/STOCK", "WH2/STOCK"])
            quantity = rng.randint(1, 6)
            if place.startswith("WH1"):  # WH1 refuses negative stock
                quantity = min(quantity, self.held(place, product))
            if quantity > 0:
                self.move(product, quantity, place, "customer", day, "sales.delivery")
                if rng.random() < 0.3:
                    with self.world.uow() as session:
                        self.world.order(f"o{self.count}", session,
                                         warehouse=place[:3], order_date=day,
                                         promised=day, state="confirmed",
                                         lines=[(product, quantity, "99")])
        elif kind == "return":
            place = rng.choice(["WH1/QUARANTINE", "WH2/STOCK"])
            self.move(product, rng.randint(1, 2), "customer", place, day, "sales.return")
        elif kind == "restock" and self.held("WH1/QUARANTINE", product) > 0:
            self.move(product, self.held("WH1/QUARANTINE", product), "WH1/QUARANTINE",
                      "WH1/STOCK", day, "transfer")
        elif kind == "transfer" and self.held("WH1/STOCK", product) > 0:
            quantity = rng.randint(1, self.held("WH1/STOCK", product))
            self.move(product, quantity, "WH1/STOCK", "WH1/TRANSIT", day, "transfer")
            self.move(product, quantity, "WH1/TRANSIT", "WH2/STOCK", day + timedelta(
                days=rng.choice([0, 0, 3])), "transfer")
        elif kind == "scrap" and self.held("WH1/A-01", product) > 0:
            self.move(product, 1, "WH1/A-01", "WH1/SCRAP", day, "scrap")
        elif kind == "reverse" and self.sales:
            move_id, sold_on = self.sales.pop(rng.randrange(len(self.sales)))
            with self.world.uow() as session:
                reverse_moves(session, [move_id], reason="wrong customer",
                              move_date=sold_on + timedelta(days=rng.choice([0, 2, 20])))


def build_history(database_url: str) -> AnalysisWorld:
    trading = build_trading_world(database_url)
    world = AnalysisWorld(trading.env, products=trading.products,
                          warehouses=trading.warehouses, locations=trading.locations,
                          partners=trading.partners)
    with world.uow() as session:
        create_category(session, code="FM", name="阀门")
        world.products["VALVE"] = create_product(session, ProductInput(
            code="VALVE", name="球阀", category_code="FM")).id
    history = History(world, random.Random(20240101))
    # the history moves forward day by day (reversals may land a little later, and transit
    # a few days later: none past the end of August)
    day = date(2024, 1, 2)
    while day <= date(2024, 8, 5):
        for _ in range(history.rng.choice([0, 1, 1, 2, 3])):
            history.day(day)
        day += timedelta(days=history.rng.choice([1, 1, 2]))
    for month in CLOSES:
        with world.uow() as session:
            close_stock_period(session, month)
    return world


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalysisWorld]:
    factory = DatabaseFactory(str(request.param), Path(tmp_path_factory.mktemp("totals")))
    built = build_history(factory.new())
    yield built
    built.env.database.dispose()
    factory.cleanup()


@pytest.fixture
def from_moves(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Call to switch the closed-month split off: every report then sums the moves."""
    def switch_off() -> None:
        monkeypatch.setattr(closed_months, "first_whole_month", lambda period: None)
    return switch_off


def reports(world: AnalysisWorld, report: Period) -> dict[str, Any]:
    found: dict[str, Any] = {}
    with world.uow(readonly=True) as session:
        for group_by in GroupBy:
            found[f"turnover {group_by.value}"] = analysis.inventory_turnover(
                session, report, group_by)
            found[f"stockouts {group_by.value}"] = analysis.stockout_rate(
                session, report, group_by)
        found["turnover WH2"] = analysis.inventory_turnover(
            session, report, GroupBy.PRODUCT, warehouse_ids=[world.warehouses["WH2"]])
        found["stockouts WH1"] = analysis.stockout_rate(
            session, report, GroupBy.PRODUCT, warehouse_ids=[world.warehouses["WH1"]])
    return found


def test_the_history_has_what_the_comparison_needs(world: AnalysisWorld) -> None:
    with world.uow(readonly=True) as session:
        totals = session.scalars(select(StockPeriodTotal)).all()
        stockouts = [analysis.stockout_rate(session, analysis.period(*dates), GroupBy.NONE)[0]
                     for dates in PERIODS]
    months = {t.period_end for t in totals}
    assert months == set(month_ends(None, date(2024, 5, 31), date(2024, 1, 2)))
    assert any(t.cogs < 0 for t in totals)  # a month with more returned than sold
    assert any(t.sellable_lowest is not None and t.sellable_lowest < 0 for t in totals)
    # periods where some pairs ran out and some did not
    assert sum(1 for s in stockouts if s.demand_count > s.stockout_count > 0) >= 3


@pytest.mark.parametrize(("date_from", "date_to"), PERIODS,
                         ids=[f"{a}..{b}" for a, b in PERIODS])
def test_closed_months_from_their_totals_equal_the_moves(
        world: AnalysisWorld, from_moves: Any, date_from: date, date_to: date) -> None:
    report = analysis.period(date_from, date_to)
    fast = reports(world, report)
    from_moves()
    assert closed_months.split(report).head == (date_from, date_to)
    slow = reports(world, report)
    assert fast == slow
    if date_to >= date(2024, 1, 2):
        assert fast["turnover none"][0].opening_value or fast["turnover none"][0].closing_value


def test_closed_whole_months_are_read_from_their_totals(world: AnalysisWorld) -> None:
    """Changing April's stored totals (in a transaction rolled back) changes the reports
    over April and over periods containing it, not those that only touch part of it."""
    april = analysis.period(date(2024, 4, 1), date(2024, 4, 30))
    spring = analysis.period(date(2024, 3, 15), date(2024, 6, 15))
    part = analysis.period(date(2024, 4, 2), date(2024, 4, 30))
    with world.uow() as session:
        before = {p: analysis.inventory_turnover(session, p, GroupBy.NONE)[0]
                  for p in (april, spring, part)}
        rows = session.scalars(select(StockPeriodTotal)
                               .where(StockPeriodTotal.period_end == date(2024, 4, 30))).all()
        for row in rows:
            row.cogs += D("100.00")
        session.flush()
        after = {p: analysis.inventory_turnover(session, p, GroupBy.NONE)[0]
                 for p in (april, spring, part)}
        session.rollback()
    added = D("100.00") * len(rows)
    assert after[april].cost_of_goods_sold == before[april].cost_of_goods_sold + added
    assert after[spring].cost_of_goods_sold == before[spring].cost_of_goods_sold + added
    assert after[part] == before[part]


def test_a_period_is_split_into_head_closed_months_and_tail() -> None:
    split = closed_months.split(analysis.period(date(2024, 1, 15), date(2024, 7, 10)))
    assert split.head == (date(2024, 1, 15), date(2024, 1, 31))
    assert split.months_from == date(2024, 2, 1)
    assert split.tail is not None and split.tail[:2] == (date(2024, 2, 1), date(2024, 7, 10))
    inside = closed_months.split(analysis.period(date(2024, 3, 10), date(2024, 3, 31)))
    assert (inside.head, inside.months_from, inside.tail) == (
        (date(2024, 3, 10), date(2024, 3, 31)), None, None)
    whole = closed_months.split(analysis.period(date(2024, 2, 1), date(2024, 2, 29)))
    assert (whole.head, whole.months_from) == (None, date(2024, 2, 1))


def test_the_migration_back_fills_what_closing_wrote(world: AnalysisWorld) -> None:
    def rows() -> list[tuple[Any, ...]]:
        with world.uow(readonly=True) as session:
            return sorted((t.period_end, t.product_id, t.warehouse_id or 0, t.cogs,
                           t.deliveries, t.sellable_net, t.sellable_lowest)
                          for t in session.scalars(select(StockPeriodTotal)))

    written = rows()
    assert len(written) > 10
    env = world.env
    with env.database.engine.connect() as connection, schema_change(connection):
        config = alembic_config(env, connection)
        command.downgrade(config, "base_jxc_0014")
        command.upgrade(config, "base_jxc@head")
    assert rows() == written
