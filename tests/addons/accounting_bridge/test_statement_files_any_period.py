"""Statements of any month, on SQLite and PostgreSQL: the last month a period can name, a
book opened in the middle of a year (its openings are the year's start, not a cash flow),
the lines of the book's standard only, no "-0.00" printed, and the PDFs at
``/reports/{statement}/{YYYYMM}.pdf`` for holders of the ledger's read permission only."""

from __future__ import annotations

import warnings
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from accounting_support import World, build_world
from test_statement_files_support import money, pdf_text, row_of, sheet_rows

from openjxc.addons.accounting_bridge import books, opening, statement_files, statements
from openjxc.addons.accounting_bridge.opening import OpeningLine
from openjxc.core.reports import ReportRegistry
from openjxc.core.security import (
    PermissionDenied,
    Principal,
    create_token,
    create_user,
    ensure_role,
)
from openjxc.graphql.app import create_app
from openjxc.testing.graphql import GraphQLTester

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # Starlette asks for its httpx fork
    from starlette.testclient import TestClient

D = Decimal
MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)
EXPORT = """query($s: AccountingStatement!, $p: String!) {
  accountingStatementExport(statement: $s, period: $p, format: XLSX) { filename } }"""


@pytest.fixture
def world(database_url: str) -> World:
    return build_world(database_url)


def cash_flow(world: World, period: date) -> dict[str, tuple[Decimal, Decimal | None]]:
    with world.uow(readonly=True) as s:
        return {r.key: (r.amount, r.year_to_date)
                for r in statements.cash_flow_statement(s, period)}


def test_the_last_month_a_period_can_name_is_a_statement(world: World) -> None:
    api = GraphQLTester(world.env, locale="zh_CN")
    for kind in ("BALANCE_SHEET", "TRIAL_BALANCE", "INCOME_STATEMENT", "CASH_FLOW"):
        found = api.ok(EXPORT, {"s": kind, "p": "9999-12"})["accountingStatementExport"]
        assert found["filename"].endswith("-9999-12.xlsx")
    with world.uow(readonly=True) as s:
        sheet = statement_files.build_sheet(s, "balance_sheet", date(9999, 12, 1), "zh_CN")
        assert "9999" in sheet.period_text and "31" in sheet.period_text
        html = ReportRegistry.for_environment(world.env).render_html(
            "balance_sheet", 999912, s, "zh_CN")
        assert "9999" in html


def test_a_book_opened_in_the_year_starts_its_year_at_the_openings(world: World) -> None:
    world.run(lambda s: opening.set_opening_balances(s, MARCH, [
        OpeningLine("1002", debit=D("500000")), OpeningLine("3001", credit=D("500000"))]))
    world.run(lambda s: world.invoice(s, "receivable", D(10), D(100)))
    world.run(lambda s: world.pay(s, "receivable", D("1130.00")))
    march = cash_flow(world, MARCH)
    # The opening cash is where the year starts, not a movement nobody classified.
    assert march["beginning_cash"] == (D("500000.00"), D("500000.00"))
    assert march["unclassified"] == (0, 0) and march["net_change"] == (D("1130.00"),) * 2
    april = cash_flow(world, APRIL)
    assert april["beginning_cash"] == (D("501130.00"), D("500000.00"))
    assert april["CF01"] == (0, D("1130.00")) and april["unclassified"] == (0, 0)
    # The next year starts at December's end, as every year does.
    january = cash_flow(world, date(2027, 1, 1))
    assert january["beginning_cash"] == (D("501130.00"),) * 2
    with world.uow(readonly=True) as s:
        rows = sheet_rows(statement_files.statement_file(
            s, world.env, "balance_sheet", APRIL, "xlsx", locale="zh_CN").content)
        next_year = sheet_rows(statement_files.statement_file(
            s, world.env, "balance_sheet", date(2027, 2, 1), "xlsx", locale="zh_CN").content)
    assert (money(row_of(rows, "货币资金")[1]), money(row_of(rows, "货币资金")[2])) == (
        D("501130.00"), D("500000.00"))
    assert money(row_of(rows, "实收资本", 3)[5]) == D("500000.00")
    assert money(row_of(next_year, "货币资金")[2]) == D("501130.00")


