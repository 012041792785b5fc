"""The monthly depreciation run (计提折旧): each asset's scheduled amount of the month, in
both books, posted once.

Idempotent: a line exists at most once per asset, book and month (a unique key), so a
second run of a month posts nothing and publishes nothing.  A closed month is refused
(``PERIOD_CLOSED``), and a month is not closed while its run is due and not run
(``DEPRECIATION_NOT_RUN``, :func:`refuse_not_run`).  :class:`DepreciationPosted` carries
the book amounts posted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.models import utcnow

from . import schedule
from .assets import book_amounts, usage_of
from .events import DepreciationPosted
from .models import BOOK, BOOKS, TAX, Asset, DepreciationLine
from .settings import period_row, refuse_closed


@dataclass(frozen=True)
class RunResult:
    period: date
    #: Lines posted by this run (0 when the month was already run).
    posted: int
    assets: int
    book_total: Decimal
    tax_total: Decimal


def due_assets(session: Session, period: date) -> list[Asset]:
    """Assets depreciating in ``period``: started, and not disposed of before it."""
    return list(session.scalars(
        select(Asset).where(Asset.starts_on <= period,
                            or_(Asset.disposed_on.is_(None), Asset.disposed_on >= period))
        .order_by(Asset.id)))


def _unposted(session: Session, period: date) -> list[tuple[Asset, str, Decimal]]:
    """``period``'s scheduled amounts (asset, book, amount) not posted yet."""
    assets = due_assets(session, period)
    done = {(asset_id, book) for asset_id, book in session.execute(
        select(DepreciationLine.asset_id, DepreciationLine.book)
        .where(DepreciationLine.period == period))}
    usage = usage_of(session, [a.id for a in assets
                               if a.method == schedule.UNITS_OF_PRODUCTION])
    out: list[tuple[Asset, str, Decimal]] = []
    for asset in assets:
        index = schedule.months_between(asset.starts_on, period)
        for book in BOOKS:
            if (asset.id, book) in done:
                continue
            _residual, amounts = book_amounts(asset, book, usage.get(asset.id))
            amount = amounts[index] if index < len(amounts) else Decimal(0)
            if amount > 0:
                out.append((asset, book, amount))
    return out


def refuse_not_run(session: Session, period: date) -> None:
    """Refuse closing ``period`` while its run is due and not run (计提折旧 before 结账):
    a month closed without its depreciation could never be run again."""
    period = schedule.month_start(period)
    if _unposted(session, period):
        raise ValidationFailed(FieldError(
            "DEPRECIATION_NOT_RUN", _("Run the depreciation of {period} before closing it"),
            field="period", period=f"{period:%Y-%m}"))


def run_depreciation(session: Session, period: date) -> RunResult:
    """Post ``period``'s depreciation of every due asset not yet posted for it."""
    period = schedule.month_start(period)
    refuse_closed(session, period)
    totals = {BOOK: Decimal("0.00"), TAX: Decimal("0.00")}
    posted: list[tuple[Asset, Decimal]] = []
    count = 0
    touched = set()
    for asset, book, amount in _unposted(session, period):
        session.add(DepreciationLine(asset_id=asset.id, book=book, period=period,
                                     amount=amount))
        totals[book] += amount
        count += 1
        touched.add(asset.id)
        if book == BOOK:
            posted.append((asset, amount))
    if count:
        period_row(session, period).last_run_at = utcnow()
        session.flush()
    if posted:
        publish(session, DepreciationPosted(
            period=period, asset_ids=tuple(a.id for a, _x in posted),
            departments=tuple(a.department for a, _x in posted),
            amounts=tuple(x for _a, x in posted), total=totals[BOOK]))
    return RunResult(period=period, posted=count, assets=len(touched),
                     book_total=totals[BOOK], tax_total=totals[TAX])
