"""Idempotency keys: a retried posting gets the first answer and changes nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, text
from sqlalchemy.orm import Session

from openjxc.core.db import Database
from openjxc.core.errors import OpenJXCError
from openjxc.core.idempotency import (
    IdempotencyKey,
    IdempotencyKeyReused,
    purge_keys,
    request_hash,
    run_idempotent,
)
from openjxc.core.models import Base, utcnow

receipts_metadata = MetaData()
receipts = Table(
    "test_receipt",
    receipts_metadata,
    Column("id", Integer, primary_key=True),
    Column("made_by", String(20)),
)

SCOPE = "purchaseOrderReceive:42"


@pytest.fixture
def open_database(database_url: str) -> Iterator[Callable[[], Database]]:
    """Engines on the test's database with the key table and a business table; one per
    call, as separate API processes would have."""
    opened: list[Database] = []

    def open_one() -> Database:
        database = Database(database_url)
        if not opened:
            Base.metadata.create_all(
                database.engine, tables=[Base.metadata.tables["core_idempotency_key"]])
            receipts_metadata.create_all(database.engine)
        opened.append(database)
        return database

    yield open_one
    for database in opened:
        database.dispose()


@pytest.fixture
def db(open_database: Callable[[], Database]) -> Database:
    return open_database()


class Receiving:
    """A posting service: each real run writes one receipt and answers its id."""

    def __init__(self) -> None:
        self.runs: list[str] = []
        self.lock = threading.Lock()

    def post(self, db: Database, *, key: str | None, request: dict[str, Any],
             made_by: str = "pda", scope: str = SCOPE,
             during: Callable[[], None] | None = None) -> int:
        with db.session() as session:
            return self.post_in(session, key=key, request=request, made_by=made_by,
                                scope=scope, during=during)

    def post_in(self, session: Session, *, key: str | None, request: dict[str, Any],
                made_by: str = "pda", scope: str = SCOPE,
                during: Callable[[], None] | None = None) -> int:
        def receive() -> int:
            with self.lock:
                self.runs.append(made_by)
            if during is not None:
                during()
            new_id = session.scalar(
                insert(receipts).values(made_by=made_by).returning(receipts.c.id))
            assert new_id is not None
            return int(new_id)

        return run_idempotent(
            session, scope=scope, key=key, request=request, action=receive,
            encode=lambda receipt_id: {"receipt": receipt_id},
            decode=lambda stored: int(stored["receipt"]),
        )


def count(db: Database, table: Any) -> int:
    with db.session(readonly=True) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_without_a_key_the_action_runs_every_time(db: Database) -> None:
    service = Receiving()
    first = service.post(db, key=None, request={"qty": "1"})
    second = service.post(db, key=None, request={"qty": "1"})
    assert first != second
    assert count(db, receipts) == 2
    assert count(db, IdempotencyKey) == 0


def test_a_retry_gets_the_first_answer_and_changes_nothing(db: Database) -> None:
    service = Receiving()
    request = {"order": "PO-1", "lines": [{"product": "M-7", "qty": Decimal("2.50")}]}
    first = service.post(db, key="k-1", request=request)

    # The same input, spelt differently: other key order, Decimal without trailing zero.
    retry = {"lines": [{"qty": Decimal("2.5"), "product": "M-7"}], "order": "PO-1"}
    assert service.post(db, key="k-1", request=retry) == first
    assert service.post(db, key="k-1", request=request) == first

    assert service.runs == ["pda"]
    assert count(db, receipts) == 1
    with db.session(readonly=True) as session:
        stored = session.scalars(select(IdempotencyKey)).one()
    assert (stored.scope, stored.key, stored.response) == (SCOPE, "k-1", f'{{"receipt": {first}}}')
    assert stored.request_hash == request_hash(request)


def test_the_same_key_with_other_input_is_refused(db: Database) -> None:
    service = Receiving()
    service.post(db, key="k-1", request={"qty": "1"})

    with pytest.raises(IdempotencyKeyReused) as refused:
        service.post(db, key="k-1", request={"qty": "2"})

    assert isinstance(refused.value, OpenJXCError)
    assert refused.value.code == "IDEMPOTENCY_KEY_REUSED"
    assert service.runs == ["pda"]
    assert count(db, receipts) == 1


def test_keys_are_scoped_by_mutation_and_user(db: Database) -> None:
    service = Receiving()
    mine = service.post(db, key="k-1", request={"qty": "1"}, scope="purchaseOrderReceive:1")
    theirs = service.post(db, key="k-1", request={"qty": "1"}, scope="purchaseOrderReceive:2")
    assert mine != theirs
    assert count(db, receipts) == 2


def test_a_rolled_back_operation_forgets_its_key(db: Database) -> None:
    service = Receiving()

    with pytest.raises(RuntimeError), db.session() as session:
        service.post_in(session, key="k-1", request={"qty": "1"}, made_by="lost")
        raise RuntimeError("a later step of the posting failed")

    assert count(db, IdempotencyKey) == 0
    retried = service.post(db, key="k-1", request={"qty": "1"}, made_by="retry")
    assert service.runs == ["lost", "retry"]
    with db.session(readonly=True) as session:
        assert session.scalar(select(receipts.c.made_by).where(receipts.c.id == retried)) \
            == "retry"


def test_a_failed_action_leaves_no_key_even_if_the_caller_commits(db: Database) -> None:
    service = Receiving()

    def refuse() -> None:
        raise ValueError("INSUFFICIENT_STOCK")

    # The API layer turns the error into a payload and lets the transaction commit.
    with db.session() as session, pytest.raises(ValueError):
        service.post_in(session, key="k-1", request={"qty": "1"}, during=refuse)

    assert count(db, IdempotencyKey) == 0
    service.post(db, key="k-1", request={"qty": "1"})
    assert count(db, receipts) == 1


def test_purge_removes_only_old_keys(db: Database) -> None:
    service = Receiving()
    service.post(db, key="old", request={})
    service.post(db, key="new", request={})
    with db.session() as session:
        old = session.scalars(select(IdempotencyKey).where(IdempotencyKey.key == "old")).one()
        old.created_at = utcnow() - timedelta(days=8)

    with db.session() as session:
        assert purge_keys(session, older_than_days=7) == 1
    with db.session(readonly=True) as session:
        assert list(session.scalars(select(IdempotencyKey.key))) == ["new"]

    # After the purge an old key is a new request again.
    service.post(db, key="old", request={})
    assert service.runs == ["pda", "pda", "pda"]


def test_request_hash_is_canonical() -> None:
    assert request_hash({"a": 1, "b": date(2024, 1, 2)}) == request_hash(
        {"b": date(2024, 1, 2), "a": 1})
    assert request_hash({"qty": Decimal("10")}) == request_hash({"qty": Decimal("1E+1")})
    assert request_hash({"tags": {"b", "a"}}) == request_hash({"tags": {"a", "b"}})
    assert request_hash({"qty": Decimal("1")}) != request_hash({"qty": Decimal("2")})
    assert request_hash({"qty": "1"}) != request_hash({"qty": 1})
    with pytest.raises(TypeError):
        request_hash({"what": object()})


def wait_until_second_request_waits(backend: str, db: Database) -> None:
    """Hold the first request until the second is provably queued behind it: on
    PostgreSQL blocked on the key's unique index (a lock wait), on SQLite on the write
    lock that BEGIN IMMEDIATE takes (not observable, so give it a moment)."""
    if backend == "sqlite":
        time.sleep(0.3)
        return
    deadline = time.monotonic() + 20
    with db.engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(text(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )).scalar_one()
            conn.rollback()  # pg_stat_activity is a snapshot per transaction: take a new one
            if waiting:
                return
            time.sleep(0.02)
    raise AssertionError("the second request never waited for the first")


def race(open_database: Callable[[], Database], backend: str, *,
         first_request: dict[str, Any], second_request: dict[str, Any],
         first_fails: bool = False) -> tuple[Receiving, dict[str, Any]]:
    """Two API processes post with one key at the same time; the first is inside its
    action when the second arrives."""
    service = Receiving()
    in_action, release = threading.Event(), threading.Event()
    outcome: dict[str, Any] = {}

    def hold() -> None:
        in_action.set()
        assert release.wait(30)
        if first_fails:
            raise RuntimeError("first request failed")

    def call(name: str, db: Database, request: dict[str, Any],
             during: Callable[[], None] | None) -> None:
        try:
            outcome[name] = service.post(db, key="k-1", request=request, made_by=name,
                                         during=during)
        except Exception as exc:
            outcome[name] = exc

    first_db, second_db, observer = open_database(), open_database(), open_database()
    first = threading.Thread(target=call, args=("first", first_db, first_request, hold))
    second = threading.Thread(target=call, args=("second", second_db, second_request, None))
    first.start()
    assert in_action.wait(30)
    second.start()
    try:
        wait_until_second_request_waits(backend, observer)
    finally:
        release.set()
        first.join(30)
        second.join(30)
    return service, outcome


def test_concurrent_requests_with_one_key_run_the_action_once(
    open_database: Callable[[], Database], backend: str
) -> None:
    service, outcome = race(open_database, backend,
                            first_request={"qty": "1"}, second_request={"qty": "1"})

    assert service.runs == ["first"]
    assert isinstance(outcome["first"], int)
    assert outcome["second"] == outcome["first"]
    db = open_database()
    assert count(db, receipts) == 1
    assert count(db, IdempotencyKey) == 1


def test_concurrent_request_with_other_input_is_refused(
    open_database: Callable[[], Database], backend: str
) -> None:
    service, outcome = race(open_database, backend,
                            first_request={"qty": "1"}, second_request={"qty": "2"})

    assert service.runs == ["first"]
    assert isinstance(outcome["second"], IdempotencyKeyReused)
    assert count(open_database(), receipts) == 1


def test_concurrent_request_runs_when_the_first_rolls_back(
    open_database: Callable[[], Database], backend: str
) -> None:
    service, outcome = race(open_database, backend, first_request={"qty": "1"},
                            second_request={"qty": "1"}, first_fails=True)

    assert isinstance(outcome["first"], RuntimeError)
    assert service.runs == ["first", "second"]
    assert isinstance(outcome["second"], int)
    db = open_database()
    assert count(db, receipts) == 1
    assert count(db, IdempotencyKey) == 1
