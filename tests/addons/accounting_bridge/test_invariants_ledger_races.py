"""What posts into the ledger and what opens, closes or reopens its months, at the same
moment: the second waits for the first (PostgreSQL: the lock on the voucher numbers' and
depreciation periods' tables; SQLite: for the write lock) and then judges what it
committed — no voucher before the month the book opens, none in a closed month, no
reopen behind a later depreciation month closed meanwhile."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from accounting_support import World, build_world, race
from sqlalchemy import func, select

from openjxc.addons.accounting_bridge import ledger, periods
from openjxc.addons.accounting_bridge.models import Voucher
from openjxc.addons.accounting_bridge.opening import OpeningLine, set_opening_balances
from openjxc.addons.depreciation import settings as depreciation_settings

D = Decimal
FEBRUARY, MARCH, APRIL = date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)
OPENINGS = [OpeningLine("1002", debit=D("1000.00")), OpeningLine("3001", credit=D("1000.00"))]


@pytest.fixture
def world(database_url: str) -> World:
    return build_world(database_url)


def vouchers_in(world: World, period: date) -> int:
    with world.uow(readonly=True) as s:
        return s.scalar(select(func.count()).select_from(Voucher)
                        .where(Voucher.period == period)) or 0


def test_the_book_does_not_open_after_a_voucher_being_posted(world: World) -> None:
    outcome = race(world, lambda s: world.receive(s, D(2), D("10.00"), FEBRUARY),
                   lambda s: set_opening_balances(s, MARCH, OPENINGS))
    assert outcome == [["OPENING_AFTER_VOUCHERS"]]
    assert vouchers_in(world, FEBRUARY) == 1


def test_nothing_posts_before_a_book_being_opened(world: World) -> None:
    outcome = race(world, lambda s: set_opening_balances(s, MARCH, OPENINGS),
                   lambda s: world.receive(s, D(2), D("10.00"), FEBRUARY))
    assert outcome == [["PERIOD_CLOSED"]]
    assert vouchers_in(world, FEBRUARY) == 0


def test_nothing_posts_into_a_month_being_closed(world: World) -> None:
    outcome = race(world, lambda s: ledger.close_period(s, MARCH),
                   lambda s: world.receive(s, D(2), D("10.00"), date(2026, 3, 20)))
    assert outcome == [["PERIOD_CLOSED"]]
    assert vouchers_in(world, MARCH) == 0


def test_a_reopen_sees_a_later_depreciation_month_closed_meanwhile(world: World) -> None:
    world.run(lambda s: ledger.close_period(s, MARCH))
    outcome = race(world, lambda s: depreciation_settings.close_period(s, APRIL),
                   lambda s: periods.reopen_period(s, MARCH, "补记"))
    assert outcome == [["LATER_PERIOD_CLOSED"]]
    with world.uow(readonly=True) as s:
        assert ledger.is_closed(s, MARCH)
        assert depreciation_settings.is_closed(s, MARCH)
