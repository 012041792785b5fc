"""Coding rules: a category's typed attributes and its code template.

A template is literal text with ``{placeholders}``::

    DJ-{model}-{power_kw}-{poles}    motors: DJ-YE3-132M-5.5-4
    JX{*}                            metals: anything starting with JX
    JX{model}                        metals: JX followed by exactly the model

A placeholder is a product field (:data:`PRODUCT_FIELDS`), a key of one of the category's
attributes (its own or an ancestor's), or ``{*}``: a free part of at least one character,
which makes the template a prefix/suffix rule (such a code cannot be generated, it must be
given).  A category with an empty template uses its nearest ancestor's.  Decimal attributes
render without trailing zeros (5.5 → ``5.5``, 11.0 → ``11``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from sqlalchemy import literal_column, select
from sqlalchemy.orm import Session, aliased

from openjxc.core.errors import FieldError
from openjxc.core.i18n import _

from .models import Category, CategoryAttribute

VALUE_TYPES = ("text", "integer", "decimal")
#: Product fields a template may use.
PRODUCT_FIELDS = ("model", "spec", "brand")
FREE = "*"
KEY = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
MAX_TEXT_VALUE = 100
#: Attribute keys that would be confused with product fields in templates and inputs.
RESERVED_KEYS = frozenset({*PRODUCT_FIELDS, "code", "name", "unit", "barcode", "category"})
DECIMAL_PLACES = 6
INTEGER_LIMIT = 2**31


@dataclass(frozen=True)
class CodingRules:
    """What a category's products must satisfy: the effective template (own or inherited)
    and every attribute defined on the category or an ancestor (nearest first)."""

    template: str
    attributes: tuple[CategoryAttribute, ...]

    def attribute(self, key: str) -> CategoryAttribute | None:
        return next((a for a in self.attributes if a.key == key), None)


def placeholders(template: str) -> list[str]:
    return PLACEHOLDER.findall(template)


def template_errors(template: str, known_keys: Sequence[str], field: str) -> list[FieldError]:
    """Why ``template`` cannot be used with these attribute keys (empty when it can)."""
    stray = PLACEHOLDER.sub("", template)
    if "{" in stray or "}" in stray:
        return [FieldError("INVALID", _("Unbalanced braces in the code template"), field=field)]
    errors = []
    for name in placeholders(template):
        if name != FREE and name not in PRODUCT_FIELDS and name not in known_keys:
            errors.append(FieldError(
                "INVALID", _("The code template uses {placeholder}, which is neither a "
                             "product field nor an attribute of the category"),
                field=field, placeholder=name))
    return errors


def rules_for(session: Session, category_id: int) -> CodingRules:
    """The category's effective rules, with its ancestors in one recursive query and
    their attributes in a second."""
    parent = aliased(Category)
    chain = (select(Category.id, Category.parent_id, Category.code_template,
                    literal_column("0").label("depth"))
             .where(Category.id == category_id).cte("chain", recursive=True))
    chain = chain.union_all(
        select(parent.id, parent.parent_id, parent.code_template,
               (chain.c.depth + 1).label("depth"))
        .join(chain, parent.id == chain.c.parent_id))
    rows = session.execute(select(chain.c.id, chain.c.code_template)
                           .order_by(chain.c.depth)).all()
    template = next((row.code_template for row in rows if row.code_template), "")
    depth = {row.id: i for i, row in enumerate(rows)}
    attributes = session.scalars(select(CategoryAttribute)
                                 .where(CategoryAttribute.category_id.in_(depth))).all()
    nearest: dict[str, CategoryAttribute] = {}
    for attribute in sorted(attributes, key=lambda a: (depth[a.category_id], a.position)):
        nearest.setdefault(attribute.key, attribute)
    return CodingRules(template=template, attributes=tuple(nearest.values()))


def parse_value(attribute: CategoryAttribute, raw: object, field: tuple[str, ...],
                errors: list[FieldError]) -> str | int | Decimal | None:
    """The typed value of an attribute given as text (or a number); ``None`` with an
    error recorded when it does not fit the attribute's type."""
    text = raw.strip() if isinstance(raw, str) else raw
    if attribute.value_type == "text":
        if not isinstance(text, str) or "\x00" in text or len(text) > MAX_TEXT_VALUE:
            errors.append(FieldError("INVALID", _("At most {max} characters of text"),
                                     field=field, max=MAX_TEXT_VALUE))
            return None
        return text
    if attribute.value_type == "integer":
        if isinstance(text, bool) or not isinstance(text, int | str) \
                or not re.fullmatch(r"[+-]?\d{1,10}", str(text)) \
                or abs(int(text)) >= INTEGER_LIMIT:
            errors.append(FieldError("INVALID", _("{label} must be a whole number"),
                                     field=field, label=attribute.label))
            return None
        return int(text)
    try:
        if isinstance(text, float | bool) or not isinstance(text, str | int | Decimal):
            raise InvalidOperation
        number = Decimal(str(text))
        if not number.is_finite() or abs(number) >= Decimal(10) ** 12 \
                or number != number.quantize(Decimal(1).scaleb(-DECIMAL_PLACES)):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        errors.append(FieldError("INVALID", _("{label} must be a number with at most "
                                              "{places} decimals"),
                                 field=field, label=attribute.label, places=DECIMAL_PLACES))
        return None
    return number


def render_value(value: str | int | Decimal) -> str:
    """An attribute value as it appears in a code: decimals without trailing zeros."""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "") else text
    return str(value)


def apply_template(template: str, values: Mapping[str, str], code: str | None,
                   ) -> tuple[str | None, list[FieldError]]:
    """Generate the code (``code`` is ``None``) or check the given one against ``template``.

    ``values`` maps product fields and attribute keys to their rendered text (missing or
    empty: not given).  Returns the code, or ``None`` with the errors: a placeholder
    without a value is ``REQUIRED`` on its field, a code the template does not produce
    is ``CODE_TEMPLATE_MISMATCH``, a template with ``{*}`` cannot generate a code.
    """
    if not template:
        if code is None:
            return None, [FieldError("REQUIRED", _("This field is required"), field="code")]
        return code, []
    errors: list[FieldError] = []
    pattern: list[str] = []
    rendered: list[str] = []
    position = 0
    for match in PLACEHOLDER.finditer(template):
        literal = template[position:match.start()]
        pattern.append(re.escape(literal))
        rendered.append(literal)
        position = match.end()
        name = match.group(1)
        if name == FREE:
            pattern.append(".+")
            continue
        value = values.get(name, "")
        if not value:
            errors.append(FieldError(
                "REQUIRED", _("{placeholder} is needed by the category's code template "
                              "{template}"),
                field=_field_of(name), placeholder=name, template=template))
            continue
        pattern.append(re.escape(value))
        rendered.append(value)
    pattern.append(re.escape(template[position:]))
    rendered.append(template[position:])
    if errors:
        return None, errors
    if code is None:
        if FREE in placeholders(template):
            return None, [FieldError(
                "REQUIRED", _("Give the code: the template {template} has a free part"),
                field="code", template=template)]
        return "".join(rendered), []
    if not re.fullmatch("".join(pattern), code, flags=re.DOTALL):
        expected = "".join(rendered) if FREE not in placeholders(template) else template
        return None, [FieldError(
            "CODE_TEMPLATE_MISMATCH",
            _("Code {code} does not follow the category's template {template} "
              "(expected {expected})"),
            field="code", code=code, template=template, expected=expected)]
    return code, []


def _field_of(name: str) -> tuple[str, ...]:
    return (name,) if name in PRODUCT_FIELDS else ("attributes", name)
