"""A GraphQL operation hit by a serialization failure, a deadlock or SQLite's "database is
locked" runs again as a whole (:mod:`openjxc.graphql.retry`), over HTTP and WebSocket:

* failing once or twice — at a statement or at commit — it then succeeds, and its effects
  (the stock moves of one receipt, one outbox message, one idempotency key) exist once;
* failing every time, it answers ``TRY_AGAIN`` (localised) and changed nothing;
* a failure that is not transient is not run again;
* a real PostgreSQL deadlock (40P01) between the mutation and another transaction is
  resolved by running the mutation again.

The faults are injected at the receipt's first write (the balances' upsert) by an engine
event of this test, as the database itself would answer them; the commit failure by the
dialect's ``do_commit``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

import psycopg
import pytest
import strawberry
from faults_support import FIRST_WRITE, build_shop, moves_of, post_receipt
from sqlalchemy import Engine, event, func, select, update
from sqlalchemy.engine import make_url
from strawberry.types import Info

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.core.config import Settings
from openjxc.core.env import Environment
from openjxc.core.events import OutboxMessage
from openjxc.core.idempotency import IdempotencyKey, run_idempotent
from openjxc.core.outbox import enqueue
from openjxc.core.security import create_token, create_user, ensure_role
from openjxc.graphql.app import create_app
from openjxc.graphql.context import get_session
from openjxc.testing.fixtures import BACKENDS, DatabaseFactory, create_test_database

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

#: How often each reference's resolver ran, and the loaders and sessions each run had.
RUNS: Counter[str] = Counter()
SEEN: dict[str, list[Any]] = {}


@strawberry.type
class Receipt:
    reference: str
    move_ids: list[int]


@strawberry.type
class Query:
    @strawberry.field
    def moves(self, info: Info[Any, Any], reference: str) -> int:
        RUNS[reference] += 1
        from openjxc.addons.base_jxc.stock.models import StockMove

        session = get_session(info)
        # the balances first: the injected fault fires at a read of them too
        session.execute(select(func.count()).select_from(Product))
        return session.scalar(select(func.count()).select_from(StockMove)
                              .where(StockMove.reference == reference)) or 0


@strawberry.type
class Mutation:
    @strawberry.mutation
    def receive(self, info: Info[Any, Any], reference: str, lines: int = 2,
                idempotency_key: str | None = None) -> Receipt:
        RUNS[reference] += 1
        session = get_session(info)
        SEEN.setdefault(reference, []).append((info.context.loaders, session))

        def action() -> list[int]:
            posted = post_receipt(session, lines, tag=reference, reference=reference)
            enqueue(session, handler_id=f"test:retry:{reference}", payload=reference)
            return list(posted.move_ids)

        ids = run_idempotent(session, scope="test.receive", key=idempotency_key,
                             request={"reference": reference, "lines": lines},
                             action=action, encode=lambda ids: ids,
                             decode=lambda stored: [int(i) for i in stored])
        return Receipt(reference=reference, move_ids=ids)

    @strawberry.mutation
    def lock_pair(self, info: Info[Any, Any], first: str, second: str, reference: str) -> int:
        """Touches two products, in the order given (the deadlock test)."""
        RUNS[reference] += 1
        session = get_session(info)
        for code in (first, second):
            session.execute(update(Product).where(Product.code == code)
                            .values(name=Product.name))
        enqueue(session, handler_id=f"test:retry:{reference}", payload=reference)
        return RUNS[reference]


def build_schema(_env: Environment, extensions: Sequence[Any]) -> strawberry.Schema:
    return strawberry.Schema(Query, Mutation, extensions=list(extensions))


class Shop:
    def __init__(self, env: Environment, backend: str, client: TestClient, token: str) -> None:
        self.env = env
        self.backend = backend
        self.client = client
        self.token = token

    @property
    def engine(self) -> Engine:
        return self.env.database.engine

    def post(self, query: str, variables: dict[str, Any], locale: str = "en",
             ) -> dict[str, Any]:
        response = self.client.post("/graphql", json={"query": query, "variables": variables},
                                    headers={"Accept-Language": locale})
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def outbox(self, reference: str) -> int:
        with self.env.unit_of_work(readonly=True) as session:
            return session.scalar(select(func.count()).select_from(OutboxMessage).where(
                OutboxMessage.handler_id == f"test:retry:{reference}")) or 0

    def keys(self, key: str) -> int:
        with self.env.unit_of_work(readonly=True) as session:
            return session.scalar(select(func.count()).select_from(IdempotencyKey).where(
                IdempotencyKey.key == key)) or 0


class Shops(dict[str, Shop]):
    """One basic-edition shop per backend, served over HTTP, opened on first use."""

    def __init__(self, stack: ExitStack, tmp: pytest.TempPathFactory) -> None:
        super().__init__()
        self.stack = stack
        self.tmp = tmp

    def __missing__(self, backend: str) -> Shop:
        databases = DatabaseFactory(backend, self.tmp.mktemp("retry"))
        self.stack.callback(databases.cleanup)
        env = Environment.for_edition("basic", database_url=databases.new(),
                                      settings=Settings())
        self.stack.callback(env.database.dispose)
        create_test_database(env)
        build_shop(env)
        with env.unit_of_work() as session:
            ensure_role(session, "r_pda", [], env=env)
            create_user(session, env, "pda", "correct-horse-battery", roles=["r_pda"])
        with env.unit_of_work() as session:
            token = create_token(session, env, "pda", "correct-horse-battery").token
        client = self.stack.enter_context(
            TestClient(create_app(env, Settings(), schema_builder=build_schema)))
        shop = self[backend] = Shop(env, backend, client, token)
        return shop


@pytest.fixture(scope="module")
def shops(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Shops]:
    """The shops of this module's tests (each test uses its own references)."""
    with ExitStack() as stack:
        yield Shops(stack, tmp_path_factory)


