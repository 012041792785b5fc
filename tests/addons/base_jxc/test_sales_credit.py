"""Credit control: exposure = open receivables + the undelivered part of open orders + this
order, against limit × (1 + tolerance); over it an order waits for an audited approval,
and no way around the check works — not copying, not changing the lines, not closing and
reopening, not delivering directly."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from stock_support import D
from test_sales_support import SalesWorld, sales, session_order

from openjxc.addons.base_jxc.invoicing.models import Invoice
from openjxc.addons.base_jxc.invoicing.services import (
    InvoiceLineInput,
    create_invoice,
    create_payment,
)
from openjxc.addons.base_jxc.policies.services import set_policy
from openjxc.addons.base_jxc.sales import confirmation, services
from openjxc.addons.base_jxc.sales.credit import check_credit
from openjxc.addons.base_jxc.sales.events import CreditLimitOverridden, SalesOrderConfirmed
from openjxc.addons.base_jxc.sales.models import SalesCreditApproval
from openjxc.addons.base_jxc.sales.orders import order_lines

__all__ = ["sales"]


def owe(sales: SalesWorld, customer: str, untaxed: str) -> None:
    """An open receivable invoice of ``untaxed`` + 13 % VAT."""
    with sales.uow() as session:
        create_invoice(session, partner_id=sales.world.partners[customer],
                       direction="receivable",
                       lines=[InvoiceLineInput(product_id=None, description="前期货款",
                                               quantity=D(1), unit_price=D(untaxed),
                                               tax_rate=D("0.13"))])


def check(sales: SalesWorld, order_id: int) -> Any:
    with sales.uow() as session:
        order = session_order(session, order_id)
        return check_credit(session, order, order_lines(session, order_id))


def set_tolerance(sales: SalesWorld, policy: str | None) -> None:
    with sales.uow() as session:
        set_policy(session, "sales.credit_tolerance", policy, user_id=1)


def test_exposure_and_tolerance(sales: SalesWorld) -> None:
    owe(sales, "C1", "44247.79")  # 50,000.00 with tax
    first = sales.order(("PLAIN", 100, "100"))  # 11,300.00
    assert sales.confirm(first) == "confirmed"
    second = sales.order(("SER", 5, "5000"))  # 28,250.00
    assert sales.confirm(second) == "confirmed"
    third = sales.order(("PLAIN2", 10, "1000"))  # 11,300.00
    figures = check(sales, third)
    assert (figures.open_receivables, figures.open_orders, figures.order_amount) == (
        D("50000.00"), D("39550.00"), D("11300.00"))
    assert figures.exposure == D("100850.00") and not figures.allowed
    set_tolerance(sales, "0.01")  # the policy: 100,000 × 1.01 = 101,000
    assert check(sales, third).allowed
    sales.set_credit("C1", "100000", tolerance="0")  # the customer's own tolerance wins
    assert not check(sales, third).allowed
    sales.set_credit("C1", "100000", tolerance="0.009")  # ceiling 100,900
    assert check(sales, third).allowed
    sales.set_credit("C1", "100000")
    set_tolerance(sales, None)
    # Delivering does not lower the exposure (the goods are owed for until invoiced);
    # invoicing turns that part of the order into a receivable.
    sales.call(services.deliver_sales_order, first, lines=[
        services.DeliveryLineInput(sales.line_ids(first)[0], D(40))])
    assert check(sales, third).open_orders == D("39550.00")
    sales.call(services.invoice_sales_order, first)
    assert check(sales, third).open_orders == D("35030.00")  # 60 × 113 + 28,250
    assert check(sales, third).open_receivables == D("54520.00")
    # A receipt not yet allocated counts against the receivables.
    with sales.uow() as session:
        create_payment(session, partner_id=sales.world.partners["C1"],
                       direction="receivable", amount=D("4520.00"))
    assert check(sales, third).exposure == D("96330.00")  # 50,000 + 35,030 + 11,300
    # A customer without a limit is never held.
    big = sales.order(("BAT", 40, "100000"), customer="C2")
    assert sales.confirm(big) == "confirmed"


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    events: list[Any] = []
    real = confirmation.publish

    def spy(session: Any, event: Any) -> None:
        events.append(event)
        real(session, event)

    monkeypatch.setattr(confirmation, "publish", spy)
    return events


def test_approvals_are_audited_and_the_check_cannot_be_bypassed(
        sales: SalesWorld, published: list[Any]) -> None:
    owe(sales, "C1", "44247.79")
    for specs in ((("PLAIN", 100, "100"),), (("SER", 5, "5000"),)):
        assert sales.confirm(sales.order(*specs)) == "confirmed"
    held = sales.order(("PLAIN2", 10, "1000"))
    published.clear()
    assert sales.confirm(held) == "awaiting_approval"
    assert published == [] and sales.reservations(held) == []
    # Not deliverable, not approvable by a refusal of the wrong kind.
    assert sales.refused(services.deliver_sales_order, held) == [
        ("APPROVAL_REQUIRED", ("id",))]
    assert sales.refused(services.confirm_sales_order, held) == [
        ("APPROVAL_REQUIRED", ("id",))]
    draft = sales.order(("PLAIN", 1))
    assert sales.refused(services.deliver_sales_order, draft) == [
        ("APPROVAL_REQUIRED", ("id",))]
    assert sales.refused(services.approve_sales_order, draft, user_id=7) == [
        ("INVALID_STATE", ("id",))]
    # The approval: recorded with the figures of the moment, published, then confirmed.
    sales.call(services.approve_sales_order, held, user_id=7, reason="老客户, 月底回款")
    order = sales.order_row(held)
    assert (order.state, order.approved_total, order.confirmed_by_id) == (
        "confirmed", D("11300.00"), 7)
    assert sales.reservations(held) == [("WH1/A-01", 0, D(10))]
    with sales.uow() as session:
        audit = [(a.user_id, a.order_total, a.exposure, a.credit_limit, a.reason)
                 for a in session.scalars(select(SalesCreditApproval))]
    assert audit == [(7, D("11300.00"), D("100850.00"), D("100000.00"), "老客户, 月底回款")]
    assert published == [
        CreditLimitOverridden(order_id=held, user_id=7, exposure=D("100850.00"),
                              credit_limit=D("100000.00")),
        SalesOrderConfirmed(order_id=held, number=order.number,
                            customer_id=sales.world.partners["C1"])]
    assert sales.refused(services.approve_sales_order, held, user_id=7) == [
        ("ALREADY_APPROVED", ("id",))]
    # A copy carries no approval: checked like a new order.
    copy = sales.call(services.copy_sales_order, held).id
    assert sales.order_row(copy).approved_total is None
    assert sales.confirm(copy) == "awaiting_approval"
    sales.call(services.cancel_sales_order, copy)
    # Changing the lines (even to the same) drops the approval and the reservation.
    sales.call(services.update_sales_order, held, lines=sales.lines(("PLAIN2", 10, "1000")))
    assert sales.order_row(held).approved_total is None
    assert sales.reserved("WH1/A-01", "PLAIN2") == 0
    assert sales.confirm(held) == "awaiting_approval"
    sales.call(services.approve_sales_order, held, user_id=8)
    # Closing and reopening: checked again (more is owed by now).
    sales.call(services.deliver_sales_order, held, lines=[
        services.DeliveryLineInput(sales.line_ids(held)[0], D(4))])
    assert sales.call(services.close_sales_order, held).state == "closed"
    assert sales.reserved("WH1/A-01", "PLAIN2") == 0
    owe(sales, "C1", "4424.78")  # 5,000.00
    reopened, figures = sales.call(services.reopen_sales_order, held)
    assert reopened.state == "awaiting_approval" and reopened.approved_total is None
    assert figures.order_amount == D("11300.00")  # 4 delivered unbilled + 6 to deliver
    assert sales.refused(services.deliver_sales_order, held) == [
        ("APPROVAL_REQUIRED", ("id",))]
    # Money came in: the approval finds room and overrides nothing.
    with sales.uow() as session:
        create_payment(session, partner_id=sales.world.partners["C1"],
                       direction="receivable", amount=D("20000.00"))
    assert sales.call(services.approve_sales_order, held, user_id=7).state == "partly_delivered"
    with sales.uow() as session:
        assert len(list(session.scalars(select(SalesCreditApproval)))) == 2
    assert sales.reservations(held) == [("WH1/A-01", 0, D(6))]


def test_delivered_goods_count_until_invoiced(sales: SalesWorld) -> None:
    """Delivering or closing an order does not free credit: what was delivered and not yet
    billed is still owed (a customer cannot take goods on an unbilled order and order
    again); only invoicing turns it into a receivable, and paying frees it."""
    sales.set_credit("C1", "20000")
    first = sales.order(("PLAIN", 100, "100"))  # 11,300.00 with tax
    assert sales.confirm(first) == "confirmed"
    sales.call(services.deliver_sales_order, first, lines=[
        services.DeliveryLineInput(sales.line_ids(first)[0], D(100))])
    assert sales.order_row(first).state == "delivered"
    second = sales.order(("PLAIN2", 10, "1000"))  # 11,300.00: 22,600 > 20,000
    assert check(sales, second).open_orders == D("11300.00")
    assert not check(sales, second).allowed
    partly = sales.order(("BAT", 30, "100"))  # 3,390.00
    assert sales.confirm(partly) == "confirmed"
    sales.call(services.deliver_sales_order, partly, lines=[
        services.DeliveryLineInput(sales.line_ids(partly)[0], D(20))])
    sales.call(services.close_sales_order, partly)  # the other 30 will never come
    assert check(sales, second).open_orders == D("13560.00")  # 11,300 + 20 × 113
    sales.call(services.invoice_sales_order, first)
    figures = check(sales, second)
    assert (figures.open_receivables, figures.open_orders) == (D("11300.00"), D("2260.00"))
    with sales.uow() as session:  # paid: the credit is free again
        invoice_id = session.scalar(select(Invoice.id).where(Invoice.origin_id == first))
        create_payment(session, partner_id=sales.world.partners["C1"],
                       direction="receivable", amount=D("11300.00"),
                       allocations=[(invoice_id, D("11300.00"))])
    assert check(sales, second).exposure == D("13560.00")  # 2,260 + 11,300
    assert check(sales, second).allowed
