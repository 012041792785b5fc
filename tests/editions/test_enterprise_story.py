"""The Enterprise edition's story, told through the GraphQL API: a quarter in the books.

杭州东机机电 buys three YE3 motors and a hundred bearings in June 2026, pays the supplier,
sells a motor and thirty bearings to a water company and is paid; the month-end count
finds two bearings missing; the company keeps a motor as its demo unit (a fixed asset of
the sales department).  The bank returns the supplier transfer (wrong account), so the
ledger accountant reverses its voucher.  June is closed; the demo motor depreciates in
July, August and September.  Then the books are read the way an auditor would: every
voucher balances, the trial balance balances, the statements tie out to the ledger, the
stock account equals the stock ledger's value, nothing posts into June any more, and the
用友 voucher file holds exactly June's vouchers.

Every step is done by the person whose job it is, with their role's permissions; the
owner (admin) only sets up master data.  The shop's clock (:class:`Clock`) walks through
the business days, so documents dated "today" — the count, the receipts — fall in June.

The numbers (tax-exclusive prices, VAT 13 %):

* bought: 3 motors × 3,000.00 + 100 bearings × 20.00 = 11,000.00 + VAT 1,430.00
  = 12,430.00 (above 5,000.00: two approvals); invoiced and paid 12,430.00, the payment's
  voucher reversed;
* sold: 1 motor × 4,800.00 + 30 bearings × 35.00 = 5,850.00 + VAT 760.50 = 6,610.50,
  received in full; cost of sales 3,000.00 + 600.00 = 3,600.00 → June's profit 2,250.00;
* count: 68 bearings instead of 70 → 40.00 to 待处理财产损溢;
* demo motor YE3-0002: 3,000.00, 机器设备 120 months, 5 % residual → 23.75 a month to
  销售费用 from July: the quarter's profit is 2,250.00 − 3 × 23.75 = 2,178.75;
* September's balance sheet: bank 6,610.50 + stock 4,360.00 + fixed assets 2,928.75 +
  pending loss 40.00 = 13,939.25 = payable 12,430.00 − VAT receivable 669.50 + profit
  2,178.75.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from argon2 import PasswordHasher, Type
from enterprise_story_support import (
    ASSET_CREATE,
    CAPITALIZE,
    CATEGORY_CREATE,
    COUNT_POST,
    COUNT_RECORD,
    COUNT_START,
    DEPRECIATION_RUN,
    INVOICE_CREATE,
    PARTNER_CREATE,
    PAYMENT_CREATE,
    PERIOD_CLOSE,
    PO_APPROVE,
    PO_CREATE,
    PO_INVOICE,
    PO_RECEIVE,
    PRODUCT_CREATE,
    SO_CONFIRM,
    SO_CREATE,
    SO_DELIVER,
    SO_INVOICE,
    VOUCHER_EXPORT,
    VOUCHER_REVERSE,
    WAREHOUSE_CREATE,
    Clock,
    check_the_books,
    ok,
    person,
    refused,
    statement,
    stock_value,
    trial_balance,
    u8_expected,
    u8_lines,
    vouchers,
)

from openjxc.core.env import Environment
from openjxc.core.security import passwords
from openjxc.testing.fixtures import create_test_database
from openjxc.testing.graphql import GraphQLTester

MOTOR, BEARING = "YE3-132S-4", "6205-2RS"
D = Decimal
JUNE, JULY, AUGUST, SEPTEMBER = "2026-06", "2026-07", "2026-08", "2026-09"
MONTHS = (JUNE, JULY, AUGUST, SEPTEMBER)


@dataclass
class Company:
    env: Environment
    clock: Clock
    owner: GraphQLTester  # 老板: master data only (admin)
    purchaser: GraphQLTester  # 采购员
    purchase_manager: GraphQLTester  # 采购经理: first approval
    general_manager: GraphQLTester  # 总经理: second approval above the threshold
    clerk: GraphQLTester  # 仓管员: receives, ships, scans the count
    count_supervisor: GraphQLTester  # 盘点主管: opens and posts the count
    salesperson: GraphQLTester  # 销售员
    accountant: GraphQLTester  # 往来会计: invoices and payments
    asset_accountant: GraphQLTester  # 固定资产会计
    ledger: GraphQLTester  # 总账会计: vouchers, close, export
    controller: GraphQLTester  # 成本会计: the stock ledger's value
    ids: dict[str, Any]


def test_a_quarter_in_the_books(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    company = _open_the_company(database_url, monkeypatch)
    try:
        _buy(company)
        _sell(company)
        _count(company)
        _keep_a_demo_motor(company)
        _correct_the_supplier_payment(company)
        _close_june(company)
        _depreciate_the_quarter(company)
        check_the_books(company.ledger, company.controller, MONTHS)
        _check_the_story_numbers(company)
        _export_june(company)
    finally:
        company.env.database.dispose()


def _on(company: Company, day: str) -> None:
    company.clock.move_to(date.fromisoformat(day))


def _buy(company: Company) -> None:
    _on(company, "2026-06-02")
    po = ok(company.purchaser, PO_CREATE, supplierCode="S-DC", warehouseCode="HZ", lines=[
        {"productCode": MOTOR, "quantity": "3", "unitPrice": "3000"},
        {"productCode": BEARING, "quantity": "100", "unitPrice": "20"}])["purchaseOrder"]
    assert (po["amountTotal"], po["approvalsRequired"]) == ("12430.00", 2)
    ok(company.purchase_manager, PO_APPROVE, id=po["id"])
    ok(company.general_manager, PO_APPROVE, id=po["id"])
    _on(company, "2026-06-03")
    motors, bearings = (line["id"] for line in po["lines"])
    received = ok(company.clerk, PO_RECEIVE, id=po["id"], lines=[
        {"orderLineId": motors, "quantity": "3",
         "serials": ["YE3-0001", "YE3-0002", "YE3-0003"]},
        {"orderLineId": bearings, "quantity": "100"}])
    assert received["purchaseOrder"]["state"] == "RECEIVED"

    _on(company, "2026-06-05")
    bill = ok(company.accountant, PO_INVOICE, id=po["id"], externalNumber="33010000-0601")
    assert bill["invoice"]["amountTotal"] == "12430.00"
    assert bill["invoice"]["invoiceDate"] == "2026-06-05"
    _on(company, "2026-06-10")
    paid = ok(company.accountant, PAYMENT_CREATE, partnerCode="S-DC", direction="PAYABLE",
              amount="12430.00", method="BANK", allocations=[
                  {"invoiceId": bill["invoice"]["id"], "amount": "12430.00"}])["payment"]
    assert (paid["paymentDate"], paid["amountAllocated"]) == ("2026-06-10", "12430.00")
    company.ids["supplier_payment"] = paid["number"]


def _sell(company: Company) -> None:
    _on(company, "2026-06-15")
    order = ok(company.salesperson, SO_CREATE, customerCode="C-BJ", warehouseCode="HZ",
               lines=[{"productCode": MOTOR, "quantity": "1", "unitPrice": "4800"},
                      {"productCode": BEARING, "quantity": "30", "unitPrice": "35"}],
               )["salesOrder"]
    assert order["amountTotal"] == "6610.50"
    confirmed = ok(company.salesperson, SO_CONFIRM, id=order["id"])
    assert confirmed["salesOrder"]["state"] == "CONFIRMED"
    _on(company, "2026-06-16")
    motor, bearings = (line["id"] for line in order["lines"])
    shipped = ok(company.clerk, SO_DELIVER, id=order["id"], lines=[
        {"orderLineId": motor, "serials": ["YE3-0001"]},
        {"orderLineId": bearings, "quantity": "30"}])
    assert shipped["salesOrder"]["state"] == "DELIVERED"
    invoice = ok(company.accountant, SO_INVOICE, id=order["id"])["invoice"]
    assert (invoice["invoiceDate"], invoice["amountUntaxed"], invoice["amountTax"],
            invoice["amountTotal"]) == ("2026-06-16", "5850.00", "760.50", "6610.50")
    _on(company, "2026-06-25")
    ok(company.accountant, PAYMENT_CREATE, partnerCode="C-BJ", direction="RECEIVABLE",
       amount="6610.50", method="BANK",
       allocations=[{"invoiceId": invoice["id"], "amount": "6610.50"}])


def _count(company: Company) -> None:
    _on(company, "2026-06-28")
    number = ok(company.count_supervisor, COUNT_START, warehouseCode="HZ",
                scope="FULL")["stockCount"]["number"]
    ok(company.clerk, COUNT_RECORD, number=number, entries=[
        {"locationCode": "HZ/STOCK", "code": "YE3-0002"},
        {"locationCode": "HZ/STOCK", "code": "YE3-0003"},
        {"locationCode": "HZ/STOCK", "code": BEARING, "quantity": "68"}])
    posted = ok(company.count_supervisor, COUNT_POST, number=number)["stockCount"]
    assert (posted["state"], posted["postedOn"]) == ("POSTED", "2026-06-28")


def _keep_a_demo_motor(company: Company) -> None:
    _on(company, "2026-06-30")
    asset = ok(company.asset_accountant, CAPITALIZE, serialNumber="YE3-0002",
               name="展示样机 YE3-132S-4", categoryCode="MACHINERY", department="销售部",
               idempotencyKey="demo-motor")["asset"]
    assert (asset["cost"], asset["acquiredOn"]) == ("3000.00", "2026-06-30")
    company.ids["asset"] = asset["code"]


def _correct_the_supplier_payment(company: Company) -> None:
    # The bank returns the supplier transfer (wrong account number): the ledger
    # accountant reverses the payment's voucher — a red voucher in June, same date.
    payment = [v for v in vouchers(company.ledger, JUNE)
               if v["reference"] == company.ids["supplier_payment"]]
    assert len(payment) == 1
    red = ok(company.ledger, VOUCHER_REVERSE, voucherId=payment[0]["id"],
             idempotencyKey="bank-return-0610")["voucher"]
    assert (red["voucherDate"], red["isReversal"], red["total"]) == (
        "2026-06-10", True, "-12430.00")
    company.ids["red"] = red["number"]
    # Reversing twice is refused.
    assert refused(company.ledger, VOUCHER_REVERSE,
                   voucherId=payment[0]["id"]) == ["ALREADY_REVERSED"]


def _close_june(company: Company) -> None:
    closed = ok(company.ledger, PERIOD_CLOSE, period=JUNE)["period"]
    assert closed == {"period": JUNE, "closed": True}
    before = vouchers(company.ledger, JUNE)
    _on(company, "2026-07-01")
    # Nothing posts into June any more: not a red voucher, not depreciation, not an asset.
    sale = next(v for v in before if v["sourceType"] == "sales.invoice")
    assert refused(company.ledger, VOUCHER_REVERSE, voucherId=sale["id"]) == [
        "PERIOD_CLOSED"]
    assert refused(company.asset_accountant, DEPRECIATION_RUN, period=JUNE) == [
        "PERIOD_CLOSED"]
    assert refused(company.asset_accountant, ASSET_CREATE, name="叉车",
                   categoryCode="VEHICLES", cost="50000", acquiredOn="2026-06-20") == [
        "PERIOD_CLOSED"]
    assert refused(company.ledger, PERIOD_CLOSE, period=JUNE) == ["PERIOD_CLOSED"]
    assert vouchers(company.ledger, JUNE) == before


def _depreciate_the_quarter(company: Company) -> None:
    for month, last_day in ((JULY, "2026-07-31"), (AUGUST, "2026-08-31"),
                            (SEPTEMBER, "2026-09-30")):
        _on(company, last_day)
        result = ok(company.asset_accountant, DEPRECIATION_RUN, period=month,
                    idempotencyKey=f"dep-{month}")["result"]
        assert (result["period"], result["bookTotal"]) == (month, "23.75")
        (voucher,) = vouchers(company.ledger, month)
        assert voucher["voucherDate"] == last_day
        assert [(x["accountCode"], x["debit"], x["credit"], x["department"])
                for x in voucher["lines"]] == [("5601", "23.75", "0.00", "销售部"),
                                               ("1602", "0.00", "23.75", "")]
        # Running the month again posts nothing.
        again = ok(company.asset_accountant, DEPRECIATION_RUN, period=month)["result"]
        assert again["postedLines"] == 0
        assert len(vouchers(company.ledger, month)) == 1


def _check_the_story_numbers(company: Company) -> None:
    june = trial_balance(company.ledger, JUNE)
    # Bank: the customer's 6,610.50 in; the supplier's 12,430.00 out and back.
    assert june.closing("1002") == D("6610.50")
    assert june.closing("1405") == D("4360.00")  # YE3-0003 and 68 bearings
    assert june.closing("1402") == D("0.00")  # received and invoiced
    assert june.closing("1601") == D("3000.00")
    assert june.closing("1901") == D("40.00")
    assert june.closing("2202") == D("-12430.00")  # owed again after the reversal
    assert stock_value(company.controller, date(2026, 6, 30)) == D("4360.00")
    income = statement(company.ledger, "incomeStatement", JUNE)
    assert (income["revenue"], income["cost"], income["net_profit"]) == (
        D("5850.00"), D("3600.00"), D("2250.00"))

    sheet = statement(company.ledger, "balanceSheet", SEPTEMBER)
    assert {k: sheet[k] for k in ("cash", "inventories", "fixed_assets", "pending",
                                  "total_assets", "payables", "taxes", "retained",
                                  "total_liabilities_equity")} == {
        "cash": D("6610.50"), "inventories": D("4360.00"), "fixed_assets": D("2928.75"),
        "pending": D("40.00"), "total_assets": D("13939.25"), "payables": D("12430.00"),
        "taxes": D("-669.50"), "retained": D("2178.75"),
        "total_liabilities_equity": D("13939.25")}
    # The asset register and the ledger agree: 固定资产 and 累计折旧 are the cards'.
    (card,) = (e["node"] for e in company.ledger.ok("""{ assets(first: 10) { edges { node {
        code serialNumber cost accumulatedDepreciation netBookValue } } } }""")["assets"]["edges"])
    assert card == {"code": company.ids["asset"], "serialNumber": "YE3-0002",
                    "cost": "3000.00", "accumulatedDepreciation": "71.25",
                    "netBookValue": "2928.75"}
    quarter = trial_balance(company.ledger, SEPTEMBER)
    assert (quarter.closing("1601"), quarter.closing("1602")) == (D("3000.00"), D("-71.25"))
    september = statement(company.ledger, "incomeStatement", SEPTEMBER)
    assert (september["net_profit"], september["net_profit.ytd"]) == (
        D("-23.75"), D("2178.75"))
    # Cash from customers 6,610.50; paid to suppliers: nothing, the transfer came back.
    flows = statement(company.ledger, "cashFlowStatement", JUNE)
    assert (flows["CF01"], flows["CF04"], flows["net_operating"], flows["net_change"]) == (
        D("6610.50"), D("0.00"), D("6610.50"), D("6610.50"))


def _export_june(company: Company) -> None:
    june = vouchers(company.ledger, JUNE)
    # receipt, supplier invoice, payment, its red reversal, delivery, sales invoice,
    # customer receipt, count, capitalisation.
    assert len(june) == 9
    assert sum(v["isReversal"] for v in june) == 1
    exported = ok(company.ledger, VOUCHER_EXPORT, period=JUNE, format="U8_TXT")["file"]
    assert exported["filename"].endswith(".txt")
    lines = u8_lines(exported["contentBase64"])
    assert lines == u8_expected(june)
    assert (exported["vouchers"], exported["rows"]) == (len(june), len(lines))
    assert sorted({x.number for x in lines}) == sorted(
        int(v["number"].rsplit("-", 1)[1]) for v in june)
    red = [x for x in lines if x.number == int(company.ids["red"].rsplit("-", 1)[1])]
    assert sorted((x.account, x.debit, x.credit) for x in red) == [
        ("1002", D("0.00"), D("-12430.00")), ("2202", D("-12430.00"), D("0.00"))]
    assert [x.supplier for x in red if x.account == "2202"] == ["S-DC"]


# A voucher refused by the ledger (a document dated in a closed month) refuses the document
# itself with PERIOD_CLOSED, in the document's own payload, nothing changed.
def test_documents_dated_in_a_closed_month_are_refused_clearly(
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    company = _open_the_company(database_url, monkeypatch)
    try:
        _on(company, "2026-06-02")
        po = ok(company.purchaser, PO_CREATE, supplierCode="S-DC", warehouseCode="HZ",
                lines=[{"productCode": BEARING, "quantity": "10", "unitPrice": "20"}],
                )["purchaseOrder"]
        ok(company.purchase_manager, PO_APPROVE, id=po["id"])
        ok(company.ledger, PERIOD_CLOSE, period=JUNE)
        _on(company, "2026-07-01")
        receipt = {"id": po["id"], "receiptDate": "2026-06-30",
                   "lines": [{"orderLineId": po["lines"][0]["id"], "quantity": "10"}]}
        invoice = {"partnerCode": "C-BJ", "direction": "RECEIVABLE",
                   "invoiceDate": "2026-06-30",
                   "lines": [{"description": "安装费", "quantity": "1", "unitPrice": "100"}]}
        payment = {"partnerCode": "C-BJ", "direction": "RECEIVABLE",
                   "paymentDate": "2026-06-30", "amount": "100.00"}
        for who, document, given in ((company.clerk, PO_RECEIVE, receipt),
                                     (company.accountant, INVOICE_CREATE, invoice),
                                     (company.accountant, PAYMENT_CREATE, payment)):
            assert refused(who, document, **given) == ["PERIOD_CLOSED"]
        assert vouchers(company.ledger, JUNE) == []
        assert stock_value(company.controller, date(2026, 6, 30)) == D("0.00")
    finally:
        company.env.database.dispose()


# -- the company ----------------------------------------------------------------------------

def _open_the_company(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Company:
    monkeypatch.setattr(passwords, "HASHER", PasswordHasher(
        time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID))
    env = Environment.for_edition("enterprise", database_url=database_url)
    assert {"accounting_bridge", "depreciation"} <= set(env.addon_names)
    create_test_database(env)
    clock = Clock(monkeypatch, env.settings.timezone)
    clock.move_to(date(2026, 6, 1))
    api = GraphQLTester(env)
    owner = person(api, env, "lao.ban", ["admin"])
    ok(owner, CATEGORY_CREATE, code="DJ", name="电机")
    ok(owner, CATEGORY_CREATE, code="ZC", name="轴承")
    ok(owner, PRODUCT_CREATE, code=MOTOR, name="YE3 三相异步电动机 5.5kW 4极",
       categoryCode="DJ", tracking="SERIAL", listPrice="4800", standardPrice="3000")
    ok(owner, PRODUCT_CREATE, code=BEARING, name="深沟球轴承 6205-2RS", categoryCode="ZC",
       listPrice="35", standardPrice="20")
    ok(owner, WAREHOUSE_CREATE, code="HZ", name="杭州总仓")
    ok(owner, PARTNER_CREATE, code="S-DC", name="浙江东驰电机有限公司", kind="SUPPLIER",
       paymentTermsDays=30)
    ok(owner, PARTNER_CREATE, code="C-BJ", name="杭州市滨江水务有限公司", kind="CUSTOMER",
       paymentTermsDays=30, creditLimit="50000")
    return Company(
        env=env, clock=clock, owner=owner,
        purchaser=person(api, env, "li.caigou", ["purchaser"]),
        purchase_manager=person(api, env, "qian.jingli", ["purchase_manager"]),
        general_manager=person(api, env, "zhao.zongjian", ["purchase_manager"]),
        clerk=person(api, env, "chen.cangguan", ["warehouse_clerk"]),
        count_supervisor=person(api, env, "he.pandian", ["count_supervisor"]),
        salesperson=person(api, env, "zhou.xiaoshou", ["salesperson"]),
        accountant=person(api, env, "sun.caiwu", ["accountant"]),
        asset_accountant=person(api, env, "ma.zichan", ["asset_accountant"]),
        ledger=person(api, env, "wu.zongzhang", ["ledger_accountant"]),
        controller=person(api, env, "zheng.chengben", ["stock_controller"]),
        ids={})
