"""Two small fake addons written the way real ones are: ``catalog`` owns products and
categories; ``warranty`` depends on it and extends its ``Product`` type and its
``ProductFilter`` input without ``catalog`` knowing.  Their tables live on a metadata of
their own so the tests never touch the real addons' tables.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar

import strawberry
from sqlalchemy import ForeignKey, Select, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column
from strawberry.types import Info

from openjxc.core.models import Money
from openjxc.graphql import (
    Connection,
    Contribution,
    FilterField,
    Node,
    align,
    apply_filter_extensions,
    field,
    get_session,
    make_user_error_type,
    mutation,
    paginate,
    subscription,
)


class FakeBase(DeclarativeBase):
    pass


class CategoryRow(FakeBase):
    __tablename__ = "t_category"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))


class ProductRow(FakeBase):
    __tablename__ = "t_product"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(40))
    price: Mapped[Decimal] = mapped_column(Money())
    cost: Mapped[Decimal] = mapped_column(Money())
    category_id: Mapped[int | None] = mapped_column(ForeignKey("t_category.id"))


class WarrantyRow(FakeBase):
    """The warranty addon's companion table (it never alters the catalog's)."""

    __tablename__ = "t_warranty"
    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("t_product.id"))
    months: Mapped[int]


# -- catalog ------------------------------------------------------------------------------

def load_categories(session: Session, ids: list[int]) -> list[Category | None]:
    rows = session.scalars(select(CategoryRow).where(CategoryRow.id.in_(ids)))
    return align(ids, [Category.from_row(r) for r in rows], key=lambda c: c.pk)


@strawberry.type
class Category(Node):
    node_permission: ClassVar[str] = "catalog.category.read"
    name: str

    @field(permission="stock.cost.read", description="What the category's stock cost.")
    def stock_value(self) -> Decimal | None:
        return Decimal("100.00")

    @classmethod
    def from_row(cls, row: CategoryRow) -> Category:
        return cls(pk=row.id, name=row.name)

    @classmethod
    def get_nodes(cls, info: Info, pks: Sequence[int]) -> list[Category | None]:
        return load_categories(get_session(info), list(pks))


@strawberry.type
class Product(Node):
    node_permission: ClassVar[str] = "catalog.product.read"
    code: str
    name: str
    price: Decimal
    category_id: strawberry.Private[int | None] = None
    cost: Decimal | None = field(permission="stock.cost.read", default=None)

    @classmethod
    def from_row(cls, row: ProductRow) -> Product:
        return cls(pk=row.id, code=row.code, name=row.name, price=row.price, cost=row.cost,
                   category_id=row.category_id)

    @classmethod
    async def get_nodes(cls, info: Info, pks: Sequence[int]) -> list[Product | None]:
        rows = get_session(info).scalars(select(ProductRow).where(ProductRow.id.in_(pks)))
        return align(pks, [Product.from_row(r) for r in rows], key=lambda p: p.pk)

    @strawberry.field
    async def category(self, info: Info) -> Category | None:
        if self.category_id is None:
            return None
        session = get_session(info)
        loader = info.context.loaders.get("catalog.category",
                                          lambda ids: load_categories(session, ids))
        return await loader.load(self.category_id)


@strawberry.input
class ProductFilter:
    code_prefix: str | None = None


@strawberry.enum
class ProductSort(Enum):
    NAME = "NAME"
    NAME_DESC = "NAME_DESC"
    PRICE = "PRICE"


SORT_KEYS = {
    ProductSort.NAME: [ProductRow.name],
    ProductSort.NAME_DESC: [ProductRow.name.desc()],
    ProductSort.PRICE: [ProductRow.price],
}


def products(info: Info, filter: ProductFilter | None = None,
             sort: ProductSort = ProductSort.NAME, first: int | None = None,
             after: str | None = None, last: int | None = None,
             before: str | None = None) -> Connection[Product]:
    stmt: Select[Any] = select(ProductRow)
    if filter is not None and filter.code_prefix:
        stmt = stmt.where(ProductRow.code.startswith(filter.code_prefix))
    stmt = apply_filter_extensions(info, "ProductFilter", stmt, filter)
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=SORT_KEYS[sort], to_node=Product.from_row,
                    info=info)


def product(info: Info, code: str) -> Product | None:
    row = get_session(info).scalar(select(ProductRow).where(ProductRow.code == code))
    return None if row is None else Product.from_row(row)


def catalog_version() -> str:
    return "1.0"


@strawberry.enum
class CatalogErrorCode(Enum):
    DUPLICATE_CODE = "DUPLICATE_CODE"
    NOT_FOUND = "NOT_FOUND"


CatalogError = make_user_error_type("Catalog", CatalogErrorCode)


@strawberry.input
class ProductRenameInput:
    code: str
    name: str


@strawberry.type
class ProductRenamePayload:
    product: Product | None
    errors: list[CatalogError]  # type: ignore[valid-type]


def product_rename(info: Info, input: ProductRenameInput) -> ProductRenamePayload:
    row = get_session(info).scalar(select(ProductRow).where(ProductRow.code == input.code))
    if row is None:
        error = CatalogError(field=["code"], message="No such product.",
                             code=CatalogErrorCode.NOT_FOUND)
        return ProductRenamePayload(product=None, errors=[error])
    row.name = input.name
    return ProductRenamePayload(product=Product.from_row(row), errors=[])


async def price_changes(info: Info) -> AsyncGenerator[Decimal, None]:
    for price in (Decimal("1.50"), Decimal("2")):
        yield price


def catalog_contribution() -> Contribution:
    return Contribution(
        types=[Product, Category, ProductFilter, ProductSort, CatalogErrorCode, CatalogError],
        queries=[
            field(products, permission="catalog.product.read"),
            field(product, permission="catalog.product.read"),
            field(catalog_version, public=True),
        ],
        mutations=[mutation(product_rename, permission="catalog.product.update")],
        subscriptions=[subscription(price_changes, permission="catalog.product.read")],
    )


# -- warranty (depends on catalog) ------------------------------------------------------------

@strawberry.type
class Warranty:
    months: int


def load_warranties(session: Session, product_ids: list[int]) -> list[Warranty | None]:
    rows = session.scalars(select(WarrantyRow).where(WarrantyRow.product_id.in_(product_ids)))
    by_product = {r.product_id: Warranty(months=r.months) for r in rows}
    return [by_product.get(pid) for pid in product_ids]


async def warranty(root: Product, info: Info) -> Warranty | None:
    session = get_session(info)
    loader = info.context.loaders.get("warranty.by_product",
                                      lambda ids: load_warranties(session, ids))
    return await loader.load(root.pk)


def under_warranty(stmt: Select[Any], value: bool, info: Info) -> Select[Any]:
    covered = select(WarrantyRow.product_id)
    return stmt.where(ProductRow.id.in_(covered) if value else ProductRow.id.not_in(covered))


def warranty_contribution() -> Contribution:
    return Contribution(
        types=[Warranty],
        type_fields={"Product": [field(warranty, permission="warranty.policy.read")]},
        filter_fields={"ProductFilter": [
            FilterField("under_warranty", bool, under_warranty,
                        "Only products with (true) or without (false) a warranty policy."),
        ]},
    )
