"""Helpers of the GraphQL layer's tests: fake environments, callers, statement counting."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session
from strawberry.types import ExecutionResult

from openjxc.core.config import Settings
from openjxc.graphql import Contribution, Loaders
from openjxc.graphql.schema import EditionSchema

ALL_PERMISSIONS = ("catalog.product.read", "catalog.category.read", "catalog.product.update",
                   "stock.cost.read", "warranty.policy.read")


class FakeEnv:
    """Just what ``build_schema`` needs of an environment."""

    def __init__(self, *contributions: tuple[str, Contribution],
                 settings: Settings | None = None) -> None:
        self._contributions = list(contributions)
        self.settings = settings or Settings()
        self.extensions: dict[str, Any] = {}

    def contributions(self, hook: str, **kwargs: Any) -> list[tuple[str, Any]]:
        assert hook == "register_graphql"
        return list(self._contributions)

    def __repr__(self) -> str:
        return f"<FakeEnv {[owner for owner, _ in self._contributions]}>"


class Grant:
    """A principal holding exactly the permissions it is given."""

    def __init__(self, *permissions: str) -> None:
        self.permissions = set(permissions)

    def has(self, permission: str) -> bool:
        return permission in self.permissions


@dataclass
class Ctx:
    """A minimal ``GraphQLContext``: the protocol, nothing more."""

    env: Any
    session: Session | None = None
    principal: Grant | None = None
    locale: str = "en"
    loaders: Loaders = field(default_factory=Loaders)
    request_id: str = "test"


def execute(schema: EditionSchema, query: str, *, principal: Grant | None = None,
            session: Session | None = None, variables: dict[str, Any] | None = None,
            ) -> ExecutionResult:
    """Run one operation the way the HTTP layer does (async, a fresh context)."""
    context = Ctx(env=None, session=session, principal=principal)
    return asyncio.run(schema.execute(query, variable_values=variables, context_value=context))


def codes(result: ExecutionResult) -> list[str | None]:
    return [(e.extensions or {}).get("code") for e in result.errors or []]


class StatementLog:
    """Counts the SELECT statements an engine runs (the transaction's BEGIN is not one)."""

    def __init__(self, engine: Engine) -> None:
        self.statements: list[str] = []
        self.parameters: list[Any] = []
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, parameters: Any,
                *args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            self.statements.append(statement)
            self.parameters.append(parameters)

    def clear(self) -> None:
        self.statements.clear()
        self.parameters.clear()

    def __len__(self) -> int:
        return len(self.statements)
