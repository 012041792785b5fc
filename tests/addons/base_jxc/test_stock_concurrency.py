"""Concurrent deliveries never oversell (the shape of Odoo's ``test_quant_mt``).

On PostgreSQL, 8 processes each post many small deliveries of the same product from a
known stock of 200, each delivery in its own unit of work retried on serialization
failures: exactly the 200 units leave, the stock ends at zero, every refusal is
``INSUFFICIENT_STOCK``.  Two buyers of the same serial unit who both saw it in stock: one
gets it, the other is refused.  The same on SQLite with threads (SQLite serialises writers,
which still must not oversell).
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import func, select
from stock_support import D, StockWorld, build_world, deliver_many, deliver_serial

from openjxc.addons.base_jxc.stock.models import StockBalance, StockMove

WORKERS = 8
ATTEMPTS = 25  # 8 × 25 × 2 on average ≈ 400 units wanted from 200
STOCK = 200
SERIAL_ROUNDS = 5


def prepare(database_url: str) -> StockWorld:
    world = build_world(database_url)
    world.post(world.line("PLAIN", STOCK, "supplier", "WH1/STOCK", unit_cost=D("12.34")))
    world.post(world.line("SER", SERIAL_ROUNDS, "supplier", "WH1/STOCK", unit_cost=D(500),
                          serials=[f"RACE-1..{SERIAL_ROUNDS}"]))
    return world


def check_no_oversell(world: StockWorld, outcomes: list[tuple[Any, ...]]) -> None:
    errors = [o for o in outcomes if o[0] == "error"]
    assert errors == []
    delivered = sum(o[1] for o in outcomes if o[0] == "ok")
    refusals = [o[1] for o in outcomes if o[0] == "refused"]
    assert delivered == STOCK
    assert refusals and set(refusals) == {"INSUFFICIENT_STOCK"}
    assert len([o for o in outcomes if o[0] in ("ok", "refused")]) == WORKERS * ATTEMPTS
    assert world.balance("WH1/STOCK", "PLAIN") == 0
    assert world.valuation("PLAIN") == (D(0), D("0.00"))
    with world.uow() as session:
        assert session.scalar(select(func.count()).select_from(StockBalance)
                              .where(StockBalance.quantity < 0)) == 0
        out = session.scalar(select(func.sum(StockMove.quantity)).where(
            StockMove.product_id == world.products["PLAIN"],
            StockMove.to_location_id == world.locations["customer"]))
        value = session.scalar(select(func.sum(StockMove.value)).where(
            StockMove.product_id == world.products["PLAIN"],
            StockMove.to_location_id == world.locations["customer"]))
    assert out == STOCK
    assert value == D("2468.00")  # 200 × 12.34, to the cent


def check_serial_races(world: StockWorld,
                       race: Callable[[list[str]], list[tuple[Any, ...]]]) -> None:
    numbers = [f"RACE-{n}" for n in range(1, SERIAL_ROUNDS + 1)]
    outcomes = race(numbers)
    assert [o for o in outcomes if o[0] == "error"] == []
    assert all(o[2] for o in outcomes), "both buyers saw the unit in stock"
    for number in numbers:
        won = [o for o in outcomes if o[0] == "ok" and o[1] == number]
        lost = [o for o in outcomes if o[0] == "refused" and o[3] == number]
        assert len(won) == 1 and len(lost) == 1, outcomes
        assert lost[0][1] in ("SERIAL_NOT_IN_LOCATION", "INSUFFICIENT_STOCK"), lost
        assert world.serial_location("SER", number) == world.locations["customer"]
    assert world.balance("WH1/STOCK", "SER") == 0
    assert world.valuation("SER") == (D(0), D("0.00"))


def run_processes(target: Callable[..., None], args_list: list[tuple[Any, ...]],
                  ) -> list[tuple[Any, ...]]:
    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    barrier = ctx.Barrier(len(args_list))
    processes = [ctx.Process(target=target, args=(*args, barrier, results))
                 for args in args_list]
    for p in processes:
        p.start()
    outcomes: list[tuple[Any, ...]] = []
    try:
        while any(p.is_alive() for p in processes) or not results.empty():
            try:
                outcomes.append(results.get(timeout=0.5))
            except queue.Empty:
                continue
    finally:
        for p in processes:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
    assert [p.exitcode for p in processes] == [0] * len(processes)
    return outcomes


def run_threads(target: Callable[..., None], args_list: list[tuple[Any, ...]],
                ) -> list[tuple[Any, ...]]:
    results: list[tuple[Any, ...]] = []
    barrier = threading.Barrier(len(args_list))
    threads = [threading.Thread(target=target, args=(*args, barrier, results))
               for args in args_list]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive()
    return results


def test_postgresql_processes_never_oversell(pg_database_url: str) -> None:
    world = prepare(pg_database_url)
    try:
        outcomes = run_processes(deliver_many, [(pg_database_url, seed, ATTEMPTS)
                                                for seed in range(WORKERS)])
        check_no_oversell(world, outcomes)
        check_serial_races(world, lambda numbers: run_processes(
            deliver_serial, [(pg_database_url, numbers), (pg_database_url, numbers)]))
    finally:
        world.env.database.dispose()


def test_sqlite_threads_never_oversell(tmp_path: Any) -> None:
    url = f"sqlite:///{tmp_path / 'race.sqlite'}"
    world = prepare(url)
    try:
        outcomes = run_threads(deliver_many, [(url, seed, ATTEMPTS) for seed in range(WORKERS)])
        check_no_oversell(world, outcomes)
        check_serial_races(world, lambda numbers: run_threads(
            deliver_serial, [(url, numbers), (url, numbers)]))
    finally:
        world.env.database.dispose()
