"""Catalog operations: plain Python, called by the API, the CLI, importers and tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _

from .events import ProductCreated
from .models import Category, Product

TRACKING_MODES = ("none", "batch", "serial")
MAX_CODE_LENGTH = 64


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
    code = (code or "").strip()
    name = (name or "").strip()
    if not code or len(code) > 32:
        errors.append(FieldError("INVALID", _("A category code is 1 to 32 characters"),
                                 field="code"))
    if not name:
        errors.append(FieldError("REQUIRED", _("A name is required"), field="name"))
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
    category = Category(code=code, name=name, code_template=code_template or "",
                        parent_id=parent.id if parent else None)
    session.add(category)
    session.flush()
    return category


def create_product(session: Session, data: ProductInput) -> Product:
    """Add a product to the master and publish ``catalog.product.created``."""
    errors: list[FieldError] = []
    code = (data.code or "").strip()
    if not code or len(code) > MAX_CODE_LENGTH:
        errors.append(FieldError("INVALID", _("A product code is 1 to {max} characters"),
                                 field="code", max=MAX_CODE_LENGTH))
    if not (data.name or "").strip():
        errors.append(FieldError("REQUIRED", _("A name is required"), field="name"))
    if data.tracking not in TRACKING_MODES:
        errors.append(FieldError("INVALID", _("Tracking must be none, batch or serial"),
                                 field="tracking"))
    for name, value in (("taxRate", data.tax_rate), ("listPrice", data.list_price)):
        if not _non_negative(value):
            errors.append(FieldError("INVALID", _("Must be a number of zero or more"), field=name))
    if _non_negative(data.tax_rate) and Decimal(data.tax_rate) >= 1:
        errors.append(FieldError("INVALID", _("A tax rate is a fraction below 1 (0.13 for 13%)"),
                                 field="taxRate"))
    category = session.scalar(select(Category).where(Category.code == data.category_code))
    if category is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown category {code}"), field="categoryCode",
                                 code=data.category_code))
    if code and session.scalar(select(Product.id).where(Product.code == code)):
        errors.append(FieldError("DUPLICATE_CODE", _("Code {code} already exists"), field="code",
                                 code=code))
    if data.barcode and session.scalar(select(Product.id).where(Product.barcode == data.barcode)):
        errors.append(FieldError("DUPLICATE_CODE", _("Barcode {code} already exists"),
                                 field="barcode", code=data.barcode))
    if errors:
        raise ValidationFailed(errors)
    assert category is not None
    product = Product(
        code=code, name=data.name.strip(), category_id=category.id, model=data.model,
        spec=data.spec, brand=data.brand, unit=data.unit, barcode=data.barcode or None,
        tracking=data.tracking, tax_rate=Decimal(data.tax_rate),
        list_price=Decimal(data.list_price), description=data.description,
    )
    session.add(product)
    session.flush()
    publish(session, ProductCreated(product_id=product.id, code=product.code,
                                    category_id=category.id))
    return product


def _non_negative(value: object) -> bool:
    if isinstance(value, float | bool):
        return False
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return False
    return number.is_finite() and number >= 0
