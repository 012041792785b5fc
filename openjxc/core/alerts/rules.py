"""What an addon declares: alert rules and the conditions they find.

A rule is a question asked of the database again and again ("which products are below
their safety stock?"); each answer is a *condition* with a stable key.  The kernel keeps
one open alert per (rule, condition) and closes it when the condition stops being found,
so a rule never has to remember what it reported before::

    from openjxc.core.alerts import AlertCondition, AlertRule, Severity
    from openjxc.core.i18n import _

    def below_safety(session, env, now):
        for level in session.scalars(select(StockLevel).where(...)):
            yield AlertCondition(
                f"product:{level.product_id}:warehouse:{level.warehouse_id}",
                _("{code} in {warehouse}: {quantity} left, safety level {safety}"),
                params={"code": ..., "warehouse": ..., "quantity": ..., "safety": ...},
                subject={"product": level.product_id, "warehouse": level.warehouse_id},
            )

    @hookimpl
    def register_alert_rules():
        return [AlertRule("stock.below_safety", _("Stock below safety level"),
                          below_safety, severity=Severity.WARNING,
                          schedule_seconds=900, on_events=(StockMoved,))]

Messages are msgids (marked with ``_`` so the catalogue extractor finds them) plus
parameters; they are translated when read, in the reader's language.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any

from openjxc.core.events import Event
from openjxc.core.i18n import LazyString, _

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from openjxc.core.env import Environment

RULE_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
MAX_RULE_KEY = 128
MAX_CONDITION_KEY = 255
MAX_MESSAGE = 500


class Severity(StrEnum):
    """How urgent an alert is; channels and screens may filter or colour by it."""

    __labels__ = {"INFO": _("Info"), "WARNING": _("Warning"), "CRITICAL": _("Critical")}

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"


def msgid_of(text: str | LazyString) -> str:
    """The msgid behind ``_("…")`` or a plain string (rules may pass either)."""
    return text.msgid if isinstance(text, LazyString) else str(text)


def json_safe(value: Any) -> Any:
    """``value`` as JSON: alert parameters are stored in a JSON column and sent to
    channels, so decimals become strings (never floats) and dates ISO 8601."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return json_safe(value.value)
    if isinstance(value, LazyString):
        return value.msgid
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    raise TypeError(f"alert parameter {value!r} ({type(value).__name__}) is not JSON-able")


@dataclass(frozen=True)
class AlertCondition:
    """One thing a rule found wrong, e.g. product 42 short in warehouse 3.

    ``condition_key`` identifies it across evaluations: the same key next time means "still
    the same problem" (no new alert), a missing key means "solved" (the alert resolves).
    ``subject`` names the records concerned (``{"product": 42, "warehouse": 3}``) so that
    screens can link to them.  ``severity`` overrides the rule's for this condition.
    """

    condition_key: str
    message: str | LazyString
    params: Mapping[str, Any] = field(default_factory=dict)
    subject: Mapping[str, int | str] = field(default_factory=dict)
    severity: Severity | None = None

    def __post_init__(self) -> None:
        if not self.condition_key or len(self.condition_key) > MAX_CONDITION_KEY:
            raise ValueError(
                f"condition_key must be 1 to {MAX_CONDITION_KEY} characters: "
                f"{self.condition_key!r}"
            )
        if len(msgid_of(self.message)) > MAX_MESSAGE:
            raise ValueError(f"alert message longer than {MAX_MESSAGE} characters")

    @property
    def message_msgid(self) -> str:
        return msgid_of(self.message)

    @property
    def message_params(self) -> dict[str, Any]:
        """Parameters of a lazy message, overridden by explicit ``params``, as JSON."""
        inherited = self.message.params if isinstance(self.message, LazyString) else {}
        return json_safe({**inherited, **self.params})


Evaluator = Callable[["Session", "Environment", datetime], Iterable[AlertCondition]]
"""``evaluate(session, env, now)``: read-only queries, yielding the conditions that hold."""


@dataclass(frozen=True)
class AlertRule:
    """An alert an addon declares.

    ``key`` is ``area.name`` (``stock.below_safety``) and unique in an environment.
    ``evaluate`` runs in a transaction of its own, holding the rule's lock (so two
    workers never evaluate the same rule at once); it must only read.
    ``schedule_seconds`` is how often the worker evaluates it (None: only on events or on
    request); ``on_events`` are event classes (or names of events the environment knows)
    after which it is evaluated again, soon after their transaction commits.
    """

    key: str
    title: str | LazyString
    evaluate: Evaluator
    severity: Severity = Severity.WARNING
    schedule_seconds: int | None = 300
    on_events: tuple[type[Event] | str, ...] = ()

    @property
    def title_msgid(self) -> str:
        return msgid_of(self.title)

    @property
    def event_names(self) -> tuple[str, ...]:
        return tuple(e if isinstance(e, str) else e.name for e in self.on_events)

    def problems(self) -> list[str]:
        """What is wrong with this declaration (checked at boot, reported with its owner)."""
        found = []
        if not (isinstance(self.key, str) and len(self.key) <= MAX_RULE_KEY
                and RULE_KEY.match(self.key)):
            found.append(f"rule key {self.key!r} must read 'area.name' (lowercase, digits, _)")
        if not callable(self.evaluate):
            found.append(f"rule {self.key!r}: evaluate is not callable")
        if not isinstance(self.severity, Severity):
            try:
                Severity(self.severity)
            except ValueError:
                found.append(f"rule {self.key!r}: unknown severity {self.severity!r}")
        if self.schedule_seconds is not None and (
            not isinstance(self.schedule_seconds, int) or self.schedule_seconds <= 0
        ):
            found.append(f"rule {self.key!r}: schedule_seconds must be a positive int or None")
        for event in self.on_events:
            if not (isinstance(event, str) or (isinstance(event, type)
                                               and issubclass(event, Event) and event.name)):
                found.append(f"rule {self.key!r}: on_events holds {event!r}, not an event")
        return found
