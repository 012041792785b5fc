"""Empty PostgreSQL test databases, emptied and reused instead of dropped.

``DROP DATABASE`` makes PostgreSQL (up to 16 at least) take an immediate checkpoint: every
dirty page of the whole server written and synced, seconds on a busy machine — and every
test dropped its database.  Emptying one takes milliseconds and no checkpoint.  So a test's
database is emptied at its end (other sessions ended, every schema dropped, ``public`` made
again as a new database has it) and the next test of the process gets it; whatever the
emptying cannot bring back to a new database's state (an extension, a database setting, a
large object …) is dropped as before.  At the end of the process the pool is dropped, all
databases at once: concurrent drops share their checkpoints.

A test cannot tell a reused database from a new one: the schemas, extensions, settings and
privileges a new database has are checked after each emptying (``pristine``).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

__all__ = ["drop_databases", "give_back", "rename_away", "take"]

#: ``OPENJXC_TEST_PG_REUSE=0`` drops every test database at once, as before.
ENABLED = os.environ.get("OPENJXC_TEST_PG_REUSE", "1").strip().lower() not in {
    "0", "false", "no", "off"}

_free: dict[str, list[str]] = {}
_lock = threading.Lock()
_pid = os.getpid()

#: What a new database holds besides the system schemas (PostgreSQL 15+).
_STANDARD_SCHEMAS = {"public", "pg_catalog", "information_schema", "pg_toast"}
_PRISTINE = """
SELECT
  (SELECT array_agg(nspname::text ORDER BY nspname) FROM pg_namespace
    WHERE nspname NOT LIKE 'pg\\_temp\\_%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%'),
  (SELECT array_agg(extname::text ORDER BY extname) FROM pg_extension),
  (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public'),
  (SELECT count(*) FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
    WHERE d.datname = current_database()),
  (SELECT count(*) FROM pg_largeobject_metadata),
  (SELECT count(*) FROM pg_event_trigger) + (SELECT count(*) FROM pg_publication)
    + (SELECT count(*) FROM pg_default_acl),
  (SELECT datconnlimit = -1 AND datallowconn AND NOT datistemplate FROM pg_database
    WHERE datname = current_database()),
  (SELECT pg_get_userbyid(nspowner)::text || ' ' || coalesce(nspacl::text, '')
    FROM pg_namespace WHERE nspname = 'public')
"""


def server(conninfo: str) -> str:
    """The server and user of ``conninfo`` (any database, any driver name), as a key."""
    url = make_url(conninfo).set(drivername="postgresql", database="postgres")
    return url.render_as_string(hide_password=False)


def take(conninfo: str) -> str | None:
    """An emptied database of this process on ``conninfo``'s server, if one is free."""
    with _lock:
        free = _free.get(server(conninfo))
        return free.pop() if free else None


def give_back(conninfo: str, name: str) -> None:
    """Empty database ``name`` and keep it for :func:`take`; drop it if it cannot be made
    what a new database is."""
    key = server(conninfo)
    if ENABLED and os.getpid() == _pid:
        with contextlib.suppress(psycopg.Error):
            if _empty(key, name):
                with _lock:
                    _free.setdefault(key, []).append(name)
                return
    drop_databases(key, [name])


def rename_away(conninfo: str, name: str) -> bool:
    """Move empty database ``name`` out of the way (renamed, then emptied and kept) so that
    the name can be made again, e.g. from a template; False when it is in use."""
    spare = f"openjxc_t_{uuid.uuid4().hex[:12]}"
    key = server(conninfo)
    try:
        _execute(key, "ALTER DATABASE {} RENAME TO {}", name, spare)
    except psycopg.Error:
        return False
    give_back(key, spare)
    return True


def drop_databases(conninfo: str, names: Iterable[str]) -> None:
    """Drop ``names``, concurrently (their checkpoints coincide); errors are ignored (at
    exit the server may be gone)."""
    key = server(conninfo)

    def drop(name: str) -> None:
        with contextlib.suppress(Exception):
            _execute(key, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)

    names = list(names)
    if len(names) == 1:
        drop(names[0])
    elif names:
        with ThreadPoolExecutor(max_workers=min(8, len(names))) as pool:
            list(pool.map(drop, names))


def drop_pool() -> None:
    """Drop every database this process keeps (the pytest plugin calls it at the end)."""
    if os.getpid() != _pid:  # a forked child must not drop its parent's databases
        return
    with _lock:
        kept = dict(_free)
        _free.clear()
    for key, names in kept.items():
        drop_databases(key, names)


atexit.register(drop_pool)


def _execute(key: str, statement: str, *names: str) -> None:
    query = sql.SQL(statement).format(*(sql.Identifier(name) for name in names))
    with psycopg.connect(key, autocommit=True, connect_timeout=10) as connection:
        connection.execute(query)


def _empty(key: str, name: str) -> bool:
    """Bring ``name`` back to a new database's state; True when it is."""
    conninfo = make_url(key).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as connection:
        connection.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                           "WHERE datname = current_database() AND pid <> pg_backend_pid()")
        connection.execute("SET lock_timeout = '10s'")
        schemas = connection.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname <> ALL(%s) "
            "AND nspname NOT LIKE 'pg\\_temp\\_%%' AND nspname NOT LIKE 'pg\\_toast\\_temp\\_%%'",
            [sorted(_STANDARD_SCHEMAS - {"public"})]).fetchall()
        with connection.transaction():
            for (schema,) in schemas:
                connection.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(
                    sql.Identifier(schema)))
            connection.execute("CREATE SCHEMA public AUTHORIZATION pg_database_owner")
            connection.execute("GRANT USAGE ON SCHEMA public TO PUBLIC")
            connection.execute("COMMENT ON SCHEMA public IS 'standard public schema'")
        found = connection.execute(_PRISTINE).fetchone()
    return found is not None and (
        sorted(found[0] or []) == sorted(_STANDARD_SCHEMAS) and list(found[1] or []) == [
            "plpgsql"] and found[2:7] == (0, 0, 0, 0, True)
        and found[7] == "pg_database_owner {pg_database_owner=UC/pg_database_owner,"
                        "=U/pg_database_owner}")
