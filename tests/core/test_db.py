"""The database layer: exact decimals, concurrent writers, and the retry wrapper."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import Integer, String, Table, func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Mapped, mapped_column

from openjxc.core.db import Database, is_transient, normalize_url, retry_transient
from openjxc.core.errors import ConfigError
from openjxc.core.models import Base, Money, Quantity, UTCDateTime


class Ledger(Base):
    __tablename__ = "test_ledger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(20), default="")
    amount: Mapped[Decimal] = mapped_column(Money())
    qty: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


def _database(url: str) -> Database:
    database = Database(url)
    table = Ledger.__table__
    assert isinstance(table, Table)
    Base.metadata.create_all(database.engine, tables=[table])
    return database


def test_money_and_quantities_stay_exact(database_url: str) -> None:
    database = _database(database_url)
    try:
        with database.session() as session:
            for _ in range(1000):
                session.add(Ledger(amount=Decimal("0.10"), qty=Decimal("0.0001")))
            session.add(Ledger(amount=Decimal("99999999999.99"), qty=Decimal("12345.6789")))
        with database.session(readonly=True) as session:
            total = session.scalar(select(func.sum(Ledger.amount)))
            qty = session.scalar(select(func.sum(Ledger.qty)))
            assert total == Decimal("100000000099.99")
            assert qty == Decimal("12345.7789")
            big = session.scalar(select(Ledger).where(Ledger.amount > Decimal("1000")))
            assert big is not None and big.amount == Decimal("99999999999.99")
    finally:
        database.dispose()


def test_floats_are_refused_for_money(database_url: str) -> None:
    database = _database(database_url)
    try:
        with pytest.raises(Exception, match="floats are not accepted"), \
                database.session() as session:
            session.add(Ledger(amount=0.1))
            session.flush()
    finally:
        database.dispose()


def test_timestamps_come_back_in_utc(database_url: str) -> None:
    database = _database(database_url)
    shanghai = timezone(timedelta(hours=8))
    try:
        with database.session() as session:
            session.add(Ledger(amount=Decimal(1), at=datetime(2026, 1, 1, 8, 0, tzinfo=shanghai)))
        with database.session(readonly=True) as session:
            at = session.scalar(select(Ledger.at))
        assert at == datetime(2026, 1, 1, 0, 0, tzinfo=UTC)
        assert at is not None and at.tzinfo is not None
        with pytest.raises(Exception, match="naive datetimes"), database.session() as session:
            session.add(Ledger(amount=Decimal(1), at=datetime(2026, 1, 1)))
            session.flush()
    finally:
        database.dispose()


def test_concurrent_writers_wait_instead_of_failing(database_url: str) -> None:
    """Read-modify-write in many threads: with BEGIN IMMEDIATE on SQLite (and a row lock on
    PostgreSQL) nobody sees "database is locked" and no increment is lost."""
    database = _database(database_url)
    with database.session() as session:
        session.add(Ledger(id=1, amount=Decimal(0)))
    errors: list[BaseException] = []

    def bump() -> None:
        try:
            for _ in range(10):
                def work(session) -> None:  # type: ignore[no-untyped-def]
                    row = session.scalar(select(Ledger).where(Ledger.id == 1)
                                         .with_for_update())
                    row.amount = row.amount + 1
                database.run(work)
        except BaseException as exc:  # pragma: no cover - the assertion shows it
            errors.append(exc)

    threads = [threading.Thread(target=bump) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        with database.session(readonly=True) as session:
            assert session.scalar(select(Ledger.amount).where(Ledger.id == 1)) == Decimal(60)
    finally:
        database.dispose()


class _PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def test_retry_wrapper_retries_only_transient_errors() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("UPDATE", {}, _PgError("40001"))
        return "done"

    assert retry_transient(flaky, base_delay=0) == "done"
    assert len(calls) == 3

    def broken() -> None:
        calls.append(1)
        raise OperationalError("UPDATE", {}, _PgError("23505"))

    calls.clear()
    with pytest.raises(OperationalError):
        retry_transient(broken, base_delay=0)
    assert len(calls) == 1
    assert is_transient(OperationalError("x", {}, _PgError("40P01")))
    assert is_transient(OperationalError("x", {}, Exception("database is locked")))


def test_real_serialization_failures_on_postgresql_are_retried(pg_database_url: str) -> None:
    """(SQLite serialises writers with BEGIN IMMEDIATE: it has no serialization failures.)"""
    database = _database(pg_database_url)
    with database.session() as session:
        session.add(Ledger(id=1, amount=Decimal(0)))
    serializable = database.engine.execution_options(isolation_level="SERIALIZABLE")
    barrier = threading.Barrier(2)
    attempts: list[int] = []
    errors: list[BaseException] = []

    def writer() -> None:
        first = [True]

        def action() -> None:
            attempts.append(1)
            with serializable.begin() as conn:
                value = conn.execute(text("SELECT amount FROM test_ledger WHERE id = 1")).scalar()
                if first[0]:
                    first[0] = False
                    barrier.wait(timeout=5)
                conn.execute(text("UPDATE test_ledger SET amount = :v WHERE id = 1"),
                             {"v": Decimal(value) + 1})

        try:
            retry_transient(action, base_delay=0.01)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert len(attempts) >= 3, "one of the two must have hit a serialization failure"
        with database.session(readonly=True) as session:
            assert session.scalar(select(Ledger.amount)) == Decimal(2)
    finally:
        database.dispose()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("shop.db", "sqlite:///shop.db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_are_normalised(given: str, expected: str) -> None:
    assert normalize_url(given) == expected


def test_unsupported_database_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="unsupported database 'mysql'"):
        normalize_url("mysql://root@localhost/test")
