"""wecom_notify as a partner installs it: the conformance kit, ``openjxc install`` into a
database with data (nothing else changes), the editions untouched, and an alert travelling
from a rule through the outbox worker to the group — retried when WeCom says "later"."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import MetaData, select
from wecom_receiver import KEY, Receiver, receiver

from openjxc.core.addons import EDITIONS
from openjxc.core.alerts import (
    AlertScheduler,
    InvalidChannelSecret,
    InvalidChannelTarget,
    configure_channel,
    list_channel_configs,
)
from openjxc.core.cli import cli
from openjxc.core.db import Database
from openjxc.core.env import Environment
from openjxc.core.outbox import DONE, PENDING, OutboxWorker, enqueue
from openjxc.graphql import print_sdl
from openjxc.testing.conformance import AddonConformance
from openjxc.testing.database_templates import create_test_database

__all__ = ["receiver"]  # the fixture


class TestWeComConformance(AddonConformance):
    addon = "wecom_notify"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    database = Database(url)
    try:
        metadata = MetaData()
        metadata.reflect(database.engine)
        with database.engine.connect() as connection:
            return {name: sorted(map(tuple, connection.execute(select(table))), key=repr)
                    for name, table in metadata.tables.items()}
    finally:
        database.dispose()


def existing_basic_database(database_url: str) -> None:
    """A basic database in use: users, roles, master data, an alert target, an event owed."""
    from openjxc.addons.base_jxc.catalog.services import (
        ProductInput,
        create_category,
        create_product,
    )
    from openjxc.addons.base_jxc.partners.services import PartnerInput, create_partner
    from openjxc.core.security import create_user

    env = Environment.for_edition("basic", database_url=database_url)
    try:
        create_test_database(env)
        with env.unit_of_work() as session:
            create_user(session, env, "wang.li", "secret-123", roles=["admin"])
            create_category(session, code="DJ", name="电机")
            create_product(session, ProductInput(code="P1", name="三相电机", category_code="DJ",
                                                 safety_stock=Decimal("5")))
            create_partner(session, PartnerInput(code="C001", name="杭州滨江水务"))
            configure_channel(session, env, channel="webhook",
                              target="https://erp.example.com/hooks/openjxc")
            enqueue(session, handler_id="channel:webhook", payload={"owed": True})
    finally:
        env.database.dispose()


def test_install_into_a_database_with_data_changes_nothing_else(database_url: str) -> None:
    existing_basic_database(database_url)
    before = snapshot(database_url)
    assert before["jxc_product"] and before["core_user"] and before["core_outbox"]

    result = run("install", "wecom_notify", "--database", database_url)
    assert result.exit_code == 0, result.output
    assert "installed wecom_notify" in result.output

    after = snapshot(database_url)
    assert set(after) == set(before)  # no table of its own
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"core_addon"}
    added = [row for row in after["core_addon"] if row not in before["core_addon"]]
    assert [(row[0], row[1]) for row in added] == [("wecom_notify", "0.1.0")]
    assert Environment.open(database_url).addon_names == ("base_jxc", "wecom_notify")


def test_no_edition_contains_it_or_changes_with_it() -> None:
    assert all("wecom_notify" not in names for names in EDITIONS.values())
    for edition, names in EDITIONS.items():
        plain = print_sdl(Environment.for_edition(edition))
        with_it = print_sdl(Environment.for_addons([*names, "wecom_notify"]))
        assert with_it == plain, f"wecom_notify changes the {edition} schema"


def test_targets_keep_the_key_out_of_sight(database_url: str) -> None:
    env = Environment.for_addons(["base_jxc", "wecom_notify"], database_url=database_url)
    try:
        create_test_database(env)
        with env.unit_of_work() as session:
            with pytest.raises(InvalidChannelTarget, match="not the robot's URL"):
                configure_channel(session, env, channel="wecom",
                                  target=f"https://qyapi.weixin.qq.com/x?key={KEY}")
            with pytest.raises(InvalidChannelSecret):
                configure_channel(session, env, channel="wecom", target="仓库群",
                                  secret="https://example.com/no-key-here")
            with pytest.raises(InvalidChannelSecret):
                configure_channel(session, env, channel="wecom", target="仓库群", secret="a b")
            with pytest.raises(InvalidChannelTarget):
                configure_channel(session, env, channel="wecom", target="")
        with env.unit_of_work(readonly=True) as session:
            assert list_channel_configs(session) == []  # nothing was stored
    finally:
        env.database.dispose()


def test_an_alert_reaches_the_group_in_chinese_and_is_retried(
        database_url: str, receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    from openjxc.addons.base_jxc.catalog.services import (
        ProductInput,
        create_category,
        create_product,
    )

    monkeypatch.setenv("OPENJXC_WECOM_BASE_URL", receiver.base_url)
    env = Environment.for_addons(["base_jxc", "wecom_notify"], database_url=database_url)
    try:
        create_test_database(env)
        with env.unit_of_work() as session:
            create_category(session, code="DJ", name="电机")
            create_product(session, ProductInput(code="P1", name="三相电机", category_code="DJ",
                                                 safety_stock=Decimal("10")))
            configure_channel(session, env, channel="wecom", target="仓库群", secret=KEY,
                              rules=["stock.*"])
        receiver.answer(45009, errmsg="api freq out of limit")
        AlertScheduler(env).run_due()
        worker = OutboxWorker(env, jitter=lambda: 0.0)
        assert worker.run_once() == 1
        [row] = _outbox(env)
        assert row.status == PENDING and row.attempts == 1
        assert "45009" in (row.last_error or "") and KEY not in (row.last_error or "")

        with env.unit_of_work() as session:  # due again now
            row = session.merge(row)
            row.available_at = row.created_at
        assert worker.run_once() == 1
        [row] = _outbox(env)
        assert row.status == DONE
        first, second = receiver.received
        assert first.body == second.body  # the same message, posted again
        content = second.content
        assert content.startswith('### <font color="warning">严重 · ')
        assert "P1 三相电机" in content and "> 告警规则：`stock.below_safety`" in content
    finally:
        env.database.dispose()


def _outbox(env: Environment) -> list[Any]:
    from openjxc.core.events import OutboxMessage

    with env.unit_of_work(readonly=True) as session:
        rows = list(session.scalars(select(OutboxMessage)))
        session.expunge_all()
        return rows


def test_the_wecom_commands(database_url: str, receiver: Receiver,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENJXC_WECOM_WEBHOOK_URL", receiver.robot_url)
    assert run("init", "--edition", "basic", "--addons", "wecom_notify",
               "--database", database_url).exit_code == 0
    result = run("wecom", "add", "仓库群", "--key", KEY, "--rule", "stock.*",
                 "--database", database_url)
    assert result.exit_code == 0, result.output
    assert "WeCom target 1 (仓库群) added" in result.output and KEY not in result.output
    result = run("wecom", "add", "老板群", "--locale", "en", "--database", database_url)
    assert "OPENJXC_WECOM_WEBHOOK_URL" in result.output

    listed = run("wecom", "list", "--database", database_url).output
    assert "仓库群  [stock.*]" in listed and "老板群  [all rules]  en" in listed
    assert KEY not in listed

    result = run("wecom", "test", "2", "--database", database_url)
    assert result.exit_code == 0, result.output
    assert receiver.received[0].content.startswith('### <font color="info">Test message')

    bad = run("wecom", "add", "x", "--key", "not a key", "--database", database_url)
    assert bad.exit_code == 1 and "neither a WeCom robot key" in bad.output
    assert run("wecom", "test", "9", "--database", database_url).exit_code == 1
