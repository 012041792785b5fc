"""The stock engine at scale, through the service layer.  Prints JSON.

One seeded workload (``random.Random(42)``): 1,000 products in 3 warehouses, 10% of them
serial- or batch-tracked; documents of ``--doc-lines`` lines, each a receipt (50%), a
delivery that never exceeds what is there (35%) or a transfer between warehouses (15%),
dated over the past ~12 months; each month is closed (``close_stock_period``) once the
dates have moved past it.  Then it measures the reads and two big documents:

- ``posting_moves_per_s``: moves / time spent in ``post_moves`` and the commit (one
  transaction per document, with the in-transaction handlers of ``stock.moves.posted`` —
  the alert triggers; generating the workload and closing months not counted);
  ``posting_moves_per_cpu_s`` per CPU second of this process (all of SQLite's work) and,
  on PostgreSQL, ``posting_moves_per_client_and_server_cpu_s`` counting its backends' CPU
  too (read from ``/proc``: a server on this machine) — steadier than wall time when the
  machine is busy; ``posting_gc_s``: the part of the posting time Python's garbage
  collector took;
- ``on_hand_one_median_us``: ``on_hand_by_product([p], warehouse_id=w)`` for random p, w;
- ``on_hand_all_ms``: ``on_hand_by_warehouse``: Σ available per product × warehouse over
  ``StockBalance``;
- ``as_of_all_ms``: ``stock_as_of`` of everything at a date in the middle of the history;
- ``peak_rss_mb``: the process's peak resident memory (each backend runs in its own
  interpreter);
- ``serial_receipt_10000_s``: one receipt line of 10,000 new serial units;
- ``document_5000_lines_s``: one 5,000-line document of count-like adjustments (gains
  and losses across products and warehouses) — what posting a count's variances sends to
  ``post_moves``.

``--doc-lines`` sets the document size (default 100; a counter clerk's delivery has 1–20
lines, a receipt from a big supplier hundreds): the cost of a document — its unit of work,
savepoint and a handful of statements — is shared by its lines, so moves/s grow with it.

Aims (issue 4, 2-core machine): ≥ 25,000 moves/s on SQLite, ≥ 10,000 on PostgreSQL; one
on-hand ≤ 0.2 ms at 1M moves; all on-hand ≤ 50 ms; all as-of at 1M < 1 s; a
10,000-serial receipt < 2 s; a 5,000-line document < 3 s.

    .venv/bin/python benchmarks/bench_stock.py                      # 20,000 moves, both
    .venv/bin/python benchmarks/bench_stock.py --moves 1000000 --backend sqlite
    .venv/bin/python benchmarks/bench_stock.py --backend sqlite --profile /tmp/post.prof
    .venv/bin/python benchmarks/bench_stock.py --backend postgresql --doc-lines 10

Progress goes to stderr.  On a busy machine compare the ``…_per_cpu_s`` figures and the
load averages the result records.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import gc
import io
import json
import os
import pstats
import random
import resource
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

PG_ADMIN_URL = os.environ.get("OPENJXC_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PRODUCTS = 1000
WAREHOUSES = 3
TRACKED_SHARE = 0.10
MIX = (("receipt", 50), ("delivery", 35), ("transfer", 15))
HISTORY_DAYS = 365
AIMS = {
    "posting_moves_per_s": {"sqlite": 25_000, "postgresql": 10_000},
    "on_hand_one_median_us": 200,
    "on_hand_all_ms": 50,
    "as_of_all_ms": 1000,
    "serial_receipt_10000_s": 2,
    "document_5000_lines_s": 3,
}


def log(message: str) -> None:
    """Progress goes to stderr: stdout carries only the JSON."""
    print(f"bench_stock: {message}", file=sys.stderr, flush=True)


# -- the workload ----------------------------------------------------------------------------

@dataclass
class Line:
    """A move line as the generator sees it (turned into a ``MoveLine`` when posted)."""

    product_id: int
    quantity: int
    from_location_id: int
    to_location_id: int
    unit_cost: Decimal | None = None
    batch_number: str | None = None
    manufactured_on: date | None = None
    expires_on: date | None = None
    serials: list[str] = field(default_factory=list)


@dataclass
class Document:
    kind: str
    move_date: date
    lines: list[Line]


class Workload:
    """Seeded documents whose deliveries and transfers only take what is there.

    Stock is followed in memory per (location, product, batch number); serial units per
    (location, product).  A key with stock sits in ``_keys`` for O(1) random choice.
    """

    def __init__(self, rng: random.Random, products: list[tuple[int, str]],
                 stocks: list[int], supplier_id: int, customer_id: int) -> None:
        self.rng = rng
        self.products = products
        self.tracking = dict(products)
        self.stocks = stocks
        self.supplier_id = supplier_id
        self.customer_id = customer_id
        self.cost = {pid: Decimal(rng.randint(500, 500_000)) / 100 for pid, _t in products}
        self.on_hand: dict[tuple[int, int, str], int] = {}
        self.units: dict[tuple[int, int, str], list[str]] = {}
        self._keys: list[tuple[int, int, str]] = []
        self._where: dict[tuple[int, int, str], int] = {}
        self._serial_counter = 0

    # stock bookkeeping
    def _add(self, key: tuple[int, int, str], quantity: int, serials: list[str] = ()) -> None:  # type: ignore[assignment]
        self.on_hand[key] = self.on_hand.get(key, 0) + quantity
        if serials:
            self.units.setdefault(key, []).extend(serials)
        if self.on_hand[key] > 0 and key not in self._where:
            self._where[key] = len(self._keys)
            self._keys.append(key)

    def _take(self, key: tuple[int, int, str], quantity: int) -> list[str]:
        self.on_hand[key] -= quantity
        taken: list[str] = []
        if self.tracking[key[1]] == "serial":
            units = self.units[key]
            taken, self.units[key] = units[-quantity:], units[:-quantity]
        if self.on_hand[key] == 0:
            at = self._where.pop(key)
            last = self._keys.pop()
            if last != key:
                self._keys[at] = last
                self._where[last] = at
        return taken

    def available_keys(self) -> int:
        return len(self._keys)

    # documents
    def document(self, kind: str, move_date: date, size: int) -> Document:
        if kind != "receipt" and not self._keys:
            kind = "receipt"
        lines = []
        for _ in range(size):
            if kind != "receipt" and not self._keys:
                break
            lines.append(getattr(self, kind)(move_date))
        return Document(kind, move_date, lines)

    def receipt(self, move_date: date) -> Line:
        rng = self.rng
        product_id, tracking = self.products[rng.randrange(len(self.products))]
        stock = self.stocks[rng.randrange(len(self.stocks))]
        cost = (self.cost[product_id] * Decimal(rng.randint(90, 110)) / 100).quantize(
            Decimal("0.01"))
        line = Line(product_id, 0, self.supplier_id, stock, unit_cost=cost)
        batch = ""
        if tracking == "serial":
            line.quantity = rng.randint(1, 5)
            first = self._serial_counter + 1
            self._serial_counter += line.quantity
            line.serials = [f"SN{n:08d}" for n in range(first, first + line.quantity)]
        else:
            line.quantity = rng.randint(1, 50)
        if tracking == "batch":
            batch = f"L{product_id}-{move_date:%y%m}"
            line.batch_number = batch
            line.manufactured_on = move_date - timedelta(days=30)
            line.expires_on = move_date + timedelta(days=3 * 365)
        self._add((stock, product_id, batch), line.quantity, line.serials)
        return line

    def _outgoing(self, to_location_id: int | None) -> Line:
        rng = self.rng
        key = self._keys[rng.randrange(len(self._keys))]
        stock, product_id, batch = key
        quantity = rng.randint(1, min(self.on_hand[key], 10))
        if to_location_id is None:  # a transfer: to another warehouse's stock
            to_location_id = rng.choice([s for s in self.stocks if s != stock])
        serials = self._take(key, quantity)
        if to_location_id in self.stocks:
            self._add((to_location_id, product_id, batch), quantity, serials)
        return Line(product_id, quantity, stock, to_location_id, batch_number=batch or None,
                    serials=serials)

    def delivery(self, _move_date: date) -> Line:
        return self._outgoing(self.customer_id)

    def transfer(self, _move_date: date) -> Line:
        return self._outgoing(None)

    def plan(self, moves: int, doc_lines: str, start: date, end: date) -> Iterator[Document]:
        """Documents until ``moves`` lines, dated from start to end: of ``doc_lines`` lines
        (``"100"``) or of a size drawn for each document (``"1-20"``)."""
        kinds = [k for k, _w in MIX]
        weights = [w for _k, w in MIX]
        low, high = parse_doc_lines(doc_lines)
        documents = -(-moves // low) if low == high else None
        span = (end - start).days
        made = i = 0
        while made < moves if documents is None else i < documents:
            kind = self.rng.choices(kinds, weights)[0]
            if documents is not None:
                day = start + timedelta(days=span * i // max(documents - 1, 1))
                size = low
            else:
                day = start + timedelta(days=span * made // moves)
                size = self.rng.randint(low, high)
            doc = self.document(kind, day, min(size, moves - made))
            made += len(doc.lines)
            i += 1
            yield doc


def parse_doc_lines(text: str) -> tuple[int, int]:
    """``"100"`` → (100, 100); ``"1-20"`` → (1, 20)."""
    low, _sep, high = str(text).partition("-")
    bounds = (int(low), int(high or low))
    if not 1 <= bounds[0] <= bounds[1]:
        raise ValueError(f"document lines {text!r}: give N or A-B with 1 <= A <= B")
    return bounds


# -- setting up ------------------------------------------------------------------------------

@contextlib.contextmanager
def temporary_database(backend: str) -> Iterator[str]:
    """A new, empty database of ``backend``, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="openjxc-bench-stock-") as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    import psycopg

    name = f"openjxc_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
            yield f"{base}/{name}"
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Setup:
    products: list[tuple[int, str]]
    warehouses: list[int]
    stocks: list[int]
    supplier_id: int
    customer_id: int
    adjustment_id: int
    serial_product_id: int


