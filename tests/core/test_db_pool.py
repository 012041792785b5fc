"""Connection pools: PostgreSQL's is sized for a worker's concurrency, from the settings;
a SQLite file is pooled too (its per-connection settings survive any unit of work), writers
beginning IMMEDIATE; an in-memory SQLite database is never pooled."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.pool import NullPool, QueuePool

from openjxc.core.config import Settings
from openjxc.core.db import Database, create_database_engine

PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"  # never connected to here


def test_postgresql_pools_twenty_and_twenty_more_by_default() -> None:
    assert (Settings().db_pool_size, Settings().db_max_overflow) == (20, 20)
    engine = create_database_engine(PG_URL)
    assert isinstance(engine.pool, QueuePool)
    assert engine.pool.size() == 20
    assert engine.pool._max_overflow == 20
    assert engine.pool._pre_ping  # a restarted database costs no failed request


def test_the_pool_size_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENJXC_DB_POOL_SIZE", "7")
    monkeypatch.setenv("OPENJXC_DB_MAX_OVERFLOW", "3")
    engine = create_database_engine(PG_URL)
    assert (engine.pool.size(), engine.pool._max_overflow) == (7, 3)
    explicit = create_database_engine(PG_URL, pool_size=2, max_overflow=0)
    assert (explicit.pool.size(), explicit.pool._max_overflow) == (2, 0)


def test_sqlite_pools_its_connections_and_writes_immediately(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'pool.db'}")
    begun: list[str] = []
    event.listen(database.engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_a: begun.append(statement)
                 if statement.startswith("BEGIN") else None)
    try:
        assert isinstance(database.engine.pool, QueuePool)
        with database.session() as session:
            session.connection()
        with database.engine.connect() as connection:
            # Someone changes per-connection settings and does not restore them …
            raw = connection.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA foreign_keys=OFF")
            raw.execute("PRAGMA busy_timeout=5")
        with database.session(readonly=True) as session:
            again = session.connection().connection.driver_connection
            assert again is raw  # the same connection, from the pool
            # … leaves nothing behind for the next one.
            assert raw.execute("PRAGMA foreign_keys").fetchone() == (1,)
            assert raw.execute("PRAGMA busy_timeout").fetchone() == (30_000,)
            assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert begun == ["BEGIN IMMEDIATE", "BEGIN DEFERRED"]
    finally:
        database.dispose()


def test_an_in_memory_sqlite_database_is_not_pooled() -> None:
    for url in ("sqlite://", "sqlite:///:memory:"):
        assert isinstance(create_database_engine(url).pool, NullPool)


def test_default_thread_pool_is_not_larger_than_the_pool() -> None:
    """anyio's default thread limiter (where authentication runs) fits in the pool."""
    async def tokens() -> float:
        import anyio.to_thread

        return anyio.to_thread.current_default_thread_limiter().total_tokens

    settings = Settings()
    assert asyncio.run(tokens()) <= settings.db_pool_size + settings.db_max_overflow
