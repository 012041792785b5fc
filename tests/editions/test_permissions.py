"""API.md: every query field and mutation states its permission.  This walks the whole
schema of every edition; the public fields are listed here, explicitly."""

from __future__ import annotations

import pytest

from openjxc.core.env import Environment
from openjxc.graphql import AUTHENTICATED, build_schema
from openjxc.graphql.schema import field_permissions, schema_permissions
from openjxc.testing.conformance import PUBLIC_ROOT_FIELDS


@pytest.mark.parametrize("edition", ["basic", "pro", "enterprise"])
def test_every_field_of_every_edition_declares_a_declared_permission(edition: str) -> None:
    env = Environment.for_edition(edition)
    schema = build_schema(env)
    roots = schema_permissions(schema)  # raises BootError on a root field without one
    assert roots, "the schema has root fields"
    public = {name for name, permission in roots.items() if permission is None}
    assert public <= PUBLIC_ROOT_FIELDS
    assert "Mutation.tokenCreate" in public, "signing in is the one door open to everyone"
    below = field_permissions(schema)
    declared = env.permissions.names
    undeclared = {where: p for where, p in {**roots, **below}.items()
                  if p not in (None, AUTHENTICATED) and p not in declared}
    assert undeclared == {}
