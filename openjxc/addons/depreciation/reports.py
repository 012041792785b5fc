"""Reports: the asset register (固定资产台账), an asset's schedule (折旧明细) and the
month's summary by department or category (折旧汇总) — as rows and as .xlsx (openpyxl
write-only, like base_jxc's stock export).  Amounts posted come from the posted lines,
so the register and the summary show what the runs posted."""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openjxc.core.i18n import _

from . import schedule
from .assets import asset_schedule
from .models import BOOK, TAX, Asset, AssetCategory, DepreciationLine

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZERO = Decimal("0.00")
METHOD_LABELS = {schedule.STRAIGHT_LINE: _("Straight line"),
                 schedule.UNITS_OF_PRODUCTION: _("Units of production"),
                 schedule.DOUBLE_DECLINING: _("Double-declining balance"),
                 schedule.SUM_OF_YEARS: _("Sum of the years' digits")}
STATE_LABELS = {"active": _("In use"), "disposed": _("Disposed of")}


def posted_totals(session: Session, asset_ids: Sequence[int], book: str,
                  through: date | None = None) -> dict[int, Decimal]:
    """Depreciation posted per asset in ``book`` up to ``through`` (included)."""
    if not asset_ids:
        return {}
    stmt = (select(DepreciationLine.asset_id, func.sum(DepreciationLine.amount))
            .where(DepreciationLine.asset_id.in_(set(asset_ids)),
                   DepreciationLine.book == book).group_by(DepreciationLine.asset_id))
    if through is not None:
        stmt = stmt.where(DepreciationLine.period <= through)
    return {i: schedule.cents(Decimal(total or 0)) for i, total in session.execute(stmt)}


@dataclass(frozen=True)
class RegisterRow:
    code: str
    name: str
    category: str
    department: str
    acquired_on: date
    method: str
    life_months: int
    cost: Decimal
    residual_value: Decimal
    accumulated: Decimal
    net_book_value: Decimal
    tax_accumulated: Decimal
    state: str


def register_rows(session: Session, period: date) -> list[RegisterRow]:
    """Every asset acquired by the end of ``period``, with depreciation posted through it."""
    end = schedule.add_months(period, 1)
    found = session.execute(select(Asset, AssetCategory.name)
                            .join(AssetCategory, AssetCategory.id == Asset.category_id)
                            .where(Asset.acquired_on < end).order_by(Asset.code)).all()
    ids = [a.id for a, _n in found]
    book = posted_totals(session, ids, BOOK, period)
    tax = posted_totals(session, ids, TAX, period)
    rows = []
    for asset, category in found:
        accumulated = book.get(asset.id, ZERO)
        disposed = asset.disposed_on is not None and asset.disposed_on < end
        rows.append(RegisterRow(
            asset.code, asset.name, category, asset.department, asset.acquired_on,
            asset.method, asset.life_months, asset.cost, asset.residual_value, accumulated,
            asset.cost - accumulated, tax.get(asset.id, ZERO),
            "disposed" if disposed else "active"))
    return rows


@dataclass(frozen=True)
class SummaryRow:
    key: str
    name: str
    assets: int
    amount: Decimal
    tax_amount: Decimal


def summary_rows(session: Session, period: date, by: str) -> list[SummaryRow]:
    """Depreciation posted in ``period`` per department (``by="department"``) or
    category (``by="category"``)."""
    key = Asset.department if by == "department" else AssetCategory.code
    name = Asset.department if by == "department" else AssetCategory.name
    stmt = (select(key, name, DepreciationLine.book, func.count(DepreciationLine.id),
                   func.sum(DepreciationLine.amount))
            .join(Asset, Asset.id == DepreciationLine.asset_id)
            .join(AssetCategory, AssetCategory.id == Asset.category_id)
            .where(DepreciationLine.period == period)
            .group_by(key, name, DepreciationLine.book))
    found: dict[tuple[str, str], dict[str, tuple[int, Decimal]]] = defaultdict(dict)
    for k, n, book, count, total in session.execute(stmt):
        found[(k or "", n or "")][book] = (count, schedule.cents(Decimal(total or 0)))
    return [SummaryRow(k, n, max(v.get(BOOK, (0, ZERO))[0], v.get(TAX, (0, ZERO))[0]),
                       v.get(BOOK, (0, ZERO))[1], v.get(TAX, (0, ZERO))[1])
            for (k, n), v in sorted(found.items())]


@dataclass(frozen=True)
class ScheduleRow:
    period: date
    amount: Decimal
    accumulated: Decimal
    net_book_value: Decimal
    posted: bool


def schedule_rows(session: Session, asset: Asset, book: str = BOOK) -> list[ScheduleRow]:
    """The asset's schedule in ``book``; ``posted`` marks the months already run."""
    posted = set(session.scalars(select(DepreciationLine.period).where(
        DepreciationLine.asset_id == asset.id, DepreciationLine.book == book)))
    return [ScheduleRow(line.period, line.amount, line.accumulated, line.net_book_value,
                        line.period in posted)
            for line in asset_schedule(session, asset, book)]


# -- .xlsx ---------------------------------------------------------------------------------

def _workbook(title: object, header: Sequence[object], rows: Sequence[Sequence[object]],
              ) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(title)[:31])
    sheet.append([str(h) for h in header])
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def register_xlsx(session: Session, period: date) -> tuple[bytes, int]:
    rows = register_rows(session, period)
    header = [_("Asset code"), _("Asset name"), _("Category"), _("Department"),
              _("Acquired on"), _("Depreciation method"), _("Useful life (months)"),
              _("Original cost"), _("Residual value"), _("Accumulated depreciation"),
              _("Net book value"), _("Tax accumulated depreciation"), _("State")]
    return _workbook(_("Asset register"), header, [
        [r.code, r.name, r.category, r.department, r.acquired_on,
         str(METHOD_LABELS.get(r.method, r.method)), r.life_months, r.cost, r.residual_value,
         r.accumulated, r.net_book_value, r.tax_accumulated,
         str(STATE_LABELS.get(r.state, r.state))] for r in rows]), len(rows)


def schedule_xlsx(session: Session, asset: Asset, book: str = BOOK) -> tuple[bytes, int]:
    rows = schedule_rows(session, asset, book)
    header = [_("Period"), _("Depreciation"), _("Accumulated depreciation"),
              _("Net book value"), _("Posted by a run")]
    return _workbook(_("Depreciation schedule"), header, [
        [f"{r.period:%Y-%m}", r.amount, r.accumulated, r.net_book_value,
         str(_("Yes") if r.posted else _("No"))]
        for r in rows]), len(rows)


def summary_xlsx(session: Session, period: date, by: str) -> tuple[bytes, int]:
    rows = summary_rows(session, period, by)
    header = [_("Department") if by == "department" else _("Category"), _("Name"),
              _("Assets"), _("Depreciation"), _("Tax depreciation")]
    return _workbook(_("Depreciation summary"), header, [
        [r.key, r.name, r.assets, r.amount, r.tax_amount] for r in rows]), len(rows)
