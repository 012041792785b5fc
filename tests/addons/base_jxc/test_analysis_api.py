"""``kpis`` and ``deadStock`` through GraphQL: the figures of :mod:`test_analysis_kpis`
with their products, categories and warehouses; only selected reports computed; costs
behind ``stock.cost.read``; permissions, warehouse limits and scopes; clear refusals;
paging; statement counts that do not grow with the rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from test_analysis_support import AnalysisWorld, D, build_analysis_world, utc
from test_stock_api_support import SelectCounter

from openjxc.addons.base_jxc.analysis.register import roles as analysis_roles
from openjxc.addons.base_jxc.catalog.services import ProductInput, create_category, create_product
from openjxc.addons.base_jxc.counts.recording import CountEntry
from openjxc.addons.base_jxc.counts.services import post_count, record_count, start_count
from openjxc.addons.base_jxc.stock.posting import business_today
from openjxc.testing.fixtures import BACKENDS, DatabaseFactory
from openjxc.testing.graphql import GraphQLTester

EVERYTHING = """query($g: KpiGroupBy!, $w: String) {
  kpis(from: "2025-03-01", to: "2025-03-31", groupBy: $g, warehouseCode: $w) {
    dateFrom dateTo groupBy
    inventoryTurnover { ...group turnover turnoverDays costOfGoodsSold openingValue
                        closingValue averageValue }
    stockoutRate { ...group demandCount stockoutCount rate }
    onTimeDelivery { ...group dueCount onTimeCount rate }
    inventoryAccuracy { ...group countCount lineCount accurateLineCount lineAccuracy
                        valueAccuracy }
    purchaseApprovalTime { ...group orderCount averageHours maxHours }
    salesTrend { ...group quantity revenue months { month quantity revenue cost margin } }
  } }
