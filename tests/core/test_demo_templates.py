"""Demo databases copied from the test run's template: a copy holds what loading the demo
makes (the demo is deterministic but for the moments rows were written), one load serves
every process of a run, and only an empty database of the same demo, settings, migrations
and business day is ever copied."""

from __future__ import annotations

import multiprocessing
import os
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.sql import sqltypes

from openjxc.core.config import Settings
from openjxc.core.demo import create_demo
from openjxc.core.env import Environment
from openjxc.core.security import create_user, find_user
from openjxc.testing import database_templates, demo_templates, runs
from openjxc.testing.fixtures import PG_ADMIN_URL, DatabaseFactory, create_test_database

#: What differs between two loads of the demo: when rows were written, and a salt.
VOLATILE = {("core_user", "password_hash")}


def contents(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, timestamps reduced to whether they are set."""
    engine = create_engine(url)
    try:
        found: dict[str, list[tuple[Any, ...]]] = {}
        with engine.connect() as connection:
            for name in sorted(inspect(connection).get_table_names()):
                columns = inspect(connection).get_columns(name)
                volatile = [isinstance(c["type"], sqltypes.DateTime)
                            or (name, c["name"]) in VOLATILE for c in columns]
                rows = connection.execute(text(f'SELECT * FROM "{name}"')).all()
                found[name] = sorted(
                    (tuple(v is not None if skip else v for v, skip in zip(row, volatile,
                                                                         strict=True))
                     for row in rows), key=repr)
        return found
    finally:
        engine.dispose()


def test_a_copy_holds_what_loading_the_demo_makes(database_url: str,
                                                  databases: DatabaseFactory) -> None:
    """A real load now against a copy of the template some test loaded earlier (this one,
    if it is the first to ask): the same rows, the same ids."""
    create_demo(database_url, edition="basic")
    demo_templates.create_test_demo(databases.new(), "basic")  # the template, if none yet
    copy = databases.new()
    demo_templates.create_test_demo(copy, "basic")
    loaded, copied = contents(database_url), contents(copy)
    assert len(loaded["jxc_stock_move"]) > 500 and len(loaded["core_user"]) > 1
    assert copied == loaded


@pytest.fixture
def own_run(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A test run of its own (its templates dropped at the end), with a cheap stand-in for
    the demo: a migrated basic database with a user ``loaded`` (counted in ``LOADS``)."""
    monkeypatch.setenv(runs.RUN_ENV, f"t{uuid.uuid4().hex[:11]}")
    monkeypatch.setenv(runs.OWNER_ENV, str(os.getpid()))
    monkeypatch.setattr(database_templates, "ENABLED", True)
    LOADS.clear()

    def fake_demo(url: str, *, edition: str, extra: tuple[str, ...] = ()) -> bool:
        LOADS.append(url)
        env = Environment.for_edition(edition, database_url=url)
        if not inspect(env.database.engine).get_table_names():  # else: kept, as create_demo
            database_templates._CACHE.create(env)  # migrated, even with the cache off
            with env.unit_of_work() as session:
                create_user(session, env, "loaded", "loaded-pass-1", roles=["admin"])
        env.database.dispose()
        return True

    monkeypatch.setattr(demo_templates, "create_demo", fake_demo)
    folder = runs.run_folder()
    try:
        yield folder
    finally:
        runs.end_run()


LOADS: list[str] = []


def has_user(url: str, username: str) -> bool:
    env = Environment.for_edition("basic", database_url=url)
    try:
        with env.unit_of_work(readonly=True) as session:
            return find_user(session, username) is not None
    finally:
        env.database.dispose()


def _copy_in_another_process(url: str) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> bool:
        raise AssertionError("another process of the run loaded the demo again")

    demo_templates.create_demo = refuse  # type: ignore[assignment]
    demo_templates.create_test_demo(url, "basic")
    os._exit(0 if has_user(url, "loaded") else 3)


def pg_databases(prefix: str) -> list[str]:
    with psycopg.connect(PG_ADMIN_URL.replace("+psycopg", ""), autocommit=True) as conn:
        return [r[0] for r in conn.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s", [prefix + "%"])]


def test_one_load_serves_every_process_of_the_run(own_run: Path, backend: str,
                                                  databases: DatabaseFactory) -> None:
    first, second, other = databases.new(), databases.new(), databases.new()
    demo_templates.create_test_demo(first, "basic")
    demo_templates.create_test_demo(second, "basic")
    assert LOADS == [first] and has_user(second, "loaded")
    # A worker of the same run (it inherits the run through the environment) copies too.
    child = multiprocessing.get_context("fork").Process(target=_copy_in_another_process,
                                                        args=(other,))
    child.start()
    child.join(120)
    assert child.exitcode == 0
    assert list(own_run.glob("demo-*.json")) and list(own_run.glob("demo-*.lock"))
    if backend == "postgresql":
        assert pg_databases(f"openjxc_demo_{os.environ[runs.RUN_ENV]}_") != []
    runs.end_run()
    assert not own_run.exists()
    assert pg_databases(f"openjxc_demo_{os.environ[runs.RUN_ENV]}_") == []


def test_another_edition_day_or_settings_loads_again(
        own_run: Path, databases: DatabaseFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    demo_templates.create_test_demo(databases.new(), "basic")
    demo_templates.create_test_demo(databases.new(), "basic", ["serial_warranty"])
    monkeypatch.setenv("OPENJXC_MAX_PAGE_SIZE", "50")
    demo_templates.create_test_demo(databases.new(), "basic")
    monkeypatch.delenv("OPENJXC_MAX_PAGE_SIZE")
    today = demo_templates.business_day(Settings())

    def tomorrow(settings: Settings) -> date:
        return today + timedelta(days=1)

    monkeypatch.setattr(demo_templates, "business_day", tomorrow)
    demo_templates.create_test_demo(databases.new(), "basic")
    assert len(LOADS) == 4
    demo_templates.create_test_demo(databases.new(), "basic")  # tomorrow's, kept
    assert len(LOADS) == 4


def test_only_an_empty_database_is_replaced(own_run: Path, database_url: str,
                                            databases: DatabaseFactory) -> None:
    demo_templates.create_test_demo(databases.new(), "basic")  # the template
    env = Environment.for_edition("basic", database_url=database_url)
    create_test_database(env)
    with env.unit_of_work() as session:
        create_user(session, env, "mine", "mine-pass-1", roles=["admin"])
    env.database.dispose()
    demo_templates.create_test_demo(database_url, "basic")  # create_demo's to decide
    assert LOADS[1:] == [database_url] and has_user(database_url, "mine")


def test_the_cache_can_be_turned_off(own_run: Path, databases: DatabaseFactory,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(database_templates, "ENABLED", False)
    demo_templates.create_test_demo(databases.new(), "basic")
    demo_templates.create_test_demo(databases.new(), "basic")
    assert len(LOADS) == 2 and not list(own_run.glob("demo-*.json"))
