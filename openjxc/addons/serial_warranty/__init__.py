"""Warranties and the device archive per serial number (pro edition)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from openjxc.core.env import Environment
from openjxc.core.hookspecs import hookimpl
from openjxc.core.security import Permission


@hookimpl
def register_models() -> Sequence[type]:
    from .models import WarrantyPolicy

    return [WarrantyPolicy]


@hookimpl
def register_permissions() -> Sequence[Permission]:
    return [
        Permission("warranty.policy.read", "Read warranty policies"),
        Permission("warranty.policy.create", "Create warranty policies"),
    ]


@hookimpl
def register_graphql() -> object:
    from .api import contribution

    return contribution()


@hookimpl
def load_demo_data(session: Session, env: Environment) -> None:
    from .services import create_policy

    create_policy(session, months=18, category_code="DJ")
    create_policy(session, months=12, category_code="SB", starts_on="installation")
