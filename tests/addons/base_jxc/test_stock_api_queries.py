"""Reading stock through GraphQL: warehouses, locations, levels, the ledger, as-of, serials,
batches, pick suggestions; costs behind their permission; statement counts that do not grow
with the rows."""

from __future__ import annotations

from datetime import date

import pytest
from test_stock_api_support import (
    SelectCounter,
    api,
    env,
    line,
    posted,
    receive_basics,
)

from openjxc.core.env import Environment
from openjxc.testing.graphql import GraphQLTester

__all__ = ["api", "env"]


def test_warehouses_and_their_locations(api: GraphQLTester) -> None:
    data = api.ok("{ warehouses { totalCount edges { node { code kind "
                  "locations { code kind } } } } }")
    wh1 = data["warehouses"]["edges"][0]["node"]
    assert data["warehouses"]["totalCount"] == 2
    assert wh1["code"] == "WH1" and wh1["kind"] == "HQ"
    assert {(loc["code"], loc["kind"]) for loc in wh1["locations"]} == {
        ("WH1/STOCK", "INTERNAL"), ("WH1/A-01", "INTERNAL"), ("WH1/A-02", "INTERNAL"),
        ("WH1/TRANSIT", "TRANSIT"), ("WH1/QUARANTINE", "QUARANTINE"), ("WH1/SCRAP", "SCRAP")}
    bins = api.ok('{ locations(filter: {warehouseCode: "WH2", kind: TRANSIT}) '
                  "{ edges { node { code warehouse { code } } } } }")
    assert bins["locations"]["edges"] == [
        {"node": {"code": "WH2/TRANSIT", "warehouse": {"code": "WH2"}}}]
    company = api.ok("{ locations(filter: {kind: CUSTOMER}) { edges { node { code "
                     "warehouse { code } } } } }")
    assert company["locations"]["edges"] == [
        {"node": {"code": "PARTNER/CUSTOMER", "warehouse": None}}]


def test_stock_levels_filter_and_show_on_hand_reserved_available(api: GraphQLTester) -> None:
    receive_basics(api)
    posted(api, line("LS-M8", "10", "WH1/A-01", "WH2/STOCK"))
    query = """query($f: StockLevelFilter) { stockLevels(filter: $f) { totalCount edges { node {
        onHand reserved available product { code } location { code } batch { number }
        warehouse { code } } } } }"""
    everything = api.ok(query)["stockLevels"]
    assert everything["totalCount"] == 4
    bolts = api.ok(query, {"f": {"productCode": "LS-M8"}})["stockLevels"]["edges"]
    assert [(e["node"]["location"]["code"], e["node"]["onHand"], e["node"]["available"])
            for e in bolts] == [("WH1/A-01", "40.0000", "40.0000"),
                                ("WH2/STOCK", "10.0000", "10.0000")]
    in_wh2 = api.ok(query, {"f": {"warehouseCode": "WH2"}})["stockLevels"]["edges"]
    assert [e["node"]["product"]["code"] for e in in_wh2] == ["LS-M8"]
    oil = api.ok(query, {"f": {"batchNumber": "B2401"}})["stockLevels"]["edges"]
    assert oil[0]["node"]["batch"] == {"number": "B2401"}
    assert oil[0]["node"]["reserved"] == "0.0000"
    by_bin = api.ok(query, {"f": {"locationCode": "WH1/A-01", "categoryCode": "DJ"}})
    assert by_bin["stockLevels"]["totalCount"] == 2
    assert api.ok(query, {"f": {"categoryCode": "NONE"}})["stockLevels"]["totalCount"] == 0
    # An emptied place disappears unless asked for.
    posted(api, line("LS-M8", "10", "WH2/STOCK", "PARTNER/CUSTOMER"))
    assert api.ok(query, {"f": {"warehouseCode": "WH2"}})["stockLevels"]["totalCount"] == 0
    zero = api.ok(query, {"f": {"warehouseCode": "WH2", "onlyPositive": False}})
    assert zero["stockLevels"]["edges"][0]["node"]["onHand"] == "0.0000"


