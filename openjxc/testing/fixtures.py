"""Pytest plugin: fresh databases on SQLite and PostgreSQL for every addon's tests.

Every test that takes ``database_url`` runs twice, once per backend.  PostgreSQL is
reached at ``OPENJXC_TEST_PG_URL`` (default: the local server, trust auth).  When it cannot
be reached the PostgreSQL variants *fail* (never skip) unless ``OPENJXC_TEST_BACKENDS``
excludes postgresql explicitly (e.g. a quick local run with ``OPENJXC_TEST_BACKENDS=sqlite``).

The databases handed out are empty.  A test that needs one at head calls
:func:`create_test_database` (``create_database`` from a per-session template of the same
addon set: milliseconds instead of seconds, see :mod:`openjxc.testing.database_templates`);
tests of migrations themselves call ``openjxc.core.migrate.create_database``.

A test that needs an edition's demo (what ``openjxc demo`` makes) calls
:func:`create_test_demo` on an empty database, or takes the :func:`demo_database` fixture: the
demo is loaded once per test run, edition and backend, and copied (shared by all xdist
workers, see :mod:`openjxc.testing.demo_templates`).
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
from psycopg import sql

if TYPE_CHECKING:
    from openjxc.core.env import Environment

__all__ = ["BACKENDS", "DatabaseFactory", "create_pg_database", "create_test_database",
           "create_test_demo", "drop_pg_database", "pg_url"]

PG_ADMIN_URL = os.environ.get("OPENJXC_TEST_PG_URL",
                              "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = [
    b.strip()
    for b in os.environ.get("OPENJXC_TEST_BACKENDS", "sqlite,postgresql").split(",")
    if b.strip()
]


def _pg_conninfo(dbname: str | None = None) -> str:
    url = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    if dbname is None:
        return url
    return url.rsplit("/", 1)[0] + "/" + dbname


def pg_url(dbname: str) -> str:
    return _pg_conninfo(dbname).replace("postgresql://", "postgresql+psycopg://", 1)


def create_pg_database() -> str:
    """Create an empty PostgreSQL database and return its name."""
    name = f"openjxc_t_{uuid.uuid4().hex[:12]}"
    try:
        with psycopg.connect(_pg_conninfo(), autocommit=True, connect_timeout=5) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {PG_ADMIN_URL} ({exc}); start it or set "
            f"OPENJXC_TEST_BACKENDS=sqlite for a local SQLite-only run",
            pytrace=False,
        )
    return name


def drop_pg_database(name: str) -> None:
    with psycopg.connect(_pg_conninfo(), autocommit=True) as conn:
        drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
        conn.execute(drop.format(sql.Identifier(name)))


class DatabaseFactory:
    """Hands out fresh, empty databases of one backend and removes them afterwards.

    PostgreSQL databases are emptied and reused by the next factory of the process rather
    than dropped (a drop costs a server-wide checkpoint; see :mod:`openjxc.testing.pg_pool`).
    """

    def __init__(self, backend: str, tmp_path: Path) -> None:
        self.backend = backend
        self.tmp_path = tmp_path
        self._pg: list[str] = []

    def new(self) -> str:
        if self.backend == "sqlite":
            return f"sqlite:///{self.tmp_path / f'db_{uuid.uuid4().hex[:8]}.sqlite'}"
        from openjxc.testing import pg_pool

        name = pg_pool.take(_pg_conninfo()) or create_pg_database()
        self._pg.append(name)
        return pg_url(name)

    def cleanup(self) -> None:
        from openjxc.testing import pg_pool

        for name in self._pg:
            pg_pool.give_back(_pg_conninfo(), name)
        self._pg.clear()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def databases(backend: str, tmp_path: Path) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(backend, tmp_path)
    yield factory
    factory.cleanup()


@pytest.fixture
def database_url(databases: DatabaseFactory) -> str:
    """A fresh, empty database on each backend in turn."""
    return databases.new()


@pytest.fixture
def pg_database_url(tmp_path: Path) -> Iterator[str]:
    """A fresh PostgreSQL database, for behaviour only PostgreSQL has (fails if unreachable)."""
    factory = DatabaseFactory("postgresql", tmp_path)
    yield factory.new()
    factory.cleanup()


def create_test_database(env: Environment) -> None:
    """``create_database(env)`` from this session's migrated template of the same addons,
    settings and migrations (see :mod:`openjxc.testing.database_templates`)."""
    from openjxc.testing.database_templates import create_test_database as create

    create(env)


def create_test_demo(url: str, edition: str = "enterprise", extra: Iterable[str] = ()) -> None:
    """``create_demo(url, edition=edition, extra=extra)`` on an empty database, copied from
    this test run's template of the same demo (see :mod:`openjxc.testing.demo_templates`)."""
    from openjxc.testing.demo_templates import create_test_demo as create

    create(url, edition, extra)


@pytest.fixture
def demo_database(databases: DatabaseFactory) -> Callable[..., str]:
    """``demo_database(edition="enterprise", extra=())``: the URL of a fresh database on
    this test's backend holding that edition's demo (what ``openjxc demo`` makes), copied
    from the run's template."""

    def make(edition: str = "enterprise", extra: Iterable[str] = ()) -> str:
        url = databases.new()
        create_test_demo(url, edition, extra)
        return url

    return make


def pytest_configure(config: pytest.Config) -> None:
    """The main process starts the test run its xdist workers share demo templates in."""
    if not hasattr(config, "workerinput"):
        from openjxc.testing.runs import start_run

        start_run()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Drop the migrated templates this process made (see :func:`create_test_database`),
    and in the main process the run's demo templates (see :func:`create_test_demo`)."""
    templates = sys.modules.get("openjxc.testing.database_templates")
    if templates is not None:
        templates.drop_templates()
    pool = sys.modules.get("openjxc.testing.pg_pool")
    if pool is not None:
        pool.drop_pool()
    if not hasattr(session.config, "workerinput"):
        from openjxc.testing.runs import end_run

        end_run()
