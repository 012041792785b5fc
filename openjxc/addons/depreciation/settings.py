"""Asset categories with their default lives, the tax policy of the one-time deduction,
and the depreciation periods (closing one freezes it: no run, disposal or usage in it).

accounting_bridge closes depreciation periods through :func:`close_period`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.models import utcnow
from openjxc.core.validation import check_decimal

from . import schedule
from .models import AssetCategory, DepreciationPeriod, TaxPolicy

#: Seeded categories: code → (name, book life, tax minimum life, one-time eligible).
#: Tax minimum lives: 企业所得税法实施条例 第六十条.
DEFAULT_CATEGORIES = {
    "MACHINERY": ("机器设备", 120, 120, True),
    "TOOLS": ("器具、工具、家具", 60, 60, True),
    "VEHICLES": ("运输工具", 48, 48, True),
    "ELECTRONICS": ("电子设备", 36, 36, True),
    "BUILDINGS": ("房屋、建筑物", 240, 240, False),
}
DEFAULT_RESIDUAL_RATE = Decimal("0.05")
#: 财税〔2018〕54号 and 财政部 税务总局公告2023年第37号 (VERIFY: the state may extend it).
ONE_TIME_FROM = date(2018, 1, 1)
ONE_TIME_TO = date(2027, 12, 31)
ONE_TIME_LIMIT = Decimal("5000000.00")
MAX_LIFE_MONTHS = 1200
#: Rates are stored with 6 decimals (core Rate).
RATE_PLACES = Decimal("0.000001")
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def seed_defaults(session: Session) -> None:
    """The default categories and tax policy (once; edits are kept)."""
    have = set(session.scalars(select(AssetCategory.code)))
    for code, (name, life, tax_life, eligible) in DEFAULT_CATEGORIES.items():
        if code not in have:
            session.add(AssetCategory(code=code, name=name, life_months=life,
                                      tax_life_months=tax_life, method=schedule.STRAIGHT_LINE,
                                      residual_rate=DEFAULT_RESIDUAL_RATE,
                                      one_time_eligible=eligible))
    tax_policy(session)
    session.flush()


def tax_policy(session: Session) -> TaxPolicy:
    policy = session.get(TaxPolicy, 1)
    if policy is None:
        policy = TaxPolicy(id=1, one_time_enabled=True, one_time_from=ONE_TIME_FROM,
                           one_time_to=ONE_TIME_TO, one_time_limit=ONE_TIME_LIMIT)
        session.add(policy)
        session.flush()
    return policy


def set_tax_policy(session: Session, *, enabled: bool, starts: date, ends: date,
                   limit: Decimal) -> TaxPolicy:
    """Change the one-time deduction's window and ceiling (new assets only)."""
    errors = []
    if ends < starts:
        errors.append(FieldError("INVALID", _("The end date is before the start date"),
                                 field="oneTimeTo"))
    if limit < 0:
        errors.append(FieldError("INVALID", _("The amount cannot be negative"),
                                 field="oneTimeLimit"))
    else:  # beyond what a money column stores on either backend (found by fuzzing)
        check_decimal(errors, limit, "oneTimeLimit", places=2, minimum=None)
    if errors:
        raise ValidationFailed(errors)
    policy = tax_policy(session)
    policy.one_time_enabled = enabled
    policy.one_time_from = starts
    policy.one_time_to = ends
    policy.one_time_limit = schedule.cents(limit)
    session.flush()
    return policy


@dataclass
class CategoryInput:
    code: str
    name: str
    life_months: int
    tax_life_months: int | None = None
    method: str = schedule.STRAIGHT_LINE
    residual_rate: Decimal = DEFAULT_RESIDUAL_RATE
    one_time_eligible: bool = True


def check_life(errors: list[FieldError], months: int | None, at: str, method: str) -> None:
    if months is None:
        return
    if not 1 <= months <= MAX_LIFE_MONTHS:
        errors.append(FieldError("INVALID", _("The useful life must be 1 to {max} months"),
                                 field=at, max=MAX_LIFE_MONTHS))
    elif method in schedule.YEARLY_METHODS and months % 12:
        errors.append(FieldError("INVALID", _("This method needs a useful life in whole "
                                              "years"), field=at))


