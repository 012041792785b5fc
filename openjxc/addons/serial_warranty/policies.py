"""Warranty policies: for a product or a category, the terms each warranty copies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Category, Product
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.validation import check_text

from .models import DEFAULT_ALERT_DAYS, WarrantyPolicy

START_EVENTS = ("delivery", "installation")
MAX_MONTHS = 240
#: An alert more than a year ahead is no alert.
MAX_ALERT_DAYS = 365


def create_policy(session: Session, *, months: int, product_code: str | None = None,
                  category_code: str | None = None, starts_on: str = "delivery",
                  covers_parts: bool = True, covers_labour: bool = True,
                  alert_days: int = DEFAULT_ALERT_DAYS) -> WarrantyPolicy:
    """A policy for exactly one product or one category; ``alert_days`` before its end a
    warranty counts as expiring (0: never)."""
    errors: list[FieldError] = []
    if isinstance(months, bool) or not isinstance(months, int) or not 0 < months <= MAX_MONTHS:
        errors.append(FieldError("INVALID", _("Months must be between 1 and {max}"),
                                 field="months", max=MAX_MONTHS))
    if (isinstance(alert_days, bool) or not isinstance(alert_days, int)
            or not 0 <= alert_days <= MAX_ALERT_DAYS):
        errors.append(FieldError("INVALID", _("Alert days must be between 0 and {max}"),
                                 field="alertDays", max=MAX_ALERT_DAYS))
    if starts_on not in START_EVENTS:
        errors.append(FieldError("INVALID", _("A warranty starts on delivery or installation"),
                                 field="startsOn"))
    if bool(product_code) == bool(category_code):
        errors.append(FieldError("INVALID", _("Give either a product or a category"),
                                 field="productCode"))
    product_code = check_text(errors, product_code, "productCode", max_length=64)
    category_code = check_text(errors, category_code, "categoryCode", max_length=32)
    product_id = _target(session, errors, Product, WarrantyPolicy.product_id, product_code,
                         "productCode", _("Unknown product {code}"))
    category_id = _target(session, errors, Category, WarrantyPolicy.category_id,
                          category_code, "categoryCode", _("Unknown category {code}"))
    if errors:
        raise ValidationFailed(errors)
    policy = WarrantyPolicy(product_id=product_id, category_id=category_id, months=months,
                            starts_on=starts_on, covers_parts=covers_parts,
                            covers_labour=covers_labour, alert_days=alert_days)
    session.add(policy)
    session.flush()
    return policy


def _target(session: Session, errors: list[FieldError], model: type[Product | Category],
            policy_column: Any, code: str, field: str, unknown: object) -> int | None:
    """The id of the product or category a policy is for; errors when it is unknown or
    already has a policy."""
    if not code:
        return None
    target_id = session.scalar(select(model.id).where(model.code == code))
    if target_id is None:
        errors.append(FieldError("NOT_FOUND", unknown, field=field, code=code))
    elif session.scalar(select(WarrantyPolicy.id).where(policy_column == target_id)):
        errors.append(FieldError("DUPLICATE", _("{code} already has a warranty policy"),
                                 field=field, code=code))
    return target_id


def policy_for(session: Session, product_id: int) -> WarrantyPolicy | None:
    """The policy that applies to a product: its own, else the nearest category's
    (its category, then the parent categories up to the top)."""
    category_id = session.scalar(select(Product.category_id).where(Product.id == product_id))
    if category_id is None:
        return None
    return policies_for(session, [(product_id, category_id)])[0]


def category_chains(session: Session) -> dict[int, list[int]]:
    """Each category with its ancestors, nearest first (``{motor_ye3: [ye3, motors]}``),
    from one read of the category tree (a company has hundreds, not millions)."""
    parent: dict[int, int | None] = {
        c: p for c, p in session.execute(select(Category.id, Category.parent_id))}
    chains: dict[int, list[int]] = {}
    for category_id in parent:
        chain: list[int] = []
        current: int | None = category_id
        while current is not None and current not in chain:  # a cycle cannot loop
            chain.append(current)
            current = parent.get(current)
        chains[category_id] = chain
    return chains


def covered_categories(session: Session, category_id: int) -> set[int]:
    """The category and every category below it (what a category policy may reach)."""
    return {c for c, chain in category_chains(session).items() if category_id in chain}


def policies_for(session: Session, products: Sequence[tuple[int, int]],
                 ) -> list[WarrantyPolicy | None]:
    """The applying policy of each ``(product_id, category_id)`` — the product's own, else
    the nearest of its category and the categories above it — in two queries for the
    whole batch."""
    if not products:
        return []
    chains = category_chains(session)
    product_ids = {p for p, _ in products}
    category_ids = {a for _, c in products for a in chains.get(c, [c])}
    rows = session.scalars(select(WarrantyPolicy).where(or_(
        WarrantyPolicy.product_id.in_(sorted(product_ids)),
        WarrantyPolicy.category_id.in_(sorted(category_ids)))))
    by_product: dict[int, WarrantyPolicy] = {}
    by_category: dict[int, WarrantyPolicy] = {}
    for row in rows:
        if row.product_id is not None:
            by_product[row.product_id] = row
        elif row.category_id is not None:
            by_category[row.category_id] = row
    found: list[WarrantyPolicy | None] = []
    for product_id, category_id in products:
        own = by_product.get(product_id)
        nearest = next((by_category[a] for a in chains.get(category_id, [category_id])
                        if a in by_category), None)
        found.append(own or nearest)
    return found
