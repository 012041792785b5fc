"""The analysis reports at scale: turnover and dead stock over a big ledger.  Prints JSON.

The history is bench_stock's seeded workload (``random.Random(42)``, its generator and
set-up imported from ``bench_stock.py``): 1,000 products in 3 warehouses, documents of
``--doc-lines`` lines dated over the past ~12 months, months closed as the dates move
past them.  Receipts carry the origin ``purchase.receipt``, deliveries ``sales.delivery``
(so they are the cost of goods sold) and transfers ``transfer``.  Besides, 50 products
are received on the first day and never touched again: the dead stock to find.  The
moves are written straight into the ledger (``LedgerWriter``: posting speed is
bench_stock's subject, and a million moves through ``post_moves`` take long);
``--through-services`` posts them through ``post_moves`` instead.

Then each report is timed (median of ``--runs``), through the analysis services, as wall
time (``…_ms``) and this process's CPU time (``…_cpu_ms``: all of SQLite's work, steadier
than wall time on a busy machine; on PostgreSQL only the client's share):

- ``turnover_month_ms`` / ``turnover_year_ms``: inventory turnover of the last full month
  and of the whole year, per product (the biggest grouping);
- ``turnover_<group>_month_ms``, ``turnover_none_year_ms``: other groupings;
- ``dead_stock_ms``: dead and slow-moving stock of every warehouse (policy days);
- ``stockout_month_ms`` / ``stockout_year_ms``: stockout rate of the last full month and
  of the year per warehouse.

The closed months are read from their monthly totals (``jxc_stock_period_total``, written
when a month is closed: ``closing_ms`` is the mean time of closing one month, snapshot
and totals) and only the days outside them from the moves; ``--compare-moves`` also
times every report with that switched off (``…_from_moves_ms``: every move of the period
summed, as before the totals existed) and checks both give the same figures.

Aims (issue 5): reports < 1 s at 1M moves.

    .venv/bin/python benchmarks/bench_analysis.py                      # 20,000 moves, both
    .venv/bin/python benchmarks/bench_analysis.py --moves 1000000 --backend sqlite
    .venv/bin/python benchmarks/bench_analysis.py --backend sqlite --without-index

``--without-index`` drops the chapter's ledger index (origin, date) first, to see what
it saves the reports.  Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_stock  # (the workload generator and set-up are shared)

DEAD_PRODUCTS = 50
ORIGINS = {"receipt": "purchase.receipt", "delivery": "sales.delivery",
           "transfer": "transfer"}
AIM_MS = 1000
CENT = Decimal("0.01")


def log(message: str) -> None:
    print(f"bench_analysis: {message}", file=sys.stderr, flush=True)


def receive_dead_products(env: Any, setup: bench_stock.Setup, day: date) -> int:
    """Products received once, on the first day, and never moved again."""
    from openjxc.addons.base_jxc.catalog.services import ProductInput, create_product
    from openjxc.addons.base_jxc.stock.posting import MoveLine, post_moves

    with env.unit_of_work() as session:
        lines = []
        for n in range(DEAD_PRODUCTS):
            product = create_product(session, ProductInput(
                code=f"DEAD{n:03d}", name=f"Dead {n}", category_code="BENCH"))
            lines.append(MoveLine(product_id=product.id, quantity=Decimal(10 + n),
                                  from_location_id=setup.supplier_id,
                                  to_location_id=setup.stocks[n % len(setup.stocks)],
                                  unit_cost=Decimal("123.45")))
        post_moves(session, lines, move_date=day, origin_type="purchase.receipt")
    return len(lines)


def post_history(env: Any, workload: bench_stock.Workload, moves: int, doc_lines: str,
                 start: date, end: date, through_services: bool) -> dict[str, Any]:
    """bench_stock's history, each document with its business origin; months closed as
    the dates pass them.  Through ``post_moves`` when ``through_services``, else written
    straight into the ledger (see :class:`LedgerWriter`)."""
    from openjxc.addons.base_jxc.stock.periods import close_stock_period
    from openjxc.addons.base_jxc.stock.posting import post_moves

    writer = LedgerWriter(env, workload)
    closing: list[float] = []
    posting = 0.0
    posted = documents = 0
    month = (start.year, start.month)
    next_log = time.perf_counter() + 30
    for doc in workload.plan(moves, doc_lines, start, end):
        if (doc.move_date.year, doc.move_date.month) != month:
            writer.flush()
            t0 = time.perf_counter()
            with env.unit_of_work() as session:
                close_stock_period(session, date(*month, 1))
            closing.append(time.perf_counter() - t0)
            month = (doc.move_date.year, doc.move_date.month)
        if not doc.lines:
            continue
        t0 = time.perf_counter()
        if through_services:
            with env.unit_of_work() as session:
                post_moves(session, bench_stock.move_lines(doc.lines),
                           move_date=doc.move_date, origin_type=ORIGINS[doc.kind],
                           reference=f"{doc.kind[:3].upper()}{documents:07d}")
        else:
            writer.add(doc, f"{doc.kind[:3].upper()}{documents:07d}")
        posting += time.perf_counter() - t0
        posted += len(doc.lines)
        documents += 1
        if time.perf_counter() > next_log:
            next_log += 30
            log(f"  {posted:,} moves written, {posted / posting:,.0f} moves/s")
    t0 = time.perf_counter()
    writer.flush()
    posting += time.perf_counter() - t0
    return {"moves": posted, "documents": documents, "through_services": through_services,
            "writing_s": round(posting, 2),
            "writing_moves_per_s": round(posted / posting) if posting else None,
            "months_closed": len(closing),
            "closing_ms": round(statistics.mean(closing) * 1000, 1) if closing else None}


class LedgerWriter:
    """Writes the workload's moves straight into ``jxc_stock_move`` in big batches.

    The reports read only the ledger and the month-end snapshots (which closing a month
    builds from the ledger), so a ledger with the right quantities, dates, locations and
    values is all they need; filling it this way takes seconds where posting a million
    moves one document at a time takes many minutes (``bench_stock.py`` measures that).
    Values follow a company-wide moving average per product, as the engine's; batches and
    serial units are not kept (the reports do not look at them).
    """

    BATCH = 20_000

    def __init__(self, env: Any, workload: bench_stock.Workload) -> None:
        self.env = env
        self.quantity: dict[int, Decimal] = {}
        self.value: dict[int, Decimal] = {}
        self.pending: list[dict[str, Any]] = []

    def add(self, doc: Any, reference: str) -> None:
        for line in doc.lines:
            quantity = Decimal(line.quantity)
            product = line.product_id
            if line.unit_cost is not None:  # a receipt, at its price
                value = (quantity * line.unit_cost).quantize(CENT)
                self.quantity[product] = self.quantity.get(product, Decimal(0)) + quantity
                self.value[product] = self.value.get(product, Decimal(0)) + value
            else:
                held = self.quantity.get(product, Decimal(0))
                average = self.value.get(product, Decimal(0)) / held if held else Decimal(0)
                value = (quantity * average).quantize(CENT)
                if doc.kind == "delivery":
                    self.quantity[product] = held - quantity
                    self.value[product] = self.value.get(product, Decimal(0)) - value
            self.pending.append({
                "move_date": doc.move_date, "product_id": product,
                "from_location_id": line.from_location_id,
                "to_location_id": line.to_location_id, "batch_id": 0, "quantity": quantity,
                "unit_cost": (value / quantity).quantize(Decimal("0.000001")),
                "value": value, "origin_type": ORIGINS[doc.kind], "reference": reference})
        if len(self.pending) >= self.BATCH:
            self.flush()

    def flush(self) -> None:
        from sqlalchemy import insert

        from openjxc.addons.base_jxc.stock.models import StockMove

        if not self.pending:
            return
        with self.env.unit_of_work() as session:
            session.execute(insert(StockMove), self.pending)
        self.pending = []


def timed(env: Any, action: Any, runs: int) -> tuple[float, float, Any]:
    """Median wall and CPU time in ms of ``action(session)`` (each run in its own read-only
    unit of work, after one warm-up run), and its last result.  The CPU time is this
    process's: all of SQLite's work, only the client's share on PostgreSQL."""
    walls, cpus = [], []
    result = None
    for i in range(runs + 1):
        with env.unit_of_work(readonly=True) as session:
            t0, c0 = time.perf_counter(), time.process_time()
            result = action(session)
            if i:
                walls.append(time.perf_counter() - t0)
                cpus.append(time.process_time() - c0)
    return (round(statistics.median(walls) * 1000, 1),
            round(statistics.median(cpus) * 1000, 1), result)


