"""Migrated databases for tests, copied from a template instead of migrated each time.

Migrating a fresh basic database takes seconds (every revision of every addon, then the
install hooks); copying one that is already migrated takes milliseconds.  So the first test
database of each addon set, settings and backend in a test session is migrated for real and
kept as a template, and the following ones are copies of it: SQLite through the backup API,
PostgreSQL with ``CREATE DATABASE … TEMPLATE …``.  A copy of a freshly migrated database is
exactly what migrating would have made, so a test cannot tell the difference::

    env = Environment.for_edition("basic", database_url=database_url)
    create_test_database(env)        # instead of openjxc.core.migrate.create_database(env)

Use it where a test needs a database at head and nothing else — not in tests of migrations,
of install hooks or of an environment whose hooks or event handlers were changed by the test:
those call :func:`openjxc.core.migrate.create_database`, which always migrates.

Rules that keep a copy honest:

* The template is keyed by the backend, the addons (name, version and where they live), the
  settings and a hash of every migration file of the kernel and the addons, computed at each
  call: a revision added or edited during the session gets a new template.
* Only an empty database is replaced by a copy; anything else (a database that already holds
  tables, ``sqlite://`` in memory, another dialect, a ``progress`` callback) goes through
  ``create_database`` as before — including its error for a database that holds OpenJXC.
* Templates belong to the process that made them (unique names, a lock per process), so
  parallel pytest processes and xdist workers never share or race on one; each drops its
  own at the end of its session (:func:`drop_templates`, called by the pytest plugin).
* ``OPENJXC_TEST_TEMPLATES=0`` turns the cache off (every database is migrated).
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from openjxc.core.env import Environment
from openjxc.core.migrate import create_database, version_locations
from openjxc.testing import pg_pool

#: ``OPENJXC_TEST_TEMPLATES=0`` (or false/no/off) migrates every test database for real.
ENABLED = os.environ.get("OPENJXC_TEST_TEMPLATES", "1").strip().lower() not in {
    "0", "false", "no", "off"}


@dataclass(frozen=True)
class Template:
    backend: str
    #: The SQLite file, or the PostgreSQL database name.
    location: str
    #: PostgreSQL: how to reach the server's maintenance database (``postgres``).
    admin_conninfo: str = ""


class TemplateCache:
    """The templates of one process, by key; thread-safe."""

    def __init__(self) -> None:
        self._templates: dict[tuple[str, ...], Template] = {}
        self._lock = threading.Lock()
        self._sqlite_dir: Path | None = None
        self._pid = os.getpid()

    def create(self, env: Environment) -> None:
        """``create_database(env)``, from a template when one fits (see the module)."""
        backend = _backend(env)
        if backend is None or not _is_empty(env):
            create_database(env)
            return
        key = _key(env, backend)
        with self._lock:
            template = self._templates.get(key)
            if template is None:
                create_database(env)
                made = self._snapshot(env, backend)
                if made is not None:
                    self._templates[key] = made
                return
            env.database.dispose()
            _COPY[backend](template, env)

    def drop(self) -> None:
        """Remove every template this process made (other processes keep theirs)."""
        if os.getpid() != self._pid:  # a forked child must not drop its parent's templates
            return
        with self._lock:
            on_pg = [t for t in self._templates.values() if t.backend == "postgresql"]
            for admin in {t.admin_conninfo for t in on_pg}:  # at once: shared checkpoints
                pg_pool.drop_databases(admin, [t.location for t in on_pg
                                               if t.admin_conninfo == admin])
            self._templates.clear()
            if self._sqlite_dir is not None:
                shutil.rmtree(self._sqlite_dir, ignore_errors=True)
                self._sqlite_dir = None

    def _snapshot(self, env: Environment, backend: str) -> Template | None:
        """A template copied from ``env``'s freshly migrated database."""
        env.database.dispose()
        if backend == "sqlite":
            if self._sqlite_dir is None:
                self._sqlite_dir = Path(tempfile.mkdtemp(prefix="openjxc-templates-"))
            path = self._sqlite_dir / f"{uuid.uuid4().hex}.sqlite"
            _sqlite_backup(_sqlite_path(env), path)
            return Template(backend, str(path))
        admin = _pg_admin_conninfo(env)
        name = f"openjxc_tpl_{os.getpid()}_{uuid.uuid4().hex[:10]}"
        try:
            _pg_execute(admin, "CREATE DATABASE {} TEMPLATE {}", name, _pg_name(env))
        except Exception:  # e.g. a connection the test left open: just migrate next time
            return None
        return Template(backend, name, admin)


