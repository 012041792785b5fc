"""Test databases copied from a migrated template: a copy is what migrating makes, and only a
fresh database of the same addons, settings and migrations is ever copied."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import inspect, text

from openjxc.core.config import Settings
from openjxc.core.db import Database
from openjxc.core.env import Environment, installed_addons
from openjxc.core.errors import MigrationError
from openjxc.testing import database_templates
from openjxc.testing.database_templates import TemplateCache
from openjxc.testing.fixtures import PG_ADMIN_URL, DatabaseFactory


@pytest.fixture
def migrations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The databases really migrated (``create_database`` calls), by URL."""
    done: list[str] = []
    real = database_templates.create_database

    def counting(env: Environment, **kwargs: Any) -> None:
        done.append(env.database.url)
        real(env, **kwargs)

    monkeypatch.setattr(database_templates, "create_database", counting)
    return done


@pytest.fixture
def cache() -> Iterator[TemplateCache]:
    cache = TemplateCache()
    yield cache
    cache.drop()


def kernel_env(url: str, settings: Settings | None = None) -> Environment:
    return Environment([], database=Database(url), settings=settings or Settings())


def contents(env: Environment) -> dict[str, Any]:
    """Tables, recorded addons, migration heads and every row of the small tables."""
    engine = env.database.engine
    names = sorted(inspect(engine).get_table_names())
    out: dict[str, Any] = {"tables": names, "addons": installed_addons(env.database)}
    with engine.connect() as connection:
        out["heads"] = sorted(connection.execute(text(
            "SELECT version_num FROM alembic_version")).scalars())
        for name in names:
            rows = connection.execute(text(f'SELECT * FROM "{name}"')).all()
            out[name] = sorted(map(repr, rows))
    return out


def test_a_copy_is_what_migrating_makes(databases: DatabaseFactory,
                                        migrations: list[str],
                                        cache: TemplateCache) -> None:
    first = Environment.for_edition("basic", database_url=databases.new())
    second = Environment.for_edition("basic", database_url=databases.new())
    cache.create(first)
    cache.create(second)
    assert migrations == [first.database.url]  # the second one was copied
    assert contents(second) == contents(first)
    from openjxc.addons.base_jxc.catalog.services import create_category

    with second.unit_of_work() as session:  # a copy is a working database
        create_category(session, code="DJ", name="电机")
    first.database.dispose()
    second.database.dispose()


def test_the_templates_go_when_the_session_ends(databases: DatabaseFactory,
                                                cache: TemplateCache) -> None:
    env = kernel_env(databases.new())
    cache.create(env)
    env.database.dispose()
    (template,) = cache._templates.values()
    if template.backend == "sqlite":
        assert Path(template.location).is_file()
    cache.drop()
    if template.backend == "sqlite":
        assert not Path(template.location).exists()
    else:
        with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", "")) as connection:
            assert connection.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                      (template.location,)).fetchone() is None


def test_only_a_fresh_database_of_the_same_kind_is_copied(
        databases: DatabaseFactory, migrations: list[str], cache: TemplateCache,
        monkeypatch: pytest.MonkeyPatch) -> None:
    urls = [databases.new() for _ in range(5)]
    cache.create(kernel_env(urls[0]))
    cache.create(kernel_env(urls[1]))
    assert migrations == urls[:1]
    # Other settings: another template.
    cache.create(kernel_env(urls[2], Settings(default_locale="en")))
    assert migrations == [urls[0], urls[2]]
    # A migration file changed during the session: another template.
    monkeypatch.setattr(database_templates, "migrations_digest", lambda env: "changed")
    cache.create(kernel_env(urls[3]))
    assert migrations == [urls[0], urls[2], urls[3]]
    # A database that holds OpenJXC already is refused as create_database refuses it.
    with pytest.raises(MigrationError, match="already holds OpenJXC"):
        cache.create(kernel_env(urls[1]))
    # A database holding tables of its own is migrated around them, never replaced.
    own = kernel_env(urls[4])
    with own.database.engine.begin() as connection:
        connection.execute(text("CREATE TABLE t_mine (id INTEGER PRIMARY KEY)"))
        connection.execute(text("INSERT INTO t_mine (id) VALUES (7)"))
    cache.create(own)
    assert migrations[-1] == urls[4]
    with own.database.engine.connect() as connection:
        assert connection.execute(text("SELECT id FROM t_mine")).scalar() == 7


def test_a_database_in_memory_is_migrated(migrations: list[str], cache: TemplateCache) -> None:
    env = kernel_env("sqlite://")
    cache.create(env)
    assert migrations == ["sqlite://"]
    assert cache._templates == {}


def test_the_cache_can_be_turned_off(databases: DatabaseFactory, migrations: list[str],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database_templates, "ENABLED", False)
    urls = [databases.new() for _ in range(2)]
    for url in urls:
        database_templates.create_test_database(kernel_env(url))
    assert migrations == urls
