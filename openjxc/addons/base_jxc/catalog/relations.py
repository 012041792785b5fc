"""How products relate: fits / replaces / accessory-of / spare-part-of, and kits.

``replaces`` is symmetric: stored once (lower product id first) and answered both ways.
``fits`` links an accessory to a host product or to a host model (型号): it then fits
every product of that model, present and future.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.validation import check_decimal, check_text

from .models import KitComponent, Product, ProductRelation

RELATION_KINDS = ("fits", "replaces", "accessory_of", "spare_part_of")
SYMMETRIC = frozenset({"replaces"})


@dataclass(frozen=True)
class Compatible:
    """A product related to the asked one.  ``direction``: ``forward`` when the asked
    product is the subject (it fits / is an accessory or spare part of ``product``),
    ``reverse`` when ``product`` is, ``both`` for ``replaces``."""

    kind: str
    direction: str
    product: Product
    host_model: str = ""


def _product_ids(session: Session, codes: Sequence[str]) -> dict[str, int]:
    wanted = [c for c in codes if c]
    if not wanted:
        return {}
    return {code: pk for code, pk in session.execute(
        select(Product.code, Product.id).where(Product.code.in_(wanted)))}


def _resolve(session: Session, errors: list[FieldError], kind: str, product_code: str,
             related_code: str | None, host_model: str) -> tuple[int | None, int | None, str]:
    if kind not in RELATION_KINDS:
        errors.append(FieldError("INVALID", _("Unknown relation kind {kind}"), field="kind",
                                 kind=kind))
    host_model = check_text(errors, host_model, "hostModel", max_length=100)
    ids = _product_ids(session, [product_code, related_code or ""])
    product_id = ids.get(product_code)
    if product_id is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown product {code}"),
                                 field="productCode", code=product_code))
    related_id = ids.get(related_code) if related_code else None
    if related_code and related_id is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown product {code}"),
                                 field="relatedCode", code=related_code))
    if bool(related_code) == bool(host_model) and (kind == "fits" or not related_code):
        errors.append(FieldError(
            "INVALID", _("Give the related product, or (for fits only) the host model"),
            field="relatedCode"))
    elif host_model and kind != "fits":
        errors.append(FieldError("INVALID", _("Only a fits relation names a host model"),
                                 field="hostModel"))
    if product_id is not None and product_id == related_id:
        errors.append(FieldError("INVALID", _("A product cannot relate to itself"),
                                 field="relatedCode"))
    if kind in SYMMETRIC and product_id and related_id and related_id < product_id:
        product_id, related_id = related_id, product_id
    return product_id, related_id, host_model


def _find(session: Session, kind: str, product_id: int | None, related_id: int | None,
          host_model: str) -> ProductRelation | None:
    return session.scalar(select(ProductRelation).where(
        ProductRelation.kind == kind, ProductRelation.product_id == product_id,
        ProductRelation.related_id.is_(None) if related_id is None
        else ProductRelation.related_id == related_id,
        ProductRelation.host_model == host_model))


def create_relation(session: Session, *, kind: str, product_code: str,
                    related_code: str | None = None, host_model: str = "",
                    note: str = "") -> ProductRelation:
    """Relate two products (``create_relation(s, kind="fits", product_code="FAN-132",
    host_model="YE3-132M")``); the same relation twice is ``DUPLICATE_RELATION``."""
    errors: list[FieldError] = []
    product_id, related_id, host_model = _resolve(session, errors, kind, product_code,
                                                  related_code, host_model)
    note = check_text(errors, note, "note", max_length=200)
    if not errors and _find(session, kind, product_id, related_id, host_model) is not None:
        errors.append(FieldError("DUPLICATE_RELATION", _("These products are already related"),
                                 field="relatedCode"))
    if errors:
        raise ValidationFailed(errors)
    assert product_id is not None
    relation = ProductRelation(kind=kind, product_id=product_id, related_id=related_id,
                               host_model=host_model, note=note)
    session.add(relation)
    session.flush()
    return relation


def delete_relation(session: Session, *, kind: str, product_code: str,
                    related_code: str | None = None, host_model: str = "") -> ProductRelation:
    """Remove a relation (either way round for ``replaces``); returns the removed row."""
    errors: list[FieldError] = []
    product_id, related_id, host_model = _resolve(session, errors, kind, product_code,
                                                  related_code, host_model)
    relation = None if errors else _find(session, kind, product_id, related_id, host_model)
    if relation is None and not errors:
        errors.append(FieldError("NOT_FOUND", _("These products are not related"),
                                 field="relatedCode"))
    if errors:
        raise ValidationFailed(errors)
    assert relation is not None
    session.delete(relation)
    session.flush()
    return relation


def compatible_products(session: Session, product_code: str, kind: str | None = None,
                        ) -> list[Compatible] | None:
    """Every product related to ``product_code`` (``None`` when unknown), in four
    statements however many there are: ``replaces`` both ways, ``fits`` by host product
    and by host model in both directions, the other kinds in both directions."""
    product = session.scalar(select(Product).where(Product.code == product_code))
    if product is None:
        return None
    kinds = [kind] if kind else list(RELATION_KINDS)
    mine = or_(ProductRelation.product_id == product.id,
               ProductRelation.related_id == product.id)
    if product.model:
        mine = or_(mine, and_(ProductRelation.kind == "fits",
                              ProductRelation.host_model == product.model))
    relations = session.scalars(select(ProductRelation).where(
        ProductRelation.kind.in_(kinds), mine).order_by(ProductRelation.id)).all()
    host_models = {r.host_model for r in relations if r.product_id == product.id and r.host_model}
    other_ids = {r.related_id if r.product_id == product.id else r.product_id
                 for r in relations if not (r.product_id == product.id and r.host_model)}
    others = {p.id: p for p in session.scalars(select(Product).where(or_(
        Product.id.in_(other_ids), Product.model.in_(host_models))))}
    found: list[Compatible] = []
    seen: set[tuple[str, str, int]] = set()

    def add(kind: str, direction: str, other: Product | None, host_model: str = "") -> None:
        if other is not None and other.id != product.id \
                and (kind, direction, other.id) not in seen:
            seen.add((kind, direction, other.id))
            found.append(Compatible(kind, direction, other, host_model))

    for relation in relations:
        direction = "both" if relation.kind in SYMMETRIC else None
        if relation.product_id == product.id and relation.host_model:
            for other in sorted(others.values(), key=lambda p: p.code):
                if other.model == relation.host_model:
                    add(relation.kind, "forward", other, relation.host_model)
        elif relation.product_id == product.id:
            add(relation.kind, direction or "forward", others.get(relation.related_id or 0))
        else:
            add(relation.kind, direction or "reverse", others.get(relation.product_id),
                relation.host_model)
    return found


def set_kit(session: Session, kit_code: str,
            components: Sequence[tuple[str, Decimal]]) -> Product:
    """Make ``kit_code`` a kit of these ``(component code, quantity)`` (replacing its
    previous components; none makes it an ordinary product again).  Kits are one level:
    a kit is not a component, a component is not a kit, nothing contains itself."""
    errors: list[FieldError] = []
    kit = session.scalar(select(Product).where(Product.code == kit_code))
    if kit is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown product {code}"),
                                          field="productCode", code=kit_code))
    ids = _product_ids(session, [code for code, _quantity in components])
    if session.scalar(select(KitComponent.id).where(KitComponent.component_id == kit.id)):
        errors.append(FieldError("INVALID", _("{code} is a component of a kit; kits do not "
                                              "nest"), field="productCode", code=kit_code))
    kits = set(session.scalars(select(KitComponent.kit_id).where(
        KitComponent.kit_id.in_(ids.values()))))
    seen: set[str] = set()
    rows: list[KitComponent] = []
    for index, (code, quantity) in enumerate(components):
        at = ("components", str(index))
        checked = check_decimal(errors, quantity, (*at, "quantity"), places=4)  # type: ignore[arg-type]
        if checked is not None and checked <= 0:
            errors.append(FieldError("INVALID", _("Must be more than zero"),
                                     field=(*at, "quantity")))
        component_id = ids.get(code)
        if component_id is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown product {code}"),
                                     field=(*at, "productCode"), code=code))
        elif component_id == kit.id:
            errors.append(FieldError("INVALID", _("A product cannot relate to itself"),
                                     field=(*at, "productCode")))
        elif component_id in kits:
            errors.append(FieldError("INVALID", _("{code} is a component of a kit; kits do "
                                                  "not nest"), field=(*at, "productCode"),
                                     code=code))
        elif code in seen:
            errors.append(FieldError("DUPLICATE_RELATION", _("{code} is listed twice"),
                                     field=(*at, "productCode"), code=code))
        seen.add(code)
        if component_id is not None and checked is not None:
            rows.append(KitComponent(kit_id=kit.id, component_id=component_id,
                                     quantity=checked))
    if errors:
        raise ValidationFailed(errors)
    session.execute(delete(KitComponent).where(KitComponent.kit_id == kit.id))
    session.add_all(rows)
    session.flush()
    return kit


def kit_components(session: Session, kit_ids: Sequence[int],
                   ) -> dict[int, list[tuple[Product, Decimal]]]:
    """The components of each kit, in one statement."""
    result: dict[int, list[tuple[Product, Decimal]]] = {k: [] for k in kit_ids}
    rows = session.execute(select(KitComponent.kit_id, Product, KitComponent.quantity)
                           .join(Product, Product.id == KitComponent.component_id)
                           .where(KitComponent.kit_id.in_(kit_ids))
                           .order_by(KitComponent.kit_id, Product.code))
    for kit_id, product, quantity in rows:
        result[kit_id].append((product, quantity))
    return result