_CACHE = TemplateCache()


def create_test_database(env: Environment) -> None:
    """``openjxc.core.migrate.create_database(env)``, copied from this session's template
    of the same addons, settings and migrations when there is one (see the module)."""
    if ENABLED:
        _CACHE.create(env)
    else:
        create_database(env)


def drop_templates() -> None:
    """Drop the templates this process made (the pytest plugin calls it at session end)."""
    _CACHE.drop()


atexit.register(drop_templates)


# -- keys ----------------------------------------------------------------------------------


def _backend(env: Environment) -> str | None:
    """``sqlite`` for a database file, ``postgresql``; None for what is not cached."""
    url = make_url(env.database.url)
    if url.get_backend_name() == "sqlite":
        return "sqlite" if url.database not in (None, "", ":memory:") else None
    return "postgresql" if url.get_backend_name() == "postgresql" else None


def _is_empty(env: Environment) -> bool:
    """No table at all: what ``create_database`` would fill from scratch."""
    return not inspect(env.database.engine).get_table_names()


def _key(env: Environment, backend: str) -> tuple[str, ...]:
    addons = tuple(f"{m.name}=={m.version}@{m.path}" for m in env.addons)
    settings = repr(replace(env.settings, database_url=None))
    return (backend, *addons, settings, migrations_digest(env))


def migrations_digest(env: Environment) -> str:
    """A hash of every migration file of the kernel and of ``env``'s addons."""
    digest = hashlib.sha256()
    for branch, folder in sorted(version_locations(env).items()):
        for path in sorted(folder.rglob("*.py")):
            digest.update(f"{branch}/{path.relative_to(folder).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


# -- SQLite --------------------------------------------------------------------------------


def _sqlite_path(env: Environment) -> Path:
    return Path(str(make_url(env.database.url).database))


def _sqlite_backup(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's backup API (it honours the WAL, unlike copying
    the file, and overwrites whatever empty database the target held)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _copy_sqlite(template: Template, env: Environment) -> None:
    _sqlite_backup(Path(template.location), _sqlite_path(env))


# -- PostgreSQL ----------------------------------------------------------------------------


def _pg_name(env: Environment) -> str:
    return str(make_url(env.database.url).database)


def _pg_admin_conninfo(env: Environment) -> str:
    """The same server and user as ``env``'s database, in its ``postgres`` database."""
    return _pg_admin_conninfo_of(env.database.url)


def _pg_admin_conninfo_of(database_url: str) -> str:
    """The same server and user as ``database_url``, in its ``postgres`` database."""
    url = make_url(database_url).set(drivername="postgresql", database="postgres")
    return url.render_as_string(hide_password=False)


def _pg_execute(conninfo: str, statement: str, *names: str) -> None:
    """Run ``statement`` with ``{}`` placeholders filled by the quoted database ``names``."""
    import psycopg
    from psycopg import sql

    query = sql.SQL(statement).format(*(sql.Identifier(name) for name in names))
    with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as connection:
        connection.execute(query)


def _copy_pg(template: Template, env: Environment) -> None:
    """Replace the empty database by a copy of the template (same name, same owner)."""
    copy_pg(template, _pg_name(env))


def copy_pg(template: Template, name: str) -> None:
    """Replace empty PostgreSQL database ``name`` by a copy of ``template``: the empty one
    is renamed away and reused (see :mod:`openjxc.testing.pg_pool`) — dropped only when
    that fails, as a drop costs a checkpoint."""
    if not pg_pool.rename_away(template.admin_conninfo, name):
        _pg_execute(template.admin_conninfo, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
    _pg_execute(template.admin_conninfo, "CREATE DATABASE {} TEMPLATE {}", name,
                template.location)


_COPY: dict[str, Callable[[Template, Environment], None]] = {
    "sqlite": _copy_sqlite, "postgresql": _copy_pg}
