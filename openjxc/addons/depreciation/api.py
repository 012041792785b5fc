"""depreciation through GraphQL: the queries, and the contribution (mutations in
:mod:`.api_mutations`).

``assets`` (filtered, paged), ``asset(code:)``, ``depreciationSchedule(assetCode:, book:)``,
``assetRegister(period:)``, ``depreciationSummary(period:, groupBy:)``,
``depreciationExport(report:, …)`` (.xlsx), ``assetCategories``, ``depreciationPeriods``,
``depreciationTaxPolicy``.
"""

from __future__ import annotations

import base64
from datetime import date
from typing import Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from openjxc.core.errors import ValidationFailed
from openjxc.graphql import BadUserInput, Connection, Contribution, field, get_session, paginate

from . import READ, models, reports, settings
from .api_enums import (
    AssetState,
    DepreciationBook,
    DepreciationError,
    DepreciationErrorCode,
    DepreciationGroup,
    DepreciationMethod,
    DepreciationReport,
    DisposalKind,
    TaxTreatment,
)
from .api_types import (
    Asset,
    AssetCategory,
    AssetRegisterLine,
    DepreciationFile,
    DepreciationPeriod,
    DepreciationRunResult,
    DepreciationScheduleLine,
    DepreciationSummaryLine,
    DepreciationTaxPolicy,
)
from .assets import asset_by_code

MAX_SEARCH = 64


@strawberry.input(description="Narrow the asset list; all given conditions hold.")
class AssetFilter:
    state: AssetState | None = None
    category_code: str | None = None
    department: str | None = None
    method: DepreciationMethod | None = None
    search: str | None = strawberry.field(default=None,
                                          description="Part of the code or the name.")


def _refused(action: Any) -> Any:
    """A refused argument (a bad period, an unknown asset) is a client error."""
    try:
        return action()
    except ValidationFailed as exc:
        raise BadUserInput(exc.message) from None


def _period(text: str) -> date:
    return _refused(lambda: settings.parse_period(text))  # type: ignore[no-any-return]


def assets(info: Info[Any, Any], filter: AssetFilter | None = None,
           first: int | None = None, after: str | None = None,
           last: int | None = None, before: str | None = None) -> Connection[Asset]:
    row = models.Asset
    stmt = select(row)
    if filter is not None:
        if filter.state is not None:
            stmt = stmt.where(row.state == filter.state.value)
        if filter.method is not None:
            stmt = stmt.where(row.method == filter.method.value)
        if filter.department:
            stmt = stmt.where(row.department == filter.department[:MAX_SEARCH].strip())
        if filter.category_code:
            stmt = stmt.where(row.category_id == select(models.AssetCategory.id).where(
                models.AssetCategory.code == filter.category_code[:MAX_SEARCH].strip())
                .scalar_subquery())
        if filter.search:
            text = filter.search[:MAX_SEARCH].strip()
            stmt = stmt.where(row.code.icontains(text, autoescape=True)
                              | row.name.icontains(text, autoescape=True))
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=[row.code], to_node=Asset.from_row, info=info)


def asset(info: Info[Any, Any], code: str) -> Asset | None:
    found = asset_by_code(get_session(info), code)
    return Asset.from_row(found) if found is not None else None


def _asset_row(info: Info[Any, Any], code: str) -> models.Asset:
    found = asset_by_code(get_session(info), code)
    if found is None:
        raise BadUserInput(f"unknown asset {code[:MAX_SEARCH]!r}")
    return found


def depreciation_schedule(info: Info[Any, Any], asset_code: str,
                          book: DepreciationBook = DepreciationBook.BOOK,
                          ) -> list[DepreciationScheduleLine]:
    found = _asset_row(info, asset_code)
    return [DepreciationScheduleLine(period=f"{r.period:%Y-%m}", amount=r.amount,
                                     accumulated=r.accumulated,
                                     net_book_value=r.net_book_value, posted=r.posted)
            for r in reports.schedule_rows(get_session(info), found, book.value)]


def asset_register(info: Info[Any, Any], period: str) -> list[AssetRegisterLine]:
    return [AssetRegisterLine(
        code=r.code, name=r.name, category=r.category, department=r.department,
        acquired_on=r.acquired_on, method=DepreciationMethod(r.method),
        life_months=r.life_months, cost=r.cost, residual_value=r.residual_value,
        accumulated_depreciation=r.accumulated, net_book_value=r.net_book_value,
        tax_accumulated_depreciation=r.tax_accumulated, state=AssetState(r.state))
        for r in reports.register_rows(get_session(info), _period(period))]


