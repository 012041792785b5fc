"""Changing stock through GraphQL: warehouses and bins, posting documents with their refusals,
idempotent retries, reversals, closing months, expired batches and warehouse scoping."""

from __future__ import annotations

from typing import Any

from test_stock_api_support import MOVE, api, env, line, post, posted, receive_basics

from openjxc.core.env import Environment
from openjxc.testing.graphql import GraphQLTester

__all__ = ["api", "env"]

WAREHOUSE = """mutation($input: WarehouseCreateInput!) { warehouseCreate(input: $input) {
  warehouse { code kind allowNegative locations { code kind } } errors { field code message } } }"""
BIN = """mutation($input: BinCreateInput!) { binCreate(input: $input) {
  bin { code kind warehouse { code } } errors { field code } } }"""
REVERSE = """mutation($input: StockMoveReverseInput!) { stockMoveReverse(input: $input) {
  stockMoves { id quantity value fromLocation { code } toLocation { code } serials { number } }
  errors { field code message } } }"""
CLOSE = """mutation($month: Date!) { stockPeriodClose(input: {month: $month}) {
  stockPeriod { periodEnd closedAt } errors { field code } } }"""


def codes(payload: dict[str, Any]) -> set[tuple[tuple[str, ...], str]]:
    return {(tuple(e["field"] or ()), e["code"]) for e in payload["errors"]}


def moves_count(api: GraphQLTester) -> int:
    return int(api.ok("{ stockMoves { totalCount } }")["stockMoves"]["totalCount"])


def test_create_a_warehouse_with_bins_and_add_a_bin(api: GraphQLTester) -> None:
    made = api.ok(WAREHOUSE, {"input": {"code": "VAN1", "name": "服务车", "kind": "VAN",
                                        "bins": ["SHELF"]}})["warehouseCreate"]
    assert made["errors"] == []
    assert made["warehouse"]["kind"] == "VAN" and made["warehouse"]["allowNegative"] is False
    assert {loc["code"] for loc in made["warehouse"]["locations"]} == {
        "VAN1/STOCK", "VAN1/SHELF", "VAN1/TRANSIT", "VAN1/QUARANTINE", "VAN1/SCRAP"}
    again = api.ok(WAREHOUSE, {"input": {"code": "VAN1", "name": "", "bins": ["A", "A"]}})
    assert codes(again["warehouseCreate"]) == {(("code",), "DUPLICATE_CODE"),
                                               (("name",), "REQUIRED"),
                                               (("bins", "1"), "DUPLICATE_CODE")}
    assert again["warehouseCreate"]["warehouse"] is None
    added = api.ok(BIN, {"input": {"warehouseCode": "VAN1", "code": "DRAWER"}})["binCreate"]
    assert added == {"bin": {"code": "VAN1/DRAWER", "kind": "INTERNAL",
                             "warehouse": {"code": "VAN1"}}, "errors": []}
    refused = api.ok(BIN, {"input": {"warehouseCode": "NOPE", "code": ""}})["binCreate"]
    assert codes(refused) == {(("code",), "REQUIRED"), (("warehouseCode",), "NOT_FOUND")}


def test_receipt_issue_move_and_adjustment(api: GraphQLTester) -> None:
    receipt = posted(api, line("LS-M8", "10", "PARTNER/SUPPLIER", "WH1/STOCK", unitCost="2"),
                     line("DJ-YE3-7.5", "2", "PARTNER/SUPPLIER", "WH1/A-01",
                          unitCost="3000", serials=["M-01..02"]),
                     reference="PO-1")
    assert [m["value"] for m in receipt] == ["20.00", "6000.00"]
    assert [s["number"] for s in receipt[1]["serials"]] == ["M-01", "M-02"]
    moved = posted(api, line("LS-M8", "4", "WH1/STOCK", "WH1/A-02"))
    assert moved[0]["toLocation"]["code"] == "WH1/A-02"
    issued = posted(api, line("DJ-YE3-7.5", "1", "WH1/A-01", "PARTNER/CUSTOMER",
                              serials=["M-02"]))
    assert issued[0]["value"] == "3000.00"
    adjusted = posted(api, line("LS-M8", "1", "WH1/A-02", "VIRTUAL/ADJUSTMENT"))
    assert adjusted[0]["value"] == "2.00"
    scrapped = posted(api, line("LS-M8", "1", "WH1/A-02", "WH1/SCRAP"))
    assert scrapped[0]["toLocation"]["code"] == "WH1/SCRAP"


