"""Transfers through GraphQL: create, ship (retried safely), receive with a loss, refusals."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, func, select

from openjxc.addons.base_jxc.catalog.services import (
    ProductInput,
    create_category,
    create_product,
)
from openjxc.addons.base_jxc.stock.models import StockMove
from openjxc.addons.base_jxc.stock.posting import MoveLine, post_moves
from openjxc.addons.base_jxc.stock.warehouses import (
    company_location,
    create_warehouse,
    warehouse_location,
)
from openjxc.core.env import Environment
from openjxc.testing.fixtures import create_test_database
from openjxc.testing.graphql import GraphQLTester

TRANSFER = """id number state fromWarehouseCode toWarehouseCode differenceReason
  lines { id position productCode quantity batchNumber receivedQuantity lostQuantity
          toLocationCode product { code } serials { number state } }"""


def _mutation(name: str, input_type: str) -> str:
    return (f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ "
            f"stockTransfer {{ {TRANSFER} }} errors {{ field code message }} }} }}")


CREATE = _mutation("stockTransferCreate", "StockTransferCreateInput")
SHIP = _mutation("stockTransferShip", "StockTransferShipInput")
RECEIVE = _mutation("stockTransferReceive", "StockTransferReceiveInput")
CANCEL = """mutation($input: StockTransferCancelInput!) {
  stockTransferCancel(input: $input) { stockTransfer { state } errors { field code } } }"""
LIST = ("query($filter: StockTransferFilter) { stockTransfers(filter: $filter) { "
        "totalCount edges { node { " + TRANSFER + " } } } }")


@pytest.fixture
def api(database_url: str) -> Iterator[GraphQLTester]:
    env = Environment.for_edition("basic", database_url=database_url)
    create_test_database(env)
    with env.unit_of_work() as s:
        create_category(s, code="DJ", name="电机")
        motor = create_product(s, ProductInput(code="DJ-YE3-7.5", name="电机", category_code="DJ",
                                               tracking="serial"))
        grease = create_product(s, ProductInput(code="RZ-1", name="润滑脂", category_code="DJ",
                                                tracking="batch"))
        wh1 = create_warehouse(s, code="WH1", name="总仓")
        create_warehouse(s, code="WH2", name="分仓", kind="branch")
        supplier = company_location(s, "supplier").id
        stock1 = warehouse_location(s, wh1.id, "internal").id
        post_moves(s, [
            MoveLine(product_id=motor.id, quantity=Decimal(4), from_location_id=supplier,
                     to_location_id=stock1, unit_cost=Decimal(3000), serials=["M01..04"]),
            MoveLine(product_id=grease.id, quantity=Decimal(50), from_location_id=supplier,
                     to_location_id=stock1, unit_cost=Decimal(12), batch_number="G1")])
    yield GraphQLTester(env, locale="en")
    env.database.dispose()


def _create(api: GraphQLTester, motors: list[str], grease: str = "20") -> dict[str, Any]:
    data = api.ok(CREATE, {"input": {
        "fromWarehouseCode": "WH1", "toWarehouseCode": "WH2", "lines": [
            {"productCode": "DJ-YE3-7.5", "quantity": str(len(motors)), "serials": motors},
            {"productCode": "RZ-1", "quantity": grease, "batchNumber": "G1"}]}})
    assert data["stockTransferCreate"]["errors"] == []
    return data["stockTransferCreate"]["stockTransfer"]  # type: ignore[no-any-return]


def _moves(api: GraphQLTester) -> int:
    with api.env.unit_of_work(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(StockMove)) or 0)


def test_ship_and_receive_with_a_loss(api: GraphQLTester) -> None:
    draft = _create(api, ["M01", "M02"])
    assert draft["state"] == "DRAFT" and draft["number"].startswith("DB-")
    assert [line["product"]["code"] for line in draft["lines"]] == ["DJ-YE3-7.5", "RZ-1"]
    assert draft["lines"][0]["serials"] == [{"number": "M01", "state": "SHIPPED"},
                                            {"number": "M02", "state": "SHIPPED"}]
    shipped = api.ok(SHIP, {"input": {"id": draft["id"]}})["stockTransferShip"]
    assert shipped["errors"] == [] and shipped["stockTransfer"]["state"] == "SHIPPED"
    motor_line, grease_line = (line["id"] for line in draft["lines"])
    refused = api.ok(RECEIVE, {"input": {"id": draft["id"], "lines": [
        {"lineId": motor_line, "serials": ["M01", "M03"]}]}})["stockTransferReceive"]
    assert refused["stockTransfer"] is None
    assert {(tuple(e["field"]), e["code"]) for e in refused["errors"]} == {
        (("lines", "0", "serials"), "SERIAL_NOT_SHIPPED")}
    received = api.ok(RECEIVE, {"input": {"id": draft["id"], "reason": "破损一台", "lines": [
        {"lineId": motor_line, "serials": ["M01"]},
        {"lineId": grease_line, "quantity": "20"}]}})["stockTransferReceive"]
    assert received["errors"] == []
    transfer = received["stockTransfer"]
    assert transfer["state"] == "PARTLY_RECEIVED" and transfer["differenceReason"] == "破损一台"
    assert [(Decimal(line["receivedQuantity"]), Decimal(line["lostQuantity"]),
             line["toLocationCode"]) for line in transfer["lines"]] == [
        (1, 1, "WH2/STOCK"), (20, 0, "WH2/STOCK")]
    assert transfer["lines"][0]["serials"] == [{"number": "M01", "state": "RECEIVED"},
                                               {"number": "M02", "state": "LOST"}]


def test_a_retried_ship_with_the_same_key_moves_nothing_twice(api: GraphQLTester) -> None:
    draft = _create(api, ["M01"])
    before = _moves(api)
    first = api.ok(SHIP, {"input": {"id": draft["id"], "idempotencyKey": "pda-7"}})
    again = api.ok(SHIP, {"input": {"id": draft["id"], "idempotencyKey": "pda-7"}})
    assert first == again and first["stockTransferShip"]["errors"] == []
    assert _moves(api) == before + 2
    other = api.ok(SHIP, {"input": {"id": draft["id"], "idempotencyKey": "pda-8"}})
    assert [e["code"] for e in other["stockTransferShip"]["errors"]] == ["INVALID_STATE"]


def test_refusals_are_field_errors(api: GraphQLTester) -> None:
    bad = api.ok(CREATE, {"input": {"fromWarehouseCode": "WH1", "toWarehouseCode": "XX",
                                    "lines": []}})["stockTransferCreate"]
    assert {(tuple(e["field"]), e["code"]) for e in bad["errors"]} == {
        (("toWarehouseCode",), "NOT_FOUND"), (("lines",), "REQUIRED")}
    draft = _create(api, ["M01"], grease="60")
    short = api.ok(SHIP, {"input": {"id": draft["id"]}})["stockTransferShip"]
    assert [(e["field"], e["code"]) for e in short["errors"]] == [
        (["lines", "1", "quantity"], "INSUFFICIENT_STOCK")]
    early = api.ok(RECEIVE, {"input": {"id": draft["id"]}})["stockTransferReceive"]
    assert [e["code"] for e in early["errors"]] == ["INVALID_STATE"]
    unknown = api.ok(CANCEL, {"input": {"id": "not-an-id"}})["stockTransferCancel"]
    assert unknown["errors"] == [{"field": ["id"], "code": "NOT_FOUND"}]
    cancelled = api.ok(CANCEL, {"input": {"id": draft["id"]}})["stockTransferCancel"]
    assert cancelled == {"stockTransfer": {"state": "CANCELLED"}, "errors": []}
    again = api.ok(CANCEL, {"input": {"id": draft["id"]}})["stockTransferCancel"]
    assert again["errors"] == [{"field": ["id"], "code": "INVALID_STATE"}]


def test_the_list_filters_and_its_statements_do_not_grow(api: GraphQLTester) -> None:
    engine = api.env.database.engine
    statements: list[str] = []

    def record(_c: Any, _cur: Any, statement: str, *_a: Any) -> None:
        statements.append(statement)

    def count() -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", record)
        try:
            api.ok(LIST)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len(statements)

    first = _create(api, ["M01"], grease="1")
    one = count()
    for serial in ("M02", "M03", "M04"):
        _create(api, [serial], grease="1")
    assert count() == one
    api.ok(SHIP, {"input": {"id": first["id"]}})
    shipped = api.ok(LIST, {"filter": {"state": "SHIPPED", "warehouseCode": "WH2"}})
    assert shipped["stockTransfers"]["totalCount"] == 1
    none = api.ok(LIST, {"filter": {"fromWarehouseCode": "WH2"}})
    assert none["stockTransfers"]["totalCount"] == 0


def test_each_operation_needs_its_permission(api: GraphQLTester) -> None:
    reader = GraphQLTester(api.env, permissions=["stock.transfer.read"], locale="en")
    reader.refused(SHIP, {"input": {"id": "x"}}, code="FORBIDDEN")
    reader.ok(LIST)


def _warehouse_ids(api: GraphQLTester) -> dict[str, int]:
    from openjxc.addons.base_jxc.stock.models import Warehouse

    with api.env.unit_of_work(readonly=True) as s:
        return {code: id_ for code, id_ in s.execute(select(Warehouse.code, Warehouse.id))}


def test_a_user_limited_to_a_warehouse_sees_and_moves_only_its_side(
        api: GraphQLTester) -> None:
    with api.env.unit_of_work() as s:
        create_warehouse(s, code="WH3", name="第三仓", kind="branch")
    ids = _warehouse_ids(api)
    transfer = _create(api, ["M01"])
    line_id = transfer["lines"][0]["id"]
    sender = GraphQLTester(api.env, scopes={"warehouse": [str(ids["WH1"])]}, locale="en")
    receiver = GraphQLTester(api.env, scopes={"warehouse": [str(ids["WH2"])]}, locale="en")
    outsider = GraphQLTester(api.env, scopes={"warehouse": [str(ids["WH3"])]}, locale="en")
    node = "query($id: ID!) { node(id: $id) { id } }"

    # Seen by both sides, not by a third warehouse: in the list and by id.
    for user in (sender, receiver):
        assert user.ok(LIST)["stockTransfers"]["totalCount"] == 1
        assert user.ok(node, {"id": transfer["id"]})["node"] == {"id": transfer["id"]}
        assert user.ok(node, {"id": line_id})["node"] == {"id": line_id}
    assert outsider.ok(LIST)["stockTransfers"]["totalCount"] == 0
    assert outsider.ok(node, {"id": transfer["id"]})["node"] is None
    assert outsider.ok(node, {"id": line_id})["node"] is None

    # Only the sending side creates, ships and cancels; only the receiving side receives.
    receiver.refused(CREATE, {"input": {"fromWarehouseCode": "WH1", "toWarehouseCode": "WH2",
                                        "lines": [{"productCode": "RZ-1", "quantity": "1",
                                                   "batchNumber": "G1"}]}}, code="FORBIDDEN")
    receiver.refused(SHIP, {"input": {"id": transfer["id"]}}, code="FORBIDDEN")
    receiver.refused(CANCEL, {"input": {"id": transfer["id"]}}, code="FORBIDDEN")
    assert _moves(api) == 2
    shipped = sender.ok(SHIP, {"input": {"id": transfer["id"]}})["stockTransferShip"]
    assert shipped["stockTransfer"]["state"] == "SHIPPED"
    sender.refused(RECEIVE, {"input": {"id": transfer["id"]}}, code="FORBIDDEN")
    outsider.refused(RECEIVE, {"input": {"id": transfer["id"]}}, code="FORBIDDEN")
    received = receiver.ok(RECEIVE, {"input": {"id": transfer["id"]}})["stockTransferReceive"]
    assert received["errors"] == [] and received["stockTransfer"]["state"] == "RECEIVED"
    assert api.ok(LIST)["stockTransfers"]["totalCount"] == 1  # the draft was undone
