"""Changing products and categories, and a product's form defaults, through GraphQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info
from strawberry.types.unset import UNSET

from openjxc.core.errors import ValidationFailed
from openjxc.core.i18n import translate
from openjxc.graphql import BadUserInput, Contribution, field, get_session, mutation
from openjxc.graphql.payloads import run_service

from . import models, product_changes, services
from .api import (
    AttributeValueInput,
    CatalogError,
    Category,
    CategoryAttribute,
    CategoryAttributeInput,
    Product,
    Tracking,
)


@strawberry.input(description="Only the fields given change; null clears barcode, shelf "
                               "life, default supplier and attribute values.")
class ProductUpdateInput:
    code: str = strawberry.field(description="The product to change.")
    new_code: str | None = strawberry.field(default=UNSET, description="Re-checked against "
                                            "the category's code template.")
    name: str | None = UNSET
    model: str | None = UNSET
    spec: str | None = UNSET
    brand: str | None = UNSET
    unit: str | None = UNSET
    barcode: str | None = UNSET
    tracking: Tracking | None = strawberry.field(
        default=UNSET, description="Cannot change once the product has stock moves.")
    tax_rate: Decimal | None = UNSET
    list_price: Decimal | None = UNSET
    description: str | None = UNSET
    attributes: list[AttributeValueInput] | None = UNSET
    safety_stock: Decimal | None = UNSET
    shelf_life_days: int | None = UNSET
    standard_price: Decimal | None = UNSET
    default_supplier_code: str | None = UNSET
    lead_time_days: int | None = UNSET

    def changes(self) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for name in ("name", "model", "spec", "brand", "unit", "barcode", "tax_rate",
                     "list_price", "description", "safety_stock", "shelf_life_days",
                     "standard_price", "default_supplier_code", "lead_time_days"):
            value = getattr(self, name)
            if value is not UNSET:
                changes[name] = value
        if self.new_code is not UNSET:
            changes["code"] = self.new_code
        if self.tracking is not UNSET:
            changes["tracking"] = self.tracking.value if self.tracking is not None else None
        if self.attributes is not UNSET:
            changes["attributes"] = {a.key: a.value for a in self.attributes or ()}
        return changes


@strawberry.type
class ProductUpdatePayload:
    product: Product | None
    errors: list[CatalogError]  # type: ignore[valid-type]


def product_update(info: Info[Any, Any], input: ProductUpdateInput) -> ProductUpdatePayload:
    row, errors = run_service(info, lambda s: product_changes.update_product(
        s, input.code, input.changes()), CatalogError)
    return ProductUpdatePayload(product=Product.from_row(row) if row else None, errors=errors)


@strawberry.input
class CategoryAttributeCreateInput:
    category_code: str
    attribute: CategoryAttributeInput


@strawberry.type
class CategoryAttributeCreatePayload:
    category: Category | None
    attribute: CategoryAttribute | None
    errors: list[CatalogError]  # type: ignore[valid-type]


def category_attribute_create(info: Info[Any, Any], input: CategoryAttributeCreateInput,
                              ) -> CategoryAttributeCreatePayload:
    row, errors = run_service(info, lambda s: services.create_category_attribute(
        s, category_code=input.category_code, definition=input.attribute.to_definition()),
        CatalogError)
    if row is None:
        return CategoryAttributeCreatePayload(category=None, attribute=None, errors=errors)
    category = get_session(info).get(models.Category, row.category_id)
    return CategoryAttributeCreatePayload(
        category=Category.from_row(category) if category else None,
        attribute=CategoryAttribute.from_row(row), errors=[])


@strawberry.type(description="What a form fills in when this product is chosen.")
class ProductDefaults:
    product_code: str
    unit: str
    spec: str
    model: str
    tax_rate: Decimal
    safety_stock: Decimal
    default_supplier_code: str | None
    lead_time_days: int
    tracking: Tracking
    shelf_life_days: int | None
    _list_price: strawberry.Private[Decimal]
    _standard_price: strawberry.Private[Decimal]

    @field(permission="catalog.price.read", description="List price (CNY, before tax).")
    def list_price(self) -> Decimal | None:
        return self._list_price

    @field(permission="catalog.price.read", description="Standard price (CNY, before tax).")
    def standard_price(self) -> Decimal | None:
        return self._standard_price


def product_defaults(info: Info[Any, Any], product_code: str,
                     partner_code: str | None = None) -> ProductDefaults | None:
    try:
        found = product_changes.product_defaults(get_session(info), product_code,
                                                 partner_code)
    except ValidationFailed as exc:
        error = exc.errors[0]
        raise BadUserInput(translate(error.message, getattr(info.context, "locale", None),
                                     **error.params),
                           extensions={"reason": error.code}) from None
    if found is None:
        return None
    return ProductDefaults(
        product_code=found.code, unit=found.unit, spec=found.spec, model=found.model,
        tax_rate=found.tax_rate, safety_stock=found.safety_stock,
        default_supplier_code=found.default_supplier_code,
        lead_time_days=found.lead_time_days, tracking=Tracking(found.tracking),
        shelf_life_days=found.shelf_life_days, _list_price=found.list_price,
        _standard_price=found.standard_price)


def contribution() -> Contribution:
    return Contribution(
        types=[ProductDefaults],
        queries=[
            field(product_defaults, permission="catalog.product.read", name="productDefaults",
                  description="The unit, spec, prices, tax rate, safety stock, supplier and "
                              "lead time a form fills in for a product (null if unknown)."),
        ],
        mutations=[
            mutation(product_update, permission="catalog.product.update",
                     name="productUpdate"),
            mutation(category_attribute_create, permission="catalog.category.update",
                     name="categoryAttributeCreate"),
        ],
    )
