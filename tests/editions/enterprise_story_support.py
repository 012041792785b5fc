"""What the Enterprise story (test_enterprise_story.py) needs: the shop's clock, its people
signed in with their roles, the GraphQL documents it sends, and the ledger as the
accountant reads it — vouchers, trial balance, statements and the 用友 voucher file.

No test is collected from this module.
"""

from __future__ import annotations

import base64
import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from openjxc.addons.base_jxc.stock import posting
from openjxc.core import formatting
from openjxc.core import models as core_models
from openjxc.core.env import Environment
from openjxc.core.formatting import company_date
from openjxc.core.security import authenticate, create_token, create_user
from openjxc.testing.graphql import GraphQLTester

PASSWORD = "story-pass-2026"
D = Decimal


# -- the shop's clock -----------------------------------------------------------------------

class _AnyDatetime(type):
    """Real datetimes still pass ``isinstance(x, datetime)`` in the patched modules."""

    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, datetime)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, datetime)


class Clock:
    """The business day: every "now" and "today" the code reads (the company's today,
    ``company_date`` and ``utcnow``) follows :meth:`move_to`."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, timezone: str) -> None:
        self.offset = timedelta(0)
        self.timezone = timezone
        clock = self

        class Moved(datetime, metaclass=_AnyDatetime):
            @classmethod
            def now(cls, tz: Any = None) -> Any:
                return datetime.now(tz) + clock.offset

        for module in (posting, formatting, core_models):
            monkeypatch.setattr(module, "datetime", Moved)

    def move_to(self, day: date) -> None:
        self.offset = timedelta(0)
        self.offset = day - company_date(self.timezone)
        assert company_date(self.timezone) == day


# -- people ---------------------------------------------------------------------------------

def person(api: GraphQLTester, env: Environment, username: str,
           roles: list[str]) -> GraphQLTester:
    """A user with these roles, signed in: the client acts with what the roles grant."""
    with env.unit_of_work() as session:
        create_user(session, env, username, PASSWORD, roles=roles)
    with env.unit_of_work() as session:
        token = create_token(session, env, username, PASSWORD).token
        principal = authenticate(session, env, token)
    assert principal is not None
    client = api.anonymous()
    client.principal = dataclasses.replace(principal, locale=api.locale)
    return client


# -- sending --------------------------------------------------------------------------------

def mutation(name: str, input_type: str, body: str) -> str:
    return (f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {body} "
            f"errors {{ field code message }} }} }}")


def ok(api: GraphQLTester, query: str, **input: Any) -> dict[str, Any]:
    """Run a mutation that must succeed; its payload."""
    (payload,) = api.ok(query, {"input": input}).values()
    assert payload["errors"] == [], payload["errors"]
    return payload  # type: ignore[no-any-return]


def refused(api: GraphQLTester, query: str, **input: Any) -> list[str]:
    """Run a mutation that must be refused in its payload; the error codes."""
    (payload,) = api.ok(query, {"input": input}).values()
    assert payload["errors"], "the mutation was expected to be refused"
    return [e["code"] for e in payload["errors"]]


CATEGORY_CREATE = mutation("categoryCreate", "CategoryCreateInput", "category { code }")
PRODUCT_CREATE = mutation("productCreate", "ProductCreateInput", "product { code }")
WAREHOUSE_CREATE = mutation("warehouseCreate", "WarehouseCreateInput", "warehouse { code }")
PARTNER_CREATE = mutation("partnerCreate", "PartnerCreateInput", "partner { code }")
PO_CREATE = mutation("purchaseOrderCreate", "PurchaseOrderCreateInput",
                     "purchaseOrder { id number amountTotal approvalsRequired lines { id } }")
PO_APPROVE = mutation("purchaseOrderApprove", "PurchaseOrderApproveInput",
                      "purchaseOrder { state }")
PO_RECEIVE = mutation("purchaseOrderReceive", "PurchaseOrderReceiveInput",
                      "purchaseOrder { state } purchaseReceipt { number }")
PO_INVOICE = mutation("purchaseOrderInvoice", "PurchaseOrderInvoiceInput",
                      "invoice { id number invoiceDate amountUntaxed amountTax amountTotal }")
SO_CREATE = mutation("salesOrderCreate", "SalesOrderCreateInput",
                     "salesOrder { id number amountTotal lines { id } }")
SO_CONFIRM = mutation("salesOrderConfirm", "SalesOrderConfirmInput",
                      "creditLimitExceeded salesOrder { state }")
SO_DELIVER = mutation("salesOrderDeliver", "SalesOrderDeliverInput",
                      "salesDelivery { number } salesOrder { state }")
SO_INVOICE = mutation("salesOrderInvoice", "SalesOrderInvoiceInput",
                      "invoice { id number invoiceDate amountUntaxed amountTax amountTotal }")
INVOICE_CREATE = mutation("invoiceCreate", "InvoiceCreateInput", "invoice { number }")
PAYMENT_CREATE = mutation("paymentCreate", "PaymentCreateInput",
                          "payment { number paymentDate amount amountAllocated }")
COUNT_START = mutation("stockCountStart", "StockCountStartInput", "stockCount { number }")
COUNT_RECORD = mutation("stockCountRecord", "StockCountRecordInput", "stockCount { number }")
COUNT_POST = mutation("stockCountPost", "StockCountPostInput",
                      "stockCount { state postedOn }")
CAPITALIZE = mutation("assetCapitalizeSerial", "AssetCapitalizeSerialInput",
                      "asset { code cost acquiredOn }")
ASSET_CREATE = mutation("assetCreate", "AssetCreateInput", "asset { code }")
DEPRECIATION_RUN = mutation("depreciationRun", "DepreciationRunInput",
                            "result { period postedLines bookTotal }")
VOUCHER_REVERSE = mutation("voucherReverse", "VoucherReverseInput",
                           "voucher { id number voucherDate isReversal total }")
PERIOD_CLOSE = mutation("periodClose", "PeriodCloseInput", "period { period closed }")
VOUCHER_EXPORT = mutation("voucherExport", "VoucherExportInput",
                          "file { filename contentType contentBase64 vouchers rows }")


# -- reading the ledger ---------------------------------------------------------------------

VOUCHERS = """query($period: String!, $after: String) {
  vouchers(filter: {period: $period}, first: 100, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id number period voucherDate summary sourceType reference total isReversal
      lines { sequence accountCode summary debit credit customerCode supplierCode department
              project } } } } }"""


def vouchers(api: GraphQLTester, period: str) -> list[dict[str, Any]]:
    """Every voucher of a month, by number (all pages)."""
    found: list[dict[str, Any]] = []
    after: str | None = None
    while True:
        page = api.ok(VOUCHERS, {"period": period, "after": after})["vouchers"]
        found += [e["node"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            assert len(found) == page["totalCount"]
            return found
        after = page["pageInfo"]["endCursor"]


@dataclass
class TrialBalance:
    """A month's 科目余额表: per account code, (opening, debit, credit, closing)."""

    rows: dict[str, tuple[Decimal, Decimal, Decimal, Decimal]]
    levels: dict[str, int]

    def opening(self, *codes: str) -> Decimal:
        return sum((self.rows[c][0] for c in codes if c in self.rows), D("0.00"))

    def closing(self, *codes: str) -> Decimal:
        return sum((self.rows[c][3] for c in codes if c in self.rows), D("0.00"))

    def moved(self, *codes: str) -> Decimal:
        """Debit minus credit of the month."""
        return sum((self.rows[c][1] - self.rows[c][2] for c in codes if c in self.rows),
                   D("0.00"))

    def first_level(self) -> dict[str, tuple[Decimal, Decimal, Decimal, Decimal]]:
        return {c: r for c, r in self.rows.items() if self.levels[c] == 1}


