"""Sales through GraphQL: a quotation to an invoice, errors at the input's own fields,
idempotent deliveries and invoices, credit approvals and who may give them, margins behind
their permission, warehouse scope, and a list of orders whose statements do not grow with
its rows."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import event, func, select
from test_sales_support import SalesWorld, sales

from openjxc.addons.base_jxc.invoicing.models import Invoice
from openjxc.addons.base_jxc.sales.models import Quotation, SalesOrder
from openjxc.addons.base_jxc.stock.models import StockMove
from openjxc.core.security import Principal
from openjxc.testing.graphql import GraphQLTester

__all__ = ["sales"]

ORDER = """id number state amountTotal approvedTotal quotationNumber customer { code }
  warehouse { code } lines { id quantity reservedQuantity deliveredQuantity invoicedQuantity
  backorderQuantity revenue product { code } reservations { locationCode quantity } }"""
CREATE = ("mutation($input: SalesOrderCreateInput!) { salesOrderCreate(input: $input) {"
          f" salesOrder {{ {ORDER} }} errors {{ field code message }} }} }}")
CONFIRM = """mutation($id: ID!) { salesOrderConfirm(input: {id: $id}) {
  creditLimitExceeded salesOrder { state } errors { field code } } }"""
DELIVER = """mutation($input: SalesOrderDeliverInput!) { salesOrderDeliver(input: $input) {
  salesDelivery { id number lines { quantity serials locationCode batchNumber cost
                                    product { code } } }
  salesOrder { state margin marginRate deliveredCost revenue
               lines { deliveredQuantity margin } }
  errors { field code message } } }"""
INVOICE = """mutation($input: SalesOrderInvoiceInput!) { salesOrderInvoice(input: $input) {
  invoice { number amountTotal } salesOrder { lines { invoicedQuantity } }
  errors { field code } } }"""
APPROVE = """mutation($id: ID!, $reason: String!) {
  salesOrderApprove(input: {id: $id, reason: $reason}) {
  salesOrder { state approvedTotal confirmedBy
               creditApprovals { orderTotal exposure creditLimit reason } }
  errors { field code } } }"""
LIST = """query($f: SalesOrderFilter) { salesOrders(filter: $f, first: 50) { totalCount
  edges { node { number state customer { code name } warehouse { code }
                 deliveries { number lines { quantity serials product { code } } }
                 lines { quantity product { code name } reservations { locationCode } } } } } }"""


def with_permissions(api: GraphQLTester, permissions: list[str]) -> GraphQLTester:
    """The same schema (built once: seconds) as another user."""
    clone = api.anonymous()
    clone.principal = Principal(user_id=2, username="clerk", permissions=frozenset(permissions),
                                locale=api.locale)
    return clone


def line(code: str, quantity: str, **extra: Any) -> dict[str, Any]:
    return {"productCode": code, "quantity": quantity, **extra}


def test_from_quotation_to_invoice(sales: SalesWorld) -> None:
    api = GraphQLTester(sales.env)
    made = api.ok("""mutation($input: QuotationCreateInput!) { quotationCreate(input: $input) {
        quotation { id number state validUntil amountTotal lines { total product { code } } }
        errors { field code } } }""", {"input": {
        "customerCode": "C1", "warehouseCode": "WH1",
        "lines": [line("SER", "2", unitPrice="2800"), line("PLAIN", "5")]}})["quotationCreate"]
    assert made["errors"] == [] and made["quotation"]["state"] == "DRAFT"
    assert made["quotation"]["amountTotal"] == "6893.00"  # (5600 + 500) × 1.13
    quotation_id = made["quotation"]["id"]
    sent = api.ok("""mutation($id: ID!) { quotationSend(input: {id: $id}) {
        quotation { state } errors { code } } }""", {"id": quotation_id})["quotationSend"]
    assert sent == {"quotation": {"state": "SENT"}, "errors": []}
    converted = api.ok("""mutation($id: ID!) { quotationConvert(input: {id: $id,
        customerReference: "HT-88"}) { quotation { state salesOrder { number } }
        salesOrder { id number state quotationNumber } errors { code } } }""",
                       {"id": quotation_id})["quotationConvert"]
    order = converted["salesOrder"]
    assert converted["quotation"] == {"state": "ACCEPTED",
                                      "salesOrder": {"number": order["number"]}}
    assert order["quotationNumber"] == made["quotation"]["number"]
    assert api.ok(CONFIRM, {"id": order["id"]})["salesOrderConfirm"] == {
        "creditLimitExceeded": False, "salesOrder": {"state": "CONFIRMED"}, "errors": []}
    detail = api.ok(f"query($n: String!) {{ salesOrder(number: $n) {{ {ORDER} "
                    "pickSuggestions { orderLineId quantity locationCode batchNumber serials "
                    "product { code } } } }", {"n": order["number"]})["salesOrder"]
    ser_line, plain_line = detail["lines"]
    assert detail["pickSuggestions"] == [
        {"orderLineId": ser_line["id"], "quantity": "2.0000", "locationCode": "WH1/STOCK",
         "batchNumber": None, "serials": ["SN-1", "SN-2"], "product": {"code": "SER"}},
        {"orderLineId": plain_line["id"], "quantity": "5.0000", "locationCode": "WH1/STOCK",
         "batchNumber": None, "serials": [], "product": {"code": "PLAIN"}}]
    # Delivered by serial, retried with the same key: one delivery, nothing moved twice.
    deliver = {"id": order["id"], "idempotencyKey": "pda-7-0001", "lines": [
        {"orderLineId": ser_line["id"], "serials": ["SN-2", "SN-3"]},
        {"orderLineId": plain_line["id"], "quantity": "2", "locationCode": "WH1/STOCK"}]}
    first = api.ok(DELIVER, {"input": deliver})["salesOrderDeliver"]
    assert first["errors"] == []
    again = api.ok(DELIVER, {"input": deliver})["salesOrderDeliver"]
    assert again["salesDelivery"]["number"] == first["salesDelivery"]["number"]
    assert sales.world.balance("WH1/STOCK", "PLAIN") == 98
    reused = api.ok(DELIVER, {"input": {**deliver, "note": "改"}})["salesOrderDeliver"]
    assert reused["errors"] == [{"field": ["idempotencyKey"], "code": "IDEMPOTENCY_KEY_REUSED",
                                 "message": reused["errors"][0]["message"]}]
    assert [(x["product"]["code"], x["serials"], x["cost"])
            for x in first["salesDelivery"]["lines"]] == [
        ("SER", ["SN-2", "SN-3"], "4000.00"), ("PLAIN", [], "120.00")]
    assert first["salesOrder"] == {
        "state": "PARTLY_DELIVERED", "margin": "1680.00", "marginRate": "0.2897",
        "deliveredCost": "4120.00", "revenue": "5800.00",
        "lines": [{"deliveredQuantity": "2.0000", "margin": "1600.00"},
                  {"deliveredQuantity": "2.0000", "margin": "80.00"}]}
    billed = {"id": order["id"], "idempotencyKey": "inv-1"}
    invoice = api.ok(INVOICE, {"input": billed})["salesOrderInvoice"]
    assert invoice["invoice"]["amountTotal"] == "6554.00"
    assert api.ok(INVOICE, {"input": billed})["salesOrderInvoice"]["invoice"] == invoice["invoice"]
    assert invoice["salesOrder"]["lines"] == [{"invoicedQuantity": "2.0000"},
                                             {"invoicedQuantity": "2.0000"}]
    over = api.ok(INVOICE, {"input": {"id": order["id"], "lines": [
        {"orderLineId": plain_line["id"], "quantity": "1"}]}})["salesOrderInvoice"]
    assert over["errors"] == [{"field": ["lines", "0", "quantity"], "code": "OVER_INVOICED"}]
    deliveries = api.ok("""query($n: String) { salesDeliveries(filter: {orderNumber: $n}) {
        totalCount edges { node { number salesOrder { number } } } } }""",
                        {"n": order["number"]})["salesDeliveries"]
    assert deliveries["totalCount"] == 1
    # Input errors are said at the input's own fields.
    bad = api.ok(CREATE, {"input": {"customerCode": "S1", "warehouseCode": "WH9",
                                    "lines": [line("NOPE", "1")]}})["salesOrderCreate"]
    assert [(e["field"], e["code"]) for e in bad["errors"]] == [
        (["warehouseCode"], "NOT_FOUND"), (["lines", "0", "productCode"], "NOT_FOUND")]
    bad = api.ok(CREATE, {"input": {"customerCode": "S1", "warehouseCode": "WH1",
                                    "lines": [line("PLAIN", "-1")]}})["salesOrderCreate"]
    assert [(e["field"], e["code"]) for e in bad["errors"]] == [
        (["customerCode"], "INVALID"), (["lines", "0", "quantity"], "INVALID_QUANTITY")]


def test_credit_approval_permissions_and_margins(sales: SalesWorld) -> None:
    sales.set_credit("C1", "1000")
    manager = GraphQLTester(sales.env, locale="en")
    clerk = with_permissions(manager, [
        "sales.order.read", "sales.order.create", "sales.order.confirm",
        "sales.order.deliver", "partner.partner.read", "catalog.product.read",
        "stock.warehouse.read"])
    order = clerk.ok(CREATE, {"input": {"customerCode": "C1", "warehouseCode": "WH1",
                                        "lines": [line("PLAIN", "10")]}})["salesOrderCreate"]
    order_id = order["salesOrder"]["id"]
    held = clerk.ok(CONFIRM, {"id": order_id})["salesOrderConfirm"]
    assert held == {"creditLimitExceeded": True, "salesOrder": {"state": "AWAITING_APPROVAL"},
                    "errors": []}
    refused = clerk.ok(DELIVER, {"input": {"id": order_id}})["salesOrderDeliver"]
    assert [e["code"] for e in refused["errors"]] == ["APPROVAL_REQUIRED"]
    clerk.refused(APPROVE, {"id": order_id, "reason": "x"}, code="FORBIDDEN")
    approved = manager.ok(APPROVE, {"id": order_id, "reason": "预付款已到"})["salesOrderApprove"]
    assert approved == {"errors": [], "salesOrder": {
        "state": "CONFIRMED", "approvedTotal": "1130.00", "confirmedBy": None,
        "creditApprovals": [{"orderTotal": "1130.00", "exposure": "1130.00",
                             "creditLimit": "1000.00", "reason": "预付款已到"}]}}
    assert manager.ok("""{ customerCredit(customerCode: "C1") { creditLimit openOrders
        exposure available customer { code } } }""")["customerCredit"] == {
        "creditLimit": "1000.00", "openOrders": "1130.00", "exposure": "1130.00",
        "available": "-130.00", "customer": {"code": "C1"}}
    delivered = clerk.execute(DELIVER, {"input": {"id": order_id}})
    assert delivered["data"]["salesOrderDeliver"]["errors"] == []
    # Margins and costs: null with FORBIDDEN at their path for the clerk.
    hidden = delivered["data"]["salesOrderDeliver"]["salesOrder"]
    assert hidden["margin"] is None and hidden["revenue"] == "1000.00"
    paths = {tuple(e["path"][-1:]) for e in delivered["errors"]}
    assert {("margin",), ("marginRate",), ("deliveredCost",), ("cost",)} <= paths
    assert all(e["extensions"]["code"] == "FORBIDDEN" for e in delivered["errors"])
    shown = manager.ok("query($n: String!) { salesOrder(number: $n) { margin marginRate } }",
                       {"n": order["salesOrder"]["number"]})["salesOrder"]
    assert shown == {"margin": "400.00", "marginRate": "0.4000"}
    clerk.refused("""{ customerCredit(customerCode: "C1") { exposure } }""", code="FORBIDDEN")
    clerk.refused(INVOICE, {"input": {"id": order_id}}, code="FORBIDDEN")


def _by_id(name: str, input_type: str, body: str = "id") -> str:
    return (f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {body} "
            "errors { field code } } }")


#: Every mutation on an existing order: (mutation, its input beyond ``id``).
ORDER_MUTATIONS: list[tuple[str, dict[str, Any]]] = [
    (_by_id("salesOrderConfirm", "SalesOrderConfirmInput", "salesOrder { state }"), {}),
    (_by_id("salesOrderReopen", "SalesOrderConfirmInput", "salesOrder { state }"), {}),
    (_by_id("salesOrderReserve", "SalesOrderConfirmInput", "salesOrder { state }"), {}),
    (_by_id("salesOrderApprove", "SalesOrderApproveInput", "salesOrder { state }"),
     {"reason": "x"}),
    (_by_id("salesOrderDeliver", "SalesOrderDeliverInput", "salesDelivery { id }"), {}),
    (_by_id("salesOrderDeliver", "SalesOrderDeliverInput", "salesDelivery { id }"),
     {"idempotencyKey": "scope-1"}),
    (_by_id("salesOrderInvoice", "SalesOrderInvoiceInput", "invoice { number }"), {}),
    (_by_id("salesOrderCancel", "SalesOrderCancelInput", "salesOrder { state }"),
     {"reason": "x"}),
    (_by_id("salesOrderClose", "SalesOrderInput", "salesOrder { state }"), {}),
    (_by_id("salesOrderUpdate", "SalesOrderUpdateInput", "salesOrder { state }"),
     {"note": "改", "lines": [line("PLAIN", "1")]}),
    (_by_id("salesOrderCopy", "SalesOrderInput", "salesOrder { id }"), {}),
]
QUOTATION_MUTATIONS: list[tuple[str, dict[str, Any]]] = [
    (_by_id("quotationSend", "QuotationInput", "quotation { state }"), {}),
    (_by_id("quotationReject", "QuotationInput", "quotation { state }"), {}),
    (_by_id("quotationConvert", "QuotationConvertInput", "salesOrder { id }"), {}),
    (_by_id("quotationConvert", "QuotationConvertInput", "salesOrder { id }"),
     {"warehouseCode": "WH2"}),
]
QUOTE = _by_id("quotationCreate", "QuotationCreateInput", "quotation { id number }")
SNAPSHOT = """{ salesOrders(first: 50) { totalCount edges { node { number state note
  amountTotal lines { quantity reservedQuantity deliveredQuantity invoicedQuantity }
  deliveries { number } } } }
  quotations(first: 50) { totalCount edges { node { number state } } }
  salesDeliveries { totalCount } }"""


def test_a_clerk_of_one_warehouse_sees_and_touches_nothing_of_another(
        sales: SalesWorld) -> None:
    api = GraphQLTester(sales.env)

    def made(query: str, name: str, **input: Any) -> dict[str, Any]:
        payload = api.ok(query, {"input": input})[name]
        assert payload["errors"] == [], payload["errors"]
        return payload  # type: ignore[no-any-return]

    def order(warehouse: str, *lines: dict[str, Any]) -> dict[str, Any]:
        return made(CREATE, "salesOrderCreate", customerCode="C1", warehouseCode=warehouse,
                    lines=list(lines))["salesOrder"]  # type: ignore[no-any-return]

    draft = order("WH1", line("PLAIN", "3"))
    partly = order("WH1", line("PLAIN", "4"), line("PLAIN2", "1"))
    api.ok(CONFIRM, {"id": partly["id"]})
    delivered = made(DELIVER, "salesOrderDeliver", id=partly["id"], lines=[
        {"orderLineId": partly["lines"][0]["id"], "quantity": "2"}])["salesDelivery"]
    theirs = order("WH2", line("PLAIN", "1"))
    quoted = made(QUOTE, "quotationCreate", customerCode="C1", warehouseCode="WH1",
                  lines=[line("PLAIN", "1")])["quotation"]
    anywhere = made(QUOTE, "quotationCreate", customerCode="C2",
                    lines=[line("PLAIN", "1")])["quotation"]
    everything = api.ok(SNAPSHOT)

    def counts() -> tuple[int, ...]:
        with sales.uow() as session:
            return tuple(session.scalar(select(func.count()).select_from(model)) or 0
                         for model in (SalesOrder, Quotation, StockMove, Invoice))

    before = counts()
    assert api.principal is not None
    clerk = GraphQLTester.__new__(GraphQLTester)
    clerk.__dict__.update(api.__dict__)
    clerk.principal = dataclasses.replace(
        api.principal, user_id=9, scopes={"warehouse": frozenset({str(
            sales.world.warehouses["WH2"])})})
    # Lists and look-ups by number: only WH2's orders, and quotations of no warehouse.
    seen = clerk.ok(SNAPSHOT)
    assert [e["node"]["number"] for e in seen["salesOrders"]["edges"]] == [theirs["number"]]
    assert [e["node"]["number"] for e in seen["quotations"]["edges"]] == [anywhere["number"]]
    assert seen["salesDeliveries"]["totalCount"] == 0
    by_number = """query($o: String!, $q: String!, $a: String!) { salesOrder(number: $o) {
        id } quotation(number: $q) { id } anywhere: quotation(number: $a) { id } }"""
    numbers = {"o": draft["number"], "q": quoted["number"], "a": anywhere["number"]}
    assert api.ok(by_number, numbers) == {"salesOrder": {"id": draft["id"]},
                                          "quotation": {"id": quoted["id"]},
                                          "anywhere": {"id": anywhere["id"]}}
    assert clerk.ok(by_number, numbers) == {"salesOrder": None, "quotation": None,
                                            "anywhere": {"id": anywhere["id"]}}
    # Nor by ID: node() of a WH1 order, line, delivery or quotation is null for them.
    node = "query($id: ID!) { node(id: $id) { id } }"
    hidden = [draft["id"], partly["id"], partly["lines"][0]["id"], delivered["id"],
              quoted["id"]]
    for global_id in hidden:
        assert api.ok(node, {"id": global_id})["node"] == {"id": global_id}
        assert clerk.ok(node, {"id": global_id})["node"] is None
    for global_id in (theirs["id"], theirs["lines"][0]["id"], anywhere["id"]):
        assert clerk.ok(node, {"id": global_id})["node"] == {"id": global_id}
    # Every mutation on a WH1 order or quotation, and making one there: FORBIDDEN.
    for mutation, extra in ORDER_MUTATIONS:
        for target in (draft, partly):
            clerk.refused(mutation, {"input": {"id": target["id"], **extra}},
                          code="FORBIDDEN")
    for mutation, extra in QUOTATION_MUTATIONS:
        clerk.refused(mutation, {"input": {"id": quoted["id"], **extra}}, code="FORBIDDEN")
    clerk.refused(CREATE, {"input": {"customerCode": "C1", "warehouseCode": "WH1",
                                     "lines": [line("PLAIN", "1")]}}, code="FORBIDDEN")
    clerk.refused(QUOTE, {"input": {"customerCode": "C1", "warehouseCode": "WH1",
                                    "lines": [line("PLAIN", "1")]}}, code="FORBIDDEN")
    # A quotation of no warehouse may not become a WH1 order through them either.
    clerk.refused(CREATE, {"input": {"quotationId": anywhere["id"], "warehouseCode": "WH1"}},
                  code="FORBIDDEN")
    clerk.refused(QUOTATION_MUTATIONS[2][0], {"input": {"id": anywhere["id"],
                                                        "warehouseCode": "WH1"}},
                  code="FORBIDDEN")
    assert api.ok(SNAPSHOT) == everything and counts() == before
    # Their own warehouse stays theirs to work in.
    confirmed = clerk.ok(CONFIRM, {"id": theirs["id"]})["salesOrderConfirm"]
    assert confirmed["errors"] == []
    converted = clerk.ok(QUOTATION_MUTATIONS[3][0], {"input": {
        "id": anywhere["id"], "warehouseCode": "WH2"}})["quotationConvert"]
    assert converted["errors"] == [] and converted["salesOrder"]["id"]
    mine = clerk.ok(CREATE, {"input": {"customerCode": "C2", "warehouseCode": "WH2",
                                       "lines": [line("PLAIN", "1")]}})["salesOrderCreate"]
    assert mine["errors"] == []


def test_the_order_list_filters_and_its_statements_do_not_grow(sales: SalesWorld) -> None:
    api = GraphQLTester(sales.env)
    engine = sales.env.database.engine
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

    def order(customer: str, *lines: dict[str, Any]) -> str:
        made = api.ok(CREATE, {"input": {"customerCode": customer, "warehouseCode": "WH1",
                                         "lines": list(lines)}})["salesOrderCreate"]
        assert made["errors"] == []
        return made["salesOrder"]["id"]  # type: ignore[no-any-return]

    first = order("C1", line("PLAIN", "1"), line("SER", "1"))
    api.ok(CONFIRM, {"id": first})
    api.ok(DELIVER, {"input": {"id": first}})
    one = count()
    for customer in ("C2", "CS", "C1"):
        made = order(customer, line("PLAIN", "1"), line("PLAIN2", "1"), line("BAT", "2"))
        api.ok(CONFIRM, {"id": made})
        api.ok(DELIVER, {"input": {"id": made}})
    assert count() == one
    found = api.ok(LIST, {"f": {"customerCode": "C1", "states": ["DELIVERED"]}})
    assert found["salesOrders"]["totalCount"] == 2
    assert api.ok(LIST, {"f": {"state": "DRAFT"}})["salesOrders"]["totalCount"] == 0
    # Expired quotations show as such, and can be listed.
    api.ok("""mutation { quotationCreate(input: {customerCode: "C2", quoteDate: "2020-01-01",
        validUntil: "2020-01-31", lines: [{productCode: "PLAIN", quantity: "1"}]}) {
        errors { code } } }""")
    listed = api.ok("""{ quotations(filter: {state: EXPIRED}) { totalCount
        edges { node { state customer { code } } } } }""")["quotations"]
    assert listed == {"totalCount": 1,
                      "edges": [{"node": {"state": "EXPIRED", "customer": {"code": "C2"}}}]}
