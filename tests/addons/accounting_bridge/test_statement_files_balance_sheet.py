"""The balance sheet as the forms ask it to be filled in (分析填列), on SQLite and
PostgreSQL: each customer's and supplier's balance on the side it sits on — one customer's
prepayment is no reduction of what another owes — and, under 企业会计准则, the 应交税费
sub-accounts with a debit balance among the current assets (财会〔2016〕22号); the sheet
still balances, at the month end and at the year start."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from accounting_support import World, build_world
from openpyxl import load_workbook
from test_statement_files_support import money, row_of, sheet_rows

from openjxc.addons.accounting_bridge import books, opening, statement_files, statements
from openjxc.addons.accounting_bridge.opening import OpeningLine
from openjxc.addons.base_jxc.invoicing.payments import create_payment
from openjxc.addons.base_jxc.partners.services import PartnerInput, create_partner
from openjxc.core.i18n import Translator
from openjxc.core.reports import ReportRegistry

D = Decimal
MARCH = date(2026, 3, 1)
DAY = date(2026, 3, 10)


@pytest.fixture
def world(database_url: str) -> World:
    world = build_world(database_url)
    world.ids["C2"] = world.run(lambda s: create_partner(s, PartnerInput(
        code="C2", name="预付客户"))).id
    world.ids["S2"] = world.run(lambda s: create_partner(s, PartnerInput(
        code="S2", name="预付供应商", is_customer=False, is_supplier=True))).id
    return world


def sheet(world: World, period: date = MARCH) -> dict[str, Decimal]:
    with world.uow(readonly=True) as s:
        return {r.key: r.amount for r in statements.balance_sheet(s, period)}


def pay(world: World, partner: str, direction: str, amount: Decimal) -> None:
    world.run(lambda s: create_payment(s, partner_id=world.ids[partner], direction=direction,
                                       amount=amount, payment_date=DAY))


def trade(world: World) -> None:
    """C1 owes 1,130.00; C2 paid 500.00 ahead; we owe S1 1,130.00 and paid S2 300.00
    ahead."""
    world.run(lambda s: world.invoice(s, "receivable", D(10), D(100)))
    world.run(lambda s: world.invoice(s, "payable", D(10), D(100)))
    pay(world, "C2", "receivable", D("500.00"))
    pay(world, "S2", "payable", D("300.00"))


def test_a_prepayment_is_not_netted_against_another_partners_balance(world: World) -> None:
    trade(world)
    assert world.balance("1122") == D("630.00") and world.balance("2202") == D("-830.00")
    found = sheet(world)
    assert found["receivables"] == D("1130.00") and found["advances"] == D("500.00")
    assert found["payables"] == D("1130.00") and found["prepayments"] == D("300.00")
    assert found["total_assets"] == found["total_liabilities_equity"]
    assert found["other_current_assets"] == 0
    pay(world, "C1", "receivable", D("1200.00"))  # the invoice and 70.00 ahead
    found = sheet(world)
    assert found["receivables"] == 0 and found["advances"] == D("570.00")
    assert found["total_assets"] == found["total_liabilities_equity"]


def test_the_enterprise_standard_puts_vat_to_deduct_among_current_assets(
        world: World) -> None:
    world.run(lambda s: books.choose_standard(s, "enterprise"))
    world.run(lambda s: world.invoice(s, "payable", D(10), D(100)))
    assert world.balance("222101") == D("130.00")
    found = sheet(world)
    assert found["other_current_assets"] == D("130.00") and found["taxes"] == 0
    assert found["total_assets"] == found["total_liabilities_equity"] == D("1130.00")
    world.run(lambda s: world.invoice(s, "receivable", D(20), D(100)))  # 260.00 output VAT
    found = sheet(world)
    assert found["other_current_assets"] == 0 and found["taxes"] == D("130.00")
    with world.uow(readonly=True) as s:
        printed = statement_files.build_sheet(s, "balance_sheet", MARCH, "zh_CN",
                                              Translator.for_environment(world.env))
    assert any(line.cells[0] == "其他流动资产" for line in printed.lines)


def test_the_small_enterprise_standard_shows_vat_to_deduct_with_a_minus(
        world: World) -> None:
    world.run(lambda s: world.invoice(s, "payable", D(10), D(100)))
    found = sheet(world)
    assert found["taxes"] == D("-130.00") and found["other_current_assets"] == 0
    assert found["total_assets"] == found["total_liabilities_equity"] == D("1000.00")


def test_opening_balances_are_placed_per_customer_at_the_year_start(world: World) -> None:
    world.run(lambda s: opening.set_opening_balances(s, MARCH, [
        OpeningLine("1002", debit=D("10000")),
        OpeningLine("1122", debit=D("2000"), customer_code="C1"),
        OpeningLine("1122", credit=D("800"), customer_code="C2"),
        OpeningLine("3001", credit=D("11200"))]))
    world.run(lambda s: world.invoice(s, "receivable", D(1), D(100)))
    found = sheet(world)
    assert found["receivables"] == D("2113.00") and found["advances"] == D("800.00")
    assert found["total_assets"] == found["total_liabilities_equity"] == D("12113.00")
    with world.uow(readonly=True) as s:
        rows = sheet_rows(statement_files.statement_file(
            s, world.env, "balance_sheet", MARCH, "xlsx", locale="zh_CN").content)
    # The book opened in March: its openings are where the year starts (年初余额).
    assert money(row_of(rows, "应收账款")[2]) == D("2000.00")
    assert money(row_of(rows, "预收账款", 3)[5]) == D("800.00")
    assert money(row_of(rows, "货币资金")[2]) == D("10000.00")


def test_the_sheet_has_the_forms_subtotals(world: World) -> None:
    trade(world)
    with world.uow(readonly=True) as s:
        keys = [r.key for r in statements.balance_sheet(s, MARCH)]
        printed = statement_files.build_sheet(s, "balance_sheet", MARCH, "zh_CN",
                                              Translator.for_environment(world.env))
    found = sheet(world)
    assert keys.index("inventories") < keys.index("total_current_assets") < keys.index(
        "fixed_assets") < keys.index("total_non_current_assets") < keys.index("total_assets")
    assert keys.index("other_payables") < keys.index("total_liabilities") < keys.index(
        "capital") < keys.index("retained") < keys.index("total_equity")
    assert found["total_current_assets"] + found["total_non_current_assets"] == found[
        "total_assets"] == found["total_liabilities"] + found["total_equity"] == found[
        "total_liabilities_equity"] == D("2630.00")
    assert found["total_liabilities"] == D("1630.00")  # 1130 to S1, 500 from C2
    assert found["total_equity"] == found["retained"] == D("1000.00")
    labels = {cell for line in printed.lines for cell in line.cells if isinstance(cell, str)}
    assert {"流动资产合计", "非流动资产合计", "负债合计", "所有者权益合计"} <= labels
    assert [line.strong for line in printed.lines if line.cells[0] == "流动资产合计"] == [
        frozenset({0, 1, 2})]  # bold, beside the other side's ordinary line
    ws = load_workbook(io.BytesIO(statement_files.to_xlsx(printed))).active
    assert ws is not None
    cells = next(row for row in ws.iter_rows() if row[0].value == "流动资产合计")
    assert [c.font.bold for c in cells[:4]] == [True, True, True, False]
    html = ReportRegistry.for_environment(world.env)
    with world.uow(readonly=True) as s:
        page = html.render_html("balance_sheet", 202603, s, "zh_CN")
    assert '<td class=" strong">流动资产合计</td>' in page
