"""Changing a product, and the defaults a form fills in when a product is chosen."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.validation import check_decimal, check_text

from . import coding
from .events import ProductUpdated
from .models import CategoryAttribute, Product, ProductAttributeValue
from .services import (
    MAX_CODE_LENGTH,
    MAX_DESCRIPTION,
    PARTNERS,
    TRACKING_MODES,
    check_attributes,
    check_code,
    check_master_fields,
    store_attributes,
)

#: Text fields a product update may change: column → (API name, max length, required).
TEXT_FIELDS = {"name": ("name", 200, True), "model": ("model", 100, False),
               "spec": ("spec", 200, False), "brand": ("brand", 100, False),
               "unit": ("unit", 16, True), "description": ("description", MAX_DESCRIPTION, False)}
#: What a code depends on: changing any of these re-checks the code against the template.
CODE_INPUTS = ("code", "model", "spec", "brand", "attributes")
CHANGEABLE = frozenset({*TEXT_FIELDS, "code", "barcode", "tracking", "tax_rate", "list_price",
                        "safety_stock", "shelf_life_days", "standard_price",
                        "default_supplier_code", "lead_time_days", "attributes"})


def update_product(session: Session, code: str, changes: Mapping[str, Any]) -> Product:
    """Change the fields named in ``changes`` (column names; ``attributes`` maps keys to
    new values, ``None`` clearing one) and publish ``catalog.product.updated``.

    A new code, or a change of what the template reads, re-checks the code; tracking
    cannot change once the product has stock moves.  Example::

        update_product(session, "DJ-YE3-5.5-4", {"list_price": Decimal("3100"),
                                                 "attributes": {"poles": "4"}})
    """
    unknown = set(changes) - CHANGEABLE
    if unknown:
        raise ValueError(f"unknown product fields: {sorted(unknown)}")
    product = session.scalar(select(Product).where(Product.code == code))
    if product is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown product {code}"),
                                          field="code", code=code))
    errors: list[FieldError] = []
    new: dict[str, Any] = {}
    for name, (api_name, max_length, required) in TEXT_FIELDS.items():
        if name in changes:
            new[name] = check_text(errors, changes[name], api_name, max_length=max_length,
                                   required=required)
    if "code" in changes:
        new["code"] = check_text(errors, changes["code"], "newCode",
                                 max_length=MAX_CODE_LENGTH, required=True)
    if "barcode" in changes:
        new["barcode"] = check_text(errors, changes["barcode"], "barcode", max_length=64) or None
    if "tax_rate" in changes:
        new["tax_rate"] = check_decimal(errors, changes["tax_rate"], "taxRate", places=6,
                                        maximum=Decimal(1), maximum_exclusive=True)
    if "list_price" in changes:
        new["list_price"] = check_decimal(errors, changes["list_price"], "listPrice", places=2)
    new.update(check_master_fields(session, errors, {
        k: v for k, v in changes.items()
        if k in ("safety_stock", "shelf_life_days", "standard_price", "lead_time_days",
                 "default_supplier_code")}))
    if "tracking" in changes and changes["tracking"] != product.tracking:
        if changes["tracking"] not in TRACKING_MODES:
            errors.append(FieldError("INVALID", _("Tracking must be none, batch or serial"),
                                     field="tracking"))
        elif _has_stock_moves(session, product.id):
            errors.append(FieldError("TRACKING_LOCKED", _(
                "Tracking cannot change once the product has stock moves"), field="tracking"))
        else:
            new["tracking"] = changes["tracking"]
    values: dict[CategoryAttribute, str | int | Decimal] = {}
    cleared: list[CategoryAttribute] = []
    if any(name in changes for name in CODE_INPUTS):
        values, cleared = _attribute_changes(session, errors, product, changes)
        current = {"model": product.model, "spec": product.spec, "brand": product.brand}
        fields = {k: new.get(k, v) for k, v in current.items()}
        rules = coding.rules_for(session, product.category_id)
        checked = check_code(errors, rules, new.get("code", product.code), fields, values)
        if "code" in new:
            errors = [_renamed(e) for e in errors]
            new["code"] = checked
    if new.get("code") not in (None, product.code) and session.scalar(
            select(Product.id).where(Product.code == new["code"])):
        errors.append(FieldError("DUPLICATE_CODE", _("Code {code} already exists"),
                                 field="newCode", code=new["code"]))
    if new.get("barcode") not in (None, product.barcode) and session.scalar(
            select(Product.id).where(Product.barcode == new["barcode"])):
        errors.append(FieldError("DUPLICATE_CODE", _("Barcode {code} already exists"),
                                 field="barcode", code=new["barcode"]))
    if errors:
        raise ValidationFailed(errors)
    changed = tuple(sorted(name for name, value in new.items()
                           if getattr(product, name) != value))
    for name in changed:
        setattr(product, name, new[name])
    session.flush()
    if "attributes" in changes:
        store_attributes(session, product.id, {a: v for a, v in values.items()
                                               if a.key in changes["attributes"]},
                         replace=True, cleared=cleared)
        changed = tuple(sorted({*changed, "attributes"}))
    if changed:
        publish(session, ProductUpdated(product_id=product.id, code=product.code,
                                        changed=changed))
    return product


def _renamed(error: FieldError) -> FieldError:
    """Template errors about the code concern the ``newCode`` input of an update."""
    if error.field == ("code",):
        error.field = ("newCode",)
    return error


def _has_stock_moves(session: Session, product_id: int) -> bool:
    try:
        # The stock chapter (base_jxc.stock) is installed with the catalog but written after
        # it; imported here, lazily, so the catalog never imports stock at module level.
        # Until that module exists no product can have moves.
        from openjxc.addons.base_jxc.stock.models import StockMove
    except ImportError:  # pragma: no cover - only while the stock chapter is being written
        return False
    return bool(session.scalar(select(exists().where(StockMove.product_id == product_id))))


def _attribute_changes(session: Session, errors: list[FieldError], product: Product,
                       changes: Mapping[str, Any],
                       ) -> tuple[dict[CategoryAttribute, str | int | Decimal],
                                  list[CategoryAttribute]]:
    """The product's attribute values after the change (all of them, for the template)
    and the attributes the change clears."""
    rules = coding.rules_for(session, product.category_id)
    by_id = {a.id: a for a in rules.attributes}
    current: dict[str, object] = {}
    for row in session.scalars(select(ProductAttributeValue)
                               .where(ProductAttributeValue.product_id == product.id)):
        attribute = by_id.get(row.attribute_id)
        if attribute is not None:
            current[attribute.key] = _stored(row)
    given = dict(changes.get("attributes") or {})
    merged = {**current, **given}
    values = check_attributes(errors, rules, merged)
    cleared = [a for a in rules.attributes if a.key in given and a not in values]
    return values, cleared


def _stored(row: ProductAttributeValue) -> str | int | Decimal | None:
    if row.text_value is not None:
        return row.text_value
    if row.integer_value is not None:
        return row.integer_value
    return row.decimal_value


@dataclass(frozen=True)
class ProductDefaults:
    """What a purchase or sales form fills in when a product is chosen."""

    product_id: int
    code: str
    unit: str
    spec: str
    model: str
    list_price: Decimal
    standard_price: Decimal
    tax_rate: Decimal
    safety_stock: Decimal
    default_supplier_code: str | None
    lead_time_days: int
    tracking: str
    shelf_life_days: int | None


def product_defaults(session: Session, product_code: str,
                     partner_code: str | None = None) -> ProductDefaults | None:
    """The form defaults of a product (``None`` for an unknown code), in one query.

    ``partner_code`` names the partner of the form being filled; partner-specific prices
    belong to the purchase and sales chapters, which extend these defaults.  An unknown
    partner is refused with ``NOT_FOUND`` so a form never silently ignores it.
    """
    if partner_code is not None and session.scalar(
            select(PARTNERS.c.id).where(PARTNERS.c.code == partner_code)) is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown partner {code}"),
                                          field="partnerCode", code=partner_code))
    row = session.execute(
        select(Product, PARTNERS.c.code.label("supplier_code"))
        .outerjoin(PARTNERS, PARTNERS.c.id == Product.default_supplier_id)
        .where(Product.code == product_code)).first()
    if row is None:
        return None
    product: Product = row[0]
    return ProductDefaults(
        product_id=product.id, code=product.code, unit=product.unit, spec=product.spec,
        model=product.model, list_price=product.list_price,
        standard_price=product.standard_price, tax_rate=product.tax_rate,
        safety_stock=product.safety_stock, default_supplier_code=row.supplier_code,
        lead_time_days=product.lead_time_days, tracking=product.tracking,
        shelf_life_days=product.shelf_life_days)
