"""What posts into the ledger and what opens, closes or reopens its months, at the same
moment: the second waits for the first (PostgreSQL: the lock on the voucher numbers' and
depreciation periods' tables; SQLite: for the write lock) and then judges what it
committed — no voucher before the month the book opens, none in a closed month, no
reopen behind a later depreciation month closed meanwhile."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from accounting_support import World, build_world
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from openjxc.addons.accounting_bridge import ledger, periods
from openjxc.addons.accounting_bridge.models import Voucher
from openjxc.addons.accounting_bridge.opening import OpeningLine, set_opening_balances
from openjxc.addons.depreciation import settings as depreciation_settings
from openjxc.core.errors import ValidationFailed

D = Decimal
FEBRUARY, MARCH, APRIL = date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1)
OPENINGS = [OpeningLine("1002", debit=D("1000.00")), OpeningLine("3001", credit=D("1000.00"))]


@pytest.fixture
def world(database_url: str) -> World:
    return build_world(database_url)


def _waiting_on_a_lock(world: World) -> bool:
    if world.env.database.engine.dialect.name != "postgresql":
        time.sleep(0.3)  # SQLite: the second writer waits for BEGIN IMMEDIATE
        return True
    with world.env.database.engine.connect() as conn:
        for _ in range(100):
            if conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE "
                                 "wait_event_type = 'Lock' AND datname = current_database()"
                                 )).scalar():
                return True
            conn.rollback()
            time.sleep(0.05)
    return False


def race(world: World, first: Callable[[Session], Any],
         second: Callable[[Session], Any]) -> list[Any]:
    """``second`` starts while ``first`` is done but not committed; its outcome."""
    outcome: list[Any] = []

    def late() -> None:
        try:
            with world.uow() as s:
                second(s)
            outcome.append("ok")
        except ValidationFailed as exc:
            outcome.append([e.code for e in exc.errors])
        except Exception as exc:  # reported, never swallowed
            outcome.append(repr(exc))

    with world.uow() as s:
        first(s)
        thread = threading.Thread(target=late)
        thread.start()
        waited = _waiting_on_a_lock(world)
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert waited, "the second should wait for the first"
    return outcome


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
