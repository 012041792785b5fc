"""The settings mutations: ``assetCategorySave`` and ``depreciationTaxPolicySet``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from openjxc.graphql import mutation
from openjxc.graphql.payloads import run_service

from . import settings
from .api_enums import DepreciationError, DepreciationMethod
from .api_types import AssetCategory, DepreciationTaxPolicy

MAX_CODE = 64
MANAGE = "depreciation.settings.manage"


@strawberry.input(description="Create a category or change the one with this code.")
class AssetCategorySaveInput:
    code: str
    name: str
    life_months: int
    tax_life_months: int | None = None
    method: DepreciationMethod = DepreciationMethod.STRAIGHT_LINE
    residual_rate: Decimal = Decimal("0.05")
    one_time_eligible: bool = True


@strawberry.type
class AssetCategorySavePayload:
    category: AssetCategory | None
    errors: list[DepreciationError]  # type: ignore[valid-type]


def asset_category_save(info: Info[Any, Any], input: AssetCategorySaveInput,
                        ) -> AssetCategorySavePayload:
    row, errors = run_service(info, lambda s: settings.save_category(s, settings.CategoryInput(
        code=input.code[:MAX_CODE], name=input.name, life_months=input.life_months,
        tax_life_months=input.tax_life_months, method=input.method.value,
        residual_rate=input.residual_rate, one_time_eligible=input.one_time_eligible)),
        DepreciationError)
    return AssetCategorySavePayload(
        category=AssetCategory.from_row(row) if row is not None else None, errors=errors)


@strawberry.input
class DepreciationTaxPolicySetInput:
    one_time_enabled: bool
    one_time_from: date
    one_time_to: date
    one_time_limit: Decimal


@strawberry.type
class DepreciationTaxPolicySetPayload:
    policy: DepreciationTaxPolicy | None
    errors: list[DepreciationError]  # type: ignore[valid-type]


def depreciation_tax_policy_set(info: Info[Any, Any], input: DepreciationTaxPolicySetInput,
                                ) -> DepreciationTaxPolicySetPayload:
    row, errors = run_service(info, lambda s: settings.set_tax_policy(
        s, enabled=input.one_time_enabled, starts=input.one_time_from,
        ends=input.one_time_to, limit=input.one_time_limit), DepreciationError)
    return DepreciationTaxPolicySetPayload(
        policy=DepreciationTaxPolicy.from_row(row) if row is not None else None,
        errors=errors)


def setting_types() -> list[type]:
    return [AssetCategorySaveInput, AssetCategorySavePayload, DepreciationTaxPolicySetInput,
            DepreciationTaxPolicySetPayload]


def setting_mutations() -> list[Any]:
    return [
        mutation(asset_category_save, permission=MANAGE, name="assetCategorySave",
                 description="Create or change an asset category and its defaults."),
        mutation(depreciation_tax_policy_set, permission=MANAGE,
                 name="depreciationTaxPolicySet",
                 description="Change the one-time deduction's window and ceiling."),
    ]
