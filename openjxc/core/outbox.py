"""After-commit delivery of the transactional outbox (``core_outbox``).

Rows are written in the business transaction (by :meth:`EventBus.publish` for
``phase="after_commit"`` subscriptions, or by :func:`enqueue` for other kernel parts such
as alert channels), so a rolled-back operation owes nothing and a committed one is
delivered even if the process dies right after the commit.

The worker delivers at least once, never inside the transaction that claims::

    worker = OutboxWorker(env)
    worker.run_forever(stop_event, poll_interval=1.0)   # what `openjxc worker` runs

1. **Claim** a batch in a short transaction: pending rows whose ``available_at`` has come
   and whose lease is free or expired, oldest first.  PostgreSQL: ``SELECT … FOR UPDATE
   SKIP LOCKED`` so concurrent workers take disjoint rows without waiting on each other.
   SQLite has no row locks (SQLAlchemy drops ``FOR UPDATE`` there); its write transaction
   begins ``IMMEDIATE`` (:mod:`openjxc.core.db`), so the same select-then-update is
   already serialised between workers.  The claim stamps ``locked_by``/``locked_until``
   and commits.
2. **Deliver** each row outside any claim transaction, so a slow handler never holds
   locks.  A worker that dies leaves its lease to expire; the row is then claimable again.
3. **Record** the outcome, only while the lease is still ours: ``done``; or a failure
   (``attempts + 1``, ``last_error``, retried after ``backoff * 2**(attempts-1)`` plus
   jitter) that becomes ``dead`` once ``Settings.outbox_max_attempts`` is reached.  Dead
   letters are listed by :func:`dead_letters` and put back by :func:`requeue`.

Handlers must therefore be idempotent: a crash between delivery and step 3 repeats it.

Which code a row reaches is looked up by its ``handler_id``: first the environment's
after-commit subscriptions (``"<event name>:<module>.<function>"``, called as
``handler(event, env=env)``), then *outbox consumers* registered per environment under a
prefix (``register_consumer(env, "channel:webhook", deliver_webhook)`` receives every row
whose ``handler_id`` is ``channel:webhook`` or starts with ``channel:webhook:``, as
``consumer(delivery, env=env)`` with the row's own JSON payload).
"""

from __future__ import annotations

import json
import logging
import os
import random
import socket
import threading
import traceback
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, delete, or_, select, update
from sqlalchemy.orm import Session

from openjxc.core.events import OutboxMessage
from openjxc.core.models import utcnow

if TYPE_CHECKING:
    from openjxc.core.env import Environment

log = logging.getLogger(__name__)

PENDING = "pending"
DONE = "done"
DEAD = "dead"

#: Where an environment keeps its outbox consumers (``env.extensions``), so that two
#: editions in one process never share them.
CONSUMERS_KEY = "openjxc.outbox.consumers"
#: Retries are spread by up to this fraction of their delay, so that rows failing
#: together (a webhook endpoint down) do not all come back in the same second.
JITTER_FRACTION = 0.25
_MAX_ERROR_CHARS = 4000

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Delivery:
    """One claimed outbox row, detached from the session that claimed it."""

    id: int
    event_name: str
    handler_id: str
    #: The row's payload as stored (JSON text).
    payload_json: str
    #: Failed attempts before this one.
    attempts: int
    locked_until: datetime

    @property
    def payload(self) -> Any:
        """The payload decoded; decoded on use so that a malformed row fails its own
        delivery (and is dead-lettered) instead of the claim of a whole batch."""
        return json.loads(self.payload_json)


Consumer = Callable[..., Any]
"""``consumer(delivery: Delivery, *, env: Environment)``; raise to have it retried."""


def register_consumer(env: Environment, prefix: str, consumer: Consumer) -> None:
    """Route outbox rows whose ``handler_id`` is ``prefix`` or ``prefix:…`` to ``consumer``.

    Kept in the environment (not a module global) so one process may serve editions with
    different channels.  Registering a prefix twice is a mistake and raises ``ValueError``.
    """
    consumers = env.extensions.setdefault(CONSUMERS_KEY, {})
    if prefix in consumers:
        raise ValueError(f"an outbox consumer is already registered for {prefix!r}")
    consumers[prefix] = consumer


