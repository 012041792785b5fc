"""Reopening a closed month (反结账): only a closed month, only the latest closed one, with
a reason; depreciation's month opens with it; vouchers post into it again and it closes
again; who, when and why are published; and only holders of ``accounting.period.reopen``
may do it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from accounting_support import DAY, World, build_world

from openjxc.addons.accounting_bridge import REOPEN, ledger, periods
from openjxc.addons.accounting_bridge.models import AccountingPeriod
from openjxc.addons.depreciation import settings as depreciation_settings
from openjxc.testing.graphql import GraphQLTester

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)
REOPEN_ = """mutation($p: String!, $r: String!) { periodReopen(input: {period: $p, reason: $r}) {
  period { period closed } reopening { reason reopenedAt depreciationReopened }
  errors { code field message } } }"""
CLOSE = """mutation($p: String!) { periodClose(input: {period: $p}) {
  period { period closed } errors { code } } }"""


@pytest.fixture
def world(database_url: str) -> World:
    return build_world(database_url)


def closed(world: World, period: date) -> tuple[bool, bool]:
    """Whether the ledger's and depreciation's months are closed."""
    with world.uow(readonly=True) as s:
        return ledger.is_closed(s, period), depreciation_settings.is_closed(s, period)


def reopen(api: GraphQLTester, period: str, reason: str = "补记运费发票") -> Any:
    return api.ok(REOPEN_, {"p": period, "r": reason})["periodReopen"]


def test_a_closed_month_reopens_posts_and_closes_again(world: World) -> None:
    api = GraphQLTester(world.env, locale="zh_CN")
    world.run(lambda s: world.receive(s, D(10), D("8.50")))
    assert api.ok(CLOSE, {"p": "2026-03"})["periodClose"]["errors"] == []
    assert closed(world, MARCH) == (True, True)
    assert world.refusal(lambda s: world.receive(s, D(1), D("8.50"))) == [
        ("PERIOD_CLOSED", ("date",))]

    done = reopen(api, "2026-03", "  补记3月运费发票  ")
    assert done["errors"] == []
    assert done["period"] == {"period": "2026-03", "closed": False}
    assert done["reopening"]["reason"] == "补记3月运费发票"
    assert done["reopening"]["depreciationReopened"] is True and done["reopening"]["reopenedAt"]
    assert closed(world, MARCH) == (False, False)
    with world.uow(readonly=True) as s:
        row = s.get_one(AccountingPeriod, MARCH)
        assert (row.closed_at, row.closed_by_id) == (None, None)

    world.run(lambda s: world.receive(s, D(1), D("8.50"), DAY))
    assert world.vouchers()[-1] == ("记-0002", "stock")
    assert api.ok(CLOSE, {"p": "2026-03"})["periodClose"] == {
        "period": {"period": "2026-03", "closed": True}, "errors": []}
    assert closed(world, MARCH) == (True, True)
    assert world.refusal(lambda s: world.receive(s, D(1), D("8.50"))) == [
        ("PERIOD_CLOSED", ("date",))]


def test_only_a_closed_month_is_reopened(world: World) -> None:
    api = GraphQLTester(world.env, locale="zh_CN")
    assert reopen(api, "2026-03") == {"period": None, "reopening": None, "errors": [
        {"code": "PERIOD_NOT_CLOSED", "field": ["period"],
         "message": "会计期间 2026-03 未结账"}]}
    world.run(lambda s: ledger.close_period(s, MARCH))
    assert reopen(api, "2026-03")["errors"] == []
    again = GraphQLTester(world.env, locale="en")
    assert reopen(again, "2026-03")["errors"][0]["message"] == (
        "Accounting period 2026-03 is not closed")


def test_the_latest_closed_month_is_reopened_first(world: World) -> None:
    api = GraphQLTester(world.env, locale="zh_CN")
    world.run(lambda s: ledger.close_period(s, MARCH))
    world.run(lambda s: ledger.close_period(s, APRIL))
    refused = reopen(api, "2026-03")
    assert refused == {"period": None, "reopening": None, "errors": [
        {"code": "LATER_PERIOD_CLOSED", "field": ["period"],
         "message": "请先反结账 2026-04：其后的期间已结账"}]}
    assert closed(world, MARCH) == (True, True)  # nothing changed
    assert reopen(api, "2026-04")["errors"] == []
    assert reopen(api, "2026-03")["errors"] == []
    assert closed(world, MARCH) == closed(world, APRIL) == (False, False)


@pytest.mark.parametrize("reason,code", [("", "REQUIRED"), ("   \n ", "REQUIRED"),
                                         ("因" * 201, "INVALID")])
def test_a_reason_of_one_to_two_hundred_characters_is_required(world: World, reason: str,
                                                               code: str) -> None:
    api = GraphQLTester(world.env, locale="zh_CN")
    world.run(lambda s: ledger.close_period(s, MARCH))
    refused = reopen(api, "2026-03", reason)
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [(code, ["reason"])]
    assert refused["errors"][0]["message"] in ("请填写反结账的原因", "原因最多 200 个字")
    assert closed(world, MARCH) == (True, True)
    assert reopen(api, "2026-03", "因" * 200)["errors"] == []


def test_a_bad_month_is_refused(world: World) -> None:
    api = GraphQLTester(world.env, locale="zh_CN")
    for period in ("2026-13", "2026/03", ""):
        errors = reopen(api, period)["errors"]
        assert [(e["code"], e["field"]) for e in errors] == [("INVALID", ["period"])]


def test_a_depreciation_month_already_open_stays_open(world: World) -> None:
    world.run(lambda s: ledger.close_period(s, MARCH))
    world.run(lambda s: depreciation_settings.reopen_period(s, MARCH))
    done = world.run(lambda s: periods.reopen_period(s, MARCH, "调整"))
    assert done.depreciation_reopened is False
    assert closed(world, MARCH) == (False, False)


def test_who_when_and_why_are_published(world: World, monkeypatch: pytest.MonkeyPatch,
                                        ) -> None:
    told: list[Any] = []
    publish = world.env.events.publish

    def spy(session: Any, event: Any, env: Any) -> None:
        told.append(event)
        publish(session, event, env)

    monkeypatch.setattr(world.env.events, "publish", spy)
    world.run(lambda s: ledger.close_period(s, MARCH))
    world.run(lambda s: periods.reopen_period(s, MARCH, "补记运费", user_id=7))
    reopened = [e for e in told if isinstance(e, periods.PeriodReopened)]
    assert len(reopened) == 1
    event = reopened[0]
    assert (event.period, event.reason, event.user_id, event.depreciation_reopened) == (
        MARCH, "补记运费", 7, True)
    assert event.name == "accounting.period.reopened" and event.reopened_at is not None


def test_reopening_needs_its_own_permission(world: World) -> None:
    world.run(lambda s: ledger.close_period(s, MARCH))
    accountant = world.env.permissions.role_permissions("ledger_accountant")
    assert REOPEN not in accountant
    api = GraphQLTester(world.env, permissions=accountant)
    api.refused(REOPEN_, {"p": "2026-03", "r": "补记"}, code="FORBIDDEN")
    assert closed(world, MARCH) == (True, True)
    allowed = GraphQLTester(world.env, permissions={REOPEN})
    assert reopen(allowed, "2026-03")["errors"] == []


REOPENINGS = """query($p: String) { periodReopenings(period: $p) {
  period reason reopenedAt reopenedBy depreciationReopened } }"""


def test_every_reopening_is_kept_for_the_auditor(world: World) -> None:
    api = GraphQLTester(world.env, locale="zh_CN")
    assert api.ok(CLOSE, {"p": "2026-03"})["periodClose"]["errors"] == []
    assert api.ok(CLOSE, {"p": "2026-04"})["periodClose"]["errors"] == []
    assert reopen(api, "2026-03")["errors"] != []  # refused: April is closed
    assert api.ok(REOPENINGS, {"p": None})["periodReopenings"] == []
    assert reopen(api, "2026-04", "四月补记")["errors"] == []
    world.run(lambda s: periods.reopen_period(s, APRIL.replace(month=3), "  三月 补记 ",
                                              user_id=None))
    listed = api.ok(REOPENINGS, {"p": None})["periodReopenings"]
    assert [(r["period"], r["reason"], r["depreciationReopened"]) for r in listed] == [
        ("2026-03", "三月 补记", True), ("2026-04", "四月补记", True)]
    assert all(r["reopenedAt"] for r in listed)
    only = api.ok(REOPENINGS, {"p": "2026-04"})["periodReopenings"]
    assert [r["reason"] for r in only] == ["四月补记"]
    api.refused(REOPENINGS, {"p": "2026-13"}, code="BAD_USER_INPUT")
