"""Catalog operations: plain Python, called by the API, the CLI, importers and tests.

Categories with their typed attributes and code templates, and products created from
them (see :mod:`.coding` for the template language).  Updates and form defaults are in
:mod:`.product_changes`, relations and kits in :mod:`.relations`, bills of materials in
:mod:`.bom`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Boolean, Integer, String, column, select, table
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.validation import check_decimal, check_text

from . import coding
from .events import ProductCreated
from .models import Category, CategoryAttribute, Product, ProductAttributeValue

TRACKING_MODES = ("none", "batch", "serial")
MAX_CODE_LENGTH = 64
MAX_DESCRIPTION = 4000
MAX_DAYS = 36500

#: The partners chapter's table, read through Core so the catalog needs none of its code.
PARTNERS = table("jxc_partner", column("id", Integer), column("code", String),
                 column("is_supplier", Boolean))


@dataclass
class AttributeDefinition:
    """A typed attribute a category defines: ``AttributeDefinition("power_kw", "功率",
    "decimal", required=True, unit="kW")``."""

    key: str
    label: str
    value_type: str = "text"
    required: bool = False
    unit: str = ""


@dataclass
class ProductInput:
    """A new product.  ``code`` may be ``None`` when the category's template can generate
    it from the product's fields and ``attributes`` (key → value as text)."""

    code: str | None
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
    attributes: Mapping[str, object] = field(default_factory=dict)
    safety_stock: Decimal = Decimal("0")
    shelf_life_days: int | None = None
    standard_price: Decimal = Decimal("0")
    default_supplier_code: str | None = None
    lead_time_days: int = 0
    extra: dict[str, str] = field(default_factory=dict)


def create_category(session: Session, *, code: str, name: str, code_template: str = "",
                    parent_code: str | None = None,
                    attributes: Sequence[AttributeDefinition] = ()) -> Category:
    """Add a category with its attributes; its code is unique and short, its template
    uses only product fields and attributes it has (or inherits)."""
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
    inherited = coding.rules_for(session, parent.id).attributes if parent else ()
    checked = _check_definitions(errors, attributes, ("attributes",),
                                 taken={a.key for a in inherited})
    known = [a.key for a in inherited] + [a.key for a in checked]
    errors.extend(coding.template_errors(code_template, known, "codeTemplate"))
    if errors:
        raise ValidationFailed(errors)
    category = Category(code=code, name=name, code_template=code_template,
                        parent_id=parent.id if parent else None)
    session.add(category)
    session.flush()
    for position, definition in enumerate(checked):
        session.add(_attribute_row(category.id, definition, position))
    session.flush()
    return category


def create_category_attribute(session: Session, *, category_code: str,
                              definition: AttributeDefinition) -> CategoryAttribute:
    """Add an attribute to a category; its key is new for the category, its ancestors
    and its descendants."""
    errors: list[FieldError] = []
    category = session.scalar(select(Category).where(Category.code == category_code))
    if category is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown category {code}"),
                                 field="categoryCode", code=category_code))
        raise ValidationFailed(errors)
    taken = {a.key for a in coding.rules_for(session, category.id).attributes}
    taken |= _descendant_keys(session, category.id)
    checked = _check_definitions(errors, [definition], (), taken=taken)
    if errors:
        raise ValidationFailed(errors)
    position = len(session.scalars(select(CategoryAttribute.id).where(
        CategoryAttribute.category_id == category.id)).all())
    row = _attribute_row(category.id, checked[0], position)
    session.add(row)
    session.flush()
    return row


def _descendant_keys(session: Session, category_id: int) -> set[str]:
    tree = select(Category.id).where(Category.parent_id == category_id).cte(
        "descendants", recursive=True)
    tree = tree.union(select(Category.id).join(tree, Category.parent_id == tree.c.id))
    return set(session.scalars(select(CategoryAttribute.key).where(
        CategoryAttribute.category_id.in_(select(tree.c.id)))))


