"""The catalog's GraphQL face: a thin skin over :mod:`.services`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from openjxc.core.i18n import _
from openjxc.graphql import (
    Connection,
    Contribution,
    Node,
    align,
    apply_filter_extensions,
    field,
    get_session,
    make_user_error_type,
    mutation,
    paginate,
)
from openjxc.graphql.payloads import run_service

from . import models, services

#: Longer search terms are cut: nothing longer can match a code, name or model.
MAX_SEARCH = 200


@strawberry.enum(description="How units of a product are told apart in stock.")
class Tracking(Enum):
    NONE = "none"
    BATCH = "batch"
    SERIAL = "serial"

    __labels__ = {"NONE": _("Not tracked"), "BATCH": _("By batch"),
                  "SERIAL": _("By serial number")}


@strawberry.enum
class CatalogErrorCode(Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE_CODE = "DUPLICATE_CODE"
    CODE_TEMPLATE_MISMATCH = "CODE_TEMPLATE_MISMATCH"


CatalogError = make_user_error_type("Catalog", CatalogErrorCode)


@strawberry.type(description="A product category; its code template shapes product codes.")
class Category(Node):
    node_permission: ClassVar[str] = "catalog.category.read"

    code: str
    name: str
    code_template: str

    @classmethod
    def from_row(cls, row: models.Category) -> Category:
        return cls(pk=row.id, code=row.code, name=row.name, code_template=row.code_template)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[Category | None]:
        rows = get_session(info).scalars(select(models.Category)
                                         .where(models.Category.id.in_(pks)))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda c: c.pk)


def _load_categories(info: Info[Any, Any]) -> Any:
    def batch(ids: list[int]) -> list[Category | None]:
        return Category.get_nodes(info, ids)

    return info.context.loaders.get("catalog.category", batch)


@strawberry.type(description="Something the dealer buys, stocks and sells.")
class Product(Node):
    node_permission: ClassVar[str] = "catalog.product.read"

    code: str
    name: str
    model: str
    spec: str
    brand: str
    unit: str
    barcode: str | None
    tracking: Tracking
    tax_rate: Decimal
    created_at: datetime
    category_id: strawberry.Private[int]
    _list_price: strawberry.Private[Decimal]

    @field(permission="catalog.price.read", description="List price (CNY, before tax).")
    def list_price(self) -> Decimal | None:
        return self._list_price

    @field(permission="catalog.category.read")
    async def category(self, info: Info[Any, Any]) -> Category | None:
        return await _load_categories(info).load(self.category_id)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: models.Product) -> Product:
        return cls(pk=row.id, code=row.code, name=row.name, model=row.model, spec=row.spec,
                   brand=row.brand, unit=row.unit, barcode=row.barcode,
                   tracking=Tracking(row.tracking), tax_rate=row.tax_rate,
                   created_at=row.created_at, category_id=row.category_id,
                   _list_price=row.list_price)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[Product | None]:
        rows = get_session(info).scalars(select(models.Product)
                                         .where(models.Product.id.in_(pks)))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda p: p.pk)


@strawberry.input(description="Narrow the product list; all given conditions must hold.")
class ProductFilter:
    search: str | None = strawberry.field(default=None,
                                          description="Part of the code, name or model.")
    category_code: str | None = None
    tracking: Tracking | None = None


@strawberry.enum
class ProductSort(Enum):
    CODE = "code"
    NAME = "name"
    CREATED_AT = "created_at"


def products(info: Info[Any, Any], filter: ProductFilter | None = None,
             sort: ProductSort = ProductSort.CODE, first: int | None = None,
             after: str | None = None, last: int | None = None,
             before: str | None = None) -> Connection[Product]:
    stmt = select(models.Product)
    if filter is not None:
        if filter.search:
            term = filter.search[:MAX_SEARCH]
            stmt = stmt.where(models.Product.code.icontains(term, autoescape=True)
                              | models.Product.name.icontains(term, autoescape=True)
                              | models.Product.model.icontains(term, autoescape=True))
        if filter.category_code:
            stmt = stmt.join(models.Category).where(
                models.Category.code == filter.category_code)
        if filter.tracking is not None:
            stmt = stmt.where(models.Product.tracking == filter.tracking.value)
    stmt = apply_filter_extensions(info, "ProductFilter", stmt, filter)
    sort_column = getattr(models.Product, sort.value)
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=[sort_column], to_node=Product.from_row, info=info)


def product(info: Info[Any, Any], code: str) -> Product | None:
    row = get_session(info).scalar(select(models.Product).where(models.Product.code == code))
    return Product.from_row(row) if row is not None else None


def categories(info: Info[Any, Any], first: int | None = None, after: str | None = None,
               last: int | None = None, before: str | None = None) -> Connection[Category]:
    return paginate(get_session(info), select(models.Category), first=first, after=after,
                    last=last, before=before, sort_keys=[models.Category.code],
                    to_node=Category.from_row, info=info)


@strawberry.input
class CategoryCreateInput:
    code: str
    name: str
    code_template: str = ""
    parent_code: str | None = None


@strawberry.type
class CategoryCreatePayload:
    category: Category | None
    errors: list[CatalogError]  # type: ignore[valid-type]


def category_create(info: Info[Any, Any], input: CategoryCreateInput) -> CategoryCreatePayload:
    row, errors = run_service(info, lambda s: services.create_category(
        s, code=input.code, name=input.name, code_template=input.code_template,
        parent_code=input.parent_code), CatalogError)
    return CategoryCreatePayload(category=Category.from_row(row) if row else None,
                                 errors=errors)


@strawberry.input
class ProductCreateInput:
    code: str
    name: str
    category_code: str
    model: str = ""
    spec: str = ""
    brand: str = ""
    unit: str = "台"
    barcode: str | None = None
    tracking: Tracking = Tracking.NONE
    tax_rate: Decimal = Decimal("0.13")
    list_price: Decimal = Decimal("0")
    description: str = ""


@strawberry.type
class ProductCreatePayload:
    product: Product | None
    errors: list[CatalogError]  # type: ignore[valid-type]


def product_create(info: Info[Any, Any], input: ProductCreateInput) -> ProductCreatePayload:
    data = services.ProductInput(
        code=input.code, name=input.name, category_code=input.category_code,
        model=input.model, spec=input.spec, brand=input.brand, unit=input.unit,
        barcode=input.barcode, tracking=input.tracking.value, tax_rate=input.tax_rate,
        list_price=input.list_price, description=input.description)
    row, errors = run_service(info, lambda s: services.create_product(s, data), CatalogError)
    return ProductCreatePayload(product=Product.from_row(row) if row else None, errors=errors)


def contribution() -> Contribution:
    return Contribution(
        types=[Category, Product, ProductFilter, Tracking, CatalogError],
        queries=[
            field(products, permission="catalog.product.read",
                  description="Products, filtered and sorted."),
            field(product, permission="catalog.product.read",
                  description="The product with this code, or null."),
            field(categories, permission="catalog.category.read"),
        ],
        mutations=[
            mutation(category_create, permission="catalog.category.create",
                     name="categoryCreate"),
            mutation(product_create, permission="catalog.product.create",
                     name="productCreate"),
        ],
    )