def enqueue(session: Session, *, handler_id: str, payload: Any, event_name: str = "",
            now: Clock = utcnow) -> OutboxMessage:
    """Owe one after-commit delivery of ``payload`` (any JSON value) to ``handler_id``.

    Written in the caller's transaction: it is delivered only if that commits.
    """
    message = OutboxMessage(
        event_name=event_name,
        handler_id=handler_id,
        payload=json.dumps(payload, ensure_ascii=False, sort_keys=True),
        status=PENDING,
        attempts=0,
        available_at=now(),
    )
    session.add(message)
    return message


class OutboxWorker:
    """Claims, delivers and records outbox rows for one environment.

    ``now`` and ``jitter`` are injectable so that tests can move time and pin the backoff.
    Several workers (threads or processes, one ``worker_id`` each) may share a database.
    A batch is delivered in turn under one lease, so ``lease_seconds`` must exceed the
    time a whole batch may take; a row whose lease ran out before its turn is left for
    another worker instead of being delivered twice.
    """

    def __init__(
        self,
        env: Environment,
        worker_id: str | None = None,
        batch_size: int = 20,
        lease_seconds: float = 60,
        *,
        now: Clock = utcnow,
        jitter: Callable[[], float] = random.random,
        consumers: Mapping[str, Consumer] | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        self.env = env
        self.worker_id = (worker_id or _default_worker_id())[:64]
        self.batch_size = batch_size
        self.lease = timedelta(seconds=lease_seconds)
        self.max_attempts = env.settings.outbox_max_attempts
        self.backoff_seconds = env.settings.outbox_backoff_seconds
        self._now = now
        self._jitter = jitter
        self._consumers = dict(consumers or {})

    # -- the loop -----------------------------------------------------------------------

    def run_forever(self, stop_event: threading.Event, poll_interval: float = 1.0) -> None:
        """Deliver until ``stop_event`` is set; sleep only when there was nothing to do.

        A database outage is logged and waited out rather than ending the worker.
        """
        log.info("outbox worker %s started", self.worker_id)
        while not stop_event.is_set():
            try:
                processed = self.run_once()
            except Exception:
                log.exception("outbox worker %s: batch failed; retrying after the poll "
                              "interval (unfinished rows wait for their lease)", self.worker_id)
                processed = 0
            if processed == 0:
                stop_event.wait(poll_interval)
        log.info("outbox worker %s stopped", self.worker_id)

    def run_once(self) -> int:
        """Claim one batch and deliver it; return how many rows were attempted."""
        return sum(1 for delivery in self.claim() if self.deliver(delivery) is not None)

    # -- the three steps ----------------------------------------------------------------

    def claim(self) -> list[Delivery]:
        """Lease up to ``batch_size`` due rows to this worker and commit the lease."""
        return self.env.database.run(self._claim)

    def _claim(self, session: Session) -> list[Delivery]:
        now = self._now()
        until = now + self.lease
        rows = session.execute(
            select(OutboxMessage.id, OutboxMessage.event_name, OutboxMessage.handler_id,
                   OutboxMessage.payload, OutboxMessage.attempts)
            .where(
                OutboxMessage.status == PENDING,
                OutboxMessage.available_at <= now,
                or_(OutboxMessage.locked_until.is_(None), OutboxMessage.locked_until <= now),
            )
            .order_by(OutboxMessage.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        ).all()
        if not rows:
            return []
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_([row.id for row in rows]))
            .values(locked_by=self.worker_id, locked_until=until)
            .execution_options(synchronize_session=False)
        )
        log.debug("outbox worker %s claimed %d rows", self.worker_id, len(rows))
        return [
            Delivery(id=row.id, event_name=row.event_name, handler_id=row.handler_id,
                     payload_json=row.payload, attempts=row.attempts, locked_until=until)
            for row in rows
        ]

    def deliver(self, delivery: Delivery) -> bool | None:
        """Deliver one claimed row and record the outcome.

        Returns True when delivered, False when it failed (and was rescheduled or
        dead-lettered), None when the lease had already expired so nothing was attempted.
        """
        if self._now() >= delivery.locked_until:
            log.warning("outbox row %s: lease of %s expired before delivery; left for "
                        "another worker", delivery.id, self.worker_id)
            return None
        try:
            self._dispatch(delivery)
        except Exception as exc:
            self._record_failure(delivery, exc)
            return False
        self._record_success(delivery)
        return True

    def _dispatch(self, delivery: Delivery) -> None:
        subscription = self.env.events.handlers.get(delivery.handler_id)
        if subscription is not None:
            event = subscription.event.from_payload(delivery.payload)
            subscription.handler(event, env=self.env)
            return
        consumer = self._consumer_for(delivery.handler_id)
        if consumer is None:
            raise LookupError(f"no after-commit handler or outbox consumer for "
                              f"{delivery.handler_id!r} in this environment")
        consumer(delivery, env=self.env)

    def _consumer_for(self, handler_id: str) -> Consumer | None:
        consumers: dict[str, Consumer] = {
            **self.env.extensions.get(CONSUMERS_KEY, {}), **self._consumers
        }
        # The most specific prefix wins: "channel:webhook:erp" over "channel:webhook".
        for prefix in sorted(consumers, key=len, reverse=True):
            if handler_id == prefix or handler_id.startswith(prefix + ":"):
                return consumers[prefix]
        return None

    def _record_success(self, delivery: Delivery) -> None:
        now = self._now()
        recorded = self._update_if_leased(
            delivery,
            status=DONE,
            done_at=now,
            attempts=delivery.attempts + 1,
            locked_by=None,
            locked_until=None,
        )
        if recorded:
            log.debug("outbox row %s delivered to %s", delivery.id, delivery.handler_id)

    def _record_failure(self, delivery: Delivery, exc: Exception) -> None:
        now = self._now()
        attempts = delivery.attempts + 1
        error = "".join(traceback.format_exception(exc))[-_MAX_ERROR_CHARS:]
        if attempts >= self.max_attempts:
            status, available_at = DEAD, now
            log.error("outbox row %s (%s) dead after %d attempts: %s",
                      delivery.id, delivery.handler_id, attempts, exc)
        else:
            status, available_at = PENDING, now + self.retry_delay(attempts)
            log.warning("outbox row %s (%s) failed (attempt %d of %d), retry at %s: %s",
                        delivery.id, delivery.handler_id, attempts, self.max_attempts,
                        available_at.isoformat(), exc)
        self._update_if_leased(
            delivery,
            status=status,
            attempts=attempts,
            last_error=error,
            available_at=available_at,
            locked_by=None,
            locked_until=None,
        )

    def retry_delay(self, attempts: int) -> timedelta:
        """How long to wait after the ``attempts``-th failure: doubling, plus jitter."""
        base = self.backoff_seconds * 2 ** (attempts - 1)
        return timedelta(seconds=base * (1 + JITTER_FRACTION * self._jitter()))

    def _update_if_leased(self, delivery: Delivery, **values: Any) -> bool:
        """Write the outcome only if the row is still leased to this worker: after an
        expired lease another worker owns the row, and its outcome is the one that counts."""

        def work(session: Session) -> int:
            result = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == delivery.id,
                       OutboxMessage.locked_by == self.worker_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            return cast(CursorResult[Any], result).rowcount

        if self.env.database.run(work) == 0:
            log.warning("outbox row %s is no longer leased to %s; outcome not recorded",
                        delivery.id, self.worker_id)
            return False
        return True


