"""A test run that several processes share (the pytest main process and its xdist workers):
its id, a folder for what they share, locks between them, and its end.

Light on purpose (standard library only): the pytest plugin starts the run in the main
process before xdist starts the workers, which inherit it through ``OPENJXC_TEST_RUN``.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

__all__ = ["end_run", "locked", "run_folder", "start_run"]

#: The test run's id, inherited by xdist workers (and any process a test starts).
RUN_ENV = "OPENJXC_TEST_RUN"
#: The process that started the run: the one that ends it.
OWNER_ENV = "OPENJXC_TEST_RUN_OWNER"


def start_run() -> str:
    """Start a test run owned by this process, unless one is inherited; its id."""
    run = os.environ.get(RUN_ENV)
    if run is None:
        run = uuid.uuid4().hex[:12]
        os.environ[RUN_ENV] = run
        os.environ[OWNER_ENV] = str(os.getpid())
    return run


def run_folder() -> Path:
    """The run's shared folder; outside pytest the first call starts a run ended at exit."""
    if os.environ.get(RUN_ENV) is None:
        start_run()
        atexit.register(end_run)
    folder = _folder(os.environ[RUN_ENV])
    folder.mkdir(exist_ok=True)
    return folder


def end_run() -> None:
    """Drop what the run shared (PostgreSQL databases its ``*.json`` records name, then the
    folder) — only in the process that started it."""
    run = os.environ.get(RUN_ENV)
    if run is None or os.environ.get(OWNER_ENV) != str(os.getpid()):
        return
    folder = _folder(run)
    on_pg: dict[str, list[str]] = {}
    for record in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        with contextlib.suppress(ValueError, KeyError, OSError):
            found = json.loads(record.read_text(encoding="utf-8"))
            if found.get("backend") == "postgresql":
                on_pg.setdefault(found["admin_conninfo"], []).append(found["location"])
    if on_pg:
        from openjxc.testing.pg_pool import drop_databases

        for admin, names in on_pg.items():
            drop_databases(admin, names)
    shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """An exclusive lock between processes (and threads: each call opens the file)."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _folder(run: str) -> Path:
    return Path(tempfile.gettempdir()) / f"openjxc-test-run-{run}"

