"""Several processes on one PostgreSQL database: ``openjxc serve --workers 2`` answers from
both worker processes and a burst of concurrent deliveries of one product over HTTP never
oversells; three ``openjxc worker`` processes share the outbox (each message delivered
once) and run a scheduled job once per due time.

Everything runs as a deployment runs it: the real commands in their own processes, over
loopback, on PostgreSQL (these tests fail, never skip, when it is unreachable).
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from scale_out_support import (
    JOB_EVERY_S,
    PROBE,
    descendants,
    holds_connection_to,
    owner_of_connection,
    stop,
    wait_for,
    write_probe,
)
from sqlalchemy import func, select

from openjxc.core.env import Environment
from openjxc.core.events import OutboxMessage, publish
from openjxc.core.jobs import JobState
from openjxc.graphql.relay import to_global_id
from openjxc.testing.fixtures import create_test_database

USERNAME, PASSWORD = "scaler", "scale-out-pass-1"
HOT_STOCK = 5
HOT_ORDERS = 16
PINGS = 300
PG_PORT = 5432


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# -- serve --workers 2 -----------------------------------------------------------------------

def shop_with_a_hot_product(url: str) -> list[tuple[int, int]]:
    """In a database at head: a user, a warehouse and ``HOT_ORDERS`` confirmed one-unit
    orders of a product that had no stock when they were confirmed (backorders), then
    ``HOT_STOCK`` units received: every delivery competes for the same balance row.
    Returns (order, line) ids."""
    from openjxc.addons.base_jxc.catalog.services import (
        ProductInput,
        create_category,
        create_product,
    )
    from openjxc.addons.base_jxc.partners.services import PartnerInput, create_partner
    from openjxc.addons.base_jxc.sales.models import SalesOrderLine
    from openjxc.addons.base_jxc.sales.services import (
        SalesLineInput,
        confirm_sales_order,
        create_sales_order,
    )
    from openjxc.addons.base_jxc.stock.posting import MoveLine, post_moves
    from openjxc.addons.base_jxc.stock.warehouses import (
        company_location,
        create_warehouse,
        warehouse_location,
    )
    from openjxc.core.security import create_user

    env = Environment.open(url)
    try:
        with env.unit_of_work() as session:
            create_user(session, env, USERNAME, PASSWORD, roles=["admin"])
            create_category(session, code="HOT", name="爆款")
            warehouse = create_warehouse(session, code="WH1", name="总仓").id
            product = create_product(session, ProductInput(code="HOT1", name="爆款",
                                                           category_code="HOT")).id
            customer = create_partner(session, PartnerInput(
                code="C1", name="客户", credit_limit=Decimal("100000000"))).id
            orders = [create_sales_order(session, customer_id=customer, warehouse_id=warehouse,
                                         lines=[SalesLineInput(product_id=product,
                                                               quantity=Decimal(1))]).id
                      for _ in range(HOT_ORDERS)]
            for order in orders:
                confirm_sales_order(session, order)
            lines = dict(session.execute(select(SalesOrderLine.order_id, SalesOrderLine.id)
                                         .where(SalesOrderLine.order_id.in_(orders))).all())
            stock = warehouse_location(session, warehouse, "internal").id
            post_moves(session, [MoveLine(product_id=product, quantity=Decimal(HOT_STOCK),
                                          from_location_id=company_location(session,
                                                                            "supplier").id,
                                          to_location_id=stock, unit_cost=Decimal("10"))])
        return [(order, lines[order]) for order in orders]
    finally:
        env.database.dispose()


def start_server(url: str, workers: int, log: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start ``openjxc serve`` (not waiting for it: see :func:`wait_until_serving`)."""
    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "openjxc", "serve", "--database", url, "--port", str(port),
             "--workers", str(workers), "--log-level", "warning"],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return proc, port


def wait_until_serving(proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"openjxc serve exited:\n{log.read_text(errors='replace')}")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(up, 50, "openjxc serve to answer /healthz")


