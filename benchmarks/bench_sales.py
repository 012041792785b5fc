"""Sales at scale, through the service layer: confirm + deliver + invoice.  Prints JSON.

A seeded workload (``random.Random(42)``): 200 products (10% batch-tracked, several
batches each, so deliveries pick earliest expiry first), one warehouse stocked for all the
orders, 20 customers with credit limits (so every confirmation runs the credit check:
open receivables + open and unbilled orders), and ``--orders`` draft orders of ``--lines``
lines (1–5 units each).  Then each order, in its own unit of work per step, as clerks would:

1. ``confirm_sales_order`` — credit check, stock reserved per location × batch;
2. ``deliver_sales_order`` — everything, picked from the reservations, posted to the
   customer location (the cost of goods sold recorded on each line);
3. ``invoice_sales_order`` — the delivered lines billed through invoicing, the invoiced
   quantities kept by the ``InvoicePosted`` handler.

Measured: ``orders_per_s`` (orders / wall time of the three steps, commits included;
creating the drafts is not counted), the seconds of each step, the statements each order
cost (in all and per step: ``statements_per_order_per_step``, BEGIN and savepoints
included), ``orders_per_cpu_s`` (this process's CPU only: steadier on a busy machine, all
of SQLite's work but not PostgreSQL's server side) and the CPU milliseconds of each step
(``cpu_ms_per_order``); on PostgreSQL also ``server_cpu_s``, the CPU of the server
backends serving the run (read from ``/proc``: a server on this machine), and
``orders_per_client_and_server_cpu_s``.  Compare runs by the CPU figures: the wall-clock
rate follows the machine's load (``load_average_1m_at_start``/``_at_end``) more than the
code.  The result is checked: every order delivered and invoiced to the cent, nothing left
reserved.

Aim (issue 5, 2-core machine): ≥ 200 orders/s on both backends.

    .venv/bin/python benchmarks/bench_sales.py                       # 1,000 orders, both
    .venv/bin/python benchmarks/bench_sales.py --backend sqlite --orders 200
    .venv/bin/python benchmarks/bench_sales.py --backend sqlite --profile /tmp/sales.prof
    .venv/bin/python benchmarks/bench_sales.py --backend sqlite --hold-connection
    .venv/bin/python benchmarks/bench_sales.py --one-transaction   # the three steps together

Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import random
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bench_stock import ServerCpu  # the PostgreSQL backends' CPU, read from /proc

PG_ADMIN_URL = os.environ.get("OPENJXC_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PRODUCTS = 200
BATCH_SHARE = 0.10
BATCHES_PER_PRODUCT = 3
CUSTOMERS = 20
AIM_ORDERS_PER_S = 200


def log(message: str) -> None:
    """Progress goes to stderr: stdout carries only the JSON."""
    print(f"bench_sales: {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def temporary_database(backend: str) -> Iterator[str]:
    """A new, empty database of ``backend``, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="openjxc-bench-sales-") as tmp:
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
    products: list[int] = field(default_factory=list)
    customers: list[int] = field(default_factory=list)
    warehouse_id: int = 0
    order_ids: list[int] = field(default_factory=list)
    expected_total: Decimal = Decimal(0)