def trial_balance(api: GraphQLTester, period: str) -> TrialBalance:
    rows = api.ok("""query($p: String!) { trialBalance(period: $p) { accountCode level
        opening debit credit closing } }""", {"p": period})["trialBalance"]
    return TrialBalance(
        rows={r["accountCode"]: (D(r["opening"]), D(r["debit"]), D(r["credit"]),
                                 D(r["closing"])) for r in rows},
        levels={r["accountCode"]: r["level"] for r in rows})


def statement(api: GraphQLTester, name: str, period: str) -> dict[str, Decimal]:
    """``balanceSheet`` / ``incomeStatement`` / ``cashFlowStatement``: key → amount (and
    ``<key>.ytd`` → year to date where the statement gives it)."""
    rows = api.ok(f"""query($p: String!) {{ {name}(period: $p) {{ key amount yearToDate }}
        }}""", {"p": period})[name]
    found = {r["key"]: D(r["amount"]) for r in rows}
    found.update({f"{r['key']}.ytd": D(r["yearToDate"]) for r in rows
                  if r["yearToDate"] is not None})
    return found


def first_level_categories(api: GraphQLTester) -> dict[str, str]:
    page = api.ok("""{ accounts(filter: {level: 1}, first: 100) { pageInfo { hasNextPage }
        edges { node { code category } } } }""")["accounts"]
    assert not page["pageInfo"]["hasNextPage"]
    return {e["node"]["code"]: e["node"]["category"] for e in page["edges"]}


def stock_value(api: GraphQLTester, day: date) -> Decimal:
    rows = api.ok("query($d: Date!) { stockAsOf(date: $d) { quantity value } }",
                  {"d": str(day)})["stockAsOf"]
    assert all(r["value"] is not None for r in rows)
    return sum((D(r["value"]) for r in rows), D("0.00"))


# -- the 用友 file ---------------------------------------------------------------------------

