"""The alert tables: alerts, each rule's schedule, pending event triggers, channel configs.

One *active* (open or acknowledged) alert per (rule, condition) is a database fact, not a
hope: a unique partial index over the rows whose status is not ``resolved`` (partial
indexes exist on both SQLite and PostgreSQL).  Resolved alerts are history and may repeat.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from openjxc.core.i18n import _
from openjxc.core.models import Base, UTCDateTime, utcnow


class AlertStatus(StrEnum):
    """open → acknowledged (someone is on it) → resolved (the condition went away)."""

    __labels__ = {
        "OPEN": _("Open"), "ACKNOWLEDGED": _("Acknowledged"), "RESOLVED": _("Resolved"),
    }

    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


#: Statuses of an alert whose condition still holds.
ACTIVE_STATUSES = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)
_ACTIVE_ONLY = text("status <> 'resolved'")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class Alert(Base):
    """One occurrence of a rule's condition, from first seen until it stops holding.

    ``title`` and ``message`` are msgids (with ``params``), translated when read, so one
    alert reads in Chinese for one user and in English for another.  ``owner`` is the
    addon whose rule raised it, kept so that alerts of an addon remain explicable after
    the addon is deactivated.
    """

    __tablename__ = "core_alert"
    __table_args__ = (
        Index("uq_core_alert_active_condition", "rule_key", "condition_key", unique=True,
              sqlite_where=_ACTIVE_ONLY, postgresql_where=_ACTIVE_ONLY),
        Index("ix_core_alert_status_first_seen", "status", "first_seen"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_key: Mapped[str] = mapped_column(String(128))
    condition_key: Mapped[str] = mapped_column(String(255))
    owner: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=AlertStatus.OPEN.value)
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(String(500))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    #: The records concerned, e.g. ``{"product": 42, "warehouse": 3}``.
    subject: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    first_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    acknowledged_by: Mapped[int | None] = mapped_column(
        ForeignKey("core_user.id", ondelete="SET NULL"), nullable=True
    )
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    @property
    def is_active(self) -> bool:
        return self.status != AlertStatus.RESOLVED

    def to_payload(self) -> dict[str, Any]:
        """The alert as JSON: what channels and subscribers receive."""
        return {
            "id": self.id,
            "rule_key": self.rule_key,
            "condition_key": self.condition_key,
            "owner": self.owner,
            "status": self.status,
            "severity": self.severity,
            "title": self.title,
            "message": self.message,
            "params": dict(self.params or {}),
            "subject": dict(self.subject or {}),
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "acknowledged_by": self.acknowledged_by,
            "acknowledged_at": _iso(self.acknowledged_at),
            "resolved_at": _iso(self.resolved_at),
        }

    def __repr__(self) -> str:
        return f"<Alert {self.id} {self.rule_key} {self.condition_key} {self.status}>"


class AlertRuleState(Base):
    """When a rule last ran and is next due; its row is also the rule's lock.

    Evaluations of one rule take this row ``FOR UPDATE`` first, so two workers never
    evaluate the same rule at once (on SQLite ``BEGIN IMMEDIATE`` already serialises them).
    """

    __tablename__ = "core_alert_rule_state"

    rule_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    next_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: The last evaluation's failure, cleared by the next success.
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)


class AlertTrigger(Base):
    """A request to evaluate a rule again, written in the transaction of an event the rule
    listens to and consumed by the evaluation that follows.

    Insert-only, so that busy business transactions (every stock move) never queue on a
    shared row; many triggers of one rule coalesce into a single evaluation.
    """

    __tablename__ = "core_alert_trigger"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_key: Mapped[str] = mapped_column(String(128), index=True)
    event_name: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AlertChannelConfig(Base):
    """Where alerts go: a channel (``email``, ``webhook``, an addon's ``sms`` …) and its
    target (addresses, URL, phone numbers), optionally limited to some rules.

    ``rules`` is a list of rule-key patterns (``stock.*``, ``sales.overdue``); None means
    every rule.  ``secret`` signs webhooks (``whsec_…``); it has to be stored readable
    because the HMAC needs it.  ``locale`` is the language messages are written in
    (None: the deployment's default).
    """

    __tablename__ = "core_alert_channel_config"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    channel: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(1000))
    secret: Mapped[str | None] = mapped_column(String(255), nullable=True)
    rules: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)
    locale: Mapped[str | None] = mapped_column(String(16), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def __repr__(self) -> str:
        return f"<AlertChannelConfig {self.id} {self.channel} {self.target!r}>"


ALERT_MODELS: tuple[type[Base], ...] = (Alert, AlertRuleState, AlertTrigger, AlertChannelConfig)