@pytest.fixture(params=BACKENDS)
def shop(request: pytest.FixtureRequest, shops: dict[str, Shop]) -> Shop:
    return shops[str(request.param)]


@pytest.fixture
def pg_shop(shops: dict[str, Shop]) -> Shop:
    """The PostgreSQL shop, for what only PostgreSQL has (a real deadlock)."""
    return shops["postgresql"]


def _transient_statement(backend: str, cursor: Any) -> None:
    if backend == "sqlite":
        raise sqlite3.OperationalError("database is locked")
    cursor.execute("DO $$ BEGIN RAISE EXCEPTION 'injected serialization failure' "
                   "USING ERRCODE = '40001'; END $$")


def _lasting_statement(backend: str, cursor: Any) -> None:
    if backend == "sqlite":
        raise sqlite3.OperationalError("disk I/O error")
    cursor.execute("DO $$ BEGIN RAISE EXCEPTION 'injected disk full' "
                   "USING ERRCODE = '53100'; END $$")


@contextmanager
def failing_statements(shop: Shop, times: int, *, transient: bool = True,
                       pattern: Any = FIRST_WRITE) -> Iterator[list[str]]:
    """The first ``times`` statements matching ``pattern`` fail (transiently or not)."""
    failed: list[str] = []
    fail = _transient_statement if transient else _lasting_statement

    def hook(_conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if pattern.search(statement) and len(failed) < times:
            failed.append(statement)
            fail(shop.backend, cursor)

    event.listen(shop.engine, "before_cursor_execute", hook)
    try:
        yield failed
    finally:
        event.remove(shop.engine, "before_cursor_execute", hook)


@contextmanager
def failing_commits(shop: Shop, times: int, monkeypatch: pytest.MonkeyPatch,
                    ) -> Iterator[list[int]]:
    """The first ``times`` commits of a transaction that posted a receipt fail
    transiently, after the database rolled the transaction back."""
    failed: list[int] = []
    wrote: set[int] = set()
    dialect = shop.engine.dialect
    commit = dialect.do_commit

    def mark(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if FIRST_WRITE.search(statement):
            wrote.add(id(conn.connection))  # what do_commit is given

    def do_commit(dbapi_connection: Any) -> None:
        if id(dbapi_connection) in wrote and len(failed) < times:
            wrote.discard(id(dbapi_connection))
            failed.append(1)
            dbapi_connection.rollback()
            if shop.backend == "sqlite":
                raise sqlite3.OperationalError("database is locked")
            raise psycopg.errors.SerializationFailure("injected at commit")
        wrote.discard(id(dbapi_connection))
        commit(dbapi_connection)

    event.listen(shop.engine, "after_cursor_execute", mark)
    monkeypatch.setattr(dialect, "do_commit", do_commit)
    try:
        yield failed
    finally:
        event.remove(shop.engine, "after_cursor_execute", mark)


RECEIVE = """mutation($reference: String!, $key: String) {
  receive(reference: $reference, idempotencyKey: $key) { reference moveIds } }"""


@pytest.mark.parametrize("times", [1, 2])
def test_a_mutation_failing_transiently_runs_again_and_posts_once(shop: Shop,
                                                                 times: int) -> None:
    reference = f"RT-{shop.backend}-{times}"
    with failing_statements(shop, times) as failed:
        body = shop.post(RECEIVE, {"reference": reference, "key": reference})
    assert "errors" not in body, body
    assert len(failed) == times
    assert RUNS[reference] == times + 1
    assert len(body["data"]["receive"]["moveIds"]) == 2
    assert moves_of(shop.env, reference) == 2
    assert shop.outbox(reference) == 1
    assert shop.keys(reference) == 1
    # every run had its own session and DataLoaders
    runs = SEEN[reference]
    assert len({id(loaders) for loaders, _ in runs}) == times + 1
    assert len({id(session) for _, session in runs}) == times + 1


def test_a_commit_failing_transiently_runs_the_mutation_again(
        shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    reference = f"RT-{shop.backend}-commit"
    with failing_commits(shop, 1, monkeypatch) as failed:
        body = shop.post(RECEIVE, {"reference": reference, "key": reference})
    assert "errors" not in body, body
    assert failed == [1]
    assert RUNS[reference] == 2
    assert moves_of(shop.env, reference) == 2
    assert shop.outbox(reference) == 1
    assert shop.keys(reference) == 1


@pytest.mark.parametrize(("locale", "message"), [
    ("en", "Busy with concurrent changes: nothing was saved, please try again"),
    ("zh_CN", "系统正忙于处理并发的修改：本次未保存任何内容，请重试"),
])
def test_a_mutation_failing_every_time_answers_try_again_and_changes_nothing(
        shop: Shop, locale: str, message: str) -> None:
    reference = f"RT-{shop.backend}-never-{locale}"
    with failing_statements(shop, 100) as failed:
        body = shop.post(RECEIVE, {"reference": reference, "key": reference}, locale=locale)
    assert body["data"] is None
    [error] = body["errors"]
    assert error["message"] == message
    assert error["extensions"]["code"] == "TRY_AGAIN"
    assert error["extensions"]["requestId"]
    assert len(failed) == RUNS[reference] == 5
    assert moves_of(shop.env, reference) == 0
    assert shop.outbox(reference) == 0
    assert shop.keys(reference) == 0


def test_a_failure_that_is_not_transient_is_not_run_again(shop: Shop) -> None:
    reference = f"RT-{shop.backend}-lasting"
    with failing_statements(shop, 100, transient=False) as failed:
        body = shop.post(RECEIVE, {"reference": reference, "key": reference})
    assert [e["extensions"]["code"] for e in body["errors"]] == ["INTERNAL_SERVER_ERROR"]
    assert len(failed) == RUNS[reference] == 1
    assert moves_of(shop.env, reference) == 0
    assert shop.keys(reference) == 0


def test_a_retried_mutation_with_an_idempotency_key_gives_the_first_answer_again(
        shop: Shop) -> None:
    reference = f"RT-{shop.backend}-key"
    with failing_statements(shop, 1):
        first = shop.post(RECEIVE, {"reference": reference, "key": f"k-{reference}"})
    assert RUNS[reference] == 2 and "errors" not in first, first
    again = shop.post(RECEIVE, {"reference": reference, "key": f"k-{reference}"})
    assert again == first
    assert RUNS[reference] == 3  # the replay ran the resolver, not the posting
    assert moves_of(shop.env, reference) == 2
    assert shop.outbox(reference) == 1
    assert shop.keys(f"k-{reference}") == 1


def test_a_query_failing_transiently_runs_again(shop: Shop) -> None:
    import re

    reference = f"RT-{shop.backend}-query"
    with failing_statements(shop, 1, pattern=re.compile(r"FROM jxc_product\b")) as failed:
        body = shop.post("query($r: String!) { moves(reference: $r) }", {"r": reference})
    assert body == {"data": {"moves": 0}}
    assert len(failed) == 1 and RUNS[reference] == 2


def test_a_mutation_over_websocket_runs_again(shop: Shop) -> None:
    reference = f"RT-{shop.backend}-ws"
    with failing_statements(shop, 1) as failed, shop.client.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init",
                      "payload": {"authorization": f"Bearer {shop.token}"}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {
            "query": RECEIVE, "variables": {"reference": reference, "key": reference}}})
        result = ws.receive_json()
        assert ws.receive_json() == {"id": "1", "type": "complete"}
    assert result["type"] == "next" and "errors" not in result["payload"], result
    assert len(result["payload"]["data"]["receive"]["moveIds"]) == 2
    assert len(failed) == 1 and RUNS[reference] == 2
    assert moves_of(shop.env, reference) == 2
    assert shop.outbox(reference) == 1
    assert shop.keys(reference) == 1


def test_a_mutation_failing_every_time_over_websocket_answers_try_again(shop: Shop) -> None:
    reference = f"RT-{shop.backend}-ws-never"
    with failing_statements(shop, 100), shop.client.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_json({"type": "connection_init",
                      "payload": {"authorization": f"Bearer {shop.token}"}})
        assert ws.receive_json()["type"] == "connection_ack"
        ws.send_json({"id": "1", "type": "subscribe", "payload": {
            "query": RECEIVE, "variables": {"reference": reference, "key": reference}}})
        result = ws.receive_json()
        assert ws.receive_json() == {"id": "1", "type": "complete"}
    assert [e["extensions"]["code"] for e in result["payload"]["errors"]] == ["TRY_AGAIN"]
    assert RUNS[reference] == 5
    assert moves_of(shop.env, reference) == 0
    assert shop.outbox(reference) == 0


# -- a real deadlock ---------------------------------------------------------------------------

def waiting(admin: psycopg.Connection[Any], pid: int) -> bool:
    row = admin.execute("SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted",
                        [pid]).fetchone()
    return bool(row and row[0])


def _conninfo(env: Environment) -> str:
    return make_url(env.database.url).set(drivername="postgresql").render_as_string(
        hide_password=False)


def test_a_real_deadlock_with_another_transaction_is_resolved_by_running_again(
        pg_shop: Shop) -> None:
    """The mutation locks F00 then F01; another transaction holds F01 and then waits for
    F00.  PostgreSQL aborts the mutation's transaction (40P01: it checks for deadlocks
    first), the other commits, and the mutation's second run goes through."""
    shop = pg_shop
    reference = "RT-deadlock"
    conninfo = _conninfo(shop.env)
    holds_f01 = threading.Event()
    mutation_holds_f00 = threading.Event()
    other: dict[str, Any] = {}

    def other_transaction() -> None:
        with psycopg.connect(conninfo) as conn:
            other["pid"] = conn.info.backend_pid
            conn.execute("SET deadlock_timeout = '10s'")  # the mutation is the victim
            conn.execute("UPDATE jxc_product SET name = name WHERE code = 'F01'")
            holds_f01.set()
            assert mutation_holds_f00.wait(10)
            conn.execute("UPDATE jxc_product SET name = name WHERE code = 'F00'")
            conn.commit()
            other["committed"] = True

    updates: list[str] = []

    def before(_conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("UPDATE jxc_product"):
            updates.append(statement)
            if len(updates) == 1:
                cursor.execute("SET LOCAL deadlock_timeout = '50ms'")

    def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.startswith("UPDATE jxc_product") and len(updates) == 1:
            mutation_holds_f00.set()
            # go on (to F01) only once the other transaction waits for F00
            with psycopg.connect(conninfo, autocommit=True) as admin:
                deadline = time.monotonic() + 10
                while not waiting(admin, other["pid"]):
                    assert time.monotonic() < deadline, "the other transaction never waited"
                    time.sleep(0.01)

    thread = threading.Thread(target=other_transaction)
    thread.start()
    assert holds_f01.wait(10)
    event.listen(shop.engine, "before_cursor_execute", before)
    event.listen(shop.engine, "after_cursor_execute", after)
    try:
        body = shop.post("""mutation($r: String!) {
          lockPair(first: "F00", second: "F01", reference: $r) }""", {"r": reference})
    finally:
        event.remove(shop.engine, "before_cursor_execute", before)
        event.remove(shop.engine, "after_cursor_execute", after)
        thread.join(15)
    assert body == {"data": {"lockPair": 2}}, body
    assert other.get("committed") is True
    assert RUNS[reference] == 2
    assert shop.outbox(reference) == 1