def set_up(env: Any, rng: random.Random) -> Setup:
    from openjxc.addons.base_jxc.catalog.services import (
        ProductInput,
        create_category,
        create_product,
    )
    from openjxc.addons.base_jxc.stock.warehouses import (
        company_location,
        create_warehouse,
        warehouse_location,
    )

    with env.unit_of_work() as session:
        create_category(session, code="BENCH", name="Benchmark")
        products = []
        for n in range(PRODUCTS):
            tracking = "none"
            if rng.random() < TRACKED_SHARE:
                tracking = rng.choice(["serial", "batch"])
            product = create_product(session, ProductInput(
                code=f"P{n:05d}", name=f"Product {n}", category_code="BENCH",
                tracking=tracking))
            products.append((product.id, tracking))
        big = create_product(session, ProductInput(code="SERIAL-BIG", name="Serial receipt",
                                                   category_code="BENCH", tracking="serial"))
        warehouses, stocks = [], []
        for n in range(1, WAREHOUSES + 1):
            warehouse = create_warehouse(session, code=f"WH{n}", name=f"Warehouse {n}",
                                         kind="hq" if n == 1 else "branch")
            warehouses.append(warehouse.id)
            stocks.append(warehouse_location(session, warehouse.id, "internal").id)
        return Setup(products, warehouses, stocks, company_location(session, "supplier").id,
                     company_location(session, "customer").id,
                     company_location(session, "adjustment").id, big.id)


