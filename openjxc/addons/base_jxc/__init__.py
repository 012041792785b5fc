"""Catalog, partners, warehouses, stock, purchase and sales: the basic edition.

The addon is written in chapters (bounded contexts): ``policies`` (the configurable rules
every other chapter may read), ``catalog``, ``partners``, ``stock``, ``transfers``,
``counts``, ``exchange`` (import/export), ``invoicing``,
``purchase``, ``sales``, ``returns``, ``planning``, ``analysis`` and ``documents``.  Each
chapter has its own ``models``, ``services`` and ``api`` modules and a ``register`` module
that lists what it contributes; the hook implementations below only gather those lists, in
chapter order.  A ``register`` module may define any of ``models()``, ``permissions()``,
``roles()``, ``contribution()``, ``event_handlers()``, ``alert_rules()``,
``cli_commands()``, ``reports()``, ``checks()`` and ``on_install(session, env)``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from importlib import import_module
from types import ModuleType
from typing import Any

from sqlalchemy.orm import Session

from openjxc.core.env import Environment
from openjxc.core.hookspecs import hookimpl
from openjxc.core.security import Permission, RoleTemplate

CHAPTERS = ("policies", "catalog", "partners", "stock", "transfers", "counts", "exchange",
            "invoicing", "purchase", "sales", "returns", "planning", "analysis", "documents")


def _registers() -> Iterator[ModuleType]:
    for chapter in CHAPTERS:
        yield import_module(f"{__name__}.{chapter}.register")


def _gather(hook: str) -> list[Any]:
    gathered: list[Any] = []
    for register in _registers():
        contribute = getattr(register, hook, None)
        if contribute is not None:
            gathered.extend(contribute())
    return gathered


@hookimpl
def register_models() -> Sequence[type]:
    return _gather("models")


@hookimpl
def register_permissions() -> Sequence[Permission]:
    return _gather("permissions")


@hookimpl
def register_roles() -> Sequence[RoleTemplate]:
    return _gather("roles")


@hookimpl
def register_event_handlers() -> Sequence[Any]:
    return _gather("event_handlers")


@hookimpl
def register_graphql() -> object:
    from openjxc.graphql import Contribution

    return Contribution.combine(*[register.contribution() for register in _registers()
                                  if hasattr(register, "contribution")])


@hookimpl
def register_alert_rules() -> Sequence[Any]:
    return _gather("alert_rules")


@hookimpl
def register_cli_commands() -> Sequence[Any]:
    return _gather("cli_commands")


@hookimpl
def register_reports() -> Sequence[Any]:
    return _gather("reports")


@hookimpl
def register_checks() -> Sequence[Any]:
    return _gather("checks")


@hookimpl
def on_install(session: Session, env: Environment) -> None:
    for register in _registers():
        install = getattr(register, "on_install", None)
        if install is not None:
            install(session, env)


@hookimpl
def load_demo_data(session: Session, env: Environment) -> None:
    from .demo import load

    load(session)
