"""A reopen and a close of the same months at the same moment: the second waits for the
first (PostgreSQL: on the period rows; SQLite: for the write lock) and then judges what it
committed — never two reopens of one close, never a reopen behind a later close."""

from __future__ import annotations

from datetime import date

import pytest
from accounting_support import World, build_world, race

from openjxc.addons.accounting_bridge import ledger, periods
from openjxc.addons.depreciation import settings as depreciation_settings

MARCH, APRIL = date(2026, 3, 1), date(2026, 4, 1)


@pytest.fixture
def world(database_url: str) -> World:
    return build_world(database_url)


def state(world: World, period: date) -> tuple[bool, bool]:
    with world.uow(readonly=True) as s:
        return ledger.is_closed(s, period), depreciation_settings.is_closed(s, period)


def test_a_close_waits_for_a_reopen_and_closes_again(world: World) -> None:
    world.run(lambda s: ledger.close_period(s, MARCH))
    outcome = race(world, lambda s: periods.reopen_period(s, MARCH, "补记"),
                   lambda s: ledger.close_period(s, MARCH))
    assert outcome == ["ok"]
    assert state(world, MARCH) == (True, True)


def test_a_reopen_waits_for_a_close_and_reopens_it(world: World) -> None:
    world.run(lambda s: ledger.close_period(s, MARCH))
    world.run(lambda s: periods.reopen_period(s, MARCH, "补记"))
    outcome = race(world, lambda s: ledger.close_period(s, MARCH),
                   lambda s: periods.reopen_period(s, MARCH, "再补记"))
    assert outcome == ["ok"]
    assert state(world, MARCH) == (False, False)


def test_one_close_is_reopened_once(world: World) -> None:
    world.run(lambda s: ledger.close_period(s, MARCH))
    outcome = race(world, lambda s: periods.reopen_period(s, MARCH, "补记"),
                   lambda s: periods.reopen_period(s, MARCH, "又补记"))
    assert outcome == [["PERIOD_NOT_CLOSED"]]
    assert state(world, MARCH) == (False, False)


def test_a_reopen_sees_a_later_month_closed_meanwhile(world: World) -> None:
    world.run(lambda s: ledger.close_period(s, MARCH))
    world.run(lambda s: ledger.close_period(s, APRIL))
    world.run(lambda s: periods.reopen_period(s, APRIL, "补记"))
    outcome = race(world, lambda s: ledger.close_period(s, APRIL),
                   lambda s: periods.reopen_period(s, MARCH, "补记"))
    assert outcome == [["LATER_PERIOD_CLOSED"]]
    assert state(world, MARCH) == state(world, APRIL) == (True, True)