fragment group on KpiGroup { product { code category { code } } category { code }
                             warehouse { code } }"""
DEAD_STOCK = """query($after: String, $w: String) {
  deadStock(asOf: "2025-09-15", first: 2, after: $after, warehouseCode: $w) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { status quantity value lastMovementDate lastOutgoingDate idleDays
                   daysWithoutOutgoing product { code } warehouse { code } } } } }"""
KPI = ("analysis.kpi.read",)
READ = ("catalog.product.read", "catalog.category.read", "stock.warehouse.read")


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalysisWorld]:
    factory = DatabaseFactory(str(request.param), Path(tmp_path_factory.mktemp("api")))
    built = build_analysis_world(factory.new())
    yield built
    built.env.database.dispose()
    factory.cleanup()


def code_of(item: dict[str, Any]) -> str:
    for kind in ("product", "category", "warehouse"):
        if item[kind]:
            return str(item[kind]["code"])
    return "ALL"


def test_every_kpi_per_grouping_with_what_it_is_about(world: AnalysisWorld) -> None:
    api = GraphQLTester(world.env)
    per_product = api.ok(EVERYTHING, {"g": "PRODUCT"})["kpis"]
    assert (per_product["dateFrom"], per_product["groupBy"]) == ("2025-03-01", "PRODUCT")
    assert {code_of(t): (t["turnover"], t["turnoverDays"], t["costOfGoodsSold"],
                         t["averageValue"]) for t in per_product["inventoryTurnover"]} == {
        "PLAIN": ("0.37", "83.7", "1500.00", "4050.00"),
        "PLAIN2": ("1.33", "23.3", "3000.00", "2250.00"),
        "VALVE": ("0.67", "46.5", "1000.00", "1500.00")}
    valve = per_product["inventoryTurnover"][2]
    assert valve["product"] == {"code": "VALVE", "category": {"code": "FM"}}
    assert (valve["category"], valve["warehouse"]) == (None, None)
    assert {code_of(s): s["rate"] for s in per_product["stockoutRate"]} == {
        "PLAIN": "0.0000", "PLAIN2": "1.0000", "SER": "1.0000", "VALVE": "0.0000"}
    assert {code_of(o): (o["dueCount"], o["rate"]) for o in per_product["onTimeDelivery"]} \
        == {"PLAIN": (2, "0.5000"), "PLAIN2": (1, "1.0000"), "SER": (1, "0.0000"),
            "VALVE": (1, "0.0000")}
    assert per_product["inventoryAccuracy"] == []  # the counts were posted today
    assert {code_of(p): p["averageHours"] for p in per_product["purchaseApprovalTime"]} == {
        "PLAIN": "2.50", "PLAIN2": "36.00", "VALVE": "122.50"}
    trend = {code_of(t): t for t in per_product["salesTrend"]}
    assert trend["VALVE"]["months"] == [{"month": "2025-03", "quantity": "5.0000",
                                         "revenue": "1666.66", "cost": "1000.00",
                                         "margin": "666.66"}]
    whole = api.ok(EVERYTHING, {"g": "NONE"})["kpis"]
    assert [(t["turnover"], t["turnoverDays"], t["openingValue"], t["closingValue"])
            for t in whole["inventoryTurnover"]] == [("0.71", "44.0", "9800.00", "5800.00")]
    assert whole["onTimeDelivery"][0] == {"product": None, "category": None,
                                          "warehouse": None, "dueCount": 4, "onTimeCount": 1,
                                          "rate": "0.2500"}
    assert whole["inventoryAccuracy"][0]["lineAccuracy"] is None
    assert whole["salesTrend"][0]["revenue"] == "9166.66"
    per_warehouse = api.ok(EVERYTHING, {"g": "WAREHOUSE"})["kpis"]
    assert {code_of(p): (p["orderCount"], p["averageHours"], p["maxHours"])
            for p in per_warehouse["purchaseApprovalTime"]} == {
        "WH1": (2, "105.75", "209.00"), "WH2": (1, "36.00", "36.00")}
    per_category = api.ok(EVERYTHING, {"g": "CATEGORY"})["kpis"]
    assert {code_of(s): (s["demandCount"], s["stockoutCount"])
            for s in per_category["stockoutRate"]} == {"DJ": (3, 2), "FM": (1, 0)}
    only_wh2 = api.ok(EVERYTHING, {"g": "WAREHOUSE", "w": "WH2"})["kpis"]
    assert [code_of(t) for t in only_wh2["inventoryTurnover"]] == ["WH2"]


def test_only_the_selected_reports_are_computed(world: AnalysisWorld) -> None:
    api = GraphQLTester(world.env)
    period = 'kpis(from: "2025-03-01", to: "2025-03-31", groupBy: PRODUCT)'
    expected = {"dateFrom": 0, "onTimeDelivery { rate }": 1,
                "purchaseApprovalTime { orderCount }": 1, "salesTrend { revenue }": 1,
                "stockoutRate { rate }": 2, "inventoryTurnover { turnover }": 3,
                "inventoryAccuracy { lineCount }": 1}
    for selection, statements in expected.items():
        with SelectCounter(world.env) as counter:
            api.ok(f"{{ {period} {{ {selection} }} }}")
        assert counter.count == statements, selection


def test_values_need_the_cost_permission(world: AnalysisWorld) -> None:
    api = GraphQLTester(world.env, permissions=(*KPI, "analysis.dead_stock.read", *READ))
    result = api.execute('{ kpis(from: "2025-03-01", to: "2025-03-31") { inventoryTurnover '
                         "{ turnover costOfGoodsSold } salesTrend { revenue months "
                         "{ revenue cost } } } }")
    turnover = result["data"]["kpis"]["inventoryTurnover"][0]
    assert turnover == {"turnover": "0.71", "costOfGoodsSold": None}
    months = result["data"]["kpis"]["salesTrend"][0]["months"]
    assert months[0] == {"revenue": "9166.66", "cost": None}
    forbidden = {tuple(e["path"]) for e in result["errors"]}
    assert forbidden == {("kpis", "inventoryTurnover", 0, "costOfGoodsSold"),
                         ("kpis", "salesTrend", 0, "months", 0, "cost")}
    assert {e["extensions"]["code"] for e in result["errors"]} == {"FORBIDDEN"}
    dead = api.execute(DEAD_STOCK)
    assert [e["node"]["value"] for e in dead["data"]["deadStock"]["edges"]] == [None, None]
    assert dead["data"]["deadStock"]["edges"][0]["node"]["quantity"] == "50.0000"


def test_an_analyst_reads_every_report_with_its_values(world: AnalysisWorld) -> None:
    [analyst] = [r for r in analysis_roles() if r.name == "analyst"]
    api = GraphQLTester(world.env, permissions=analyst.permissions)
    found = api.ok(EVERYTHING, {"g": "CATEGORY"})["kpis"]
    assert [t["costOfGoodsSold"] for t in found["inventoryTurnover"]] == ["4500.00", "1000.00"]
    assert api.ok(DEAD_STOCK)["deadStock"]["edges"][0]["node"]["value"] == "3000.00"


def test_each_query_needs_its_permission_and_a_warehouse_limit_is_kept(
        world: AnalysisWorld) -> None:
    no_kpis = GraphQLTester(world.env, permissions=("analysis.dead_stock.read", *READ))
    no_kpis.refused('{ kpis(from: "2025-03-01", to: "2025-03-31") { dateFrom } }',
                    code="FORBIDDEN")
    no_dead = GraphQLTester(world.env, permissions=(*KPI, *READ))
    no_dead.refused("{ deadStock { totalCount } }", code="FORBIDDEN")
    # A user limited to WH2 sees only WH2's figures and may not ask for WH1's.
    branch = GraphQLTester(world.env, scopes={"warehouse": [str(world.warehouses["WH2"])]})
    mine = branch.ok(EVERYTHING, {"g": "WAREHOUSE"})["kpis"]
    for report in ("inventoryTurnover", "stockoutRate", "onTimeDelivery",
                   "purchaseApprovalTime", "salesTrend"):
        assert [code_of(r) for r in mine[report]] == ["WH2"], report
    assert [e["node"]["warehouse"]["code"] for e in
            branch.ok(DEAD_STOCK)["deadStock"]["edges"]] == ["WH2"]
    branch.refused(EVERYTHING, {"g": "NONE", "w": "WH1"}, code="FORBIDDEN")


def test_wrong_arguments_are_refused_clearly(world: AnalysisWorld) -> None:
    api = GraphQLTester(world.env, locale="en")
    [backwards] = api.refused('{ kpis(from: "2025-03-31", to: "2025-03-01") { dateFrom } }',
                              code="BAD_USER_INPUT")
    assert backwards["extensions"]["reason"] == "INVALID"
    assert backwards["extensions"]["field"] == ["to"]
    assert backwards["message"] == "The period ends before it starts"
    [days] = api.refused("{ deadStock(days: 0) { totalCount } }", code="BAD_USER_INPUT")
    assert (days["extensions"]["reason"], days["extensions"]["field"]) == ("INVALID", ["days"])
    [unknown] = api.refused('{ deadStock(warehouseCode: "NOPE") { totalCount } }',
                            code="BAD_USER_INPUT")
    assert unknown["extensions"]["reason"] == "NOT_FOUND"


def test_dead_stock_pages_longest_idle_first(world: AnalysisWorld) -> None:
    api = GraphQLTester(world.env)
    first = api.ok(DEAD_STOCK)["deadStock"]
    assert first["totalCount"] == 4 and first["pageInfo"]["hasNextPage"] is True
    assert [(e["node"]["product"]["code"], e["node"]["warehouse"]["code"], e["node"]["status"],
             e["node"]["value"], e["node"]["idleDays"]) for e in first["edges"]] == [
        ("PLAIN", "WH1", "DEAD", "3000.00", 191), ("PLAIN2", "WH2", "DEAD", "1500.00", 187)]
    rest = api.ok(DEAD_STOCK, {"after": first["pageInfo"]["endCursor"]})["deadStock"]
    assert [(e["node"]["product"]["code"], e["node"]["status"], e["node"]["lastOutgoingDate"],
             e["node"]["daysWithoutOutgoing"]) for e in rest["edges"]] == [
        ("VALVE", "SLOW_MOVING", "2025-03-22", 177), ("PLAIN2", "SLOW_MOVING", None, 106)]
    assert rest["pageInfo"]["hasNextPage"] is False


def grow(world: AnalysisWorld, n: int) -> None:
    """``n`` more products of a new category, each bought, sold on an order with a
    delivery, bought again on an approved purchase order and counted — something new for
    every report."""
    with world.uow() as session:
        category = create_category(session, code=f"X{n}", name=f"类 {n}")
        world.categories[category.code] = category.id
        for i in range(n):
            code = f"X{n}-{i}"
            world.products[code] = create_product(session, ProductInput(
                code=code, name=code, category_code=category.code)).id
    for i in range(n):
        code = f"X{n}-{i}"
        warehouse = ("WH1", "WH2")[i % 2]
        world.move(f"{code} in", code, 10, "supplier", f"{warehouse}/STOCK", date(2025, 3, 1),
                   "purchase.receipt", unit_cost=D(10 + i))
        world.move(f"{code} out", code, 3, f"{warehouse}/STOCK", "customer", date(2025, 3, 9),
                   "sales.delivery")
        with world.uow() as session:
            [line] = world.order(code, session, warehouse=warehouse,
                                 order_date=date(2025, 3, 2), promised=date(2025, 3, 9 + i % 3),
                                 state="delivered", lines=[(code, 3, "20")])
            world.deliver(session, code, line, f"{code} out", date(2025, 3, 9))
            world.purchase(session, warehouse=warehouse, created=utc(2025, 3, 4),
                           approved=utc(2025, 3, 5, i), products=[code])
    with world.uow() as session:
        number = start_count(session, warehouse_code="WH2", scope="cycle",
                             category_codes=[f"X{n}"]).number
        record_count(session, number=number, entries=[
            CountEntry("WH2/STOCK", f"X{n}-{i}", quantity=D(7 - i % 2))
            for i in range(n) if i % 2])
        post_count(session, number=number)


def test_statement_counts_do_not_grow_with_the_rows(database_url: str) -> None:
    world = build_analysis_world(database_url)
    api = GraphQLTester(world.env)
    with world.uow(readonly=True) as session:
        today = business_today(session).isoformat()
    # March's reports, and the accuracy of the counts posted today, per product.
    counted = (f'counted: kpis(from: "{today}", to: "{today}", groupBy: $g) '
               "{ inventoryAccuracy { ...group lineCount } } }\nfragment")
    everything = EVERYTHING.replace("} }\nfragment", "} " + counted, 1)
    dead = DEAD_STOCK.replace("first: 2", "first: 100")

    def statements() -> tuple[int, int, int]:
        with SelectCounter(world.env) as kpis:
            found = api.ok(everything, {"g": "PRODUCT"})
        with SelectCounter(world.env) as dead_stock:
            api.ok(dead)
        rows = sum(len(found["kpis"][report]) for report in found["kpis"]
                   if isinstance(found["kpis"][report], list))
        return kpis.count, dead_stock.count, rows + len(found["counted"]["inventoryAccuracy"])

    before = statements()
    grow(world, 6)
    after = statements()
    assert after[2] > before[2] + 6 * 5
    assert after[:2] == before[:2]
    world.env.database.dispose()
