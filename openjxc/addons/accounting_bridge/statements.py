"""The three statements from the balances kept at posting, in the book's standard.

* balance sheet (资产负债表) at a month's end: assets debit-positive, liabilities and equity
  credit-positive; 未分配利润 takes 本年利润, 利润分配 and the profit not yet carried
  forward, so the two sides are equal;
* income statement (利润表) of the month and of the year to date;
* cash flow (现金流量表), simplified direct method: cash and bank movements of the month
  classified by the document that caused them (receipts from customers, payments to
  suppliers, asset disposals and purchases, other).

Lines name accounts by their standard names (``charts.FIRST_LEVEL``), so one layout
serves both charts; an account the chart lacks counts nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openjxc.core.i18n import LazyString, _

from . import charts, mapping
from .books import book
from .ledger import ZERO, month_start
from .models import Account, AccountBalance, Voucher, VoucherLine


@dataclass
class StatementRow:
    key: str
    label: LazyString
    amount: Decimal
    year_to_date: Decimal | None = None


def _codes(standard: str) -> dict[str, str]:
    return {t.name: code for t in charts.FIRST_LEVEL
            if (code := t.code(standard)) is not None}


def _first_level_totals(session: Session, since: date | None, through: date,
                        ) -> dict[str, Decimal]:
    """Debit minus credit per first-level code over the months given."""
    first = func.substr(Account.code, 1, 4)
    stmt = (select(first, func.sum(AccountBalance.debit - AccountBalance.credit))
            .join(Account, Account.id == AccountBalance.account_id)
            .where(AccountBalance.period <= through).group_by(first))
    if since is not None:
        stmt = stmt.where(AccountBalance.period >= since)
    return {code: Decimal(total or 0) for code, total in session.execute(stmt)}


BALANCE_ASSETS: tuple[tuple[str, LazyString, tuple[str, ...]], ...] = (
    ("cash", _("Cash and cash equivalents"), ("库存现金", "银行存款", "其他货币资金")),
    ("notes_receivable", _("Notes receivable"), ("应收票据",)),
    ("receivables", _("Accounts receivable"), ("应收账款", "坏账准备")),
    ("prepayments", _("Prepayments"), ("预付账款",)),
    ("other_receivables", _("Other receivables"), ("其他应收款",)),
    ("inventories", _("Inventories"), ("在途物资", "原材料", "库存商品", "发出商品", "周转材料",
                                       "存货跌价准备", "生产成本", "制造费用")),
    ("fixed_assets", _("Fixed assets, net"), ("固定资产", "累计折旧", "固定资产减值准备")),
    ("construction", _("Construction in progress"), ("在建工程",)),
    ("disposals", _("Fixed assets pending disposal"), ("固定资产清理",)),
    ("intangibles", _("Intangible assets, net"), ("无形资产", "累计摊销")),
    ("pending", _("Assets pending write-off"), ("待处理财产损溢",)),
)
BALANCE_CLAIMS: tuple[tuple[str, LazyString, tuple[str, ...]], ...] = (
    ("short_loans", _("Short-term loans"), ("短期借款",)),
    ("notes_payable", _("Notes payable"), ("应付票据",)),
    ("payables", _("Accounts payable"), ("应付账款",)),
    ("advances", _("Advances from customers"), ("预收账款",)),
    ("payroll", _("Payroll payable"), ("应付职工薪酬",)),
    ("taxes", _("Taxes payable"), ("应交税费",)),
    ("other_payables", _("Other payables"), ("其他应付款",)),
    ("capital", _("Paid-in capital"), ("实收资本",)),
    ("capital_reserve", _("Capital reserve"), ("资本公积",)),
    ("surplus_reserve", _("Surplus reserve"), ("盈余公积",)),
)
PROFIT_LOSS = charts.PROFIT_LOSS


def balance_sheet(session: Session, period: date) -> list[StatementRow]:
    codes = _codes(book(session).standard)
    totals = _first_level_totals(session, None, month_start(period))

    def raw(names: tuple[str, ...]) -> Decimal:
        return sum((totals.get(codes.get(n, ""), ZERO) for n in names), ZERO)

    rows = [StatementRow(key, label, raw(names)) for key, label, names in BALANCE_ASSETS]
    assets = sum((r.amount for r in rows), ZERO)
    rows.append(StatementRow("total_assets", _("Total assets"), assets))
    claims = [StatementRow(key, label, -raw(names)) for key, label, names in BALANCE_CLAIMS]
    profit_loss = {t.code(book(session).standard) for t in charts.FIRST_LEVEL
                   if t.category == PROFIT_LOSS}
    retained = -(raw(("本年利润", "利润分配"))
                 + sum((v for c, v in totals.items() if c in profit_loss), ZERO))
    claims.append(StatementRow("retained", _("Undistributed profit"), retained))
    claims.append(StatementRow("total_liabilities_equity",
                               _("Total liabilities and owners' equity"),
                               sum((r.amount for r in claims), ZERO)))
    return rows + claims


INCOME: tuple[tuple[str, LazyString, tuple[str, ...], int], ...] = (
    ("revenue", _("Operating revenue"), ("主营业务收入", "其他业务收入"), -1),
    ("cost", _("Operating costs"), ("主营业务成本", "其他业务成本"), 1),
    ("taxes", _("Taxes and surcharges"), ("税金及附加",), 1),
    ("selling", _("Selling expenses"), ("销售费用",), 1),
    ("administrative", _("Administrative expenses"), ("管理费用",), 1),
    ("financial", _("Financial expenses"), ("财务费用",), 1),
    ("impairment", _("Impairment losses"), ("资产减值损失",), 1),
    ("investment", _("Investment income"), ("投资收益",), -1),
    ("disposal", _("Gains on asset disposal"), ("资产处置损益",), -1),
)


def income_statement(session: Session, period: date) -> list[StatementRow]:
    period = month_start(period)
    codes = _codes(book(session).standard)
    month = _first_level_totals(session, period, period)
    year = _first_level_totals(session, period.replace(month=1), period)

    def line(totals: dict[str, Decimal], names: tuple[str, ...], sign: int) -> Decimal:
        return sign * sum((totals.get(codes.get(n, ""), ZERO) for n in names), ZERO)

    rows = [StatementRow(key, label, line(month, names, sign), line(year, names, sign))
            for key, label, names, sign in INCOME]

    def profit(totals: dict[str, Decimal]) -> tuple[Decimal, Decimal, Decimal]:
        values = {key: line(totals, names, sign) for key, _l, names, sign in INCOME}
        operating = (values["revenue"] - values["cost"] - values["taxes"] - values["selling"]
                     - values["administrative"] - values["financial"] - values["impairment"]
                     + values["investment"] + values["disposal"])
        before_tax = (operating + line(totals, ("营业外收入",), -1)
                      - line(totals, ("营业外支出",), 1))
        return operating, before_tax, before_tax - line(totals, ("所得税费用",), 1)

    (m_op, m_bt, m_net), (y_op, y_bt, y_net) = profit(month), profit(year)
    rows += [
        StatementRow("operating_profit", _("Operating profit"), m_op, y_op),
        StatementRow("non_operating_income", _("Non-operating income"),
                     line(month, ("营业外收入",), -1), line(year, ("营业外收入",), -1)),
        StatementRow("non_operating_expenses", _("Non-operating expenses"),
                     line(month, ("营业外支出",), 1), line(year, ("营业外支出",), 1)),
        StatementRow("profit_before_tax", _("Total profit"), m_bt, y_bt),
        StatementRow("income_tax", _("Income tax expenses"),
                     line(month, ("所得税费用",), 1), line(year, ("所得税费用",), 1)),
        StatementRow("net_profit", _("Net profit"), m_net, y_net),
    ]
    return rows


CASH_ACCOUNTS = ("库存现金", "银行存款", "其他货币资金")
CASH_LINES: tuple[tuple[str, LazyString, tuple[str, ...]], ...] = (
    ("sales_receipts", _("Cash received from sales of goods and services"),
     (mapping.RECEIPT,)),
    ("purchase_payments", _("Cash paid for goods and services"), (mapping.PAYMENT,)),
    ("asset_disposals", _("Net cash from disposal of fixed assets"),
     (mapping.ASSET_DISPOSED,)),
    ("asset_purchases", _("Cash paid for fixed assets"), (mapping.ASSET_ACQUIRED,)),
)


def cash_flow_statement(session: Session, period: date) -> list[StatementRow]:
    period = month_start(period)
    codes = _codes(book(session).standard)
    prefixes = [codes[n] for n in CASH_ACCOUNTS if n in codes]
    first = func.substr(Account.code, 1, 4)
    moved = dict(session.execute(
        select(Voucher.source_type, func.sum(VoucherLine.debit - VoucherLine.credit))
        .join(VoucherLine, VoucherLine.voucher_id == Voucher.id)
        .join(Account, Account.id == VoucherLine.account_id)
        .where(Voucher.period == period, first.in_(prefixes))
        .group_by(Voucher.source_type)).all())
    rows: list[StatementRow] = []
    known: set[str] = set()
    for key, label, sources in CASH_LINES:
        known.update(sources)
        rows.append(StatementRow(key, label, sum((Decimal(moved.get(s) or 0)
                                                  for s in sources), ZERO)))
    rows.append(StatementRow("other", _("Other cash movements"),
                             sum((Decimal(v or 0) for s, v in moved.items()
                                  if s not in known), ZERO)))
    rows.append(StatementRow("net_change", _("Net increase in cash"),
                             sum((r.amount for r in rows), ZERO)))
    return rows