def test_stock_moves_filters_and_serials(api: GraphQLTester) -> None:
    receive_basics(api)
    posted(api, line("DJ-YE3-7.5", "1", "WH1/A-01", "PARTNER/CUSTOMER", serials=["YE3-0002"]),
           moveDate="2030-01-02", reference="SO-1")
    query = """query($f: StockMoveFilter, $s: StockMoveSort) {
      stockMoves(filter: $f, sort: $s) { totalCount edges { node {
        moveDate quantity originType reference value product { code }
        fromLocation { code } toLocation { code } serials { number state } } } } }"""
    newest = api.ok(query)["stockMoves"]
    assert newest["totalCount"] == 4
    sale = newest["edges"][0]["node"]
    assert sale["reference"] == "SO-1" and sale["originType"] == "manual"
    assert sale["serials"] == [{"number": "YE3-0002", "state": "DELIVERED"}]
    assert sale["value"] == "3100.00"
    oldest = api.ok(query, {"s": "OLDEST_FIRST"})["stockMoves"]["edges"]
    assert oldest[0]["node"]["serials"] == [
        {"number": "YE3-0001", "state": "IN_STOCK"}, {"number": "YE3-0002", "state": "DELIVERED"},
        {"number": "YE3-0003", "state": "IN_STOCK"}]
    for f, expected in (({"productCode": "LS-M8"}, 1), ({"reference": "SO-1"}, 1),
                        ({"locationCode": "WH1/STOCK"}, 1), ({"warehouseCode": "WH1"}, 4),
                        ({"warehouseCode": "WH2"}, 0), ({"dateFrom": "2030-01-01"}, 1),
                        ({"dateTo": "2030-01-01"}, 3), ({"originType": "manual"}, 4),
                        ({"originType": "transfer"}, 0)):
        assert api.ok(query, {"f": f})["stockMoves"]["totalCount"] == expected, f


def test_stock_as_of_a_date_with_values(api: GraphQLTester) -> None:
    posted(api, line("LS-M8", "10", "PARTNER/SUPPLIER", "WH1/STOCK", unitCost="2"),
           moveDate="2025-03-01")
    posted(api, line("LS-M8", "4", "WH1/STOCK", "PARTNER/CUSTOMER"), moveDate="2025-04-01")
    query = """query($d: Date!, $w: String, $p: [String!]) {
      stockAsOf(date: $d, warehouseCode: $w, productCodes: $p) {
        quantity value unitCost product { code } location { code } warehouse { code } } }"""
    march = api.ok(query, {"d": "2025-03-31", "w": "WH1", "p": ["LS-M8"]})["stockAsOf"]
    assert march == [{"quantity": "10.0000", "value": "20.00", "unitCost": "2.000000",
                      "product": {"code": "LS-M8"}, "location": {"code": "WH1/STOCK"},
                      "warehouse": {"code": "WH1"}}]
    april = api.ok(query, {"d": "2025-04-30"})["stockAsOf"]
    assert [(r["quantity"], r["value"]) for r in april] == [("6.0000", "12.00")]
    assert api.ok(query, {"d": "2025-02-28"})["stockAsOf"] == []
    assert api.ok(query, {"d": "2025-04-30", "w": "WH2"})["stockAsOf"] == []
    api.refused(query, {"d": "2025-04-30", "w": "NOPE"}, code="BAD_USER_INPUT")


def test_serial_number_with_state_cost_and_history(api: GraphQLTester) -> None:
    receive_basics(api)
    posted(api, line("DJ-YE3-7.5", "1", "WH1/A-01", "WH1/QUARANTINE", serials=["YE3-0001"]))
    posted(api, line("DJ-YE3-7.5", "1", "WH1/QUARANTINE", "WH1/SCRAP", serials=["YE3-0001"]))
    query = """query($n: String!, $p: String) { serialNumber(number: $n, productCode: $p) {
      number state unitCost receivedOn product { code } location { code } batch { number }
      history { fromLocation { code } toLocation { code } } } }"""
    unit = api.ok(query, {"n": "YE3-0001"})["serialNumber"]
    assert unit["state"] == "SCRAPPED" and unit["unitCost"] == "3100.00"
    assert unit["product"] == {"code": "DJ-YE3-7.5"} and unit["location"] == {"code": "WH1/SCRAP"}
    assert [(h["fromLocation"]["code"], h["toLocation"]["code"]) for h in unit["history"]] == [
        ("PARTNER/SUPPLIER", "WH1/A-01"), ("WH1/A-01", "WH1/QUARANTINE"),
        ("WH1/QUARANTINE", "WH1/SCRAP")]
    assert api.ok(query, {"n": "YE3-0001", "p": "LS-M8"})["serialNumber"] is None
    assert api.ok(query, {"n": "NOPE"})["serialNumber"] is None
    listing = """query($f: SerialNumberFilter) { serialNumbers(filter: $f) { totalCount
      edges { node { number state } } } }"""
    assert api.ok(listing)["serialNumbers"]["totalCount"] == 3
    in_stock = api.ok(listing, {"f": {"state": "IN_STOCK", "productCode": "DJ-YE3-7.5"}})
    assert [e["node"]["number"] for e in in_stock["serialNumbers"]["edges"]] == [
        "YE3-0002", "YE3-0003"]
    scrapped = api.ok(listing, {"f": {"locationCode": "WH1/SCRAP"}})["serialNumbers"]
    assert scrapped["totalCount"] == 1
    assert api.ok(listing, {"f": {"warehouseCode": "WH2"}})["serialNumbers"]["totalCount"] == 0
    # Refetchable by its global ID.
    node_id = api.ok('{ serialNumbers(first: 1) { edges { node { id } } } }')[
        "serialNumbers"]["edges"][0]["node"]["id"]
    again = api.ok("query($id: ID!) { node(id: $id) { ... on SerialNumber { number } } }",
                   {"id": node_id})
    assert again["node"] == {"number": "YE3-0001"}


