"""Receivables ageing at scale: 100,000 invoices.  Prints JSON.

One seeded ledger (``random.Random(42)``): 1,000 customers and 100 suppliers; 100,000
receivable and 10,000 payable invoices (3% of them credit notes) dated over the past 18
months with 0/30/60/90 days' terms; about 60% fully and 15% partly settled, each by a
payment dated up to 120 days after the invoice (none later than today), 2% of payments
with money left on account.  The ledger is bulk-loaded (set-based inserts, consistent with
what the services write: settled amounts, states, allocations with their ``settled_on``
day); posting through the services is measured separately (``--service-documents``,
1,000 by default).  Then:

- ``aging_today_ms``: ``aging(session, "receivable", today)`` (median of the runs);
- ``aging_past_ms``: the same as of 180 days ago (allocations made later are added back);
- ``aging_payables_ms``: the payables side (10,000 invoices);
- ``open_receivables_all_ms``: ``open_receivables`` of every customer at once;
- ``partner_balances_all_ms``: ``partner_balances`` of every partner (both sides);
- ``service_invoices_per_s`` / ``service_payments_per_s``: ``create_invoice`` (3 lines)
  and ``create_payment`` (allocated to one invoice), one unit of work each;
- ``balances_match_ledger``: the ageing's balance equals Σ invoices − Σ payments, today
  and 180 days ago (a sanity check that the numbers measured something).

Aim (issue 5): reports < 1 s.  On SQLite each report also has ``…_cpu_ms``: the process's
CPU, which is all of SQLite's work — on a busy machine compare that (and the load averages
the result records).

    .venv/bin/python benchmarks/bench_aging.py                        # both backends
    .venv/bin/python benchmarks/bench_aging.py --backend sqlite --invoices 20000

Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

PG_ADMIN_URL = os.environ.get("OPENJXC_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
CUSTOMERS = 1000
SUPPLIERS = 100
HISTORY_DAYS = 540
TERMS = (0, 30, 60, 90)
CHUNK = 10_000
AIM_MS = 1000
CENT = Decimal("0.01")


def log(message: str) -> None:
    print(f"bench_aging: {message}", file=sys.stderr, flush=True)


@contextlib.contextmanager
def temporary_database(backend: str) -> Iterator[str]:
    """A new, empty database of ``backend``, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="openjxc-bench-aging-") as tmp:
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


# -- the ledger -------------------------------------------------------------------------------

class Ledger:
    """Rows for the invoice, payment and allocation tables, consistent with each other."""

    def __init__(self, rng: random.Random, today: date) -> None:
        self.rng = rng
        self.today = today
        self.invoices: list[dict[str, Any]] = []
        self.payments: list[dict[str, Any]] = []
        self.allocations: list[dict[str, Any]] = []
        self._numbers: dict[str, int] = {}

    def _number(self, prefix: str, day: date) -> str:
        """``<prefix>-<yyyymm>-<nnnn>`` counted per month, as the services number."""
        stem = f"{prefix}-{day:%Y%m}-"
        self._numbers[stem] = self._numbers.get(stem, 0) + 1
        return f"{stem}{self._numbers[stem]:04d}"

    def add(self, partner_id: int, direction: str) -> None:
        rng = self.rng
        day = self.today - timedelta(days=rng.randint(0, HISTORY_DAYS))
        credit = rng.random() < 0.03
        untaxed = (Decimal(rng.randint(10_000, 5_000_000)) / 100).quantize(CENT)
        tax = (untaxed * Decimal("0.13")).quantize(CENT)
        total = untaxed + tax
        sign = -1 if credit else 1
        due = day if credit else day + timedelta(days=rng.choice(TERMS))
        invoice_id = len(self.invoices) + 1
        prefix = "HZFP" if credit else ("XSFP" if direction == "receivable" else "CGFP")
        row = {"id": invoice_id, "number": self._number(prefix, day),
               "external_number": "", "partner_id": partner_id, "direction": direction,
               "kind": "credit_note" if credit else "invoice", "state": "open",
               "invoice_date": day, "due_date": due, "currency": "CNY",
               "amount_untaxed": sign * untaxed, "amount_tax": sign * tax,
               "amount_total": sign * total, "amount_settled": Decimal("0.00"),
               "origin_type": "", "note": ""}
        self.invoices.append(row)
        roll = rng.random()
        paid_on = day + timedelta(days=rng.randint(0, 120))
        if credit or roll >= 0.75 or paid_on > self.today:  # not paid (yet)
            return
        settled = total if roll < 0.60 else (total * Decimal(rng.randint(10, 90)) / 100
                                             ).quantize(CENT)
        extra = (Decimal(rng.randint(1, 100_000)) / 100).quantize(CENT) \
            if rng.random() < 0.02 else Decimal("0.00")
        payment_id = len(self.payments) + 1
        self.payments.append({
            "id": payment_id,
            "number": self._number("SK" if direction == "receivable" else "FK", paid_on),
            "partner_id": partner_id, "direction": direction, "kind": "payment",
            "payment_date": paid_on, "amount": settled + extra, "amount_allocated": settled,
            "method": "bank", "reference": "", "note": ""})
        self.allocations.append({"invoice_id": invoice_id, "payment_id": payment_id,
                                 "amount": settled, "settled_on": max(paid_on, day)})
        row["amount_settled"] = settled
        row["state"] = "settled" if settled == total else "partly_settled"


