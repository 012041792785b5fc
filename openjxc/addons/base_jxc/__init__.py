"""Catalog, partners, warehouses, stock, purchase and sales: the basic edition."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from openjxc.core.env import Environment
from openjxc.core.hookspecs import hookimpl
from openjxc.core.security import Permission, RoleTemplate


@hookimpl
def register_models() -> Sequence[type]:
    from .catalog.models import Category, Product

    return [Category, Product]


@hookimpl
def register_permissions() -> Sequence[Permission]:
    return [
        Permission("catalog.category.read", "Read product categories"),
        Permission("catalog.category.create", "Create product categories"),
        Permission("catalog.product.read", "Read products"),
        Permission("catalog.product.create", "Create products"),
        Permission("catalog.product.update", "Change products"),
        Permission("catalog.price.read", "See list prices"),
    ]


@hookimpl
def register_roles() -> Sequence[RoleTemplate]:
    return [
        RoleTemplate("catalog_viewer", ("catalog.category.read", "catalog.product.read"),
                     "Browse the product master"),
    ]


@hookimpl
def register_graphql() -> object:
    from .catalog.api import contribution

    return contribution()


@hookimpl
def load_demo_data(session: Session, env: Environment) -> None:
    from .demo import load

    load(session)
