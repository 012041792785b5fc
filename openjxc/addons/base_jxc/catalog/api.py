"""The catalog's GraphQL face: a thin skin over :mod:`.services`.

Products and categories live here; changes and form defaults in :mod:`.api_changes`,
relations, kits and bills of materials in :mod:`.api_structure`.
"""

from __future__ import annotations

from collections import defaultdict
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

from . import coding, models, services

#: Longer search terms are cut: nothing longer can match a code, name or model.
MAX_SEARCH = 200


@strawberry.enum(description="How units of a product are told apart in stock.")
class Tracking(Enum):
    NONE = "none"
    BATCH = "batch"
    SERIAL = "serial"

    __labels__ = {"NONE": _("Not tracked"), "BATCH": _("By batch"),
                  "SERIAL": _("By serial number")}


@strawberry.enum(description="The type of a category attribute's values.")
class AttributeType(Enum):
    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"

    __labels__ = {"TEXT": _("Text"), "INTEGER": _("Whole number"), "DECIMAL": _("Number")}


@strawberry.enum
class CatalogErrorCode(Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE_CODE = "DUPLICATE_CODE"
    CODE_TEMPLATE_MISMATCH = "CODE_TEMPLATE_MISMATCH"
    TRACKING_LOCKED = "TRACKING_LOCKED"
    DUPLICATE_RELATION = "DUPLICATE_RELATION"
    BOM_CYCLE = "BOM_CYCLE"


CatalogError = make_user_error_type("Catalog", CatalogErrorCode)


@strawberry.type(description="A typed attribute a category's products carry, e.g. "
                             "power_kw (DECIMAL, kW).")
class CategoryAttribute:
    key: str
    label: str
    type: AttributeType
    required: bool
    unit: str

    @classmethod
    def from_row(cls, row: models.CategoryAttribute) -> CategoryAttribute:
        return cls(key=row.key, label=row.label, type=AttributeType(row.value_type),
                   required=row.required, unit=row.unit)


def _load_category_attributes(info: Info[Any, Any]) -> Any:
    def batch(ids: list[int]) -> list[list[CategoryAttribute]]:
        found: dict[int, list[CategoryAttribute]] = defaultdict(list)
        for row in get_session(info).scalars(
                select(models.CategoryAttribute)
                .where(models.CategoryAttribute.category_id.in_(ids))
                .order_by(models.CategoryAttribute.position)):
            found[row.category_id].append(CategoryAttribute.from_row(row))
        return [found[i] for i in ids]

    return info.context.loaders.get("catalog.category_attributes", batch)


@strawberry.type(description="A product category; its code template shapes product codes "
                             "(literal text with {model}, {spec}, {brand}, {attribute_key} "
                             "or {*} for a free part; empty: the parent's).")
class Category(Node):
    node_permission: ClassVar[str] = "catalog.category.read"

    code: str
    name: str
    code_template: str
    parent_id: strawberry.Private[int | None]

    @strawberry.field(description="The attributes defined on this category (not its "
                                  "ancestors').")
    async def attributes(self, info: Info[Any, Any]) -> list[CategoryAttribute]:
        return await _load_category_attributes(info).load(self.pk)  # type: ignore[no-any-return]

    @field(permission="catalog.category.read")
    async def parent(self, info: Info[Any, Any]) -> Category | None:
        if self.parent_id is None:
            return None
        return await _load_categories(info).load(self.parent_id)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: models.Category) -> Category:
        return cls(pk=row.id, code=row.code, name=row.name, code_template=row.code_template,
                   parent_id=row.parent_id)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[Category | None]:
        rows = get_session(info).scalars(select(models.Category)
                                         .where(models.Category.id.in_(pks)))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda c: c.pk)


def _load_categories(info: Info[Any, Any]) -> Any:
    def batch(ids: list[int]) -> list[Category | None]:
        return Category.get_nodes(info, ids)

    return info.context.loaders.get("catalog.category", batch)


@strawberry.type(description="A product's value of one of its category's attributes.")
class ProductAttribute:
    key: str
    label: str
    type: AttributeType
    unit: str
    value: str = strawberry.field(description="As text; decimals without trailing zeros.")


def _load_product_attributes(info: Info[Any, Any]) -> Any:
    def batch(ids: list[int]) -> list[list[ProductAttribute]]:
        found: dict[int, list[ProductAttribute]] = defaultdict(list)
        rows = get_session(info).execute(
            select(models.ProductAttributeValue, models.CategoryAttribute)
            .join(models.CategoryAttribute,
                  models.CategoryAttribute.id == models.ProductAttributeValue.attribute_id)
            .where(models.ProductAttributeValue.product_id.in_(ids))
            .order_by(models.CategoryAttribute.category_id, models.CategoryAttribute.position))
        for value, attribute in rows:
            raw = next(v for v in (value.text_value, value.integer_value, value.decimal_value)
                       if v is not None)
            found[value.product_id].append(ProductAttribute(
                key=attribute.key, label=attribute.label,
                type=AttributeType(attribute.value_type), unit=attribute.unit,
                value=coding.render_value(raw)))
        return [found[i] for i in ids]

    return info.context.loaders.get("catalog.product_attributes", batch)


