"""Closing a return with the customer: a credit note (红字发票) for what had been invoiced,
or a refund; balances stay exact."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from test_returns_support import ReturnWorld, Sold, fresh_world

from openjxc.addons.base_jxc.invoicing.models import Invoice, InvoiceLine, Payment
from openjxc.addons.base_jxc.invoicing.services import (
    InvoiceLineInput,
    create_invoice,
    create_payment,
    partner_balances,
)
from openjxc.addons.base_jxc.returns import closing
from openjxc.addons.base_jxc.returns.closing import close_return
from openjxc.addons.base_jxc.returns.events import ReturnClosed
from openjxc.addons.base_jxc.returns.inspection import InspectionLineInput, inspect_return
from openjxc.addons.base_jxc.returns.receiving import receive_return
from openjxc.addons.base_jxc.returns.services import ReturnLineInput, create_return
from openjxc.testing.concurrency import waiting_on_a_lock
from openjxc.testing.fixtures import DatabaseFactory

D = Decimal


@pytest.fixture
def world(databases: DatabaseFactory) -> Iterator[ReturnWorld]:
    world = fresh_world(databases)
    yield world
    world.env.database.dispose()


def _invoice(world: ReturnWorld, customer: str, *lines: tuple[int, object, object]) -> int:
    """An invoice billing ``(order line, quantity, price)`` lines."""
    return int(world.run(lambda s: create_invoice(
        s, partner_id=world.partners[customer], direction="receivable", lines=[
            InvoiceLineInput(product_id=None, description="货款", quantity=D(str(q)),
                             unit_price=D(str(p)), tax_rate=D("0.13"),
                             source_type="SalesOrderLine", source_id=line)
            for line, q, p in lines]).id))


def _inspected(world: ReturnWorld, customer: str, *lines: ReturnLineInput) -> int:
    """A return received and restocked in full."""
    def run(s: Any) -> int:
        request = create_return(s, customer_id=world.partners[customer], lines=list(lines))
        receive_return(s, request.id)
        own = world.lines_in(s, request.id)
        inspect_return(s, request.id, lines=[
            InspectionLineInput(line_id=line.id, restock=line.quantity) for line in own])
        return request.id

    return int(world.run(run))


def _balance(world: ReturnWorld, customer: str) -> Decimal:
    with world.uow(readonly=True) as s:
        partner = world.partners[customer]
        return partner_balances(s, [partner])[partner].receivable.balance


def _invoice_row(world: ReturnWorld, invoice_id: int | None) -> Invoice:
    with world.uow(readonly=True) as s:
        invoice = s.get(Invoice, invoice_id)
        assert invoice is not None
        s.expunge(invoice)
        return invoice


def test_a_credit_note_credits_what_was_invoiced_and_settles_the_invoice(
        world: ReturnWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    original = closing.publish

    def record(session: Any, event: Any) -> None:
        seen.append(event)
        original(session, event)

    monkeypatch.setattr(closing, "publish", record)
    _order, (plain,) = world.deliver("C1", [Sold("PLAIN", 4, "100")])
    invoice = _invoice(world, "C1", (plain, 4, 100))
    assert _balance(world, "C1") == D("452.00")
    request = _inspected(world, "C1", world.plain(2, plain))
    assert world.refusal(lambda s: close_return(s, request, settlement="credit_note",
                                                refund_amount=D(1))) == [
        ("INVALID", ("refundAmount",))]
    world.run(lambda s: close_return(s, request, settlement="credit_note", user_id=4))
    closed = world.request(request)
    assert (closed.state, closed.closed_with, closed.amount, closed.closed_by_id) == (
        "closed", "credit_note", D("226.00"), 4)
    credit = _invoice_row(world, closed.credit_note_id)
    assert (credit.kind, credit.number[:4], credit.amount_total, credit.credited_invoice_id,
            credit.origin_type, credit.origin_id) == (
        "credit_note", "HZFP", D("-226.00"), invoice, "sales.return", request)
    with world.uow(readonly=True) as s:
        lines = s.execute(select(InvoiceLine.quantity, InvoiceLine.unit_price,
                                 InvoiceLine.source_type, InvoiceLine.source_id)
                          .where(InvoiceLine.invoice_id == credit.id)).all()
    assert [tuple(r) for r in lines] == [(D(-2), D(100), "ReturnLine",
                                          world.lines(request)[0].id)]
    # It settled half the unpaid invoice; the customer owes for the two units kept.
    assert (credit.amount_settled, _invoice_row(world, invoice).amount_settled) == (
        D("-226.00"), D("226.00"))
    assert _balance(world, "C1") == D("226.00")
    assert [(e.code, e.closed_with, e.amount) for e in seen if isinstance(e, ReturnClosed)
            ] == [(closed.code, "credit_note", D("226.00"))]
    assert world.refusal(lambda s: close_return(s, request, settlement="credit_note")) == [
        ("INVALID_STATE", ("id",))]


def test_a_refund_pays_back_what_was_paid(world: ReturnWorld) -> None:
    _order, (plain, motor) = world.deliver("C1", [
        Sold("PLAIN", 2, "100"), Sold("SER", 1, "3000", serials=["SN001"])])
    invoice = _invoice(world, "C1", (plain, 2, 100), (motor, 1, 3000))
    world.run(lambda s: create_payment(s, partner_id=world.partners["C1"],
                                       direction="receivable", amount=D("3616.00"),
                                       allocations=[(invoice, D("3616.00"))]))
    request = _inspected(world, "C1", world.plain(1, plain), ReturnLineInput(
        product_id=world.products["SER"], quantity=D(1), serials=["SN001"]))
    # Refund at most what was paid for the returned goods, by a known method.
    assert world.refusal(lambda s: close_return(s, request, settlement="refund",
                                                refund_amount=D("3503.01"))) == [
        ("OVER_REFUND", ("refundAmount",))]
    assert world.refusal(lambda s: close_return(s, request, settlement="refund",
                                                method="barter")) == [("INVALID", ("method",))]
    assert world.refusal(lambda s: close_return(s, request, settlement="gift")) == [
        ("INVALID", ("settlement",))]
    world.run(lambda s: close_return(s, request, settlement="refund", method="wechat"))
    closed = world.request(request)
    assert (closed.closed_with, closed.amount) == ("refund", D("3503.00"))
    with world.uow(readonly=True) as s:
        refund = s.get(Payment, closed.refund_payment_id)
        assert refund is not None
        assert (refund.kind, refund.number[:2], refund.amount, refund.amount_allocated,
                refund.method, refund.reference) == (
            "refund", "TK", D("3503.00"), D("3503.00"), "wechat", closed.code)
    credit = _invoice_row(world, closed.credit_note_id)
    assert (credit.amount_total, credit.amount_settled, credit.state) == (
        D("-3503.00"), D("-3503.00"), "settled")
    assert _balance(world, "C1") == D(0)


def test_goods_not_yet_invoiced_need_no_credit_note(world: ReturnWorld) -> None:
    _order, (plain,) = world.deliver("C1", [Sold("PLAIN", 4, "100")])
    # Invoiced 2 of 4; 3 come back: only one of them had been billed.
    _invoice(world, "C1", (plain, 2, 100))
    request = _inspected(world, "C1", world.plain(3, plain))
    world.run(lambda s: close_return(s, request, settlement="credit_note"))
    credit = _invoice_row(world, world.request(request).credit_note_id)
    assert credit.amount_total == D("-113.00")
    assert _balance(world, "C1") == D("113.00")  # the one unit kept, billed once
    # Nothing of it invoiced: the return closes without a credit note.
    _order, (second,) = world.deliver("C2", [Sold("PLAIN", 2, "100")])
    plain_c2 = _inspected(world, "C2", world.plain(1, second))
    world.run(lambda s: close_return(s, plain_c2, settlement="credit_note"))
    closed = world.request(plain_c2)
    assert (closed.state, closed.credit_note_id, closed.amount) == ("closed", None, D(0))
    assert world.order_line(second).returned_quantity == 1


def test_a_refund_of_goods_paid_for_but_never_invoiced(world: ReturnWorld) -> None:
    _order, (plain,) = world.deliver("C2", [Sold("PLAIN", 2, "100")])
    world.run(lambda s: create_payment(s, partner_id=world.partners["C2"],
                                       direction="receivable", amount=D("226.00"),
                                       method="cash"))
    request = _inspected(world, "C2", world.plain(1, plain))
    assert world.refusal(lambda s: close_return(s, request, settlement="refund",
                                                refund_amount=D("113.01"))) == [
        ("OVER_REFUND", ("refundAmount",))]
    world.run(lambda s: close_return(s, request, settlement="refund", method="cash"))
    closed = world.request(request)
    assert (closed.credit_note_id, closed.amount) == (None, D("113.00"))
    assert _balance(world, "C2") == D("-113.00")  # paid for the unit kept, not billed yet


def test_closing_needs_an_inspected_return_and_credits_are_checked(
        world: ReturnWorld) -> None:
    _order, (plain,) = world.deliver("C1", [Sold("PLAIN", 2, "100")])
    requested = int(world.run(lambda s: create_return(
        s, customer_id=world.partners["C1"], lines=[world.plain(1, plain)]).id))
    assert world.refusal(lambda s: close_return(s, requested, settlement="refund")) == [
        ("INVALID_STATE", ("id",))]
    world.run(lambda s: receive_return(s, requested))
    assert world.refusal(lambda s: close_return(s, requested, settlement="credit_note")) == [
        ("INVALID_STATE", ("id",))]
    line = world.lines(requested)[0].id

    def credit(customer: str, quantity: int, kind: str = "credit_note") -> Any:
        return lambda s: create_invoice(
            s, partner_id=world.partners[customer], direction="receivable", kind=kind,
            lines=[InvoiceLineInput(product_id=None, description="退货", quantity=D(quantity),
                                    unit_price=D(100), tax_rate=D("0.13"),
                                    source_type="ReturnLine", source_id=line)])

    # Whoever credits a return line: never more than came back, only to its customer.
    assert world.refusal(credit("C1", 2)) == [
        ("OVER_INVOICED", ("lines", "0", "sourceLineId"))]
    assert world.refusal(credit("C2", 1)) == [("INVALID", ("lines", "0", "sourceLineId"))]
    assert world.refusal(credit("C1", 1, kind="invoice")) == [
        ("INVALID", ("lines", "0", "sourceLineId"))]
    world.run(credit("C1", 1))
    assert world.refusal(credit("C1", 1)) == [
        ("OVER_INVOICED", ("lines", "0", "sourceLineId"))]


def test_two_returns_of_one_order_line_closing_at_once_credit_it_once(
        world: ReturnWorld) -> None:
    # 5 delivered, 3 billed and paid; 4 come back on two returns: 2 units to credit.
    _order, (plain,) = world.deliver("C1", [Sold("PLAIN", 5, "100")])
    invoice = _invoice(world, "C1", (plain, 3, 100))
    world.run(lambda s: create_payment(s, partner_id=world.partners["C1"],
                                       direction="receivable", amount=D("339.00"),
                                       allocations=[(invoice, D("339.00"))]))
    first = _inspected(world, "C1", world.plain(2, plain))
    second = _inspected(world, "C1", world.plain(2, plain))
    outcome: list[Any] = []

    def late_clerk() -> None:
        try:
            with world.uow() as s:
                close_return(s, second, settlement="credit_note")
            outcome.append("ok")
        except Exception as exc:  # reported, never swallowed
            outcome.append(repr(exc))

    with world.uow() as s:
        close_return(s, first, settlement="credit_note")
        thread = threading.Thread(target=late_clerk)
        thread.start()
        assert waiting_on_a_lock(world.env.database.engine), \
            "the second close should wait for the first"
    thread.join(timeout=60)
    assert not thread.is_alive()
    assert outcome == ["ok"], outcome
    # The second saw what the first credited: nothing was left to credit.
    assert (world.request(first).amount, world.request(second).amount) == (
        D("226.00"), D(0))
    assert world.request(second).credit_note_id is None
    assert _balance(world, "C1") == D("-226.00")
