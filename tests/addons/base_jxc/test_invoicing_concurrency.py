"""Two cashiers allocating the same invoice at the same moment never over-settle it.

* Deterministic: the first allocation is made and not yet committed; the second has already
  read the invoice as open and waits (PostgreSQL: on the row, SQLite: for the write lock);
  when the first commits, the second is refused with ``OVER_ALLOCATED`` and leaves nothing.
* A crowd: eight threads each allocate 300.00 from their own payment to one invoice of
  1,000.00 — exactly three succeed.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select
from test_invoicing_support import D, invoice, invoicing_templates, line, world
from trading_support import TradingWorld

from openjxc.addons.base_jxc.invoicing.models import Invoice, Payment, PaymentAllocation
from openjxc.addons.base_jxc.invoicing.services import allocate, create_payment
from openjxc.core.db import retry_transient
from openjxc.core.errors import ValidationFailed
from openjxc.testing.concurrency import waiting_on_a_lock

__all__ = ["invoicing_templates", "world"]


def _setup(world: TradingWorld, payments: int, amount: str) -> tuple[int, list[int]]:
    with world.uow() as s:
        target = invoice(s, world, line(world, 1, 1000, rate=0))
        paid = [create_payment(s, partner_id=world.partners["C1"], direction="receivable",
                               amount=D(amount)).id for _ in range(payments)]
        return target.id, paid


def test_the_second_of_two_simultaneous_allocations_is_refused(world: TradingWorld) -> None:
    target, (first, second) = _setup(world, 2, "800.00")
    outcome: list[Any] = []

    def late_cashier() -> None:
        try:
            with world.uow() as s:
                allocate(s, second, [(target, D("800.00"))])
            outcome.append("ok")
        except ValidationFailed as exc:
            outcome.append([(e.code, e.field) for e in exc.errors])
        except Exception as exc:  # reported, never swallowed
            outcome.append(repr(exc))

    with world.uow() as s:
        allocate(s, first, [(target, D("800.00"))])
        thread = threading.Thread(target=late_cashier)
        thread.start()
        assert waiting_on_a_lock(world.env.database.engine), \
            "the second allocation should wait for the first"
    thread.join(timeout=60)
    assert not thread.is_alive()
    # PostgreSQL: the second had seen the invoice open, so its guarded UPDATE refused it;
    # SQLite serialises writers, so it saw the first's allocation and refused at once.
    where = (("allocations",) if world.env.database.engine.dialect.name == "postgresql"
             else ("allocations", "0", "amount"))
    assert outcome == [[("OVER_ALLOCATED", where)]], outcome
    with world.uow(readonly=True) as s:
        settled = s.get_one(Invoice, target)
        assert (settled.amount_settled, settled.state) == (D("800.00"), "partly_settled")
        assert s.get_one(Payment, second).amount_allocated == D(0)
        assert s.scalar(select(func.count()).select_from(PaymentAllocation)) == 1


def test_a_crowd_of_cashiers_settles_exactly_what_is_open(world: TradingWorld) -> None:
    target, payments = _setup(world, 8, "300.00")
    results: list[Any] = []
    barrier = threading.Barrier(len(payments))

    def cashier(payment_id: int) -> None:
        barrier.wait(timeout=30)

        def once() -> None:
            with world.uow() as s:
                allocate(s, payment_id, [(target, D("300.00"))])

        try:
            retry_transient(once, attempts=20)
            results.append("ok")
        except ValidationFailed as exc:
            results.append(",".join(e.code for e in exc.errors))
        except Exception as exc:  # reported, never swallowed
            results.append(repr(exc))

    threads = [threading.Thread(target=cashier, args=(p,)) for p in payments]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
        assert not t.is_alive()
    assert sorted(results) == ["OVER_ALLOCATED"] * 5 + ["ok"] * 3, results
    with world.uow(readonly=True) as s:
        settled = s.get_one(Invoice, target)
        assert settled.amount_settled == D("900.00") and settled.state == "partly_settled"
        assert s.scalar(select(func.sum(Payment.amount_allocated))) == D("900.00")
