"""Evaluating rules: open, refresh and resolve alerts; the schedule that drives it.

Each rule is evaluated in a transaction of its own, so one failing rule neither blocks
nor rolls back the others.  That transaction

1. locks the rule's :class:`~.models.AlertRuleState` row (``FOR UPDATE``; SQLite's
   ``BEGIN IMMEDIATE`` serialises anyway), so two workers evaluating the same rule take
   turns, and the second sees the alerts the first opened: no duplicates, no double
   e-mails.  The unique partial index on active alerts is the backstop;
2. takes the rule's pending event triggers, then asks the rule for its conditions;
3. reconciles: a new condition opens an alert, a known one refreshes ``last_seen`` and its
   message, a vanished one is resolved (if it comes back later, a *new* alert opens);
4. owes each newly opened alert to every active channel target whose rule filter
   matches, through the outbox (``channel:<name>``): delivered after commit, retried with
   backoff, dead-lettered after ``Settings.outbox_max_attempts``;
5. records the run and the next due time, and deletes the triggers it consumed.

After the commit, opened and resolved alerts are published to the broadcaster.

``AlertScheduler(env).run_due()`` is what the worker calls every few seconds: it evaluates
the rules whose schedule has come and those an event triggered.  A rule that failed is
retried on its schedule (at most :data:`FAILURE_RETRY_SECONDS` later), not on every pass.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from openjxc.core.alerts.broadcast import AlertNotice
from openjxc.core.alerts.channels import rules_match
from openjxc.core.alerts.models import (
    Alert,
    AlertChannelConfig,
    AlertRuleState,
    AlertStatus,
    AlertTrigger,
)
from openjxc.core.alerts.registry import CHANNEL_PREFIX, Alerting
from openjxc.core.alerts.rules import AlertCondition, AlertRule, json_safe
from openjxc.core.db import lock_or_create, retry_transient
from openjxc.core.models import utcnow
from openjxc.core.outbox import enqueue

if TYPE_CHECKING:
    from openjxc.core.env import Environment

log = logging.getLogger(__name__)

#: A failed rule is tried again after its schedule, but never later than this.
FAILURE_RETRY_SECONDS = 300
OPENED_EVENT = "alert.opened"
_CHUNK = 500
_MAX_ERROR_CHARS = 4000

Clock = Callable[[], datetime]


@dataclass
class RuleOutcome:
    """What one evaluation of one rule did (ids of the alerts it opened and resolved)."""

    rule_key: str
    opened: list[int] = field(default_factory=list)
    resolved: list[int] = field(default_factory=list)
    active: int = 0
    deliveries: int = 0
    error: str | None = None


@dataclass
class EvaluationReport:
    outcomes: list[RuleOutcome] = field(default_factory=list)

    @property
    def evaluated(self) -> list[str]:
        return [o.rule_key for o in self.outcomes]

    @property
    def opened(self) -> list[int]:
        return [i for o in self.outcomes for i in o.opened]

    @property
    def resolved(self) -> list[int]:
        return [i for o in self.outcomes for i in o.resolved]

    @property
    def failed(self) -> dict[str, str]:
        return {o.rule_key: o.error for o in self.outcomes if o.error is not None}


def evaluate_rules(env: Environment, now: datetime | None = None,
                   rule_keys: Iterable[str] | None = None) -> EvaluationReport:
    """Evaluate ``rule_keys`` (default: every rule of ``env``) as of ``now``.

    A rule that raises is reported in ``report.failed`` and logged; the others go on.
    """
    alerting = Alerting.for_environment(env)
    keys = list(alerting.rules) if rule_keys is None else list(dict.fromkeys(rule_keys))
    unknown = [k for k in keys if k not in alerting.rules]
    if unknown:
        raise ValueError(f"unknown alert rules: {', '.join(unknown)}")
    moment = now or utcnow()
    report = EvaluationReport()
    for key in keys:
        report.outcomes.append(_evaluate(env, alerting, alerting.rules[key], moment))
    return report


def _evaluate(env: Environment, alerting: Alerting, rule: AlertRule,
              now: datetime) -> RuleOutcome:
    notices: list[AlertNotice] = []

    def attempt() -> RuleOutcome:
        notices.clear()
        with env.unit_of_work() as session:
            return _reconcile(session, env, alerting, rule, now, notices)

    try:
        outcome = retry_transient(attempt)
    except Exception as exc:
        log.exception("alert rule %s failed", rule.key)
        error = "".join(traceback.format_exception(exc))[-_MAX_ERROR_CHARS:]
        _record_failure(env, rule, now, error)
        return RuleOutcome(rule.key, error=f"{type(exc).__name__}: {exc}")
    for notice in notices:  # committed: now others may hear of it
        alerting.broadcaster.publish(notice)
    return outcome


def _reconcile(session: Session, env: Environment, alerting: Alerting, rule: AlertRule,
               now: datetime, notices: list[AlertNotice]) -> RuleOutcome:
    state = lock_rule(session, rule.key)
    trigger_ids = list(session.scalars(
        select(AlertTrigger.id).where(AlertTrigger.rule_key == rule.key)))
    conditions = _conditions(rule, rule.evaluate(session, env, now))
    active = {
        alert.condition_key: alert
        for alert in session.scalars(
            select(Alert).where(Alert.rule_key == rule.key,
                                Alert.status != AlertStatus.RESOLVED.value))
    }
    outcome = RuleOutcome(rule.key, active=len(conditions))
    opened: list[Alert] = []
    for key, condition in conditions.items():
        alert = active.pop(key, None)
        if alert is None:
            alert = Alert(rule_key=rule.key, condition_key=key,
                          owner=alerting.rule_owner[rule.key], status=AlertStatus.OPEN.value,
                          title=rule.title_msgid, first_seen=now)
            session.add(alert)
            opened.append(alert)
        alert.last_seen = now
        alert.severity = str(condition.severity or rule.severity)
        alert.message = condition.message_msgid
        alert.params = condition.message_params
        alert.subject = json_safe(dict(condition.subject))
    for alert in active.values():
        alert.status = AlertStatus.RESOLVED.value
        alert.resolved_at = now
    session.flush()
    for alert in opened:
        outcome.opened.append(alert.id)
        outcome.deliveries += _owe_deliveries(session, alerting, alert)
        notices.append(AlertNotice("opened", alert.to_payload()))
    for alert in active.values():
        outcome.resolved.append(alert.id)
        notices.append(AlertNotice("resolved", alert.to_payload()))
    for start in range(0, len(trigger_ids), _CHUNK):
        session.execute(delete(AlertTrigger)
                        .where(AlertTrigger.id.in_(trigger_ids[start:start + _CHUNK]))
                        .execution_options(synchronize_session=False))
    state.last_run_at = now
    state.next_run_at = (now + timedelta(seconds=rule.schedule_seconds)
                         if rule.schedule_seconds else None)
    state.last_error = None
    return outcome


def _conditions(rule: AlertRule, found: Iterable[AlertCondition]
                ) -> dict[str, AlertCondition]:
    conditions: dict[str, AlertCondition] = {}
    for condition in found:
        if not isinstance(condition, AlertCondition):
            raise TypeError(f"rule {rule.key} yielded {condition!r}, not an AlertCondition")
        if condition.condition_key in conditions:
            log.warning("rule %s found condition %s twice; keeping the first",
                        rule.key, condition.condition_key)
            continue
        conditions[condition.condition_key] = condition
    return conditions


def _owe_deliveries(session: Session, alerting: Alerting, alert: Alert) -> int:
    count = 0
    configs = session.scalars(
        select(AlertChannelConfig).where(AlertChannelConfig.active.is_(True))
        .order_by(AlertChannelConfig.id))
    for config in configs:
        if config.channel not in alerting.channels:
            log.warning("alert target %s uses channel %r, absent from this environment",
                        config.id, config.channel)
            continue
        if not rules_match(config.rules, alert.rule_key):
            continue
        enqueue(session, handler_id=f"{CHANNEL_PREFIX}:{config.channel}",
                event_name=OPENED_EVENT,
                payload={"config_id": config.id, "type": OPENED_EVENT,
                         "delivery_id": f"alert-{alert.id}-cfg-{config.id}",
                         "alert": alert.to_payload()})
        count += 1
    return count


def lock_rule(session: Session, rule_key: str) -> AlertRuleState:
    """The rule's state row, locked until the transaction ends (created if missing)."""
    return lock_or_create(
        session, select(AlertRuleState).where(AlertRuleState.rule_key == rule_key),
        lambda: AlertRuleState(rule_key=rule_key))