def load(env: Any, ledger: Ledger) -> None:
    from sqlalchemy import insert, text

    from openjxc.addons.base_jxc.invoicing.models import Invoice, Payment, PaymentAllocation
    from openjxc.addons.base_jxc.stock.models import table_of

    with env.unit_of_work() as session:
        for model, rows in ((Invoice, ledger.invoices), (Payment, ledger.payments),
                            (PaymentAllocation, ledger.allocations)):
            table = table_of(model)
            for start in range(0, len(rows), CHUNK):
                session.execute(insert(table), rows[start:start + CHUNK])
        if session.get_bind().dialect.name == "postgresql":
            for name in ("jxc_invoice", "jxc_payment", "jxc_payment_allocation"):
                session.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                     f"(SELECT max(id) FROM {name}))"))
    with env.database.engine.connect() as conn:  # fresh statistics, as a live database has
        conn.execute(text("ANALYZE"))
        conn.commit()


def create_partners(env: Any) -> tuple[list[int], list[int]]:
    from sqlalchemy import insert, select

    from openjxc.addons.base_jxc.partners.models import Partner
    from openjxc.addons.base_jxc.stock.models import table_of

    rows = ([{"code": f"C{i:05d}", "name": f"客户 {i}", "is_customer": True,
              "is_supplier": False, "payment_terms_days": 30} for i in range(CUSTOMERS)]
            + [{"code": f"S{i:04d}", "name": f"供应商 {i}", "is_customer": False,
                "is_supplier": True, "payment_terms_days": 30} for i in range(SUPPLIERS)])
    with env.unit_of_work() as session:
        session.execute(insert(table_of(Partner)), rows)
        found = session.execute(select(Partner.id, Partner.is_customer)).all()
    return ([i for i, customer in found if customer], [i for i, customer in found
                                                       if not customer])


# -- measuring -------------------------------------------------------------------------------

def median_ms(action: Callable[[], Any], runs: int) -> tuple[float, float]:
    """Median wall-clock and process CPU milliseconds of ``runs`` calls."""
    timings, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        action()
        timings.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return (round(statistics.median(timings) * 1000, 1),
            round(statistics.median(cpu) * 1000, 1))


def measure_reports(env: Any, today: date, customers: list[int], runs: int,
                    ) -> dict[str, Any]:
    from openjxc.addons.base_jxc.invoicing.services import (
        aging,
        open_receivables,
        partner_balances,
    )

    past = today - timedelta(days=180)
    result: dict[str, Any] = {}
    with env.unit_of_work(readonly=True) as session:
        for name, action in (
                ("aging_today_ms", lambda: aging(session, "receivable", today, (30, 60, 90))),
                ("aging_past_ms", lambda: aging(session, "receivable", past, (30, 60, 90))),
                ("aging_payables_ms", lambda: aging(session, "payable", today, (30, 60, 90))),
                ("open_receivables_all_ms", lambda: open_receivables(session, customers)),
                ("partner_balances_all_ms", lambda: partner_balances(session, as_of=today))):
            action()  # warm the caches once, as a running server has them
            result[name], cpu = median_ms(action, runs)
            if session.get_bind().dialect.name == "sqlite":  # all of SQLite's work
                result[name.replace("_ms", "_cpu_ms")] = cpu
        report = aging(session, "receivable", today, (30, 60, 90))
        result["aging_rows"] = len(report.rows)
        result["aging_total_open"] = str(report.totals.open)
        result["balances_match_ledger"] = all(
            aging(session, "receivable", day, (30, 60, 90)).totals.balance
            == ledger_balance(session, day) for day in (today, past))
    return result


def ledger_balance(session: Any, day: date) -> Decimal:
    """Σ invoices − Σ payments + Σ refunds dated up to ``day``, the plain way."""
    from sqlalchemy import case, func, select

    from openjxc.addons.base_jxc.invoicing.models import Invoice, Payment

    invoiced = session.scalar(select(func.coalesce(func.sum(Invoice.amount_total), 0)).where(
        Invoice.direction == "receivable", Invoice.invoice_date <= day))
    paid = session.scalar(select(func.coalesce(func.sum(case(
        (Payment.kind == "payment", Payment.amount), else_=-Payment.amount)), 0)).where(
        Payment.direction == "receivable", Payment.payment_date <= day))
    return Decimal(invoiced) - Decimal(paid)


