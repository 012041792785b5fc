"""``accountingStatementExport`` through GraphQL: a file per statement and format (base64,
as ``depreciationExport`` answers), its totals equal to the queries', READ required, and a
bad month refused clearly."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import pytest
from accounting_support import World
from test_statement_files_support import (
    COMPANY,
    D,
    money,
    pdf_text,
    row_of,
    sheet_rows,
    statement_world_on,
)

from openjxc.testing.fixtures import BACKENDS
from openjxc.testing.graphql import GraphQLTester
from openjxc.testing.pdf import cjk_fonts_embedded

EXPORT = """query($s: AccountingStatement!, $p: String!, $f: AccountingStatementFormat!) {
  accountingStatementExport(statement: $s, period: $p, format: $f) {
    filename contentType contentBase64 rowCount } }"""


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from statement_world_on(request.param, tmp_path_factory.mktemp("statements_api"))


def export(api: GraphQLTester, statement: str, fmt: str = "XLSX",
           period: str = "2026-03") -> tuple[dict[str, Any], bytes]:
    found = api.ok(EXPORT, {"s": statement, "p": period, "f": fmt})[
        "accountingStatementExport"]
    return found, base64.b64decode(found["contentBase64"])


def test_the_trial_balance_file_adds_up_to_the_query(world: World) -> None:
    api = GraphQLTester(world.env, locale="zh_CN")
    found, content = export(api, "TRIAL_BALANCE")
    assert found["filename"] == "trial-balance-2026-03.xlsx"
    assert found["contentType"] == ("application/vnd.openxmlformats-officedocument."
                                    "spreadsheetml.sheet")
    query = api.ok("""{ trialBalance(period: "2026-03") { accountCode level opening debit
        credit closing } }""")["trialBalance"]
    rows = sheet_rows(content)
    assert found["rowCount"] == len(query) + 1 == len(rows) - 5
    first = [r for r in query if r["level"] == 1]
    total = row_of(rows, "合计")
    assert money(total[4]) == sum((D(r["debit"]) for r in first), D(0))
    assert money(total[5]) == sum((D(r["credit"]) for r in first), D(0))
    assert money(total[6]) == sum((D(r["closing"]) for r in first if D(r["closing"]) > 0),
                                  D(0))
    for line in query:
        row = row_of(rows, line["accountCode"])
        assert money(row[6]) - money(row[7]) == D(line["closing"]), line


def test_the_statement_files_match_their_queries(world: World) -> None:
    api = GraphQLTester(world.env, locale="zh_CN")
    data = api.ok("""{ balanceSheet(period: "2026-03") { key amount }
        incomeStatement(period: "2026-03") { key name amount yearToDate } }""")
    sheet = {r["key"]: D(r["amount"]) for r in data["balanceSheet"]}
    rows = sheet_rows(export(api, "BALANCE_SHEET")[1])
    assert money(rows[-1][1]) == sheet["total_assets"]
    assert money(rows[-1][4]) == sheet["total_liabilities_equity"]
    income = sheet_rows(export(api, "INCOME_STATEMENT")[1])
    for line in data["incomeStatement"]:
        row = row_of(income, line["name"])
        assert (money(row[1]), money(row[2])) == (D(line["amount"]), D(line["yearToDate"]))
    cash = sheet_rows(export(api, "CASH_FLOW")[1])
    assert cash[0][0] == "现金流量表"


def test_a_pdf_through_the_api(world: World) -> None:
    api = GraphQLTester(world.env, locale="en")
    found, content = export(api, "INCOME_STATEMENT", "PDF")
    assert found["filename"] == "income-statement-2026-03.pdf"
    assert found["contentType"] == "application/pdf"
    text = pdf_text(content)
    assert "Incomestatement" in text and COMPANY in text and "6,000.00" in text
    assert cjk_fonts_embedded(content)


def test_the_files_need_the_ledger_read_permission(world: World) -> None:
    api = GraphQLTester(world.env, permissions={"depreciation.asset.read"})
    api.refused(EXPORT, {"s": "BALANCE_SHEET", "p": "2026-03", "f": "XLSX"},
                code="FORBIDDEN")
    allowed = GraphQLTester(world.env, permissions={"accounting.voucher.read"})
    assert export(allowed, "BALANCE_SHEET")[0]["rowCount"] > 0


@pytest.mark.parametrize("period", ["2026-13", "202603", "March", ""])
def test_a_bad_month_is_refused_clearly(world: World, period: str) -> None:
    api = GraphQLTester(world.env, locale="zh_CN")
    errors = api.refused(EXPORT, {"s": "TRIAL_BALANCE", "p": period, "f": "PDF"},
                         code="BAD_USER_INPUT")
    assert "YYYY-MM" in errors[0]["message"]
