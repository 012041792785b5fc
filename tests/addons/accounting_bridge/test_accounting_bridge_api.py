"""accounting_bridge through GraphQL: the promised names, the chart, vouchers with their
lines in a constant number of statements, the mapping, closing a month, a red reversal
retried with one key, and the payload errors (localised)."""

from __future__ import annotations

import base64
import io
from decimal import Decimal

import pytest
from accounting_support import World, build_world
from openpyxl import load_workbook
from sqlalchemy import event

from openjxc.testing.graphql import GraphQLTester

D = Decimal

VOUCHERS = """query($filter: VoucherFilter) { vouchers(first: 50, filter: $filter) {
  totalCount edges { node { id number period sourceType total isReversal
    lines { accountCode debit credit customerCode supplierCode } } } } }"""
REVERSE = """mutation($id: ID!, $key: String) { voucherReverse(input: {voucherId: $id,
  idempotencyKey: $key}) { voucher { number total isReversal } errors { code message } } }"""


@pytest.fixture
def world(database_url: str) -> World:
    return build_world(database_url)


def test_the_ledger_through_the_api(world: World) -> None:
    api = GraphQLTester(world.env, locale="en")
    chart = api.ok("""{ accounts(first: 5, filter: {codePrefix: "2221", level: 3}) {
        totalCount edges { node { code name direction leaf parentCode } } }
        accountingBook { standard locked } }""")
    assert chart["accounts"]["totalCount"] == 9
    assert chart["accounts"]["edges"][0]["node"] == {
        "code": "22210101", "name": "进项税额", "direction": "CREDIT", "leaf": True,
        "parentCode": "222101"}
    assert chart["accountingBook"] == {"standard": "SMALL", "locked": False}

    made = api.ok("""mutation { accountCreate(input: {parentCode: "5001", name: "轴承"}) {
        account { code level } errors { code } } }""")["accountCreate"]
    assert made == {"account": {"code": "500101", "level": 2}, "errors": []}
    mapped = api.ok("""mutation { accountMappingSet(input: {document: "sales.invoice",
        role: "revenue", accountCode: "500101", partnerCode: "C1"}) {
        mapping { document role accountCode partnerCode } errors { code } } }""")
    assert mapped["accountMappingSet"]["mapping"]["partnerCode"] == "C1"

    world.run(lambda s: world.receive(s, D(10), D("8.50")))
    world.run(lambda s: world.invoice(s, "receivable", D(2), D("100")))
    world.run(lambda s: world.invoice(s, "payable", D(10), D("8.50")))
    world.run(lambda s: world.deliver(s, D(2)))
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    engine = world.env.database.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        found = api.ok(VOUCHERS)["vouchers"]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert found["totalCount"] == 4
    numbers = [e["node"]["number"] for e in found["edges"]]
    assert numbers == ["记-0001", "记-0002", "记-0003", "记-0004"]
    sale = found["edges"][1]["node"]
    assert sale["lines"] == [
        {"accountCode": "1122", "debit": "226.00", "credit": "0.00", "customerCode": "C1",
         "supplierCode": None},
        {"accountCode": "500101", "debit": "0.00", "credit": "200.00", "customerCode": None,
         "supplierCode": None},
        {"accountCode": "22210106", "debit": "0.00", "credit": "26.00", "customerCode": None,
         "supplierCode": None}]
    assert len(statements) <= 8, statements

    trial = api.ok("""{ trialBalance(period: "2026-03") { accountCode debit credit
        closing } }""")["trialBalance"]
    assert {"accountCode": "1405", "debit": "85.00", "credit": "17.00",
            "closing": "68.00"} in trial

    key = "rev-1"
    first = api.ok(REVERSE, {"id": sale["id"], "key": key})["voucherReverse"]
    assert first["voucher"] == {"number": "记-0005", "total": "-226.00", "isReversal": True}
    assert api.ok(REVERSE, {"id": sale["id"], "key": key})["voucherReverse"] == first
    again = api.ok(REVERSE, {"id": sale["id"]})["voucherReverse"]
    assert [e["code"] for e in again["errors"]] == ["ALREADY_REVERSED"]

    closed = api.ok("""mutation { periodClose(input: {period: "2026-03"}) {
        period { period closed } errors { code } } }""")["periodClose"]
    assert closed == {"period": {"period": "2026-03", "closed": True}, "errors": []}
    twice = api.ok("""mutation { periodClose(input: {period: "2026-03"}) {
        errors { code message } } }""")["periodClose"]
    assert twice["errors"] == [{"code": "PERIOD_CLOSED",
                                "message": "Accounting period 2026-03 is closed"}]
    locked = api.ok("""mutation { accountingStandardSet(input: {standard: ENTERPRISE}) {
        book { standard } errors { code } } }""")["accountingStandardSet"]
    assert locked == {"book": None, "errors": [{"code": "CHART_LOCKED"}]}