def move_lines(lines: list[Line]) -> list[Any]:
    from openjxc.addons.base_jxc.stock.posting import MoveLine

    return [MoveLine(product_id=x.product_id, quantity=Decimal(x.quantity),
                     from_location_id=x.from_location_id, to_location_id=x.to_location_id,
                     unit_cost=x.unit_cost, batch_number=x.batch_number,
                     manufactured_on=x.manufactured_on, expires_on=x.expires_on,
                     serials=x.serials) for x in lines]


# -- measuring -------------------------------------------------------------------------------

class ServerCpu:
    """CPU seconds used by the PostgreSQL backends of ``engine``'s connections (a server on
    this machine: read from ``/proc``), so that posting can be reported per CPU second of
    client *and* server — steadier than wall time when the machine is busy."""

    def __init__(self, engine: Any) -> None:
        from sqlalchemy import event

        self.pids: set[int] = set()
        self.tick = os.sysconf("SC_CLK_TCK")
        if engine.dialect.name == "postgresql":
            event.listen(engine, "connect", self._connected)
            engine.dispose()  # every connection from now on is seen

    def _connected(self, dbapi_connection: Any, _record: Any) -> None:
        self.pids.add(dbapi_connection.info.backend_pid)

    def seconds(self) -> float:
        total = 0
        for pid in self.pids:
            try:
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:  # gone, or not on this machine
                continue
            total += int(fields[11]) + int(fields[12])  # utime + stime
        return total / self.tick


