"""Relations, kits and bills of materials through GraphQL: what fits or replaces what,
what a kit holds, what building N needs (against stock) and where a part is used."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.core.errors import ValidationFailed
from openjxc.core.i18n import _, translate
from openjxc.graphql import BadUserInput, Contribution, field, get_session, mutation
from openjxc.graphql.payloads import run_service

from . import bom, models, relations
from .api import CatalogError, Product


@strawberry.enum(description="How one product relates to another.")
class ProductRelationKind(Enum):
    FITS = "fits"
    REPLACES = "replaces"
    ACCESSORY_OF = "accessory_of"
    SPARE_PART_OF = "spare_part_of"

    __labels__ = {"FITS": _("Fits"), "REPLACES": _("Interchangeable with"),
                  "ACCESSORY_OF": _("Accessory of"), "SPARE_PART_OF": _("Spare part of")}


@strawberry.enum(description="FORWARD: the asked product fits / is an accessory or spare "
                             "part of the other; REVERSE: the other is of it; BOTH: "
                             "interchangeable.")
class RelationDirection(Enum):
    FORWARD = "forward"
    REVERSE = "reverse"
    BOTH = "both"

    __labels__ = {"FORWARD": _("Of the other product"), "REVERSE": _("The other is of it"),
                  "BOTH": _("Both ways")}


def _product_node(info: Info[Any, Any], pk: int | None) -> Any:
    if pk is None:
        return None

    def batch(ids: list[int]) -> list[Product | None]:
        return Product.get_nodes(info, ids)

    return info.context.loaders.get("catalog.product", batch).load(pk)


@strawberry.type(description="A stored relation: product → related product (or host model).")
class ProductRelation:
    kind: ProductRelationKind
    host_model: str
    note: str
    product_id: strawberry.Private[int]
    related_id: strawberry.Private[int | None]

    @field(permission="catalog.product.read")
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await _product_node(info, self.product_id)  # type: ignore[no-any-return]

    @field(permission="catalog.product.read")
    async def related(self, info: Info[Any, Any]) -> Product | None:
        return await _product_node(info, self.related_id)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: models.ProductRelation) -> ProductRelation:
        return cls(kind=ProductRelationKind(row.kind), host_model=row.host_model, note=row.note,
                   product_id=row.product_id, related_id=row.related_id)


@strawberry.type(description="A product related to the asked one.")
class CompatibleProduct:
    kind: ProductRelationKind
    direction: RelationDirection
    product: Product
    host_model: str = strawberry.field(description="For FITS by host model: that model.")


def compatible_products(info: Info[Any, Any], product_code: str,
                        relation: ProductRelationKind | None = None,
                        ) -> list[CompatibleProduct] | None:
    found = relations.compatible_products(get_session(info), product_code,
                                          relation.value if relation else None)
    if found is None:
        return None
    return [CompatibleProduct(kind=ProductRelationKind(c.kind),
                              direction=RelationDirection(c.direction),
                              product=Product.from_row(c.product), host_model=c.host_model)
            for c in found]


@strawberry.input(description="FITS names either a related product or a host model; the "
                               "other kinds a related product.")
class ProductRelationInput:
    kind: ProductRelationKind
    product_code: str
    related_code: str | None = None
    host_model: str = ""
    note: str = ""


@strawberry.type
class ProductRelationCreatePayload:
    product_relation: ProductRelation | None
    errors: list[CatalogError]  # type: ignore[valid-type]


def product_relation_create(info: Info[Any, Any], input: ProductRelationInput,
                            ) -> ProductRelationCreatePayload:
    row, errors = run_service(info, lambda s: relations.create_relation(
        s, kind=input.kind.value, product_code=input.product_code,
        related_code=input.related_code, host_model=input.host_model, note=input.note),
        CatalogError)
    return ProductRelationCreatePayload(
        product_relation=ProductRelation.from_row(row) if row else None, errors=errors)


@strawberry.type
class ProductRelationDeletePayload:
    product_relation: ProductRelation | None = strawberry.field(
        description="The relation as it was before it was removed.")
    errors: list[CatalogError]  # type: ignore[valid-type]


def product_relation_delete(info: Info[Any, Any], input: ProductRelationInput,
                            ) -> ProductRelationDeletePayload:
    row, errors = run_service(info, lambda s: relations.delete_relation(
        s, kind=input.kind.value, product_code=input.product_code,
        related_code=input.related_code, host_model=input.host_model), CatalogError)
    return ProductRelationDeletePayload(
        product_relation=ProductRelation.from_row(row) if row else None, errors=errors)


@strawberry.type(description="A component of a kit and how many the kit holds.")
class KitComponent:
    product: Product
    quantity: Decimal


async def product_kit_components(root: Product, info: Info[Any, Any],
                                 ) -> list[KitComponent] | None:
    def batch(ids: list[int]) -> list[list[KitComponent]]:
        found = relations.kit_components(get_session(info), ids)
        return [[KitComponent(product=Product.from_row(p), quantity=q) for p, q in found[i]]
                for i in ids]

    loader = info.context.loaders.get("catalog.kit_components", batch)
    return await loader.load(root.pk)  # type: ignore[no-any-return]


@strawberry.input
class KitComponentInput:
    product_code: str
    quantity: Decimal


@strawberry.input(description="The kit's whole component list (an empty list: no kit).")
class ProductKitSetInput:
    product_code: str
    components: list[KitComponentInput]


@strawberry.type
class ProductKitSetPayload:
    product: Product | None
    errors: list[CatalogError]  # type: ignore[valid-type]


def product_kit_set(info: Info[Any, Any], input: ProductKitSetInput) -> ProductKitSetPayload:
    row, errors = run_service(info, lambda s: relations.set_kit(
        s, input.product_code, [(c.product_code, c.quantity) for c in input.components]),
        CatalogError)
    return ProductKitSetPayload(product=Product.from_row(row) if row else None, errors=errors)


@strawberry.type(description="quantity of component per one parent, plus scrap.")
class BomLine:
    quantity: Decimal
    scrap_rate: Decimal
    parent_id: strawberry.Private[int]
    component_id: strawberry.Private[int]

    @field(permission="catalog.product.read")
    async def parent(self, info: Info[Any, Any]) -> Product | None:
        return await _product_node(info, self.parent_id)  # type: ignore[no-any-return]

    @field(permission="catalog.product.read")
    async def component(self, info: Info[Any, Any]) -> Product | None:
        return await _product_node(info, self.component_id)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: Any) -> BomLine:
        return cls(quantity=row.quantity, scrap_rate=row.scrap_rate, parent_id=row.parent_id,
                   component_id=row.component_id)


async def product_bom_lines(root: Product, info: Info[Any, Any]) -> list[BomLine] | None:
    def batch(ids: list[int]) -> list[list[BomLine]]:
        found: dict[int, list[BomLine]] = defaultdict(list)
        for row in get_session(info).scalars(select(models.BomLine).where(
                models.BomLine.parent_id.in_(ids)).order_by(models.BomLine.id)):
            found[row.parent_id].append(BomLine.from_row(row))
        return [found[i] for i in ids]

    loader = info.context.loaders.get("catalog.bom_lines", batch)
    return await loader.load(root.pk)  # type: ignore[no-any-return]


@strawberry.input
class BomLineSetInput:
    parent_code: str
    component_code: str
    quantity: Decimal = strawberry.field(description="Per one parent, more than zero.")
    scrap_rate: Decimal = strawberry.field(default=Decimal(0),
                                           description="0.05 = 5 % more is needed.")


@strawberry.type
class BomLineSetPayload:
    bom_line: BomLine | None
    errors: list[CatalogError]  # type: ignore[valid-type]


def bom_line_set(info: Info[Any, Any], input: BomLineSetInput) -> BomLineSetPayload:
    row, errors = run_service(info, lambda s: bom.set_line(
        s, parent_code=input.parent_code, component_code=input.component_code,
        quantity=input.quantity, scrap_rate=input.scrap_rate), CatalogError)
    return BomLineSetPayload(bom_line=BomLine.from_row(row) if row else None, errors=errors)


@strawberry.input
class BomLineDeleteInput:
    parent_code: str
    component_code: str


@strawberry.type
class BomLineDeletePayload:
    bom_line: BomLine | None = strawberry.field(description="The line as it was.")
    errors: list[CatalogError]  # type: ignore[valid-type]


def bom_line_delete(info: Info[Any, Any], input: BomLineDeleteInput) -> BomLineDeletePayload:
    row, errors = run_service(info, lambda s: bom.delete_line(
        s, parent_code=input.parent_code, component_code=input.component_code), CatalogError)
    return BomLineDeletePayload(bom_line=BomLine.from_row(row) if row else None, errors=errors)


@strawberry.type(description="What building the quantity needs of one component.")
class BomRequirement:
    product: Product
    level: int = strawberry.field(description="Deepest level it appears at (1: direct).")
    quantity: Decimal = strawberry.field(description="Over all levels, scrap included.")
    is_leaf: bool = strawberry.field(description="Bought, not built: it has no BOM itself.")
    on_hand: Decimal = strawberry.field(description="Available in sellable locations.")
    shortage: Decimal


@strawberry.type(description="The recursive requirement for building a quantity.")
class BomExplosion:
    product: Product
    quantity: Decimal
    warehouse_code: str | None
    requirements: list[BomRequirement]


def stock_availability(session: Session, warehouse_id: int | None,
                       ) -> bom.Availability:
    """Available quantities from the stock chapter (imported here, when asked, so the
    catalog never imports stock at module level)."""
    from openjxc.addons.base_jxc.stock.queries import on_hand_by_product

    def available(product_ids: Sequence[int]) -> Mapping[int, Decimal]:
        return on_hand_by_product(session, product_ids, warehouse_id=warehouse_id)

    return available


def _warehouse_id(info: Info[Any, Any], session: Session, code: str) -> int:
    from openjxc.addons.base_jxc.stock.models import Warehouse

    found = session.scalar(select(Warehouse.id).where(Warehouse.code == code))
    if found is None:
        message = _("Unknown warehouse {code}", code=code)
        raise BadUserInput(message.resolve(getattr(info.context, "locale", None)),
                           extensions={"reason": "NOT_FOUND"})
    return int(found)


def _refused(info: Info[Any, Any], exc: ValidationFailed) -> BadUserInput:
    error = exc.errors[0]
    return BadUserInput(translate(error.message, getattr(info.context, "locale", None),
                                  **error.params),
                        extensions={"reason": error.code, "field": list(error.field)})


def bom_explosion(info: Info[Any, Any], product_code: str, quantity: Decimal,
                  warehouse_code: str | None = None) -> BomExplosion | None:
    session = get_session(info)
    warehouse_id = _warehouse_id(info, session, warehouse_code) if warehouse_code else None
    try:
        found = bom.explode(session, product_code, quantity,
                            available=stock_availability(session, warehouse_id))
    except ValidationFailed as exc:
        raise _refused(info, exc) from None
    if found is None:
        return None
    return BomExplosion(
        product=Product.from_row(found.product), quantity=found.quantity,
        warehouse_code=warehouse_code,
        requirements=[BomRequirement(
            product=Product.from_row(r.product), level=r.level, quantity=r.quantity,
            is_leaf=r.is_leaf, on_hand=r.on_hand or Decimal("0.0000"),
            shortage=r.shortage or Decimal("0.0000")) for r in found.requirements])


@strawberry.type(description="A product using the asked one, along one path.")
class BomUsage:
    product: Product
    level: int = strawberry.field(description="1: a direct parent.")
    quantity: Decimal = strawberry.field(description="Of the asked product per one of this, "
                                                     "along this path.")
    path: list[str] = strawberry.field(description="Product codes from this product down to "
                                                   "the asked one.")


@strawberry.type(description="Where a product is used, on every level.")
class WhereUsed:
    product: Product
    usages: list[BomUsage]
    truncated: bool = strawberry.field(description="More paths exist than were answered.")


def where_used(info: Info[Any, Any], product_code: str) -> WhereUsed | None:
    found = bom.where_used(get_session(info), product_code)
    if found is None:
        return None
    return WhereUsed(product=Product.from_row(found.product), truncated=found.truncated,
                     usages=[BomUsage(product=Product.from_row(u.product), level=u.level,
                                      quantity=u.quantity, path=list(u.path))
                             for u in found.usages])


def contribution() -> Contribution:
    return Contribution(
        types=[ProductRelationKind, RelationDirection, ProductRelation, CompatibleProduct,
               KitComponent, BomLine, BomExplosion, BomRequirement, WhereUsed, BomUsage],
        queries=[
            field(compatible_products, permission="catalog.relation.read",
                  name="compatibleProducts",
                  description="Products related to this one (both ways for REPLACES and "
                              "FITS); null for an unknown product."),
            field(bom_explosion, permission="catalog.bom.read", name="bomExplosion",
                  description="What building the quantity needs, all levels, against "
                              "available stock (of one warehouse when given)."),
            field(where_used, permission="catalog.bom.read", name="whereUsed",
                  description="Every product using this one, all levels, with the path."),
        ],
        mutations=[
            mutation(product_relation_create, permission="catalog.relation.manage",
                     name="productRelationCreate"),
            mutation(product_relation_delete, permission="catalog.relation.manage",
                     name="productRelationDelete"),
            mutation(product_kit_set, permission="catalog.relation.manage",
                     name="productKitSet"),
            mutation(bom_line_set, permission="catalog.bom.manage", name="bomLineSet"),
            mutation(bom_line_delete, permission="catalog.bom.manage", name="bomLineDelete"),
        ],
        type_fields={"Product": [
            field(product_kit_components, permission="catalog.product.read",
                  name="kitComponents", description="What the kit holds (empty: not a kit)."),
            field(product_bom_lines, permission="catalog.bom.read", name="bomLines",
                  description="Direct components of the product's bill of materials."),
        ]},
    )
