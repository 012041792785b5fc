"""depreciation's GraphQL object types and the DataLoaders behind them: a page of assets
with their categories, products, serial numbers and posted totals costs a fixed number of
statements, whatever its size."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, cast

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from openjxc.addons.base_jxc.catalog.api import Product
from openjxc.addons.base_jxc.stock.api_types import load_products
from openjxc.addons.base_jxc.stock.models import SerialNumber as SerialRow
from openjxc.graphql import Node, align, get_session

from . import READ, models, reports
from .api_enums import AssetState, DepreciationBook, DepreciationMethod, DisposalKind, TaxTreatment


@strawberry.type(description="A kind of asset with its default life, method and residual "
                             "rate.")
class AssetCategory:
    code: str
    name: str
    life_months: int
    tax_life_months: int = strawberry.field(
        description="The shortest life the tax law allows (the tax book's default).")
    method: DepreciationMethod
    residual_rate: Decimal
    one_time_eligible: bool = strawberry.field(
        description="Whether the one-time tax deduction may apply (not to buildings).")

    @classmethod
    def from_row(cls, row: models.AssetCategory) -> AssetCategory:
        return cls(code=row.code, name=row.name, life_months=row.life_months,
                   tax_life_months=row.tax_life_months,
                   method=DepreciationMethod(row.method), residual_rate=row.residual_rate,
                   one_time_eligible=row.one_time_eligible)


def _categories(info: Info[Any, Any]) -> Any:
    def batch(ids: list[int]) -> list[AssetCategory | None]:
        rows = get_session(info).scalars(select(models.AssetCategory)
                                         .where(models.AssetCategory.id.in_(set(ids))))
        found = {r.id: AssetCategory.from_row(r) for r in rows}
        return [found.get(i) for i in ids]

    return info.context.loaders.get("depreciation.category", batch)


def _serials(info: Info[Any, Any]) -> Any:
    def batch(ids: list[int]) -> list[str | None]:
        found = dict(get_session(info).execute(
            select(SerialRow.id, SerialRow.number).where(SerialRow.id.in_(set(ids)))).all())
        return [found.get(i) for i in ids]

    return info.context.loaders.get("depreciation.serial", batch)


def _posted(info: Info[Any, Any], book: str) -> Any:
    def batch(ids: list[int]) -> list[Decimal]:
        found = reports.posted_totals(get_session(info), ids, book)
        return [found.get(i, Decimal("0.00")) for i in ids]

    return info.context.loaders.get(f"depreciation.posted.{book}", batch)


@strawberry.type(description="A fixed-asset card (固定资产卡片).")
class Asset(Node):
    node_permission: ClassVar[str] = READ

    code: str
    name: str
    department: str
    acquired_on: date
    starts_on: date = strawberry.field(
        description="The first month of depreciation: the month after acquisition.")
    cost: Decimal = strawberry.field(description="原值.")
    residual_rate: Decimal
    residual_value: Decimal = strawberry.field(description="预计净残值 (cost × rate).")
    life_months: int
    method: DepreciationMethod
    total_units: Decimal | None = strawberry.field(
        description="预计总工作量 (units of production only).")
    tax_treatment: TaxTreatment
    tax_life_months: int | None
    state: AssetState
    disposed_on: date | None
    disposal_kind: DisposalKind | None
    proceeds: Decimal | None
    disposal_costs: Decimal | None
    disposal_net_value: Decimal | None = strawberry.field(
        description="Net book value at disposal (the disposal month depreciated).")
    gain_loss: Decimal | None = strawberry.field(
        description="proceeds − net book value − costs (negative: a loss).")
    note: str
    category_id: strawberry.Private[int]
    product_id: strawberry.Private[int | None]
    serial_id: strawberry.Private[int | None]

    @strawberry.field
    async def category(self, info: Info[Any, Any]) -> AssetCategory | None:
        return cast("AssetCategory | None", await _categories(info).load(self.category_id))

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product | None:
        if self.product_id is None:
            return None
        return await load_products(info).load(self.product_id)  # type: ignore[no-any-return]

    @strawberry.field(description="The serial unit it was capitalised from.")
    async def serial_number(self, info: Info[Any, Any]) -> str | None:
        if self.serial_id is None:
            return None
        return cast("str | None", await _serials(info).load(self.serial_id))

    @strawberry.field(description="累计折旧 posted so far in the book asked for.")
    async def accumulated_depreciation(self, info: Info[Any, Any],
                                       book: DepreciationBook = DepreciationBook.BOOK,
                                       ) -> Decimal:
        return cast(Decimal, await _posted(info, book.value).load(self.pk))

    @strawberry.field(description="净值: cost less the depreciation posted in the book.")
    async def net_book_value(self, info: Info[Any, Any],
                             book: DepreciationBook = DepreciationBook.BOOK) -> Decimal:
        return self.cost - cast(Decimal, await _posted(info, book.value).load(self.pk))

    @classmethod
    def from_row(cls, row: models.Asset) -> Asset:
        return cls(
            pk=row.id, code=row.code, name=row.name, department=row.department,
            acquired_on=row.acquired_on, starts_on=row.starts_on, cost=row.cost,
            residual_rate=row.residual_rate, residual_value=row.residual_value,
            life_months=row.life_months, method=DepreciationMethod(row.method),
            total_units=row.total_units, tax_treatment=TaxTreatment(row.tax_treatment),
            tax_life_months=row.tax_life_months, state=AssetState(row.state),
            disposed_on=row.disposed_on,
            disposal_kind=DisposalKind(row.disposal_kind) if row.disposal_kind else None,
            proceeds=row.proceeds, disposal_costs=row.disposal_costs,
            disposal_net_value=row.disposal_net_value, gain_loss=row.gain_loss,
            note=row.note, category_id=row.category_id, product_id=row.product_id,
            serial_id=row.serial_id)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[Asset | None]:
        rows = get_session(info).scalars(select(models.Asset).where(models.Asset.id.in_(pks)))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda a: a.pk)


@strawberry.type(description="A month of an asset's schedule.")
class DepreciationScheduleLine:
    period: str = strawberry.field(description="YYYY-MM.")
    amount: Decimal
    accumulated: Decimal
    net_book_value: Decimal
    posted: bool = strawberry.field(description="Whether the month's run posted it.")


@strawberry.type(description="A line of the asset register (固定资产台账).")
class AssetRegisterLine:
    code: str
    name: str
    category: str
    department: str
    acquired_on: date
    method: DepreciationMethod
    life_months: int
    cost: Decimal
    residual_value: Decimal
    accumulated_depreciation: Decimal
    net_book_value: Decimal
    tax_accumulated_depreciation: Decimal
    state: AssetState


@strawberry.type(description="A month's depreciation of a department or a category.")
class DepreciationSummaryLine:
    key: str = strawberry.field(description="The department, or the category code.")
    name: str
    assets: int
    amount: Decimal = strawberry.field(description="Book depreciation.")
    tax_amount: Decimal


@strawberry.type(description="A month of depreciation and whether it is closed.")
class DepreciationPeriod:
    period: str = strawberry.field(description="YYYY-MM.")
    closed: bool
    posted: bool = strawberry.field(description="Whether a run posted anything in it.")

    @classmethod
    def from_row(cls, row: models.DepreciationPeriod) -> DepreciationPeriod:
        return cls(period=f"{row.period:%Y-%m}", closed=row.closed,
                   posted=row.last_run_at is not None)


@strawberry.type(description="The one-time deduction for equipment (设备器具一次性税前扣除).")
class DepreciationTaxPolicy:
    one_time_enabled: bool
    one_time_from: date
    one_time_to: date
    one_time_limit: Decimal = strawberry.field(description="The highest unit value (CNY).")

    @classmethod
    def from_row(cls, row: models.TaxPolicy) -> DepreciationTaxPolicy:
        return cls(one_time_enabled=row.one_time_enabled, one_time_from=row.one_time_from,
                   one_time_to=row.one_time_to, one_time_limit=row.one_time_limit)


@strawberry.type(description="What a depreciation run posted.")
class DepreciationRunResult:
    period: str
    posted_lines: int = strawberry.field(description="0 when the month was already run.")
    assets: int
    book_total: Decimal
    tax_total: Decimal


@strawberry.type(description="A depreciation report as an .xlsx file, base64-encoded.")
class DepreciationFile:
    filename: str
    content_type: str
    content_base64: str
    row_count: int
