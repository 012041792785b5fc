"""accounting_bridge through GraphQL: the queries, and the contribution (mutations in
:mod:`.api_mutations`).

``accounts`` (filtered, paged), ``vouchers`` (filtered, paged), ``trialBalance(period:)``,
``balanceSheet``, ``incomeStatement``, ``cashFlowStatement`` (``period:``),
``accountingBook``, ``accountingPeriods``, ``accountMappings``, ``voucherExportCodes``.
"""

from __future__ import annotations

from typing import Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from openjxc.core.i18n import translate
from openjxc.graphql import Connection, Contribution, field, get_session, paginate

from . import READ, books, models, reports, statements
from .api_enums import (
    AccountingError,
    AccountingErrorCode,
    AccountingStandard,
    BalanceDirection,
    ExportEncoding,
    VoucherExportFormat,
)
from .api_types import (
    Account,
    AccountingBook,
    AccountingPeriod,
    AccountMapping,
    StatementLine,
    TrialBalanceLine,
    Voucher,
    VoucherExportCode,
    VoucherLine,
    period_argument,
)

MAX_SEARCH = 64


@strawberry.input(description="Narrow the chart; all given conditions hold.")
class AccountFilter:
    search: str | None = strawberry.field(default=None,
                                          description="Part of the code or the name.")
    level: int | None = None
    leaf_only: bool = False
    code_prefix: str | None = strawberry.field(default=None,
                                               description="An account and its children.")


@strawberry.input(description="Narrow the vouchers; all given conditions hold.")
class VoucherFilter:
    period: str | None = strawberry.field(default=None, description="YYYY-MM.")
    source_type: str | None = None
    account_code: str | None = strawberry.field(
        default=None, description="Vouchers with a line on this account or its children.")


def accounts(info: Info[Any, Any], filter: AccountFilter | None = None,
             first: int | None = None, after: str | None = None,
             last: int | None = None, before: str | None = None) -> Connection[Account]:
    row = models.Account
    stmt = select(row)
    if filter is not None:
        if filter.search:
            text = filter.search[:MAX_SEARCH].strip()
            stmt = stmt.where(row.code.icontains(text, autoescape=True)
                              | row.name.icontains(text, autoescape=True))
        if filter.level is not None:
            stmt = stmt.where(row.level == filter.level)
        if filter.leaf_only:
            stmt = stmt.where(row.leaf.is_(True))
        if filter.code_prefix:
            stmt = stmt.where(row.code.startswith(filter.code_prefix[:MAX_SEARCH].strip(),
                                                  autoescape=True))
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=[row.code], to_node=Account.from_row, info=info)


def vouchers(info: Info[Any, Any], filter: VoucherFilter | None = None,
             first: int | None = None, after: str | None = None,
             last: int | None = None, before: str | None = None) -> Connection[Voucher]:
    row = models.Voucher
    stmt = select(row)
    if filter is not None:
        if filter.period:
            stmt = stmt.where(row.period == period_argument(filter.period))
        if filter.source_type:
            stmt = stmt.where(row.source_type == filter.source_type[:MAX_SEARCH].strip())
        if filter.account_code:
            code = filter.account_code[:MAX_SEARCH].strip()
            stmt = stmt.where(row.id.in_(
                select(models.VoucherLine.voucher_id)
                .join(models.Account, models.Account.id == models.VoucherLine.account_id)
                .where(models.Account.code.startswith(code, autoescape=True))))
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=[row.period, row.number],
                    to_node=Voucher.from_row, info=info)


def trial_balance(info: Info[Any, Any], period: str,
                  with_zero: bool = False) -> list[TrialBalanceLine]:
    return [TrialBalanceLine(account_code=r.code, account_name=r.name, level=r.level,
                             opening=r.opening, debit=r.debit, credit=r.credit,
                             closing=r.closing)
            for r in reports.trial_balance(get_session(info), period_argument(period),
                                           with_zero=with_zero)]


def _statement(info: Info[Any, Any], rows: list[statements.StatementRow],
               ) -> list[StatementLine]:
    locale = getattr(info.context, "locale", None)
    return [StatementLine(key=r.key, name=translate(r.label.msgid, locale), amount=r.amount,
                          year_to_date=r.year_to_date) for r in rows]