def check_rate(errors: list[FieldError], rate: Decimal, at: str) -> None:
    if not Decimal(0) <= rate < Decimal(1):
        errors.append(FieldError("INVALID", _("The residual rate must be at least 0 and "
                                              "below 1"), field=at))


def save_category(session: Session, data: CategoryInput) -> AssetCategory:
    """Create a category, or change the one with ``data.code`` (existing assets keep their
    own lives and rates)."""
    errors: list[FieldError] = []
    code = data.code.strip()
    if not code or len(code) > 32:
        errors.append(FieldError("REQUIRED", _("A code of up to 32 characters is required"),
                                 field="code"))
    if not data.name.strip():
        errors.append(FieldError("REQUIRED", _("This field is required"), field="name"))
    if data.method not in schedule.METHODS:
        errors.append(FieldError("INVALID", _("Unknown depreciation method {method}"),
                                 field="method", method=data.method))
    check_life(errors, data.life_months, "lifeMonths", data.method)
    check_life(errors, data.tax_life_months, "taxLifeMonths", schedule.STRAIGHT_LINE)
    check_rate(errors, data.residual_rate, "residualRate")
    if errors:
        raise ValidationFailed(errors)
    row = session.scalar(select(AssetCategory).where(AssetCategory.code == code))
    if row is None:
        row = AssetCategory(code=code)
        session.add(row)
    row.name = data.name.strip()[:128]
    row.life_months = data.life_months
    row.tax_life_months = data.tax_life_months or data.life_months
    row.method = data.method
    row.residual_rate = data.residual_rate.quantize(RATE_PLACES)
    row.one_time_eligible = data.one_time_eligible
    session.flush()
    return row


# -- periods -------------------------------------------------------------------------------

def parse_period(text: str, at: str = "period") -> date:
    """``2026-11`` → 2026-11-01; anything else is refused."""
    found = _PERIOD.match(text.strip()) if text else None
    if found is not None and 1 <= int(found.group(2)) <= 12 and int(found.group(1)) >= 1900:
        return date(int(found.group(1)), int(found.group(2)), 1)
    raise ValidationFailed(FieldError("INVALID", _("A period is written YYYY-MM, e.g. "
                                                   "2026-11"), field=at))


def period_text(period: date) -> str:
    return f"{period:%Y-%m}"


def period_row(session: Session, period: date) -> DepreciationPeriod:
    row = session.get(DepreciationPeriod, period)
    if row is None:
        row = DepreciationPeriod(period=period, closed=False)
        session.add(row)
        session.flush()
    return row


def is_closed(session: Session, period: date) -> bool:
    return bool(session.scalar(select(DepreciationPeriod.closed).where(
        DepreciationPeriod.period == schedule.month_start(period))))


def refuse_closed(session: Session, period: date, at: str = "period") -> None:
    if is_closed(session, period):
        raise ValidationFailed(FieldError(
            "PERIOD_CLOSED", _("Depreciation period {period} is closed"), field=at,
            period=period_text(schedule.month_start(period))))


def close_period(session: Session, period: date, *, user_id: int | None = None,
                 ) -> DepreciationPeriod:
    """Close a month: nothing more is run, disposed of or recorded in it.  Refused while
    the month's run is due and not run (``DEPRECIATION_NOT_RUN``)."""
    from .runs import refuse_not_run  # runs reads the periods kept here

    row = period_row(session, schedule.month_start(period))
    if row.closed:
        raise ValidationFailed(FieldError("PERIOD_CLOSED", _("Depreciation period {period} "
                                                             "is closed"), field="period",
                                          period=period_text(row.period)))
    refuse_not_run(session, row.period)
    row.closed = True
    row.closed_at = utcnow()
    row.closed_by_id = user_id
    session.flush()
    return row


def reopen_period(session: Session, period: date) -> DepreciationPeriod:
    row = period_row(session, schedule.month_start(period))
    if not row.closed:
        raise ValidationFailed(FieldError("INVALID", _("Depreciation period {period} is not "
                                                       "closed"), field="period",
                                          period=period_text(row.period)))
    row.closed = False
    row.closed_at = None
    row.closed_by_id = None
    session.flush()
    return row