def test_refusals_are_payload_errors_and_change_nothing(api: GraphQLTester) -> None:
    receive_basics(api)
    before = moves_count(api)
    unknown = post(api, line("NOPE", "1", "PARTNER/SUPPLIER", "WH9/STOCK"), reference="x" * 65)
    assert codes(unknown) == {(("lines", "0", "productCode"), "NOT_FOUND"),
                              (("lines", "0", "toLocationCode"), "NOT_FOUND"),
                              (("reference",), "INVALID")}
    assert unknown["stockMoves"] is None
    short = post(api, line("LS-M8", "1", "WH1/STOCK", "PARTNER/CUSTOMER"),
                 line("LS-M8", "60", "WH1/A-01", "PARTNER/CUSTOMER"))
    assert {e["code"] for e in short["errors"]} == {"INSUFFICIENT_STOCK"}
    assert all(e["message"] for e in short["errors"])
    for bad, code in (
            (line("DJ-YE3-7.5", "1", "WH1/A-01", "PARTNER/CUSTOMER", serials=["NOPE"]),
             "SERIAL_NOT_IN_LOCATION"),
            (line("DJ-YE3-7.5", "1", "PARTNER/SUPPLIER", "WH1/A-01", serials=["YE3-0001"]),
             "SERIAL_ALREADY_EXISTS"),
            (line("DJ-YE3-7.5", "2", "PARTNER/SUPPLIER", "WH1/A-01", serials=["X-1"]),
             "SERIAL_COUNT_MISMATCH"),
            (line("LS-M8", "1", "PARTNER/SUPPLIER", "WH1/A-01", serials=["X-1"]),
             "SERIAL_NOT_TRACKED"),
            (line("YY-46", "1", "PARTNER/SUPPLIER", "WH1/A-01"), "BATCH_REQUIRED"),
            (line("LS-M8", "1", "PARTNER/SUPPLIER", "WH1/A-01", batchNumber="B"),
             "BATCH_NOT_TRACKED"),
            (line("LS-M8", "0", "PARTNER/SUPPLIER", "WH1/A-01"), "INVALID_QUANTITY"),
            (line("LS-M8", "1", "WH1/A-01", "WH1/A-01"), "SAME_LOCATION"),
            (line("DJ-YE3-7.5", "2", "PARTNER/SUPPLIER", "WH1/A-01", serials=["Z9..Z1"]),
             "INVALID_SERIAL_RANGE")):
        payload = post(api, bad)
        assert code in {e["code"] for e in payload["errors"]}, (code, payload["errors"])
        assert payload["stockMoves"] is None
    assert codes(post(api)) == {(("lines",), "REQUIRED")}
    assert moves_count(api) == before


def test_an_expired_batch_goes_to_a_customer_only_with_the_permission(
        env: Environment, api: GraphQLTester) -> None:
    posted(api, line("YY-46", "4", "PARTNER/SUPPLIER", "WH1/STOCK", unitCost="80",
                     batchNumber="OLD", expiresOn="2021-01-31"), moveDate="2021-01-01")
    deliver = line("YY-46", "1", "WH1/STOCK", "PARTNER/CUSTOMER", batchNumber="OLD")
    everything_but = set(env.permissions.names) - {"stock.batch.deliver_expired"}
    clerk = GraphQLTester(env, permissions=everything_but)
    assert {e["code"] for e in post(clerk, deliver)["errors"]} == {"BATCH_EXPIRED"}
    # Moving it to scrap is fine without the permission.
    posted(clerk, line("YY-46", "1", "WH1/STOCK", "WH1/SCRAP", batchNumber="OLD"))
    assert posted(api, deliver)[0]["batch"] == {"number": "OLD"}


def test_an_idempotent_retry_posts_once_and_answers_the_same(api: GraphQLTester) -> None:
    document = {"lines": [line("LS-M8", "5", "PARTNER/SUPPLIER", "WH1/STOCK", unitCost="1")],
                "idempotencyKey": "pda-42-0001"}
    first = api.ok(MOVE, {"input": document})["stockMoveCreate"]
    again = api.ok(MOVE, {"input": document})["stockMoveCreate"]
    assert first["errors"] == [] and again == first
    assert moves_count(api) == 1
    other = dict(document, lines=[line("LS-M8", "6", "PARTNER/SUPPLIER", "WH1/STOCK")])
    reused = api.ok(MOVE, {"input": other})["stockMoveCreate"]
    assert codes(reused) == {(("idempotencyKey",), "IDEMPOTENCY_KEY_REUSED")}
    assert moves_count(api) == 1
    # A refused document keeps no key: corrected, the same key posts.
    fresh = {"lines": [line("LS-M8", "99", "WH1/STOCK", "PARTNER/CUSTOMER")],
             "idempotencyKey": "pda-42-0002"}
    assert api.ok(MOVE, {"input": fresh})["stockMoveCreate"]["errors"][0]["code"] == (
        "INSUFFICIENT_STOCK")
    fresh["lines"] = [line("LS-M8", "2", "WH1/STOCK", "PARTNER/CUSTOMER")]
    assert api.ok(MOVE, {"input": fresh})["stockMoveCreate"]["errors"] == []


