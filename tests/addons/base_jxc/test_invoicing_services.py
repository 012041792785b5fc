"""Invoices, credit notes, payments and allocations through the services.

A story of customer C1 (30 days' terms) and supplier S1: invoices posted with rounded
lines and due dates from the terms, credit notes stored negative, payments allocated
partly and across several invoices, a credit note settling an invoice, a refund settling
a credit note — and every refusal leaving nothing behind.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session
from test_invoicing_support import MARCH, D, invoice, invoicing_templates, line, world
from trading_support import TradingWorld

from openjxc.addons.base_jxc.invoicing.events import InvoicePosted, PaymentPosted
from openjxc.addons.base_jxc.invoicing.models import (
    Invoice,
    InvoiceLine,
    Payment,
    PaymentAllocation,
)
from openjxc.addons.base_jxc.invoicing.services import (
    InvoiceLineInput,
    allocate,
    create_invoice,
    create_payment,
    open_receivables,
    partner_balances,
)
from openjxc.core.errors import ValidationFailed

__all__ = ["invoicing_templates", "world"]


def codes(refused: pytest.ExceptionInfo[ValidationFailed]) -> set[tuple[tuple[str, ...], str]]:
    return {(e.field, e.code) for e in refused.value.errors}


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def spy_events(world: TradingWorld) -> list[Any]:
    seen: list[Any] = []
    publish = world.env.events.publish

    def spy(session: Session, event: Any, env: Any) -> None:
        seen.append(event)
        publish(session, event, env)

    world.env.events.publish = spy  # type: ignore[method-assign]
    return seen


def test_invoices_and_credit_notes_post_with_rounded_lines_and_due_dates(
        world: TradingWorld) -> None:
    events = spy_events(world)
    with world.uow() as s:
        sale = invoice(s, world, line(world, 3, "33.333333"),
                       line(world, 1, "200", product=None, description="运费", rate="0.09",
                            source_type="TestDocumentLine", source_id=7))
        assert sale.number.startswith("XSFP-") and sale.state == "open"
        assert (sale.amount_untaxed, sale.amount_tax, sale.amount_total) == (
            D("300.00"), D("31.00"), D("331.00"))
        assert sale.due_date == date(2026, 3, 31)  # C1: 30 days
        cash = invoice(s, world, partner="C2")
        assert cash.due_date == MARCH  # C2: cash on delivery
        agreed = invoice(s, world, due_date=date(2026, 5, 15))
        assert agreed.due_date == date(2026, 5, 15)
        bought = invoice(s, world, line(world, 2, "60"), partner="S1", direction="payable",
                         external_number="04410012")
        assert bought.number.startswith("CGFP-") and bought.amount_total == D("135.60")
        note = invoice(s, world, line(world, 1, "33.333333"), kind="credit_note",
                       credited_invoice_id=sale.id, invoice_date=date(2026, 3, 5))
        assert note.number.startswith("HZFP-") and note.due_date == date(2026, 3, 5)
        assert (note.amount_untaxed, note.amount_tax, note.amount_total) == (
            D("-33.33"), D("-4.33"), D("-37.66"))
        lines = s.scalars(select(InvoiceLine).where(InvoiceLine.invoice_id == sale.id)
                          .order_by(InvoiceLine.position)).all()
        assert [(x.position, x.description, x.total) for x in lines] == [
            (1, "产品 PLAIN", D("113.00")), (2, "运费", D("218.00"))]
        assert s.scalars(select(InvoiceLine.quantity)
                         .where(InvoiceLine.invoice_id == note.id)).all() == [D(-1)]
        sale_id, line_ids, note_id = sale.id, [x.id for x in lines], note.id
    posted = [e for e in events if isinstance(e, InvoicePosted)]
    assert len(posted) == 5
    assert posted[0] == InvoicePosted(
        invoice_id=sale_id, number=posted[0].number, direction="receivable", kind="invoice",
        partner_id=world.partners["C1"], amount_total=D("331.00"),
        lines=((line_ids[0], "", None, D(3)), (line_ids[1], "TestDocumentLine", 7, D(1))))
    assert posted[-1].invoice_id == note_id and posted[-1].lines[0][3] == D(-1)
    assert posted[-1].amount_total == D("-37.66")
    # The payload survives the outbox's JSON (after-commit handlers read it back).
    assert InvoicePosted.from_payload(posted[0].to_payload()) == posted[0]


def test_refused_invoices_change_nothing(world: TradingWorld) -> None:
    with world.uow() as s:
        first = invoice(s, world, line(world, 1, "100"))
        bought = invoice(s, world, partner="S1", direction="payable", external_number="A-1")
        first_id, bought_id = first.id, bought.id
    with world.uow() as s:
        before = count(s, Invoice), count(s, InvoiceLine)
        with pytest.raises(ValidationFailed) as refused:
            invoice(s, world, partner="S1")
        assert codes(refused) == {(("partnerCode",), "INVALID")}  # not a customer
        with pytest.raises(ValidationFailed) as refused:
            create_invoice(s, partner_id=999999, direction="sideways", kind="memo", lines=[],
                           invoice_date=MARCH, due_date=date(2026, 2, 1), note="x" * 401)
        assert codes(refused) == {(("direction",), "INVALID"), (("partnerCode",), "NOT_FOUND"),
                                  (("kind",), "INVALID"), (("dueDate",), "INVALID"),
                                  (("note",), "INVALID"), (("lines",), "REQUIRED")}
        with pytest.raises(ValidationFailed) as refused:
            invoice(s, world, line(world, 0, "-1", rate="1.2"),
                    line(world, 1, "10", product=None),
                    line(world, 1, "10", source_type="TestDocumentLine"),
                    InvoiceLineInput(product_id=424242, description="", quantity=D(1),
                                     unit_price=D(1), tax_rate=D(0)))
        assert codes(refused) == {
            (("lines", "0", "quantity"), "INVALID_QUANTITY"),
            (("lines", "0", "unitPrice"), "INVALID"), (("lines", "0", "taxRate"), "INVALID"),
            (("lines", "1", "description"), "REQUIRED"),
            (("lines", "2", "sourceLineId"), "INVALID"),
            (("lines", "3", "productCode"), "NOT_FOUND")}
        with pytest.raises(ValidationFailed) as refused:
            invoice(s, world, line(world, "10000000000", "999999"))
        assert codes(refused) == {(("lines", "0", "quantity"), "INVALID")}
        # The same supplier invoice entered twice.
        with pytest.raises(ValidationFailed) as refused:
            invoice(s, world, partner="S1", direction="payable", external_number="A-1")
        assert codes(refused) == {(("externalNumber",), "DUPLICATE_CODE")}
        # Credit notes: only they correct an invoice, of the same partner, up to its total.
        with pytest.raises(ValidationFailed) as refused:
            invoice(s, world, credited_invoice_id=first_id)
        assert codes(refused) == {(("creditedInvoiceId",), "INVALID")}
        with pytest.raises(ValidationFailed) as refused:
            invoice(s, world, partner="CS", kind="credit_note", credited_invoice_id=first_id)
        assert codes(refused) == {(("creditedInvoiceId",), "INVALID")}
        with pytest.raises(ValidationFailed) as refused:
            invoice(s, world, kind="credit_note", credited_invoice_id=bought_id)
        assert codes(refused) == {(("creditedInvoiceId",), "INVALID")}
        invoice(s, world, line(world, 1, "60"), kind="credit_note",
                credited_invoice_id=first_id)  # 67.80 of 113.00
        with pytest.raises(ValidationFailed) as refused:
            invoice(s, world, line(world, 1, "40.01"), kind="credit_note",
                    credited_invoice_id=first_id)  # 45.21 more: 113.01 in all
        assert codes(refused) == {(("creditedInvoiceId",), "INVALID")}
        invoice(s, world, line(world, 1, "40"), kind="credit_note",
                credited_invoice_id=first_id)  # exactly the rest
        assert (count(s, Invoice), count(s, InvoiceLine)) == (before[0] + 2, before[1] + 2)


def test_payments_settle_several_invoices_partly_and_never_too_much(
        world: TradingWorld) -> None:
    events = spy_events(world)
    with world.uow() as s:
        first = invoice(s, world, line(world, 1, "1000"))     # 1130.00
        second = invoice(s, world, line(world, 2, "500"))     # 1130.00
        other = invoice(s, world, partner="C2")
        bought = invoice(s, world, partner="CS", direction="payable")
        sold_cs = invoice(s, world, partner="CS")
        paid = create_payment(s, partner_id=world.partners["C1"], direction="receivable",
                              amount=D("1500.00"), payment_date=date(2026, 3, 20),
                              reference="工行回单 0931",
                              allocations=[(first.id, D("1130.00")), (second.id, D("300"))])
        assert paid.number.startswith("SK-") and paid.amount_allocated == D("1430.00")
        assert (first.state, first.amount_settled) == ("settled", D("1130.00"))
        assert (second.state, second.amount_settled) == ("partly_settled", D("300.00"))
        ids = {"first": first.id, "second": second.id, "other": other.id,
               "bought": bought.id, "sold_cs": sold_cs.id, "paid": paid.id}
    assert [type(e) for e in events].count(PaymentPosted) == 1
    with world.uow() as s:
        before = (count(s, PaymentAllocation), s.get_one(Invoice, ids["second"]).amount_settled)
        attempts = [
            ([(ids["second"], D("830.01"))], {(("allocations", "0", "amount"),
                                              "OVER_ALLOCATED")}),
            ([(ids["second"], D("70.01"))], {(("allocations",), "OVER_ALLOCATED")}),
            ([(ids["other"], D("1"))], {(("allocations", "0", "invoiceId"), "INVALID")}),
            ([(ids["bought"], D("1"))], {(("allocations", "0", "invoiceId"), "INVALID")}),
            ([(ids["sold_cs"], D("1"))], {(("allocations", "0", "invoiceId"), "INVALID")}),
            ([(ids["second"], D("1")), (ids["second"], D("1"))],
             {(("allocations", "1", "invoiceId"), "INVALID")}),
            ([(ids["second"], D(0)), (987654, D(1))],
             {(("allocations", "0", "amount"), "INVALID"),
              (("allocations", "1", "invoiceId"), "NOT_FOUND")}),
            ([], {(("allocations",), "REQUIRED")}),
        ]
        for allocations, expected in attempts:
            with pytest.raises(ValidationFailed) as refused:
                allocate(s, ids["paid"], allocations)
            assert codes(refused) == expected, allocations
        with pytest.raises(ValidationFailed) as refused:
            allocate(s, 987654, [(ids["second"], D(1))])
        assert codes(refused) == {(("paymentId",), "NOT_FOUND")}
        with pytest.raises(ValidationFailed) as refused:
            create_payment(s, partner_id=world.partners["C1"], direction="receivable",
                           amount=D(100), allocations=[(ids["second"], D("100.01"))])
        assert codes(refused) == {(("allocations",), "OVER_ALLOCATED")}
        with pytest.raises(ValidationFailed) as refused:
            create_payment(s, partner_id=world.partners["S2"], direction="receivable",
                           amount=D("-5"), kind="gift", method="barter",
                           payment_date="2026-03-01")  # type: ignore[arg-type]
        assert codes(refused) == {(("partnerCode",), "INVALID"), (("amount",), "INVALID"),
                                  (("kind",), "INVALID"), (("method",), "INVALID"),
                                  (("paymentDate",), "INVALID")}
        assert (count(s, PaymentAllocation),
                s.get_one(Invoice, ids["second"]).amount_settled) == before
        # The rest of the payment settles the rest of the second invoice later.
        allocate(s, ids["paid"], [(ids["second"], D("70.00"))])
        second = s.get_one(Invoice, ids["second"])
        assert (second.state, second.amount_settled) == ("partly_settled", D("370.00"))
        payment = s.get_one(Payment, ids["paid"])
        assert payment.amount_allocated == payment.amount
        with pytest.raises(ValidationFailed) as refused:
            allocate(s, ids["paid"], [(ids["second"], D("0.01"))])
        assert codes(refused) == {(("allocations",), "OVER_ALLOCATED")}


def test_credit_notes_settle_invoices_and_refunds_settle_credit_notes(
        world: TradingWorld) -> None:
    with world.uow() as s:
        sale = invoice(s, world, line(world, 1, "1000"))                # 1130.00
        note = invoice(s, world, line(world, 1, "500"), kind="credit_note",
                       invoice_date=date(2026, 3, 10))                  # -565.00
        other_note = invoice(s, world, line(world, 1, "10"), kind="credit_note")
        allocated = allocate(s, None, [(sale.id, D("400.00"))], credit_note_id=note.id)
        assert [(a.invoice_id, a.credit_note_id, a.payment_id, a.amount, a.settled_on)
                for a in allocated] == [(sale.id, note.id, None, D("400.00"),
                                         date(2026, 3, 10))]
        s.refresh(sale)
        s.refresh(note)
        assert (sale.state, sale.amount_settled) == ("partly_settled", D("400.00"))
        assert (note.state, note.amount_settled) == ("partly_settled", D("-400.00"))
        with pytest.raises(ValidationFailed) as refused:  # only 165.00 left on the note
            allocate(s, None, [(sale.id, D("165.01"))], credit_note_id=note.id)
        assert codes(refused) == {(("allocations",), "OVER_ALLOCATED")}
        with pytest.raises(ValidationFailed) as refused:  # a note does not settle a note
            allocate(s, None, [(other_note.id, D(1))], credit_note_id=note.id)
        assert codes(refused) == {(("allocations", "0", "invoiceId"), "INVALID")}
        with pytest.raises(ValidationFailed) as refused:  # an invoice is not a credit note
            allocate(s, None, [(sale.id, D(1))], credit_note_id=sale.id)
        assert codes(refused) == {(("creditNoteId",), "NOT_FOUND")}
        with pytest.raises(ValidationFailed) as refused:  # a refund settles notes only
            create_payment(s, partner_id=world.partners["C1"], direction="receivable",
                           kind="refund", amount=D(10), allocations=[(sale.id, D(10))])
        assert codes(refused) == {(("allocations", "0", "invoiceId"), "INVALID")}
        refund = create_payment(s, partner_id=world.partners["C1"], direction="receivable",
                                kind="refund", amount=D("165.00"), method="wechat",
                                allocations=[(note.id, D("165.00"))])
        assert refund.number.startswith("TK-")
        s.refresh(note)
        assert (note.state, note.amount_settled) == ("settled", D("-565.00"))
        assert s.scalar(select(PaymentAllocation.amount)
                        .where(PaymentAllocation.payment_id == refund.id)) == D("-165.00")
        # Balances: 1130.00 − 565.00 − 11.30 invoiced, nothing paid, 165.00 refunded.
        c1 = world.partners["C1"]
        balance = partner_balances(s, [c1])[c1].receivable
        assert (balance.invoiced, balance.credited, balance.paid, balance.refunded) == (
            D("1130.00"), D("-576.30"), D("0.00"), D("165.00"))
        assert balance.balance == D("718.70") == balance.open - balance.unallocated
        assert open_receivables(s, [c1])[c1] == D("718.70")


def test_balances_add_up_for_both_sides_in_one_statement(world: TradingWorld) -> None:
    c1, cs, c2 = (world.partners[c] for c in ("C1", "CS", "C2"))
    with world.uow() as s:
        old = invoice(s, world, line(world, 1, "1000"), invoice_date=date(2026, 1, 1))
        invoice(s, world, line(world, 1, "100"), partner="CS")                 # 113.00
        invoice(s, world, line(world, 1, "300"), partner="CS", direction="payable")
        create_payment(s, partner_id=c1, direction="receivable", amount=D("2000"),
                       allocations=[(old.id, D("500"))])                        # 1500 ahead
        create_payment(s, partner_id=cs, direction="payable", amount=D("100"))
        create_payment(s, partner_id=cs, direction="receivable", amount=D(13),
                       kind="refund")
        s.flush()
        statements: list[str] = []
        engine = world.env.database.engine

        def record(*args: Any) -> None:
            statements.append(args[2])

        event.listen(engine, "before_cursor_execute", record)
        try:
            balances = partner_balances(s, as_of=date(2026, 3, 1))
            receivables = open_receivables(s, [c1, cs, c2])
        finally:
            event.remove(engine, "before_cursor_execute", record)
        assert len(statements) == 2
    assert set(balances) == {c1, cs}
    first = balances[c1].receivable
    assert (first.invoiced, first.paid, first.open, first.overdue, first.unallocated) == (
        D("1130.00"), D("2000.00"), D("630.00"), D("630.00"), D("1500.00"))
    assert first.balance == D("-870.00") == first.open - first.unallocated
    both = balances[cs]
    assert (both.receivable.balance, both.payable.balance) == (D("126.00"), D("239.00"))
    assert both.receivable.unallocated == D("-13.00")
    assert both.net == D("-113.00")
    assert receivables == {c1: D("-870.00"), cs: D("126.00"), c2: D("0.00")}
