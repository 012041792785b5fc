"""Alerts: one active alert per condition, resolve and reopen, acknowledge, schedule and
event triggers, races, boot errors and the broadcaster.

The rules here read a dictionary the test changes (``facts``): the kernel knows no
business, and what matters is what the kernel does with the conditions a rule reports.
"""

from __future__ import annotations

import asyncio
import importlib
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from openjxc.core.addons import AddonManifest, read_manifest
from openjxc.core.alerts import (
    Alert,
    AlertAlreadyResolved,
    AlertBroadcaster,
    AlertCondition,
    Alerting,
    AlertNotFound,
    AlertNotice,
    AlertRule,
    AlertRuleState,
    AlertScheduler,
    AlertStatus,
    AlertTrigger,
    Severity,
    acknowledge,
    configure_channel,
    evaluate_rules,
    list_alerts,
    publish_after_commit,
)
from openjxc.core.config import Settings
from openjxc.core.db import Database
from openjxc.core.env import Environment
from openjxc.core.errors import BootError
from openjxc.core.events import Event, OutboxMessage, publish
from openjxc.core.i18n import _
from openjxc.core.models import Base
from openjxc.core.security import User

T0 = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)

ADDON_SOURCE = """
from openjxc.core.hookspecs import hookimpl

RULES = []
CHANNELS = []


@hookimpl
def register_alert_rules():
    return list(RULES)


@hookimpl
def register_alert_channels():
    return list(CHANNELS)
"""


@dataclass(frozen=True)
class StockMoved(Event):
    name: ClassVar[str] = "test.alerts.stock.moved"
    product_id: int


AddonFactory = Callable[..., AddonManifest]
EnvFactory = Callable[..., Environment]


@pytest.fixture
def make_addon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AddonFactory]:
    """A throw-away addon contributing the given rules and channels."""
    monkeypatch.syspath_prepend(str(tmp_path))
    made: list[str] = []

    def make(rules: Sequence[AlertRule] = (), channels: Sequence[Any] = ()) -> AddonManifest:
        name = f"alerts_fake_{uuid.uuid4().hex[:8]}"
        package = tmp_path / name
        package.mkdir()
        (package / "manifest.toml").write_text(
            f'name = "{name}"\nversion = "1.0"\nkernel = ">=0.1"\ndepends = []\n'
            f'tier = "basic"\nsummary = "alerts test addon"\ntable_prefix = "{name}"\n')
        (package / "__init__.py").write_text(ADDON_SOURCE)
        importlib.invalidate_caches()
        module = importlib.import_module(name)
        module.RULES.extend(rules)
        module.CHANNELS.extend(channels)
        made.append(name)
        return read_manifest(name)

    yield make
    for name in made:
        sys.modules.pop(name, None)


@pytest.fixture
def build_env(database_url: str) -> Iterator[EnvFactory]:
    """Environments on the test's database, each with its own engine (as separate worker
    processes would have), tables created from the environment's models."""
    databases: list[Database] = []

    def build(*manifests: AddonManifest, settings: Settings | None = None) -> Environment:
        database = Database(database_url)
        databases.append(database)
        env = Environment(list(manifests), database=database, settings=settings or Settings())
        Base.metadata.create_all(database.engine, tables=env.tables)
        return env

    yield build
    for database in databases:
        database.dispose()


class Facts:
    """What the fake business looks like right now: condition key → its parameters."""

    def __init__(self) -> None:
        self.shortages: dict[str, dict[str, Any]] = {}
        self.calls = 0

    def below_safety(self, session: Any, env: Environment, now: datetime
                     ) -> Iterator[AlertCondition]:
        self.calls += 1
        for key, params in sorted(self.shortages.items()):
            yield AlertCondition(key, _("{code}: {quantity} left"), params=params,
                                 subject={"product": int(key.split(":")[1])},
                                 severity=params.get("severity"))


