"""In-process push of alert changes, for GraphQL subscriptions (``alertChanged``) and the like.

Each environment has one :class:`AlertBroadcaster` (``Alerting.for_environment(env)
.broadcaster``).  The API layer iterates ``broadcaster.subscribe()`` in its subscription
resolver; the kernel publishes *after commit* only, so a subscriber never sees an alert
that was rolled back::

    async def alert_changed(info) -> AsyncGenerator[AlertNotice, None]:
        async for notice in Alerting.for_environment(env).broadcaster.subscribe():
            yield notice

``publish`` may be called from any thread (the worker evaluates rules in its own), and
never blocks: each subscriber has a bounded queue and a slow one loses its oldest notices
rather than holding the publisher up.

This reaches subscribers of the same process only.  A deployment whose worker runs in
another process than its API server needs a cross-process relay (e.g. PostgreSQL
``LISTEN/NOTIFY``) feeding ``publish`` in the server; the seam is here.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

NoticeKind = Literal["opened", "resolved", "acknowledged"]
_PENDING_KEY = "openjxc.alerts.pending_notices"


@dataclass(frozen=True)
class AlertNotice:
    """An alert changed: ``kind`` says how; ``alert`` is its payload after the change."""

    kind: NoticeKind
    alert: Mapping[str, Any]


@dataclass(eq=False)
class _Subscriber:
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[AlertNotice]
    dropped: int = field(default=0)

    def offer(self, notice: AlertNotice) -> None:
        # Runs on the subscriber's own loop (call_soon_threadsafe), the only place its
        # queue may be touched.
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(notice)


class AlertBroadcaster:
    """Fans notices out to the async subscribers of one environment."""

    def __init__(self, *, max_queue: int = 100) -> None:
        self.max_queue = max_queue
        self._lock = threading.Lock()
        self._subscribers: set[_Subscriber] = set()

    @property
    def subscriber_count(self) -> int:
        with self._lock:
            return len(self._subscribers)

    async def subscribe(self) -> AsyncIterator[AlertNotice]:
        """Notices published from now on, until the consumer stops iterating."""
        subscriber = _Subscriber(asyncio.get_running_loop(), asyncio.Queue(self.max_queue))
        with self._lock:
            self._subscribers.add(subscriber)
        try:
            while True:
                yield await subscriber.queue.get()
        finally:
            with self._lock:
                self._subscribers.discard(subscriber)

    def publish(self, notice: AlertNotice) -> None:
        """Hand ``notice`` to every subscriber; safe from any thread, never blocks."""
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber.loop.call_soon_threadsafe(subscriber.offer, notice)
            except RuntimeError:  # its event loop is closed: it will never read again
                with self._lock:
                    self._subscribers.discard(subscriber)


def publish_after_commit(session: Session, broadcaster: AlertBroadcaster,
                         notice: AlertNotice) -> None:
    """Publish ``notice`` once the transaction ``session`` is in commits; drop it if that
    transaction (or the savepoint it was queued in) rolls back."""
    pending: list[tuple[SessionTransaction | None, AlertBroadcaster, AlertNotice]] | None
    pending = session.info.get(_PENDING_KEY)
    if pending is None:
        pending = session.info[_PENDING_KEY] = []
        event.listen(session, "after_commit", _publish_pending)
        event.listen(session, "after_soft_rollback", _drop_rolled_back)
    where = session.get_nested_transaction() or session.get_transaction()
    pending.append((where, broadcaster, notice))


def _publish_pending(session: Session) -> None:
    # after_commit also fires when a savepoint is released; only the outermost commit
    # makes the change visible to others.
    if session.in_nested_transaction():
        return
    pending = session.info.get(_PENDING_KEY) or []
    session.info[_PENDING_KEY] = []
    for _where, broadcaster, notice in pending:
        try:
            broadcaster.publish(notice)
        except Exception:  # a subscriber's trouble must not fail a committed operation
            log.exception("publishing alert notice %s failed", notice.kind)


def _drop_rolled_back(session: Session, previous: SessionTransaction) -> None:
    pending = session.info.get(_PENDING_KEY)
    if not pending:
        return
    session.info[_PENDING_KEY] = [
        item for item in pending if not _within(item[0], previous)
    ]


def _within(where: SessionTransaction | None, rolled_back: SessionTransaction) -> bool:
    while where is not None:
        if where is rolled_back:
            return True
        where = where.parent
    return False
