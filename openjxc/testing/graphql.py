"""Run GraphQL operations against an environment in tests, as a given user would.

    api = GraphQLTester(env, permissions={"catalog.product.read"})
    data = api.ok("{ products(first: 5) { edges { node { code } } } }")

Each call runs through the same schema extensions as the server (query limits, error
masking, one unit of work committed by the server's rules), in the given locale, with a
principal holding the given permissions (all of the environment's when ``permissions``
is None) — no HTTP, no tokens, so addon tests stay quick.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from openjxc.core.env import Environment
from openjxc.core.i18n import Translator, use_locale
from openjxc.core.security import Principal
from openjxc.graphql import RequestContext, build_schema


class GraphQLError(AssertionError):
    """An operation that was expected to succeed returned errors."""


class GraphQLTester:
    def __init__(self, env: Environment, *, permissions: Iterable[str] | None = None,
                 username: str = "tester", locale: str = "zh_CN",
                 scopes: Mapping[str, Iterable[str]] | None = None) -> None:
        from openjxc.graphql.app import app_extensions

        self.env = env
        self.schema = build_schema(env, extensions=app_extensions(env.settings))
        granted = env.permissions.names if permissions is None else permissions
        self.principal: Principal | None = Principal(
            user_id=0, username=username, permissions=frozenset(granted),
            scopes={k: frozenset(map(str, v)) for k, v in (scopes or {}).items()},
            locale=locale)
        self.locale = locale

    def anonymous(self) -> GraphQLTester:
        clone = GraphQLTester.__new__(GraphQLTester)
        clone.__dict__.update(self.__dict__)
        clone.principal = None
        return clone

    def execute(self, query: str, variables: Mapping[str, Any] | None = None, *,
                locale: str | None = None) -> dict[str, Any]:
        """``{"data": …, "errors": [...]}`` with errors as plain dicts."""
        locale = locale or self.locale
        translator = Translator.for_environment(self.env)
        with use_locale(locale, translator):
            context = RequestContext(self.env, principal=self.principal, locale=locale)
            try:
                result = asyncio.run(self.schema.execute(query, variable_values=dict(
                    variables or {}), context_value=context))
            finally:
                context.close()
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [e.formatted for e in result.errors]
        return out

    def ok(self, query: str, variables: Mapping[str, Any] | None = None, **kw: Any) -> Any:
        """The ``data`` of an operation that must succeed without errors."""
        result = self.execute(query, variables, **kw)
        if result.get("errors"):
            raise GraphQLError(f"unexpected errors: {result['errors']}")
        return result["data"]

    def refused(self, query: str, variables: Mapping[str, Any] | None = None, *,
                code: str | None = None, **kw: Any) -> list[dict[str, Any]]:
        """The errors of an operation that must be refused — clearly: never masked as an
        ``INTERNAL_SERVER_ERROR``, and with ``extensions.code == code`` when given."""
        errors = self.execute(query, variables, **kw).get("errors") or []
        if not errors:
            raise GraphQLError("the operation was expected to be refused")
        codes = [(e.get("extensions") or {}).get("code") for e in errors]
        if "INTERNAL_SERVER_ERROR" in codes:
            raise GraphQLError(f"refused by a server error, not a clear one: {errors}")
        if code is not None and code not in codes:
            raise GraphQLError(f"expected {code}, got {codes}: {errors}")
        return list(errors)
