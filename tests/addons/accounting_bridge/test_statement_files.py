"""The four statements as .xlsx and PDF files: the layout a Chinese accountant knows
(title, 编制单位, period, 单位：元, the statement's columns, totals), the totals equal to the
queries' numbers, the same bytes for the same ledger, the labels in English for an English
reader, a Chinese font embedded in every PDF, and the PDFs at ``/reports/…/YYYYMM.pdf``."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from datetime import date

import pytest
from accounting_support import World
from openpyxl import load_workbook
from pypdf import PdfReader
from test_statement_files_support import (
    COMPANY,
    D,
    money,
    pdf_text,
    row_of,
    sheet_rows,
    statement_world_on,
)

from openjxc.addons.accounting_bridge import books, reports, statement_files, statements
from openjxc.core.reports import ReportNotFound, ReportRegistry
from openjxc.testing.fixtures import BACKENDS, DatabaseFactory
from openjxc.testing.pdf import cjk_fonts_embedded

MARCH = date(2026, 3, 1)


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """One ledger per backend for the module: making files only reads."""
    yield from statement_world_on(request.param, tmp_path_factory.mktemp("statements"))


def form(rows: list[tuple[object, ...]]) -> object:
    """The form number, at the right of the second row."""
    found = [(i, v) for i, v in enumerate(rows[1]) if v]
    width = len(rows[1])
    assert len(found) == 1 and found[0][0] == width - max(1, width // 3), rows[1]
    return found[0][1]


def made(world: World, kind: str, fmt: str = "xlsx", locale: str = "zh_CN",
         period: date = MARCH) -> statement_files.StatementFile:
    with world.uow(readonly=True) as s:
        return statement_files.statement_file(s, world.env, kind, period, fmt, locale=locale)


def test_the_trial_balance_as_excel(world: World) -> None:
    found = made(world, "trial_balance")
    assert found.filename == "trial-balance-2026-03.xlsx"
    rows = sheet_rows(found.content)
    assert rows[0][0] == "科目余额表"
    assert rows[2][0] == f"编制单位：{COMPANY}" and "2026年3月" in rows[2]
    assert rows[2][-2] == "单位：元"
    assert rows[3][:7] == ("科目编码", "科目名称", "期初余额", None, "本期发生额", None, "期末余额")
    assert rows[4][2:] == ("借方", "贷方") * 3
    with world.uow(readonly=True) as s:
        query = reports.trial_balance(s, MARCH)
    first = [r for r in query if r.level == 1]
    total = row_of(rows, "合计")
    assert money(total[4]) == sum((r.debit for r in first), D(0)) == D("8480.00")
    assert money(total[5]) == sum((r.credit for r in first), D(0)) == money(total[4])
    assert money(total[2]) == money(total[3]) == D("11605.00")
    assert money(total[6]) == money(total[7])
    stock = row_of(rows, "1405")
    assert (money(stock[2]), stock[3], money(stock[4]), money(stock[5]), money(stock[6])) == (
        D("7650.00"), None, D(0), D("1700.00"), D("5950.00"))  # a debit balance: debit side
    payable = row_of(rows, "2202")
    assert (payable[2], money(payable[3]), payable[6], money(payable[7])) == (
        None, D("9605.00"), None, D("9605.00"))  # a credit balance: credit side
    assert len(rows) == 5 + len(query) + 1 == 5 + found.rows


def test_amounts_are_right_aligned_with_two_decimals_and_thousands(world: World) -> None:
    sheet = load_workbook(io.BytesIO(made(world, "trial_balance").content)).active
    assert sheet is not None
    cell = next(c for row in sheet.iter_rows(min_row=6) for c in row
                if c.value is not None and not isinstance(c.value, str))
    assert cell.number_format == "#,##0.00;-#,##0.00"
    assert cell.alignment.horizontal == "right"
    assert sheet["A1"].font.bold and sheet.merged_cells.ranges  # the title spans the table
    last = sheet.max_row
    assert sheet.cell(row=last, column=1).value == "合计"
    assert sheet.cell(row=last, column=5).font.bold


def test_the_balance_sheet_has_both_sides_at_the_month_end_and_the_year_start(
        world: World) -> None:
    rows = sheet_rows(made(world, "balance_sheet").content)
    assert rows[0][0] == "资产负债表" and form(rows) == "会小企01表"
    assert "2026年3月31日" in rows[2]
    assert rows[3] == ("资产", "期末余额", "年初余额", "负债和所有者权益", "期末余额", "年初余额")
    with world.uow(readonly=True) as s:
        now = {r.key: r.amount for r in statements.balance_sheet(s, MARCH)}
        start = {r.key: r.amount for r in statements.balance_sheet(s, date(2025, 12, 1))}
    total = rows[-1]
    assert (money(total[1]), money(total[2])) == (now["total_assets"], start["total_assets"])
    assert (money(total[4]), money(total[5])) == (now["total_liabilities_equity"],
                                                  start["total_liabilities_equity"])
    assert money(total[1]) == money(total[4]) and money(total[2]) == money(total[5])
    assert start["inventories"] == D("8500.00")
    stock = row_of(rows, "存货")
    assert (money(stock[1]), money(stock[2])) == (now["inventories"], D("8500.00"))
    taxes = row_of(rows, "应交税费", 3)
    assert money(taxes[5]) == D("-1105.00")  # input VAT not yet offset: a negative line


def test_the_income_statement_has_the_month_and_the_year_to_date(world: World) -> None:
    rows = sheet_rows(made(world, "income_statement").content)
    assert rows[0][0] == "利润表" and form(rows) == "会小企02表"
    assert rows[3] == ("项目", "本月金额", "本年累计金额")
    with world.uow(readonly=True) as s:
        query = {r.key: (r.amount, r.year_to_date)
                 for r in statements.income_statement(s, MARCH)}
    net = rows[-1]
    assert (money(net[1]), money(net[2])) == query["net_profit"] == (D("2300.00"),
                                                                      D("3450.00"))
    revenue = rows[4]
    assert (money(revenue[1]), money(revenue[2])) == (D("4000.00"), D("6000.00"))


def test_the_cash_flow_statement_as_excel(world: World) -> None:
    rows = sheet_rows(made(world, "cash_flow").content)
    assert rows[0][0] == "现金流量表" and form(rows) == "会小企03表"
    assert rows[3][:2] == ("项目", "本月金额")
    with world.uow(readonly=True) as s:
        query = statements.cash_flow_statement(s, MARCH)
    body = rows[4:]
    assert len(body) == len(query)
    for row, line in zip(body, query, strict=True):
        assert money(row[1]) == line.amount, line.key
    net = {r.key: r.amount for r in query}["net_change"]
    assert net == D("2260.00")  # the month received February's invoice
    assert any(money(r[1]) == net and r[0] != body[0][0] for r in body)


def test_the_same_ledger_gives_the_same_bytes(world: World) -> None:
    first, again = made(world, "balance_sheet"), made(world, "balance_sheet")
    assert first.content == again.content
    archive = zipfile.ZipFile(io.BytesIO(first.content))
    assert {i.date_time for i in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    core = archive.read("docProps/core.xml").decode()
    assert "2026-03-01T00:00:00Z" in core
    book = load_workbook(io.BytesIO(first.content))
    assert book.properties.created == book.properties.modified


def test_an_english_reader_gets_english_labels(world: World) -> None:
    rows = sheet_rows(made(world, "trial_balance", locale="en").content)
    assert rows[0][0] == "Trial balance"
    assert rows[2][0] == f"Prepared by: {COMPANY}" and "March 2026" in rows[2]
    assert rows[4][2:4] == ("Debit", "Credit") and rows[-1][0] == "Total"
    income = sheet_rows(made(world, "income_statement", locale="en").content)
    assert form(income) == "Form 会小企02" and income[3] == ("Item", "This month",
                                                             "Year to date")


@pytest.mark.parametrize("kind,title", [("trial_balance", "科目余额表"),
                                        ("balance_sheet", "资产负债表"),
                                        ("income_statement", "利润表"),
                                        ("cash_flow", "现金流量表")])
def test_every_statement_prints_with_a_chinese_font(world: World, kind: str,
                                                    title: str) -> None:
    found = made(world, kind, "pdf")
    assert found.content.startswith(b"%PDF") and found.content_type == "application/pdf"
    assert found.filename == f"{kind.replace('_', '-')}-2026-03.pdf"
    text = pdf_text(found.content)
    assert title in text and COMPANY in text and "单位：元" in text
    assert cjk_fonts_embedded(found.content), "the Chinese font is not embedded"
    page = PdfReader(io.BytesIO(found.content)).pages[0]
    wide = kind in ("trial_balance", "balance_sheet")  # landscape for the wide ones
    assert (float(page.mediabox.width) > float(page.mediabox.height)) is wide


def test_printed_amounts_have_separators_and_minus_signs(world: World) -> None:
    text = pdf_text(made(world, "balance_sheet", "pdf").content)
    assert "8,500.00" in text and "-1,105.00" in text and "年初余额" in text
    assert "负债和所有者权益" in text and "资产" in text
    english = pdf_text(made(world, "trial_balance", "pdf", locale="en").content)
    assert "Trialbalance" in english and "8,480.00" in english and "Openingbalance" in english


def test_the_statements_are_printed_by_url_for_a_month(world: World) -> None:
    registry = ReportRegistry.for_environment(world.env)
    assert set(statement_files.KINDS) <= set(registry.names())
    assert registry.get("balance_sheet").permission == "accounting.voucher.read"
    with world.uow(readonly=True) as s:
        pdf = registry.render_pdf("income_statement", 202603, s, "zh_CN")
        assert "利润表" in pdf_text(pdf) and cjk_fonts_embedded(pdf)
        for wrong in (202613, 202600, 2026, 0):
            with pytest.raises(ReportNotFound):
                registry.render_html("income_statement", wrong, s, "zh_CN")


def test_the_enterprise_standard_prints_its_own_form_numbers(
        backend: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    from accounting_support import build_world

    factory = DatabaseFactory(backend, tmp_path_factory.mktemp("enterprise"))
    try:
        world = build_world(factory.new())
        world.run(lambda s: books.choose_standard(s, "enterprise"))
        rows = sheet_rows(made(world, "balance_sheet").content)
        assert form(rows) == "会企01表" and rows[2][0] == "编制单位："
        assert money(rows[-1][1]) == money(rows[-1][4]) == D(0)
        world.env.database.dispose()
    finally:
        factory.cleanup()
