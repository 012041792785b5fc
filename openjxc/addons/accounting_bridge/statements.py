"""The three statements from the balances kept at posting, in the book's standard.

* balance sheet (资产负债表) at a month's end: assets debit-positive, liabilities and equity
  credit-positive; 未分配利润 takes 本年利润, 利润分配 and the profit not yet carried
  forward, so the two sides are equal; customers' and suppliers' balances placed by side
  (:func:`balance_sheet`), with the forms' subtotals (流动资产合计 … 所有者权益合计);
* income statement (利润表) of the month and of the year to date, the lines of the book's
  standard (小企业 has no 资产减值损失 or 资产处置收益);
* cash flow (现金流量表), direct method: the cash lines' 现金流量项目 (tagged when posted,
  :mod:`.cash_flow`) by activity, tied to the cash accounts' balances.

Lines name accounts by their standard names (``charts.FIRST_LEVEL``), so one layout
serves both charts; an account the chart lacks counts nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from openjxc.core.i18n import LazyString, _

from . import cash_flow, charts
from .books import book
from .ledger import ZERO, month_before, month_start
from .models import ENTERPRISE, SMALL, Account, AccountBalance, Voucher, VoucherLine
from .models_books import OpeningBalance


@dataclass
class StatementRow:
    key: str
    label: LazyString
    amount: Decimal
    year_to_date: Decimal | None = None

    def __post_init__(self) -> None:
        # −1 × 0.00 is -0.00, which a statement would print as "-0.00".
        self.amount += ZERO
        if self.year_to_date is not None:
            self.year_to_date += ZERO


def year_start(session: Session, period: date) -> date:
    """The first month of ``period``'s year for the book: January, or the book's first
    month when it opened later in that year — its opening balances are then where the
    year starts (年初余额, the cash at the beginning of the year to date)."""
    period = month_start(period)
    january = period.replace(month=1)
    opens = book(session).opens_on
    if opens is not None and january < month_start(opens) <= period:
        return month_start(opens)
    return january


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
_CURRENT = ("cash", "notes_receivable", "receivables", "prepayments", "other_receivables",
            "inventories", "other_current_assets", "pending")
_NON_CURRENT = ("fixed_assets", "construction", "disposals", "intangibles")
_LIABILITIES = tuple(key for key, _l, _n in BALANCE_CLAIMS[:7])
_EQUITY = ("capital", "capital_reserve", "surplus_reserve", "retained")
_Layout = tuple[tuple[str, LazyString | None, tuple[str, ...]], ...]
#: The lines in the forms' order, the subtotals (合计) with the lines they add up.
BALANCE_LAYOUT: _Layout = (
    *((key, None, ()) for key in _CURRENT),
    ("total_current_assets", _("Total current assets"), _CURRENT),
    *((key, None, ()) for key in _NON_CURRENT),
    ("total_non_current_assets", _("Total non-current assets"), _NON_CURRENT),
    ("total_assets", _("Total assets"), _CURRENT + _NON_CURRENT),
    *((key, None, ()) for key in _LIABILITIES),
    ("total_liabilities", _("Total liabilities"), _LIABILITIES),
    *((key, None, ()) for key in _EQUITY),
    ("total_equity", _("Total owners' equity"), _EQUITY),
    ("total_liabilities_equity", _("Total liabilities and owners' equity"),
     _LIABILITIES + _EQUITY),
)
#: The accounts kept per customer or supplier, whose balances are placed by their side.
PARTNER_ACCOUNTS = ("应收账款", "预收账款", "预付账款", "应付账款")
#: 应交税费 sub-accounts (应交增值税, 未交增值税, 预交增值税, 待抵扣/待认证进项税额…)
#: with a debit balance are an asset under 企业会计准则 (财会〔2016〕22号).
TAX = "应交税费"


def _pieces(session: Session, codes: dict[str, str], totals: dict[str, Decimal],
            through: date) -> dict[str, list[Decimal]]:
    """The balance of each partner account split per customer or supplier (from the
    vouchers' lines and the opening balances), the part without one as one more piece —
    so the pieces add up to the account's balance."""
    wanted = {codes[n]: n for n in PARTNER_ACCOUNTS if n in codes}
    first = func.substr(Account.code, 1, 4)
    found: dict[tuple[str, int | None, int | None], Decimal] = {}
    lines = (select(first, VoucherLine.customer_id, VoucherLine.supplier_id,
                    func.sum(VoucherLine.debit - VoucherLine.credit))
             .join(Account, Account.id == VoucherLine.account_id)
             .join(Voucher, Voucher.id == VoucherLine.voucher_id)
             .where(Voucher.period <= through, first.in_(sorted(wanted)),
                    (VoucherLine.customer_id.is_not(None))
                    | (VoucherLine.supplier_id.is_not(None)))
             .group_by(first, VoucherLine.customer_id, VoucherLine.supplier_id))
    opens = book(session).opens_on
    queries = [lines]
    if opens is not None and month_before(month_start(opens)) <= through:
        queries.append(
            select(first, OpeningBalance.customer_id, OpeningBalance.supplier_id,
                   func.sum(OpeningBalance.debit - OpeningBalance.credit))
            .join(Account, Account.id == OpeningBalance.account_id)
            .where(first.in_(sorted(wanted)), (OpeningBalance.customer_id.is_not(None))
                   | (OpeningBalance.supplier_id.is_not(None)))
            .group_by(first, OpeningBalance.customer_id, OpeningBalance.supplier_id))
    for query in queries:
        for code, customer, supplier, amount in session.execute(query):
            key = (code, customer, supplier)
            found[key] = found.get(key, ZERO) + Decimal(amount or 0)
    pieces: dict[str, list[Decimal]] = {}
    for code, name in wanted.items():
        mine = [v for (c, _c, _s), v in found.items() if c == code]
        pieces[name] = [*mine, totals.get(code, ZERO) - sum(mine, ZERO)]
    return pieces


def _tax_debits(session: Session, codes: dict[str, str], through: date) -> Decimal:
    """Σ of the debit balances of 应交税费's second-level accounts (itself when it has
    none) at the end of ``through``."""
    code = codes.get(TAX)
    if code is None:
        return ZERO
    second = func.substr(Account.code, 1, 6)
    return sum((Decimal(v) for _k, v in session.execute(
        select(second, func.sum(AccountBalance.debit - AccountBalance.credit))
        .join(Account, Account.id == AccountBalance.account_id)
        .where(AccountBalance.period <= through, Account.code.like(f"{code}%"))
        .group_by(second)) if v and Decimal(v) > 0), ZERO)


def balance_sheet(session: Session, period: date) -> list[StatementRow]:
    """资产负债表 at the end of ``period``.  A customer's or supplier's balance is placed by
    its side, as the forms ask (分析填列): what customers owe (应收账款 and 预收账款 debit
    balances, less 坏账准备) is 应收账款, what they paid ahead (both accounts' credit
    balances) is 预收账款, and 预付账款/应付账款 alike.  Under 企业会计准则 the 应交税费
    sub-accounts with a debit balance (VAT to deduct, tax paid ahead) are
    其他流动资产; under 小企业会计准则 应交税费 shows them with a minus."""
    standard = book(session).standard
    codes = _codes(standard)
    through = month_start(period)
    totals = _first_level_totals(session, None, through)

    def raw(names: tuple[str, ...]) -> Decimal:
        return sum((totals.get(codes.get(n, ""), ZERO) for n in names), ZERO)

    pieces = _pieces(session, codes, totals, through)

    def side(names: tuple[str, ...], sign: int) -> Decimal:
        """Σ of the pieces of ``names`` on the debit (1) or credit (−1) side, positive."""
        return sum((sign * v for n in names for v in pieces.get(n, []) if sign * v > 0),
                   ZERO)

    placed = {"receivables": side(("应收账款", "预收账款"), 1) + raw(("坏账准备",)),
              "prepayments": side(("预付账款", "应付账款"), 1),
              "payables": side(("应付账款", "预付账款"), -1),
              "advances": side(("应收账款", "预收账款"), -1)}
    tax_assets = _tax_debits(session, codes, through) if standard == ENTERPRISE else ZERO
    lines = {key: StatementRow(key, label, placed.get(key, raw(names)))
             for key, label, names in BALANCE_ASSETS}
    lines["other_current_assets"] = StatementRow("other_current_assets",
                                                 _("Other current assets"), tax_assets)
    lines.update((key, StatementRow(key, label, placed.get(key, -raw(names)) + (
        tax_assets if key == "taxes" else ZERO))) for key, label, names in BALANCE_CLAIMS)
    profit_loss = {t.code(standard) for t in charts.FIRST_LEVEL
                   if t.category == PROFIT_LOSS}
    lines["retained"] = StatementRow("retained", _("Undistributed profit"), -(
        raw(("本年利润", "利润分配"))
        + sum((v for c, v in totals.items() if c in profit_loss), ZERO)))
    rows: list[StatementRow] = []
    for key, label, parts in BALANCE_LAYOUT:
        if label is not None:
            rows.append(StatementRow(key, label, sum((r.amount for r in rows
                                                      if r.key in parts), ZERO)))
        else:
            rows.append(lines[key])
    return rows


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
            for key, label, names, sign in INCOME if any(n in codes for n in names)]

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