def test_batches_expiry_filters(api: GraphQLTester) -> None:
    posted(api, line("YY-46", "5", "PARTNER/SUPPLIER", "WH1/STOCK", unitCost="80",
                     batchNumber="OLD", expiresOn="2020-06-30"),
           line("YY-46", "5", "PARTNER/SUPPLIER", "WH1/STOCK", unitCost="80",
                batchNumber="NEW", expiresOn="2099-06-30"),
           moveDate="2020-01-01")
    query = """query($f: BatchFilter) { batches(filter: $f) { edges { node {
      number expiresOn expired product { code } } } } }"""

    def numbers(f: dict[str, object] | None = None) -> list[str]:
        return [e["node"]["number"] for e in api.ok(query, {"f": f})["batches"]["edges"]]

    assert numbers() == ["NEW", "OLD"]
    assert numbers({"expired": True}) == ["OLD"]
    assert numbers({"expired": False}) == ["NEW"]
    assert numbers({"expiringBefore": "2050-01-01", "productCode": "YY-46"}) == ["OLD"]
    assert numbers({"productCode": "LS-M8"}) == []


def test_pick_suggestions_earliest_expiry_first(api: GraphQLTester) -> None:
    posted(api, line("YY-46", "5", "PARTNER/SUPPLIER", "WH1/A-02", unitCost="80",
                     batchNumber="LATE", expiresOn="2099-12-31"),
           line("YY-46", "5", "PARTNER/SUPPLIER", "WH1/A-01", unitCost="80",
                batchNumber="SOON", expiresOn="2098-01-31"))
    query = """{ pickSuggestions(productCode: "YY-46", warehouseCode: "WH1", quantity: "7") {
      quantity expiresOn serials location { code } batch { number } } }"""
    picks = api.ok(query)["pickSuggestions"]
    assert [(p["batch"]["number"], p["location"]["code"], p["quantity"]) for p in picks] == [
        ("SOON", "WH1/A-01", "5.0000"), ("LATE", "WH1/A-02", "2.0000")]
    api.refused(query.replace('"7"', '"0"'), code="BAD_USER_INPUT")
    api.refused(query.replace('"YY-46"', '"NOPE"'), code="BAD_USER_INPUT")


