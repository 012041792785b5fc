"""Alerts: when rules run (schedule, events, failures), what fails at boot, and who hears
of alert changes (the in-process broadcaster, after commit only)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from test_alerts_support import (
    T0,
    AddonFactory,
    EnvFactory,
    Facts,
    StockMoved,
    add_user,
    build_env,
    make_addon,
)

from openjxc.core.alerts import (
    AlertBroadcaster,
    AlertCondition,
    Alerting,
    AlertNotice,
    AlertRule,
    AlertRuleState,
    AlertScheduler,
    AlertTrigger,
    acknowledge,
    evaluate_rules,
    publish_after_commit,
)
from openjxc.core.env import Environment
from openjxc.core.errors import BootError
from openjxc.core.events import publish

__all__ = ["build_env", "make_addon"]  # fixtures, shared with the other alert tests


# -- when rules run --------------------------------------------------------------------------

def test_the_scheduler_runs_a_rule_when_its_schedule_comes(
    make_addon: AddonFactory, build_env: EnvFactory
) -> None:
    facts = Facts()
    env = build_env(make_addon([facts.rule(schedule_seconds=600)]))
    scheduler = AlertScheduler(env)

    assert scheduler.run_due(T0).evaluated == ["stock.below_safety"]  # never ran: due
    assert scheduler.run_due(T0 + timedelta(seconds=599)).evaluated == []
    assert scheduler.run_due(T0 + timedelta(seconds=600)).evaluated == ["stock.below_safety"]
    assert facts.calls == 2
    with env.unit_of_work(readonly=True) as session:
        state = session.get(AlertRuleState, "stock.below_safety")
        assert state is not None
        assert (state.last_run_at, state.next_run_at) == (
            T0 + timedelta(seconds=600), T0 + timedelta(seconds=1200))


def test_an_event_the_rule_listens_to_makes_it_run_once_its_transaction_commits(
    make_addon: AddonFactory, build_env: EnvFactory
) -> None:
    facts = Facts()
    env = build_env(make_addon([facts.rule(schedule_seconds=None,
                                              on_events=(StockMoved,))]))
    scheduler = AlertScheduler(env)  # wires the rule to the event bus
    assert scheduler.run_due(T0).evaluated == []  # no schedule, no event: nothing to do

    with pytest.raises(RuntimeError), env.unit_of_work() as session:
        publish(session, StockMoved(product_id=5))
        raise RuntimeError("the stock move was refused")
    assert scheduler.run_due(T0).evaluated == []  # a rolled-back move triggers nothing

    facts.shortages["product:5:w:1"] = {"code": "E", "quantity": 0}
    with env.unit_of_work() as session:
        for _ in range(3):  # many moves, one evaluation
            publish(session, StockMoved(product_id=5))
    report = scheduler.run_due(T0 + timedelta(seconds=1))
    assert report.evaluated == ["stock.below_safety"] and len(report.opened) == 1
    with env.unit_of_work(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(AlertTrigger)) == 0
    assert scheduler.run_due(T0 + timedelta(seconds=2)).evaluated == []
    assert facts.calls == 1


def test_rule_events_may_be_named_when_the_environment_knows_the_event(
    make_addon: AddonFactory, build_env: EnvFactory
) -> None:
    by_class, by_name = Facts(), Facts()
    env = build_env(make_addon([
        by_class.rule("stock.by_class", schedule_seconds=None, on_events=(StockMoved,)),
        by_name.rule("stock.by_name", schedule_seconds=None,
                     on_events=(StockMoved.name,)),
    ]))
    scheduler = AlertScheduler(env)
    with env.unit_of_work() as session:
        publish(session, StockMoved(product_id=1))
    assert scheduler.run_due(T0).evaluated == ["stock.by_class", "stock.by_name"]

    unknown = Facts()
    with pytest.raises(BootError, match="listens to 'nobody.knows.this'"):
        build_env(make_addon([unknown.rule(on_events=("nobody.knows.this",))]))


def test_a_failing_rule_is_reported_retried_later_and_blocks_no_other_rule(
    make_addon: AddonFactory, build_env: EnvFactory
) -> None:
    facts = Facts()

    def broken(session: Any, env: Environment, now: datetime) -> list[AlertCondition]:
        raise ZeroDivisionError("safety level of zero")

    env = build_env(make_addon([
        AlertRule("stock.broken", "Broken", broken, schedule_seconds=3600),
        facts.rule(schedule_seconds=3600),
    ]))
    facts.shortages["product:1:w"] = {"code": "A", "quantity": 0}
    scheduler = AlertScheduler(env)

    report = scheduler.run_due(T0)
    assert report.failed == {"stock.broken": "ZeroDivisionError: safety level of zero"}
    assert len(report.opened) == 1  # the healthy rule went on
    with env.unit_of_work(readonly=True) as session:
        state = session.get(AlertRuleState, "stock.broken")
        assert state is not None and state.last_error is not None
        assert "safety level of zero" in state.last_error
        assert state.next_run_at == T0 + timedelta(seconds=300)  # sooner than its schedule
    assert scheduler.run_due(T0 + timedelta(seconds=299)).evaluated == []
    assert scheduler.run_due(T0 + timedelta(seconds=300)).evaluated == ["stock.broken"]


# -- boot errors -----------------------------------------------------------------------------

def test_a_rule_key_declared_twice_is_a_boot_error(
    make_addon: AddonFactory, build_env: EnvFactory
) -> None:
    facts = Facts()
    first, second = make_addon([facts.rule()]), make_addon([facts.rule()])
    with pytest.raises(BootError, match=r"duplicate alert rule 'stock.below_safety' "
                                        rf"\({first.name} and {second.name}\)"):
        build_env(first, second)


@pytest.mark.parametrize(("rule", "problem"), [
    (AlertRule("Stock Low", "t", lambda s, e, n: []), "must read 'area.name'"),
    (AlertRule("stock.low", "t", lambda s, e, n: [], schedule_seconds=0), "schedule_seconds"),
    (AlertRule("stock.low", "t", lambda s, e, n: [], severity="dire"),  # type: ignore[arg-type]
     "unknown severity"),
])
def test_a_malformed_rule_is_a_boot_error(
    make_addon: AddonFactory, build_env: EnvFactory, rule: AlertRule, problem: str
) -> None:
    with pytest.raises(BootError, match=problem):
        build_env(make_addon([rule]))


def test_a_channel_named_like_a_builtin_one_is_a_boot_error(
    make_addon: AddonFactory, build_env: EnvFactory
) -> None:
    class OtherMail:
        name = "email"

        def deliver(self, alert_payload: Any, config: Any) -> None: ...

    addon = make_addon(channels=[OtherMail()])
    with pytest.raises(BootError, match=rf"duplicate alert channel 'email' \(core and "
                                        rf"{addon.name}\)"):
        build_env(addon)


def test_the_kernel_alone_has_the_email_and_webhook_channels_and_no_rules(
    build_env: EnvFactory,
) -> None:
    alerting = Alerting.for_environment(build_env())
    assert sorted(alerting.channels) == ["email", "webhook"]
    assert alerting.rules == {}
    assert evaluate_rules(alerting.env, T0).evaluated == []


# -- broadcasting ----------------------------------------------------------------------------

def test_subscribers_hear_of_alerts_after_commit_only(
    make_addon: AddonFactory, build_env: EnvFactory
) -> None:
    facts = Facts()
    env = build_env(make_addon([facts.rule()]))
    broadcaster = Alerting.for_environment(env).broadcaster
    user = add_user(env)

    async def scenario() -> list[AlertNotice]:
        heard: list[AlertNotice] = []

        async def listen() -> None:
            async for notice in broadcaster.subscribe():
                heard.append(notice)
                if len(heard) == 3:
                    return

        listener = asyncio.create_task(listen())
        while broadcaster.subscriber_count == 0:
            await asyncio.sleep(0.01)

        def work() -> None:  # the worker and the API run in other threads
            facts.shortages["product:1:w"] = {"code": "A", "quantity": 0}
            (alert_id,) = evaluate_rules(env, T0).opened
            with pytest.raises(RuntimeError), env.unit_of_work() as session:
                acknowledge(session, alert_id, user)
                raise RuntimeError("rolled back: nobody may hear of this")
            with env.unit_of_work() as session:
                acknowledge(session, alert_id, user)
            facts.shortages.clear()
            evaluate_rules(env, T0 + timedelta(minutes=1))

        await asyncio.to_thread(work)
        await asyncio.wait_for(listener, 5)
        return heard

    heard = asyncio.run(scenario())
    assert [(n.kind, n.alert["status"]) for n in heard] == [
        ("opened", "open"), ("acknowledged", "acknowledged"), ("resolved", "resolved")]
    assert heard[0].alert["condition_key"] == "product:1:w"
    assert broadcaster.subscriber_count == 0  # the listener left: its queue is gone


def test_a_notice_waits_for_the_commit_and_dies_with_a_rollback(build_env: EnvFactory) -> None:
    class Recorder(AlertBroadcaster):
        def __init__(self) -> None:
            super().__init__()
            self.published: list[AlertNotice] = []

        def publish(self, notice: AlertNotice) -> None:
            self.published.append(notice)

    env = build_env()
    recorder = Recorder()
    kept, in_savepoint, in_rollback = (AlertNotice("opened", {"id": i}) for i in (1, 2, 3))

    with env.unit_of_work() as session:
        publish_after_commit(session, recorder, kept)
        with pytest.raises(RuntimeError), session.begin_nested():
            publish_after_commit(session, recorder, in_savepoint)
            raise RuntimeError("savepoint rolled back")
        with session.begin_nested():  # a released savepoint is not the commit
            pass
        assert recorder.published == []
    assert recorder.published == [kept]

    with pytest.raises(RuntimeError), env.unit_of_work() as session:
        publish_after_commit(session, recorder, in_rollback)
        raise RuntimeError("rolled back")
    assert recorder.published == [kept]
