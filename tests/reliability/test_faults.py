"""Faults in the middle of posting a 5,000-line receipt leave the document entirely posted
or entirely absent, and ``openjxc check`` finds every invariant intact:

* the posting process is killed (SIGKILL) while it writes — SQLite (WAL) and PostgreSQL;
* its PostgreSQL connection is terminated mid-transaction: the client gets an error, and a
  retry posts the document;
* serialization failures (40001) and deadlocks (40P01) are retried by the unit of work
  (:meth:`openjxc.core.env.Environment.run`) and the document is posted once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from faults_support import (
    LINES,
    at_first_write,
    build_shop,
    moves_of,
    post_receipt,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from openjxc.core.cli import cli
from openjxc.core.env import Environment
from openjxc.testing.fixtures import DatabaseFactory, create_test_database

SCRIPT = Path(__file__).with_name("faults_support.py")


@pytest.fixture
def shop(database_url: str) -> Iterator[Environment]:
    env = Environment.for_edition("basic", database_url=database_url)
    create_test_database(env)
    build_shop(env)
    yield env
    env.database.dispose()


@pytest.fixture(scope="module")
def pg_shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Environment]:
    """One PostgreSQL shop for the tests below (each posts its own receipt, and the
    audit must pass after each: the faults accumulate on one database)."""
    databases = DatabaseFactory("postgresql", tmp_path_factory.mktemp("faults"))
    env = Environment.for_edition("basic", database_url=databases.new())
    create_test_database(env)
    build_shop(env)
    yield env
    env.database.dispose()
    databases.cleanup()


def audit_passes(env: Environment) -> None:
    """``openjxc check`` on the database: exit code 0, every invariant intact."""
    result = CliRunner().invoke(cli, ["check", "--database", env.database.url])
    assert result.exit_code == 0, result.output
    assert "every invariant intact" in result.output


def test_a_posting_killed_mid_write_leaves_nothing_and_a_new_one_posts_all(
        shop: Environment, tmp_path: Path) -> None:
    marker = tmp_path / "writing"
    shop.database.dispose()  # the child is the only one at the database while it writes
    child = subprocess.Popen([sys.executable, str(SCRIPT), shop.database.url, str(marker)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 45
    while not marker.exists():
        if child.poll() is not None:
            pytest.fail(f"the posting ended before it was killed: {child.communicate()}")
        assert time.monotonic() < deadline, "the posting never started writing"
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=10)
    assert child.returncode == -signal.SIGKILL

    reopened = Environment.open(shop.database.url)
    try:
        assert moves_of(reopened) == 0
        audit_passes(reopened)
        with reopened.unit_of_work() as session:
            posted = post_receipt(session)
        assert len(posted.move_ids) == LINES
        assert moves_of(reopened) == LINES
        audit_passes(reopened)
    finally:
        reopened.database.dispose()


def _admin_conninfo(env: Environment) -> str:
    return make_url(env.database.url).set(drivername="postgresql").render_as_string(
        hide_password=False)


def test_a_connection_terminated_mid_transaction_fails_cleanly_and_a_retry_posts(
        pg_shop: Environment) -> None:
    env = pg_shop
    admin = _admin_conninfo(env)

    def terminate(conn: Any, _cursor: Any) -> None:
        pid = conn.connection.dbapi_connection.info.backend_pid
        with psycopg.connect(admin, autocommit=True) as other:
            # waits (up to 5 s) until the backend is gone, its transaction rolled back
            row = other.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone()
            assert row is not None and row[0]

    def post(session: Session) -> Any:
        return post_receipt(session, tag="T", reference="RK-TERMINATED")

    remove = at_first_write(env.database.engine, terminate)
    try:
        with pytest.raises(OperationalError) as failure:
            env.run(post)
    finally:
        remove()
    assert failure.value.connection_invalidated
    assert moves_of(env, "RK-TERMINATED") == 0
    audit_passes(env)
    posted = env.run(post)
    assert len(posted.move_ids) == LINES
    assert moves_of(env, "RK-TERMINATED") == LINES
    audit_passes(env)


@pytest.mark.parametrize("sqlstate", ["40001", "40P01"])
def test_serialization_failures_and_deadlocks_are_retried(pg_shop: Environment,
                                                          sqlstate: str) -> None:
    env = pg_shop
    attempts: list[int] = []
    failed: list[str] = []

    def fail_first(_conn: Any, cursor: Any) -> None:
        if not failed:  # the server itself answers the error, as under contention
            failed.append(sqlstate)
            cursor.execute(f"DO $$ BEGIN RAISE EXCEPTION 'injected fault' "
                           f"USING ERRCODE = '{sqlstate}'; END $$")

    def work(session: Session) -> Any:
        attempts.append(1)
        return post_receipt(session, 500, tag=sqlstate, reference=f"RK-{sqlstate}")

    remove = at_first_write(env.database.engine, fail_first, when="before_cursor_execute")
    try:
        posted = env.run(work)
    finally:
        remove()
    assert failed == [sqlstate]
    assert len(attempts) == 2
    assert len(posted.move_ids) == 500
    assert moves_of(env, f"RK-{sqlstate}") == 500
    audit_passes(env)


def test_an_error_that_is_not_transient_is_not_retried(pg_shop: Environment) -> None:
    env = pg_shop
    attempts: list[int] = []

    def fail(_conn: Any, cursor: Any) -> None:
        cursor.execute("DO $$ BEGIN RAISE EXCEPTION 'injected fault' "
                       "USING ERRCODE = '23514'; END $$")

    def work(session: Session) -> Any:
        attempts.append(1)
        return post_receipt(session, 50, tag="N", reference="RK-NOT-TRANSIENT")

    remove = at_first_write(env.database.engine, fail, when="before_cursor_execute")
    try:
        with pytest.raises(DBAPIError) as failure:
            env.run(work)
    finally:
        remove()
    assert getattr(failure.value.orig, "sqlstate", None) == "23514"
    assert attempts == [1]
    assert moves_of(env, "RK-NOT-TRANSIENT") == 0
    audit_passes(env)


def test_the_audit_reads_one_snapshot_while_postings_go_on(
        pg_shop: Environment, monkeypatch: pytest.MonkeyPatch) -> None:
    """A receipt committed between two reads of the audit is seen by neither: a check
    comparing two tables never reports a drift that is only a posting in flight."""
    from openjxc.core import checks

    env = pg_shop
    seen: list[int] = []

    def read_twice(session: Session) -> list[checks.Violation]:
        seen.append(moves_in(session))
        env.run(lambda other: post_receipt(other, 20, tag="S", reference="RK-SNAPSHOT"))
        seen.append(moves_in(session))
        return []

    monkeypatch.setattr(checks, "collect_checks", lambda _env: [
        ("test", checks.Check("test.snapshot", "reads twice", read_twice))])
    checks.run_checks(env)
    assert seen[0] == seen[1]
    assert moves_of(env, "RK-SNAPSHOT") == 20


def moves_in(session: Session) -> int:
    from sqlalchemy import func, select

    from openjxc.addons.base_jxc.stock.models import StockMove

    return session.scalar(select(func.count()).select_from(StockMove)) or 0
