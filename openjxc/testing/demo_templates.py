"""Demo databases for tests, loaded once per test run and then copied.

Loading an edition's demo (``openjxc demo``: migrate, every addon's demo data, the demo user)
takes many seconds; copying a database that holds it takes well under one.  So the first
test of a run that asks for a demo of an edition on a backend loads it for real, through
:func:`openjxc.core.demo.create_demo`, and keeps a template; every later one — in the same
process or in any other xdist worker of the run — gets a copy: SQLite through the backup
API, PostgreSQL with ``CREATE DATABASE … TEMPLATE …``::

    create_test_demo(database_url, edition="pro")    # instead of create_demo(...)

The demo is deterministic (drawn from a fixed seed, dated back from the business day), so a
copy holds the same rows a fresh load would: only the moments rows were written (timestamps
taken while loading, minutes earlier) and the salt of the demo user's password differ.
tests/core/test_demo_templates.py keeps that true.  Tests of the ``openjxc demo`` command
itself (keeping an existing demo, ``--reset``) call ``create_demo``.

Rules that keep a copy honest:

* The template is keyed by the backend (and PostgreSQL server), the edition and extra
  addons (name, version and where they live), the settings, a hash of every migration file,
  and the business day (the demo ends yesterday): a run that passes midnight loads again.
* Only an empty database is replaced by a copy; anything else (tables already there,
  ``sqlite://`` in memory, another dialect) goes through ``create_demo`` as before.
* Templates belong to one test run (:mod:`openjxc.testing.runs`): the pytest plugin starts
  it in the main process (xdist workers inherit it through ``OPENJXC_TEST_RUN``) and drops
  the templates at its end.  Workers take turns through a file lock per template, so each
  is loaded once.  Without the plugin, the first call starts a run owned by its process,
  ended at exit.
* ``OPENJXC_TEST_TEMPLATES=0`` turns the cache off (every demo is loaded for real).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import asdict, replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import make_url

from openjxc.core.addons import resolve_edition
from openjxc.core.config import Settings
from openjxc.core.demo import create_demo
from openjxc.core.env import Environment
from openjxc.testing import database_templates
from openjxc.testing.database_templates import Template, migrations_digest
from openjxc.testing.runs import RUN_ENV, locked, run_folder

__all__ = ["create_test_demo"]


def create_test_demo(url: str, edition: str = "enterprise", extra: Iterable[str] = ()) -> None:
    """Make the empty database at ``url`` what ``create_demo(url, edition=edition,
    extra=extra)`` makes, copied from this run's template when there is one (see the
    module)."""
    extra = tuple(extra)
    backend = _backend(url)
    if not database_templates.ENABLED or backend is None or not _is_empty(url):
        create_demo(url, edition=edition, extra=extra)
        return
    digest = hashlib.sha256(repr(_key(url, backend, edition, extra)).encode()).hexdigest()
    folder = run_folder()
    marker = folder / f"demo-{digest[:24]}.json"
    with locked(folder / f"demo-{digest[:24]}.lock"):
        if marker.exists():
            _copy(Template(**json.loads(marker.read_text(encoding="utf-8"))), url)
            return
        create_demo(url, edition=edition, extra=extra)
        template = _snapshot(url, backend, folder, digest[:24])
        if template is not None:
            written = marker.with_suffix(".tmp")
            written.write_text(json.dumps(asdict(template)), encoding="utf-8")
            written.replace(marker)


# -- keys ----------------------------------------------------------------------------------


def _backend(url: str) -> str | None:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return "sqlite" if parsed.database not in (None, "", ":memory:") else None
    return "postgresql" if parsed.get_backend_name() == "postgresql" else None


def _is_empty(url: str) -> bool:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and not Path(str(parsed.database)).exists():
        return True
    engine = create_engine(url)
    try:
        return not inspect(engine).get_table_names()
    finally:
        engine.dispose()


def _key(url: str, backend: str, edition: str, extra: tuple[str, ...]) -> tuple[str, ...]:
    settings = Settings.from_env(database_url=url)  # what create_demo reads
    manifests = resolve_edition(edition, extra)
    server = "" if backend == "sqlite" else database_templates._pg_admin_conninfo_of(url)
    return (backend, server, edition, *extra,
            *(f"{m.name}=={m.version}@{m.path}" for m in manifests),
            repr(replace(settings, database_url=None)),
            migrations_digest(Environment(manifests, settings=settings)),
            business_day(settings).isoformat())


def business_day(settings: Settings) -> date:
    """Today where the business is: the demo's last day is the one before."""
    return datetime.now(ZoneInfo(settings.timezone)).date()


# -- templates -----------------------------------------------------------------------------


def _snapshot(url: str, backend: str, folder: Path, name: str) -> Template | None:
    """A template copied from the demo just loaded at ``url``."""
    if backend == "sqlite":
        path = folder / f"{name}.sqlite"
        database_templates._sqlite_backup(Path(str(make_url(url).database)), path)
        return Template(backend, str(path))
    admin = database_templates._pg_admin_conninfo_of(url)
    template = f"openjxc_demo_{os.environ[RUN_ENV]}_{name[:16]}"
    try:
        database_templates._pg_execute(admin, "CREATE DATABASE {} TEMPLATE {}", template,
                                       str(make_url(url).database))
    except Exception:  # e.g. a connection left open: the next test loads the demo again
        return None
    return Template(backend, template, admin)


def _copy(template: Template, url: str) -> None:
    if template.backend == "sqlite":
        database_templates._sqlite_backup(Path(template.location),
                                          Path(str(make_url(url).database)))
        return
    database_templates.copy_pg(template, str(make_url(url).database))
