"""Reopening a closed month (反结账).

A month is reopened only when it is closed and no later month is: the books are unwound
from the latest close backwards, as 用友 and 金蝶 do — depreciation's months too (a later
depreciation month closed on its own is reopened there first, or a disposal dated in the
reopened month would follow a month already depreciated).  The reason is required (1–200
characters).  Reopening the ledger's month also reopens depreciation's (closing the ledger
closed it), so a run, a disposal or a voucher dated in the month is accepted again; closing
it once more closes both.

The period rows from the month on are locked (``FOR UPDATE`` on PostgreSQL; SQLite
serialises writers with ``BEGIN IMMEDIATE``), so a reopen racing a close or another reopen
waits for it and then judges what it committed; so are depreciation's periods (a lock on
their table), so a later depreciation month closed meanwhile is seen too.

A month whose vouchers were already exported may be reopened: the vouchers posted into
it afterwards (a red reversal included) are in the next ``new`` export, and a ``period``
export of the month includes them — the accounting software receives only what it lacks
when the ``new`` mode is used.

Who reopened which month, when and why is kept in ``acc_period_reopening`` (the
``periodReopenings`` query), published as :class:`PeriodReopened` in the same transaction
and logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy import text as sql
from sqlalchemy.orm import Session

from openjxc.addons.depreciation import settings as depreciation_settings
from openjxc.addons.depreciation.models import DepreciationPeriod
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import Event, publish
from openjxc.core.i18n import _
from openjxc.core.models import utcnow

from .ledger import month_start
from .models import AccountingPeriod, PeriodReopening

log = logging.getLogger(__name__)
MAX_REASON = 200


@dataclass(frozen=True)
class PeriodReopened(Event):
    """Fires when a closed month of the ledger is opened again (``periodReopen``): which
    month, why, who and when, and whether depreciation's month was reopened with it."""

    name: ClassVar[str] = "accounting.period.reopened"
    added_in: ClassVar[str] = "0.1"
    period: date
    reason: str
    user_id: int | None
    reopened_at: datetime
    depreciation_reopened: bool


@dataclass(frozen=True)
class Reopening:
    """What :func:`reopen_period` did."""

    period: AccountingPeriod
    reason: str
    user_id: int | None
    reopened_at: datetime
    depreciation_reopened: bool


def _locked_from(session: Session, period: date) -> list[AccountingPeriod]:
    """The period rows from ``period`` on, locked and read afresh."""
    return list(session.scalars(
        select(AccountingPeriod).where(AccountingPeriod.period >= period)
        .order_by(AccountingPeriod.period).with_for_update()
        .execution_options(populate_existing=True)))


def _clean_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise ValidationFailed(FieldError("REQUIRED", _("Say why the period is reopened"),
                                          field="reason"))
    if len(text) > MAX_REASON:
        raise ValidationFailed(FieldError("INVALID", _("The reason is at most {max} "
                                                       "characters"), field="reason",
                                          max=MAX_REASON))
    return text


def reopen_period(session: Session, period: date, reason: str | None, *,
                  user_id: int | None = None) -> Reopening:
    """Open ``period`` again (and depreciation's month), or refuse (nothing changed).

    Example::

        reopen_period(session, date(2026, 3, 1), "补记3月运费发票", user_id=7)
    """
    text = _clean_reason(reason)
    month = month_start(period)
    rows = _locked_from(session, month)
    row = rows[0] if rows and rows[0].period == month else None
    if row is None or not row.closed:
        raise ValidationFailed(FieldError("PERIOD_NOT_CLOSED", _("Accounting period {period} "
                                                                 "is not closed"),
                                          field="period", period=f"{month:%Y-%m}"))
    later = [r.period for r in rows if r.period > month and r.closed]
    if later:
        raise ValidationFailed(FieldError(
            "LATER_PERIOD_CLOSED", _("Reopen {later} first: a later period is closed"),
            field="period", later=f"{later[-1]:%Y-%m}"))
    # Depreciation closes its months on its own too: one closing (or reopening) while this
    # runs is committed before its months are read, and none starts until this ends.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sql(f"LOCK TABLE {DepreciationPeriod.__tablename__} "
                            "IN SHARE ROW EXCLUSIVE MODE"))
    depreciation = depreciation_settings.is_closed(session, month)
    later_run = session.scalar(
        select(DepreciationPeriod.period)
        .where(DepreciationPeriod.period > month, DepreciationPeriod.closed.is_(True))
        .order_by(DepreciationPeriod.period.desc()).limit(1).with_for_update()
    ) if depreciation else None
    if later_run is not None:
        raise ValidationFailed(FieldError(
            "LATER_PERIOD_CLOSED", _("Reopen depreciation's {later} first: a later "
                                     "depreciation period is closed"),
            field="period", later=f"{later_run:%Y-%m}"))
    if depreciation:
        depreciation_settings.reopen_period(session, month)
    row.closed = False
    row.closed_at = None
    row.closed_by_id = None
    session.flush()
    done = Reopening(row, text, user_id, utcnow(), depreciation)
    session.add(PeriodReopening(period=month, reason=text, reopened_at=done.reopened_at,
                                reopened_by_id=user_id, depreciation_reopened=depreciation))
    publish(session, PeriodReopened(period=month, reason=text, user_id=user_id,
                                    reopened_at=done.reopened_at,
                                    depreciation_reopened=depreciation))
    log.info("accounting period %s reopened by user %s: %s", f"{month:%Y-%m}", user_id, text)
    return done


def reopenings(session: Session, period: date | None = None) -> list[PeriodReopening]:
    """Every reopening (of ``period`` when given), the latest first."""
    query = select(PeriodReopening).order_by(PeriodReopening.reopened_at.desc(),
                                             PeriodReopening.id.desc())
    if period is not None:
        query = query.where(PeriodReopening.period == month_start(period))
    return list(session.scalars(query))