def _record_failure(env: Environment, rule: AlertRule, now: datetime, error: str) -> None:
    retry = min(rule.schedule_seconds or FAILURE_RETRY_SECONDS, FAILURE_RETRY_SECONDS)

    def work() -> None:
        with env.unit_of_work() as session:
            state = lock_rule(session, rule.key)
            state.last_run_at = now
            state.next_run_at = now + timedelta(seconds=retry)
            state.last_error = error

    try:
        retry_transient(work)
    except Exception:
        log.exception("recording the failure of alert rule %s failed", rule.key)


class AlertScheduler:
    """Runs the rules that are due; what ``openjxc worker`` calls between outbox batches.

    ``now`` is injectable so that tests move time by hand.
    """

    def __init__(self, env: Environment, *, now: Clock = utcnow) -> None:
        self.env = env
        self.alerting = Alerting.for_environment(env)
        self._now = now

    def due_rules(self, now: datetime | None = None) -> list[str]:
        """Rules whose schedule has come, or which an event asked for (unless they are
        waiting out a failure)."""
        moment = now or self._now()
        with self.env.unit_of_work(readonly=True) as session:
            states = {s.rule_key: s for s in session.scalars(select(AlertRuleState))}
            triggered = set(session.scalars(select(AlertTrigger.rule_key).distinct()))
        due = []
        for key, rule in self.alerting.rules.items():
            state = states.get(key)
            next_run = state.next_run_at if state is not None else None
            scheduled = rule.schedule_seconds is not None and (
                next_run is None or next_run <= moment)
            failing = state is not None and state.last_error is not None
            waiting = failing and next_run is not None and next_run > moment
            if scheduled or (key in triggered and not waiting):
                due.append(key)
        orphans = triggered - set(self.alerting.rules)
        if orphans:  # rules of an addon no longer installed: nobody will consume these
            with self.env.unit_of_work() as session:
                session.execute(delete(AlertTrigger)
                                .where(AlertTrigger.rule_key.in_(sorted(orphans))))
        return due

    def run_due(self, now: datetime | None = None) -> EvaluationReport:
        """Evaluate every due rule as of ``now``."""
        moment = now or self._now()
        due = self.due_rules(moment)
        if not due:
            return EvaluationReport()
        return evaluate_rules(self.env, moment, due)

    def run_forever(self, stop_event: threading.Event, poll_interval: float = 5.0) -> None:
        """Run due rules until ``stop_event`` is set; a failing pass is logged, not fatal."""
        while not stop_event.is_set():
            try:
                self.run_due()
            except Exception:
                log.exception("alert scheduler pass failed")
            stop_event.wait(poll_interval)