class GcTime:
    """Time the garbage collector spends while ``counting`` is set."""

    def __init__(self) -> None:
        self.counting = False
        self.seconds = 0.0
        self.collections = 0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, _info: dict[str, Any]) -> None:
        if not self.counting:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.collections += 1


def post_history(env: Any, workload: Workload, moves: int, doc_lines: str, start: date,
                 end: date, profiler: cProfile.Profile | None) -> dict[str, Any]:
    from openjxc.addons.base_jxc.stock.periods import close_stock_period
    from openjxc.addons.base_jxc.stock.posting import post_moves

    posting = closing = cpu = server = 0.0
    posted = documents = closed = 0
    server_cpu = ServerCpu(env.database.engine)
    collector = GcTime()
    month = (start.year, start.month)
    wall = time.perf_counter()
    next_log = wall + 30
    for doc in workload.plan(moves, doc_lines, start, end):
        if (doc.move_date.year, doc.move_date.month) != month:
            t0 = time.perf_counter()
            with env.unit_of_work() as session:
                close_stock_period(session, date(*month, 1))
            closing += time.perf_counter() - t0
            closed += 1
            month = (doc.move_date.year, doc.move_date.month)
        if not doc.lines:
            continue
        lines = move_lines(doc.lines)
        s0 = server_cpu.seconds() if server_cpu.pids else 0.0
        t0, c0 = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        collector.counting = True
        with env.unit_of_work() as session:
            post_moves(session, lines, move_date=doc.move_date, origin_type="bench",
                       reference=f"{doc.kind[:3].upper()}{documents:07d}")
        collector.counting = False
        if profiler is not None:
            profiler.disable()
        posting += time.perf_counter() - t0
        cpu += time.process_time() - c0
        if server_cpu.pids:
            server += server_cpu.seconds() - s0
        posted += len(lines)
        documents += 1
        if time.perf_counter() > next_log:
            next_log += 30
            log(f"  {posted:,} moves posted, {posted / posting:,.0f} moves/s")
    return {
        "moves": posted,
        "documents": documents,
        "posting_s": round(posting, 2),
        "posting_moves_per_s": round(posted / posting),
        # This process's CPU only (all of SQLite's work; not PostgreSQL's server side):
        # steadier than wall time on a busy machine.
        "posting_cpu_s": round(cpu, 2),
        "posting_moves_per_cpu_s": round(posted / cpu) if cpu else None,
        # PostgreSQL: its backends' CPU too (a server on this machine; clock ticks of 10 ms).
        "posting_server_cpu_s": round(server, 2) if server_cpu.pids else None,
        "posting_moves_per_client_and_server_cpu_s": (
            round(posted / (cpu + server)) if server_cpu.pids and cpu + server else None),
        # Of the posting time, what Python's cyclic garbage collector took (it runs when
        # enough objects were made, whoever made them: here the workload's own bookkeeping
        # grows the heap the collector walks).
        "posting_gc_s": round(collector.seconds, 2),
        "posting_gc_collections": collector.collections,
        "months_closed": closed,
        "closing_months_s": round(closing, 2),
        "history_wall_s": round(time.perf_counter() - wall, 1),
    }


