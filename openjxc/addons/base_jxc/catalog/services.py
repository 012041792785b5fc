"""Catalog operations: plain Python, called by the API, the CLI, importers and tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.validation import check_decimal, check_text

from .events import ProductCreated
from .models import Category, Product

TRACKING_MODES = ("none", "batch", "serial")
MAX_CODE_LENGTH = 64
MAX_DESCRIPTION = 4000


@dataclass
class ProductInput:
    code: str
    name: str
    category_code: str
    model: str = ""
    spec: str = ""
    brand: str = ""
    unit: str = "台"
    barcode: str | None = None
    tracking: str = "none"
    tax_rate: Decimal = Decimal("0.13")
    list_price: Decimal = Decimal("0")
    description: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def create_category(session: Session, *, code: str, name: str, code_template: str = "",
                    parent_code: str | None = None) -> Category:
    """Add a category; its code is unique and short."""
    errors: list[FieldError] = []
    code = check_text(errors, code, "code", max_length=32, required=True)
    name = check_text(errors, name, "name", max_length=128, required=True)
    code_template = check_text(errors, code_template, "codeTemplate", max_length=128)
    parent = None
    if parent_code:
        parent = session.scalar(select(Category).where(Category.code == parent_code))
        if parent is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown category {code}"),
                                     field="parentCode", code=parent_code))
    if code and session.scalar(select(Category.id).where(Category.code == code)):
        errors.append(FieldError("DUPLICATE_CODE", _("Code {code} already exists"),
                                 field="code", code=code))
    if errors:
        raise ValidationFailed(errors)
    category = Category(code=code, name=name, code_template=code_template,
                        parent_id=parent.id if parent else None)
    session.add(category)
    session.flush()
    return category


def create_product(session: Session, data: ProductInput) -> Product:
    """Add a product to the master and publish ``catalog.product.created``."""
    errors: list[FieldError] = []
    code = check_text(errors, data.code, "code", max_length=MAX_CODE_LENGTH, required=True)
    name = check_text(errors, data.name, "name", max_length=200, required=True)
    model = check_text(errors, data.model, "model", max_length=100)
    spec = check_text(errors, data.spec, "spec", max_length=200)
    brand = check_text(errors, data.brand, "brand", max_length=100)
    unit = check_text(errors, data.unit, "unit", max_length=16, required=True)
    barcode = check_text(errors, data.barcode, "barcode", max_length=64) or None
    description = check_text(errors, data.description, "description",
                             max_length=MAX_DESCRIPTION)
    if data.tracking not in TRACKING_MODES:
        errors.append(FieldError("INVALID", _("Tracking must be none, batch or serial"),
                                 field="tracking"))
    tax_rate = check_decimal(errors, data.tax_rate, "taxRate", places=6,
                             maximum=Decimal(1), maximum_exclusive=True)
    list_price = check_decimal(errors, data.list_price, "listPrice", places=2)
    category = session.scalar(select(Category).where(Category.code == data.category_code))
    if category is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown category {code}"),
                                 field="categoryCode", code=data.category_code))
    if code and session.scalar(select(Product.id).where(Product.code == code)):
        errors.append(FieldError("DUPLICATE_CODE", _("Code {code} already exists"),
                                 field="code", code=code))
    if barcode and session.scalar(select(Product.id).where(Product.barcode == barcode)):
        errors.append(FieldError("DUPLICATE_CODE", _("Barcode {code} already exists"),
                                 field="barcode", code=barcode))
    if errors:
        raise ValidationFailed(errors)
    assert category is not None and tax_rate is not None and list_price is not None
    product = Product(
        code=code, name=name, category_id=category.id, model=model, spec=spec, brand=brand,
        unit=unit, barcode=barcode, tracking=data.tracking, tax_rate=tax_rate,
        list_price=list_price, description=description,
    )
    session.add(product)
    session.flush()
    publish(session, ProductCreated(product_id=product.id, code=product.code,
                                    category_id=category.id))
    return product
