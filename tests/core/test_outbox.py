"""The outbox worker: after commit, at least once, backoff, dead letters, leases."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar

import pytest
from sqlalchemy import select

from openjxc.core.config import Settings
from openjxc.core.db import Database
from openjxc.core.env import Environment
from openjxc.core.events import Event, EventBus, OutboxMessage, Subscription, publish
from openjxc.core.models import Base, utcnow
from openjxc.core.outbox import (
    DEAD,
    DONE,
    PENDING,
    Delivery,
    OutboxWorker,
    dead_letters,
    enqueue,
    purge_delivered,
    register_consumer,
    requeue,
)


@dataclass(frozen=True)
class StockDelivered(Event):
    name: ClassVar[str] = "test.stock.delivered"
    delivery_id: int
    amount: Decimal = Decimal("0")


class Clock:
    """Time the test moves by hand.  It starts a minute ahead of the real clock because
    rows are stamped ``available_at`` by the real one when published."""

    def __init__(self) -> None:
        self.now = utcnow() + timedelta(minutes=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


EnvFactory = Callable[..., Environment]


@pytest.fixture
def make_env(database_url: str) -> Iterator[EnvFactory]:
    """Environments without addons on the test's database; each call opens its own
    engine, as a separate worker process would."""
    databases: list[Database] = []

    def build(subscriptions: Iterable[tuple[str, Subscription]],
              settings: Settings | None = None) -> Environment:
        database = Database(database_url)
        databases.append(database)
        Base.metadata.create_all(database.engine, tables=[Base.metadata.tables["core_outbox"]])
        env = Environment([], database=database, settings=settings or Settings())
        env.events = EventBus(subscriptions)
        return env

    yield build
    for database in databases:
        database.dispose()


def rows(env: Environment) -> list[OutboxMessage]:
    with env.unit_of_work(readonly=True) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def publish_deliveries(env: Environment, ids: Iterable[int]) -> None:
    with env.unit_of_work() as session:
        for delivery_id in ids:
            publish(session, StockDelivered(delivery_id=delivery_id, amount=Decimal("12.30")))


def test_after_commit_handler_is_called_once_by_the_worker_after_commit(
    make_env: EnvFactory, backend: str
) -> None:
    received: list[StockDelivered] = []

    def send_mail(event: StockDelivered, *, env: Environment) -> None:
        received.append(event)

    env = make_env([("base_jxc", Subscription(StockDelivered, send_mail, phase="after_commit"))])
    worker = OutboxWorker(env)

    with env.unit_of_work() as session:
        publish(session, StockDelivered(delivery_id=5, amount=Decimal("1280.00")))
        assert received == []
        if backend == "postgresql":  # a worker elsewhere cannot see the uncommitted row
            assert worker.run_once() == 0
    assert received == []  # committing does not call it either: the worker does

    assert worker.run_once() == 1
    assert received == [StockDelivered(delivery_id=5, amount=Decimal("1280.00"))]
    assert worker.run_once() == 0
    assert len(received) == 1
    (row,) = rows(env)
    assert (row.status, row.attempts, row.locked_by) == (DONE, 1, None)
    assert row.done_at is not None


def test_rolled_back_transaction_leaves_no_outbox_row(make_env: EnvFactory) -> None:
    def send_mail(event: StockDelivered, *, env: Environment) -> None:
        raise AssertionError("never delivered")

    env = make_env([("base_jxc", Subscription(StockDelivered, send_mail, phase="after_commit"))])

    with pytest.raises(ValueError), env.unit_of_work() as session:
        publish(session, StockDelivered(delivery_id=1))
        raise ValueError("the delivery was refused after publishing")

    assert rows(env) == []
    assert OutboxWorker(env).run_once() == 0


def test_failure_is_retried_with_exponential_backoff_then_dead_lettered(
    make_env: EnvFactory,
) -> None:
    calls: list[int] = []

    def flaky(event: StockDelivered, *, env: Environment) -> None:
        calls.append(event.delivery_id)
        raise ConnectionError("mail server down")

    settings = Settings(outbox_max_attempts=3, outbox_backoff_seconds=10.0)
    env = make_env([("base_jxc", Subscription(StockDelivered, flaky, phase="after_commit"))],
                   settings)
    clock = Clock()
    worker = OutboxWorker(env, now=clock, jitter=lambda: 0.5)  # delay × 1.125
    publish_deliveries(env, [1])

    start = clock.now
    assert worker.run_once() == 1
    (row,) = rows(env)
    assert (row.status, row.attempts, row.locked_by, row.locked_until) == (PENDING, 1, None, None)
    assert row.available_at == start + timedelta(seconds=11.25)
    assert row.last_error is not None and "ConnectionError: mail server down" in row.last_error

    # Not due yet: a worker polling right away, or a microsecond early, leaves it alone.
    assert worker.run_once() == 0
    clock.now = row.available_at - timedelta(microseconds=1)
    assert worker.run_once() == 0

    clock.now = row.available_at
    assert worker.run_once() == 1
    (row,) = rows(env)
    assert (row.status, row.attempts) == (PENDING, 2)
    assert row.available_at == clock.now + timedelta(seconds=22.5)  # twice the first wait

    clock.now = row.available_at
    assert worker.run_once() == 1
    (row,) = rows(env)
    assert (row.status, row.attempts) == (DEAD, 3)

    clock.advance(days=30)
    assert worker.run_once() == 0  # the dead are not retried
    assert calls == [1, 1, 1]
    with env.unit_of_work(readonly=True) as session:
        assert [r.id for r in dead_letters(session)] == [row.id]


def test_backoff_doubles_with_bounded_jitter(make_env: EnvFactory) -> None:
    env = make_env([], Settings(outbox_backoff_seconds=2.0))
    lowest = OutboxWorker(env, jitter=lambda: 0.0)
    highest = OutboxWorker(env, jitter=lambda: 0.999999)
    random_jitter = OutboxWorker(env)

    for attempts in range(1, 8):
        base = timedelta(seconds=2.0 * 2 ** (attempts - 1))
        assert lowest.retry_delay(attempts) == base
        assert base < highest.retry_delay(attempts) < base * 1.25
        assert base <= random_jitter.retry_delay(attempts) < base * 1.25
        # Even the longest delay of one attempt is shorter than the shortest of the next.
        assert highest.retry_delay(attempts) < lowest.retry_delay(attempts + 1)


def test_dead_letters_can_be_requeued(make_env: EnvFactory) -> None:
    broken = True
    delivered: list[int] = []

    def webhook(event: StockDelivered, *, env: Environment) -> None:
        if broken:
            raise RuntimeError("endpoint gone")
        delivered.append(event.delivery_id)

    env = make_env([("base_jxc", Subscription(StockDelivered, webhook, phase="after_commit"))],
                   Settings(outbox_max_attempts=1))
    clock = Clock()
    worker = OutboxWorker(env, now=clock)
    publish_deliveries(env, [1, 2])
    assert worker.run_once() == 2
    assert [r.status for r in rows(env)] == [DEAD, DEAD]

    broken = False
    dead_id, other_id = (r.id for r in rows(env))
    with env.unit_of_work() as session:
        assert requeue(session, [dead_id], now=clock) == 1
    row = rows(env)[0]
    assert (row.status, row.attempts, row.available_at) == (PENDING, 0, clock.now)
    assert row.last_error is not None  # the history stays visible

    assert worker.run_once() == 1
    assert delivered == [1]
    with env.unit_of_work() as session:
        assert requeue(session, [dead_id], now=clock) == 0  # delivered: never resent
        assert [r.id for r in dead_letters(session)] == [other_id]


def test_two_workers_never_deliver_the_same_row_twice(make_env: EnvFactory) -> None:
    delivered: list[int] = []
    by_worker: dict[str, int] = {}
    lock = threading.Lock()

    def record(event: StockDelivered, *, env: Environment) -> None:
        with lock:
            delivered.append(event.delivery_id)

    subscriptions = [("base_jxc", Subscription(StockDelivered, record, phase="after_commit"))]
    publisher = make_env(subscriptions)
    publish_deliveries(publisher, range(200))

    workers = [OutboxWorker(make_env(subscriptions), worker_id=f"w{i}", batch_size=7)
               for i in range(2)]
    start = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def drain(worker: OutboxWorker) -> None:
        try:
            start.wait()
            count = 0
            while processed := worker.run_once():
                count += processed
            by_worker[worker.worker_id] = count
        except BaseException as exc:  # surfaced below: a thread cannot fail the test
            errors.append(exc)

    threads = [threading.Thread(target=drain, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    assert len(delivered) == len(set(delivered)), "a row was delivered twice"
    assert sorted(delivered) == list(range(200))
    assert sum(by_worker.values()) == 200
    assert all(count > 0 for count in by_worker.values()), by_worker
    assert {r.status for r in rows(publisher)} == {DONE}


def test_an_expired_lease_is_reclaimed(make_env: EnvFactory) -> None:
    calls: list[str] = []

    def handler(event: StockDelivered, *, env: Environment) -> None:
        calls.append("called")
        if len(calls) == 1:
            raise RuntimeError("the first, stale worker fails")

    env = make_env([("base_jxc", Subscription(StockDelivered, handler, phase="after_commit"))])
    publish_deliveries(env, [1])
    clock = Clock()
    stale_clock = Clock()
    stale_clock.now = clock.now
    dying = OutboxWorker(env, worker_id="dying", lease_seconds=60, now=stale_clock)
    rescuer = OutboxWorker(env, worker_id="rescuer", lease_seconds=60, now=clock)

    (claimed,) = dying.claim()  # ... and the process dies before delivering
    (row,) = rows(env)
    assert (row.locked_by, row.locked_until) == ("dying", clock.now + timedelta(seconds=60))

    clock.advance(seconds=59)
    assert rescuer.run_once() == 0  # still leased

    clock.advance(seconds=1)
    (reclaimed,) = rescuer.claim()
    assert rows(env)[0].locked_by == "rescuer"

    # The stale worker wakes up believing its lease holds: it may deliver (at least
    # once), but its outcome no longer counts; the rescuer's does.
    assert dying.deliver(claimed) is False
    row = rows(env)[0]
    assert (row.status, row.attempts, row.locked_by, row.last_error) == (
        PENDING, 0, "rescuer", None)
    assert rescuer.deliver(reclaimed) is True
    assert calls == ["called", "called"]
    row = rows(env)[0]
    assert (row.status, row.attempts) == (DONE, 1)

    # A worker whose own clock shows the lease expired does not deliver at all.
    stale_clock.advance(seconds=61)
    assert dying.deliver(claimed) is None
    assert len(calls) == 2


def test_outbox_consumers_receive_rows_by_prefix(make_env: EnvFactory) -> None:
    got: list[tuple[str, str, Any]] = []

    def webhook(delivery: Delivery, *, env: Environment) -> None:
        got.append(("webhook", delivery.handler_id, delivery.payload))

    def any_channel(delivery: Delivery, *, env: Environment) -> None:
        got.append(("channel", delivery.handler_id, delivery.payload))

    env = make_env([], Settings(outbox_max_attempts=1))
    register_consumer(env, "channel", any_channel)
    register_consumer(env, "test:consumer", webhook)
    with pytest.raises(ValueError, match="already registered"):
        register_consumer(env, "channel", any_channel)

    with env.unit_of_work() as session:
        enqueue(session, handler_id="test:consumer:7", payload={"alert": 3, "text": "低库存"},
                event_name="alert.raised")
        enqueue(session, handler_id="channel:sms", payload=[1, 2])
        enqueue(session, handler_id="channelx", payload=None)  # no such prefix

    assert OutboxWorker(env).run_once() == 3
    assert got == [
        ("webhook", "test:consumer:7", {"alert": 3, "text": "低库存"}),
        ("channel", "channel:sms", [1, 2]),
    ]
    unknown = rows(env)[2]
    assert unknown.status == DEAD
    assert unknown.last_error is not None and "no after-commit handler" in unknown.last_error


def test_consumers_belong_to_their_environment(make_env: EnvFactory) -> None:
    got: list[str] = []
    with_channel = make_env([])
    without_channel = make_env([], Settings(outbox_max_attempts=1))
    register_consumer(with_channel, "test:consumer", lambda d, env: got.append(d.handler_id))
    with without_channel.unit_of_work() as session:
        enqueue(session, handler_id="test:consumer", payload={})

    assert OutboxWorker(without_channel).run_once() == 1
    assert got == []
    assert rows(without_channel)[0].status == DEAD


def test_a_malformed_row_fails_alone(make_env: EnvFactory) -> None:
    delivered: list[int] = []

    def record(event: StockDelivered, *, env: Environment) -> None:
        delivered.append(event.delivery_id)

    sub = Subscription(StockDelivered, record, phase="after_commit")
    env = make_env([("base_jxc", sub)], Settings(outbox_max_attempts=1))
    with env.unit_of_work() as session:
        session.add(OutboxMessage(event_name=StockDelivered.name,
                                  handler_id=f"{StockDelivered.name}:{sub.handler_id}",
                                  payload="{not json"))
    publish_deliveries(env, [9])

    assert OutboxWorker(env).run_once() == 2
    assert delivered == [9]
    assert [r.status for r in rows(env)] == [DEAD, DONE]


def test_run_forever_delivers_until_stopped_and_survives_errors(make_env: EnvFactory) -> None:
    delivered: list[int] = []
    all_delivered = threading.Event()

    def record(event: StockDelivered, *, env: Environment) -> None:
        delivered.append(event.delivery_id)
        if len(delivered) == 3:
            all_delivered.set()

    env = make_env([("base_jxc", Subscription(StockDelivered, record, phase="after_commit"))])
    worker = OutboxWorker(env, batch_size=2)
    real_claim = worker.claim
    failures = iter([RuntimeError("database restarting")])

    def claim_failing_once() -> list[Delivery]:
        for exc in failures:
            raise exc
        return real_claim()

    worker.claim = claim_failing_once  # type: ignore[method-assign]
    publish_deliveries(env, [1, 2, 3])
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop, 0.01))
    thread.start()
    try:
        assert all_delivered.wait(timeout=30)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert sorted(delivered) == [1, 2, 3]


def test_purge_removes_only_old_delivered_rows(make_env: EnvFactory) -> None:
    def ok(event: StockDelivered, *, env: Environment) -> None:
        if event.delivery_id == 2:
            raise RuntimeError("dead")

    env = make_env([("base_jxc", Subscription(StockDelivered, ok, phase="after_commit"))],
                   Settings(outbox_max_attempts=1))
    clock = Clock()
    publish_deliveries(env, [1, 2])
    assert OutboxWorker(env, now=clock).run_once() == 2
    publish_deliveries(env, [3])  # still pending

    with env.unit_of_work() as session:
        assert purge_delivered(session, older_than_days=1, now=clock) == 0
        clock.advance(days=1, seconds=1)
        assert purge_delivered(session, older_than_days=1, now=clock) == 1
    assert [r.status for r in rows(env)] == [DEAD, PENDING]
