"""The alerting of one environment: its rules, channels, broadcaster and the wiring to
events and to the outbox.

``Alerting.for_environment(env)`` builds it once per environment (cached in
``env.extensions``, never in a module global, so two editions in one process keep their
own) and fails loudly on a bad declaration: a duplicate rule key or channel name, a
malformed rule, an event name nobody knows.  Building it also

* registers one outbox consumer per channel (``channel:<name>``), so that the outbox
  worker delivers the rows that opening an alert enqueued;
* subscribes, in-transaction, to every event a rule lists in ``on_events``: the handler
  inserts a :class:`~.models.AlertTrigger` row in the publisher's transaction (no trigger
  for a rolled-back operation, none lost for a committed one), and the scheduler evaluates
  the rule on its next pass.

Whoever publishes events must therefore use an environment whose alerting is built: the
worker and the API server build it at start-up (``AlertScheduler(env)`` does).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from openjxc.core.alerts.broadcast import AlertBroadcaster
from openjxc.core.alerts.channels import AlertChannel, ChannelConfig
from openjxc.core.alerts.models import AlertChannelConfig, AlertTrigger
from openjxc.core.alerts.rules import AlertRule, Severity
from openjxc.core.errors import BootError
from openjxc.core.events import Event, EventBus, Subscription
from openjxc.core.i18n import Translator, enum_label, normalize_locale
from openjxc.core.models import utcnow
from openjxc.core.outbox import Delivery, register_consumer

if TYPE_CHECKING:
    from openjxc.core.env import Environment

log = logging.getLogger(__name__)

_ENV_KEY = "openjxc.core.alerts"
KERNEL_OWNER = "core"
#: Outbox rows for channels are ``channel:<name>``; the outbox routes by this prefix.
CHANNEL_PREFIX = "channel"
CHANNEL_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,47}$")
#: Serialises first builds: two threads wiring one environment would register its
#: outbox consumers twice.  (A lock, not state: what it guards lives in the environment.)
_BUILDING = threading.Lock()


class Alerting:
    """Rules and channels of one environment, checked; see the module docstring."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.rules: dict[str, AlertRule] = {}
        self.rule_owner: dict[str, str] = {}
        self.channels: dict[str, AlertChannel] = {}
        self.channel_owner: dict[str, str] = {}
        self.broadcaster = AlertBroadcaster()
        self.translator = Translator.for_environment(env)
        self._collect_rules()
        self._collect_channels()
        self.listeners = self._resolve_events()

    @classmethod
    def for_environment(cls, env: Environment) -> Alerting:
        """The environment's alerting, built and wired on first use."""
        cached = env.extensions.get(_ENV_KEY)
        if isinstance(cached, Alerting):
            return cached
        with _BUILDING:
            cached = env.extensions.get(_ENV_KEY)
            if isinstance(cached, Alerting):
                return cached
            alerting = cls(env)
            alerting._wire()
            env.extensions[_ENV_KEY] = alerting
            return alerting

    # -- building -----------------------------------------------------------------------

    def _collect_rules(self) -> None:
        for owner, rules in self.env.contributions("register_alert_rules"):
            for rule in rules:
                if not isinstance(rule, AlertRule):
                    raise BootError(f"{owner}: register_alert_rules returned {rule!r}, "
                                    f"not an AlertRule")
                problems = rule.problems()
                if problems:
                    raise BootError(f"{owner}: {'; '.join(problems)}")
                if rule.key in self.rules:
                    raise BootError(f"duplicate alert rule {rule.key!r} "
                                    f"({self.rule_owner[rule.key]} and {owner})")
                self.rules[rule.key] = rule
                self.rule_owner[rule.key] = owner

    def _collect_channels(self) -> None:
        for owner, channels in self.env.contributions("register_alert_channels"):
            for channel in channels:
                name = getattr(channel, "name", None)
                if not isinstance(channel, AlertChannel) or not isinstance(name, str):
                    raise BootError(f"{owner}: alert channel {channel!r} needs a name and "
                                    f"a deliver(alert_payload, config) method")
                if not CHANNEL_NAME.match(name):
                    raise BootError(f"{owner}: alert channel name {name!r} must be lowercase "
                                    f"letters, digits, '_' or '-'")
                if name in self.channels:
                    raise BootError(f"duplicate alert channel {name!r} "
                                    f"({self.channel_owner[name]} and {owner})")
                self.channels[name] = channel
                self.channel_owner[name] = owner

    def _resolve_events(self) -> dict[type[Event], list[str]]:
        """Event class → keys of the rules to re-evaluate after it.  A name is resolved
        among the events some handler or some rule names by class."""
        known = dict(self.env.events.event_types)
        for rule in self.rules.values():
            known.update((e.name, e) for e in rule.on_events if not isinstance(e, str))
        listeners: dict[type[Event], list[str]] = {}
        for key, rule in self.rules.items():
            for event in rule.on_events:
                if isinstance(event, str):
                    if event not in known:
                        raise BootError(
                            f"{self.rule_owner[key]}: alert rule {key!r} listens to "
                            f"{event!r}, an event this environment does not know; pass "
                            f"the event class instead of its name")
                    event = known[event]
                listeners.setdefault(event, []).append(key)
        return listeners

    def _wire(self) -> None:
        for name in self.channels:
            prefix = f"{CHANNEL_PREFIX}:{name}"
            try:
                register_consumer(self.env, prefix, deliver_to_channel)
            except ValueError as exc:
                raise BootError(f"alert channel {name!r}: {exc}") from exc
        missing = [(KERNEL_OWNER, sub) for sub in trigger_subscriptions(self.listeners)
                   if f"{sub.event.name}:{sub.handler_id}" not in self.env.events.owners]
        if missing:
            # The bus is rebuilt from the same hooks it was built from at boot, plus the
            # trigger subscriptions, so that nothing another part subscribed is lost.
            contributed = [(owner, sub) for owner, subs in
                           self.env.contributions("register_event_handlers") for sub in subs]
            self.env.events = EventBus([*contributed, *missing])

    # -- use ----------------------------------------------------------------------------

    def rules_after(self, event: Event) -> list[str]:
        return list(self.listeners.get(type(event), ()))

    def render(self, alert: Mapping[str, Any], locale: str | None = None) -> dict[str, str]:
        """An alert's title, message and severity as text in ``locale`` (default: the
        deployment's), for channels that send words rather than data."""
        locale = normalize_locale(locale) or self.translator.default_locale
        params = alert.get("params") or {}
        with self.translator.activate(locale):
            try:
                severity = enum_label(Severity(alert["severity"]), locale)
            except ValueError:
                severity = str(alert["severity"])
            try:
                message = self.translator.translate(alert["message"], locale, **params)
            except (KeyError, IndexError, ValueError):
                # A rule whose message names a parameter it did not give: deliver the
                # raw message rather than never deliver at all.
                log.warning("alert %s: message %r does not fit its parameters",
                            alert.get("id"), alert["message"])
                message = alert["message"]
            return {
                "locale": locale,
                "title": self.translator.translate(alert["title"], locale),
                "message": message,
                "severity": severity,
            }

    def channel_config(self, config_id: int) -> ChannelConfig | None:
        with self.env.unit_of_work(readonly=True) as session:
            row = session.get(AlertChannelConfig, config_id)
            return ChannelConfig.from_row(row, self.env.settings) if row else None



