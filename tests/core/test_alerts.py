"""Alerts: one active alert per condition however often a rule finds it, resolved when it
goes away and opened anew when it returns, acknowledged by a user, safe under racing
workers; and listing them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.exc import IntegrityError
from test_alerts_support import (
    T0,
    AddonFactory,
    EnvFactory,
    Facts,
    add_user,
    alerts,
    build_env,
    make_addon,
    outbox_rows,
)

from openjxc.core.alerts import (
    Alert,
    AlertAlreadyResolved,
    AlertCondition,
    AlertNotFound,
    AlertRule,
    AlertStatus,
    Severity,
    acknowledge,
    configure_channel,
    evaluate_rules,
    list_alerts,
)
from openjxc.core.env import Environment

__all__ = ["build_env", "make_addon"]  # fixtures, shared with the other alert tests


# -- one alert per condition ----------------------------------------------------------------

def test_repeated_evaluations_keep_one_alert_per_condition_and_refresh_it(
    make_addon: AddonFactory, build_env: EnvFactory
) -> None:
    facts = Facts()
    env = build_env(make_addon([facts.rule()]))
    with env.unit_of_work() as session:
        configure_channel(session, env, channel="email", target="buyer@example.com")
    facts.shortages["product:42:warehouse:3"] = {"code": "P-42", "quantity": Decimal("2.50")}

    first = evaluate_rules(env, T0)
    for minutes in (5, 10, 15):
        report = evaluate_rules(env, T0 + timedelta(minutes=minutes))
        assert report.opened == [] and report.resolved == []
    facts.shortages["product:42:warehouse:3"]["quantity"] = Decimal("1.00")
    evaluate_rules(env, T0 + timedelta(minutes=20))

    (alert,) = alerts(env)
    assert first.opened == [alert.id]
    assert (alert.rule_key, alert.condition_key, alert.status) == (
        "stock.below_safety", "product:42:warehouse:3", "open")
    assert alert.owner == env.addon_names[0]
    assert (alert.first_seen, alert.last_seen) == (T0, T0 + timedelta(minutes=20))
    assert (alert.title, alert.message) == ("Stock below safety level", "{code}: {quantity} left")
    assert alert.params == {"code": "P-42", "quantity": "1.00"}  # decimals stay exact
    assert (alert.subject, alert.severity) == ({"product": 42}, "warning")
    # One delivery owed for the one alert, however often the rule found it.
    assert [(r.handler_id, r.status) for r in outbox_rows(env)] == [("channel:email", "pending")]


def test_a_condition_that_goes_away_resolves_and_a_new_alert_opens_when_it_returns(
    make_addon: AddonFactory, build_env: EnvFactory
) -> None:
    facts = Facts()
    env = build_env(make_addon([facts.rule()]))
    facts.shortages = {"product:1:warehouse:1": {"code": "A", "quantity": 0},
                       "product:2:warehouse:1": {"code": "B", "quantity": 0}}
    evaluate_rules(env, T0)

    del facts.shortages["product:1:warehouse:1"]
    report = evaluate_rules(env, T0 + timedelta(hours=1))
    first_a, only_b = alerts(env)
    assert report.resolved == [first_a.id] and report.opened == []
    assert (first_a.status, first_a.resolved_at) == ("resolved", T0 + timedelta(hours=1))
    assert (only_b.status, only_b.resolved_at) == ("open", None)

    facts.shortages["product:1:warehouse:1"] = {"code": "A", "quantity": 0}
    report = evaluate_rules(env, T0 + timedelta(hours=2))
    first_a, only_b, second_a = alerts(env)
    assert report.opened == [second_a.id]
    assert second_a.condition_key == first_a.condition_key
    assert (second_a.status, second_a.first_seen) == ("open", T0 + timedelta(hours=2))
    assert first_a.status == "resolved"  # history is kept, not reopened


def test_a_condition_may_raise_the_severity_of_its_rule(
    make_addon: AddonFactory, build_env: EnvFactory
) -> None:
    facts = Facts()
    env = build_env(make_addon([facts.rule(severity=Severity.INFO)]))
    facts.shortages = {"product:1:w:1": {"code": "A", "quantity": 0,
                                         "severity": Severity.CRITICAL},
                       "product:2:w:1": {"code": "B", "quantity": 1}}
    evaluate_rules(env, T0)
    assert [a.severity for a in alerts(env)] == ["critical", "info"]


def test_the_database_refuses_a_second_active_alert_for_one_condition(
    build_env: EnvFactory,
) -> None:
    env = build_env()

    def alert(status: str) -> Alert:
        return Alert(rule_key="stock.below_safety", condition_key="product:1", owner="x",
                     status=status, severity="warning", title="t", message="m")

    with env.unit_of_work() as session:  # history may repeat
        session.add_all([alert("resolved"), alert("resolved"), alert("open")])
    for status in ("open", "acknowledged"):
        with pytest.raises(IntegrityError), env.unit_of_work() as session:
            session.add(alert(status))
    assert len(alerts(env)) == 3


def test_two_workers_evaluating_at_once_open_one_alert_and_owe_one_delivery(
    make_addon: AddonFactory, build_env: EnvFactory
) -> None:
    facts = Facts()
    slow_calls: list[str] = []

    def slow(session: Any, env: Environment, now: datetime) -> Iterator[AlertCondition]:
        slow_calls.append(threading.current_thread().name)
        time.sleep(0.3)  # long enough for the other worker to arrive meanwhile
        yield from facts.below_safety(session, env, now)

    addon = make_addon([AlertRule("stock.below_safety", "Stock low", slow)])
    workers = [build_env(addon), build_env(addon)]
    with workers[0].unit_of_work() as session:
        configure_channel(session, workers[0], channel="webhook",
                          target="https://erp.example.com/hooks")

    def race(round_no: int) -> None:
        barrier = threading.Barrier(len(workers))
        errors: list[BaseException] = []

        def work(env: Environment) -> None:
            try:
                barrier.wait()
                report = evaluate_rules(env, T0 + timedelta(minutes=round_no))
                assert report.failed == {}  # they took turns; neither hit the index
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(env,)) for env in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert errors == []

    facts.shortages["product:1:w:1"] = {"code": "A", "quantity": 0}
    race(1)  # first run: both create the rule's lock row
    facts.shortages["product:2:w:1"] = {"code": "B", "quantity": 0}
    race(2)  # later runs: both wait on the existing lock row

    assert len(slow_calls) == 4
    assert [(a.condition_key, a.status) for a in alerts(workers[0])] == [
        ("product:1:w:1", "open"), ("product:2:w:1", "open")]
    assert len(outbox_rows(workers[0])) == 2


# -- acknowledging ---------------------------------------------------------------------------

def test_acknowledged_alert_stays_until_its_condition_goes_away(
    make_addon: AddonFactory, build_env: EnvFactory
) -> None:
    facts = Facts()
    env = build_env(make_addon([facts.rule()]))
    facts.shortages["product:7:w:1"] = {"code": "G", "quantity": 0}
    (alert_id,) = evaluate_rules(env, T0).opened
    wang, li = add_user(env, "wang"), add_user(env, "li")

    with env.unit_of_work() as session:
        alert = acknowledge(session, alert_id, wang, now=T0 + timedelta(minutes=1))
        assert (alert.status, alert.acknowledged_by) == ("acknowledged", wang)
    with env.unit_of_work() as session:  # again, by someone else: the first one is kept
        alert = acknowledge(session, alert_id, li, now=T0 + timedelta(minutes=2))
        assert (alert.acknowledged_by, alert.acknowledged_at) == (
            wang, T0 + timedelta(minutes=1))

    assert evaluate_rules(env, T0 + timedelta(minutes=5)).opened == []
    (alert,) = alerts(env)
    assert (alert.status, alert.last_seen) == ("acknowledged", T0 + timedelta(minutes=5))

    facts.shortages.clear()
    evaluate_rules(env, T0 + timedelta(minutes=10))
    (alert,) = alerts(env)
    assert (alert.status, alert.acknowledged_by) == ("resolved", wang)
    with pytest.raises(AlertAlreadyResolved) as resolved, env.unit_of_work() as session:
        acknowledge(session, alert_id, li)
    assert resolved.value.code == "ALERT_RESOLVED"
    with pytest.raises(AlertNotFound), env.unit_of_work() as session:
        acknowledge(session, alert_id + 100, li)


def test_list_alerts_filters_and_puts_the_newest_first(
    make_addon: AddonFactory, build_env: EnvFactory
) -> None:
    facts = Facts()
    env = build_env(make_addon([facts.rule()]))
    for minute, key in enumerate(["product:1:w", "product:2:w", "product:3:w"]):
        facts.shortages[key] = {"code": key, "quantity": 0}
        evaluate_rules(env, T0 + timedelta(minutes=minute))
    del facts.shortages["product:1:w"]
    evaluate_rules(env, T0 + timedelta(minutes=10))
    user = add_user(env)
    with env.unit_of_work() as session:
        acknowledge(session, alerts(env)[1].id, user)

    with env.unit_of_work(readonly=True) as session:
        def keys(*args: Any, **kwargs: Any) -> list[str]:
            return [a.condition_key for a in list_alerts(session, *args, **kwargs)]

        assert keys() == ["product:3:w", "product:2:w", "product:1:w"]
        assert keys(AlertStatus.OPEN) == ["product:3:w"]
        assert keys("resolved") == ["product:1:w"]
        assert keys((AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED)) == [
            "product:3:w", "product:2:w"]
        assert keys(rule_key="stock.other") == []
        assert keys(limit=1, offset=1) == ["product:2:w"]
