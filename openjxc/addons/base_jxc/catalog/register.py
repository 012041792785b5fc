"""What the catalog chapter contributes to the addon's hooks."""

from __future__ import annotations

from typing import Any

from openjxc.core.security import Permission, RoleTemplate


def models() -> list[type]:
    from .models import (
        BomLine,
        Category,
        CategoryAttribute,
        KitComponent,
        Product,
        ProductAttributeValue,
        ProductRelation,
    )

    return [Category, CategoryAttribute, Product, ProductAttributeValue, ProductRelation,
            KitComponent, BomLine]


def permissions() -> list[Permission]:
    return [
        Permission("catalog.category.read", "Read product categories"),
        Permission("catalog.category.create", "Create product categories"),
        Permission("catalog.category.update", "Add attributes to product categories"),
        Permission("catalog.product.read", "Read products"),
        Permission("catalog.product.create", "Create products"),
        Permission("catalog.product.update", "Change products"),
        Permission("catalog.price.read", "See list and standard prices"),
        Permission("catalog.relation.read", "See which products fit, replace or belong to "
                                            "which"),
        Permission("catalog.relation.manage", "Relate products and compose kits"),
        Permission("catalog.bom.read", "Read bills of materials, explosions and where-used"),
        Permission("catalog.bom.manage", "Change bills of materials"),
    ]


def roles() -> list[RoleTemplate]:
    return [
        RoleTemplate("catalog_viewer", ("catalog.category.read", "catalog.product.read",
                                        "catalog.relation.read", "catalog.bom.read"),
                     "Browse the product master"),
    ]


def contribution() -> Any:
    from .api import contribution

    return contribution()