def median_timing(action: Any, runs: int) -> float:
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        action()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def measure_reads(env: Any, setup: Setup, middle: date, rng: random.Random) -> dict[str, Any]:
    from openjxc.addons.base_jxc.stock.queries import (
        on_hand_by_product,
        on_hand_by_warehouse,
        stock_as_of,
    )

    product_ids = [p for p, _t in setup.products]
    pairs = [(rng.choice(product_ids), rng.choice(setup.warehouses)) for _ in range(2000)]
    with env.unit_of_work(readonly=True) as session:
        for product_id, warehouse_id in pairs[:200]:  # warm the caches
            on_hand_by_product(session, [product_id], warehouse_id=warehouse_id)
        samples = []
        for product_id, warehouse_id in pairs:
            t0 = time.perf_counter()
            on_hand_by_product(session, [product_id], warehouse_id=warehouse_id)
            samples.append(time.perf_counter() - t0)
        rows = len(on_hand_by_warehouse(session))
        on_hand_all = median_timing(lambda: on_hand_by_warehouse(session), 7)
        as_of_rows = len(stock_as_of(session, middle))
        as_of = median_timing(lambda: stock_as_of(session, middle), 3)
    return {
        "on_hand_one_median_us": round(statistics.median(samples) * 1e6),
        "on_hand_one_p95_us": round(sorted(samples)[int(len(samples) * 0.95)] * 1e6),
        "on_hand_all_ms": round(on_hand_all * 1000, 1),
        "on_hand_all_rows": rows,
        "as_of_date": middle.isoformat(),
        "as_of_all_ms": round(as_of * 1000, 1),
        "as_of_rows": as_of_rows,
    }


