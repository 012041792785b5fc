"""Receivables and payables through GraphQL: invoice, credit, pay, allocate, read the
ageing and the balances — retried safely, refused clearly, in constant statements."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, func, select
from test_invoicing_support import invoicing_templates, world
from trading_support import TradingWorld

from openjxc.addons.base_jxc.invoicing.events import InvoicePosted
from openjxc.addons.base_jxc.invoicing.models import Invoice, Payment
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.graphql import to_global_id
from openjxc.testing.graphql import GraphQLTester

__all__ = ["invoicing_templates", "world"]

INVOICE = """id number state kind direction invoiceDate dueDate amountUntaxed amountTax
  amountTotal amountSettled amountOpen overdueDays externalNumber
  partner { code } creditedInvoice { number }
  lines { position description quantity unitPrice taxRate amount tax total sourceType
          sourceLineId product { code } }
  allocations { amount settledOn payment { number } creditNote { number } invoice { number } }"""
PAYMENT = """id number kind direction method amount amountAllocated amountUnallocated
  paymentDate reference partner { code }
  allocations { amount invoice { number state } }"""
INVOICE_CREATE = ("mutation($input: InvoiceCreateInput!) { invoiceCreate(input: $input) { "
                  f"invoice {{ {INVOICE} }} errors {{ field code message }} }} }}")
PAYMENT_CREATE = ("mutation($input: PaymentCreateInput!) { paymentCreate(input: $input) { "
                  f"payment {{ {PAYMENT} }} errors {{ field code message }} }} }}")
PAYMENT_ALLOCATE = ("mutation($input: PaymentAllocateInput!) { paymentAllocate(input: $input) "
                    "{ payment { amountUnallocated } creditNote { state amountOpen } "
                    "allocations { amount invoice { number state amountOpen } } "
                    "errors { field code message } } }")


@pytest.fixture
def api(world: TradingWorld) -> GraphQLTester:
    return GraphQLTester(world.env, locale="en")


def create_invoice(api: GraphQLTester, **values: Any) -> dict[str, Any]:
    payload = api.ok(INVOICE_CREATE, {"input": {
        "partnerCode": "C1", "direction": "RECEIVABLE", "invoiceDate": "2026-03-01",
        "lines": [{"productCode": "PLAIN", "quantity": "2", "unitPrice": "500"}],
        **values}})["invoiceCreate"]
    assert payload["errors"] == []
    return payload["invoice"]  # type: ignore[no-any-return]


def errors_of(payload: dict[str, Any]) -> set[tuple[tuple[str, ...], str]]:
    return {(tuple(e["field"] or ()), e["code"]) for e in payload["errors"]}


def count(api: GraphQLTester, model: type) -> int:
    with api.env.unit_of_work(readonly=True) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_invoice_pay_credit_and_allocate(api: GraphQLTester, world: TradingWorld) -> None:
    source = to_global_id("Product", world.products["PLAIN2"])
    sale = create_invoice(api, externalNumber="12345678", lines=[
        {"productCode": "PLAIN", "quantity": "2", "unitPrice": "500",
         "sourceLineId": source},
        {"description": "运费", "quantity": "1", "unitPrice": "100", "taxRate": "0.09"}])
    assert sale["number"].startswith("XSFP-") and sale["state"] == "OPEN"
    assert (sale["dueDate"], sale["amountTotal"], sale["amountTax"]) == (
        "2026-03-31", "1239.00", "139.00")
    assert [(x["product"] and x["product"]["code"], x["taxRate"], x["total"],
             x["sourceType"], x["sourceLineId"]) for x in sale["lines"]] == [
        ("PLAIN", "0.130000", "1130.00", "Product", source),
        (None, "0.090000", "109.00", "", None)]
    assert sale["partner"] == {"code": "C1"} and sale["overdueDays"] > 0
    # Refusals: bad source lines, unknown codes, nothing posted.
    before = count(api, Invoice)
    refused = api.ok(INVOICE_CREATE, {"input": {
        "partnerCode": "NOPE", "direction": "RECEIVABLE", "lines": [
            {"productCode": "NOPE", "quantity": "1", "unitPrice": "1",
             "sourceLineId": "nonsense"},
            {"description": "x", "quantity": "1", "unitPrice": "1",
             "sourceLineId": to_global_id("Nothing", 1)}]}})["invoiceCreate"]
    assert refused["invoice"] is None and errors_of(refused) == {
        (("partnerCode",), "NOT_FOUND"), (("lines", "0", "productCode"), "NOT_FOUND"),
        (("lines", "0", "sourceLineId"), "INVALID"), (("lines", "1", "sourceLineId"), "INVALID")}
    assert count(api, Invoice) == before
    # A customer pays part, by bank, retried with the same key.
    request = {"input": {"partnerCode": "C1", "direction": "RECEIVABLE", "amount": "1000.00",
                         "paymentDate": "2026-03-10", "reference": "工行回单 0931",
                         "allocations": [{"invoiceId": sale["id"], "amount": "900"}],
                         "idempotencyKey": "pay-1"}}
    first = api.ok(PAYMENT_CREATE, request)
    assert api.ok(PAYMENT_CREATE, request) == first and count(api, Payment) == 1
    payment = first["paymentCreate"]["payment"]
    assert (payment["number"][:3], payment["amountAllocated"], payment["amountUnallocated"],
            payment["method"]) == ("SK-", "900.00", "100.00", "BANK")
    assert payment["allocations"] == [{"amount": "900.00", "invoice": {
        "number": sale["number"], "state": "PARTLY_SETTLED"}}]
    request["input"]["amount"] = "999.00"
    reused = api.ok(PAYMENT_CREATE, request)["paymentCreate"]
    assert errors_of(reused) == {(("idempotencyKey",), "IDEMPOTENCY_KEY_REUSED")}
    # A credit note for the freight, allocated to the invoice; then the payment's rest.
    note = create_invoice(api, kind="CREDIT_NOTE", creditedInvoiceId=sale["id"],
                          invoiceDate="2026-03-12", lines=[
                              {"description": "运费退回", "quantity": "1", "unitPrice": "100",
                               "taxRate": "0.09"}])
    assert (note["number"][:5], note["amountTotal"], note["creditedInvoice"]) == (
        "HZFP-", "-109.00", {"number": sale["number"]})
    over = api.ok(PAYMENT_ALLOCATE, {"input": {"creditNoteId": note["id"], "allocations": [
        {"invoiceId": sale["id"], "amount": "109.01"}]}})["paymentAllocate"]
    assert errors_of(over) == {(("allocations",), "OVER_ALLOCATED")}
    credited = api.ok(PAYMENT_ALLOCATE, {"input": {"creditNoteId": note["id"], "allocations": [
        {"invoiceId": sale["id"], "amount": "109.00"}]}})["paymentAllocate"]
    assert credited["errors"] == [] and credited["creditNote"] == {
        "state": "SETTLED", "amountOpen": "0.00"}
    over = api.ok(PAYMENT_ALLOCATE, {"input": {"paymentId": payment["id"], "allocations": [
        {"invoiceId": sale["id"], "amount": "230.01"}]}})["paymentAllocate"]
    assert errors_of(over) == {(("allocations", "0", "amount"), "OVER_ALLOCATED")}
    unknown = api.ok(PAYMENT_ALLOCATE, {"input": {"paymentId": sale["id"], "allocations": [
        {"invoiceId": payment["id"], "amount": "1"}]}})["paymentAllocate"]
    assert errors_of(unknown) == {(("paymentId",), "NOT_FOUND"),
                                  (("allocations", "0", "invoiceId"), "NOT_FOUND")}
    rest = api.ok(PAYMENT_ALLOCATE, {"input": {"paymentId": payment["id"], "allocations": [
        {"invoiceId": sale["id"], "amount": "100"}]}})["paymentAllocate"]
    assert rest["errors"] == [] and rest["payment"] == {"amountUnallocated": "0.00"}
    assert rest["allocations"] == [{"amount": "100.00", "invoice": {
        "number": sale["number"], "state": "PARTLY_SETTLED", "amountOpen": "130.00"}}]
    # Reading it all back.
    found = api.ok("query($f: InvoiceFilter) { invoices(filter: $f, sort: NUMBER) { "
                   f"totalCount edges {{ node {{ {INVOICE} }} }} }} }}",
                   {"f": {"partnerCode": "C1", "kind": "INVOICE"}})["invoices"]
    assert found["totalCount"] == 1
    read = found["edges"][0]["node"]
    assert (read["amountSettled"], read["amountOpen"]) == ("1109.00", "130.00")
    assert [(a["amount"], a["settledOn"], (a["payment"] or {}).get("number"),
             (a["creditNote"] or {}).get("number")) for a in read["allocations"]] == [
        ("900.00", "2026-03-10", payment["number"], None),
        ("109.00", "2026-03-12", None, note["number"]),
        ("100.00", "2026-03-10", payment["number"], None)]
    overdue = api.ok('{ invoices(filter: {overdue: true}) { totalCount } '
                     'payments(filter: {unallocated: true}) { totalCount } }')
    assert overdue == {"invoices": {"totalCount": 1}, "payments": {"totalCount": 0}}
    aging = api.ok('{ receivablesAging(asOf: "2026-05-15", buckets: [30, 60]) { asOf '
                   'buckets { fromDays toDays label } rows { partnerCode notDue buckets '
                   'overdue balance partner { name } } totals { balance } } }')
    report = aging["receivablesAging"]
    assert [b["label"] for b in report["buckets"]] == ["1–30 days", "31–60 days", "> 60 days"]
    assert report["rows"] == [{"partnerCode": "C1", "notDue": "0.00",
                               "buckets": ["0.00", "130.00", "0.00"], "overdue": "130.00",
                               "balance": "130.00", "partner": {"name": "杭州甲机电有限公司"}}]
    balances = api.ok("{ partnerBalances(filter: {nonZero: true}) { totalCount edges { node { "
                      "partner { code } net receivable { invoiced credited paid open "
                      "balance } payable { balance } } } } }")["partnerBalances"]
    assert balances["totalCount"] == 1
    assert balances["edges"][0]["node"] == {
        "partner": {"code": "C1"}, "net": "130.00", "payable": {"balance": "0.00"},
        "receivable": {"invoiced": "1239.00", "credited": "-109.00", "paid": "1000.00",
                       "open": "130.00", "balance": "130.00"}}
    assert api.ok("{ payablesAging { rows { partnerCode } } }") == {
        "payablesAging": {"rows": []}}
    bad = api.execute('{ receivablesAging(buckets: [60, 30]) { asOf } }')
    assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_chapter_refusing_the_billed_lines_refuses_the_invoice(
        api: GraphQLTester, world: TradingWorld) -> None:
    publish = world.env.events.publish

    def over_invoiced(session: Any, event: Any, env: Any) -> None:
        if isinstance(event, InvoicePosted) and any(t == "Product" for _i, t, _s, _q
                                                    in event.lines):
            raise ValidationFailed(FieldError("OVER_INVOICED", "Too much",
                                              field=("lines", "0", "quantity")))
        publish(session, event, env)

    world.env.events.publish = over_invoiced  # type: ignore[method-assign]
    refused = api.ok(INVOICE_CREATE, {"input": {
        "partnerCode": "C1", "direction": "RECEIVABLE", "idempotencyKey": "k", "lines": [
            {"productCode": "PLAIN", "quantity": "1", "unitPrice": "1",
             "sourceLineId": to_global_id("Product", 1)}]}})["invoiceCreate"]
    assert errors_of(refused) == {(("lines", "0", "quantity"), "OVER_INVOICED")}
    assert count(api, Invoice) == 0


def test_permissions_are_required(world: TradingWorld) -> None:
    reader = GraphQLTester(world.env, permissions=["invoicing.invoice.read"], locale="en")
    assert reader.ok("{ invoices { totalCount } }") == {"invoices": {"totalCount": 0}}
    for query in ("{ payments { totalCount } }", "{ receivablesAging { asOf } }",
                  "{ partnerBalances { totalCount } }"):
        reader.refused(query, code="FORBIDDEN")
    reader.refused(PAYMENT_CREATE, {"input": {"partnerCode": "C1", "direction": "RECEIVABLE",
                                              "amount": "1"}}, code="FORBIDDEN")
    reader.refused(INVOICE_CREATE, {"input": {"partnerCode": "C1", "direction": "RECEIVABLE",
                                              "lines": []}}, code="FORBIDDEN")
    assert {"invoicing.payment.create", "invoicing.aging.read"} <= (
        world.env.permissions.role_permissions("accountant"))


def test_lists_cost_the_same_statements_for_more_rows(api: GraphQLTester,
                                                      world: TradingWorld) -> None:
    query = ("{ invoices(first: 100) { edges { node { " + INVOICE + " } } } "
             "payments(first: 100) { edges { node { " + PAYMENT + " } } } "
             "partnerBalances { edges { node { partner { code } net } } } }")

    def post(partner: str, n: int) -> None:
        for i in range(n):
            sale = create_invoice(api, partnerCode=partner, lines=[
                {"productCode": ("PLAIN", "PLAIN2", "BAT")[i % 3], "quantity": "1",
                 "unitPrice": "100"}, {"description": "运费", "quantity": "1",
                                        "unitPrice": "5"}])
            api.ok(PAYMENT_CREATE, {"input": {
                "partnerCode": partner, "direction": "RECEIVABLE", "amount": "50",
                "allocations": [{"invoiceId": sale["id"], "amount": "50"}]}})
            create_invoice(api, partnerCode=partner, kind="CREDIT_NOTE",
                           creditedInvoiceId=sale["id"], lines=[
                               {"description": "折让", "quantity": "1", "unitPrice": "1"}])

    def selects() -> int:
        seen: list[str] = []
        engine = world.env.database.engine

        def record(*args: Any) -> None:
            if args[2].lstrip().upper().startswith(("SELECT", "WITH")):
                seen.append(args[2])

        event.listen(engine, "before_cursor_execute", record)
        try:
            data = api.ok(query)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert data["invoices"]["edges"]
        return len(seen)

    post("C1", 1)
    few = selects()
    post("C2", 2)
    post("CS", 2)
    many = selects()
    assert few == many, (few, many)