NET_CASH: dict[str, tuple[str, LazyString]] = {
    cash_flow.OPERATING: ("net_operating", _("Net cash flows from operating activities")),
    cash_flow.INVESTING: ("net_investing", _("Net cash flows from investing activities")),
    cash_flow.FINANCING: ("net_financing", _("Net cash flows from financing activities")),
}
#: (小企业会计准则, 企业会计准则) captions of the last lines.
CASH_TOTALS: dict[str, tuple[LazyString, LazyString]] = {
    "net_change": (_("Net increase in cash"),
                   _("Net increase in cash and cash equivalents")),
    "beginning_cash": (_("Cash at the beginning of the period"),
                       _("Cash and cash equivalents at the beginning of the period")),
    "ending_cash": (_("Cash at the end of the period"),
                    _("Cash and cash equivalents at the end of the period")),
}


def cash_flow_statement(session: Session, period: date) -> list[StatementRow]:
    """现金流量表 of a month (``amount``) and of the year to date (``year_to_date``) from
    the 现金流量项目 tagged on the cash lines (:mod:`.cash_flow`): one row per item of the
    book's standard keyed by its code (cash paid is positive on an outflow item), each
    activity's net cash flow, ``unclassified`` (cash movements no item covers), then
    ``net_change``, ``beginning_cash`` and ``ending_cash`` read from the ledger's balances,
    so ending − beginning = net change = what the cash accounts moved.  The year to date
    starts at :func:`year_start`: a book opened in the year begins with its opening cash,
    which is no flow."""
    period = month_start(period)
    january = year_start(session, period)
    standard = book(session).standard
    moved = AccountBalance.debit - AccountBalance.credit
    before_year, before_month, ending = session.execute(
        select(func.sum(case((AccountBalance.period < january, moved), else_=0)),
               func.sum(case((AccountBalance.period < period, moved), else_=0)),
               func.sum(moved))
        .join(Account, Account.id == AccountBalance.account_id)
        .where(AccountBalance.period <= period,
               func.substr(Account.code, 1, 4).in_(sorted(cash_flow.cash_codes(standard))))
    ).one()
    line = VoucherLine.debit - VoucherLine.credit
    flows = {item: (ZERO + (month or 0), ZERO + (year or 0)) for item, month, year in
             session.execute(
                 select(VoucherLine.cash_flow_item,
                        func.sum(case((Voucher.period == period, line), else_=0)),
                        func.sum(line))
                 .join(Voucher, Voucher.id == VoucherLine.voucher_id)
                 .where(Voucher.period >= january, Voucher.period <= period,
                        VoucherLine.cash_flow_item != "")
                 .group_by(VoucherLine.cash_flow_item))}
    rows: list[StatementRow] = []
    covered = (ZERO, ZERO)
    for activity in cash_flow.ACTIVITIES:
        net = (ZERO, ZERO)
        chosen = [i for i in cash_flow.items(standard) if i.activity == activity]
        for item in chosen:
            month, year = flows.get(item.code, (ZERO, ZERO))
            rows.append(StatementRow(item.code, item.name, ZERO + item.sign * month,
                                     ZERO + item.sign * year))
            net = (net[0] + month, net[1] + year)
        if activity in NET_CASH:
            rows.append(StatementRow(*NET_CASH[activity], *net))
        covered = (covered[0] + net[0], covered[1] + net[1])
    ending = ZERO + (ending or 0)
    beginning = (ZERO + (before_month or 0), ZERO + (before_year or 0))
    change = (ending - beginning[0], ending - beginning[1])
    rows.append(StatementRow("unclassified", _("Cash movements not classified"),
                             change[0] - covered[0], change[1] - covered[1]))
    which = 0 if standard == SMALL else 1
    rows.append(StatementRow("net_change", CASH_TOTALS["net_change"][which], *change))
    rows.append(StatementRow("beginning_cash", CASH_TOTALS["beginning_cash"][which],
                             *beginning))
    rows.append(StatementRow("ending_cash", CASH_TOTALS["ending_cash"][which], ending,
                             ending))
    return rows