def answered_by(server: subprocess.Popen[bytes], port: int, token: str,
                connections: int) -> list[int]:
    """Open ``connections`` keep-alive connections at once, ask ``me`` on each, and return
    which server process answered each (the owner of the accepted socket)."""
    body = json.dumps({"query": "{ me { username } }"})
    barrier = threading.Barrier(connections)

    def ask(_: int) -> tuple[http.client.HTTPConnection, int, dict[str, Any]]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        conn.connect()
        barrier.wait()
        conn.request("POST", "/graphql", body, {"Content-Type": "application/json",
                                                "Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        return conn, conn.sock.getsockname()[1], json.loads(response.read())

    with ThreadPoolExecutor(connections) as pool:
        asked = list(pool.map(ask, range(connections)))
    try:
        workers = descendants(server.pid)
        owners = []
        for _conn, local_port, payload in asked:
            assert payload == {"data": {"me": {"username": USERNAME}}}, payload
            owners.append(owner_of_connection(workers, port, local_port))
        return [o for o in owners if o is not None]
    finally:
        for conn, _port, _payload in asked:
            conn.close()


def deliver(port: int, token: str, order: int, line: int) -> dict[str, Any]:
    query = ("mutation($id: ID!, $line: ID!) { salesOrderDeliver(input: {id: $id, lines: "
             '[{orderLineId: $line, quantity: "1"}]}) { salesDelivery { number } '
             "errors { code } } }")
    response = httpx.post(
        f"http://127.0.0.1:{port}/graphql", timeout=30,
        headers={"Authorization": f"Bearer {token}"},
        json={"query": query, "variables": {"id": to_global_id("SalesOrder", order),
                                            "line": to_global_id("SalesOrderLine", line)}})
    assert response.status_code == 200, response.text
    return dict(response.json())


@pytest.mark.slow
def test_two_server_workers_answer_and_a_delivery_burst_never_oversells(
        pg_database_url: str, tmp_path: Path) -> None:
    basic = Environment.for_edition("basic", database_url=pg_database_url)
    try:
        create_test_database(basic)
    finally:
        basic.database.dispose()
    log = tmp_path / "serve.log"
    server, port = start_server(pg_database_url, 2, log)
    try:
        hot = shop_with_a_hot_product(pg_database_url)  # while the workers boot
        wait_until_serving(server, port, log)
        token = httpx.post(f"http://127.0.0.1:{port}/graphql", timeout=20, json={
            "query": "mutation($u: String!, $p: String!) { tokenCreate(input: {username: $u, "
                     "password: $p}) { token } }",
            "variables": {"u": USERNAME, "p": PASSWORD}}).json()["data"]["tokenCreate"]["token"]
        assert token

        # Both worker processes answer authenticated GraphQL (which one accepts a
        # connection is the kernel's choice, and /healthz answers as soon as the first
        # worker is up: ask in concurrent rounds until both did).
        seen: set[int] = set()
        deadline = time.monotonic() + 40
        while len(seen) < 2 and time.monotonic() < deadline:
            seen.update(answered_by(server, port, token, 8))
        workers = descendants(server.pid)
        assert len(seen) == 2, f"answers came from {seen} only (server children {workers})"
        assert seen <= set(workers) and server.pid not in seen

        # HOT_ORDERS deliveries of one unit at once, HOT_STOCK units to share.
        with ThreadPoolExecutor(HOT_ORDERS) as pool:
            answers = list(pool.map(lambda pair: deliver(port, token, *pair), hot))
    finally:
        stop(server)

    assert all("errors" not in a for a in answers), answers
    payloads = [a["data"]["salesOrderDeliver"] for a in answers]
    delivered = [p for p in payloads if p["salesDelivery"] is not None]
    refused = [p for p in payloads if p["salesDelivery"] is None]
    assert all(p["errors"] == [] for p in delivered)
    assert {e["code"] for p in refused for e in p["errors"]} == {"INSUFFICIENT_STOCK"}
    assert all(p["errors"] for p in refused)
    # Sold out exactly: no unit twice, no refusal while a unit was left.
    assert len(delivered) == HOT_STOCK
    assert len(refused) == HOT_ORDERS - HOT_STOCK
    assert_stock_kept(pg_database_url)


def assert_stock_kept(url: str) -> None:
    """Nothing negative, the balance is its moves, one delivery line per unit."""
    from openjxc.addons.base_jxc.sales.models import SalesDeliveryLine
    from openjxc.addons.base_jxc.stock.models import Location, StockBalance, StockMove

    env = Environment.open(url)
    try:
        with env.unit_of_work(readonly=True) as session:
            stock = session.scalar(select(Location.id).where(Location.code == "WH1/STOCK"))
            balance = session.execute(select(StockBalance.quantity, StockBalance.reserved)
                                      .where(StockBalance.location_id == stock)).one()
            moved_in = session.scalar(select(func.sum(StockMove.quantity))
                                      .where(StockMove.to_location_id == stock))
            moved_out = session.scalar(select(func.coalesce(func.sum(StockMove.quantity), 0))
                                       .where(StockMove.from_location_id == stock))
            lines = session.scalar(select(func.sum(SalesDeliveryLine.quantity)))
    finally:
        env.database.dispose()
    assert balance.quantity == 0 and balance.reserved == 0
    assert moved_in - moved_out == balance.quantity
    assert lines == HOT_STOCK == moved_out


# -- three openjxc worker processes ----------------------------------------------------------

def test_three_workers_deliver_each_outbox_message_once_and_run_the_job_once_per_due_time(
        pg_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    probe_root = write_probe(tmp_path / "site")
    monkeypatch.syspath_prepend(str(probe_root))  # found as a pip-installed addon is
    env = Environment.for_addons([PROBE], database_url=pg_database_url)
    try:
        create_test_database(env)
        ping = env.events.event_types["scale_out.ping"]
    finally:
        env.database.dispose()
    sink = tmp_path / "sink.log"
    sink.touch()
    child_env = {**os.environ, "SCALE_OUT_SINK": str(sink),
                 "PYTHONPATH": os.pathsep.join([str(probe_root),
                                                os.environ.get("PYTHONPATH", "")])}
    logs = [tmp_path / f"worker-{i}.log" for i in range(3)]
    workers = []
    for log in logs:
        with open(log, "wb") as out:
            workers.append(subprocess.Popen(
                [sys.executable, "-m", "openjxc", "worker", "--poll", "0.2",
                 "--database", pg_database_url],
                stdout=out, stderr=subprocess.STDOUT, env=child_env, start_new_session=True))
    try:
        def all_up() -> bool:
            for proc, log in zip(workers, logs, strict=True):
                if proc.poll() is not None:
                    raise AssertionError(f"a worker exited:\n{log.read_text(errors='replace')}")
            return all(holds_connection_to(p.pid, PG_PORT) for p in workers)

        wait_for(all_up, 40, "three workers connected to the database")
        env = Environment.open(pg_database_url)
        try:
            with env.unit_of_work() as session:
                for n in range(PINGS):
                    publish(session, ping(n=n))

            def delivered() -> bool:
                with env.unit_of_work(readonly=True) as session:
                    pending = session.scalar(select(func.count()).select_from(OutboxMessage)
                                             .where(OutboxMessage.status != "done"))
                return pending == 0 and len(job_runs(sink)) >= 3

            wait_for(delivered, 40, "every ping delivered and three job runs", interval=0.3)
            with env.unit_of_work(readonly=True) as session:
                attempts = Counter(session.scalars(select(OutboxMessage.attempts)))
                state = session.get(JobState, "scale_out.tick")
                assert state is not None
                last_status, lease = state.last_status, state.lease_owner
        finally:
            env.database.dispose()
    finally:
        for proc in workers:
            stop(proc, signal.SIGINT)

    lines = sink.read_text().splitlines()
    deliveries = [line.split() for line in lines if line.startswith("delivered ")]
    counts = Counter(int(n) for _d, n, _pid in deliveries)
    assert sorted(counts) == list(range(PINGS)), "some ping was never delivered"
    twice = [n for n, c in counts.items() if c > 1]
    assert not twice, f"delivered more than once: {twice}"
    assert attempts == {1: PINGS}
    assert len({pid for _d, _n, pid in deliveries}) >= 2, "one worker took every message"
    assert {int(pid) for _d, _n, pid in deliveries} <= {p.pid for p in workers}

    runs = job_runs(sink)
    assert last_status == "ok" and lease is None
    # Once per due time: each run's time at least the job's period after the one before
    # (the next due time is set from it), and no run overlaps another.
    for before, after in itertools.pairwise(runs):
        assert (after["now"] - before["now"]).total_seconds() >= JOB_EVERY_S - 0.01, runs
        assert after["start"] >= before["end"], runs


def job_runs(sink: Path) -> list[dict[str, Any]]:
    runs = []
    for line in sink.read_text().splitlines():
        if line.startswith("job "):
            _job, now, pid, start, end = line.split()
            runs.append({"now": datetime.fromisoformat(now), "pid": int(pid),
                         "start": float(start), "end": float(end)})
    return sorted(runs, key=lambda r: r["now"])