@dataclass(frozen=True)
class U8Line:
    """One 分录 of a 用友 T3/U8 ``填制凭证,V800`` file (see accounting_bridge.exports)."""

    day: str
    word: str
    number: int
    summary: str
    account: str
    debit: Decimal
    credit: Decimal
    department: str
    customer: str
    supplier: str
    project: str


def u8_lines(content_base64: str) -> list[U8Line]:
    text = base64.b64decode(content_base64).decode("gbk")
    assert text.endswith("\r\n")
    header, *rows = text[:-2].split("\r\n")
    assert header == "填制凭证,V800"
    found = []
    for row in rows:
        cells = row.split(",")
        found.append(U8Line(day=cells[0], word=cells[1], number=int(cells[2]),
                            summary=cells[4], account=cells[5], debit=D(cells[6]),
                            credit=D(cells[7]), department=cells[15], customer=cells[17],
                            supplier=cells[18], project=cells[20]))
    return found


def u8_expected(voucher_list: list[dict[str, Any]], word: str = "记") -> list[U8Line]:
    """What the file must hold for these vouchers, line by line."""
    return [U8Line(day=v["voucherDate"], word=word, number=int(v["number"].rsplit("-", 1)[1]),
                   summary=line["summary"].replace(",", "，")[:60],
                   account=line["accountCode"], debit=D(line["debit"]),
                   credit=D(line["credit"]), department=line["department"],
                   customer=line["customerCode"] or "", supplier=line["supplierCode"] or "",
                   project=line["project"])
            for v in voucher_list for line in sorted(v["lines"], key=lambda x: x["sequence"])]


# -- the auditor's checks -------------------------------------------------------------------

CASH = ("1001", "1002", "1012")
STOCK = "1405"
PROFIT_LOSS = "profit_loss"


def month_end(period: str) -> date:
    year, month = (int(x) for x in period.split("-"))
    following = date(year + month // 12, month % 12 + 1, 1)
    return following - timedelta(days=1)


def check_vouchers(voucher_list: list[dict[str, Any]]) -> Decimal:
    """Every voucher balances, each line on one side; the month's Σ totals."""
    for v in voucher_list:
        debit = sum((D(x["debit"]) for x in v["lines"]), D("0.00"))
        credit = sum((D(x["credit"]) for x in v["lines"]), D("0.00"))
        assert debit == credit == D(v["total"]), v
        assert all((D(x["debit"]) == 0) != (D(x["credit"]) == 0) for x in v["lines"]), v
    return sum((D(v["total"]) for v in voucher_list), D("0.00"))


def check_the_books(ledger: GraphQLTester, controller: GraphQLTester,
                    months: tuple[str, ...]) -> None:
    """The months (consecutive, the book's first ones, one year) tie out: vouchers, trial
    balance, the three statements and the stock ledger."""
    categories = first_level_categories(ledger)
    closing_before: dict[str, Decimal] = {}
    year_to_date = D("0.00")
    for period in months:
        posted = check_vouchers(vouchers(ledger, period))
        tb = trial_balance(ledger, period)
        first = tb.first_level()
        zero = D("0.00")
        # Σ debit = Σ credit for the opening, the month and the closing columns.
        assert sum((r[0] for r in first.values()), zero) == zero, period
        assert sum((r[1] for r in first.values()), zero) == posted, period
        assert sum((r[2] for r in first.values()), zero) == posted, period
        assert sum((r[3] for r in first.values()), zero) == zero, period
        assert {c: r[0] for c, r in first.items() if r[0]} == {
            c: v for c, v in closing_before.items() if v}, period
        closing_before = {c: r[3] for c, r in first.items()}

        # The income statement's net profit is what the profit-and-loss accounts moved.
        income = statement(ledger, "incomeStatement", period)
        profit = -sum((r[1] - r[2] for c, r in first.items()
                       if categories[c] == PROFIT_LOSS), zero)
        year_to_date += profit
        assert (income["net_profit"], income["net_profit.ytd"]) == (profit, year_to_date)

        # The balance sheet balances, its profit being the year's; its cash is the
        # cash accounts'.
        sheet = statement(ledger, "balanceSheet", period)
        assert sheet["total_assets"] == sheet["total_liabilities_equity"], (period, sheet)
        assert sheet["retained"] == year_to_date, period
        assert sheet["cash"] == tb.closing(*CASH), period

        # The cash flow's net change is what the cash accounts moved, all of it classified
        # by activity (every cash voucher of the story comes from a document).
        flows = statement(ledger, "cashFlowStatement", period)
        assert flows["net_change"] == tb.moved(*CASH), (period, flows)
        assert (flows["beginning_cash"], flows["ending_cash"]) == (
            tb.opening(*CASH), tb.closing(*CASH)), (period, flows)
        assert flows["unclassified"] == zero, (period, flows)
        assert flows["net_operating"] + flows["net_investing"] + flows["net_financing"] == (
            flows["net_change"]), (period, flows)

        # The stock account is the stock ledger's value at the month's end.
        assert tb.closing(STOCK) == stock_value(controller, month_end(period)), period
