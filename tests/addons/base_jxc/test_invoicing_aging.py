"""Ageing by due date, as of a day, in one statement; and the overdue alert.

Customer C2 has cash terms, so each invoice's due date is chosen explicitly to fall on
the edges of the buckets: due on the day itself is not yet due, one day late is in 1–30,
thirty-one days late in 31–60, ninety-one in "> 90".
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import event
from test_invoicing_support import D, invoice, invoicing_templates, line, world
from trading_support import TradingWorld

from openjxc.addons.base_jxc.invoicing.aging import AgingBucket, aging
from openjxc.addons.base_jxc.invoicing.alerts import RULE_KEY
from openjxc.addons.base_jxc.invoicing.models import Invoice, Payment
from openjxc.addons.base_jxc.invoicing.services import (
    allocate,
    create_payment,
    partner_balances,
)
from openjxc.addons.base_jxc.policies.services import set_policy
from openjxc.core.alerts import Alert, evaluate_rules

__all__ = ["invoicing_templates", "world"]

AS_OF = date(2026, 6, 30)
#: days past due on AS_OF → amount (powers of two, so every sum tells who is in it)
EDGES = {-5: 1, 0: 2, 1: 4, 30: 8, 31: 16, 60: 32, 61: 64, 90: 128, 91: 256, 400: 512}


def test_invoices_fall_into_buckets_by_days_past_due(world: TradingWorld) -> None:
    c1, c2 = world.partners["C1"], world.partners["C2"]
    with world.uow() as s:
        for days, amount in EDGES.items():
            due = AS_OF - timedelta(days=days)
            invoice(s, world, line(world, 1, amount, rate=0), partner="C2",
                    invoice_date=min(due, AS_OF), due_date=due)
        first = invoice(s, world, line(world, 1, 1000, rate=0), invoice_date=date(2026, 5, 1))
        create_payment(s, partner_id=c1, direction="receivable", amount=D(1500),
                       payment_date=date(2026, 5, 20), allocations=[(first.id, D(400))])
        invoice(s, world, line(world, 1, 50, rate=0), kind="credit_note",
                invoice_date=date(2026, 6, 1))
        invoice(s, world, line(world, 1, 70, rate=0), partner="S1", direction="payable",
                invoice_date=date(2026, 6, 1))
        invoice(s, world, line(world, 1, 9, rate=0), partner="C2",
                invoice_date=date(2026, 7, 1))  # after the day: not in it
        report = aging(s, "receivable", AS_OF, (30, 60, 90))
        balances = partner_balances(s, [c1, c2], as_of=AS_OF)
    assert report.buckets == (AgingBucket(1, 30), AgingBucket(31, 60), AgingBucket(61, 90),
                              AgingBucket(91, None))
    assert [r.partner_code for r in report.rows] == ["C1", "C2"]
    first_row, second_row = report.rows
    assert (second_row.not_due, second_row.buckets) == (
        D(1 + 2), (D(4 + 8), D(16 + 32), D(64 + 128), D(256 + 512)))
    assert second_row.unallocated == D(0) and second_row.balance == D(1023)
    # C1: 600 open on an invoice due 31 May (30 days past due), a credit note due 1 June
    # (29 days), and 1100 paid ahead.
    assert (first_row.not_due, first_row.buckets, first_row.unallocated) == (
        D(0), (D(550), D(0), D(0), D(0)), D(1100))
    assert first_row.balance == D(-550) == balances[c1].receivable.balance
    assert report.totals.buckets == (D(562), D(48), D(192), D(768))
    assert report.totals.balance == D(473)
    # Other boundaries, a subset of partners, the payables side.
    narrow = aging_of(world, "receivable", (15, 45), partner_codes=["C2"])
    assert narrow.buckets == (AgingBucket(1, 15), AgingBucket(16, 45), AgingBucket(46, None))
    assert [(r.partner_code, r.buckets) for r in narrow.rows] == [
        ("C2", (D(4), D(8 + 16), D(32 + 64 + 128 + 256 + 512)))]
    payables = aging_of(world, "payable", (30, 60, 90))
    assert [(r.partner_code, r.buckets[0]) for r in payables.rows] == [("S1", D(0))]
    assert payables.rows[0].not_due == D(70)  # S1: 30 days' terms from 1 June


def aging_of(world: TradingWorld, direction: str, buckets: Any,
             partner_codes: list[str] | None = None) -> Any:
    with world.uow(readonly=True) as s:
        ids = None if partner_codes is None else [world.partners[c] for c in partner_codes]
        return aging(s, direction, AS_OF, buckets, partner_ids=ids)


def test_the_buckets_come_from_the_policy(world: TradingWorld) -> None:
    with world.uow() as s:
        invoice(s, world, line(world, 1, 10, rate=0), partner="C2",
                invoice_date=date(2026, 5, 1), due_date=date(2026, 5, 1))
        assert len(aging(s, "receivable", AS_OF).buckets) == 4
        set_policy(s, "invoicing.aging_buckets", "10, 20, 40, 80, 160")
    with world.uow(readonly=True) as s:
        report = aging(s, "receivable", AS_OF)
    assert [b.from_days for b in report.buckets] == [1, 11, 21, 41, 81, 161]
    assert report.rows[0].buckets == (D(0), D(0), D(0), D(10), D(0), D(0))  # 60 days


def test_as_of_a_past_day_counts_only_what_had_happened(world: TradingWorld) -> None:
    c1 = world.partners["C1"]
    with world.uow() as s:
        january = invoice(s, world, line(world, 1, 1000, rate=0),
                          invoice_date=date(2026, 1, 10))          # due 9 Feb
        february = invoice(s, world, line(world, 1, 500, rate=0),
                           invoice_date=date(2026, 2, 10))         # due 12 Mar
        payment = create_payment(s, partner_id=c1, direction="receivable", amount=D(1200),
                                 payment_date=date(2026, 2, 1))
        # Allocated today, but it counts from the later of the two dates.
        allocate(s, payment.id, [(january.id, D(1000)), (february.id, D(100))])
        note = invoice(s, world, line(world, 1, 300, rate=0), kind="credit_note",
                       invoice_date=date(2026, 3, 5))
        allocate(s, None, [(february.id, D(250))], credit_note_id=note.id)
        refund = create_payment(s, partner_id=c1, direction="receivable", kind="refund",
                                amount=D(30), payment_date=date(2026, 3, 20),
                                allocations=[(note.id, D(30))])
        assert refund.amount_allocated == D(30)
        days = [date(2026, 1, 9), date(2026, 1, 10), date(2026, 1, 31), date(2026, 2, 1),
                date(2026, 2, 9), date(2026, 2, 10), date(2026, 2, 11), date(2026, 3, 5),
                date(2026, 3, 19), date(2026, 3, 20), date(2026, 12, 31)]
        reports = {day: aging(s, "receivable", day, (30,)) for day in days}
        invoices = [(i.invoice_date, i.amount_total) for i in s.query(Invoice)]
        payments = [(p.payment_date, p.amount if p.kind == "payment" else -p.amount)
                    for p in s.query(Payment)]
    for day, report in reports.items():
        expected = (sum((a for d, a in invoices if d <= day), D(0))
                    - sum((a for d, a in payments if d <= day), D(0)))
        assert report.totals.balance == expected, day
    assert reports[date(2026, 1, 9)].rows == []
    jan31 = reports[date(2026, 1, 31)].rows[0]
    assert (jan31.not_due, jan31.overdue, jan31.unallocated) == (D(1000), D(0), D(0))
    feb10 = reports[date(2026, 2, 10)].rows[0]  # February's 100 counts from its own date
    assert (feb10.not_due, feb10.buckets, feb10.unallocated) == (D(400), (D(0), D(0)),
                                                                 D(100))
    feb9 = reports[date(2026, 2, 9)].rows[0]  # January settled from the payment's date
    assert (feb9.not_due, feb9.overdue, feb9.unallocated) == (D(0), D(0), D(200))
    # The credit note (due on its day) settled 250 of February: 150 − 50 not yet due.
    mar5 = reports[date(2026, 3, 5)].rows[0]
    assert (mar5.not_due, mar5.buckets) == (D(100), (D(0), D(0)))
    # February 8 days late, the rest of the note (15 days) refunded but for 20.
    mar20 = reports[date(2026, 3, 20)].rows[0]
    assert (mar20.not_due, mar20.buckets, mar20.unallocated) == (D(0), (D(130), D(0)),
                                                                 D(100))


def test_ageing_is_one_statement_whatever_the_number_of_invoices(
        world: TradingWorld) -> None:
    def statements() -> int:
        seen: list[str] = []
        engine = world.env.database.engine

        def record(*args: Any) -> None:
            if args[2].lstrip().upper().startswith(("SELECT", "WITH")):
                seen.append(args[2])

        with world.uow(readonly=True) as s:
            event.listen(engine, "before_cursor_execute", record)
            try:
                aging(s, "receivable", AS_OF, (30, 60, 90))
            finally:
                event.remove(engine, "before_cursor_execute", record)
        return len(seen)

    few = statements()
    with world.uow() as s:
        for i in range(40):
            first = invoice(s, world, line(world, 1, 10 + i), partner=("C1", "C2", "CS")[i % 3],
                            invoice_date=date(2026, 1, 1) + timedelta(days=3 * i))
            create_payment(s, partner_id=first.partner_id, direction="receivable",
                           amount=D(5), allocations=[(first.id, D(5))])
    assert few == statements() == 1


def test_an_invoice_overdue_raises_an_alert_until_it_is_paid(world: TradingWorld) -> None:
    env = world.env

    def at(day: date) -> datetime:  # noon in Shanghai
        return datetime(day.year, day.month, day.day, 4, tzinfo=UTC)

    with world.uow() as s:
        sold = invoice(s, world, line(world, 1, 1000))                       # due 31 March
        invoice(s, world, line(world, 1, 10), partner="S1", direction="payable")
        invoice(s, world, line(world, 1, 5), kind="credit_note")           # never alerts
        sold_id = sold.id
    assert evaluate_rules(env, at(date(2026, 3, 31)), [RULE_KEY]).opened == []
    report = evaluate_rules(env, at(date(2026, 4, 1)), [RULE_KEY])
    assert report.failed == {} and len(report.opened) == 2
    with world.uow(readonly=True) as s:
        alerts = {a.subject["invoice"]: a for a in s.query(Alert)
                  .filter(Alert.id.in_(report.opened))}
        assert alerts[sold_id].params["days"] == 1
        assert alerts[sold_id].params["open"] == "1130.00"
        assert alerts[sold_id].subject == {"invoice": sold_id, "partner": world.partners["C1"]}
        assert alerts[sold_id].severity == "warning"
    with world.uow() as s:
        set_policy(s, "invoicing.overdue_alert_days", "10")
    report = evaluate_rules(env, at(date(2026, 4, 2)), [RULE_KEY])
    assert len(report.resolved) == 2  # within the ten days' grace
    report = evaluate_rules(env, at(date(2026, 7, 1)), [RULE_KEY])  # 92 days
    assert len(report.opened) == 2
    with world.uow(readonly=True) as s:
        assert {a.severity for a in s.query(Alert).filter(Alert.id.in_(report.opened))} == {
            "critical"}
    with world.uow() as s:
        create_payment(s, partner_id=world.partners["C1"], direction="receivable",
                       amount=D(1130), allocations=[(sold_id, D(1130))])
    report = evaluate_rules(env, at(date(2026, 7, 2)), [RULE_KEY])
    assert len(report.resolved) == 1 and report.opened == []