def _default_worker_id() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# -- dead letters and housekeeping ---------------------------------------------------------


def dead_letters(session: Session, *, limit: int | None = None) -> list[OutboxMessage]:
    """The rows given up on, oldest first, for an operator to inspect and requeue."""
    query = select(OutboxMessage).where(OutboxMessage.status == DEAD).order_by(OutboxMessage.id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def requeue(session: Session, ids: Iterable[int], *, now: Clock = utcnow) -> int:
    """Give dead letters a fresh set of attempts, due at once; return how many.

    Only dead rows are touched: a delivered row is never sent again by mistake.
    ``last_error`` is kept so the history of the failure stays visible.
    """
    wanted: Sequence[int] = list(ids)
    if not wanted:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(wanted), OutboxMessage.status == DEAD)
        .values(status=PENDING, attempts=0, available_at=now(), locked_by=None,
                locked_until=None)
        .execution_options(synchronize_session="fetch")
    )
    count = cast(CursorResult[Any], result).rowcount
    log.info("requeued %d dead outbox rows", count)
    return count


def purge_delivered(session: Session, *, older_than_days: float, now: Clock = utcnow) -> int:
    """Delete delivered rows older than ``older_than_days``; return how many.

    The outbox is a queue, not an archive: without this it grows with every event.
    Dead and pending rows are never purged.
    """
    cutoff = now() - timedelta(days=older_than_days)
    result = session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.status == DONE, OutboxMessage.done_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount
