"""Connection pools: PostgreSQL's is sized for a worker's concurrency, from the settings;
SQLite keeps opening a connection per unit of work, writers beginning IMMEDIATE."""

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


def test_sqlite_opens_a_connection_per_unit_of_work_and_writes_immediately(
        tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'pool.db'}")
    begun: list[str] = []
    event.listen(database.engine, "before_cursor_execute",
                 lambda _c, _cur, statement, *_a: begun.append(statement)
                 if statement.startswith("BEGIN") else None)
    try:
        assert isinstance(database.engine.pool, NullPool)
        with database.session() as session:
            session.connection()
        with database.session(readonly=True) as session:
            session.connection()
        assert begun == ["BEGIN IMMEDIATE", "BEGIN DEFERRED"]
    finally:
        database.dispose()


def test_default_thread_pool_is_not_larger_than_the_pool() -> None:
    """anyio's default thread limiter (where authentication runs) fits in the pool."""
    async def tokens() -> float:
        import anyio.to_thread

        return anyio.to_thread.current_default_thread_limiter().total_tokens

    settings = Settings()
    assert asyncio.run(tokens()) <= settings.db_pool_size + settings.db_max_overflow
