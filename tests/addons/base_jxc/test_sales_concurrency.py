"""Orders racing for the last stock never oversell.

Four customers confirm orders of 30 at once against 100 in stock: exactly 100 is reserved,
each reservation recorded where it was taken.  Then four more orders of 20 (confirmed with
nothing left to reserve) and the first four are delivered at once after 50 more arrive:
the fully reserved orders all go out, and the orders that need free stock share the 50 —
two of them get 20 each, the others are refused with ``INSUFFICIENT_STOCK`` and keep
their reservations.  On PostgreSQL with threads (each its own connection and
transaction), and on SQLite, which serialises writers.
"""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from stock_support import D
from test_sales_support import SalesWorld, race_orders, stock_up
from trading_support import build_trading_world

from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.addons.base_jxc.partners.services import PartnerInput, create_partner
from openjxc.addons.base_jxc.sales.models import SalesOrderLine, SalesReservation
from openjxc.addons.base_jxc.stock.models import StockBalance

RACERS = 4


def run_threads(url: str, action: str, batches: list[list[int]]) -> list[tuple[Any, ...]]:
    results: list[tuple[Any, ...]] = []
    barrier = threading.Barrier(len(batches))
    threads = [threading.Thread(target=race_orders, args=(url, action, ids, barrier, results))
               for ids in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
        assert not t.is_alive()
    assert [r for r in results if r[0] == "error"] == []
    return results


def bookkeeping(sales: SalesWorld) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(on hand, reserved on the balance, Σ reservation rows, Σ reserved on lines) of
    PLAIN in WH1/STOCK."""
    world = sales.world
    with sales.uow() as session:
        balance = session.execute(select(StockBalance.quantity, StockBalance.reserved).where(
            StockBalance.location_id == world.locations["WH1/STOCK"],
            StockBalance.product_id == world.products["PLAIN"],
            StockBalance.batch_id == 0)).one()
        rows = session.scalar(select(func.coalesce(func.sum(SalesReservation.quantity), 0)))
        lines = session.scalar(select(func.coalesce(
            func.sum(SalesOrderLine.reserved_quantity), 0)))
    return balance.quantity, balance.reserved, Decimal(rows), Decimal(lines)


def race(url: str) -> None:
    world = build_trading_world(url)
    sales = SalesWorld(world)
    try:
        stock_up(world)
        with sales.uow() as session:
            for n in range(RACERS):
                create_partner(session, PartnerInput(code=f"R{n}", name=f"客户 {n}",
                                                     credit_limit=D("1000000")))
        with sales.uow() as session:
            world.partners.update(dict(session.execute(select(Partner.code, Partner.id)).all()))
        first = [sales.order(("PLAIN", 30), customer=f"R{n}") for n in range(RACERS)]
        confirmed = run_threads(url, "confirm", [[i] for i in first])
        assert sorted(r[2] for r in confirmed) == ["confirmed"] * RACERS
        on_hand, reserved, rows, lines = bookkeeping(sales)
        assert (on_hand, reserved, rows, lines) == (D(100), D(100), D(100), D(100))
        got = {i: sales.line_rows(i)[0].reserved_quantity for i in first}
        assert sorted(got.values()) == [D(10), D(30), D(30), D(30)]
        second = [sales.order(("PLAIN", 20), customer=f"R{n}") for n in range(RACERS)]
        for order_id in second:
            assert sales.confirm(order_id) == "confirmed"
        assert bookkeeping(sales)[1] == D(100)
        world.post(world.line("PLAIN", 50, "supplier", "WH1/STOCK", unit_cost=D("60")))
        delivered = run_threads(url, "deliver", [[a, b] for a, b in zip(first, second,
                                                                         strict=True)])
        ok = {r[1] for r in delivered if r[0] == "ok"}
        refused = [r for r in delivered if r[0] == "refused"]
        assert {i for i in first if got[i] == 30} <= ok
        assert {r[2] for r in refused} == {"INSUFFICIENT_STOCK"} and len(refused) == 3
        # The 50 that came in went to exactly two of the five orders that needed it.
        wanted = {i: (D(30) if i in first else D(20)) for i in (*first, *second)}
        out = sum((wanted[i] for i in ok), Decimal(0))
        on_hand, reserved, rows, lines = bookkeeping(sales)
        assert on_hand == D(150) - out and on_hand >= reserved
        assert reserved == rows == lines
        assert on_hand - reserved == D(10)
        assert world.balance("WH1/STOCK", "PLAIN") >= 0
    finally:
        world.env.database.dispose()


def test_postgresql_threads_never_oversell(pg_database_url: str) -> None:
    race(pg_database_url)


def test_sqlite_threads_never_oversell(tmp_path: Any) -> None:
    race(f"sqlite:///{tmp_path / 'race.sqlite'}")
