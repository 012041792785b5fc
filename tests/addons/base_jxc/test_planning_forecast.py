"""The seasonal sales forecast: Holt-Winters on a known trend + season, the fallbacks for
short histories, zero without history, monthly sales read from the ledger (deliveries minus
returns, reversals netted, per warehouse) in one statement, and the ``salesForecast``
query."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from itertools import product
from typing import Any

import pytest
from test_planning_support import gid, receive, sell, sell_series, take_back, world
from test_stock_api_support import SelectCounter
from trading_support import TradingWorld

from openjxc.addons.base_jxc.catalog.services import ProductInput, create_product
from openjxc.addons.base_jxc.planning import forecasting as fc
from openjxc.addons.base_jxc.planning.services import sales_forecast
from openjxc.addons.base_jxc.stock.reversals import reverse_moves
from openjxc.core.errors import ValidationFailed
from openjxc.testing.graphql import GraphQLTester

__all__ = ["world"]

#: A season summing to zero, January first.
SEASON = [10, -5, 20, 15, -10, -20, 5, 0, -15, -5, 8, -3]


def truth(t: int) -> int:
    """Trend 100 + 2 a month, plus the season."""
    return 100 + 2 * t + SEASON[t % 12]


def test_holt_winters_forecasts_a_known_trend_and_season() -> None:
    exact = fc.forecast_series([truth(t) for t in range(36)], 12)
    assert exact.method == fc.HOLT_WINTERS and exact.parameters is not None
    assert exact.values == [Decimal(truth(t)).quantize(Decimal("0.01")) for t in range(36, 48)]
    # With noise (deterministic, ±3) the forecast stays within 4% of the truth …
    noise = [((t * 7919) % 7) - 3 for t in range(36)]
    noisy = fc.forecast_series([truth(t) + noise[t] for t in range(36)], 12)
    for h, value in enumerate(noisy.values):
        assert abs(value - truth(36 + h)) <= Decimal("0.04") * truth(36 + h), (h, value)
    # … and α, β, γ are the grid's best by one-step SSE.
    series = [float(truth(t) + noise[t]) for t in range(36)]
    best = min(product(fc.ALPHAS, fc.BETAS, fc.GAMMAS),
               key=lambda p: fc._smooth(series, p[0], p[1], p[2], fc.SEASON)[3])
    assert noisy.parameters is not None
    assert (noisy.parameters.alpha, noisy.parameters.beta, noisy.parameters.gamma) == best
    assert noisy.parameters.sse == fc._smooth(series, *best, m=fc.SEASON)[3]


def test_short_histories_fall_back_and_no_history_is_zero() -> None:
    # 24 months is enough for Holt-Winters, 23 is not.
    assert fc.forecast_series([truth(t) for t in range(24)], 1).method == fc.HOLT_WINTERS
    # 18 months from a March: each future month averages the same calendar months.
    history = [truth(t) for t in range(18)]
    seasonal = fc.forecast_series(history, 12, first_position=2)
    assert seasonal.method == fc.SEASONAL_MOVING_AVERAGE and seasonal.parameters is None
    # The history runs March (year 1) … August (year 2); September … February were seen
    # once, March … August twice.
    assert seasonal.values[0] == Decimal(truth(6))                         # September
    assert seasonal.values[6] == (Decimal(truth(0) + truth(12)) / 2)       # March
    assert fc.forecast_series(history[:12], 1).method == fc.SEASONAL_MOVING_AVERAGE
    assert fc.forecast_series(history[:11], 1).method == fc.SIMPLE_AVERAGE
    simple = fc.forecast_series([3, 4, 8], 3)
    assert simple.method == fc.SIMPLE_AVERAGE and simple.values == [Decimal("5.00")] * 3
    nothing = fc.forecast_series([], 2)
    assert nothing.method == fc.NO_HISTORY and nothing.values == [Decimal("0.00")] * 2
    # Net returns do not make a negative forecast.
    assert fc.forecast_series([-6, 2], 1).values == [Decimal("0.00")]


def test_sales_forecast_from_the_ledger(world: TradingWorld) -> None:
    start, as_of = date(2023, 1, 1), date(2026, 1, 15)
    sell_series(world, "PLAIN", [truth(t) for t in range(36)], start)
    # Noise that nets to zero: a return, an extra delivery, a reversed delivery.
    take_back(world, "PLAIN", 5, date(2025, 12, 20))
    sell(world, "PLAIN", 5, date(2025, 12, 21))
    reversed_sale = sell(world, "PLAIN", 7, date(2025, 11, 20))
    with world.uow() as session:
        reverse_moves(session, reversed_sale, reason="wrong customer",
                      move_date=date(2025, 11, 21))
    # Not history: the month of the as-of date; another warehouse counts company-wide.
    sell(world, "PLAIN", 999, date(2026, 1, 5))
    receive(world, "PLAIN", 1000, "WH1/STOCK", date(2025, 5, 1))
    sell(world, "PLAIN", 1000, date(2025, 6, 3), warehouse="WH1")
    # Six months of PLAIN2, nothing of BAT.
    sell_series(world, "PLAIN2", [4, 0, 6, 2, 5, 1], date(2025, 7, 1))
    ids = [world.products[c] for c in ("PLAIN", "PLAIN2", "BAT")]
    wh2 = world.warehouses["WH2"]
    with world.uow(readonly=True) as session:
        plain, plain2, bat = sales_forecast(session, ids, warehouse_id=wh2, months=12,
                                            as_of=as_of)
        everywhere = sales_forecast(session, ids[:1], months=1, as_of=as_of)[0]
    assert plain.method == "holt_winters" and len(plain.history) == 36
    assert plain.history[0].label == "2023-01" and plain.history[-1].label == "2025-12"
    assert [m.quantity for m in plain.history] == [truth(t) for t in range(36)]
    assert plain.forecast[0].label == "2026-01"
    assert [m.quantity for m in plain.forecast] == [truth(t) for t in range(36, 48)]
    assert plain.total == sum(truth(t) for t in range(36, 48))
    # PLAIN2: Jul … Dec 2025 (August without sales is a zero month) → 18 / 6 a month.
    assert plain2.method == "simple_average"
    assert [m.quantity for m in plain2.history] == [4, 0, 6, 2, 5, 1]
    assert [m.quantity for m in plain2.forecast] == [Decimal("3.00")] * 12
    assert bat.method == "none" and bat.history == [] and bat.total == 0
    assert len(bat.forecast) == 12
    june = next(m for m in everywhere.history if m.label == "2025-06")
    assert june.quantity == truth(29) + 1000 and everywhere.warehouse_id is None
    # Sold in the year before the 36 months and again last month: the history is the 36
    # months, mostly zeros.  Dormant for longer, a product starts anew.
    with world.uow() as session:
        old = create_product(session, ProductInput(code="OLD", name="老产品",
                                                   category_code="DJ")).id
        dormant = create_product(session, ProductInput(code="DORMANT", name="停售产品",
                                                       category_code="DJ")).id
    world.products.update(OLD=old, DORMANT=dormant)
    sell(world, "OLD", 50, date(2022, 1, 3))
    sell(world, "DORMANT", 50, date(2021, 12, 30))
    for code in ("OLD", "DORMANT"):
        sell(world, code, 12, date(2025, 12, 1))
    with world.uow(readonly=True) as session:
        found, restarted = sales_forecast(session, [old, dormant], as_of=as_of)
    assert len(found.history) == 36 and found.method == "holt_winters"
    assert found.history[0].label == "2023-01" and found.history[-1].quantity == 12
    assert [m.quantity for m in restarted.history] == [12]
    assert restarted.method == "simple_average" and restarted.total == 12 * 12
    # One statement reads the sales of any number of products.
    counts = []
    for codes in (["PLAIN"], ["PLAIN", "PLAIN2", "BAT", "SER", "OLD", "DORMANT"]):
        with world.uow(readonly=True) as session, SelectCounter(world.env) as counter:
            sales_forecast(session, [world.products[c] for c in codes], warehouse_id=wh2,
                           as_of=as_of)
        counts.append(counter.count)
    assert counts[0] == counts[1] <= 3, counts
    # Refusals.
    with world.uow(readonly=True) as session:
        for kwargs, code, at in (
                ({"product_ids": []}, "REQUIRED", ("productIds",)),
                ({"product_ids": [old, 999999]}, "NOT_FOUND", ("productIds", "1")),
                ({"product_ids": [old], "months": 0}, "INVALID", ("months",)),
                ({"product_ids": [old], "months": 37}, "INVALID", ("months",)),
                ({"product_ids": [old], "warehouse_id": 999999}, "NOT_FOUND",
                 ("warehouseId",))):
            with pytest.raises(ValidationFailed) as refused:
                sales_forecast(session, **kwargs)  # type: ignore[arg-type]
            assert [(e.code, e.field) for e in refused.value.errors] == [(code, at)]


QUERY = """query($ids: [ID!]!, $wh: ID, $months: Int!, $asOf: Date) {
  salesForecast(productIds: $ids, warehouseId: $wh, months: $months, asOf: $asOf) {
    totalCount edges { node {
    method historyMonths total alpha beta gamma product { code } warehouse { code }
    history { month quantity } forecast { month quantity } } } } }"""


def nodes(data: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [edge["node"] for edge in data[name]["edges"]]


def test_sales_forecast_query(world: TradingWorld) -> None:
    sell_series(world, "PLAIN", [truth(t) for t in range(24)], date(2024, 1, 1))
    sell_series(world, "PLAIN2", [6, 6], date(2025, 11, 1))
    api = GraphQLTester(world.env, permissions=["sales.forecast.read", "catalog.product.read",
                                                "stock.warehouse.read"])
    variables = {"ids": [gid("Product", world.products["PLAIN"]),
                         gid("Product", world.products["PLAIN2"])],
                 "wh": gid("Warehouse", world.warehouses["WH2"]), "months": 3,
                 "asOf": "2026-01-31"}
    plain, plain2 = nodes(api.ok(QUERY, variables), "salesForecast")
    assert plain["method"] == "HOLT_WINTERS" and plain["historyMonths"] == 24
    assert plain["product"] == {"code": "PLAIN"} and plain["warehouse"] == {"code": "WH2"}
    assert [m["quantity"] for m in plain["forecast"]] == [
        f"{truth(t)}.00" for t in (24, 25, 26)]
    assert [m["month"] for m in plain["forecast"]] == ["2026-01", "2026-02", "2026-03"]
    assert plain["alpha"] is not None
    assert plain2["method"] == "SIMPLE_AVERAGE" and plain2["alpha"] is None
    assert plain2["total"] == "18.00"
    # Bad input is refused clearly; no permission, no forecast.
    bad = api.refused(QUERY, {**variables, "months": 99}, code="BAD_USER_INPUT")
    assert bad[0]["extensions"]["field"] == ["months"]
    api.refused(QUERY, {**variables, "ids": ["nonsense"]}, code="BAD_USER_INPUT")
    # A history reaching before year 1 cannot be read: refused, not an internal error.
    ancient = api.refused(QUERY, {**variables, "asOf": "0003-06-01"}, code="BAD_USER_INPUT")
    assert ancient[0]["extensions"]["field"] == ["asOf"]
    GraphQLTester(world.env, permissions=["catalog.product.read"]).refused(
        QUERY, variables, code="FORBIDDEN")
    # A user limited to WH1 sees WH1 only, and must name it.
    scoped = GraphQLTester(world.env, permissions=["sales.forecast.read"],
                           scopes={"warehouse": [str(world.warehouses["WH1"])]})
    scoped.refused(QUERY, variables, code="FORBIDDEN")
    scoped.refused(QUERY, {**variables, "wh": None}, code="FORBIDDEN")
    mine = scoped.ok(QUERY, {**variables, "wh": gid("Warehouse", world.warehouses["WH1"])})
    assert nodes(mine, "salesForecast")[0]["method"] == "NONE"
    # A connection like every list: paged in the order the products were given.
    paged = """query($ids: [ID!]!, $after: String) { salesForecast(productIds: $ids,
      months: 1, first: 1, after: $after) { totalCount pageInfo { hasNextPage endCursor }
      edges { node { product { code } } } } }"""
    ids = {"ids": list(reversed(variables["ids"]))}
    first = api.ok(paged, ids)["salesForecast"]
    assert first["totalCount"] == 2 and first["pageInfo"]["hasNextPage"]
    assert [e["node"]["product"]["code"] for e in first["edges"]] == ["PLAIN2"]
    second = api.ok(paged, {**ids, "after": first["pageInfo"]["endCursor"]})["salesForecast"]
    assert [e["node"]["product"]["code"] for e in second["edges"]] == ["PLAIN"]
    assert not second["pageInfo"]["hasNextPage"]