def set_up(env: Any, rng: random.Random, orders: int, lines: int) -> Setup:
    """Products, stock for every order (and then some), customers and the draft orders."""
    from openjxc.addons.base_jxc.catalog.services import (
        ProductInput,
        create_category,
        create_product,
    )
    from openjxc.addons.base_jxc.partners.services import PartnerInput, create_partner
    from openjxc.addons.base_jxc.sales.services import SalesLineInput, create_sales_order
    from openjxc.addons.base_jxc.stock.posting import MoveLine, post_moves
    from openjxc.addons.base_jxc.stock.warehouses import (
        company_location,
        create_warehouse,
        warehouse_location,
    )

    setup = Setup()
    # Enough of every product for all the orders: lines × 5 units at most, spread evenly.
    per_product = orders * lines * 5 // PRODUCTS + 50
    with env.unit_of_work() as session:
        create_category(session, code="BENCH", name="Benchmark")
        warehouse = create_warehouse(session, code="WH1", name="总仓")
        setup.warehouse_id = warehouse.id
        stock = warehouse_location(session, warehouse.id, "internal").id
        supplier = company_location(session, "supplier").id
        receipt = []
        today = date.today()
        for n in range(PRODUCTS):
            batch = rng.random() < BATCH_SHARE
            product = create_product(session, ProductInput(
                code=f"P{n:04d}", name=f"Product {n}", category_code="BENCH",
                tracking="batch" if batch else "none"))
            product.list_price = Decimal(rng.randint(1_000, 200_000)) / 100
            setup.products.append(product.id)
            cost = Decimal(rng.randint(500, 100_000)) / 100
            if batch:
                for b in range(BATCHES_PER_PRODUCT):
                    receipt.append(MoveLine(
                        product_id=product.id, quantity=Decimal(per_product // 2),
                        from_location_id=supplier, to_location_id=stock, unit_cost=cost,
                        batch_number=f"B{n:04d}-{b}",
                        expires_on=today + timedelta(days=60 + 90 * b)))
            else:
                receipt.append(MoveLine(product_id=product.id, quantity=Decimal(per_product),
                                        from_location_id=supplier, to_location_id=stock,
                                        unit_cost=cost))
        post_moves(session, receipt, origin_type="bench.opening")
        for n in range(CUSTOMERS):
            customer = create_partner(session, PartnerInput(
                code=f"C{n:03d}", name=f"客户 {n}", credit_limit=Decimal("100000000"),
                payment_terms_days=30))
            setup.customers.append(customer.id)
    t0 = time.perf_counter()
    with env.unit_of_work() as session:
        for _ in range(orders):
            chosen = rng.sample(setup.products, lines)
            order = create_sales_order(
                session, customer_id=rng.choice(setup.customers),
                warehouse_id=setup.warehouse_id,
                lines=[SalesLineInput(product_id=p, quantity=Decimal(rng.randint(1, 5)))
                       for p in chosen])
            setup.order_ids.append(order.id)
            setup.expected_total += order.amount_total
    log(f"  {orders:,} draft orders in {time.perf_counter() - t0:.1f} s")
    return setup


class StatementCounter:
    """Counts the statements an engine sends (an executemany counts once)."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.count = 0

    def _record(self, *_args: Any) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        from sqlalchemy import event

        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *_exc: object) -> None:
        from sqlalchemy import event

        event.remove(self.engine, "before_cursor_execute", self._record)


def run_orders(env: Any, setup: Setup, profiler: cProfile.Profile | None,
               one_transaction: bool = False) -> dict[str, Any]:
    """Confirm, deliver and invoice every order, one unit of work per step (or per order
    with ``one_transaction``: the three steps committed together)."""
    from openjxc.addons.base_jxc.sales.services import (
        confirm_sales_order,
        deliver_sales_order,
        invoice_sales_order,
    )

    steps = {"confirm": 0.0, "deliver": 0.0, "invoice": 0.0}
    step_cpu = dict.fromkeys(steps, 0.0)
    step_statements = dict.fromkeys(steps, 0)
    server_cpu = ServerCpu(env.database.engine)
    actions: dict[str, Any] = {
        "confirm": lambda s, i: confirm_sales_order(s, i, user_id=1),
        "deliver": lambda s, i: deliver_sales_order(s, i, user_id=1),
        "invoice": lambda s, i: invoice_sales_order(s, i, user_id=1),
    }
    held = 0
    server0 = server_cpu.seconds()
    cpu0 = time.process_time()
    wall = time.perf_counter()
    next_log = wall + 30
    with StatementCounter(env.database.engine) as statements:
        if profiler is not None:
            profiler.enable()
        for done, order_id in enumerate(setup.order_ids, start=1):
            with contextlib.ExitStack() as order_stack:
                shared = (order_stack.enter_context(env.unit_of_work())
                          if one_transaction else None)
                for step, action in actions.items():
                    t0, c0, n0 = time.perf_counter(), time.process_time(), statements.count
                    with contextlib.ExitStack() as step_stack:
                        session = shared or step_stack.enter_context(env.unit_of_work())
                        result = action(session, order_id)
                        if step == "confirm" and result[0].state != "confirmed":
                            held += 1
                    steps[step] += time.perf_counter() - t0
                    step_cpu[step] += time.process_time() - c0
                    step_statements[step] += statements.count - n0
            if time.perf_counter() > next_log:
                next_log += 30
                log(f"  {done:,} orders, {done / (time.perf_counter() - wall):,.0f} orders/s")
        if profiler is not None:
            profiler.disable()
    total = time.perf_counter() - wall
    cpu = time.process_time() - cpu0
    server = server_cpu.seconds() - server0 if server_cpu.pids else None
    orders = len(setup.order_ids)
    return {
        "orders_per_s": round(orders / total, 1),
        "orders_per_cpu_s": round(orders / cpu, 1) if cpu else None,
        "server_cpu_s": round(server, 2) if server is not None else None,
        "orders_per_client_and_server_cpu_s": (
            round(orders / (cpu + server), 1) if server is not None and cpu + server else None),
        "cpu_ms_per_order": {step: round(c / orders * 1000, 2) for step, c in step_cpu.items()},
        "statements_per_order_per_step": {
            step: round(n / orders, 1) for step, n in step_statements.items()},
        "total_s": round(total, 2),
        "confirm_s": round(steps["confirm"], 2),
        "deliver_s": round(steps["deliver"], 2),
        "invoice_s": round(steps["invoice"], 2),
        "ms_per_order": round(total / orders * 1000, 2),
        "statements_per_order": round(statements.count / orders, 1),
        "held_for_credit_approval": held,
    }


def check(env: Any, setup: Setup) -> dict[str, Any]:
    """Every order delivered and invoiced to the cent, nothing left reserved."""
    from sqlalchemy import func, select

    from openjxc.addons.base_jxc.invoicing.models import Invoice
    from openjxc.addons.base_jxc.sales.models import SalesOrder, SalesOrderLine
    from openjxc.addons.base_jxc.stock.models import StockBalance

    with env.unit_of_work(readonly=True) as session:
        states = dict(session.execute(select(SalesOrder.state, func.count())
                                      .group_by(SalesOrder.state)).all())
        invoiced = session.scalar(select(func.sum(Invoice.amount_total))) or Decimal(0)
        open_lines = session.scalar(select(func.count()).select_from(SalesOrderLine).where(
            SalesOrderLine.invoiced_quantity != SalesOrderLine.quantity))
        reserved = session.scalar(select(func.count()).select_from(StockBalance)
                                  .where(StockBalance.reserved != 0))
    return {"order_states": states,
            "invoiced_equals_ordered": Decimal(invoiced) == setup.expected_total
            and open_lines == 0,
            "nothing_left_reserved": reserved == 0}


def run_backend(backend: str, orders: int, lines: int, profile: str | None,
                hold_connection: bool, one_transaction: bool = False) -> dict[str, Any]:
    from openjxc.core.env import Environment
    from openjxc.core.migrate import create_database

    rng = random.Random(42)
    result: dict[str, Any] = {"backend": backend, "orders": orders, "lines_per_order": lines,
                              "hold_connection": hold_connection,
                              "one_transaction_per_order": one_transaction,
                              "load_average_1m_at_start": round(os.getloadavg()[0], 2)}
    with temporary_database(backend) as url:
        env = Environment.for_edition("basic", database_url=url)
        log(f"{backend}: create database, {PRODUCTS} products, {CUSTOMERS} customers")
        create_database(env)
        setup = set_up(env, rng, orders, lines)
        log(f"{backend}: confirm + deliver + invoice {orders:,} orders")
        profiler = cProfile.Profile() if profile else None
        with contextlib.ExitStack() as stack:
            if hold_connection:
                # An idle connection kept open, as a pooled server would: SQLite then does
                # not checkpoint the WAL each time a unit of work closes its connection.
                stack.enter_context(env.database.engine.connect())
            result.update(run_orders(env, setup, profiler, one_transaction))
        if profiler is not None and profile:
            profiler.dump_stats(profile)
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(25)
            log(f"profile written to {profile}; top by own time:\n{out.getvalue()}")
        result.update(check(env, setup))
        env.database.dispose()
    result["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    result["aim_orders_per_s"] = AIM_ORDERS_PER_S
    result["meets_aim"] = result["orders_per_s"] >= AIM_ORDERS_PER_S
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orders", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=5, help="lines per order")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--hold-connection", action="store_true",
                        help="keep an idle connection open (what a pool would do; the "
                             "engine opens one per unit of work on SQLite)")
    parser.add_argument("--one-transaction", action="store_true",
                        help="confirm, deliver and invoice each order in one unit of work "
                             "(default: one per step, as three clerks would)")
    parser.add_argument("--profile", metavar="FILE",
                        help="cProfile the three steps (one backend only); pstats dump to FILE")
    args = parser.parse_args()
    if args.lines > PRODUCTS:
        parser.error(f"at most {PRODUCTS} lines per order")
    if args.backend != "both":
        print(json.dumps({"benchmark": "sales", "cpu_count": os.cpu_count(),
                          **run_backend(args.backend, args.orders, args.lines, args.profile,
                                        args.hold_connection, args.one_transaction)},
                         default=str))
        return
    if args.profile:
        parser.error("--profile needs --backend sqlite or postgresql")
    # Each backend in its own interpreter, like bench_stock.py.
    result: dict[str, Any] = {"benchmark": "sales", "cpu_count": os.cpu_count(),
                              "load_average_1m_at_start": round(os.getloadavg()[0], 2)}
    for backend in ("sqlite", "postgresql"):
        extra = ["--hold-connection"] if args.hold_connection else []
        if args.one_transaction:
            extra.append("--one-transaction")
        done = subprocess.run([sys.executable, __file__, "--backend", backend, "--orders",
                               str(args.orders), "--lines", str(args.lines), *extra],
                              stdout=subprocess.PIPE, text=True, check=True)
        one = json.loads(done.stdout)
        result[backend] = {k: v for k, v in one.items() if k not in ("benchmark", "cpu_count")}
    result["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
