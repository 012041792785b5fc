"""The depreciation mutations: ``assetCreate``, ``assetCapitalizeSerial``,
``assetDispose``, ``assetUsageRecord``, ``depreciationRun``, ``depreciationPeriodClose``,
``depreciationPeriodReopen``; the settings ones are in :mod:`.api_settings`.

The posting ones (capitalising moves stock; disposing and running post) accept
``idempotencyKey``: a retry with the same key and input gets the first answer.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.stock.models import SerialNumber
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.graphql import mutation
from openjxc.graphql.payloads import run_posting, run_service

from . import models, settings
from .api_enums import DepreciationError, DepreciationMethod, DisposalKind, TaxTreatment
from .api_settings import setting_mutations, setting_types
from .api_types import (
    Asset,
    DepreciationPeriod,
    DepreciationRunResult,
)
from .assets import (
    AssetInput,
    asset_by_code,
    capitalize_serial,
    create_asset,
    default_acquired_on,
    record_usage,
)
from .disposal import dispose_asset
from .runs import RunResult, run_depreciation

MAX_CODE = 64
CREATE = "depreciation.asset.create"


def _user_id(info: Info[Any, Any]) -> int | None:
    return getattr(getattr(info.context, "principal", None), "user_id", None)


def _node(row: models.Asset | None) -> Asset | None:
    return Asset.from_row(row) if row is not None else None


def _encode(row: models.Asset | None) -> int | None:
    return row.id if row is not None else None


def _decode(session: Session, asset_id: int) -> models.Asset:
    return session.get_one(models.Asset, asset_id)


def _asset_id(session: Session, code: str) -> int:
    found = asset_by_code(session, code)
    if found is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown asset {code}"),
                                          field="assetCode", code=code.strip()[:MAX_CODE]))
    return found.id


def _product_id(session: Session, code: str | None) -> int | None:
    text = (code or "").strip()[:MAX_CODE]
    if not text:
        return None
    found = session.scalar(select(Product.id).where(Product.code == text))
    if found is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown product {code}"),
                                          field="productCode", code=text))
    return found


# -- assetCreate / assetCapitalizeSerial --------------------------------------------------

@strawberry.input(description="An asset card; empty fields take the category's defaults.")
class AssetCreateInput:
    name: str
    category_code: str
    cost: Decimal = strawberry.field(description="原值 (CNY).")
    acquired_on: date | None = strawberry.field(default=None, description="Default: today.")
    code: str | None = strawberry.field(default=None, description="Default: GZ-YYYYMM-NNNN.")
    department: str = ""
    product_code: str | None = None
    residual_rate: Decimal | None = strawberry.field(default=None,
                                                     description="0.05 for 5 %.")
    life_months: int | None = None
    method: DepreciationMethod | None = None
    total_units: Decimal | None = strawberry.field(
        default=None, description="预计总工作量 (units of production).")
    tax_treatment: TaxTreatment = TaxTreatment.SAME
    tax_life_months: int | None = strawberry.field(
        default=None, description="For STRAIGHT_LINE tax: default the category's tax life.")
    note: str = ""


def _asset_input(session: Session, data: Any, cost: Decimal) -> AssetInput:
    return AssetInput(
        name=data.name, category_code=data.category_code[:MAX_CODE], cost=cost,
        acquired_on=default_acquired_on(session, data.acquired_on), code=data.code,
        department=data.department, residual_rate=data.residual_rate,
        life_months=data.life_months, method=data.method.value if data.method else None,
        total_units=data.total_units, tax_treatment=data.tax_treatment.value,
        tax_life_months=data.tax_life_months, note=data.note)


@strawberry.type
class AssetCreatePayload:
    asset: Asset | None
    errors: list[DepreciationError]  # type: ignore[valid-type]


def asset_create(info: Info[Any, Any], input: AssetCreateInput) -> AssetCreatePayload:
    def action(session: Session) -> models.Asset:
        data = _asset_input(session, input, input.cost)
        data.product_id = _product_id(session, input.product_code)
        return create_asset(session, data, user_id=_user_id(info))

    row, errors = run_service(info, action, DepreciationError)
    return AssetCreatePayload(asset=_node(row), errors=errors)


@strawberry.input(description="A serial unit in stock to keep as an asset, at its own "
                              "cost; the rest as for assetCreate.")
class AssetCapitalizeSerialInput:
    serial_number: str
    name: str
    category_code: str
    product_code: str | None = strawberry.field(
        default=None, description="Needed when several products have the number.")
    acquired_on: date | None = strawberry.field(default=None, description="Default: today.")
    code: str | None = None
    department: str = ""
    residual_rate: Decimal | None = None
    life_months: int | None = None
    method: DepreciationMethod | None = None
    total_units: Decimal | None = None
    tax_treatment: TaxTreatment = TaxTreatment.SAME
    tax_life_months: int | None = None
    note: str = ""
    idempotency_key: str | None = None


@strawberry.type
class AssetCapitalizeSerialPayload:
    asset: Asset | None
    errors: list[DepreciationError]  # type: ignore[valid-type]


def _serial_id(session: Session, number: str, product_id: int | None) -> int:
    stmt = select(SerialNumber.id).where(SerialNumber.number == number.strip()[:MAX_CODE])
    if product_id is not None:
        stmt = stmt.where(SerialNumber.product_id == product_id)
    found = list(session.scalars(stmt.limit(2)))
    if len(found) == 1:
        return found[0]
    if found:
        raise ValidationFailed(FieldError("INVALID", _("Several products have serial number "
                                                       "{serial}: name the product"),
                                          field="productCode", serial=number.strip()))
    raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown serial number {serial}"),
                                      field="serialNumber", serial=number.strip()[:MAX_CODE]))


def asset_capitalize_serial(info: Info[Any, Any], input: AssetCapitalizeSerialInput,
                            ) -> AssetCapitalizeSerialPayload:
    def action(session: Session) -> models.Asset:
        serial = _serial_id(session, input.serial_number,
                            _product_id(session, input.product_code))
        return capitalize_serial(session, serial, _asset_input(session, input, Decimal(0)),
                                 user_id=_user_id(info))

    row, errors = run_posting(info, action, DepreciationError, scope="assetCapitalizeSerial",
                              idempotency_key=input.idempotency_key, request=input,
                              encode=_encode, decode=_decode)
    return AssetCapitalizeSerialPayload(asset=_node(row), errors=errors)


# -- assetDispose / assetUsageRecord ------------------------------------------------------

@strawberry.input(description="Sell or scrap an asset; it depreciates in the disposal "
                              "month, not after.")
class AssetDisposeInput:
    asset_code: str
    kind: DisposalKind
    disposed_on: date
    proceeds: Decimal = strawberry.field(default=Decimal(0),
                                         description="What it was sold for (变价收入).")
    costs: Decimal = strawberry.field(default=Decimal(0), description="清理费用.")
    note: str = ""
    idempotency_key: str | None = None


@strawberry.type
class AssetDisposePayload:
    asset: Asset | None
    errors: list[DepreciationError]  # type: ignore[valid-type]


def asset_dispose(info: Info[Any, Any], input: AssetDisposeInput) -> AssetDisposePayload:
    row, errors = run_posting(
        info, lambda s: dispose_asset(s, _asset_id(s, input.asset_code), kind=input.kind.value,
                                      disposed_on=input.disposed_on, proceeds=input.proceeds,
                                      costs=input.costs, note=input.note),
        DepreciationError, scope="assetDispose", idempotency_key=input.idempotency_key,
        request=input, encode=_encode, decode=_decode)
    return AssetDisposePayload(asset=_node(row), errors=errors)


@strawberry.input(description="The units an asset on units of production worked in a month.")
class AssetUsageRecordInput:
    asset_code: str
    period: str = strawberry.field(description="YYYY-MM.")
    units: Decimal


@strawberry.type
class AssetUsageRecordPayload:
    asset: Asset | None
    errors: list[DepreciationError]  # type: ignore[valid-type]


def asset_usage_record(info: Info[Any, Any], input: AssetUsageRecordInput,
                       ) -> AssetUsageRecordPayload:
    def action(session: Session) -> models.Asset:
        asset_id = _asset_id(session, input.asset_code)
        record_usage(session, asset_id, settings.parse_period(input.period), input.units)
        return session.get_one(models.Asset, asset_id)

    row, errors = run_service(info, action, DepreciationError)
    return AssetUsageRecordPayload(asset=_node(row), errors=errors)


# -- depreciationRun / periods ------------------------------------------------------------

@strawberry.input
class DepreciationRunInput:
    period: str = strawberry.field(description="YYYY-MM.")
    idempotency_key: str | None = None


@strawberry.type
class DepreciationRunPayload:
    result: DepreciationRunResult | None
    errors: list[DepreciationError]  # type: ignore[valid-type]


def _run_encode(result: RunResult | None) -> dict[str, Any] | None:
    if result is None:
        return None
    return {"period": f"{result.period:%Y-%m}", "posted": result.posted,
            "assets": result.assets, "book": str(result.book_total),
            "tax": str(result.tax_total)}


def _run_decode(_session: Session, stored: dict[str, Any]) -> RunResult:
    return RunResult(period=date.fromisoformat(f"{stored['period']}-01"),
                     posted=stored["posted"], assets=stored["assets"],
                     book_total=Decimal(stored["book"]), tax_total=Decimal(stored["tax"]))


def depreciation_run(info: Info[Any, Any], input: DepreciationRunInput,
                     ) -> DepreciationRunPayload:
    result, errors = run_posting(
        info, lambda s: run_depreciation(s, settings.parse_period(input.period)),
        DepreciationError, scope="depreciationRun", idempotency_key=input.idempotency_key,
        request=input, encode=_run_encode, decode=_run_decode)
    found = None
    if result is not None:
        found = DepreciationRunResult(period=f"{result.period:%Y-%m}",
                                      posted_lines=result.posted, assets=result.assets,
                                      book_total=result.book_total,
                                      tax_total=result.tax_total)
    return DepreciationRunPayload(result=found, errors=errors)


@strawberry.input
class DepreciationPeriodInput:
    period: str = strawberry.field(description="YYYY-MM.")


@strawberry.type
class DepreciationPeriodPayload:
    period: DepreciationPeriod | None
    errors: list[DepreciationError]  # type: ignore[valid-type]


def _period_payload(info: Info[Any, Any], action: Any) -> DepreciationPeriodPayload:
    row, errors = run_service(info, action, DepreciationError)
    return DepreciationPeriodPayload(
        period=DepreciationPeriod.from_row(row) if row is not None else None, errors=errors)


def depreciation_period_close(info: Info[Any, Any], input: DepreciationPeriodInput,
                              ) -> DepreciationPeriodPayload:
    return _period_payload(info, lambda s: settings.close_period(
        s, settings.parse_period(input.period), user_id=_user_id(info)))


def depreciation_period_reopen(info: Info[Any, Any], input: DepreciationPeriodInput,
                               ) -> DepreciationPeriodPayload:
    return _period_payload(info, lambda s: settings.reopen_period(
        s, settings.parse_period(input.period)))


def types() -> list[type]:
    return [AssetCreateInput, AssetCreatePayload, AssetCapitalizeSerialInput,
            AssetCapitalizeSerialPayload, AssetDisposeInput, AssetDisposePayload,
            AssetUsageRecordInput, AssetUsageRecordPayload, DepreciationRunInput,
            DepreciationRunPayload, DepreciationPeriodInput, DepreciationPeriodPayload,
            *setting_types()]


def mutations() -> list[Any]:
    return [
        mutation(asset_create, permission=CREATE, name="assetCreate",
                 description="A new asset card; it depreciates from the next month."),
        mutation(asset_capitalize_serial, permission=CREATE, name="assetCapitalizeSerial",
                 description="Keep a serial unit from stock as an asset at its own cost "
                             "(it leaves sellable stock)."),
        mutation(asset_dispose, permission="depreciation.asset.dispose", name="assetDispose",
                 description="Sell or scrap an asset, with its gain or loss."),
        mutation(asset_usage_record, permission=CREATE, name="assetUsageRecord",
                 description="Record a month's usage of a units-of-production asset."),
        mutation(depreciation_run, permission="depreciation.run.post",
                 name="depreciationRun",
                 description="Post a month's depreciation (running it again posts nothing)."),
        mutation(depreciation_period_close, permission="depreciation.period.close",
                 name="depreciationPeriodClose",
                 description="Close a month: no run, disposal or usage in it any more."),
        mutation(depreciation_period_reopen, permission="depreciation.period.close",
                 name="depreciationPeriodReopen", description="Reopen a closed month."),
        *setting_mutations(),
    ]