def measure_big_documents(env: Any, setup: Setup, workload: Workload,
                          day: date) -> dict[str, Any]:
    from openjxc.addons.base_jxc.stock.posting import MoveLine, post_moves

    receipt = [MoveLine(product_id=setup.serial_product_id, quantity=Decimal(10_000),
                        from_location_id=setup.supplier_id, to_location_id=setup.stocks[0],
                        unit_cost=Decimal("1250.00"), serials=["BIG-2026-00001..10000"])]
    t0 = time.perf_counter()
    with env.unit_of_work() as session:
        post_moves(session, receipt, move_date=day, origin_type="bench")
    serial_receipt = time.perf_counter() - t0

    # A count's variances: gains from the adjustment location, losses back to it, over
    # untracked products in every warehouse (a loss never takes more than is there).
    rng = workload.rng
    untracked = [p for p, t in setup.products if t == "none"]
    lines = []
    for n in range(5000):
        stock = setup.stocks[n % len(setup.stocks)]
        product_id = untracked[(n // len(setup.stocks)) % len(untracked)]
        here = workload.on_hand.get((stock, product_id, ""), 0)
        if here > 0 and rng.random() < 0.5:
            quantity = rng.randint(1, min(here, 3))
            workload._take((stock, product_id, ""), quantity)
            lines.append(MoveLine(product_id=product_id, quantity=Decimal(quantity),
                                  from_location_id=stock, to_location_id=setup.adjustment_id))
        else:
            quantity = rng.randint(1, 3)
            workload._add((stock, product_id, ""), quantity)
            lines.append(MoveLine(product_id=product_id, quantity=Decimal(quantity),
                                  from_location_id=setup.adjustment_id, to_location_id=stock))
    t0 = time.perf_counter()
    with env.unit_of_work() as session:
        post_moves(session, lines, move_date=day, origin_type="bench.count")
    document = time.perf_counter() - t0
    return {"serial_receipt_10000_s": round(serial_receipt, 3),
            "document_5000_lines_s": round(document, 3)}


def check_balances(env: Any) -> bool:
    """Balances equal Σ moves (a cheap sanity check that the numbers measured something)."""
    from sqlalchemy import func, select, union_all

    from openjxc.addons.base_jxc.stock.models import StockBalance, StockMove

    with env.unit_of_work(readonly=True) as session:
        ins = select(StockMove.to_location_id.label("loc"), StockMove.product_id.label("p"),
                     StockMove.batch_id.label("b"), StockMove.quantity.label("q"))
        outs = select(StockMove.from_location_id, StockMove.product_id, StockMove.batch_id,
                      -StockMove.quantity)
        moves = union_all(ins, outs).subquery()
        ledger = {(r[0], r[1], r[2]): Decimal(r[3]) for r in session.execute(
            select(moves.c.loc, moves.c.p, moves.c.b, func.sum(moves.c.q))
            .group_by(moves.c.loc, moves.c.p, moves.c.b))}
        balances = {(r[0], r[1], r[2]): Decimal(r[3]) for r in session.execute(
            select(StockBalance.location_id, StockBalance.product_id, StockBalance.batch_id,
                   StockBalance.quantity))}
    return all(ledger.get(k, Decimal(0)) == q for k, q in balances.items())


def run_backend(backend: str, moves: int, doc_lines: str, profile: str | None,
                hold_connection: bool = False) -> dict[str, Any]:
    from openjxc.core.env import Environment
    from openjxc.core.migrate import create_database

    rng = random.Random(42)
    today = date.today()
    start, end = today - timedelta(days=HISTORY_DAYS), today - timedelta(days=1)
    result: dict[str, Any] = {"backend": backend, "moves_requested": moves,
                              "document_lines": doc_lines, "hold_connection": hold_connection,
                              "load_average_1m_at_start": round(os.getloadavg()[0], 2)}
    with temporary_database(backend) as url:
        env = Environment.for_edition("basic", database_url=url)
        log(f"{backend}: create database, {PRODUCTS} products, {WAREHOUSES} warehouses")
        create_database(env)
        setup = set_up(env, rng)
        workload = Workload(rng, setup.products, setup.stocks, setup.supplier_id,
                            setup.customer_id)
        log(f"{backend}: posting {moves:,} moves in documents of {doc_lines}")
        profiler = cProfile.Profile() if profile else None
        with contextlib.ExitStack() as stack:
            if hold_connection:
                # An idle connection kept open, as a pooled server would: SQLite then does
                # not checkpoint the WAL each time a unit of work closes its connection.
                stack.enter_context(env.database.engine.connect())
            result.update(post_history(env, workload, moves, doc_lines, start, end,
                                       profiler))
        if profiler is not None and profile:
            profiler.dump_stats(profile)
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
            log(f"profile written to {profile}; top by own time:\n{out.getvalue()}")
        log(f"{backend}: reads")
        result.update(measure_reads(env, setup, start + (end - start) / 2, rng))
        log(f"{backend}: big documents")
        result.update(measure_big_documents(env, setup, workload, end))
        result["balances_equal_moves"] = check_balances(env)
        env.database.dispose()
    result["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    aims = {k: (v[backend] if isinstance(v, dict) else v) for k, v in AIMS.items()}
    result["aims"] = aims
    result["meets"] = {
        "posting_moves_per_s": result["posting_moves_per_s"] >= aims["posting_moves_per_s"],
        "on_hand_one_median_us": result["on_hand_one_median_us"]
        <= aims["on_hand_one_median_us"],
        "on_hand_all_ms": result["on_hand_all_ms"] <= aims["on_hand_all_ms"],
        "as_of_all_ms": result["as_of_all_ms"] < aims["as_of_all_ms"],
        "serial_receipt_10000_s": result["serial_receipt_10000_s"]
        < aims["serial_receipt_10000_s"],
        "document_5000_lines_s": result["document_5000_lines_s"]
        < aims["document_5000_lines_s"],
    }
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--moves", type=int, default=20_000, help="moves in the history")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--doc-lines", default="100",
                        help="lines per document: N, or A-B for a size drawn per document")
    parser.add_argument("--hold-connection", action="store_true",
                        help="keep an idle connection open while posting (SQLite files are "
                             "pooled now, so this changes little; kept to compare runs)")
    parser.add_argument("--profile", metavar="FILE",
                        help="cProfile the posting (one backend only); pstats dump to FILE")
    args = parser.parse_args()
    if args.backend != "both":
        print(json.dumps({"benchmark": "stock", "cpu_count": os.cpu_count(),
                          **run_backend(args.backend, args.moves, args.doc_lines,
                                        args.profile, args.hold_connection)}))
        return
    if args.profile:
        parser.error("--profile needs --backend sqlite or postgresql")
    # Each backend in its own interpreter, so that peak memory is that backend's.
    result: dict[str, Any] = {"benchmark": "stock", "cpu_count": os.cpu_count(),
                              "load_average_1m_at_start": round(os.getloadavg()[0], 2)}
    for backend in ("sqlite", "postgresql"):
        extra = ["--hold-connection"] if args.hold_connection else []
        done = subprocess.run([sys.executable, __file__, "--backend", backend, "--moves",
                               str(args.moves), "--doc-lines", str(args.doc_lines), *extra],
                              stdout=subprocess.PIPE, text=True, check=True)
        one = json.loads(done.stdout)
        result[backend] = {k: v for k, v in one.items() if k not in ("benchmark", "cpu_count")}
    result["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
