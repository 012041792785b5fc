"""Purchase through GraphQL: a requisition bought, approved by two users, received with
inspection, partly returned and billed — each posting retried safely with its
idempotency key; errors in the payload; permissions and warehouse scope; the order list's
statement count does not grow with its rows."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import func, select
from test_purchase_support import (
    approved_order,
    arrival,
    line,
    order_lines,
    purchase_templates,
    receive,
    world,
)
from test_stock_api_support import SelectCounter
from trading_support import TradingWorld

from openjxc.addons.base_jxc.stock.models import StockMove
from openjxc.testing.graphql import GraphQLTester

__all__ = ["purchase_templates", "world"]

ORDER = """id number state approvalsRequired approvalHours amountTotal createdBy
  supplier { code } warehouse { code } approvals { approvedAt note }
  lines { id position quantity unitPrice amount receivedQuantity rejectedQuantity
          returnedQuantity invoicedQuantity openQuantity billableQuantity product { code } }"""


def _mutation(name: str, input_type: str, body: str) -> str:
    return (f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {body} "
            f"errors {{ field code message }} }} }}")


REQUISITION = _mutation("purchaseRequisitionCreate", "PurchaseRequisitionCreateInput",
                        "purchaseRequisition { id number state lines { id product { code } } }")
REQUISITION_APPROVE = _mutation("purchaseRequisitionApprove", "PurchaseRequisitionApproveInput",
                                "purchaseRequisition { state decidedAt }")
CREATE = _mutation("purchaseOrderCreate", "PurchaseOrderCreateInput",
                   f"purchaseOrder {{ {ORDER} }}")
APPROVE = _mutation("purchaseOrderApprove", "PurchaseOrderApproveInput",
                    f"purchaseOrder {{ {ORDER} }}")
RECEIVE = _mutation("purchaseOrderReceive", "PurchaseOrderReceiveInput",
                    "purchaseOrder { state } purchaseReceipt { id number lines { quantity "
                    "acceptedQuantity rejectedQuantity rejectedTo serials rejectedSerials "
                    "location { code } orderLine { position } } }")
RETURN = _mutation("purchaseReturnCreate", "PurchaseReturnCreateInput",
                   "purchaseReturn { id number supplier { code } order { number } lines { "
                   "quantity value serials fromLocation { code } } }")
REJECT = _mutation("purchaseRequisitionReject", "PurchaseRequisitionRejectInput",
                   "purchaseRequisition { state note decidedBy }")
CANCEL_REQUISITION = _mutation("purchaseRequisitionCancel", "PurchaseRequisitionCancelInput",
                               "purchaseRequisition { state }")
CANCEL = _mutation("purchaseOrderCancel", "PurchaseOrderCancelInput",
                   "purchaseOrder { state cancelReason cancelledAt }")
CLOSE = _mutation("purchaseOrderClose", "PurchaseOrderCloseInput",
                  "purchaseOrder { state closedAt }")
INVOICE = _mutation("purchaseOrderInvoice", "PurchaseOrderInvoiceInput",
                    "purchaseOrder { lines { invoicedQuantity } } invoice { number direction "
                    "amountTotal lines { quantity } }")


def _as_user(api: GraphQLTester, user_id: int, **changes: Any) -> GraphQLTester:
    other = GraphQLTester.__new__(GraphQLTester)
    other.__dict__.update(api.__dict__)
    assert api.principal is not None
    other.principal = dataclasses.replace(api.principal, user_id=user_id, **changes)
    return other


def _ok(api: GraphQLTester, query: str, name: str, **input: Any) -> dict[str, Any]:
    payload = api.ok(query, {"input": input})[name]
    assert payload["errors"] == [], payload["errors"]
    return payload  # type: ignore[no-any-return]


def _moves(world: TradingWorld) -> int:
    with world.uow(readonly=True) as session:
        return int(session.scalar(select(func.count()).select_from(StockMove)) or 0)


def test_a_requisition_bought_approved_received_returned_and_billed(world: TradingWorld) -> None:
    api = GraphQLTester(world.env, locale="en")
    manager, director = _as_user(api, 2), _as_user(api, 3)
    requisition = _ok(api, REQUISITION, "purchaseRequisitionCreate", warehouseCode="WH1",
                      department="维修部", lines=[{"productCode": "SER2", "quantity": "2"}]
                      )["purchaseRequisition"]
    assert requisition["state"] == "SUBMITTED"
    _ok(manager, REQUISITION_APPROVE, "purchaseRequisitionApprove", id=requisition["id"])
    order = _ok(api, CREATE, "purchaseOrderCreate", supplierCode="S1", warehouseCode="WH1",
                lines=[{"requisitionLineId": requisition["lines"][0]["id"]},
                       {"productCode": "PLAIN", "quantity": "10", "unitPrice": "60"}]
                )["purchaseOrder"]
    assert (order["state"], order["amountTotal"], order["approvalsRequired"]) == (
        "DRAFT", "8588.00", 2)
    assert [(x["product"]["code"], x["quantity"], x["unitPrice"]) for x in order["lines"]] == [
        ("SER2", "2.0000", "3500.000000"), ("PLAIN", "10.0000", "60.000000")]
    ser2, plain = (x["id"] for x in order["lines"])
    first = _ok(manager, APPROVE, "purchaseOrderApprove", id=order["id"], note="ok")
    assert first["purchaseOrder"]["state"] == "DRAFT"
    assert first["purchaseOrder"]["approvalHours"] is None
    again = manager.ok(APPROVE, {"input": {"id": order["id"]}})["purchaseOrderApprove"]
    assert again["purchaseOrder"] is None
    assert [(e["field"], e["code"]) for e in again["errors"]] == [(["id"], "SAME_APPROVER")]
    assert "another user" in again["errors"][0]["message"]
    approved = _ok(director, APPROVE, "purchaseOrderApprove", id=order["id"])["purchaseOrder"]
    assert approved["state"] == "APPROVED" and approved["approvalHours"] == "0.00"
    assert [a["note"] for a in approved["approvals"]] == ["ok", ""]

    receipt_input = {"id": order["id"], "idempotencyKey": "rk-1", "lines": [
        {"orderLineId": ser2, "quantity": "2", "rejectedQuantity": "1",
         "rejectReason": "外壳破损", "serials": ["Q-1"], "rejectedSerials": ["Q-2"]},
        {"orderLineId": plain, "quantity": "10", "locationCode": "WH1/A-01"}]}
    received = _ok(api, RECEIVE, "purchaseOrderReceive", **receipt_input)
    moves = _moves(world)
    assert received["purchaseOrder"]["state"] == "PARTLY_RECEIVED"
    assert received["purchaseReceipt"]["lines"] == [
        {"quantity": "2.0000", "acceptedQuantity": "1.0000", "rejectedQuantity": "1.0000",
         "rejectedTo": "QUARANTINE", "serials": ["Q-1"], "rejectedSerials": ["Q-2"],
         "location": {"code": "WH1/STOCK"}, "orderLine": {"position": 1}},
        {"quantity": "10.0000", "acceptedQuantity": "10.0000", "rejectedQuantity": "0.0000",
         "rejectedTo": None, "serials": [], "rejectedSerials": [],
         "location": {"code": "WH1/A-01"}, "orderLine": {"position": 2}}]
    retried = _ok(api, RECEIVE, "purchaseOrderReceive", **receipt_input)
    assert retried["purchaseReceipt"]["number"] == received["purchaseReceipt"]["number"]
    assert _moves(world) == moves
    reused = api.ok(RECEIVE, {"input": {**receipt_input, "note": "x"}})["purchaseOrderReceive"]
    assert [e["code"] for e in reused["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]

    return_input = {"orderId": order["id"], "reason": "退回次品", "idempotencyKey": "ct-1",
                    "lines": [{"orderLineId": ser2, "quantity": "1", "serials": ["Q-2"],
                               "fromLocationCode": "WH1/QUARANTINE"}]}
    returned = _ok(api, RETURN, "purchaseReturnCreate", **return_input)["purchaseReturn"]
    assert returned["supplier"] == {"code": "S1"}
    assert returned["order"] == {"number": order["number"]}
    assert returned["lines"] == [{"quantity": "1.0000", "value": "3500.00", "serials": ["Q-2"],
                                  "fromLocation": {"code": "WH1/QUARANTINE"}}]
    assert _ok(api, RETURN, "purchaseReturnCreate", **return_input)["purchaseReturn"][
        "number"] == returned["number"]
    assert world.serial_location("SER2", "Q-2") == world.locations["supplier"]

    billed = _ok(api, INVOICE, "purchaseOrderInvoice", id=order["id"], externalNumber="8866",
                 idempotencyKey="fp-1")
    assert billed["invoice"]["direction"] == "PAYABLE"
    # 1 × 3500 + 10 × 60 = 4100.00 + 13 % = 4633.00
    assert billed["invoice"]["amountTotal"] == "4633.00"
    assert [x["invoicedQuantity"] for x in billed["purchaseOrder"]["lines"]] == [
        "1.0000", "10.0000"]
    assert _ok(api, INVOICE, "purchaseOrderInvoice", id=order["id"], externalNumber="8866",
               idempotencyKey="fp-1")["invoice"]["number"] == billed["invoice"]["number"]
    nothing = api.ok(INVOICE, {"input": {"id": order["id"]}})["purchaseOrderInvoice"]
    assert [e["code"] for e in nothing["errors"]] == ["NOTHING_TO_INVOICE"]

    lists = api.ok("""query($n: String!) {
      purchaseOrders(filter: {state: PARTLY_RECEIVED, supplierCode: "S1", productCode: "SER2"})
        { totalCount edges { node { number receipts { number } returns { number } } } }
      none: purchaseOrders(filter: {states: [DRAFT, CLOSED]}) { totalCount }
      purchaseOrder(number: $n) { lines { openQuantity billableQuantity returnedQuantity } }
      purchaseReceipts(filter: {orderNumber: $n}) { totalCount }
      purchaseReturns(filter: {supplierCode: "S1"}) { totalCount }
      purchaseRequisitions(filter: {state: ORDERED}) { edges { node { number
        lines { orderLine { id } } } } } }""", {"n": order["number"]})
    node = lists["purchaseOrders"]["edges"][0]["node"]
    assert lists["purchaseOrders"]["totalCount"] == 1 and lists["none"]["totalCount"] == 0
    assert node["receipts"] == [{"number": received["purchaseReceipt"]["number"]}]
    assert node["returns"] == [{"number": returned["number"]}]
    assert lists["purchaseOrder"]["lines"] == [
        {"openQuantity": "1.0000", "billableQuantity": "0.0000", "returnedQuantity": "0.0000"},
        {"openQuantity": "0.0000", "billableQuantity": "0.0000", "returnedQuantity": "0.0000"}]
    assert lists["purchaseReceipts"]["totalCount"] == 1
    assert lists["purchaseReturns"]["totalCount"] == 1
    assert lists["purchaseRequisitions"]["edges"][0]["node"]["lines"] == [
        {"orderLine": {"id": ser2}}]


def test_input_errors_permissions_and_warehouse_scope(world: TradingWorld) -> None:
    api = GraphQLTester(world.env)
    bad = api.ok(CREATE, {"input": {"supplierCode": "S9", "warehouseCode": "WH1", "lines": [
        {"productCode": "NOPE", "quantity": "1"}, {"productCode": "PLAIN", "quantity": "0"}]}}
                 )["purchaseOrderCreate"]
    assert [(e["field"], e["code"]) for e in bad["errors"]] == [
        (["supplierCode"], "NOT_FOUND"), (["lines", "0", "productCode"], "NOT_FOUND")]
    assert "NOPE" in bad["errors"][1]["message"]
    zero = api.ok(CREATE, {"input": {"supplierCode": "S1", "warehouseCode": "WH1", "lines": [
        {"productCode": "PLAIN", "quantity": "0"}]}})["purchaseOrderCreate"]
    assert [(e["field"], e["code"]) for e in zero["errors"]] == [
        (["lines", "0", "quantity"], "INVALID_QUANTITY")]
    assert zero["errors"][0]["message"]
    order = approved_order(world, line(world, "PLAIN", 5, "60"))
    plain = order_lines(world, order)[0].id
    receive(world, order, arrival(plain, 5))
    from openjxc.graphql import to_global_id

    order_id = to_global_id("PurchaseOrder", order)
    wrong = api.ok(RECEIVE, {"input": {"id": to_global_id("PurchaseOrderLine", plain),
                                       "lines": []}})["purchaseOrderReceive"]
    assert [(e["field"], e["code"]) for e in wrong["errors"]] == [(["id"], "NOT_FOUND")]
    requisition = _ok(api, REQUISITION, "purchaseRequisitionCreate", warehouseCode="WH1",
                      lines=[{"productCode": "PLAIN", "quantity": "3"}])["purchaseRequisition"]
    rejected = _ok(api, REJECT, "purchaseRequisitionReject", id=requisition["id"],
                   reason="预算不足")["purchaseRequisition"]
    assert (rejected["state"], rejected["note"]) == ("REJECTED", "预算不足")
    late = api.ok(CANCEL_REQUISITION, {"input": {"id": requisition["id"]}})
    assert [e["code"] for e in late["purchaseRequisitionCancel"]["errors"]] == ["INVALID_STATE"]
    closed = _ok(api, CLOSE, "purchaseOrderClose", id=order_id)["purchaseOrder"]
    assert closed["state"] == "CLOSED" and closed["closedAt"]
    too_late = api.ok(CANCEL, {"input": {"id": order_id}})["purchaseOrderCancel"]
    assert [e["code"] for e in too_late["errors"]] == ["INVALID_STATE"]
    draft = _ok(api, CREATE, "purchaseOrderCreate", supplierCode="S2", warehouseCode="WH1",
                lines=[{"productCode": "PLAIN", "quantity": "1"}])["purchaseOrder"]
    cancelled = _ok(api, CANCEL, "purchaseOrderCancel", id=draft["id"], reason="下错单")
    assert cancelled["purchaseOrder"]["state"] == "CANCELLED"
    # A purchaser may not approve nor see what goods cost.
    purchaser = GraphQLTester(world.env, permissions=[
        "purchase.order.read", "purchase.order.create", "purchase.order.receive",
        "purchase.return.read", "purchase.return.create"])
    purchaser.refused(APPROVE, {"input": {"id": order_id}}, code="FORBIDDEN")
    purchaser.refused(INVOICE, {"input": {"id": order_id}}, code="FORBIDDEN")
    sent = purchaser.execute(RETURN, {"input": {"lines": [
        {"orderLineId": to_global_id("PurchaseOrderLine", plain), "quantity": "1"}]}})
    assert sent["data"]["purchaseReturnCreate"]["errors"] == []
    assert sent["data"]["purchaseReturnCreate"]["purchaseReturn"]["lines"][0]["value"] is None
    hidden = purchaser.execute(
        "{ purchaseReturns { edges { node { lines { quantity value } } } } }")
    assert hidden["data"]["purchaseReturns"]["edges"][0]["node"]["lines"] == [
        {"quantity": "1.0000", "value": None}]
    assert [e["extensions"]["code"] for e in hidden["errors"]] == ["FORBIDDEN"]
    # A clerk of WH2 sees and touches nothing of WH1.
    scoped = _as_user(api, 9, scopes={"warehouse": frozenset({str(world.warehouses["WH2"])})})
    assert scoped.ok("{ purchaseOrders { totalCount } purchaseReceipts { totalCount } }") == {
        "purchaseOrders": {"totalCount": 0}, "purchaseReceipts": {"totalCount": 0}}
    scoped.refused(RECEIVE, {"input": {"id": order_id, "lines": []}}, code="FORBIDDEN")
    scoped.refused(CREATE, {"input": {"supplierCode": "S1", "warehouseCode": "WH1",
                                      "lines": [{"productCode": "PLAIN", "quantity": "1"}]}},
                   code="FORBIDDEN")
    # Nor by its ID: node() of a WH1 document or line is null for them.
    node = "query($id: ID!) { node(id: $id) { id } }"
    for global_id in (order_id, to_global_id("PurchaseOrderLine", plain),
                      requisition["id"], requisition["lines"][0]["id"]):
        assert api.ok(node, {"id": global_id})["node"] == {"id": global_id}
        assert scoped.ok(node, {"id": global_id})["node"] is None
    # A return naming only order lines takes their order's warehouse (WH1): refused too.
    before = _moves(world)
    scoped.refused(RETURN, {"input": {"lines": [
        {"orderLineId": to_global_id("PurchaseOrderLine", plain), "quantity": "1"}]}},
        code="FORBIDDEN")
    assert _moves(world) == before


def test_the_order_list_costs_the_same_statements_for_more_rows(world: TradingWorld) -> None:
    api = GraphQLTester(world.env)
    query = """{ purchaseOrders(first: 50) { totalCount edges { node { number approvalHours
        createdBy supplier { code name } warehouse { code }
        approvals { approvedBy approvedAt }
        lines { quantity product { code name } }
        receipts { number receivedBy lines { serials batch { number } location { code }
                                             product { code } orderLine { position } } }
        returns { number } } } } }"""

    def orders(count: int, start: int) -> None:
        for i in range(count):
            order = approved_order(world, line(world, "PLAIN", 5, "60"),
                                   line(world, "SER", 2, "100"), line(world, "BAT", 3, "10"),
                                   supplier="S1" if i % 2 else "S2")
            plain, ser, bat = (x.id for x in order_lines(world, order))
            receive(world, order, arrival(plain, 2),
                    arrival(ser, 2, serials=[f"L{start + i}-1", f"L{start + i}-2"]),
                    arrival(bat, 3, batch_number=f"B{start + i}"))

    orders(2, 0)
    with SelectCounter(world.env) as few:
        small = api.ok(query)
    orders(4, 100)
    with SelectCounter(world.env) as many:
        large = api.ok(query)
    assert small["purchaseOrders"]["totalCount"] == 2
    assert large["purchaseOrders"]["totalCount"] == 6
    assert many.count == few.count, (few.count, many.count)
