"""Sales orders and quotations through the services: pricing and refusals, confirmation
reserving earliest expiry first with backorders, cancelling releasing exactly what was
reserved, changing and copying orders, quotations that expire."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from stock_support import D
from test_sales_support import SalesWorld, sales

from openjxc.addons.base_jxc.policies.services import set_policy
from openjxc.addons.base_jxc.sales import orders, services
from openjxc.addons.base_jxc.sales.models import (
    Quotation,
    SalesOrder,
    SalesOrderLine,
    SalesReservation,
)
from openjxc.addons.base_jxc.stock.posting import business_today

__all__ = ["sales"]


def test_lines_are_priced_from_the_product_unless_given_and_checked(
        sales: SalesWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    order_id = sales.order(("PLAIN", 3), ("SER", 1, "2999.99"), ("BAT", "2.5", None, "0.09"))
    order = sales.order_row(order_id)
    lines = sales.line_rows(order_id)
    assert [(line.unit_price, line.tax_rate, line.amount, line.tax, line.total)
            for line in lines] == [
        (D("100"), D("0.13"), D("300.00"), D("39.00"), D("339.00")),
        (D("2999.99"), D("0.13"), D("2999.99"), D("390.00"), D("3389.99")),
        (D("80"), D("0.09"), D("200.00"), D("18.00"), D("218.00"))]
    assert (order.amount_untaxed, order.amount_tax, order.amount_total) == (
        D("3499.99"), D("447.00"), D("3946.99"))
    assert order.state == "draft" and order.number.startswith("XS-")
    assert lines[0].description == "产品 PLAIN"
    # Bad input: every problem at once, at its field; nothing is created.
    world = sales.world
    errors = sales.refused(
        services.create_sales_order, customer_id=world.partners["S1"],
        warehouse_id=world.warehouses["WH1"],
        lines=[services.SalesLineInput(product_id=world.products["PLAIN"], quantity=D(0)),
               services.SalesLineInput(product_id=999_999, quantity=D(1)),
               services.SalesLineInput(product_id=world.products["SER"], quantity=D(1),
                                       unit_price=D("-1")),
               services.SalesLineInput(product_id=world.products["BAT"], quantity=D(1),
                                       tax_rate=D("1.5"))],
        promised_date=date(2000, 1, 1))
    assert set(errors) == {("INVALID", ("customer",)), ("INVALID", ("promisedDate",)),
                           ("INVALID_QUANTITY", ("lines", "0", "quantity")),
                           ("NOT_FOUND", ("lines", "1", "product")),
                           ("INVALID", ("lines", "2", "unitPrice")),
                           ("INVALID", ("lines", "3", "taxRate"))}
    assert sales.refused(services.create_sales_order, customer_id=world.partners["C1"],
                         warehouse_id=world.warehouses["WH1"],
                         lines=sales.lines(("PLAIN", 10**9, "10000000"))) == [
        ("INVALID", ("lines", "0", "quantity"))]  # more than an amount column can hold
    assert sales.refused(services.create_sales_order, customer_id=world.partners["C1"],
                         warehouse_id=None, lines=[]) == [
        ("REQUIRED", ("warehouse",)), ("REQUIRED", ("lines",))]
    with sales.uow() as session:
        assert session.scalar(select(func.count()).select_from(SalesOrder)) == 1
        assert session.scalar(select(func.count()).select_from(SalesOrderLine)) == 3
    # Two orders numbered at the same moment: the second takes the next number.
    taken = iter([order.number])
    real = orders.next_document_number
    monkeypatch.setattr(orders, "next_document_number",
                        lambda s, column, prefix: next(taken, None) or real(s, column, prefix))
    second = sales.order_row(sales.order(("PLAIN", 1)))
    assert second.number == order.number[:-4] + "0002"


def test_confirming_reserves_fefo_and_leaves_backorders(sales: SalesWorld) -> None:
    batch = {n: sales.world.batch_id("BAT", n) for n in ("B-OLD", "B-NEW", "B-DEAD")}
    first = sales.order(("PLAIN", 60), ("BAT", 25), ("PLAIN2", 3))
    assert sales.confirm(first) == "confirmed"
    # Earliest expiry first, the expired batch never; bins hold stock like the main one.
    assert sales.reservations(first) == sorted([
        ("WH1/STOCK", 0, D(60)), ("WH1/STOCK", batch["B-OLD"], D(20)),
        ("WH1/STOCK", batch["B-NEW"], D(5)), ("WH1/A-01", 0, D(3))])
    assert sales.reserved("WH1/STOCK", "BAT", batch["B-OLD"]) == 20
    second = sales.order(("PLAIN", 50), ("BAT", 30))
    assert sales.confirm(second) == "confirmed"
    # Only what the first order left: 40 PLAIN, 15 of B-NEW; the rest is a backorder.
    lines = sales.line_rows(second)
    assert [(line.reserved_quantity, line.quantity - line.reserved_quantity)
            for line in lines] == [(D(40), D(10)), (D(15), D(15))]
    assert sales.reserved("WH1/STOCK", "PLAIN") == 100
    # Cancelling gives back exactly what the first order held.
    sales.call(services.cancel_sales_order, first, reason="客户取消")
    assert sales.reserved("WH1/STOCK", "PLAIN") == 40
    assert sales.reserved("WH1/STOCK", "BAT", batch["B-OLD"]) == 0
    assert sales.reserved("WH1/STOCK", "BAT", batch["B-NEW"]) == 15
    assert sales.reserved("WH1/A-01", "PLAIN2") == 0
    assert sales.reservations(first) == []
    cancelled = sales.order_row(first)
    assert (cancelled.state, cancelled.cancel_reason) == ("cancelled", "客户取消")
    # The freed stock goes to the backorders when asked.
    sales.call(services.reserve_sales_order, second)
    assert [line.reserved_quantity for line in sales.line_rows(second)] == [D(50), D(30)]
    assert sales.reservations(second) == sorted([
        ("WH1/STOCK", 0, D(50)), ("WH1/STOCK", batch["B-NEW"], D(15)),
        ("WH1/STOCK", batch["B-OLD"], D(15))])
    # A cancelled order stays cancelled; a draft cannot reserve.
    assert sales.refused(services.cancel_sales_order, first) == [("INVALID_STATE", ("id",))]
    draft = sales.order(("PLAIN", 1))
    assert sales.refused(services.reserve_sales_order, draft) == [("INVALID_STATE", ("id",))]
    assert sales.refused(services.confirm_sales_order, second) == [("INVALID_STATE", ("id",))]
    assert sales.refused(services.confirm_sales_order, 999_999) == [("NOT_FOUND", ("id",))]


def test_changing_lines_takes_the_order_back_to_a_draft(sales: SalesWorld) -> None:
    order_id = sales.order(("PLAIN", 10))
    sales.confirm(order_id)
    assert sales.reserved("WH1/STOCK", "PLAIN") == 10
    sales.call(services.update_sales_order, order_id, note="改单",
               customer_reference="HT-2026-01")
    assert sales.order_row(order_id).state == "confirmed"  # header changes keep the state
    sales.call(services.update_sales_order, order_id, lines=sales.lines(("PLAIN", 12, "95")))
    order = sales.order_row(order_id)
    assert (order.state, order.amount_total, order.approved_total, order.note) == (
        "draft", D("1288.20"), None, "改单")
    assert sales.reserved("WH1/STOCK", "PLAIN") == 0
    with sales.uow() as session:
        assert session.scalar(select(func.count()).select_from(SalesReservation)) == 0
    sales.confirm(order_id)
    sales.call(services.deliver_sales_order, order_id,
               lines=[services.DeliveryLineInput(sales.line_ids(order_id)[0], D(2))])
    assert sales.refused(services.update_sales_order, order_id,
                         lines=sales.lines(("PLAIN", 1))) == [("INVALID_STATE", ("lines",))]
    copy_id = sales.call(services.copy_sales_order, order_id).id
    copy = sales.order_row(copy_id)
    assert (copy.state, copy.amount_total, copy.customer_reference) == (
        "draft", D("1288.20"), "HT-2026-01")
    assert [(line.quantity, line.unit_price) for line in sales.line_rows(copy_id)] == [
        (D(12), D(95))]


def test_quotations_expire_and_convert(sales: SalesWorld) -> None:
    world = sales.world
    with sales.uow() as session:
        set_policy(session, "sales.quotation_valid_days", "10", user_id=1)
        quotation = services.create_quotation(
            session, customer_id=world.partners["C1"], warehouse_id=world.warehouses["WH1"],
            lines=sales.lines(("SER", 2, "2900")), note="含运费")
        today = business_today(session)
        assert quotation.valid_until == today + timedelta(days=10)
        assert quotation.amount_total == D("6554.00")
        quotation_id = quotation.id
        old = services.create_quotation(session, customer_id=world.partners["C1"],
                                        lines=sales.lines(("PLAIN", 1)),
                                        quote_date=today - timedelta(days=40),
                                        valid_until=today - timedelta(days=1))
        old_id = old.id
    sales.call(services.send_quotation, quotation_id)
    # Expired: shown as such and refused, while the stored state stays "draft".
    assert sales.refused(services.convert_quotation, old_id,
                         warehouse_id=world.warehouses["WH1"]) == [
        ("QUOTATION_EXPIRED", ("id",))]
    with sales.uow() as session:
        from openjxc.addons.base_jxc.sales.quotations import quotation_state
        row = session.get(Quotation, old_id)
        assert row is not None and quotation_state(row, business_today(session)) == "expired"
    order = sales.call(services.convert_quotation, quotation_id)
    assert order.quotation_id == quotation_id and order.state == "draft"
    lines = sales.line_rows(order.id)
    assert [(line.quantity, line.unit_price, line.total) for line in lines] == [
        (D(2), D(2900), D("6554.00"))]
    with sales.uow() as session:
        accepted = session.get(Quotation, quotation_id)
        assert accepted is not None
        assert (accepted.state, accepted.sales_order_id) == ("accepted", order.id)
    assert sales.refused(services.convert_quotation, quotation_id) == [
        ("INVALID_STATE", ("id",))]
    assert sales.refused(services.reject_quotation, quotation_id) == [
        ("INVALID_STATE", ("id",))]
    # A quotation without a warehouse needs one to become an order.
    bare = sales.call(services.create_quotation, customer_id=world.partners["C2"],
                      lines=sales.lines(("PLAIN", 1))).id
    assert sales.refused(services.convert_quotation, bare) == [("REQUIRED", ("warehouse",))]
    assert sales.call(services.reject_quotation, bare).state == "rejected"
    assert sales.refused(services.create_quotation, customer_id=world.partners["C1"],
                         lines=sales.lines(("PLAIN", 1)), quote_date=date(2026, 1, 10),
                         valid_until=date(2026, 1, 9)) == [("INVALID", ("validUntil",))]
