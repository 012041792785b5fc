"""Reopening a month unwinds depreciation from its latest close too, on SQLite and
PostgreSQL: when depreciation closed a later month on its own, the ledger's month is not
reopened (a disposal or a run dated in it would come after a month already depreciated)
until depreciation reopens that month; nothing changes on the refusal."""

from __future__ import annotations

from datetime import date

import pytest
from accounting_support import World, build_world

from openjxc.addons.accounting_bridge import ledger, periods
from openjxc.addons.depreciation import settings as depreciation_settings
from openjxc.testing.graphql import GraphQLTester

MARCH, APRIL, MAY = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)
REOPEN = """mutation($p: String!) { periodReopen(input: {period: $p, reason: "补记"}) {
  period { closed } errors { code field message } } }"""


@pytest.fixture
def world(database_url: str) -> World:
    return build_world(database_url)


def closed(world: World, period: date) -> tuple[bool, bool]:
    with world.uow(readonly=True) as s:
        return ledger.is_closed(s, period), depreciation_settings.is_closed(s, period)


def test_a_later_depreciation_month_closed_on_its_own_is_reopened_first(
        world: World) -> None:
    world.run(lambda s: ledger.close_period(s, MARCH))
    world.run(lambda s: depreciation_settings.close_period(s, MAY))
    api = GraphQLTester(world.env, locale="zh_CN")
    refused = api.ok(REOPEN, {"p": "2026-03"})["periodReopen"]
    assert refused == {"period": None, "errors": [
        {"code": "LATER_PERIOD_CLOSED", "field": ["period"],
         "message": "请先反结账折旧期间 2026-05：之后的折旧期间已结账"}]}
    assert closed(world, MARCH) == (True, True) and closed(world, MAY) == (False, True)
    with world.uow(readonly=True) as s:
        assert periods.reopenings(s) == []
    english = GraphQLTester(world.env, locale="en").ok(REOPEN, {"p": "2026-03"})
    assert english["periodReopen"]["errors"][0]["message"] == (
        "Reopen depreciation's 2026-05 first: a later depreciation period is closed")
    world.run(lambda s: depreciation_settings.reopen_period(s, MAY))
    assert api.ok(REOPEN, {"p": "2026-03"})["periodReopen"] == {
        "period": {"closed": False}, "errors": []}
    assert closed(world, MARCH) == (False, False)


def test_a_later_depreciation_month_matters_only_when_depreciation_reopens_too(
        world: World) -> None:
    # Depreciation's March was reopened on its own: the ledger's March reopens alone.
    world.run(lambda s: ledger.close_period(s, MARCH))
    world.run(lambda s: depreciation_settings.reopen_period(s, MARCH))
    world.run(lambda s: depreciation_settings.close_period(s, APRIL))
    done = world.run(lambda s: periods.reopen_period(s, MARCH, "补记"))
    assert done.depreciation_reopened is False
    assert closed(world, MARCH) == (False, False) and closed(world, APRIL) == (False, True)
