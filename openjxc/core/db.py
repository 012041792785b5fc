"""Engines, sessions, the unit of work and the retry wrapper, for SQLite and PostgreSQL.

SQLite is tuned for a shop server: WAL journal, foreign keys on, a busy timeout, and every
write transaction begun with ``BEGIN IMMEDIATE`` so that concurrent writers queue for the
lock instead of failing half-way with "database is locked" (SQLAlchemy silently drops
``FOR UPDATE`` on SQLite; the immediate lock is what serialises writers there).
Read-only units of work begin ``DEFERRED`` and never block writers.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, Select, Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool, QueuePool

from openjxc.core.config import Settings
from openjxc.core.errors import ConfigError

log = logging.getLogger(__name__)

DEFAULT_DATABASE_URL = "sqlite:///openjxc.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
_BEGIN_OPTION = "openjxc_sqlite_begin"

T = TypeVar("T")


def normalize_url(url: str | None) -> str:
    """Accept ``postgresql://`` (meaning psycopg 3) and plain file paths for SQLite."""
    url = url or os.environ.get("OPENJXC_DATABASE_URL") or DEFAULT_DATABASE_URL
    if "://" not in url:
        url = f"sqlite:///{url}"
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ConfigError(f"invalid database URL {url!r}: {exc}") from exc
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql"
        )
    return parsed.render_as_string(hide_password=False)


def create_database_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine with the house settings for its backend.

    PostgreSQL keeps ``Settings.db_pool_size`` connections per process and opens up to
    ``Settings.db_max_overflow`` more when busy (read from ``OPENJXC_DB_POOL_SIZE`` and
    ``OPENJXC_DB_MAX_OVERFLOW`` here; keyword arguments win): enough for a worker's
    requests and its thread pool at once, so a burst waits on PostgreSQL, not on the pool.
    Each checkout still pings the connection first (``pool_pre_ping``): without it, the
    first request after a database restart would fail, since only serialization failures
    are retried.  A SQLite file is pooled the same way (see :func:`_sqlite_engine`).
    """
    url = normalize_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_engine(url, **kwargs)
    if kwargs.get("poolclass") is None:
        settings = Settings.from_env()
        kwargs.setdefault("pool_size", settings.db_pool_size)
        kwargs.setdefault("max_overflow", settings.db_max_overflow)
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def require_existing_database(url: str) -> None:
    """Refuse a SQLite path that does not exist: opening it would create an empty file
    and the command would then complain about *that* instead of the typo."""
    parsed = make_url(normalize_url(url))
    path = parsed.database
    if parsed.get_backend_name() == "sqlite" and path and path != ":memory:" and not (
            Path(path).exists()):
        raise ConfigError(f"the database file {path} does not exist; create it with: "
                          f"openjxc init --edition basic --database {url}")


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    """A SQLite file keeps its connections in a pool, like PostgreSQL's: opening one per
    unit of work cost a connect, four pragmas and — as the last connection closed — a WAL
    checkpoint, each time (a tenth of the posting time).  Per-connection settings are made
    when a connection is opened and made again as it returns to the pool, so a unit of work
    that changed them (a schema change pauses foreign keys) cannot leak them to the next.

    An in-memory database (``:memory:``, ``mode=memory``) keeps ``NullPool``: each unit of
    work gets its own fresh database, as before.
    """
    parsed = make_url(url)
    database = parsed.database
    in_memory = (not database or database == ":memory:"
                 or parsed.query.get("mode") == "memory")
    if not in_memory:
        assert database is not None
        try:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the folder of {database}: {exc.strerror}") from exc
    if in_memory:
        kwargs.setdefault("poolclass", NullPool)
    elif kwargs.get("poolclass") in (None, QueuePool):
        settings = Settings.from_env()
        kwargs["poolclass"] = QueuePool
        kwargs.setdefault("pool_size", settings.db_pool_size)
        kwargs.setdefault("max_overflow", settings.db_max_overflow)
        # The connection used last has the warmest page cache: another one would first
        # have to notice the last writer's changes and drop its cache.
        kwargs.setdefault("pool_use_lifo", True)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("timeout", SQLITE_BUSY_TIMEOUT_MS / 1000)
    connect_args.setdefault("check_same_thread", False)
    engine = create_engine(url, connect_args=connect_args, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the driver so that we can emit BEGIN ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()
        _connection_settings(dbapi_connection)

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection: Any, _record: Any) -> None:
        if dbapi_connection is not None and not dbapi_connection.in_transaction:
            _connection_settings(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "IMMEDIATE")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _connection_settings(dbapi_connection: Any) -> None:
    """What each SQLite connection must have, whoever used it before (outside a
    transaction: the foreign-key pragma is ignored inside one).  Each is read first and set
    only when it differs: setting ``foreign_keys`` expires every prepared statement of the
    connection, which would then be compiled anew in each unit of work."""
    if dbapi_connection.execute("PRAGMA foreign_keys").fetchone()[0] != 1:
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
    if dbapi_connection.execute("PRAGMA busy_timeout").fetchone()[0] != SQLITE_BUSY_TIMEOUT_MS:
        dbapi_connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def upsert(session: Session, table: Table) -> postgresql.Insert | sqlite.Insert:
    """An ``INSERT`` that takes ``on_conflict_do_update`` / ``on_conflict_do_nothing`` on
    the session's backend (PostgreSQL and SQLite spell them alike)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


