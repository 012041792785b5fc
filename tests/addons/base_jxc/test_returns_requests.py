"""Asking for a return: a unique return code, and what a customer may not send back."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from test_returns_support import ReturnWorld, Sold, fresh_world

from openjxc.addons.base_jxc.returns.models import ReturnLine, ReturnLineSerial, ReturnRequest
from openjxc.addons.base_jxc.returns.services import (
    ReturnLineInput,
    cancel_return,
    create_return,
)
from openjxc.testing.fixtures import DatabaseFactory

D = Decimal


@pytest.fixture
def world(databases: DatabaseFactory) -> Iterator[ReturnWorld]:
    world = fresh_world(databases)
    yield world
    world.env.database.dispose()


def _counts(world: ReturnWorld) -> tuple[int, int, int]:
    with world.uow(readonly=True) as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) or 0  # type: ignore[return-value]
                     for m in (ReturnRequest, ReturnLine, ReturnLineSerial))


def test_a_request_gets_its_code_prices_and_order_lines(world: ReturnWorld) -> None:
    order, (plain, motor) = world.deliver("C1", [Sold("PLAIN", 4, "100"),
                                                 Sold("SER", 2, "3000",
                                                      serials=["SN001", "SN002"])])
    first = world.run(lambda s: create_return(s, customer_id=world.partners["C1"], lines=[
        ReturnLineInput(product_id=world.products["PLAIN"], quantity=D(2),
                        sales_order_line_id=plain, reason="包装破损"),
        ReturnLineInput(product_id=world.products["SER"], quantity=D(1), serials=["SN002"])],
        reason="客户退货", user_id=7).id)
    request = world.request(first)
    assert request.code.startswith("TH-") and request.code.endswith("-0001")
    assert (request.state, request.warehouse_id, request.created_by_id) == (
        "requested", world.warehouses["WH1"], 7)
    lines = world.lines(first)
    # The serial unit tells the order line it was sold on; prices come from the order.
    assert [(line.sales_order_line_id, line.quantity, line.unit_price, line.tax_rate)
            for line in lines] == [(plain, 2, D(100), D("0.13")), (motor, 1, D(3000),
                                                                    D("0.13"))]
    second = world.run(lambda s: create_return(
        s, customer_id=world.partners["C1"], sales_order_id=order,
        lines=[ReturnLineInput(product_id=world.products["PLAIN"], quantity=D(1))]).id)
    assert world.request(second).code.endswith("-0002")
    assert world.lines(second)[0].sales_order_line_id == plain  # found on the order
    # Goods sold before the system: a price is agreed, the tax rate is the product's.
    third = world.run(lambda s: create_return(
        s, customer_id=world.partners["C2"], warehouse_id=world.warehouses["WH2"],
        lines=[ReturnLineInput(product_id=world.products["PLAIN2"], quantity=D(3),
                               unit_price=D("240"))]).id)
    line = world.lines(third)[0]
    assert (line.sales_order_line_id, line.unit_price, line.tax_rate) == (None, 240, D("0.13"))
    assert world.request(third).warehouse_id == world.warehouses["WH2"]


def test_serials_must_have_been_delivered_to_this_customer(world: ReturnWorld) -> None:
    world.deliver("C1", [Sold("SER", 1, "3000", serials=["SN001"])])
    world.deliver("C2", [Sold("SER", 1, "3000", serials=["SN002"])])
    # SN003 went to the customer location without a sale (a manual issue).
    world.post(world.line("SER", 1, "WH1/STOCK", "customer", serials=["SN003"]))
    before = _counts(world)

    def ask(*serials: str, customer: str = "C1") -> list[tuple[str, tuple[str, ...]]]:
        return world.refusal(lambda s: create_return(
            s, customer_id=world.partners[customer], lines=[ReturnLineInput(
                product_id=world.products["SER"], quantity=D(len(serials)),
                serials=list(serials))]))

    assert ask("SN002") == [("SERIAL_NOT_DELIVERED", ("lines", "0", "serials"))]
    assert ask("SN003") == [("SERIAL_NOT_DELIVERED", ("lines", "0", "serials"))]
    assert ask("NOPE") == [("NOT_FOUND", ("lines", "0", "serials"))]
    assert ask("SN001", "SN001") == [("SERIAL_DUPLICATED", ("lines", "0", "serials"))]
    assert world.refusal(lambda s: create_return(s, customer_id=world.partners["C1"], lines=[
        ReturnLineInput(product_id=world.products["SER"], quantity=D(2),
                        serials=["SN001"])])) == [
        ("SERIAL_COUNT_MISMATCH", ("lines", "0", "serials"))]
    assert _counts(world) == before
    # Once on an open return, a unit cannot be on a second one; cancelling frees it.
    first = world.run(lambda s: create_return(s, customer_id=world.partners["C1"], lines=[
        ReturnLineInput(product_id=world.products["SER"], quantity=D(1),
                        serials=["SN001"])]).id)
    assert ask("SN001") == [("ALREADY_RETURNED", ("lines", "0", "serials"))]
    world.run(lambda s: cancel_return(s, first, reason="客户改主意"))
    assert world.request(first).state == "cancelled"
    world.run(lambda s: create_return(s, customer_id=world.partners["C1"], lines=[
        ReturnLineInput(product_id=world.products["SER"], quantity=D(1), serials=["SN001"])]))


def test_an_order_line_takes_back_at_most_what_it_delivered(world: ReturnWorld) -> None:
    order, (plain, _bat) = world.deliver("C1", [Sold("PLAIN", 3, "100"),
                                                Sold("BAT", 5, "80", batch="B1")])
    other, (plain_c2,) = world.deliver("C2", [Sold("PLAIN", 1, "100")])

    def ask(*lines: ReturnLineInput, order_id: int | None = None,
            customer: str = "C1") -> list[tuple[str, tuple[str, ...]]]:
        return world.refusal(lambda s: create_return(
            s, customer_id=world.partners[customer], lines=list(lines),
            sales_order_id=order_id))

    def plain_line(quantity: int, line: int | None = plain) -> ReturnLineInput:
        return ReturnLineInput(product_id=world.products["PLAIN"], quantity=D(quantity),
                               sales_order_line_id=line)

    assert ask(plain_line(4)) == [("OVER_RETURN", ("lines", "0", "quantity"))]
    # Two lines on the same order line count together.
    assert ask(plain_line(2), plain_line(2)) == [("OVER_RETURN", ("lines", "1", "quantity"))]
    world.run(lambda s: create_return(s, customer_id=world.partners["C1"],
                                      lines=[plain_line(2)]))
    # What is on an open request is spoken for.
    assert ask(plain_line(2)) == [("OVER_RETURN", ("lines", "0", "quantity"))]
    world.run(lambda s: create_return(s, customer_id=world.partners["C1"],
                                      lines=[plain_line(1)]))
    # Someone else's order, another order than the one named, another product.
    assert ask(plain_line(1, plain_c2)) == [("INVALID", ("lines", "0", "salesOrderLine"))]
    assert ask(plain_line(1, plain_c2), customer="C2", order_id=order) == [
        ("INVALID", ("salesOrder",))]
    assert ask(ReturnLineInput(product_id=world.products["PLAIN2"], quantity=D(1),
                               sales_order_line_id=plain)) == [
        ("INVALID", ("lines", "0", "salesOrderLine"))]
    assert ask(plain_line(1, 999_999)) == [("NOT_FOUND", ("lines", "0", "salesOrderLine"))]
    assert ask(ReturnLineInput(product_id=world.products["PLAIN2"], quantity=D(1)),
               order_id=order) == [("INVALID", ("lines", "0", "product"))]
    # A price on a line priced by its order line is refused, a line with neither too.
    assert ask(ReturnLineInput(product_id=world.products["BAT"], quantity=D(1),
                               batch_number="B1", sales_order_line_id=_bat,
                               unit_price=D(1))) == [("INVALID", ("lines", "0", "unitPrice"))]
    assert ask(ReturnLineInput(product_id=world.products["PLAIN"], quantity=D(1))) == [
        ("REQUIRED", ("lines", "0", "unitPrice"))]
    # Without an order to ship from, the warehouse must be named.
    assert ask(ReturnLineInput(product_id=world.products["PLAIN"], quantity=D(1),
                               unit_price=D(100))) == [("REQUIRED", ("warehouse",))]
    assert other


def test_bad_input_is_refused_and_nothing_is_created(world: ReturnWorld) -> None:
    _order, (_plain, bat) = world.deliver("C1", [Sold("PLAIN", 3, "100"),
                                                 Sold("BAT", 5, "80", batch="B1")])
    before = _counts(world)
    assert world.refusal(lambda s: create_return(s, customer_id=world.partners["S1"],
                                                 lines=[])) == [
        ("INVALID", ("customer",)), ("REQUIRED", ("lines",))]
    assert world.refusal(lambda s: create_return(s, customer_id=None, lines=[])) == [
        ("NOT_FOUND", ("customer",)), ("REQUIRED", ("lines",))]
    errors = world.refusal(lambda s: create_return(
        s, customer_id=world.partners["C1"], warehouse_id=world.warehouses["WH1"], lines=[
            ReturnLineInput(product_id=None, quantity=D(1)),
            ReturnLineInput(product_id=world.products["PLAIN"], quantity=D(0),
                            unit_price=D(1)),
            ReturnLineInput(product_id=world.products["BAT"], quantity=D(1),
                            sales_order_line_id=bat),
            ReturnLineInput(product_id=world.products["PLAIN"], quantity=D(1),
                            unit_price=D(1), batch_number="B1", serials=["X1"]),
            ReturnLineInput(product_id=world.products["PLAIN"], quantity=D(1),
                            unit_price=D("-1"), tax_rate=D("1.5")),
            ReturnLineInput(product_id=world.products["BAT"], quantity=D(1),
                            sales_order_line_id=bat, batch_number="B9"),
            # More than an amount can be: the credit could never be posted.
            ReturnLineInput(product_id=world.products["PLAIN"], quantity=D("99999999999"),
                            unit_price=D("99999999999"))]))
    assert errors == [
        ("NOT_FOUND", ("lines", "0", "product")),
        ("INVALID_QUANTITY", ("lines", "1", "quantity")),
        ("BATCH_REQUIRED", ("lines", "2", "batchNumber")),
        ("BATCH_NOT_TRACKED", ("lines", "3", "batchNumber")),
        ("SERIAL_NOT_TRACKED", ("lines", "3", "serials")),
        ("INVALID", ("lines", "4", "unitPrice")),
        ("INVALID", ("lines", "4", "taxRate")),
        ("NOT_FOUND", ("lines", "5", "batchNumber")),
        ("INVALID", ("lines", "6", "unitPrice"))]
    assert _counts(world) == before


def test_a_batch_must_be_one_the_order_line_delivered(world: ReturnWorld) -> None:
    _order, (bat,) = world.deliver("C1", [Sold("BAT", 5, "80", batch="B1")])
    world.post(world.line("BAT", 5, "supplier", "WH1/STOCK", batch_number="B2",
                          unit_cost=D(41)))
    assert world.refusal(lambda s: create_return(s, customer_id=world.partners["C1"], lines=[
        ReturnLineInput(product_id=world.products["BAT"], quantity=D(1), batch_number="B2",
                        sales_order_line_id=bat)])) == [
        ("INVALID", ("lines", "0", "batchNumber"))]
    created = world.run(lambda s: create_return(s, customer_id=world.partners["C1"], lines=[
        ReturnLineInput(product_id=world.products["BAT"], quantity=D(2), batch_number="B1",
                        sales_order_line_id=bat)]).id)
    assert world.lines(created)[0].batch_id == world.batch_b1


def test_only_a_request_not_yet_received_can_be_cancelled(world: ReturnWorld) -> None:
    world.deliver("C1", [Sold("PLAIN", 3, "100")])
    request = world.run(lambda s: create_return(s, customer_id=world.partners["C1"],
                                                warehouse_id=world.warehouses["WH1"], lines=[
        ReturnLineInput(product_id=world.products["PLAIN"], quantity=D(1),
                        unit_price=D(100))], reason="错发").id)
    world.run(lambda s: cancel_return(s, request, reason="客户撤回", user_id=3))
    cancelled = world.request(request)
    assert (cancelled.state, cancelled.closed_by_id, cancelled.reason) == (
        "cancelled", 3, "错发\n客户撤回")
    assert cancelled.closed_at is not None
    assert world.refusal(lambda s: cancel_return(s, request)) == [("INVALID_STATE", ("id",))]
    assert world.refusal(lambda s: cancel_return(s, 999_999)) == [("NOT_FOUND", ("id",))]
