"""Stock as of a date, with and without closed months; closed months stay closed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from stock_support import D, StockWorld, build_world, months_before

from openjxc.addons.base_jxc.stock.periods import close_stock_period, month_end
from openjxc.addons.base_jxc.stock.posting import business_today
from openjxc.addons.base_jxc.stock.queries import stock_as_of
from openjxc.core.errors import ValidationFailed


@pytest.fixture
def world(database_url: str) -> Iterator[StockWorld]:
    world = build_world(database_url)
    yield world
    world.env.database.dispose()


Answer = list[tuple[int, int, int, int, Decimal, Decimal]]


def as_of(world: StockWorld, day: date, **kwargs: object) -> Answer:
    with world.uow() as session:
        rows = stock_as_of(session, day, **kwargs)  # type: ignore[arg-type]
    return sorted((r.location_id, r.product_id, r.batch_id, r.warehouse_id, r.quantity,
                   r.value) for r in rows)


def close(world: StockWorld, day: date) -> None:
    with world.uow() as session:
        close_stock_period(session, day)


def close_refused(world: StockWorld, day: date) -> list[str]:
    with world.uow() as session:
        try:
            close_stock_period(session, day)
        except ValidationFailed as exc:
            return [e.code for e in exc.errors]
    raise AssertionError("the month was closed")


def history(w: StockWorld) -> tuple[date, date, date, date]:
    with w.uow() as session:
        today = business_today(session)
    m3, m2, m1 = (months_before(today, n) for n in (3, 2, 1))
    w.post(w.line("PLAIN", 10, "supplier", "WH1/STOCK", unit_cost=D(2)), move_date=m3)
    w.post(w.line("BAT", 5, "supplier", "WH1/A-01", unit_cost=D("1.10"), batch_number="L",
                  expires_on=today + timedelta(days=900)), move_date=m3)
    w.post(w.line("PLAIN", 3, "WH1/STOCK", "customer"), move_date=m3 + timedelta(days=10))
    w.post([w.line("PLAIN", 2, "WH1/STOCK", "WH2/STOCK"),
            w.line("SER", 2, "supplier", "WH2/STOCK", unit_cost=D(40), serials=["H-1..2"])],
           move_date=m2 + timedelta(days=5))
    w.post(w.line("PLAIN", 3, "WH2/STOCK", "customer"), move_date=m2 + timedelta(days=20))
    w.post(w.line("PLAIN", 4, "supplier", "WH1/STOCK", unit_cost=D(3)), move_date=m1 + timedelta(
        days=3))
    w.post(w.line("BAT", 2, "WH1/A-01", "loss", batch_number="L"), move_date=m1 + timedelta(
        days=9))
    w.post(w.line("PLAIN", 2, "WH1/STOCK", "customer"), move_date=today)
    return today, m3, m2, m1


def test_as_of_is_the_same_with_and_without_closed_months(world: StockWorld) -> None:
    w = world
    today, m3, m2, m1 = history(w)
    days = [m3 - timedelta(days=1), m3, m3 + timedelta(days=5), month_end(m3),
            m2 + timedelta(days=10), month_end(m2), m1, m1 + timedelta(days=5),
            m1 + timedelta(days=20), today]
    filters: list[dict[str, object]] = [
        {}, {"product_ids": [w.products["PLAIN"]]}, {"warehouse_id": w.warehouses["WH2"]}]
    open_answers = {(d, i): as_of(w, d, **f) for d in days for i, f in enumerate(filters)}
    assert open_answers[(days[0], 0)] == []
    # at the end of m2: WH1 5 PLAIN, WH2 −1 PLAIN (allowed there), 2 serials, 5 of the batch
    plain = w.products["PLAIN"]
    at_m2 = {(r[0], r[1]): r[4] for r in open_answers[(month_end(m2), 0)]}
    assert at_m2[(w.locations["WH1/STOCK"], plain)] == 5
    assert at_m2[(w.locations["WH2/STOCK"], plain)] == -1
    assert at_m2[(w.locations["WH2/STOCK"], w.products["SER"])] == 2
    close(w, m3)
    for key, answer in open_answers.items():
        assert as_of(w, key[0], **filters[key[1]]) == answer, key
    close(w, m2)
    for key, answer in open_answers.items():
        assert as_of(w, key[0], **filters[key[1]]) == answer, key
    # today's answer is the balances and the valuation
    now = as_of(w, today)
    for location, product, batch_id, _warehouse, quantity, _value in now:
        code = next(c for c, i in w.locations.items() if i == location)
        name = next(c for c, i in w.products.items() if i == product)
        assert w.balance(code, name, batch_id) == quantity
    for name in ("PLAIN", "BAT", "SER"):
        rows = [r for r in now if r[1] == w.products[name]]
        assert w.valuation(name) == (sum(r[4] for r in rows), sum(r[5] for r in rows))


def test_a_closed_month_takes_no_more_moves(world: StockWorld) -> None:
    w = world
    today, m3, m2, m1 = history(w)
    close(w, m2)  # closes m3 with it
    before = w.counts()
    for day in (m3, month_end(m2), m2 + timedelta(days=3)):
        assert w.errors(w.line("PLAIN", 1, "supplier", "WH1/STOCK", unit_cost=D(1)),
                        move_date=day) == [("STOCK_PERIOD_CLOSED", ("moveDate",))]
    assert w.counts() == before
    assert close_refused(w, m3) == ["STOCK_PERIOD_CLOSED"]
    assert close_refused(w, today) == ["PERIOD_NOT_OVER"]
    assert close_refused(w, today + timedelta(days=40)) == ["PERIOD_NOT_OVER"]
    assert w.counts() == before
    # the first day after the close is open; as-of before the close is unchanged by it
    old = as_of(w, month_end(m2))
    w.post(w.line("PLAIN", 1, "supplier", "WH1/STOCK", unit_cost=D(1)), move_date=m1)
    assert as_of(w, month_end(m2)) == old
    assert as_of(w, m1) != as_of(w, month_end(m2))
    close(w, m1)
    assert as_of(w, month_end(m2)) == old
