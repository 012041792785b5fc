"""Typed domain events: in-transaction handlers and a transactional outbox.

An event is a frozen dataclass naming a fact that happened::

    @dataclass(frozen=True)
    class StockDelivered(Event):
        name: ClassVar[str] = "stock.delivered"
        added_in: ClassVar[str] = "0.1"
        delivery_id: int
        serial_ids: tuple[int, ...]

Services publish it inside their unit of work: ``publish(session, StockDelivered(...))``.

* ``phase="transaction"`` handlers run at once, in the same transaction, ordered by
  ``order`` then by addon dependency order; an exception in one propagates to the
  publisher and rolls the whole business operation back (a warranty or a voucher is never
  lost or half-made).
* ``phase="after_commit"`` handlers are not called here: one outbox row per handler is
  written in the same transaction, and ``openjxc worker`` delivers it after commit, at
  least once, with exponential backoff and a dead letter after N attempts
  (:mod:`openjxc.core.outbox`).  Such handlers must be idempotent.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, Session, mapped_column

from openjxc.core.errors import BootError
from openjxc.core.models import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from openjxc.core.env import Environment

Phase = Literal["transaction", "after_commit"]
ENV_KEY = "openjxc.env"


@dataclass(frozen=True)
class Event:
    """Base of every domain event.  Subclasses set ``name`` (``area.object.verb``)."""

    name: ClassVar[str] = ""
    added_in: ClassVar[str] = "0.1"

    def to_payload(self) -> dict[str, Any]:
        return {f.name: _encode(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Event:
        hints = typing.get_type_hints(cls)
        kwargs = {
            f.name: _decode(hints[f.name], payload[f.name])
            for f in dataclasses.fields(cls)
            if f.name in payload
        }
        return cls(**kwargs)


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    return value


def _decode(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return _decode(inner[0], value) if len(inner) == 1 else value
    if origin is tuple:
        if (len(args) == 2 and args[1] is Ellipsis) or len(args) == 1:
            return tuple(_decode(args[0], v) for v in value)
        if args and len(args) == len(value):
            return tuple(_decode(a, v) for a, v in zip(args, value, strict=True))
        return tuple(value)
    if origin is list:
        return [_decode(args[0] if args else Any, v) for v in value]
    if origin is dict and len(args) == 2:
        return {_decode(args[0], k): _decode(args[1], v) for k, v in value.items()}
    if hint is Decimal:
        return Decimal(value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if hint is date:
        return date.fromisoformat(value)
    return value


Handler = Callable[..., Any]


@dataclass(frozen=True)
class Subscription:
    """An addon's interest in an event.

    ``handler(event, *, session, env)`` for ``phase="transaction"``;
    ``handler(event, *, env)`` for ``phase="after_commit"`` (open your own unit of work).
    Lower ``order`` runs first; equal orders run in addon dependency order.
    """

    event: type[Event]
    handler: Handler
    phase: Phase = "transaction"
    order: int = 0

    @property
    def handler_id(self) -> str:
        return f"{self.handler.__module__}.{self.handler.__qualname__}"


class OutboxMessage(Base):
    """One after-commit delivery owed to one handler (or channel)."""

    __tablename__ = "core_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    event_name: Mapped[str] = mapped_column(String(128))
    handler_id: Mapped[str] = mapped_column(String(255))
    payload: Mapped[str] = mapped_column(Text)
    #: pending → done, or dead after too many attempts.
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    locked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class EventBus:
    """The event routing of one environment (never global)."""

    def __init__(self, subscriptions: Iterable[tuple[str, Subscription]]) -> None:
        self.owners: dict[str, str] = {}
        self._transaction: dict[str, list[Subscription]] = {}
        self._after_commit: dict[str, list[Subscription]] = {}
        self.handlers: dict[str, Subscription] = {}
        self.event_types: dict[str, type[Event]] = {}
        ranked: list[tuple[int, int, str, Subscription]] = []
        for position, (owner, sub) in enumerate(subscriptions):
            if not (isinstance(sub.event, type) and issubclass(sub.event, Event)):
                raise BootError(f"{owner}: subscription to a non-event {sub.event!r}")
            if not sub.event.name:
                raise BootError(f"{owner}: event class {sub.event.__qualname__} has no name")
            if sub.phase not in ("transaction", "after_commit"):
                raise BootError(f"{owner}: unknown event phase {sub.phase!r}")
            key = f"{sub.event.name}:{sub.handler_id}"
            if key in self.owners:
                raise BootError(
                    f"duplicate event handler {sub.handler_id} for {sub.event.name!r} "
                    f"({self.owners[key]} and {owner})"
                )
            known = self.event_types.setdefault(sub.event.name, sub.event)
            if known is not sub.event:
                raise BootError(f"two event classes are named {sub.event.name!r}")
            self.owners[key] = owner
            ranked.append((sub.order, position, owner, sub))
        for _order, _pos, _owner, sub in sorted(ranked, key=lambda r: (r[0], r[1])):
            target = self._transaction if sub.phase == "transaction" else self._after_commit
            target.setdefault(sub.event.name, []).append(sub)
            if sub.phase == "after_commit":
                self.handlers[f"{sub.event.name}:{sub.handler_id}"] = sub

    def transaction_handlers(self, event_name: str) -> list[Subscription]:
        return list(self._transaction.get(event_name, ()))

    def after_commit_handlers(self, event_name: str) -> list[Subscription]:
        return list(self._after_commit.get(event_name, ()))

    def publish(self, session: Session, event: Event, env: Environment) -> None:
        for sub in self._transaction.get(event.name, ()):
            sub.handler(event, session=session, env=env)
        after = self._after_commit.get(event.name, ())
        if after:
            payload = json.dumps(event.to_payload(), ensure_ascii=False, sort_keys=True)
            for sub in after:
                session.add(
                    OutboxMessage(
                        event_name=event.name,
                        handler_id=f"{event.name}:{sub.handler_id}",
                        payload=payload,
                    )
                )


def publish(session: Session, event: Event) -> None:
    """Publish ``event`` within the unit of work ``session`` belongs to."""
    env = session.info.get(ENV_KEY)
    if env is None:
        raise RuntimeError("publish() needs a session from Environment.unit_of_work()")
    env.events.publish(session, event, env)
