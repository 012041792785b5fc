"""Deliveries: by serial, by batch (earliest expiry first when none is named), from bins;
the line's reservations used and released; the cost each move carried recorded on the
delivery and the order line; refusals that change nothing; never taking stock reserved for
another order."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from stock_support import D
from test_sales_support import SalesWorld, sales

from openjxc.addons.base_jxc.sales import delivery, services
from openjxc.addons.base_jxc.sales.events import SalesDelivered
from openjxc.addons.base_jxc.sales.models import SalesDeliveryLine
from openjxc.addons.base_jxc.stock.models import SerialNumber, StockMove

__all__ = ["sales"]

Line = services.DeliveryLineInput


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    events: list[Any] = []
    real = delivery.publish

    def spy(session: Any, event: Any) -> None:
        events.append(event)
        real(session, event)

    monkeypatch.setattr(delivery, "publish", spy)
    return events


def moves_of(sales: SalesWorld, delivery_id: int) -> list[StockMove]:
    with sales.uow() as session:
        rows = list(session.scalars(select(StockMove).where(
            StockMove.origin_type == "sales.delivery", StockMove.origin_id == delivery_id)
            .order_by(StockMove.id)))
        session.expunge_all()
        return rows


def test_partial_deliveries_by_serial_batch_and_bin(sales: SalesWorld,
                                                    published: list[Any]) -> None:
    world = sales.world
    batch = {n: world.batch_id("BAT", n) for n in ("B-OLD", "B-NEW", "B-DEAD")}
    order_id = sales.order(("SER", 3), ("BAT", 25), ("PLAIN2", 4), ("PLAIN", 10))
    sales.confirm(order_id)
    ser, bat, plain2, plain = sales.line_ids(order_id)
    # What a clerk is told to pick: the reservations, earliest expiry first.
    with sales.uow() as session:
        assert [(p.want.line_id, p.location_id, p.batch_id, p.quantity, p.serials)
                for p in delivery.suggest_picks(session, order_id)] == [
            (ser, world.locations["WH1/STOCK"], 0, D(3), ["SN-1", "SN-2", "SN-3"]),
            (bat, world.locations["WH1/STOCK"], batch["B-OLD"], D(20), []),
            (bat, world.locations["WH1/STOCK"], batch["B-NEW"], D(5), []),
            (plain2, world.locations["WH1/A-01"], 0, D(4), []),
            (plain, world.locations["WH1/STOCK"], 0, D(10), [])]
    first = sales.call(services.deliver_sales_order, order_id, lines=[
        Line(ser, serials=["SN-4..5"]), Line(bat, D(22)),
        Line(plain2, D(2), location_id=world.locations["WH1/A-01"])])
    moves = moves_of(sales, first.id)
    customer = world.locations["customer"]
    assert [(m.product_id, m.quantity, m.batch_id, m.from_location_id, m.to_location_id)
            for m in moves] == [
        (world.products["SER"], D(2), 0, world.locations["WH1/STOCK"], customer),
        (world.products["BAT"], D(20), batch["B-OLD"], world.locations["WH1/STOCK"], customer),
        (world.products["BAT"], D(2), batch["B-NEW"], world.locations["WH1/STOCK"], customer),
        (world.products["PLAIN2"], D(2), 0, world.locations["WH1/A-01"], customer)]
    assert moves[0].value == D("4000.00") and moves[3].value == D("300.00")
    assert all(m.reference == first.number and first.number.startswith("FH-") for m in moves)
    with sales.uow() as session:
        costs = [(r.order_line_id, r.move_id, r.cost) for r in session.scalars(
            select(SalesDeliveryLine).order_by(SalesDeliveryLine.id))]
        serials = dict(session.execute(select(SerialNumber.number, SerialNumber.id)).all())
    assert costs == [(line, m.id, m.value) for line, m in zip((ser, bat, bat, plain2), moves,
                                                             strict=True)]
    assert world.serial_location("SER", "SN-4") == customer
    rows = sales.line_rows(order_id)
    assert [(r.delivered_quantity, r.delivered_cost, r.reserved_quantity) for r in rows] == [
        (D(2), D("4000.00"), D(1)), (D(22), moves[1].value + moves[2].value, D(3)),
        (D(2), D("300.00"), D(2)), (D(0), D(0), D(10))]
    assert sales.reservations(order_id) == sorted([
        ("WH1/STOCK", 0, D(1)), ("WH1/STOCK", batch["B-NEW"], D(3)), ("WH1/A-01", 0, D(2)),
        ("WH1/STOCK", 0, D(10))])
    assert sales.order_row(order_id).state == "partly_delivered"
    assert published == [SalesDelivered(
        delivery_id=first.id, number=first.number, order_id=order_id,
        customer_id=world.partners["C1"], address_id=None,
        move_ids=tuple(m.id for m in moves), serial_ids=(serials["SN-4"], serials["SN-5"]),
        product_ids=(world.products["SER"], world.products["BAT"], world.products["PLAIN2"]))]
    # Refusals, each at its line and field; nothing changes.
    before = world.counts()
    assert sales.refused(services.deliver_sales_order, order_id, lines=[
        Line(ser, D(2)),
        Line(bat, D(1), batch_number="B-DEAD"),
        Line(plain, D(1), serials=["X-1"], batch_number="B-OLD",
             location_id=world.locations["WH2/STOCK"]),
        Line(plain, D(1)),
        Line(999_999, D(1))]) == [
        ("OVER_DELIVERY", ("lines", "0", "quantity")),
        ("SERIAL_NOT_TRACKED", ("lines", "2", "serials")),
        ("BATCH_NOT_TRACKED", ("lines", "2", "batchNumber")),
        ("INVALID_LOCATION", ("lines", "2", "location")),
        ("INVALID", ("lines", "3", "orderLine")),
        ("NOT_FOUND", ("lines", "4", "orderLine"))]
    assert sales.refused(services.deliver_sales_order, order_id, lines=[
        Line(ser, serials=["SN-6"]), Line(bat, D(1), batch_number="B-DEAD"),
        Line(plain2, D(1), batch_number=None)]) == [
        ("SERIAL_NOT_IN_LOCATION", ("lines", "0", "serials")),
        ("BATCH_EXPIRED", ("lines", "1", "batchNumber"))]
    assert sales.refused(services.deliver_sales_order, order_id, lines=[
        Line(ser, D(1), serials=["SN-1", "SN-2"])]) == [
        ("SERIAL_COUNT_MISMATCH", ("lines", "0", "serials"))]
    assert sales.refused(services.deliver_sales_order, order_id, lines=[
        Line(bat, D(1), batch_number="NOPE")]) == [("NOT_FOUND", ("lines", "0", "batchNumber"))]
    assert world.counts() == before
    assert [r.delivered_quantity for r in sales.line_rows(order_id)] == [D(2), D(22), D(2),
                                                                          D(0)]
    # The rest: picked for the clerk (the oldest serial unit, the reserved batch).
    last = sales.call(services.deliver_sales_order, order_id)
    moves = moves_of(sales, last.id)
    assert [(m.product_id, m.quantity, m.batch_id) for m in moves] == [
        (world.products["SER"], D(1), 0), (world.products["BAT"], D(3), batch["B-NEW"]),
        (world.products["PLAIN2"], D(2), 0), (world.products["PLAIN"], D(10), 0)]
    assert world.serial_location("SER", "SN-1") == customer
    assert published[-1].serial_ids == (serials["SN-1"],)
    order = sales.order_row(order_id)
    assert order.state == "delivered" and order.delivered_at is not None
    assert sales.reservations(order_id) == []
    for location, product in (("WH1/STOCK", "PLAIN"), ("WH1/STOCK", "SER"),
                              ("WH1/A-01", "PLAIN2")):
        assert sales.reserved(location, product) == 0
    assert sales.reserved("WH1/STOCK", "BAT", batch["B-NEW"]) == 0
    assert sales.refused(services.deliver_sales_order, order_id) == [
        ("INVALID_STATE", ("id",))]


def test_a_delivery_never_takes_what_another_order_reserved(sales: SalesWorld) -> None:
    first = sales.order(("PLAIN", 90), ("SER", 5))
    sales.confirm(first)
    second = sales.order(("PLAIN", 20), ("SER", 1), customer="C2")
    sales.confirm(second)
    plain, ser = sales.line_ids(second)
    assert [r.reserved_quantity for r in sales.line_rows(second)] == [D(10), D(0)]
    assert sales.refused(services.deliver_sales_order, second, lines=[Line(plain, D(20))]) == [
        ("INSUFFICIENT_STOCK", ("lines", "0", "quantity"))]
    # A unit in stock but promised to the first order is not the second's to take.
    assert sales.refused(services.deliver_sales_order, second, lines=[
        Line(ser, serials=["SN-3"])]) == [("INSUFFICIENT_STOCK", ("lines", "0", "serials"))]
    sales.call(services.deliver_sales_order, second, lines=[Line(plain, D(10))])
    assert sales.reserved("WH1/STOCK", "PLAIN") == 90
    assert sales.refused(services.deliver_sales_order, second, lines=[Line(plain, D(1))]) == [
        ("INSUFFICIENT_STOCK", ("lines", "0", "quantity"))]
    # Once the first order lets go, the stock is free for anyone.
    sales.call(services.cancel_sales_order, first)
    sales.call(services.deliver_sales_order, second)
    assert sales.order_row(second).state == "delivered"
    assert sales.world.balance("WH1/STOCK", "PLAIN") == 80