def shortage_rule(facts: Facts, **options: Any) -> AlertRule:
    return AlertRule("stock.below_safety", _("Stock below safety level"), facts.below_safety,
                     **options)


def alerts(env: Environment) -> list[Alert]:
    with env.unit_of_work(readonly=True) as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def outbox_rows(env: Environment) -> list[OutboxMessage]:
    with env.unit_of_work(readonly=True) as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def add_user(env: Environment, username: str = "wang.li") -> int:
    with env.unit_of_work() as session:
        user = User(username=username, username_key=username, password_hash="-")
        session.add(user)
        session.flush()
        return user.id


# -- one alert per condition ----------------------------------------------------------------

def test_repeated_evaluations_keep_one_alert_per_condition_and_refresh_it(
    make_addon: AddonFactory, build_env: EnvFactory
) -> None:
    facts = Facts()
    env = build_env(make_addon([shortage_rule(facts)]))
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
    env = build_env(make_addon([shortage_rule(facts)]))
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
    env = build_env(make_addon([shortage_rule(facts, severity=Severity.INFO)]))
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
    env = build_env(make_addon([shortage_rule(facts)]))
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
    env = build_env(make_addon([shortage_rule(facts)]))
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


# -- when rules run --------------------------------------------------------------------------

def test_the_scheduler_runs_a_rule_when_its_schedule_comes(
    make_addon: AddonFactory, build_env: EnvFactory
) -> None:
    facts = Facts()
    env = build_env(make_addon([shortage_rule(facts, schedule_seconds=600)]))
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
    env = build_env(make_addon([shortage_rule(facts, schedule_seconds=None,
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
    facts = Facts()
    env = build_env(make_addon([shortage_rule(facts, on_events=("nobody.knows.this",))]))
    with pytest.raises(BootError, match="listens to 'nobody.knows.this'"):
        Alerting.for_environment(env)


def test_a_failing_rule_is_reported_retried_later_and_blocks_no_other_rule(
    make_addon: AddonFactory, build_env: EnvFactory
) -> None:
    facts = Facts()

    def broken(session: Any, env: Environment, now: datetime) -> list[AlertCondition]:
        raise ZeroDivisionError("safety level of zero")

    env = build_env(make_addon([
        AlertRule("stock.broken", "Broken", broken, schedule_seconds=3600),
        shortage_rule(facts, schedule_seconds=3600),
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
    first, second = make_addon([shortage_rule(facts)]), make_addon([shortage_rule(facts)])
    env = build_env(first, second)
    with pytest.raises(BootError, match=r"duplicate alert rule 'stock.below_safety' "
                                        rf"\({first.name} and {second.name}\)"):
        Alerting.for_environment(env)


@pytest.mark.parametrize(("rule", "problem"), [
    (AlertRule("Stock Low", "t", lambda s, e, n: []), "must read 'area.name'"),
    (AlertRule("stock.low", "t", lambda s, e, n: [], schedule_seconds=0), "schedule_seconds"),
    (AlertRule("stock.low", "t", lambda s, e, n: [], severity="dire"),  # type: ignore[arg-type]
     "unknown severity"),
])
def test_a_malformed_rule_is_a_boot_error(
    make_addon: AddonFactory, build_env: EnvFactory, rule: AlertRule, problem: str
) -> None:
    env = build_env(make_addon([rule]))
    with pytest.raises(BootError, match=problem):
        Alerting.for_environment(env)


def test_a_channel_named_like_a_builtin_one_is_a_boot_error(
    make_addon: AddonFactory, build_env: EnvFactory
) -> None:
    class OtherMail:
        name = "email"

        def deliver(self, alert_payload: Any, config: Any) -> None: ...

    addon = make_addon(channels=[OtherMail()])
    env = build_env(addon)
    with pytest.raises(BootError, match=rf"duplicate alert channel 'email' \(core and "
                                        rf"{addon.name}\)"):
        Alerting.for_environment(env)


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
    env = build_env(make_addon([shortage_rule(facts)]))
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
