"""PostgreSQL test databases are emptied and reused rather than dropped (a drop costs the
server a checkpoint): a reused database is what a new one is, one that cannot be made so is
dropped, and the pool goes at the end.  PostgreSQL only: SQLite test databases are files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from openjxc.core.env import Environment
from openjxc.testing import pg_pool
from openjxc.testing.fixtures import PG_ADMIN_URL, DatabaseFactory, create_test_database

ADMIN = PG_ADMIN_URL.replace("+psycopg", "")


@pytest.fixture
def pool(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[str]]]:
    """A pool of this test's own, handed to the process's pool at the end (not dropped:
    that is what takes the time)."""
    own: dict[str, list[str]] = {}
    process = pg_pool._free
    monkeypatch.setattr(pg_pool, "_free", own)
    monkeypatch.setattr(pg_pool, "ENABLED", True)
    yield own
    for key, names in own.items():
        process.setdefault(key, []).extend(names)


def connect(name: str) -> psycopg.Connection[Any]:
    return psycopg.connect(ADMIN.rsplit("/", 1)[0] + "/" + name, autocommit=True)


def exists(name: str) -> bool:
    with psycopg.connect(ADMIN, autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                            [name]).fetchone() is not None


def state(name: str) -> tuple[Any, ...]:
    """What tells databases apart: schemas, extensions, objects, settings, privileges."""
    with connect(name) as conn:
        found = conn.execute(pg_pool._PRISTINE).fetchone()
        objects = conn.execute("SELECT count(*) FROM pg_class c JOIN pg_namespace n "
                               "ON n.oid = c.relnamespace WHERE n.nspname NOT IN "
                               "('pg_catalog', 'information_schema', 'pg_toast')").fetchone()
        assert found is not None and objects is not None
        return (*found, objects[0])


def test_a_used_database_comes_back_as_a_new_one(pool: dict[str, list[str]],
                                                 tmp_path: Path) -> None:
    first = DatabaseFactory("postgresql", tmp_path)
    url = first.new()
    name = url.rsplit("/", 1)[1]
    new = state(name)
    env = Environment.for_edition("basic", database_url=url)
    create_test_database(env)
    with connect(name) as conn:
        conn.execute("CREATE SCHEMA scratch")
        conn.execute("CREATE TABLE scratch.t (x int)")
        conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        leaked = connect(name)  # a session a test forgot, inside a transaction
        leaked.execute("BEGIN")
        leaked.execute("SELECT count(*) FROM jxc_product")
    first.cleanup()
    leaked.close()
    # the database comes back to the pool (beside, when the process already had the
    # migrated template, the empty database its copy replaced)
    pooled = [n for names in pool.values() for n in names]
    assert pooled[-1] == name and all(exists(n) for n in pooled)
    assert state(name) == new

    second = DatabaseFactory("postgresql", tmp_path)
    assert second.new() == url  # handed out again
    assert pool == {pg_pool.server(ADMIN): pooled[:-1]}
    second.cleanup()
    env.database.dispose()


def test_what_emptying_cannot_undo_is_dropped(pool: dict[str, list[str]],
                                              tmp_path: Path) -> None:
    factory = DatabaseFactory("postgresql", tmp_path)
    name = factory.new().rsplit("/", 1)[1]
    with connect(name) as conn:
        conn.execute(f'ALTER DATABASE "{name}" SET timezone = \'UTC\'')
    factory.cleanup()
    assert not exists(name) and not any(pool.values())


def test_a_database_in_use_is_not_renamed_away(pool: dict[str, list[str]],
                                               tmp_path: Path) -> None:
    factory = DatabaseFactory("postgresql", tmp_path)
    name = factory.new().rsplit("/", 1)[1]
    with connect(name):
        assert not pg_pool.rename_away(ADMIN, name)
    assert pg_pool.rename_away(ADMIN, name)
    assert not exists(name)
    (spare,) = pool[pg_pool.server(ADMIN)]
    assert exists(spare)
    factory.cleanup()  # its name is gone: nothing to give back but the spare
    pg_pool.drop_pool()
    assert not exists(spare) and pool == {}


def test_reuse_can_be_turned_off(pool: dict[str, list[str]], tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pg_pool, "ENABLED", False)
    factory = DatabaseFactory("postgresql", tmp_path)
    name = factory.new().rsplit("/", 1)[1]
    factory.cleanup()
    assert not exists(name) and not any(pool.values())