def balance_sheet(info: Info[Any, Any], period: str) -> list[StatementLine]:
    return _statement(info, statements.balance_sheet(get_session(info),
                                                     period_argument(period)))


def income_statement(info: Info[Any, Any], period: str) -> list[StatementLine]:
    return _statement(info, statements.income_statement(get_session(info),
                                                        period_argument(period)))


def cash_flow_statement(info: Info[Any, Any], period: str) -> list[StatementLine]:
    return _statement(info, statements.cash_flow_statement(get_session(info),
                                                           period_argument(period)))


def accounting_book(info: Info[Any, Any]) -> AccountingBook:
    found = get_session(info).get(models.AccountBook, 1)
    if found is None:
        return AccountingBook(standard=AccountingStandard.SMALL, locked=False)
    return AccountingBook(standard=AccountingStandard(found.standard),
                          locked=books.is_locked(get_session(info)))


def accounting_periods(info: Info[Any, Any]) -> list[AccountingPeriod]:
    return [AccountingPeriod(period=f"{r.period:%Y-%m}", closed=r.closed)
            for r in get_session(info).scalars(select(models.AccountingPeriod)
                                                .order_by(models.AccountingPeriod.period
                                                          .desc()))]


def account_mappings(info: Info[Any, Any], document: str | None = None,
                     ) -> list[AccountMapping]:
    stmt = select(models.MappingRule).order_by(models.MappingRule.document,
                                               models.MappingRule.role, models.MappingRule.id)
    if document:
        stmt = stmt.where(models.MappingRule.document == document[:MAX_SEARCH].strip())
    return [AccountMapping.from_row(r) for r in get_session(info).scalars(stmt)]


def voucher_export_codes(info: Info[Any, Any], format: VoucherExportFormat,
                         ) -> list[VoucherExportCode]:
    return [VoucherExportCode(format=format, account_code=r.account_code,
                              target_code=r.target_code)
            for r in get_session(info).scalars(
                select(models.ExportCode).where(models.ExportCode.format == format.value)
                .order_by(models.ExportCode.account_code))]


def contribution() -> Contribution:
    from . import api_books, api_cash_flow, api_exchange, api_statements
    from .api_mutations import mutations, types

    chapters = (api_books, api_cash_flow, api_exchange, api_statements)

    return Contribution(
        types=[Account, Voucher, VoucherLine, AccountingBook, AccountingPeriod,
               AccountMapping, TrialBalanceLine, StatementLine, VoucherExportCode,
               AccountFilter, VoucherFilter,
               AccountingStandard, BalanceDirection, AccountingErrorCode, AccountingError,
               VoucherExportFormat, ExportEncoding,
               *types(), *(t for c in chapters for t in c.types())],
        queries=[
            field(accounts, permission=READ, name="accounts",
                  description="The chart of accounts, filtered, by code."),
            field(vouchers, permission=READ, name="vouchers",
                  description="Posted vouchers, filtered, by month and number."),
            field(trial_balance, permission=READ, name="trialBalance",
                  description="The trial balance (科目余额表) of a month (YYYY-MM)."),
            field(balance_sheet, permission=READ, name="balanceSheet",
                  description="The balance sheet (资产负债表) at the end of a month."),
            field(income_statement, permission=READ, name="incomeStatement",
                  description="The income statement (利润表): the month and the year to "
                              "date."),
            field(cash_flow_statement, permission=READ, name="cashFlowStatement",
                  description="The cash-flow statement (现金流量表) of a month: the cash "
                              "lines by the 现金流量项目 they were tagged with when posted."),
            field(voucher_export_codes, permission=READ, name="voucherExportCodes",
                  description="Accounts whose code differs in the target software."),
            field(accounting_book, permission=READ, name="accountingBook",
                  description="The book's accounting standard and whether it is locked."),
            field(accounting_periods, permission=READ, name="accountingPeriods",
                  description="Months with vouchers or closed, the latest first."),
            field(account_mappings, permission=READ, name="accountMappings",
                  description="Which account each role of a document posts to."),
            *(q for c in chapters for q in c.queries()),
        ],
        mutations=[*mutations(), *(m for c in chapters for m in c.mutations())],
    )


__all__ = ["AccountingError", "contribution"]