def test_each_standard_has_its_own_income_statement_lines(world: World) -> None:
    with world.uow(readonly=True) as s:
        small = [r.key for r in statements.income_statement(s, MARCH)]
    assert "impairment" not in small and "disposal" not in small  # 会小企02表 has neither
    assert "investment" in small and small[-1] == "net_profit"
    world.run(lambda s: books.choose_standard(s, "enterprise"))
    with world.uow(readonly=True) as s:
        enterprise = [r.key for r in statements.income_statement(s, MARCH)]
    assert {"impairment", "disposal"} <= set(enterprise)


def test_no_zero_is_printed_with_a_minus(world: World) -> None:
    world.run(lambda s: world.invoice(s, "receivable", D(10), D(100)))
    with world.uow(readonly=True) as s:
        rows = statements.income_statement(s, MARCH)
        pdf = statement_files.statement_file(s, world.env, "income_statement", MARCH, "pdf",
                                             locale="zh_CN").content
    assert not [r.key for r in rows if str(r.amount).startswith("-0")
                or str(r.year_to_date).startswith("-0")]
    text = pdf_text(pdf)
    assert "1,000.00" in text and "-0.00" not in text
    lines = GraphQLTester(world.env).ok('{ incomeStatement(period: "2026-03") { key amount '
                                        'yearToDate } }')["incomeStatement"]
    assert not [line for line in lines if "-0" in (line["amount"], line["yearToDate"])
                or line["amount"].startswith("-0")]


def test_a_statement_pdf_needs_the_ledgers_read_permission(world: World) -> None:
    registry = ReportRegistry.for_environment(world.env)
    clerk = Principal(user_id=1, username="clerk", permissions=frozenset({"stock.level.read"}))
    with world.uow(readonly=True) as s:
        # Whoever renders for a principal (not only the HTTP endpoint) is refused.
        with pytest.raises(PermissionDenied):
            registry.render_html("balance_sheet", 202603, s, "zh_CN", principal=clerk)
        reader = Principal(user_id=2, username="reader",
                           permissions=frozenset({"accounting.voucher.read"}))
        assert "资产负债表" in registry.render_html("balance_sheet", 202603, s, "zh_CN",
                                                  principal=reader)
    env = world.env
    with env.unit_of_work() as s:
        ensure_role(s, "ledger_reader", ["accounting.voucher.read"])
        ensure_role(s, "stock_clerk", ["stock.level.read"])
        create_user(s, env, "reader", "correct-horse-1", roles=["ledger_reader"])
        create_user(s, env, "clerk", "correct-horse-2", roles=["stock_clerk"])
    with env.unit_of_work() as s:
        tokens = {name: create_token(s, env, name, password).token for name, password in
                  (("reader", "correct-horse-1"), ("clerk", "correct-horse-2"))}
    with TestClient(create_app(env, env.settings)) as client:
        def get(path: str, who: str | None) -> Any:
            headers = {"authorization": f"Bearer {tokens[who]}"} if who else {}
            return client.get(path, headers=headers)

        found = get("/reports/cash_flow/202603.pdf", "reader")
        assert found.status_code == 200 and found.content.startswith(b"%PDF")
        assert "现金流量表" in pdf_text(found.content)
        assert get("/reports/cash_flow/202603.pdf", "clerk").status_code == 403
        assert get("/reports/trial_balance/202603.pdf", None).status_code == 401
        for wrong in ("202613", "202600", "2026", "99", "1899912"):
            assert get(f"/reports/balance_sheet/{wrong}.pdf", "reader").status_code == 404
        assert get("/reports/balance_sheet/2026-03.pdf", "reader").status_code == 404