def trigger_subscriptions(listeners: Mapping[type[Event], list[str]]) -> list[Subscription]:
    """One in-transaction subscription per event some rule listens to."""
    return [Subscription(event, record_triggers, phase="transaction") for event in listeners]


def record_triggers(event: Event, *, session: Session, env: Environment) -> None:
    """Ask for the rules listening to ``event`` to be evaluated again (in the publisher's
    transaction: committed with it or not at all).

    One plain multi-row insert on the session's connection rather than ORM objects: every
    posting publishes an event, and flushing ORM rows at commit cost a busy stock engine
    more than its own balance updates (bench_stock).
    """
    rules = Alerting.for_environment(env).rules_after(event)
    if not rules:
        return
    now = utcnow()
    session.connection().execute(insert(AlertTrigger), [
        {"rule_key": rule_key, "event_name": event.name, "created_at": now}
        for rule_key in rules])


def deliver_to_channel(delivery: Delivery, *, env: Environment) -> None:
    """The outbox consumer of ``channel:<name>`` rows: one alert to one configured target.

    The target is read at delivery time, so a corrected address or a rotated secret
    applies to retries; a target deactivated or deleted since is skipped, not retried.
    """
    alerting = Alerting.for_environment(env)
    name = delivery.handler_id.split(":", 2)[1]
    channel = alerting.channels.get(name)
    if channel is None:
        raise LookupError(f"alert channel {name!r} is not in this environment")
    body = delivery.payload
    config = alerting.channel_config(int(body["config_id"]))
    if config is None or not config.active:
        log.info("alert %s: target %s is gone or inactive; not delivered",
                 body["alert"]["id"], body["config_id"])
        return
    locale = normalize_locale(config.locale) or alerting.translator.default_locale
    payload = {
        **body["alert"],
        "type": body["type"],
        "delivery_id": body["delivery_id"],
        "text": alerting.render(body["alert"], locale),
    }
    with alerting.translator.activate(locale):
        channel.deliver(payload, config)