def _check_definitions(errors: list[FieldError], definitions: Sequence[AttributeDefinition],
                       prefix: tuple[str, ...], *, taken: set[str],
                       ) -> list[AttributeDefinition]:
    checked: list[AttributeDefinition] = []
    seen = set(taken)
    for index, definition in enumerate(definitions):
        at = (*prefix, str(index)) if prefix else ()
        key = check_text(errors, definition.key, (*at, "key"), max_length=32,  # type: ignore[arg-type]
                         required=True)
        label = check_text(errors, definition.label, (*at, "label"),  # type: ignore[arg-type]
                           max_length=64, required=True)
        unit = check_text(errors, definition.unit, (*at, "unit"), max_length=16)  # type: ignore[arg-type]
        if key and (not coding.KEY.match(key) or key in coding.RESERVED_KEYS):
            errors.append(FieldError(
                "INVALID", _("An attribute key is lower-case letters, digits and _, "
                             "starts with a letter and is not a product field name"),
                field=(*at, "key")))
        elif key in seen:
            errors.append(FieldError("DUPLICATE_CODE", _("Code {code} already exists"),
                                     field=(*at, "key"), code=key))
        if definition.value_type not in coding.VALUE_TYPES:
            errors.append(FieldError("INVALID", _("The type must be text, integer or decimal"),
                                     field=(*at, "type")))
        seen.add(key)
        checked.append(AttributeDefinition(key, label, definition.value_type,
                                           bool(definition.required), unit))
    return checked


def _attribute_row(category_id: int, definition: AttributeDefinition,
                   position: int) -> CategoryAttribute:
    return CategoryAttribute(category_id=category_id, key=definition.key,
                             label=definition.label, value_type=definition.value_type,
                             required=definition.required, unit=definition.unit,
                             position=position)


def create_product(session: Session, data: ProductInput) -> Product:
    """Add a product to the master and publish ``catalog.product.created``.

    Without a code, the category's template generates it; with one, it must follow the
    template.  Attribute values are checked against the category's definitions.
    """
    errors: list[FieldError] = []
    code = None if data.code is None else check_text(errors, data.code, "code",
                                                     max_length=MAX_CODE_LENGTH, required=True)
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
    master = check_master_fields(session, errors, {
        "safety_stock": data.safety_stock, "shelf_life_days": data.shelf_life_days,
        "standard_price": data.standard_price, "lead_time_days": data.lead_time_days,
        "default_supplier_code": data.default_supplier_code})
    category = session.scalar(select(Category).where(Category.code == data.category_code))
    values: dict[CategoryAttribute, str | int | Decimal] = {}
    if category is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown category {code}"),
                                 field="categoryCode", code=data.category_code))
    else:
        rules = coding.rules_for(session, category.id)
        values = check_attributes(errors, rules, data.attributes)
        if code != "":
            code = check_code(errors, rules, code, {"model": model, "spec": spec,
                                                    "brand": brand}, values)
    if code and session.scalar(select(Product.id).where(Product.code == code)):
        errors.append(FieldError("DUPLICATE_CODE", _("Code {code} already exists"),
                                 field="code", code=code))
    if barcode and session.scalar(select(Product.id).where(Product.barcode == barcode)):
        errors.append(FieldError("DUPLICATE_CODE", _("Barcode {code} already exists"),
                                 field="barcode", code=barcode))
    if errors:
        raise ValidationFailed(errors)
    assert category is not None and tax_rate is not None and list_price is not None
    assert code
    product = Product(
        code=code, name=name, category_id=category.id, model=model, spec=spec, brand=brand,
        unit=unit, barcode=barcode, tracking=data.tracking, tax_rate=tax_rate,
        list_price=list_price, description=description, **master,
    )
    session.add(product)
    session.flush()
    store_attributes(session, product.id, values, replace=False)
    publish(session, ProductCreated(product_id=product.id, code=product.code,
                                    category_id=category.id))
    return product


