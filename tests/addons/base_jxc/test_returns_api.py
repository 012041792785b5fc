"""Customer returns through GraphQL: a return's life, retries, refusals, permissions and a
list whose statement count does not grow.

The tests of this module share one world per backend (building a schema is what takes
time); each sells to its own customer or its own order lines, so they do not meet.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from test_returns_support import ReturnWorld, Sold, fresh_world
from test_stock_api_support import SelectCounter

from openjxc.addons.base_jxc.invoicing.services import InvoiceLineInput, create_invoice
from openjxc.addons.base_jxc.stock.models import StockMove
from openjxc.graphql import from_global_id, to_global_id
from openjxc.testing.fixtures import BACKENDS, DatabaseFactory
from openjxc.testing.graphql import GraphQLTester

D = Decimal

RETURN = """id code state reason amount value closedWith warehouseCode salesOrderNumber
  creditNoteNumber refundNumber createdBy customer { code }
  lines { id position productCode quantity batchNumber unitPrice taxRate total
          receivedQuantity restockedQuantity scrappedQuantity toSupplierQuantity
          restockLocationCode salesOrderLineId product { code }
          serials { number disposition serialNumber { number location { code } } } }"""


def _mutation(name: str, input_type: str) -> str:
    return (f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ "
            f"return {{ {RETURN} }} errors {{ field code message }} }} }}")


CREATE = _mutation("returnCreate", "ReturnCreateInput")
RECEIVE = _mutation("returnReceive", "ReturnReceiveInput")
INSPECT = _mutation("returnInspect", "ReturnInspectInput")
CLOSE = _mutation("returnClose", "ReturnCloseInput")
CANCEL = _mutation("returnCancel", "ReturnCancelInput")
LIST = ("query($filter: ReturnFilter) { returns(filter: $filter) { totalCount "
        "edges { node { " + RETURN + " } } } }")
BY_CODE = """query($code: String!) { return(code: $code) { code state lines {
  unitCost serials { serialNumber { history { originType } } } } } }"""


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReturnWorld]:
    databases = DatabaseFactory(request.param, tmp_path_factory.mktemp("returns_api"))
    world = fresh_world(databases)
    # Enough for every test's sales, at the same cost as the world's first ten.
    world.post(world.line("PLAIN", 30, "supplier", "WH1/STOCK", unit_cost=D(60)))
    yield world
    world.env.database.dispose()
    databases.cleanup()


@pytest.fixture(scope="module")
def api(world: ReturnWorld) -> GraphQLTester:
    return GraphQLTester(world.env, locale="en")


def _line_id(order_line: int) -> str:
    return to_global_id("SalesOrderLine", order_line)


def _payload(data: dict[str, Any]) -> dict[str, Any]:
    (payload,) = data.values()
    return payload  # type: ignore[no-any-return]


def _errors(data: dict[str, Any]) -> list[tuple[tuple[str, ...] | None, str]]:
    return [(tuple(e["field"]) if e["field"] else None, e["code"])
            for e in _payload(data)["errors"]]


def _moves(world: ReturnWorld) -> int:
    with world.uow(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(StockMove)) or 0)


def test_a_return_from_request_to_credit_note(world: ReturnWorld, api: GraphQLTester) -> None:
    _order, (plain, _motor) = world.deliver("C1", [
        Sold("PLAIN", 4, "100"), Sold("SER", 2, "3000", serials=["SN001", "SN002"])])
    world.run(lambda s: create_invoice(s, partner_id=world.partners["C1"],
                                       direction="receivable", lines=[InvoiceLineInput(
                                           product_id=None, description="货款",
                                           quantity=D(4), unit_price=D(100),
                                           tax_rate=D("0.13"), source_type="SalesOrderLine",
                                           source_id=plain)]))
    created = _payload(api.ok(CREATE, {"input": {
        "customerCode": "C1", "reason": "客户退货", "lines": [
            {"productCode": "PLAIN", "quantity": "2", "salesOrderLineId": _line_id(plain)},
            {"productCode": "SER", "quantity": "1", "serials": ["SN001"]}]}}))
    assert created["errors"] == []
    request = created["return"]
    assert request["code"].startswith("TH-") and request["state"] == "REQUESTED"
    assert (request["customer"]["code"], request["warehouseCode"], request["createdBy"]) == (
        "C1", "WH1", None)
    assert [(line["productCode"], D(line["quantity"]), D(line["unitPrice"]), D(line["total"]),
             line["salesOrderLineId"] is not None) for line in request["lines"]] == [
        ("PLAIN", 2, 100, D("226.00"), True), ("SER", 1, 3000, D("3390.00"), True)]
    assert D(request["value"]) == D("3616.00")
    assert request["lines"][1]["serials"] == [{"number": "SN001", "disposition": None,
                                               "serialNumber": {"number": "SN001", "location": {
                                                   "code": "PARTNER/CUSTOMER"}}}]

    before = _moves(world)
    receive = {"input": {"id": request["id"], "idempotencyKey": "pda-1"}}
    first = api.ok(RECEIVE, receive)
    assert api.ok(RECEIVE, receive) == first  # a retry gets the first answer
    assert _errors(first) == [] and _payload(first)["return"]["state"] == "RECEIVED"
    assert _moves(world) == before + 2
    other = api.ok(RECEIVE, {"input": {"id": request["id"], "idempotencyKey": "pda-2"}})
    assert _errors(other) == [(("id",), "INVALID_STATE")]
    cancel = api.ok(CANCEL, {"input": {"id": request["id"]}})
    assert _errors(cancel) == [(("id",), "INVALID_STATE")]

    plain_line, motor_line = (line["id"] for line in request["lines"])
    inspect = {"input": {"id": request["id"], "idempotencyKey": "qc-1", "lines": [
        {"lineId": plain_line, "restock": "1", "scrap": "1", "restockLocationCode": "WH1/A-01"},
        {"lineId": motor_line, "toSupplierSerials": ["SN001"]}]}}
    inspected = api.ok(INSPECT, inspect)
    assert api.ok(INSPECT, inspect) == inspected
    assert _errors(inspected) == []
    lines = _payload(inspected)["return"]["lines"]
    assert [(D(line["restockedQuantity"]), D(line["scrappedQuantity"]),
             D(line["toSupplierQuantity"]), line["restockLocationCode"]) for line in lines] == [
        (1, 1, 0, "WH1/A-01"), (0, 0, 1, None)]
    assert lines[1]["serials"][0]["disposition"] == "SUPPLIER"
    assert lines[1]["serials"][0]["serialNumber"]["location"]["code"] == "PARTNER/SUPPLIER"

    close = {"input": {"id": request["id"], "settlement": "CREDIT_NOTE",
                       "idempotencyKey": "close-1"}}
    closed = api.ok(CLOSE, close)
    assert api.ok(CLOSE, close) == closed
    done = _payload(closed)["return"]
    assert (done["state"], done["closedWith"], D(done["amount"])) == (
        "CLOSED", "CREDIT_NOTE", D("226.00"))  # only the invoiced goods are credited
    assert done["creditNoteNumber"].startswith("HZFP-") and done["refundNumber"] is None
    reused = api.ok(CLOSE, {"input": {"id": request["id"], "settlement": "REFUND",
                                      "idempotencyKey": "close-1"}})
    assert _errors(reused) == [(("idempotencyKey",), "IDEMPOTENCY_KEY_REUSED")]

    found = api.ok(BY_CODE, {"code": request["code"]})["return"]
    assert found["state"] == "CLOSED"
    assert [e["originType"] for e in found["lines"][1]["serials"][0]["serialNumber"][
        "history"]] == ["purchase.receipt", "sales.delivery", "sales.return",
                        "sales.return.inspection"]
    assert [D(line["unitCost"]) for line in found["lines"]] == [D(60), D(2000)]
    assert api.ok(BY_CODE, {"code": "TH-000000-0000"})["return"] is None


def test_refusals_name_the_fields_of_the_input(world: ReturnWorld, api: GraphQLTester) -> None:
    _order, (plain,) = world.deliver("C1", [Sold("PLAIN", 4, "100")])
    world.deliver("C2", [Sold("SER", 1, "3000", serials=["SN003"])])

    def create(**changes: Any) -> list[tuple[tuple[str, ...] | None, str]]:
        line = {"productCode": "PLAIN", "quantity": "1", "salesOrderLineId": _line_id(plain),
                **changes.pop("line", {})}
        return _errors(api.ok(CREATE, {"input": {"customerCode": "C1", "lines": [line],
                                                 **changes}}))

    assert create(customerCode="NOPE") == [(("customerCode",), "NOT_FOUND")]
    assert create(customerCode="S1") == [(("customerCode",), "INVALID")]
    assert create(warehouseCode="WH9") == [(("warehouseCode",), "NOT_FOUND")]
    assert create(line={"productCode": "NOPE"}) == [(("lines", "0", "productCode"), "NOT_FOUND")]
    assert create(line={"salesOrderLineId": to_global_id("Product", plain)}) == [
        (("lines", "0", "salesOrderLineId"), "NOT_FOUND")]
    assert create(salesOrderId="not-an-id") == [(("salesOrderId",), "NOT_FOUND")]
    assert create(line={"quantity": "5"}) == [(("lines", "0", "quantity"), "OVER_RETURN")]
    assert create(line={"productCode": "SER", "serials": ["SN003"],
                        "salesOrderLineId": None}) == [
        (("lines", "0", "serials"), "SERIAL_NOT_DELIVERED")]
    refused = api.ok(CREATE, {"input": {"customerCode": "C1", "lines": [
        {"productCode": "PLAIN", "quantity": "5", "salesOrderLineId": _line_id(plain)}]}})
    assert "only 4 of sales order line" in _payload(refused)["errors"][0]["message"]
    created = _payload(api.ok(CREATE, {"input": {"customerCode": "C1", "lines": [
        {"productCode": "PLAIN", "quantity": "1", "salesOrderLineId": _line_id(plain)}]}}))
    request = created["return"]
    api.ok(RECEIVE, {"input": {"id": request["id"]}})
    assert _errors(api.ok(INSPECT, {"input": {"id": request["id"], "lines": [
        {"lineId": request["lines"][0]["id"], "restock": "1",
         "restockLocationCode": "WH9/NOPE"}]}})) == [
        (("lines", "0", "restockLocationCode"), "NOT_FOUND")]
    assert _errors(api.ok(INSPECT, {"input": {"id": request["id"], "lines": [
        {"lineId": request["lines"][0]["id"], "restock": "1"}],
        "restockLocationCode": "WH2/STOCK"}})) == [
        (("restockLocationCode",), "INVALID_LOCATION")]
    assert _errors(api.ok(CLOSE, {"input": {"id": request["id"], "settlement": "REFUND"}})
                   ) == [(("id",), "INVALID_STATE")]
    assert _errors(api.ok(RECEIVE, {"input": {"id": to_global_id("Return", 999)}})) == [
        (("id",), "NOT_FOUND")]


def test_permissions_and_hidden_costs(world: ReturnWorld, api: GraphQLTester) -> None:
    _order, (plain,) = world.deliver("C1", [Sold("PLAIN", 4, "100")])
    clerk = GraphQLTester(world.env, locale="en", permissions=[
        "sales.return.read", "sales.return.create", "partner.partner.read",
        "catalog.product.read"])
    created = _payload(clerk.ok(CREATE, {"input": {"customerCode": "C1", "lines": [
        {"productCode": "PLAIN", "quantity": "1", "salesOrderLineId": _line_id(plain)}]}}))
    assert created["errors"] == []
    clerk.refused(RECEIVE, {"input": {"id": created["return"]["id"]}}, code="FORBIDDEN")
    api.ok(RECEIVE, {"input": {"id": created["return"]["id"]}})
    result = clerk.execute(BY_CODE, {"code": created["return"]["code"]})
    assert result["data"]["return"]["lines"][0]["unitCost"] is None
    assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"]
    GraphQLTester(world.env, permissions=[]).refused(LIST, code="FORBIDDEN")


def test_a_clerk_of_another_warehouse_sees_and_touches_nothing(
        world: ReturnWorld, api: GraphQLTester) -> None:
    _order, (plain,) = world.deliver("C2", [Sold("PLAIN", 3, "100")])
    wh2 = GraphQLTester(world.env, locale="en",
                        scopes={"warehouse": [str(world.warehouses["WH2"])]})
    line = {"productCode": "PLAIN", "quantity": "1", "salesOrderLineId": _line_id(plain)}
    # The order shipped from WH1: the goods would come back there.
    wh2.refused(CREATE, {"input": {"customerCode": "C2", "lines": [line]}}, code="FORBIDDEN")
    wh2.refused(CREATE, {"input": {"customerCode": "C2", "warehouseCode": "WH1",
                                   "lines": [line]}}, code="FORBIDDEN")
    created = _payload(api.ok(CREATE, {"input": {"customerCode": "C2", "lines": [line]}}))
    request = created["return"]
    code = {"filter": {"customerCode": "C2"}}
    assert api.ok(LIST, code)["returns"]["totalCount"] == 1
    assert wh2.ok(LIST, code)["returns"]["totalCount"] == 0
    assert wh2.ok(BY_CODE, {"code": request["code"]})["return"] is None
    node = "query($id: ID!) { node(id: $id) { id } }"
    for global_id in (request["id"], request["lines"][0]["id"]):
        assert api.ok(node, {"id": global_id})["node"] == {"id": global_id}
        assert wh2.ok(node, {"id": global_id})["node"] is None
    before = _moves(world)
    for mutation, extra in ((RECEIVE, {}), (CANCEL, {}),
                            (INSPECT, {"lines": []}), (CLOSE, {"settlement": "REFUND"})):
        wh2.refused(mutation, {"input": {"id": request["id"], **extra}}, code="FORBIDDEN")
    assert _moves(world) == before
    assert world.request(int(from_global_id(request["id"])[1])).state == "requested"


def test_the_list_costs_the_same_statements_for_more_returns(
        world: ReturnWorld, api: GraphQLTester) -> None:
    serials = ["M1", "M2", "M3"]
    world.post(world.line("SER2", 3, "supplier", "WH1/STOCK", unit_cost=D(3500),
                          serials=serials))
    _order, (plain, _motor) = world.deliver("CS", [
        Sold("PLAIN", 3, "100"), Sold("SER2", 3, "5000", serials=serials)])
    mine = {"filter": {"customerCode": "CS"}}

    def create(serial: str) -> str:
        created = _payload(api.ok(CREATE, {"input": {"customerCode": "CS", "lines": [
            {"productCode": "PLAIN", "quantity": "1", "salesOrderLineId": _line_id(plain)},
            {"productCode": "SER2", "quantity": "1", "serials": [serial]}]}}))
        return str(created["return"]["id"])

    first = create("M1")
    api.ok(RECEIVE, {"input": {"id": first}})
    with SelectCounter(world.env) as one:
        assert api.ok(LIST, mine)["returns"]["totalCount"] == 1
    for serial in serials[1:]:
        api.ok(RECEIVE, {"input": {"id": create(serial)}})
    with SelectCounter(world.env) as many:
        listed = api.ok(LIST, mine)["returns"]
    assert listed["totalCount"] == 3 and many.count == one.count
    assert all(len(edge["node"]["lines"]) == 2 for edge in listed["edges"])
    assert api.ok(LIST, {"filter": {"customerCode": "CS", "state": "REQUESTED"}})[
        "returns"]["totalCount"] == 0
    code = listed["edges"][0]["node"]["code"]
    assert api.ok(LIST, {"filter": {"warehouseCode": "WH1", "search": code}})[
        "returns"]["totalCount"] == 1
    assert api.ok(LIST, {"filter": {"warehouseCode": "WH2", "search": code}})[
        "returns"]["totalCount"] == 0