def measure_services(env: Any, customers: list[int], products: list[int], count: int,
                     rng: random.Random) -> dict[str, Any]:
    from openjxc.addons.base_jxc.invoicing.services import (
        InvoiceLineInput,
        create_invoice,
        create_payment,
    )

    posted: list[tuple[int, int, Decimal]] = []
    t0 = time.perf_counter()
    for _ in range(count):
        partner = rng.choice(customers)
        with env.unit_of_work() as session:
            invoice = create_invoice(session, partner_id=partner, direction="receivable",
                                     lines=[InvoiceLineInput(
                                         product_id=rng.choice(products), description="",
                                         quantity=Decimal(rng.randint(1, 20)),
                                         unit_price=Decimal(rng.randint(100, 100_000)) / 100,
                                         tax_rate=Decimal("0.13")) for _ in range(3)])
            posted.append((invoice.id, partner, invoice.amount_total))
    invoices_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    for invoice_id, partner, total in posted:
        with env.unit_of_work() as session:
            create_payment(session, partner_id=partner, direction="receivable", amount=total,
                           allocations=[(invoice_id, total)])
    payments_s = time.perf_counter() - t0
    return {"service_documents": count,
            "service_invoices_per_s": round(count / invoices_s, 1),
            "service_payments_per_s": round(count / payments_s, 1)}


def run_backend(backend: str, invoices: int, payables: int, service_documents: int,
                runs: int) -> dict[str, Any]:
    from openjxc.addons.base_jxc.catalog.services import (
        ProductInput,
        create_category,
        create_product,
    )
    from openjxc.addons.base_jxc.stock.posting import business_today
    from openjxc.core.env import Environment
    from openjxc.core.migrate import create_database

    rng = random.Random(42)
    result: dict[str, Any] = {"backend": backend, "receivable_invoices": invoices,
                              "payable_invoices": payables,
                              "load_average_1m_at_start": round(os.getloadavg()[0], 2)}
    with temporary_database(backend) as url:
        env = Environment.for_edition("basic", database_url=url)
        log(f"{backend}: create database, {CUSTOMERS} customers, {SUPPLIERS} suppliers")
        create_database(env)
        customers, suppliers = create_partners(env)
        with env.unit_of_work() as session:
            today = business_today(session)
            create_category(session, code="DJ", name="电机")
            products = [create_product(session, ProductInput(
                code=f"P{i:03d}", name=f"产品 {i}", category_code="DJ")).id for i in range(20)]
        log(f"{backend}: loading {invoices:,} + {payables:,} invoices with their payments")
        ledger = Ledger(rng, today)
        for _ in range(invoices):
            ledger.add(rng.choice(customers), "receivable")
        for _ in range(payables):
            ledger.add(rng.choice(suppliers), "payable")
        t0 = time.perf_counter()
        load(env, ledger)
        result["load_s"] = round(time.perf_counter() - t0, 1)
        result["payments"] = len(ledger.payments)
        result["allocations"] = len(ledger.allocations)
        log(f"{backend}: reports")
        result.update(measure_reports(env, today, customers, runs))
        log(f"{backend}: {service_documents} invoices and payments through the services")
        with env.database.engine.connect():
            # An idle connection kept open, as a pooled server would: SQLite then does not
            # checkpoint the WAL each time a unit of work closes its connection.
            result.update(measure_services(env, customers, products, service_documents,
                                           rng))
        env.database.dispose()
    result["load_average_1m_at_end"] = round(os.getloadavg()[0], 2)
    reports = ("aging_today_ms", "aging_past_ms", "aging_payables_ms",
               "open_receivables_all_ms", "partner_balances_all_ms")
    result["aim_ms"] = AIM_MS
    result["meets"] = {name: result[name] < AIM_MS for name in reports}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--invoices", type=int, default=100_000,
                        help="receivable invoices in the ledger")
    parser.add_argument("--payables", type=int, default=10_000)
    parser.add_argument("--service-documents", type=int, default=1000,
                        help="invoices (and as many payments) posted through the services")
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each report")
    args = parser.parse_args()
    if args.backend != "both":
        print(json.dumps(run_backend(args.backend, args.invoices, args.payables,
                                     args.service_documents, args.runs), indent=2))
        return
    results = []
    for backend in ("sqlite", "postgresql"):  # each in its own interpreter
        out = subprocess.run(
            [sys.executable, __file__, "--backend", backend, "--invoices", str(args.invoices),
             "--payables", str(args.payables), "--service-documents",
             str(args.service_documents), "--runs", str(args.runs)],
            capture_output=True, text=True)
        sys.stderr.write(out.stderr)
        if out.returncode != 0:
            raise SystemExit(f"bench_aging: the {backend} run failed")
        results.append(json.loads(out.stdout))
    print(json.dumps({"benchmark": "aging", "results": results}, indent=2))


if __name__ == "__main__":
    main()