def check_master_fields(session: Session, errors: list[FieldError],
                        given: Mapping[str, object]) -> dict[str, object]:
    """The checked values of the planning fields present in ``given`` (column names,
    ``default_supplier_code`` becoming ``default_supplier_id``)."""
    checked: dict[str, object] = {}
    if "safety_stock" in given:
        checked["safety_stock"] = check_decimal(errors, given["safety_stock"], "safetyStock",
                                                places=4)
    if "standard_price" in given:
        checked["standard_price"] = check_decimal(errors, given["standard_price"],
                                                  "standardPrice", places=2)
    for name, api_name, minimum in (("shelf_life_days", "shelfLifeDays", 1),
                                    ("lead_time_days", "leadTimeDays", 0)):
        if name not in given:
            continue
        days = given[name]
        if days is None and name == "shelf_life_days":
            checked[name] = None
        elif isinstance(days, bool) or not isinstance(days, int) \
                or not minimum <= days <= MAX_DAYS:
            errors.append(FieldError("INVALID", _("Must be between {minimum} and {maximum} "
                                                  "days"), field=api_name,
                                     minimum=minimum, maximum=MAX_DAYS))
        else:
            checked[name] = days
    if "default_supplier_code" in given:
        checked["default_supplier_id"] = supplier_id(session, errors,
                                                     given["default_supplier_code"])
    return checked


def supplier_id(session: Session, errors: list[FieldError], code: object) -> int | None:
    """The partner id of a supplier code (``None`` for no code), or an error."""
    if code is None or code == "":
        return None
    row = session.execute(select(PARTNERS.c.id, PARTNERS.c.is_supplier)
                          .where(PARTNERS.c.code == code)).first()
    if row is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown partner {code}"),
                                 field="defaultSupplierCode", code=code))
        return None
    if not row.is_supplier:
        errors.append(FieldError("INVALID", _("{code} is not a supplier"),
                                 field="defaultSupplierCode", code=code))
        return None
    return int(row.id)


def check_attributes(errors: list[FieldError], rules: coding.CodingRules,
                     given: Mapping[str, object],
                     ) -> dict[CategoryAttribute, str | int | Decimal]:
    """Typed values for ``given`` (key → raw value; ``None`` or ``""`` means none) under
    the category's rules: unknown keys, wrong types and missing required ones are errors."""
    values: dict[CategoryAttribute, str | int | Decimal] = {}
    for key, raw in given.items():
        attribute = rules.attribute(key)
        at = ("attributes", str(key))
        if attribute is None:
            errors.append(FieldError("NOT_FOUND", _("The category has no attribute {key}"),
                                     field=at, key=key))
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        value = coding.parse_value(attribute, raw, at, errors)
        if value is not None:
            values[attribute] = value
    for attribute in rules.attributes:
        if attribute.required and attribute not in values \
                and not any(e.field == ("attributes", attribute.key) for e in errors):
            errors.append(FieldError("REQUIRED", _("{label} is required"),
                                     field=("attributes", attribute.key),
                                     label=attribute.label))
    return values


def check_code(errors: list[FieldError], rules: coding.CodingRules, code: str | None,
               fields: Mapping[str, str],
               values: Mapping[CategoryAttribute, str | int | Decimal]) -> str | None:
    """The given code checked against the template, or the generated one."""
    if any(e.field and e.field[0] in ("code", "attributes", *coding.PRODUCT_FIELDS)
           for e in errors):
        return code  # a template over bad values would only repeat those errors
    rendered = {**fields, **{a.key: coding.render_value(v) for a, v in values.items()}}
    result, problems = coding.apply_template(rules.template, rendered, code)
    if len(result or "") > MAX_CODE_LENGTH:
        problems.append(FieldError("INVALID", _("At most {max} characters"), field="code",
                                   max=MAX_CODE_LENGTH))
    errors.extend(problems)
    return result if not problems else code


def store_attributes(session: Session, product_id: int,
                     values: Mapping[CategoryAttribute, str | int | Decimal],
                     *, replace: bool, cleared: Sequence[CategoryAttribute] = ()) -> None:
    """Write a product's attribute values (one row per attribute)."""
    existing: dict[int, ProductAttributeValue] = {}
    if replace:
        existing = {row.attribute_id: row for row in session.scalars(
            select(ProductAttributeValue).where(ProductAttributeValue.product_id == product_id))}
    for attribute in cleared:
        if attribute.id in existing:
            session.delete(existing.pop(attribute.id))
    for attribute, value in values.items():
        row = existing.get(attribute.id) or ProductAttributeValue(
            product_id=product_id, attribute_id=attribute.id)
        row.text_value = value if isinstance(value, str) else None
        row.integer_value = value if isinstance(value, int) else None
        row.decimal_value = value if isinstance(value, Decimal) else None
        session.add(row)
    session.flush()
