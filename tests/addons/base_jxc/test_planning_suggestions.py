"""Purchase suggestions: on hand + incoming − reserved against safety stock + forecast demand
over the lead time, rounded up; the suggested supplier and price; a constant number of
statements; the ``purchaseSuggestions`` query."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from test_planning_support import AS_OF, build_shop, gid, world
from test_stock_api_support import SelectCounter
from trading_support import TradingWorld

from openjxc.addons.base_jxc.catalog.services import ProductInput, create_product
from openjxc.addons.base_jxc.planning.suggestions import demand_over, purchase_suggestions
from openjxc.testing.graphql import GraphQLTester

__all__ = ["world"]


def test_suggestions_of_a_warehouse(world: TradingWorld) -> None:
    build_shop(world)
    wh1 = world.warehouses["WH1"]
    with world.uow(readonly=True) as session:
        found = {s.product_code: s for s in purchase_suggestions(session, wh1, as_of=AS_OF)}
        every = {s.product_code: s for s in purchase_suggestions(
            session, wh1, as_of=AS_OF, include_sufficient=True)}
    assert sorted(found) == ["PLAIN", "PLAIN2", "SER"]
    assert sorted(every) == ["PLAIN", "PLAIN2", "SER", "SER2"]      # BAT: nothing at all
    plain = found["PLAIN"]
    # On hand 100 + 20 (bin) − 90 sold + 15 accepted; not the 7 in quarantine.
    assert (plain.on_hand, plain.reserved, plain.incoming) == (45, 5, 20)
    assert plain.draft_quantity == 11 and plain.available == 60
    # Sold 30 a month for three months → 30 in April, all 30 days of it in the lead time.
    assert plain.method == "simple_average" and plain.demand == Decimal("30.00")
    # 50.5 + 30 − 60 = 20.5 → 21 whole units.
    assert plain.quantity == 21
    assert (plain.supplier_id, plain.supplier_source) == (world.partners["S1"], "default")
    assert (plain.unit_price, plain.price_source) == (Decimal("58.5"), "last_price")
    assert plain.amount == Decimal("1228.50")
    plain2 = found["PLAIN2"]
    assert (plain2.quantity, plain2.demand, plain2.incoming) == (5, 0, 0)   # WH2's orders
    assert (plain2.supplier_id, plain2.supplier_source) == (world.partners["S2"],
                                                            "last_order")
    assert (plain2.unit_price, plain2.price_source) == (Decimal("140"), "last_price")
    ser = found["SER"]       # its default supplier is inactive and it was never ordered
    assert (ser.quantity, ser.supplier_id, ser.supplier_source) == (2, None, "")
    assert (ser.unit_price, ser.price_source) == (Decimal("2000"), "standard_price")
    ser2 = every["SER2"]
    assert (ser2.on_hand, ser2.quantity, ser2.method) == (1, 0, "none")
    # Nothing is suggested for WH2 beyond the products' safety stock.
    with world.uow(readonly=True) as session:
        wh2 = purchase_suggestions(session, world.warehouses["WH2"], as_of=AS_OF)
        assert [(s.product_code, s.quantity, s.incoming) for s in wh2] == [
            ("PLAIN", 49, 2), ("PLAIN2", 2, 3), ("SER", 2, 0)]
        only = purchase_suggestions(session, wh1, as_of=AS_OF,
                                    product_ids=[world.products["PLAIN"]])
        assert [s.quantity for s in only] == [21]


def test_demand_is_spread_over_the_days_of_each_month() -> None:
    forecast = {2026 * 12: Decimal(31), 2026 * 12 + 1: Decimal(28)}
    # 21–31 January (11 days of 31) and 1–9 February (9 of 28).
    assert demand_over(forecast, date(2026, 1, 20), 20) == Decimal("20.00")
    assert demand_over(forecast, date(2026, 1, 20), 0) == 0
    assert demand_over({2026 * 12: Decimal(10)}, date(2025, 12, 31), 3) == Decimal("0.97")


QUERY = """query($wh: ID!, $all: Boolean!, $ids: [ID!]) {
  purchaseSuggestions(warehouseId: $wh, includeSufficient: $all, productIds: $ids,
                      first: 100) { edges { node {
    onHand reserved incoming draftQuantity available safetyStock leadTimeDays demand
    forecastMethod quantity supplierSource unitPrice priceSource amount
    product { code } warehouse { code } supplier { code } } } } }"""


def suggested(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in data["purchaseSuggestions"]["edges"]]


def test_purchase_suggestions_query_and_its_statements(world: TradingWorld) -> None:
    build_shop(world)
    api = GraphQLTester(world.env, permissions=["purchase.suggestion.read",
                                                "catalog.product.read", "partner.partner.read",
                                                "stock.warehouse.read", "catalog.price.read"])
    wh1 = world.warehouses["WH1"]
    rows = suggested(api.ok(QUERY, {"wh": gid("Warehouse", wh1), "all": True}))
    needed = suggested(api.ok(QUERY, {"wh": gid("Warehouse", wh1), "all": False}))
    with world.uow(readonly=True) as session:
        expected = purchase_suggestions(session, wh1, include_sufficient=True)  # as of today
    assert [(r["product"]["code"], r["quantity"], r["demand"]) for r in rows] == [
        (s.product_code, f"{s.quantity}", f"{s.demand}") for s in expected]
    assert [r["product"]["code"] for r in needed] == [
        s.product_code for s in expected if s.quantity > 0]
    plain = rows[0]
    assert plain["onHand"] == "45.0000" and plain["incoming"] == "20.0000"
    assert plain["draftQuantity"] == "11.0000" and plain["reserved"] == "5.0000"
    assert plain["supplier"] == {"code": "S1"} and plain["supplierSource"] == "DEFAULT"
    assert plain["unitPrice"] == "58.500000" and plain["priceSource"] == "LAST_PRICE"
    assert plain["warehouse"] == {"code": "WH1"} and plain["leadTimeDays"] == 30
    assert plain["forecastMethod"] == "SIMPLE_AVERAGE"
    ser = next(r for r in rows if r["product"]["code"] == "SER")
    assert ser["supplier"] is None and ser["supplierSource"] == "NONE"
    only = api.ok(QUERY, {"wh": gid("Warehouse", wh1), "all": True,
                          "ids": [gid("Product", world.products["SER2"])]})
    assert [r["quantity"] for r in suggested(only)] == ["0.0000"]
    # Prices only for those who may see prices: null with FORBIDDEN at their path.
    priceless = GraphQLTester(world.env, permissions=[
        "purchase.suggestion.read", "catalog.product.read", "partner.partner.read",
        "stock.warehouse.read"]).execute(QUERY, {"wh": gid("Warehouse", wh1), "all": True})
    first = priceless["data"]["purchaseSuggestions"]["edges"][0]["node"]
    assert first["unitPrice"] is None and first["amount"] is None
    assert first["quantity"] == plain["quantity"]
    assert {e["extensions"]["code"] for e in priceless["errors"]} == {"FORBIDDEN"}
    assert {e["path"][-1] for e in priceless["errors"]} == {"unitPrice", "amount"}
    # Unknown warehouse, wrong ID type, scope and permission.
    missing = api.refused(QUERY, {"wh": gid("Warehouse", 999999), "all": False},
                          code="BAD_USER_INPUT")
    assert missing[0]["extensions"]["field"] == ["warehouseId"]
    api.refused(QUERY, {"wh": gid("Product", wh1), "all": False}, code="BAD_USER_INPUT")
    scoped = GraphQLTester(world.env, permissions=["purchase.suggestion.read"],
                           scopes={"warehouse": [str(world.warehouses["WH2"])]})
    scoped.refused(QUERY, {"wh": gid("Warehouse", wh1), "all": False}, code="FORBIDDEN")
    GraphQLTester(world.env, permissions=["catalog.product.read"]).refused(
        QUERY, {"wh": gid("Warehouse", wh1), "all": False}, code="FORBIDDEN")
    # The statements do not grow with the products.
    variables = {"wh": gid("Warehouse", wh1), "all": True}
    counts = []
    for more in (0, 12):
        with world.uow() as session:
            for i in range(more):
                create_product(session, ProductInput(
                    code=f"MORE-{i}", name=f"更多 {i}", category_code="DJ",
                    safety_stock=Decimal(1), default_supplier_code="S1" if i % 2 else None))
        with SelectCounter(world.env) as counter:
            found = suggested(api.ok(QUERY, variables))
        counts.append((counter.count, len(found)))
    assert counts[0][0] == counts[1][0] and counts[1][1] == counts[0][1] + 12, counts
