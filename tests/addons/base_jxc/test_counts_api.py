"""Stock counts through GraphQL, and the promise that posting a count costs a constant
number of SQL statements whatever its size."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, select

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.catalog.services import ProductInput, create_category, create_product
from openjxc.addons.base_jxc.counts.services import (
    CountEntry,
    post_count,
    record_count,
    start_count,
)
from openjxc.addons.base_jxc.stock.models import Location, StockBalance, StockMove
from openjxc.addons.base_jxc.stock.posting import MoveLine, business_today, post_moves
from openjxc.addons.base_jxc.stock.warehouses import company_location, create_warehouse
from openjxc.core.env import Environment
from openjxc.testing.fixtures import create_test_database
from openjxc.testing.graphql import GraphQLTester

D = Decimal
PRODUCTS = 50
BINS = 10


@pytest.fixture
def env(database_url: str) -> Iterator[Environment]:
    env = Environment.for_edition("basic", database_url=database_url)
    create_test_database(env)
    with env.unit_of_work() as s:
        create_category(s, code="DJ", name="电机")
        for i in range(PRODUCTS):
            create_product(s, ProductInput(code=f"P{i:03d}", name=f"P{i}", category_code="DJ"))
        create_warehouse(s, code="WH1", name="总仓",
                         bins=[f"B{b:02d}" for b in range(BINS)])
        products = list(s.scalars(select(Product.id).order_by(Product.code)))
        bins = list(s.scalars(select(Location.id).where(Location.code.like("WH1/B%"))
                              .order_by(Location.code)))
        supplier = company_location(s, "supplier").id
        post_moves(s, [MoveLine(product_id=p, quantity=D(10), from_location_id=supplier,
                                to_location_id=b, unit_cost=D(7)) for b in bins for p in products])
    yield env
    env.database.dispose()


class Statements:
    def __init__(self, env: Environment) -> None:
        self.engine = env.database.engine
        self.count = 0

    def _record(self, *_: Any) -> None:
        self.count += 1

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_: Any) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)


def _count_and_post(env: Environment, bins: list[str], flip: int) -> int:
    """Count ``bins`` (half the products 11, half 9) and post; the number of statements
    the posting ran."""
    with env.unit_of_work() as s:
        number = start_count(s, warehouse_code="WH1", scope="cycle",
                             location_codes=[f"WH1/{b}" for b in bins]).number
        record_count(s, number=number, entries=[
            CountEntry(location_code=f"WH1/{b}", code=f"P{i:03d}",
                       quantity=D(11) if (i + flip) % 2 else D(9))
            for b in bins for i in range(PRODUCTS)])
    with env.unit_of_work() as s, Statements(env) as statements:
        post_count(s, number=number)
    with env.unit_of_work() as s:
        moves = s.scalars(select(StockMove.quantity).where(StockMove.reference == number)).all()
        assert len(moves) == PRODUCTS * len(bins)
    return statements.count


def test_posting_costs_the_same_statements_for_50_and_500_lines(env: Environment) -> None:
    small = _count_and_post(env, ["B00"], flip=0)
    large = _count_and_post(env, [f"B{b:02d}" for b in range(BINS)], flip=1)
    assert small == large
    with env.unit_of_work() as s:
        quantities = set(s.scalars(select(StockBalance.quantity)
                                   .where(StockBalance.warehouse_id.is_not(None))))
        assert quantities == {D(9), D(11)}


START = """mutation($input: StockCountStartInput!) { stockCountStart(input: $input) {
  stockCount { id number scope state warehouseCode } errors { field code message } } }"""
RECORD = """mutation($input: StockCountRecordInput!) { stockCountRecord(input: $input) {
  stockCount { number } errors { field code message } } }"""
POST = """mutation($input: StockCountPostInput!) { stockCountPost(input: $input) {
  stockCount { number state postedAt accuracy { lineCount accurateLineCount lineAccuracy
               valueAccuracy expectedValue varianceValue } }
  errors { field code message } } }"""
LIST = """{ stockCounts(filter: {warehouseCode: "WH1"}) { totalCount edges { node {
  number state lines { locationCode productCode expectedQuantity countedQuantity
                       movedQuantity varianceQuantity varianceValue } } } } }"""


def test_a_count_through_graphql(env: Environment) -> None:
    api = GraphQLTester(env)
    started = api.ok(START, {"input": {"warehouseCode": "WH1", "scope": "CYCLE",
                                       "locationCodes": ["WH1/B01"],
                                       "productCodes": ["P000", "P001"]}})["stockCountStart"]
    assert started["errors"] == []
    count = started["stockCount"]
    assert (count["scope"], count["state"], count["warehouseCode"]) == (
        "CYCLE", "IN_PROGRESS", "WH1")
    number = count["number"]
    assert number == f"PD-{business_today_of(env):%Y%m}-0001"
    scans = {"number": number, "idempotencyKey": "pda-7",
             "entries": [{"locationCode": "WH1/B01", "code": "P000"},
                         {"locationCode": "WH1/B01", "code": "P000", "quantity": "11"}]}
    first = api.ok(RECORD, {"input": scans})
    again = api.ok(RECORD, {"input": scans})          # a PDA retry: counted once
    assert first == again and first["stockCountRecord"]["errors"] == []
    refused = api.ok(RECORD, {"input": {"number": number, "entries": [
        {"locationCode": "WH1/B01", "code": "P002"},
        {"locationCode": "WH1/B01", "code": "NOPE"}]}})["stockCountRecord"]
    assert refused["stockCount"] is None
    assert {(tuple(e["field"]), e["code"]) for e in refused["errors"]} == {
        (("entries", "0", "code"), "OUT_OF_SCOPE"), (("entries", "1", "code"), "UNKNOWN_CODE")}
    posted = api.ok(POST, {"input": {"number": number, "idempotencyKey": "post-1"}})
    assert posted == api.ok(POST, {"input": {"number": number, "idempotencyKey": "post-1"}})
    result = posted["stockCountPost"]
    assert result["errors"] == [] and result["stockCount"]["state"] == "POSTED"
    assert result["stockCount"]["accuracy"] == {
        "lineCount": 2, "accurateLineCount": 0, "lineAccuracy": "0.0000",
        "valueAccuracy": "0.6000", "expectedValue": "140.00", "varianceValue": "-56.00"}
    twice = api.ok(POST, {"input": {"number": number}})["stockCountPost"]
    assert [e["code"] for e in twice["errors"]] == ["NOT_IN_PROGRESS"]
    lines = api.ok(LIST)["stockCounts"]["edges"][0]["node"]["lines"]
    assert lines == [
        {"locationCode": "WH1/B01", "productCode": "P000", "expectedQuantity": "10.0000",
         "countedQuantity": "12.0000", "movedQuantity": "0.0000", "varianceQuantity": "2.0000",
         "varianceValue": "14.00"},
        {"locationCode": "WH1/B01", "productCode": "P001", "expectedQuantity": "10.0000",
         "countedQuantity": "0.0000", "movedQuantity": "0.0000",
         "varianceQuantity": "-10.0000", "varianceValue": "-70.00"}]
    today = business_today_of(env).isoformat()
    report = api.ok("""query($d: Date!) { inventoryAccuracy(warehouseCode: "WH1", from: $d,
        to: $d) { countCount lineCount lineAccuracy valueAccuracy expectedValue
        counts { number } } }""", {"d": today})["inventoryAccuracy"]
    assert report == {"countCount": 1, "lineCount": 2, "lineAccuracy": "0.0000",
                      "valueAccuracy": "0.6000", "expectedValue": "140.00",
                      "counts": [{"number": number}]}


def test_listing_counts_with_lines_runs_a_constant_number_of_statements(
        env: Environment) -> None:
    api = GraphQLTester(env)

    def run_a_count(bin_code: str) -> None:
        number = api.ok(START, {"input": {"warehouseCode": "WH1", "scope": "CYCLE",
                                          "locationCodes": [bin_code]}}
                        )["stockCountStart"]["stockCount"]["number"]
        api.ok(POST, {"input": {"number": number}})

    def statements() -> int:
        with Statements(env) as recorded:
            api.ok(LIST)
        return recorded.count

    run_a_count("WH1/B00")
    one = statements()
    run_a_count("WH1/B01")
    run_a_count("WH1/B02")
    assert statements() == one


def test_counts_need_their_permissions(env: Environment) -> None:
    reader = GraphQLTester(env, permissions={"stock.count.read"})
    reader.refused(START, {"input": {"warehouseCode": "WH1"}}, code="FORBIDDEN")
    assert reader.ok("{ stockCounts { totalCount } }")["stockCounts"]["totalCount"] == 0


def business_today_of(env: Environment) -> Any:
    with env.unit_of_work(readonly=True) as s:
        return business_today(s)