def depreciation_summary(info: Info[Any, Any], period: str,
                         group_by: DepreciationGroup = DepreciationGroup.DEPARTMENT,
                         ) -> list[DepreciationSummaryLine]:
    return [DepreciationSummaryLine(key=r.key, name=r.name, assets=r.assets, amount=r.amount,
                                    tax_amount=r.tax_amount)
            for r in reports.summary_rows(get_session(info), _period(period),
                                          group_by.value)]


def depreciation_export(info: Info[Any, Any], report: DepreciationReport,
                        period: str | None = None, asset_code: str | None = None,
                        book: DepreciationBook = DepreciationBook.BOOK,
                        group_by: DepreciationGroup = DepreciationGroup.DEPARTMENT,
                        ) -> DepreciationFile:
    session = get_session(info)
    if report is DepreciationReport.SCHEDULE:
        found = _asset_row(info, asset_code or "")
        content, count = reports.schedule_xlsx(session, found, book.value)
        name = f"depreciation-schedule-{found.code}-{book.value}"
    else:
        month = _period(period or "")
        if report is DepreciationReport.REGISTER:
            content, count = reports.register_xlsx(session, month)
            name = f"asset-register-{month:%Y-%m}"
        else:
            content, count = reports.summary_xlsx(session, month, group_by.value)
            name = f"depreciation-summary-{month:%Y-%m}-{group_by.value}"
    return DepreciationFile(filename=f"{name}.xlsx", content_type=reports.CONTENT_TYPE,
                            content_base64=base64.b64encode(content).decode("ascii"),
                            row_count=count)


def asset_categories(info: Info[Any, Any]) -> list[AssetCategory]:
    return [AssetCategory.from_row(r) for r in get_session(info).scalars(
        select(models.AssetCategory).order_by(models.AssetCategory.code))]


def depreciation_periods(info: Info[Any, Any]) -> list[DepreciationPeriod]:
    return [DepreciationPeriod.from_row(r) for r in get_session(info).scalars(
        select(models.DepreciationPeriod).order_by(models.DepreciationPeriod.period.desc()))]


def depreciation_tax_policy(info: Info[Any, Any]) -> DepreciationTaxPolicy:
    return DepreciationTaxPolicy.from_row(settings.tax_policy(get_session(info)))


def contribution() -> Contribution:
    from .api_mutations import mutations, types

    return Contribution(
        types=[Asset, AssetCategory, AssetRegisterLine, DepreciationFile, DepreciationPeriod,
               DepreciationRunResult, DepreciationScheduleLine, DepreciationSummaryLine,
               DepreciationTaxPolicy, AssetFilter, AssetState, DepreciationBook,
               DepreciationGroup, DepreciationMethod, DepreciationReport, DisposalKind,
               TaxTreatment, DepreciationErrorCode, DepreciationError, *types()],
        queries=[
            field(assets, permission=READ, name="assets",
                  description="Fixed assets, filtered, by code."),
            field(asset, permission=READ, name="asset", description="An asset by its code."),
            field(depreciation_schedule, permission=READ, name="depreciationSchedule",
                  description="An asset's monthly depreciation in the book asked for, to the "
                              "end of its life (or its disposal month)."),
            field(asset_register, permission=READ, name="assetRegister",
                  description="The asset register at the end of a month (YYYY-MM)."),
            field(depreciation_summary, permission=READ, name="depreciationSummary",
                  description="A month's posted depreciation by department or category."),
            field(depreciation_export, permission=READ, name="depreciationExport",
                  description="The register, a schedule or a summary as an .xlsx file."),
            field(asset_categories, permission=READ, name="assetCategories",
                  description="Asset categories and their defaults."),
            field(depreciation_periods, permission=READ, name="depreciationPeriods",
                  description="Months run or closed, the latest first."),
            field(depreciation_tax_policy, permission=READ, name="depreciationTaxPolicy",
                  description="The one-time deduction's window and ceiling."),
        ],
        mutations=mutations(),
    )


__all__ = ["DepreciationError", "DepreciationRunResult", "contribution"]
