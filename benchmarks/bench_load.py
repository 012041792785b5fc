"""A mixed shop-floor load on ``openjxc serve --workers N`` over PostgreSQL, driven by wrk.

``bench_http.py`` measures what the smallest request costs; this one asks what several
worker processes sustain when the requests are the real ones of a busy day and write to
the same rows: scanners resolving codes, screens asking for stock, clerks confirming
orders and the warehouse delivering them, many deliveries competing for one hot product.
It starts the real ``openjxc serve`` (same CLI, uvicorn, ``--workers`` 1, 2, 4) on a
fresh PostgreSQL database and drives it over loopback with ``wrk`` and a Lua script that
walks a file of prepared GraphQL bodies and reads every answer.

The mix (by weight, shuffled with ``random.Random(42)``):

``scan``      ``scan(code:)`` of a product code or a location code;
``stock``     ``stockLevels`` of one product in the warehouse, or the first 20 of it;
``confirm``   ``salesOrderConfirm`` of a draft (credit check, stock reserved);
``deliver``   ``salesOrderDeliver`` of one unit of a confirmed order whose stock is
              reserved;
``hot``       ``salesOrderDeliver`` of one unit of the run's hot product: orders confirmed
              while it had no stock (backorders), then a small quantity received, so every
              hot delivery competes for the same balance row and most are refused
              ``INSUFFICIENT_STOCK`` once it is sold out.

Every run has its own slice of orders and its own hot product, prepared before the server
starts (in-process, through the services); a body is sent once, so a confirmation never
meets an order confirmed already.  When a thread has sent all its prepared bodies it stops
(``ran_out`` says so; ``--max-rate`` sizes the slices).

Counted per operation from the answers: ``ok``, business refusals by code, GraphQL errors,
HTTP statuses.  ``errors`` (must be 0) are transport errors, timeouts, non-200 answers,
GraphQL errors and any refusal the design does not expect — ``INSUFFICIENT_STOCK`` is
expected for hot deliveries only, and only once the hot product is sold out.  After each
run the database is checked: no negative balance, nothing reserved beyond what is on
hand, every balance the sum of its moves, every reservation total the sum of the orders'
reservations, no line delivered beyond its order, the hot product delivered at most as
received, and the deliveries stored match the ``ok`` answers.  The CPU the server's
processes and the database's backends spent per request is read from /proc: unlike
requests/s, it does not depend on what else runs on the machine.

    .venv/bin/python benchmarks/bench_load.py                          # a few minutes
    .venv/bin/python benchmarks/bench_load.py --duration 5 --workers 1,2
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench_http import (
    PASSWORD,
    USERNAME,
    check,
    obtain_token,
    openjxc,
    server,
    temporary_database,
)

CONNECTIONS = 32
DURATION_S = 20.0
WARMUP_S = 3.0
WORKER_COUNTS = (1, 2, 4)
#: A ceiling on requests/s this machine could reach: each run's orders are sized for it.
MAX_RATE = 400.0
PRODUCTS = 200
CUSTOMERS = 20
#: Units on each order delivered one unit per request.
UNITS_PER_ORDER = 20
#: Units of the hot product received per run, after its orders were confirmed.
HOT_STOCK = 20
WEIGHTS = {"scan": 35, "stock": 25, "confirm": 15, "deliver": 12, "hot": 13}
WAREHOUSE = "WH1"
EXPECTED_REFUSALS = {"hot": {"INSUFFICIENT_STOCK"}}

SCAN = "query($c: String!) { scan: scan(code: $c) { kind product { code } location { code } } }"
STOCK_ONE = ("query($p: String!) { stock: stockLevels(filter: {productCode: $p, warehouseCode: "
             f'"{WAREHOUSE}"}}) {{ edges {{ node {{ onHand reserved available }} }} }} }}')
STOCK_LIST = (f'{{ stock: stockLevels(filter: {{warehouseCode: "{WAREHOUSE}"}}, first: 20) '
              "{ totalCount edges { node { product { code } onHand available } } } }")
CONFIRM = ("mutation($id: ID!) { confirm: salesOrderConfirm(input: {id: $id}) { "
           "salesOrder { state } creditLimitExceeded userErrors: errors { code } } }")
DELIVER = ("mutation($id: ID!, $line: ID!) { %s: salesOrderDeliver(input: {id: $id, "
           'lines: [{orderLineId: $line, quantity: "1"}]}) { salesDelivery { number } '
           "userErrors: errors { code } } }")

#: Runs in each wrk thread: its share of the bodies file (line i goes to thread
#: i mod threads), one body per request, each answer classified by its root alias.
WRK_SCRIPT = r"""
local threads = {}
local bodies, pos, idle = {}, 0, nil
counts, ran_out = {}, false  -- globals: done() reads them through thread:get

