"""Per edition, on SQLite and PostgreSQL: from an empty database the migrations reach head
and agree with the models (Alembic's autogenerate comparison finds no difference)."""

from __future__ import annotations

import pytest

from openjxc.core.env import Environment
from openjxc.core.migrate import compare_models, create_database, pending_branches


@pytest.mark.parametrize("edition", ["basic", "pro", "enterprise"])
def test_migrations_reach_head_and_match_models(edition: str, database_url: str) -> None:
    env = Environment.for_edition(edition, database_url=database_url)
    try:
        create_database(env)
        assert pending_branches(env) == []
        with env.database.engine.connect() as connection:
            assert compare_models(env, connection) == []
    finally:
        env.database.dispose()
