"""Explosion-proof grades (防爆等级) and certificates (防爆合格证) on products.

A partner addon, installed with pip like any other: it adds a companion table to
base_jxc's products, fields and filters to its GraphQL ``Product``, two mutations, a
permission and a role, a handler for "product created" and a "certificate expiring"
alert — without a line changed in base_jxc.  docs/writing-an-addon.md walks through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from openjxc.core.env import Environment
from openjxc.core.hookspecs import hookimpl
from openjxc.core.security import Permission, RoleTemplate


@hookimpl
def register_models() -> Sequence[type]:
    from .models import MODELS

    return MODELS


@hookimpl
def register_permissions() -> Sequence[Permission]:
    return [Permission("explosion_proof.certificate.manage",
                       "Record and clear products' explosion-proof grades and certificates")]


@hookimpl
def register_roles() -> Sequence[RoleTemplate]:
    return [RoleTemplate("explosion_proof_officer",
                         ("explosion_proof.certificate.manage", "catalog.product.read",
                          "catalog.category.read"),
                         "Keeps explosion-proof grades and certificates current (防爆专员)")]


@hookimpl
def register_event_handlers() -> Sequence[Any]:
    from openjxc.addons.base_jxc.catalog.events import ProductCreated
    from openjxc.core.events import Subscription

    from .handlers import on_product_created

    return [Subscription(ProductCreated, on_product_created, phase="transaction")]


@hookimpl
def register_alert_rules() -> Sequence[Any]:
    from .alerts import certificate_expiring_rule

    return [certificate_expiring_rule()]


@hookimpl
def register_graphql() -> object:
    from .api import contribution

    return contribution()


@hookimpl
def on_install(session: Session, env: Environment) -> None:
    """Products already in the database whose model or specification carries a marking
    get that grade (no certificate yet)."""
    from .services import rate_existing_products

    rate_existing_products(session)