function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end

function init(args)
  local n, i = tonumber(args[2]), 0
  for line in io.lines(args[1]) do
    local op, body = line:match("^(%w+)\t(.*)$")
    if op == "scan" and idle == nil then idle = body end
    if i % n == tid then bodies[#bodies + 1] = body end
    i = i + 1
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. args[3]
end

function request()
  pos = pos + 1
  local body = bodies[pos]
  if body == nil then
    ran_out = true
    wrk.thread:stop()
    body = idle
  end
  return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
  local op = body:match('^%s*{%s*"data"%s*:%s*{%s*"(%w+)"') or "unknown"
  local outcome
  if status ~= 200 then
    outcome = "http_" .. status
  elseif body:find('"errors"%s*:') then
    outcome = "graphql_error"
  else
    outcome = body:match('"userErrors"%s*:%s*%[%s*{%s*"code"%s*:%s*"([%w_]+)"')
    if outcome == nil and body:find('"creditLimitExceeded"%s*:%s*true') then
      outcome = "held_for_credit"
    end
    outcome = outcome or "ok"
  end
  local key = op .. " " .. outcome
  counts[key] = (counts[key] or 0) + 1
end

done = function(summary, latency, requests)
  local merged, out_of_bodies = {}, false
  for _, thread in ipairs(threads) do
    for key, n in pairs(thread:get("counts")) do merged[key] = (merged[key] or 0) + n end
    out_of_bodies = out_of_bodies or thread:get("ran_out")
  end
  local parts = {}
  for key, n in pairs(merged) do parts[#parts + 1] = string.format('"%s": %d', key, n) end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}, "p50_us": %.1f, "p95_us": %.1f, ' ..
    '"p99_us": %.1f, "max_us": %.1f, "mean_us": %.1f, "ran_out": %s, "outcomes": {%s}}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean, tostring(out_of_bodies), table.concat(parts, ", ")))
end
"""


def log(message: str) -> None:
    print(f"bench_load: {message}", file=sys.stderr, flush=True)


def gid(type_name: str, pk: int) -> str:
    from openjxc.graphql.relay import to_global_id

    return to_global_id(type_name, pk)


# -- the shop --------------------------------------------------------------------------------

@dataclass
class RunData:
    """What one run (one worker count) may use up."""

    workers: int
    hot_code: str
    drafts: list[int] = field(default_factory=list)
    #: (order id, order line id), UNITS_PER_ORDER units each.
    reserved: list[tuple[int, int]] = field(default_factory=list)
    hot: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class Shop:
    product_codes: list[str] = field(default_factory=list)
    location_codes: list[str] = field(default_factory=list)
    runs: dict[int, RunData] = field(default_factory=dict)


def build_shop(url: str, worker_counts: list[int], per_run: dict[str, int],
               rng: random.Random, hot_stock: int = HOT_STOCK) -> Shop:
    """Products with ample stock, customers with credit, and per run: drafts, confirmed
    orders with stock reserved, and confirmed backorders of the run's hot product, whose
    ``hot_stock`` units are received last."""
    from sqlalchemy import select

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
    from openjxc.core.env import Environment

    shop = Shop()
    env = Environment.open(url)
    try:
        with env.unit_of_work() as session:
            create_category(session, code="LOAD", name="压测")
            wh = create_warehouse(session, code=WAREHOUSE, name="总仓").id
            stock = warehouse_location(session, wh, "internal")
            stock_id, supplier = stock.id, company_location(session, "supplier").id
            shop.location_codes = [stock.code]
            products, receipt = [], []
            for n in range(PRODUCTS):
                code = f"P{n:04d}"
                product = create_product(session, ProductInput(
                    code=code, name=f"产品 {n}", category_code="LOAD"))
                product.list_price = Decimal(rng.randint(1_000, 50_000)) / 100
                products.append(product.id)
                shop.product_codes.append(code)
                receipt.append(MoveLine(product_id=product.id, quantity=Decimal(1_000_000),
                                        from_location_id=supplier, to_location_id=stock_id,
                                        unit_cost=Decimal(rng.randint(500, 20_000)) / 100))
            post_moves(session, receipt, origin_type="bench.opening")
            hot_ids = {}
            for workers in worker_counts:
                code = f"HOT{workers}"
                hot_ids[workers] = create_product(session, ProductInput(
                    code=code, name=f"爆款 {workers}", category_code="LOAD")).id
                shop.product_codes.append(code)
            customers = [create_partner(session, PartnerInput(
                code=f"C{n:03d}", name=f"客户 {n}", credit_limit=Decimal("1000000000"),
                payment_terms_days=30)).id for n in range(CUSTOMERS)]

        def order(session: Any, lines: list[tuple[int, int]]) -> Any:
            return create_sales_order(
                session, customer_id=rng.choice(customers), warehouse_id=wh,
                lines=[SalesLineInput(product_id=p, quantity=Decimal(q)) for p, q in lines])

        for workers in worker_counts:
            run = shop.runs[workers] = RunData(workers, f"HOT{workers}")
            with env.unit_of_work() as session:
                for _ in range(per_run["drafts"]):
                    run.drafts.append(order(session, [
                        (p, rng.randint(1, 3)) for p in rng.sample(products, rng.randint(1, 3))
                    ]).id)
                made = []
                for _ in range(per_run["reserved_orders"]):
                    made.append(order(session, [(rng.choice(products), UNITS_PER_ORDER)]))
                for _ in range(per_run["hot_orders"]):
                    made.append(order(session, [(hot_ids[workers], UNITS_PER_ORDER)]))
                first_line = dict(session.execute(
                    select(SalesOrderLine.order_id, SalesOrderLine.id)
                    .where(SalesOrderLine.order_id.in_([o.id for o in made]))).all())
                pairs = [(o.id, first_line[o.id]) for o in made]
                for order_id, _line in pairs:
                    confirm_sales_order(session, order_id)
                run.reserved = pairs[:per_run["reserved_orders"]]
                run.hot = pairs[per_run["reserved_orders"]:]
            with env.unit_of_work() as session:
                post_moves(session, [MoveLine(
                    product_id=hot_ids[workers], quantity=Decimal(hot_stock),
                    from_location_id=supplier, to_location_id=stock_id,
                    unit_cost=Decimal("100"))], origin_type="bench.hot")
    finally:
        env.database.dispose()
    return shop


def sizing(duration: float, max_rate: float) -> dict[str, int]:
    """How many drafts and orders one run may use up at ``max_rate`` requests/s."""
    total = sum(WEIGHTS.values())
    budget = max_rate * duration
    return {
        "requests": int(budget),
        "drafts": int(budget * WEIGHTS["confirm"] / total) + 1,
        "reserved_orders": int(budget * WEIGHTS["deliver"] / total) // UNITS_PER_ORDER + 1,
        "hot_orders": int(budget * WEIGHTS["hot"] / total) // UNITS_PER_ORDER + 1,
    }


def bodies(shop: Shop, run: RunData, requests: int, rng: random.Random) -> list[str]:
    """``op<TAB>body`` lines in the order they are sent.  Deliveries go round the orders,
    one unit each, so no order line is asked for more than it holds."""
    def body(query: str, **variables: str) -> str:
        return json.dumps({"query": query, "variables": variables}, ensure_ascii=False)

    drafts = iter(run.drafts)
    plans = {
        "deliver": iter([run.reserved[i % len(run.reserved)]
                         for i in range(len(run.reserved) * UNITS_PER_ORDER)]),
        "hot": iter([run.hot[i % len(run.hot)] for i in range(len(run.hot) * UNITS_PER_ORDER)]),
    }
    ops, weights = list(WEIGHTS), list(WEIGHTS.values())
    lines = []
    for op in rng.choices(ops, weights, k=requests):
        if op == "scan":
            code = rng.choice(shop.product_codes if rng.random() < 0.8 else shop.location_codes)
            lines.append(f"scan\t{body(SCAN, c=code)}")
        elif op == "stock":
            text = (body(STOCK_ONE, p=rng.choice(shop.product_codes)) if rng.random() < 0.8
                    else body(STOCK_LIST))
            lines.append(f"stock\t{text}")
        elif op == "confirm":
            order_id = next(drafts, None)
            if order_id is not None:
                lines.append(f"confirm\t{body(CONFIRM, id=gid('SalesOrder', order_id))}")
        else:
            pair = next(plans[op], None)
            if pair is not None:
                lines.append(f"{op}\t" + body(DELIVER % op, id=gid("SalesOrder", pair[0]),
                                              line=gid("SalesOrderLine", pair[1])))
    return lines


# -- the run ---------------------------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU each process has used so far (from /proc; gone ones left out)."""
    used = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        used[pid] = (int(fields[11]) + int(fields[12])) / TICKS
    return used


def server_pids(port: int) -> list[int]:
    """``openjxc serve --port <port>`` and every process below it (its workers)."""
    roots = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in args and str(port).encode() in args:
            roots.append(int(cmdline.parent.name))
    found, todo = list(roots), list(roots)
    while todo:
        for task in Path(f"/proc/{todo.pop()}/task").glob("*"):
            try:
                children = [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                continue
            found.extend(children)
            todo.extend(children)
    return found


def backend_pids(url: str) -> list[int]:
    """The PostgreSQL server processes serving this database now."""
    import psycopg

    with psycopg.connect(url) as db:
        return [row[0] for row in db.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")]


class CpuMeter:
    """CPU the server's processes and this database's PostgreSQL backends use while the
    load runs: per request, it does not depend on what else takes the machine's cores."""

    def __init__(self, url: str, port: int) -> None:
        self.url, self.port = url, port
        self.before = self._sample()

    def _sample(self) -> tuple[dict[int, float], dict[int, float]]:
        return cpu_seconds(server_pids(self.port)), cpu_seconds(backend_pids(self.url))

    def per_request_ms(self, requests: int) -> dict[str, float]:
        """CPU per request since the meter began, and the connections the server holds."""
        after = self._sample()
        spent = [sum(now - then.get(pid, 0.0) for pid, now in a.items())
                 for then, a in zip(self.before, after, strict=True)]
        return {"server_cpu_ms_per_request": round(spent[0] * 1000 / max(requests, 1), 2),
                "postgresql_cpu_ms_per_request": round(spent[1] * 1000 / max(requests, 1), 2),
                "postgresql_connections_at_end": len(after[1])}


def run_wrk(endpoint: str, token: str, script: Path, bodies_file: Path, threads: int,
            connections: int, duration: float) -> dict[str, Any]:
    done = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s",
         "--timeout", "10s", "-s", str(script), endpoint, "--",
         str(bodies_file), str(threads), token],
        capture_output=True, text=True, timeout=duration + 120)
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return dict(json.loads(line.removeprefix("WRKJSON ")))


def summarise(raw: dict[str, Any]) -> dict[str, Any]:
    """Requests/s, latency, per-operation outcomes and the errors among them."""
    per_op: dict[str, Counter[str]] = {}
    for key, n in raw["outcomes"].items():
        op, outcome = key.split(" ", 1)
        per_op.setdefault(op, Counter())[outcome] += n
    unexpected: Counter[str] = Counter()
    refusals: Counter[str] = Counter()
    for op, outcomes in per_op.items():
        for outcome, n in outcomes.items():
            if outcome == "ok":
                continue
            if op in EXPECTED_REFUSALS and outcome in EXPECTED_REFUSALS[op]:
                refusals[f"{op} {outcome}"] += n
            else:
                unexpected[f"{op} {outcome}"] += n
    transport = raw["errors"]
    seconds = raw["duration_us"] / 1e6
    answered = sum(raw["outcomes"].values())
    return {
        "requests_per_s": round(raw["requests"] / seconds, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "duration_s": round(seconds, 2),
        "requests": raw["requests"],
        "answers_read": answered,
        "ran_out": raw["ran_out"],
        "operations": {op: dict(sorted(c.items())) for op, c in sorted(per_op.items())},
        "expected_refusals": dict(refusals),
        "transport_errors": transport,
        "unexpected": dict(unexpected),
        "errors": sum(unexpected.values()) + sum(transport.values()),
    }


def audit(url: str, run: RunData, measured: dict[str, Any], hot_stock: int,
          connections: int) -> dict[str, Any]:
    """The oversell check, from the database after the run."""
    import psycopg

    ops = measured["operations"]
    with psycopg.connect(url) as db:
        def one(sql: str, *params: Any) -> Any:
            row = db.execute(sql, params).fetchone()
            return row[0] if row else None

        negative = one("SELECT count(*) FROM jxc_stock_balance WHERE quantity < 0")
        over_reserved = one("SELECT count(*) FROM jxc_stock_balance "
                            "WHERE reserved > quantity OR reserved < 0")
        # Every balance of a physical location is the sum of the moves in minus out.
        off_ledger = one("""
            WITH m AS (
              SELECT loc, product_id, batch_id, sum(q) AS q FROM (
                SELECT to_location_id AS loc, product_id, batch_id, quantity AS q
                  FROM jxc_stock_move
                UNION ALL
                SELECT from_location_id, product_id, batch_id, -quantity FROM jxc_stock_move
              ) x GROUP BY 1, 2, 3)
            SELECT count(*) FROM jxc_stock_balance b
            FULL JOIN m ON m.loc = b.location_id AND m.product_id = b.product_id
                       AND m.batch_id = b.batch_id
            JOIN jxc_location l ON l.id = coalesce(b.location_id, m.loc)
            WHERE l.kind IN ('internal', 'transit', 'quarantine', 'scrap')
              AND coalesce(b.quantity, 0) <> coalesce(m.q, 0)""")
        # What balances say is reserved is what the orders hold.
        off_reservations = one("""
            WITH r AS (
              SELECT r.location_id, l.product_id, r.batch_id, sum(r.quantity) AS q
                FROM jxc_sales_reservation r JOIN jxc_sales_order_line l
                  ON l.id = r.order_line_id GROUP BY 1, 2, 3)
            SELECT count(*) FROM jxc_stock_balance b
            FULL JOIN r ON r.location_id = b.location_id AND r.product_id = b.product_id
                       AND r.batch_id = b.batch_id
            WHERE coalesce(b.reserved, 0) <> coalesce(r.q, 0)""")
        over_delivered = one("SELECT count(*) FROM jxc_sales_order_line "
                             "WHERE delivered_quantity > quantity")
        hot_delivered = one("""
            SELECT coalesce(sum(d.quantity), 0) FROM jxc_sales_delivery_line d
              JOIN jxc_product p ON p.id = d.product_id WHERE p.code = %s""", run.hot_code)
        hot_on_hand = one("""
            SELECT coalesce(sum(b.quantity), 0) FROM jxc_stock_balance b
              JOIN jxc_product p ON p.id = b.product_id
              JOIN jxc_location l ON l.id = b.location_id
             WHERE p.code = %s AND l.kind = 'internal'""", run.hot_code)
        line_ids = [line for _o, line in run.reserved]
        stored_deliveries = one("SELECT count(*) FROM jxc_sales_delivery_line "
                                "WHERE order_line_id = ANY(%s)", line_ids)
        confirmed = one("SELECT count(*) FROM jxc_sales_order WHERE id = ANY(%s) "
                        "AND state <> 'draft'", run.drafts)
    hot_ok = ops.get("hot", {}).get("ok", 0)
    hot_refused = ops.get("hot", {}).get("INSUFFICIENT_STOCK", 0)
    stored = {"deliver": stored_deliveries, "confirm": confirmed}
    answered = {"deliver": ops.get("deliver", {}).get("ok", 0),
                "confirm": ops.get("confirm", {}).get("ok", 0)
                + ops.get("confirm", {}).get("held_for_credit", 0)}
    # wrk stops at the deadline with requests in flight: the server may still commit those.
    in_flight = measured["requests"] - measured["answers_read"] + connections
    stored_match = all(answered[k] <= stored[k] <= answered[k] + in_flight for k in stored)
    hot_stored = int(hot_delivered)
    checks = {
        "no_negative_balance": negative == 0,
        "nothing_reserved_beyond_on_hand": over_reserved == 0,
        "balances_equal_sum_of_moves": off_ledger == 0,
        "reserved_equals_order_reservations": off_reservations == 0,
        "no_line_delivered_beyond_order": over_delivered == 0,
        "hot_delivered_at_most_received": hot_stored <= hot_stock
        and Decimal(hot_on_hand) == hot_stock - hot_stored,
        "hot_refused_only_when_sold_out": hot_refused == 0 or Decimal(hot_on_hand) == 0,
        "hot_answers_match_stored": hot_ok <= hot_stored <= hot_ok + in_flight,
        "other_answers_match_stored": stored_match,
    }
    return {
        "hot_product": run.hot_code,
        "hot_received": hot_stock,
        "hot_delivered": hot_stored,
        "hot_on_hand": f"{Decimal(hot_on_hand).normalize():f}",
        "hot_delivered_ok_answers": hot_ok,
        "hot_refused_insufficient_stock": hot_refused,
        "stored": stored,
        "ok_answers": answered,
        "checks": checks,
        "oversell": not all(checks.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=DURATION_S, help="seconds per run")
    parser.add_argument("--warmup", type=float, default=WARMUP_S,
                        help="seconds of reads before each run")
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--workers", default=",".join(map(str, WORKER_COUNTS)),
                        help="comma-separated worker counts")
    parser.add_argument("--max-rate", type=float, default=MAX_RATE,
                        help="requests/s each run's prepared orders are sized for")
    parser.add_argument("--hot-stock", type=int, default=HOT_STOCK,
                        help="units of the hot product received per run")
    args = parser.parse_args()
    worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]
    if not shutil.which("wrk"):
        parser.error("wrk is needed (make bench installs it; Debian: apt-get install wrk)")
    per_run = sizing(args.duration, args.max_rate)
    rng = random.Random(42)
    result: dict[str, Any] = {
        "benchmark": "load",
        "generator": f"wrk -t{args.threads} + Lua (bodies from a file, answers read)",
        "cpu_count": os.cpu_count(),
        "load_average_1m_at_start": round(os.getloadavg()[0], 2),
        "connections": args.connections,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "mix_weights": WEIGHTS,
        "prepared_per_run": per_run,
        "hot_stock_per_run": args.hot_stock,
        "units_per_order": UNITS_PER_ORDER,
    }
    by_workers: dict[str, Any] = {}
    with temporary_database(False) as (url, backend, note), \
            tempfile.TemporaryDirectory(prefix="openjxc-bench-load-") as tmp:
        if backend != "postgresql":
            raise SystemExit(f"bench_load needs PostgreSQL: {note}")
        result["database"] = backend
        log("init basic edition on PostgreSQL")
        openjxc("init", "--edition", "basic", "--database", url)
        openjxc("user", "create", USERNAME, "--password", PASSWORD, "--role", "admin",
                "--database", url)
        t0 = time.perf_counter()
        shop = build_shop(url, worker_counts, per_run, rng, args.hot_stock)
        result["setup_s"] = round(time.perf_counter() - t0, 1)
        log(f"shop ready in {result['setup_s']} s: {per_run}")
        script = Path(tmp) / "load.lua"
        script.write_text(WRK_SCRIPT)
        token: str | None = None
        for workers in worker_counts:
            run = shop.runs[workers]
            measured_file = Path(tmp) / f"bodies-{workers}.txt"
            measured_file.write_text("\n".join(bodies(shop, run, per_run["requests"], rng))
                                     + "\n", encoding="utf-8")
            warm = [line for line in bodies(shop, RunData(workers, run.hot_code),
                                            int(args.max_rate * args.warmup) + 1, rng)
                    if line.split("\t", 1)[0] in ("scan", "stock")]
            warm_file = Path(tmp) / f"warm-{workers}.txt"
            warm_file.write_text("\n".join(warm) + "\n", encoding="utf-8")
            log(f"serve --workers {workers}")
            with server(url, workers, tmp) as base:
                if token is None:
                    token, result["token_via"] = obtain_token(base, url)
                endpoint = f"{base}/graphql"
                check(base, "{ me { username } }", token)
                if args.warmup > 0:
                    run_wrk(endpoint, token, script, warm_file, args.threads,
                            args.connections, args.warmup)
                log(f"  mixed load: {args.duration:g} s x {args.connections} connections")
                meter = CpuMeter(url, int(base.rsplit(":", 1)[1]))
                measured = summarise(run_wrk(endpoint, token, script, measured_file,
                                             args.threads, args.connections, args.duration))
                measured.update(meter.per_request_ms(measured["requests"]))
                check(base, "{ me { username } }", token)
            measured["audit"] = audit(url, run, measured, args.hot_stock, args.connections)
            by_workers[str(workers)] = measured
            log(f"  {measured['requests_per_s']} req/s, p99 {measured['p99_ms']} ms, "
                f"errors {measured['errors']}, oversell {measured['audit']['oversell']}")
    result["workers"] = by_workers
    result["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    result["errors"] = sum(m["errors"] for m in by_workers.values())
    result["oversell"] = any(m["audit"]["oversell"] for m in by_workers.values())
    result["ok"] = result["errors"] == 0 and not result["oversell"]
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