class Database:
    """One database: its engine and the units of work that run against it."""

    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        self.engine = engine if engine is not None else create_database_engine(url)
        self.url = self.engine.url.render_as_string(hide_password=False)
        self._write_sessions = sessionmaker(self.engine, expire_on_commit=False)
        reader = self.engine.execution_options(**{_BEGIN_OPTION: "DEFERRED"})
        self._read_sessions = sessionmaker(reader, expire_on_commit=False)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self, *, readonly: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on error."""
        factory = self._read_sessions if readonly else self._write_sessions
        with factory() as session, session.begin():
            yield session

    def run(self, work: Callable[[Session], T], *, readonly: bool = False,
            attempts: int = 5) -> T:
        """Run ``work(session)`` in one transaction, retrying serialization failures and
        deadlocks (and SQLite's "database is locked") with jittered exponential backoff.

        ``work`` must be safe to run again: everything it did in a failed attempt was
        rolled back.
        """
        return retry_transient(lambda: self._run_once(work, readonly), attempts=attempts)

    def _run_once(self, work: Callable[[Session], T], readonly: bool) -> T:
        with self.session(readonly=readonly) as session:
            return work(session)

    def dispose(self) -> None:
        self.engine.dispose()


_TRANSIENT_PGCODES = {"40001", "40P01"}  # serialization_failure, deadlock_detected


def is_transient(exc: BaseException) -> bool:
    """Whether a database error is worth retrying the whole transaction for."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    sqlstate = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if sqlstate in _TRANSIENT_PGCODES:
        return True
    if isinstance(exc, OperationalError):
        text = str(orig).lower()
        return "database is locked" in text or "database is busy" in text
    return False


#: How many times a unit of work hit by a transient error is run in all, and the first
#: pause between two runs (doubled each time, with jitter: :func:`transient_backoff`).
TRANSIENT_ATTEMPTS = 5
TRANSIENT_BASE_DELAY = 0.02


def transient_backoff(attempt: int, base_delay: float = TRANSIENT_BASE_DELAY) -> float:
    """Seconds to wait after failed run number ``attempt`` (1, 2, …): exponential, with up
    to 100 % jitter so that two colliding transactions do not collide again."""
    return base_delay * 2 ** (attempt - 1) * (1 + random.random())


def retry_transient(action: Callable[[], T], *, attempts: int = TRANSIENT_ATTEMPTS,
                    base_delay: float = TRANSIENT_BASE_DELAY) -> T:
    """Call ``action`` until it succeeds or a non-transient error happens."""
    for attempt in range(1, attempts + 1):
        try:
            return action()
        except DBAPIError as exc:
            if attempt == attempts or not is_transient(exc):
                raise
            delay = transient_backoff(attempt, base_delay)
            log.info("transient database error (attempt %s): %s; retrying", attempt, exc.orig)
            time.sleep(delay)
    raise AssertionError("unreachable")


def lock_or_create(session: Session, query: Select[T], create: Callable[[], T]) -> T:
    """The one row ``query`` selects, locked until the transaction ends (``FOR UPDATE``;
    SQLite's ``BEGIN IMMEDIATE`` serialises anyway), added by ``create()`` if missing.

    Two first callers may race to create the row: the loser's insert fails at its
    savepoint and it then waits on the winner's lock like anyone else.
    """
    locked = query.with_for_update().execution_options(populate_existing=True)
    row = session.scalars(locked).first()
    if row is None:
        try:
            with session.begin_nested():
                session.add(create())
        except IntegrityError:
            pass
        row = session.scalars(locked).one()
    return row