def _load_partner_codes(info: Info[Any, Any]) -> Any:
    def batch(ids: list[int]) -> list[str | None]:
        partners = services.PARTNERS
        codes = dict(get_session(info).execute(
            select(partners.c.id, partners.c.code).where(partners.c.id.in_(ids))).all())
        return [codes.get(i) for i in ids]

    return info.context.loaders.get("catalog.partner_code", batch)


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
    safety_stock: Decimal
    shelf_life_days: int | None
    lead_time_days: int
    category_id: strawberry.Private[int]
    default_supplier_id: strawberry.Private[int | None]
    _list_price: strawberry.Private[Decimal]
    _standard_price: strawberry.Private[Decimal]

    @field(permission="catalog.price.read", description="List price (CNY, before tax).")
    def list_price(self) -> Decimal | None:
        return self._list_price

    @field(permission="catalog.price.read",
           description="Standard (planned) purchase price (CNY, before tax).")
    def standard_price(self) -> Decimal | None:
        return self._standard_price

    @field(permission="catalog.category.read")
    async def category(self, info: Info[Any, Any]) -> Category | None:
        return await _load_categories(info).load(self.category_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Values of the category's attributes (its own and "
                                  "inherited).")
    async def attributes(self, info: Info[Any, Any]) -> list[ProductAttribute]:
        return await _load_product_attributes(info).load(self.pk)  # type: ignore[no-any-return]

    @field(permission="catalog.product.read",
           description="Code of the partner this product is usually bought from.")
    async def default_supplier_code(self, info: Info[Any, Any]) -> str | None:
        if self.default_supplier_id is None:
            return None
        return await _load_partner_codes(info).load(  # type: ignore[no-any-return]
            self.default_supplier_id)

    @classmethod
    def from_row(cls, row: models.Product) -> Product:
        return cls(pk=row.id, code=row.code, name=row.name, model=row.model, spec=row.spec,
                   brand=row.brand, unit=row.unit, barcode=row.barcode,
                   tracking=Tracking(row.tracking), tax_rate=row.tax_rate,
                   created_at=row.created_at, safety_stock=row.safety_stock,
                   shelf_life_days=row.shelf_life_days, lead_time_days=row.lead_time_days,
                   category_id=row.category_id, default_supplier_id=row.default_supplier_id,
                   _list_price=row.list_price, _standard_price=row.standard_price)

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


@strawberry.input(description="A typed attribute of a category.")
class CategoryAttributeInput:
    key: str = strawberry.field(description="Lower-case name used in templates: power_kw.")
    label: str
    type: AttributeType = AttributeType.TEXT
    required: bool = False
    unit: str = ""

    def to_definition(self) -> services.AttributeDefinition:
        return services.AttributeDefinition(self.key, self.label, self.type.value,
                                            self.required, self.unit)


@strawberry.input
class CategoryCreateInput:
    code: str
    name: str
    code_template: str = strawberry.field(
        default="", description="e.g. DJ-{model}-{power_kw}-{poles}, or JX{*} for a prefix.")
    parent_code: str | None = None
    attributes: list[CategoryAttributeInput] = strawberry.field(default_factory=list)


@strawberry.type
class CategoryCreatePayload:
    category: Category | None
    errors: list[CatalogError]  # type: ignore[valid-type]


def category_create(info: Info[Any, Any], input: CategoryCreateInput) -> CategoryCreatePayload:
    row, errors = run_service(info, lambda s: services.create_category(
        s, code=input.code, name=input.name, code_template=input.code_template,
        parent_code=input.parent_code,
        attributes=[a.to_definition() for a in input.attributes]), CatalogError)
    return CategoryCreatePayload(category=Category.from_row(row) if row else None,
                                 errors=errors)


@strawberry.input(description="An attribute value, as text (decimals like \"5.5\").")
class AttributeValueInput:
    key: str
    value: str | None = strawberry.field(default=None, description="null or empty clears it.")


@strawberry.input
class ProductCreateInput:
    code: str | None = strawberry.field(
        default=None, description="Omit to generate it from the category's code template.")
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
    attributes: list[AttributeValueInput] = strawberry.field(default_factory=list)
    safety_stock: Decimal = Decimal("0")
    shelf_life_days: int | None = None
    standard_price: Decimal = Decimal("0")
    default_supplier_code: str | None = None
    lead_time_days: int = 0


@strawberry.type
class ProductCreatePayload:
    product: Product | None
    errors: list[CatalogError]  # type: ignore[valid-type]


def product_create(info: Info[Any, Any], input: ProductCreateInput) -> ProductCreatePayload:
    data = services.ProductInput(
        code=input.code, name=input.name, category_code=input.category_code,
        model=input.model, spec=input.spec, brand=input.brand, unit=input.unit,
        barcode=input.barcode, tracking=input.tracking.value, tax_rate=input.tax_rate,
        list_price=input.list_price, description=input.description,
        attributes={a.key: a.value for a in input.attributes},
        safety_stock=input.safety_stock, shelf_life_days=input.shelf_life_days,
        standard_price=input.standard_price,
        default_supplier_code=input.default_supplier_code,
        lead_time_days=input.lead_time_days)
    row, errors = run_service(info, lambda s: services.create_product(s, data), CatalogError)
    return ProductCreatePayload(product=Product.from_row(row) if row else None, errors=errors)


def contribution() -> Contribution:
    from . import api_changes, api_structure

    own = Contribution(
        types=[Category, Product, ProductFilter, Tracking, AttributeType, CatalogError],
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
    return Contribution.combine(own, api_changes.contribution(),
                                api_structure.contribution())