def measure(env: Any, end: date, runs: int, compare_moves: bool) -> dict[str, Any]:
    from openjxc.addons.base_jxc.analysis import closed_months
    from openjxc.addons.base_jxc.analysis import dead_stock as dead
    from openjxc.addons.base_jxc.analysis.common import GroupBy, period
    from openjxc.addons.base_jxc.analysis.stockouts import stockout_rate
    from openjxc.addons.base_jxc.analysis.turnover import inventory_turnover

    first_of_month = end.replace(day=1)
    last_month = period((first_of_month - timedelta(days=1)).replace(day=1),
                        first_of_month - timedelta(days=1))
    year = period(end - timedelta(days=364), end)
    out: dict[str, Any] = {"month": [last_month.date_from.isoformat(),
                                     last_month.date_to.isoformat()],
                           "year": [year.date_from.isoformat(), year.date_to.isoformat()]}

    def record(name: str, action: Any) -> Any:
        out[f"{name}_ms"], out[f"{name}_cpu_ms"], result = timed(env, action, runs)
        if compare_moves and not name.startswith("dead_stock"):
            split = closed_months.first_whole_month
            closed_months.first_whole_month = lambda period: None  # type: ignore[assignment]
            try:
                (out[f"{name}_from_moves_ms"], out[f"{name}_from_moves_cpu_ms"],
                 slow) = timed(env, action, runs)
            finally:
                closed_months.first_whole_month = split  # type: ignore[assignment]
            if slow != result:
                out.setdefault("differ_from_moves", []).append(name)
        return result

    groups = record("turnover_month", lambda s: inventory_turnover(s, last_month,
                                                                   GroupBy.PRODUCT))
    out["turnover_month_groups"] = len(groups)
    groups = record("turnover_year", lambda s: inventory_turnover(s, year, GroupBy.PRODUCT))
    out["turnover_year_groups"] = len(groups)
    for group in (GroupBy.NONE, GroupBy.CATEGORY, GroupBy.WAREHOUSE):
        record(f"turnover_{group.value}_month",
               lambda s, g=group: inventory_turnover(s, last_month, g))
    [whole] = record("turnover_none_year", lambda s: inventory_turnover(s, year, GroupBy.NONE))
    out["turnover_year_company"] = {"cogs": str(whole.cost_of_goods_sold),
                                    "average_value": str(whole.average_value),
                                    "turnover": str(whole.turnover),
                                    "turnover_days": str(whole.turnover_days)}
    items = record("dead_stock", lambda s: dead.dead_stock(s, dead.criteria(s, as_of=end)))
    out["dead_stock_rows"] = len(items)
    out["dead_stock_dead_rows"] = sum(1 for i in items if i.status is dead.StockAge.DEAD)
    figures = record("stockout_month", lambda s: stockout_rate(s, last_month,
                                                               GroupBy.WAREHOUSE))
    out["stockout_month_pairs"] = [[f.demand_count, f.stockout_count] for f in figures]
    figures = record("stockout_year", lambda s: stockout_rate(s, year, GroupBy.WAREHOUSE))
    out["stockout_year_pairs"] = [[f.demand_count, f.stockout_count] for f in figures]
    return out


