"""Asset cards: create, capitalise a serial unit from stock, record usage, and each
book's schedule.

    asset = create_asset(session, AssetInput(name="数控机床", category_code="MACHINERY",
                                             cost=Decimal("100000"),
                                             acquired_on=date(2026, 3, 15)))
    [line.period for line in asset_schedule(session, asset)][:1]   # [2026-04-01]

Every refusal is a :class:`ValidationFailed` raised before anything is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.numbering import next_document_number
from openjxc.addons.base_jxc.stock.models import Location, SerialNumber
from openjxc.addons.base_jxc.stock.posting import MoveLine, business_today, post_moves
from openjxc.addons.base_jxc.stock.warehouses import company_location
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _

from . import schedule
from .events import AssetAcquired, AssetCapitalized
from .models import (
    BOOK,
    TAX_ONE_TIME,
    TAX_SAME,
    TAX_STRAIGHT_LINE,
    TAX_TREATMENTS,
    Asset,
    AssetCategory,
    AssetUsage,
    DepreciationLine,
)
from .settings import RATE_PLACES, check_life, check_rate, refuse_closed, tax_policy

#: Where a capitalised unit goes: base_jxc has no "fixed assets" location, so the unit
#: leaves sellable stock for the company's adjustment location, the move marked with
#: this origin (accounting_bridge maps it to 固定资产 rather than 盘亏).
CAPITALIZE_ORIGIN = "depreciation.capitalize"
CODE_PREFIX = "GZ"
UNIT_PLACES = Decimal("0.0001")


@dataclass
class AssetInput:
    name: str
    category_code: str
    cost: Decimal
    acquired_on: date
    code: str | None = None
    department: str = ""
    product_id: int | None = None
    serial_id: int | None = None
    residual_rate: Decimal | None = None
    life_months: int | None = None
    method: str | None = None
    total_units: Decimal | None = None
    tax_treatment: str = TAX_SAME
    tax_life_months: int | None = None
    note: str = ""


def _category(session: Session, code: str) -> AssetCategory:
    found = session.scalar(select(AssetCategory).where(AssetCategory.code == code.strip()))
    if found is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown asset category {code}"),
                                          field="categoryCode", code=code.strip()[:32]))
    return found


def one_time_eligible(session: Session, category: AssetCategory, cost: Decimal,
                      acquired_on: date) -> bool:
    """设备、器具 (not buildings) bought in the policy window, unit value ≤ the ceiling."""
    policy = tax_policy(session)
    return (policy.one_time_enabled and category.one_time_eligible
            and cost <= policy.one_time_limit
            and policy.one_time_from <= acquired_on <= policy.one_time_to)


def _build(session: Session, data: AssetInput, user_id: int | None) -> Asset:
    category = _category(session, data.category_code)
    method = data.method or category.method
    life = data.life_months if data.life_months is not None else category.life_months
    rate = data.residual_rate if data.residual_rate is not None else category.residual_rate
    errors: list[FieldError] = []
    if not data.name.strip():
        errors.append(FieldError("REQUIRED", _("This field is required"), field="name"))
    if data.cost <= 0:
        errors.append(FieldError("INVALID", _("The cost must be positive"), field="cost"))
    if method not in schedule.METHODS:
        errors.append(FieldError("INVALID", _("Unknown depreciation method {method}"),
                                 field="method", method=method))
    check_life(errors, life, "lifeMonths", method)
    check_life(errors, data.tax_life_months, "taxLifeMonths", schedule.STRAIGHT_LINE)
    check_rate(errors, rate, "residualRate")
    if method == schedule.UNITS_OF_PRODUCTION and not (data.total_units or 0) > 0:
        errors.append(FieldError("REQUIRED", _("Units of production needs the total units "
                                               "the asset will work"), field="totalUnits"))
    if data.tax_treatment not in TAX_TREATMENTS:
        errors.append(FieldError("INVALID", _("Unknown tax treatment {treatment}"),
                                 field="taxTreatment", treatment=data.tax_treatment))
    elif data.tax_treatment == TAX_ONE_TIME and not one_time_eligible(
            session, category, data.cost, data.acquired_on):
        errors.append(FieldError("NOT_ELIGIBLE", _("The one-time deduction does not apply: "
                                                   "category, cost or date outside the "
                                                   "policy"), field="taxTreatment"))
    code = (data.code or "").strip()
    if len(code) > 32:
        errors.append(FieldError("INVALID", _("A code of up to 32 characters is required"),
                                 field="code"))
    elif code and session.scalar(select(Asset.id).where(Asset.code == code)) is not None:
        errors.append(FieldError("DUPLICATE_CODE", _("Asset code {code} is already used"),
                                 field="code", code=code))
    if errors:
        raise ValidationFailed(errors)
    # The asset enters the books in its acquisition month: not into a closed one; nor
    # depreciates first in a closed month (that month's run could never post it).
    refuse_closed(session, data.acquired_on, at="acquiredOn")
    refuse_closed(session, schedule.first_period(data.acquired_on), at="acquiredOn")
    cost, rate = schedule.cents(data.cost), rate.quantize(RATE_PLACES)
    tax_life = None
    if data.tax_treatment == TAX_STRAIGHT_LINE:
        tax_life = data.tax_life_months or category.tax_life_months
    asset = Asset(
        code=code or next_document_number(session, Asset.code, CODE_PREFIX),
        name=data.name.strip()[:128], category_id=category.id,
        department=data.department.strip()[:64], product_id=data.product_id,
        serial_id=data.serial_id, acquired_on=data.acquired_on,
        starts_on=schedule.first_period(data.acquired_on), cost=cost, residual_rate=rate,
        residual_value=schedule.residual_value(cost, rate),
        life_months=life, method=method,
        total_units=(data.total_units.quantize(UNIT_PLACES)
                     if data.total_units and method == schedule.UNITS_OF_PRODUCTION else None),
        tax_treatment=data.tax_treatment, tax_life_months=tax_life,
        note=data.note.strip()[:400], created_by_id=user_id)
    session.add(asset)
    session.flush()
    return asset


def create_asset(session: Session, data: AssetInput, *, user_id: int | None = None) -> Asset:
    """A new asset card; it depreciates from the month after ``acquired_on``."""
    if data.product_id is not None and session.get(Product, data.product_id) is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown product"),
                                          field="productCode"))
    with session.begin_nested():
        asset = _build(session, data, user_id)
    category = session.get_one(AssetCategory, asset.category_id)
    publish(session, AssetAcquired(asset_id=asset.id, code=asset.code,
                                   category_code=category.code, department=asset.department,
                                   acquired_on=asset.acquired_on, cost=asset.cost))
    return asset


def capitalize_serial(session: Session, serial_id: int, data: AssetInput, *,
                      user_id: int | None = None) -> Asset:
    """Turn a serial unit in stock (a demo unit the company keeps) into an asset at the
    unit's own cost, and move it out of sellable stock through the stock engine.

    ``data.cost`` is ignored: the unit's ``unit_cost`` is the asset's cost.
    """
    serial = session.get(SerialNumber, serial_id)
    if serial is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown serial number"),
                                          field="serialNumber"))
    if session.scalar(select(Asset.id).where(Asset.serial_id == serial.id)) is not None:
        raise ValidationFailed(FieldError("ALREADY_CAPITALIZED", _("Serial number {serial} "
                                                                   "is already an asset"),
                                          field="serialNumber", serial=serial.number))
    location = session.get_one(Location, serial.location_id)
    if location.warehouse_id is None:
        raise ValidationFailed(FieldError("SERIAL_NOT_IN_STOCK", _("Serial number {serial} "
                                                                   "is not in stock"),
                                          field="serialNumber", serial=serial.number))
    data.cost = serial.unit_cost
    data.product_id = serial.product_id
    data.serial_id = serial.id
    if data.cost <= 0:
        raise ValidationFailed(FieldError("INVALID", _("Serial number {serial} has no cost"),
                                          field="serialNumber", serial=serial.number))
    with session.begin_nested():
        asset = _build(session, data, user_id)
        moved = post_moves(session, [MoveLine(
            product_id=serial.product_id, quantity=Decimal(1), from_location_id=location.id,
            to_location_id=company_location(session, "adjustment").id,
            serials=[serial.number], note=asset.code)], move_date=data.acquired_on,
            origin_type=CAPITALIZE_ORIGIN, origin_id=asset.id, reference=asset.code,
            user_id=user_id, field="serialNumber")
    category = session.get_one(AssetCategory, asset.category_id)
    publish(session, AssetCapitalized(
        asset_id=asset.id, code=asset.code, category_code=category.code,
        department=asset.department, product_id=serial.product_id, serial_id=serial.id,
        acquired_on=asset.acquired_on, cost=asset.cost, move_ids=tuple(moved.move_ids)))
    return asset


def record_usage(session: Session, asset_id: int, period: date, units: Decimal) -> AssetUsage:
    """The units an asset on units of production worked in a month (replaces an earlier
    figure while the month is not yet posted)."""
    asset = get_asset(session, asset_id)
    period = schedule.month_start(period)
    if asset.method != schedule.UNITS_OF_PRODUCTION:
        raise ValidationFailed(FieldError("INVALID", _("Only assets depreciated by units of "
                                                       "production record usage"),
                                          field="assetCode"))
    if units < 0:
        raise ValidationFailed(FieldError("INVALID", _("The amount cannot be negative"),
                                          field="units"))
    last = asset.disposed_on and schedule.month_start(asset.disposed_on)
    if period < asset.starts_on or (last and period > last):
        raise ValidationFailed(FieldError("INVALID", _("The asset does not depreciate in "
                                                       "{period}"), field="period",
                                          period=f"{period:%Y-%m}"))
    refuse_closed(session, period)
    if session.scalar(select(DepreciationLine.id).where(
            DepreciationLine.asset_id == asset.id, DepreciationLine.book == BOOK,
            DepreciationLine.period >= period).limit(1)) is not None:
        raise ValidationFailed(FieldError("ALREADY_POSTED", _("Depreciation of {period} is "
                                                              "already posted"),
                                          field="period", period=f"{period:%Y-%m}"))
    units = units.quantize(UNIT_PLACES)
    row = session.get(AssetUsage, (asset.id, period))
    if row is None:
        row = AssetUsage(asset_id=asset.id, period=period, units=units)
        session.add(row)
    row.units = units
    session.flush()
    return row


def get_asset(session: Session, asset_id: int | None) -> Asset:
    asset = session.get(Asset, asset_id) if asset_id is not None else None
    if asset is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown asset"), field="assetCode"))
    return asset


def asset_by_code(session: Session, code: str) -> Asset | None:
    return session.scalar(select(Asset).where(Asset.code == code.strip()[:32]))


# -- schedules -----------------------------------------------------------------------------

def usage_of(session: Session, asset_ids: list[int]) -> dict[int, dict[date, Decimal]]:
    found: dict[int, dict[date, Decimal]] = {i: {} for i in asset_ids}
    if asset_ids:
        for row in session.scalars(select(AssetUsage).where(AssetUsage.asset_id.in_(asset_ids))):
            found[row.asset_id][row.period] = row.units
    return found


def book_amounts(asset: Asset, book: str, usage: dict[date, Decimal] | None = None,
                 ) -> tuple[Decimal, list[Decimal]]:
    """``(what it depreciates down to, monthly amounts)`` of ``asset`` in ``book``."""
    method, life, residual = asset.method, asset.life_months, asset.residual_value
    if book != BOOK and asset.tax_treatment == TAX_ONE_TIME:
        method, residual = schedule.ONE_TIME, Decimal("0.00")
    elif book != BOOK and asset.tax_treatment == TAX_STRAIGHT_LINE:
        method, life = schedule.STRAIGHT_LINE, asset.tax_life_months or life
    months: list[Decimal] = []
    if method == schedule.UNITS_OF_PRODUCTION and usage:
        count = schedule.months_between(asset.starts_on, max(usage)) + 1
        months = [usage.get(schedule.add_months(asset.starts_on, i), Decimal(0))
                  for i in range(count)]
    return residual, schedule.monthly_amounts(
        cost=asset.cost, residual=residual, life_months=life, method=method,
        total_units=asset.total_units, usage=months)


def asset_schedule(session: Session, asset: Asset, book: str = BOOK,
                   usage: dict[date, Decimal] | None = None) -> list[schedule.ScheduleLine]:
    """The months ``asset`` depreciates in ``book``, none after its disposal month (for
    units of production: the months with usage recorded so far)."""
    if usage is None and asset.method == schedule.UNITS_OF_PRODUCTION:
        usage = usage_of(session, [asset.id])[asset.id]
    _residual, amounts = book_amounts(asset, book, usage)
    last = schedule.month_start(asset.disposed_on) if asset.disposed_on else None
    return schedule.schedule_lines(cost=asset.cost, starts=asset.starts_on, amounts=amounts,
                                   last_period=last)


def default_acquired_on(session: Session, given: date | None) -> date:
    return given or business_today(session)