def test_reversal_mirrors_moves_once(api: GraphQLTester) -> None:
    receipt = posted(api, line("DJ-YE3-7.5", "2", "PARTNER/SUPPLIER", "WH1/A-01",
                               unitCost="3000", serials=["R-1..2"]))
    ids = [receipt[0]["id"]]
    request = {"moveIds": ids, "reason": "录错", "idempotencyKey": "rev-1"}
    done = api.ok(REVERSE, {"input": request})["stockMoveReverse"]
    assert done["errors"] == []
    mirror = done["stockMoves"][0]
    assert (mirror["fromLocation"]["code"], mirror["toLocation"]["code"]) == (
        "WH1/A-01", "PARTNER/SUPPLIER")
    assert mirror["value"] == "6000.00" and len(mirror["serials"]) == 2
    assert api.ok(REVERSE, {"input": request})["stockMoveReverse"] == done
    twice = api.ok(REVERSE, {"input": {"moveIds": ids, "reason": "again"}})["stockMoveReverse"]
    assert codes(twice) == {(("moves", "0"), "ALREADY_REVERSED")}
    back = api.ok(REVERSE, {"input": {"moveIds": [mirror["id"]], "reason": "x"}})
    assert codes(back["stockMoveReverse"]) == {(("moves", "0"), "IS_REVERSAL")}
    no_reason = api.ok(REVERSE, {"input": {"moveIds": ids, "reason": " "}})["stockMoveReverse"]
    assert ("reason",) in {f for f, _ in codes(no_reason)}
    api.refused(REVERSE, {"input": {"moveIds": ["bm9wZQ=="], "reason": "x"}},
                code="BAD_USER_INPUT")
    assert moves_count(api) == 2


def test_closing_a_month(api: GraphQLTester) -> None:
    posted(api, line("LS-M8", "5", "PARTNER/SUPPLIER", "WH1/STOCK", unitCost="1"),
           moveDate="2024-05-10")
    closed = api.ok(CLOSE, {"month": "2024-05-01"})["stockPeriodClose"]
    assert closed["errors"] == [] and closed["stockPeriod"]["periodEnd"] == "2024-05-31"
    assert codes(api.ok(CLOSE, {"month": "2024-04-01"})["stockPeriodClose"]) == {
        (("month",), "STOCK_PERIOD_CLOSED")}
    assert codes(api.ok(CLOSE, {"month": "2999-01-01"})["stockPeriodClose"]) == {
        (("month",), "PERIOD_NOT_OVER")}
    late = post(api, line("LS-M8", "1", "PARTNER/SUPPLIER", "WH1/STOCK"), moveDate="2024-05-20")
    assert codes(late) == {(("moveDate",), "STOCK_PERIOD_CLOSED")}


def test_a_user_limited_to_a_warehouse_posts_only_there(env: Environment,
                                                        api: GraphQLTester) -> None:
    receive_basics(api)
    branch = GraphQLTester(env, scopes={"warehouse": ["2"]})
    posted(branch, line("LS-M8", "3", "PARTNER/SUPPLIER", "WH2/STOCK", unitCost="1"))
    branch.refused(MOVE, {"input": {"lines": [line("LS-M8", "1", "WH1/A-01", "WH2/STOCK")]}},
                   code="FORBIDDEN")
    branch.refused(BIN, {"input": {"warehouseCode": "WH1", "code": "X"}}, code="FORBIDDEN")
    wh1_move = api.ok("{ stockMoves(filter: {warehouseCode: \"WH1\"}, first: 1) "
                      "{ edges { node { id } } } }")["stockMoves"]["edges"][0]["node"]["id"]
    branch.refused(REVERSE, {"input": {"moveIds": [wh1_move], "reason": "x"}},
                   code="FORBIDDEN")
    branch.refused(CLOSE, {"month": "2024-01-01"}, code="FORBIDDEN")
    assert moves_count(api) == 4