def test_messages_are_chinese_for_a_chinese_user(world: World) -> None:
    api = GraphQLTester(world.env, locale="zh_CN")
    bad = api.ok("""mutation { accountMappingSet(input: {document: "sales.invoice",
        role: "revenue", accountCode: "9999"}) { errors { code message } } }""")
    assert bad["accountMappingSet"]["errors"] == [
        {"code": "NOT_FOUND", "message": "会计科目 9999 不存在"}]


STATEMENTS = """query($p: String!) {
  balanceSheet(period: $p) { key name amount }
  incomeStatement(period: $p) { key amount yearToDate }
  cashFlowStatement(period: $p) { key amount } }"""


def test_statements_and_exports(world: World) -> None:
    api = GraphQLTester(world.env, locale="zh_CN")
    world.run(lambda s: world.receive(s, D(10), D("8.50")))
    world.run(lambda s: world.invoice(s, "receivable", D(2), D("100")))
    world.run(lambda s: world.invoice(s, "payable", D(10), D("8.50")))
    world.run(lambda s: world.deliver(s, D(2)))
    world.run(lambda s: world.pay(s, "receivable", D("226")))
    world.run(lambda s: world.pay(s, "payable", D("96.05")))
    data = api.ok(STATEMENTS, {"p": "2026-03"})
    sheet = {r["key"]: r["amount"] for r in data["balanceSheet"]}
    assert sheet["total_assets"] == sheet["total_liabilities_equity"]
    assert sheet["inventories"] == "68.00" and sheet["cash"] == "129.95"
    assert data["balanceSheet"][0]["name"] == "货币资金"
    income = {r["key"]: (r["amount"], r["yearToDate"]) for r in data["incomeStatement"]}
    assert income["revenue"] == ("200.00", "200.00")
    assert income["net_profit"] == ("183.00", "183.00")  # 200 − 17
    cash = {r["key"]: r["amount"] for r in data["cashFlowStatement"]}
    assert {k: cash[k] for k in ("CF01", "CF04", "net_operating", "net_investing",
                                 "unclassified", "net_change", "beginning_cash",
                                 "ending_cash")} == {
        "CF01": "226.00", "CF04": "96.05", "net_operating": "129.95", "net_investing": "0.00",
        "unclassified": "0.00", "net_change": "129.95", "beginning_cash": "0.00",
        "ending_cash": "129.95"}

    export = """mutation($f: VoucherExportFormat!, $e: ExportEncoding) {
      voucherExport(input: {period: "2026-03", format: $f, encoding: $e,
        codeMap: [{accountCode: "1002", targetCode: "100201"}]}) {
        file { filename contentType contentBase64 vouchers rows } errors { code } } }"""
    remembered = api.ok("""mutation { voucherExportCodeSet(input: {format: U8_TXT,
        accountCode: "1122", targetCode: "112201"}) { code { accountCode targetCode }
        errors { code } } }""")["voucherExportCodeSet"]
    assert remembered == {"code": {"accountCode": "1122", "targetCode": "112201"},
                          "errors": []}
    assert api.ok("""{ voucherExportCodes(format: U8_TXT) { accountCode targetCode } }""")[
        "voucherExportCodes"] == [{"accountCode": "1122", "targetCode": "112201"}]
    u8 = api.ok(export, {"f": "U8_TXT"})["voucherExport"]["file"]
    text = base64.b64decode(u8["contentBase64"]).decode("gbk").splitlines()
    assert text[0] == "填制凭证,V800" and u8["vouchers"] == 6 and len(text) == u8["rows"] + 1
    assert text[3].startswith("2026-03-10,记,2,0,invoice ") and ",112201,226.00,0.00," in text[3]
    assert ",C1," in text[3]
    assert any(",100201,226.00,0.00," in line for line in text)
    kis = api.ok(export, {"f": "KIS_XLSX"})["voucherExport"]["file"]
    sheet_rows = list(load_workbook(io.BytesIO(base64.b64decode(kis["contentBase64"])))
                      .active.iter_rows(values_only=True))
    assert sheet_rows[0][:6] == ("凭证日期", "会计年度", "会计期间", "凭证字", "凭证号", "科目代码")
    assert any(r[5] == "2221.01.06" for r in sheet_rows[1:])
    assert any(r[33] == "客户---C1---客户" for r in sheet_rows[1:])
    generic = api.ok(export, {"f": "GENERIC_XLSX", "e": "UTF8"})["voucherExport"]
    assert generic["errors"] == [] and generic["file"]["filename"].endswith(".xlsx")
