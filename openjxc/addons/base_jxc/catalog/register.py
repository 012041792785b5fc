"""What the catalog chapter contributes to the addon's hooks."""

from __future__ import annotations

from typing import Any

from openjxc.core.security import Permission, RoleTemplate


def models() -> list[type]:
    from .models import Category, Product

    return [Category, Product]


def permissions() -> list[Permission]:
    return [
        Permission("catalog.category.read", "Read product categories"),
        Permission("catalog.category.create", "Create product categories"),
        Permission("catalog.product.read", "Read products"),
        Permission("catalog.product.create", "Create products"),
        Permission("catalog.product.update", "Change products"),
        Permission("catalog.price.read", "See list prices"),
    ]


def roles() -> list[RoleTemplate]:
    return [
        RoleTemplate("catalog_viewer", ("catalog.category.read", "catalog.product.read"),
                     "Browse the product master"),
    ]


def contribution() -> Any:
    from .api import contribution

    return contribution()
