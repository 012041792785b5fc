"""Idempotency keys for posting mutations: a retried request gets the first answer.

A PDA on shaky Wi-Fi posts a receipt, the answer is lost, the PDA retries.  The retry
carries the same ``idempotencyKey`` (API.md), and must change nothing::

    def receive(session, user, data, key):
        return run_idempotent(
            session, scope=f"purchaseOrderReceive:{user.id}", key=key, request=data,
            action=lambda: services.receive(session, data),
            encode=lambda receipt: receipt.id,
            decode=lambda receipt_id: session.get(Receipt, receipt_id),
        )

* same scope and key, same input → the stored answer is decoded; the action is not run;
* same scope and key, other input → :class:`IdempotencyKeyReused`;
* a new key → the action runs and its answer is stored *in the same transaction*, so a
  rolled-back operation forgets its key and may be retried for real.

Concurrency.  The key row is inserted (``response`` still empty) *before* the action
runs, and the unique constraint on ``(scope, key)`` decides who runs it.  On PostgreSQL
the second of two concurrent requests blocks on that insert until the first transaction
ends: if the first commits, the insert fails with ``IntegrityError``, which is caught at
a savepoint; the committed row is read again (a new statement sees it under READ
COMMITTED) and its answer returned, so the action ran once.  If the first rolls back, the
second's insert goes through and it runs the action itself.  On SQLite writers are
serialised by ``BEGIN IMMEDIATE``, so the second request starts after the first committed
and simply finds the answer.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Integer, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from openjxc.core.errors import FieldError, OpenJXCError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.models import Base, UTCDateTime, utcnow

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Keys are kept this long by default before :func:`purge_keys` may delete them; a
#: client retrying later than that is making a new request.
DEFAULT_RETENTION_DAYS = 7



#: Keys are stored in a String(255) column.
MAX_KEY_LENGTH = 255

class IdempotencyKeyReused(OpenJXCError):
    """The key was already used, in this scope, for a request with other input."""

    code = "IDEMPOTENCY_KEY_REUSED"


class IdempotencyKeyInProgress(OpenJXCError):
    """The key is held by an unfinished request in this same transaction (a re-entrant
    call), so there is no first answer to give yet."""

    code = "IDEMPOTENCY_KEY_IN_PROGRESS"


class IdempotencyKey(Base):
    """The first answer given to one ``(scope, key)``."""

    __tablename__ = "core_idempotency_key"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: Who may reuse the key: the mutation and the user (``purchaseOrderReceive:42``), so
    #: two clients picking the same key never see each other's answers.
    scope: Mapped[str] = mapped_column(String(255))
    key: Mapped[str] = mapped_column(String(255))
    #: sha256 of the canonical JSON of the input: tells a retry from a reuse.
    request_hash: Mapped[str] = mapped_column(String(64))
    #: The encoded answer (JSON); empty only while the first request is in flight.
    response: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


def request_hash(request: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of ``request``: key order and Decimal spelling
    (``"1.50"`` vs ``Decimal("1.5")``) do not make two equal inputs differ."""
    return hashlib.sha256(canonical_json(request).encode("utf-8")).hexdigest()


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_canonical)


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=canonical_json)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"cannot hash a {type(value).__name__} in an idempotent request")


def run_idempotent(
    session: Session,
    *,
    scope: str,
    key: str | None,
    request: Mapping[str, Any],
    action: Callable[[], T],
    encode: Callable[[T], Any],
    decode: Callable[[Any], T],
) -> T:
    """Run ``action`` once per ``(scope, key)``; give every retry the first answer.

    ``encode`` turns the action's result into JSON-able data to store (usually ids);
    ``decode`` turns it back when a retry comes.  Without a key the action just runs.
    Raises :class:`IdempotencyKeyReused` when the key came with another input.
    """
    if key is None:
        return action()
    if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_LENGTH or "\x00" in key:
        raise ValidationFailed(FieldError(
            "INVALID", _("An idempotency key is 1 to {max} characters"),
            field="idempotencyKey", max=MAX_KEY_LENGTH))
    digest = request_hash(request)
    found = _find(session, scope, key)
    if found is not None:
        return _replay(found, digest, decode)
    record = IdempotencyKey(scope=scope, key=key, request_hash=digest, response=None)
    session.flush()  # the caller's own pending errors surface as theirs, not as a lost race
    try:
        # The savepoint keeps the caller's transaction usable when we lose the race.
        with session.begin_nested():
            session.add(record)
    except IntegrityError:
        found = _find(session, scope, key)
        if found is None:
            raise
        log.info("idempotency key %s/%s was taken by a concurrent request; replaying",
                 scope, key)
        return _replay(found, digest, decode)
    try:
        result = action()
    except BaseException:
        _forget(session, record)
        raise
    record.response = json.dumps(encode(result), ensure_ascii=False, sort_keys=True)
    session.flush()
    return result


def _find(session: Session, scope: str, key: str) -> IdempotencyKey | None:
    return session.scalars(
        select(IdempotencyKey)
        .where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
        .execution_options(populate_existing=True)
    ).one_or_none()


def _replay(found: IdempotencyKey, digest: str, decode: Callable[[Any], T]) -> T:
    if found.request_hash != digest:
        raise IdempotencyKeyReused(
            f"idempotency key {found.key!r} was already used with another input"
        )
    if found.response is None:
        raise IdempotencyKeyInProgress(
            f"idempotency key {found.key!r} is still being processed"
        )
    return decode(json.loads(found.response))


def _forget(session: Session, record: IdempotencyKey) -> None:
    """Drop the key of a failed action, so that a caller who catches the error and
    commits anyway does not leave a key with no answer that blocks every retry."""
    try:
        session.delete(record)
        session.flush()
    except Exception:  # the transaction is already broken: it cannot commit the key either
        log.debug("could not drop idempotency key %s/%s after a failed action",
                  record.scope, record.key, exc_info=True)


def purge_keys(session: Session, *, older_than_days: float = DEFAULT_RETENTION_DAYS,
               now: Callable[[], datetime] = utcnow) -> int:
    """Delete keys older than ``older_than_days``; return how many.

    Run it from the scheduled worker; a retry after the purge runs the action again.
    """
    cutoff = now() - timedelta(days=older_than_days)
    result = session.execute(
        delete(IdempotencyKey)
        .where(IdempotencyKey.created_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    count = cast(CursorResult[Any], result).rowcount
    log.info("purged %d idempotency keys older than %s days", count, older_than_days)
    return count