def test_costs_need_their_permission(env: Environment, api: GraphQLTester) -> None:
    receive_basics(api)
    clerk = GraphQLTester(env, permissions={"stock.move.read", "stock.level.read",
                                            "catalog.product.read"})
    result = clerk.execute("{ stockMoves(first: 1) { edges { node { quantity unitCost value "
                           "serials { unitCost } } } } }")
    node = result["data"]["stockMoves"]["edges"][0]["node"]
    assert node["unitCost"] is None and node["value"] is None
    assert {e["extensions"]["code"] for e in result["errors"]} == {"FORBIDDEN"}
    assert {tuple(e["path"][-1:]) for e in result["errors"]} == {("unitCost",), ("value",)}
    as_of = clerk.execute('{ stockAsOf(date: "2099-01-01") { quantity value } }')
    assert as_of["data"]["stockAsOf"][0]["value"] is None
    assert as_of["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    serial = clerk.execute('{ serialNumber(number: "YE3-0001") { number unitCost } }')
    assert serial["data"]["serialNumber"] == {"number": "YE3-0001", "unitCost": None}
    nobody = GraphQLTester(env, permissions={"catalog.product.read"})
    nobody.refused("{ stockLevels { totalCount } }", code="FORBIDDEN")


def test_a_user_limited_to_a_warehouse_sees_only_its_stock(env: Environment,
                                                           api: GraphQLTester) -> None:
    receive_basics(api)
    posted(api, line("LS-M8", "10", "WH1/A-01", "WH2/STOCK"))
    posted(api, line("LS-M8", "5", "PARTNER/SUPPLIER", "WH1/STOCK", unitCost="1"))
    wh2 = api.ok('{ warehouses(filter: {kind: BRANCH}) { edges { node { id } } } }')
    wh2_pk = 2
    assert wh2["warehouses"]["edges"]
    branch = GraphQLTester(env, scopes={"warehouse": [str(wh2_pk)]})
    assert [e["node"]["code"] for e in branch.ok(
        "{ warehouses { edges { node { code } } } }")["warehouses"]["edges"]] == ["WH2"]
    levels = branch.ok("{ stockLevels { edges { node { location { code } } } } }")
    assert [e["node"]["location"]["code"] for e in levels["stockLevels"]["edges"]] == [
        "WH2/STOCK"]
    moves = branch.ok("{ stockMoves { totalCount } }")["stockMoves"]["totalCount"]
    assert moves == 1  # only the transfer into WH2
    assert branch.ok("{ serialNumbers { totalCount } }")["serialNumbers"]["totalCount"] == 0
    assert branch.ok('{ serialNumber(number: "YE3-0001") { number } }')["serialNumber"] is None
    locations = branch.ok("{ locations { edges { node { code } } } }")["locations"]["edges"]
    codes = {e["node"]["code"] for e in locations}
    assert "WH1/STOCK" not in codes and {"WH2/STOCK", "PARTNER/CUSTOMER"} <= codes
    rows = branch.ok('{ stockAsOf(date: "2099-01-01") { location { code } } }')["stockAsOf"]
    assert [r["location"]["code"] for r in rows] == ["WH2/STOCK"]
    branch.refused('{ stockAsOf(date: "2099-01-01", warehouseCode: "WH1") { quantity } }',
                   code="FORBIDDEN")
    branch.refused('{ pickSuggestions(productCode: "LS-M8", warehouseCode: "WH1", '
                   'quantity: "1") { quantity } }', code="FORBIDDEN")
    # A unit at a customer is everyone's to look up, but its history shows a branch user
    # only the moves touching their warehouses, as stockMoves does.
    posted(api, line("DJ-YE3-7.5", "1", "WH1/A-01", "PARTNER/CUSTOMER", serials=["YE3-0001"]))
    query = '{ serialNumber(number: "YE3-0001") { number history { id } } }'
    assert len(api.ok(query)["serialNumber"]["history"]) == 2
    assert branch.ok(query)["serialNumber"] == {"number": "YE3-0001", "history": []}


@pytest.mark.parametrize("query", [
    "{ stockLevels(first: 100) { totalCount edges { node { onHand product { code category "
    "{ code } } location { code warehouse { code } } batch { number } warehouse { code } } } } }",
    "{ stockMoves(first: 100) { edges { node { quantity value product { code } "
    "fromLocation { code } toLocation { code warehouse { code } } batch { number } "
    "serials { number location { code } } } } } }",
    "{ serialNumbers(first: 100) { edges { node { number state product { code } "
    "location { code } batch { number } history { moveDate } } } } }",
], ids=["stockLevels", "stockMoves", "serialNumbers"])
def test_list_statement_counts_do_not_grow_with_rows(env: Environment, api: GraphQLTester,
                                                     query: str) -> None:
    def receive(count: int, start: int) -> None:
        posted(api, *[line("DJ-YE3-7.5", "1", "PARTNER/SUPPLIER", "WH1/A-01", unitCost="10",
                           serials=[f"SN{start + i:04d}"]) for i in range(count)],
               *[line("YY-46", "1", "PARTNER/SUPPLIER", "WH1/A-02", unitCost="10",
                      batchNumber=f"B{start + i:04d}") for i in range(count)])

    receive(5, 0)
    with SelectCounter(env) as few:
        api.ok(query)
    receive(20, 100)
    with SelectCounter(env) as many:
        data = api.ok(query)
    assert sum(len(v["edges"]) for v in data.values()) >= 25
    assert many.count == few.count, (few.count, many.count)


def test_a_day_in_the_future_is_fine_for_as_of(api: GraphQLTester) -> None:
    query = '{ stockAsOf(date: "DAY") { quantity } }'.replace("DAY", date(2999, 1, 1).isoformat())
    assert api.ok(query)["stockAsOf"] == []
