"""accounting_bridge through GraphQL: statements as files (.xlsx and PDF) and reopening a
period.

``accountingStatementExport(statement:, period:, format:)`` (READ) answers a file as
``depreciationExport`` does (base64); the PDFs are also printed at
``/reports/{statement}/{YYYYMM}.pdf``.  ``periodReopen(input: {period, reason})`` (REOPEN)
opens the latest closed month again (:mod:`.periods`).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.core.security.models import User
from openjxc.graphql import field, get_session, mutation
from openjxc.graphql.payloads import run_service

from . import READ, REOPEN, ledger, periods, statement_files
from .api_enums import AccountingError, AccountingStatement, AccountingStatementFormat
from .api_types import AccountingPeriod, period_argument


@strawberry.type(description="A statement file, base64-encoded.")
class AccountingStatementFile:
    filename: str
    content_type: str
    content_base64: str
    row_count: int = strawberry.field(description="Lines of the statement, totals included.")


def accounting_statement_export(info: Info[Any, Any], statement: AccountingStatement,
                                period: str, format: AccountingStatementFormat,
                                ) -> AccountingStatementFile:
    month = period_argument(period)
    locale = getattr(info.context, "locale", None) or "zh_CN"
    found = statement_files.statement_file(get_session(info), info.context.env,
                                           statement.value, month, format.value,
                                           locale=locale)
    return AccountingStatementFile(filename=found.filename, content_type=found.content_type,
                                   content_base64=base64.b64encode(found.content)
                                   .decode("ascii"), row_count=found.rows)


# -- periodReopen --------------------------------------------------------------------------

@strawberry.input
class PeriodReopenInput:
    period: str = strawberry.field(description="YYYY-MM: the latest closed month.")
    reason: str = strawberry.field(description="Why it is reopened (1–200 characters).")


@strawberry.type(description="Why and when a month was opened again.")
class PeriodReopening:
    period: str = strawberry.field(description="YYYY-MM.")
    reason: str
    reopened_at: datetime
    reopened_by: str | None = strawberry.field(description="The user's name.")
    depreciation_reopened: bool = strawberry.field(
        description="Whether depreciation's month was closed and is open again too.")


@strawberry.type
class PeriodReopenPayload:
    period: AccountingPeriod | None
    reopening: PeriodReopening | None
    errors: list[AccountingError]  # type: ignore[valid-type]


def period_reopen(info: Info[Any, Any], input: PeriodReopenInput) -> PeriodReopenPayload:
    user_id = getattr(getattr(info.context, "principal", None), "user_id", None)
    done, errors = run_service(info, lambda s: periods.reopen_period(
        s, ledger.parse_period(input.period), input.reason, user_id=user_id),
        AccountingError)
    if done is None:
        return PeriodReopenPayload(period=None, reopening=None, errors=errors)
    return PeriodReopenPayload(
        period=AccountingPeriod(period=f"{done.period.period:%Y-%m}",
                                closed=done.period.closed),
        reopening=PeriodReopening(period=f"{done.period.period:%Y-%m}", reason=done.reason,
                                  reopened_at=done.reopened_at,
                                  reopened_by=_usernames(get_session(info),
                                                         [user_id]).get(user_id),
                                  depreciation_reopened=done.depreciation_reopened),
        errors=[])


def _usernames(session: Session, ids: list[int | None]) -> dict[int | None, str]:
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    return {user_id: name for user_id, name in session.execute(
        select(User.id, User.username).where(User.id.in_(wanted)))}


def period_reopenings(info: Info[Any, Any], period: str | None = None,
                      ) -> list[PeriodReopening]:
    session = get_session(info)
    rows = periods.reopenings(session, period_argument(period) if period is not None else None)
    names = _usernames(session, [r.reopened_by_id for r in rows])
    return [PeriodReopening(period=f"{r.period:%Y-%m}", reason=r.reason,
                            reopened_at=r.reopened_at, reopened_by=names.get(r.reopened_by_id),
                            depreciation_reopened=r.depreciation_reopened) for r in rows]


def types() -> list[type]:
    return [AccountingStatementFile, PeriodReopenInput, PeriodReopening, PeriodReopenPayload,
            AccountingStatement, AccountingStatementFormat]


def queries() -> list[Any]:
    return [
        field(accounting_statement_export, permission=READ, name="accountingStatementExport",
              description="The trial balance, balance sheet, income statement or cash-flow "
                          "statement of a month (YYYY-MM) as an .xlsx or PDF file."),
        field(period_reopenings, permission=READ, name="periodReopenings",
              description="Closed months opened again (of one month, YYYY-MM, when given): "
                          "who, when and why, the latest first."),
    ]


def mutations() -> list[Any]:
    return [
        mutation(period_reopen, permission=REOPEN, name="periodReopen",
                 description="Open the latest closed month again (and depreciation's), with "
                             "the reason; a later closed month (of the ledger or of "
                             "depreciation) must be reopened first. A month whose vouchers "
                             "were exported may be reopened: what is posted into it "
                             "afterwards, a red reversal included, goes out with the next "
                             "`new` export."),
    ]