def run_backend(backend: str, moves: int, doc_lines: str, runs: int,
                without_index: bool, through_services: bool,
                compare_moves: bool = False) -> dict[str, Any]:
    from sqlalchemy import text

    from openjxc.core.env import Environment
    from openjxc.core.migrate import create_database

    rng = random.Random(42)
    today = date.today()
    start, end = today - timedelta(days=bench_stock.HISTORY_DAYS), today - timedelta(days=1)
    result: dict[str, Any] = {"backend": backend, "moves_requested": moves,
                              "document_lines": doc_lines, "without_index": without_index,
                              "load_average_1m_at_start": round(os.getloadavg()[0], 2)}
    with bench_stock.temporary_database(backend) as url:
        env = Environment.for_edition("basic", database_url=url)
        log(f"{backend}: create database")
        create_database(env)
        if without_index:
            with env.database.engine.begin() as connection:
                connection.execute(text("DROP INDEX ix_jxc_stock_move_origin_date"))
        setup = bench_stock.set_up(env, rng)
        result["dead_products"] = receive_dead_products(env, setup, start)
        workload = bench_stock.Workload(rng, setup.products, setup.stocks,
                                        setup.supplier_id, setup.customer_id)
        log(f"{backend}: posting {moves:,} moves in documents of {doc_lines}")
        result.update(post_history(env, workload, moves, doc_lines, start, end,
                                   through_services))
        if backend == "postgresql":
            # What autovacuum does soon after a big load: statistics, and the visibility
            # map that lets the covering index answer without visiting the table.
            with env.database.engine.connect().execution_options(
                    isolation_level="AUTOCOMMIT") as connection:
                connection.execute(text("VACUUM ANALYZE"))
        log(f"{backend}: reports")
        result.update(measure(env, end, runs, compare_moves))
        env.database.dispose()
    result["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    timings = {k: v for k, v in result.items() if k.endswith("_ms") and "_cpu_" not in k
               and "_from_moves_" not in k and k != "closing_ms"}
    result["aim_ms"] = AIM_MS
    result["meets"] = {k: v < AIM_MS for k, v in timings.items()}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--moves", type=int, default=20_000, help="moves in the history")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--doc-lines", default="100",
                        help="lines per document (N, or a range A-B drawn per document)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per report")
    parser.add_argument("--without-index", action="store_true",
                        help="drop the analysis index on the ledger before posting")
    parser.add_argument("--compare-moves", action="store_true",
                        help="also time each report from the moves alone (closed months' "
                             "totals not used) and check the figures agree")
    parser.add_argument("--through-services", action="store_true",
                        help="post the history through post_moves (slow) instead of "
                             "writing the ledger directly")
    args = parser.parse_args()
    head = {"benchmark": "analysis", "cpu_count": os.cpu_count()}
    if args.backend != "both":
        print(json.dumps({**head, **run_backend(args.backend, args.moves, args.doc_lines,
                                                args.runs, args.without_index,
                                                args.through_services,
                                                args.compare_moves)}))
        return
    # Each backend in its own interpreter, so that peak memory is that backend's.
    result: dict[str, Any] = dict(head)
    for backend in ("sqlite", "postgresql"):
        extra = (["--without-index"] if args.without_index else []) + (
            ["--through-services"] if args.through_services else []) + (
            ["--compare-moves"] if args.compare_moves else [])
        done = subprocess.run([sys.executable, __file__, "--backend", backend, "--moves",
                               str(args.moves), "--doc-lines", str(args.doc_lines),
                               "--runs", str(args.runs), *extra],
                              stdout=subprocess.PIPE, text=True, check=True)
        one = json.loads(done.stdout)
        result[backend] = {k: v for k, v in one.items() if k not in head}
    print(json.dumps(result))


if __name__ == "__main__":
    main()
