"""Alerts in the API: ``alerts``, ``alertAcknowledge`` and the ``alertOpened`` /
``alertChanged`` subscriptions.

An alert's title and message are stored as msgids with parameters and rendered here in
the reader's language, exactly as the alert channels render them
(:meth:`~openjxc.core.alerts.Alerting.render`), so the e-mail and the screen agree.

Subscriptions are fed by the environment's :class:`~openjxc.core.alerts.AlertBroadcaster`,
which publishes only after commit: a subscriber never hears of an alert that was rolled
back.  It reaches subscribers of this process only (see its module for the seam a
multi-process deployment needs).
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping, Sequence
from datetime import datetime
from enum import Enum
from typing import Any, ClassVar, cast

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from openjxc.core import alerts as core_alerts
from openjxc.core.alerts import Alerting
from openjxc.core.alerts import models as alert_models
from openjxc.graphql.context import align, get_session
from openjxc.graphql.fields import field, mutation, subscription
from openjxc.graphql.filters import apply_filter_extensions
from openjxc.graphql.pagination import Connection, paginate
from openjxc.graphql.relay import Node, from_global_id

from .errors import AlertError, AlertErrorCode, Messages, payload_error
from .identity import User, user_loader

READ = "core.alert.read"
AlertRow = alert_models.Alert


@strawberry.enum(description="open → acknowledged (someone is on it) → resolved (the "
                             "condition went away).")
class AlertStatus(Enum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


@strawberry.enum(description="How urgent an alert is.")
class AlertSeverity(Enum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


@strawberry.type(description="A record an alert is about, e.g. kind \"product\", key \"42\".")
class AlertSubject:
    kind: str
    key: str


def _datetime(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


@strawberry.type(description="Something an addon's rule found wrong, from first seen until "
                             "it stops holding.")
class Alert(Node):
    node_permission: ClassVar[str] = READ

    rule_key: str
    owner: str = strawberry.field(description="The addon whose rule raised it.")
    status: AlertStatus
    severity: AlertSeverity
    subject: list[AlertSubject]
    first_seen: datetime
    last_seen: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    acknowledged_by_id: strawberry.Private[int | None]
    #: What rendering the title and message needs (the payload channels receive).
    texts: strawberry.Private[Mapping[str, Any]]

    @strawberry.field(description="The rule's title, in the reader's language.")
    def title(self, info: Info[Any, Any]) -> str:
        return self._rendered(info)["title"]

    @strawberry.field(description="What was found, in the reader's language.")
    def message(self, info: Info[Any, Any]) -> str:
        return self._rendered(info)["message"]

    @field(permission="core.user.read", description="Who acknowledged it first.")
    async def acknowledged_by(self, info: Info[Any, Any]) -> User | None:
        if self.acknowledged_by_id is None:
            return None
        user: User | None = await user_loader(info).load(self.acknowledged_by_id)
        return user

    def _rendered(self, info: Info[Any, Any]) -> dict[str, str]:
        alerting = Alerting.for_environment(info.context.env)
        return alerting.render(self.texts, getattr(info.context, "locale", None))

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> Alert:
        """From :meth:`~openjxc.core.alerts.Alert.to_payload`, the shape subscribers get."""
        subject = payload.get("subject") or {}
        return cls(
            pk=payload["id"], rule_key=payload["rule_key"], owner=payload["owner"],
            status=AlertStatus(payload["status"]), severity=AlertSeverity(payload["severity"]),
            subject=[AlertSubject(kind=str(k), key=str(v)) for k, v in sorted(subject.items())],
            first_seen=_datetime(payload["first_seen"]),  # type: ignore[arg-type]
            last_seen=_datetime(payload["last_seen"]),  # type: ignore[arg-type]
            acknowledged_at=_datetime(payload.get("acknowledged_at")),
            resolved_at=_datetime(payload.get("resolved_at")),
            acknowledged_by_id=payload.get("acknowledged_by"),
            texts={k: payload.get(k) for k in ("id", "title", "message", "params",
                                                "severity")},
        )

    @classmethod
    def from_row(cls, row: AlertRow) -> Alert:
        # Through the payload, so that a row read here and a subscriber's notice can
        # never disagree on what an alert looks like.
        return cls.from_payload(row.to_payload())

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[Alert | None]:
        rows = get_session(info).scalars(select(AlertRow).where(AlertRow.id.in_(pks)))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda a: a.pk)


@strawberry.input(description="Narrow the alert list; all given conditions must hold.")
class AlertFilter:
    status: list[AlertStatus] | None = strawberry.field(
        default=None, description="Any of these statuses ([OPEN, ACKNOWLEDGED]: everything "
                                  "still going on).")
    severity: list[AlertSeverity] | None = None
    rule_key: str | None = None
    owner: str | None = strawberry.field(default=None,
                                         description="Only alerts raised by this addon.")


@strawberry.enum(description="The order of the alert list.")
class AlertSort(Enum):
    NEWEST = "newest"
    OLDEST = "oldest"
    RECENTLY_SEEN = "recently_seen"


_SORT_KEYS = {
    AlertSort.NEWEST: AlertRow.first_seen.desc(),
    AlertSort.OLDEST: AlertRow.first_seen.asc(),
    AlertSort.RECENTLY_SEEN: AlertRow.last_seen.desc(),
}


def alerts(info: Info[Any, Any], filter: AlertFilter | None = None,
           sort: AlertSort = AlertSort.NEWEST, first: int | None = None,
           after: str | None = None, last: int | None = None,
           before: str | None = None) -> Connection[Alert]:
    stmt = core_alerts.alerts_query(
        [s.value for s in filter.status] if filter and filter.status else None,
        rule_key=filter.rule_key if filter else None, owner=filter.owner if filter else None)
    if filter is not None and filter.severity:
        stmt = stmt.where(AlertRow.severity.in_([s.value for s in filter.severity]))
    stmt = apply_filter_extensions(info, "AlertFilter", stmt, filter)
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=[_SORT_KEYS[sort]], to_node=Alert.from_row,
                    info=info)


@strawberry.input(description="The alert someone is now taking care of.")
class AlertAcknowledgeInput:
    id: strawberry.ID


@strawberry.type(description="The acknowledged alert, or why it was not acknowledged.")
class AlertAcknowledgePayload:
    alert: Alert | None = None
    errors: list[AlertError]


def _alert_pk(global_id: str) -> int | None:
    # The shared canonical parser: ``"²"`` or a key past 64 bits is no alert's ID (an
    # answer of NOT_FOUND), never an INTERNAL_SERVER_ERROR from ``int()`` or the driver.
    type_name, raw = from_global_id(global_id)
    if type_name != "Alert":
        return None
    try:
        return cast(int, Alert.parse_pk(raw))
    except (TypeError, ValueError):
        return None


def alert_acknowledge(info: Info[Any, Any], input: AlertAcknowledgeInput,
                      ) -> AlertAcknowledgePayload:
    # Acknowledging an acknowledged alert is no error and keeps the first acknowledger
    # (two people clicking at once both see who took it); a resolved one has nothing
    # left to acknowledge.
    pk = _alert_pk(input.id)
    if pk is None:
        return AlertAcknowledgePayload(errors=[payload_error(
            info, AlertError, AlertErrorCode.NOT_FOUND, Messages.ALERT_NOT_FOUND, ["id"])])
    session = get_session(info)
    try:
        with session.begin_nested():
            row = core_alerts.acknowledge(session, pk, user_id=info.context.principal.user_id)
    except core_alerts.AlertNotFound:
        return AlertAcknowledgePayload(errors=[payload_error(
            info, AlertError, AlertErrorCode.NOT_FOUND, Messages.ALERT_NOT_FOUND, ["id"])])
    except core_alerts.AlertAlreadyResolved:
        return AlertAcknowledgePayload(errors=[payload_error(
            info, AlertError, AlertErrorCode.ALREADY_RESOLVED, Messages.ALERT_RESOLVED,
            ["id"])])
    return AlertAcknowledgePayload(alert=Alert.from_row(row), errors=[])


@strawberry.enum(description="What happened to an alert.")
class AlertChangeKind(Enum):
    OPENED = "opened"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


@strawberry.type(description="An alert that just changed, and how.")
class AlertChange:
    kind: AlertChangeKind
    alert: Alert


async def alert_changed(info: Info[Any, Any]) -> AsyncGenerator[AlertChange, None]:
    broadcaster = Alerting.for_environment(info.context.env).broadcaster
    async for notice in broadcaster.subscribe():
        yield AlertChange(kind=AlertChangeKind(notice.kind),
                          alert=Alert.from_payload(notice.alert))


async def alert_opened(info: Info[Any, Any]) -> AsyncGenerator[Alert, None]:
    broadcaster = Alerting.for_environment(info.context.env).broadcaster
    async for notice in broadcaster.subscribe():
        if notice.kind == "opened":
            yield Alert.from_payload(notice.alert)


alerts_field = field(alerts, permission=READ, name="alerts",
                     description="Alerts, filtered; newest first unless sorted otherwise.")
alert_acknowledge_field = mutation(alert_acknowledge, permission="core.alert.acknowledge",
                                   name="alertAcknowledge",
                                   description="Say that someone is taking care of an alert.")
alert_opened_field = subscription(alert_opened, permission=READ, name="alertOpened",
                                  description="Each alert as it opens (after its commit).")
alert_changed_field = subscription(alert_changed, permission=READ, name="alertChanged",
                                   description="Each alert as it opens, is acknowledged or "
                                               "resolves (after the commit).")
