"""Receiving returned goods into quarantine at the cost they left at, and inspecting them:
restock, scrap or back to the supplier."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from test_returns_support import ReturnWorld, Sold, fresh_world

from openjxc.addons.base_jxc.returns import inspection, receiving
from openjxc.addons.base_jxc.returns.events import ReturnInspected, ReturnReceived
from openjxc.addons.base_jxc.returns.inspection import InspectionLineInput, inspect_return
from openjxc.addons.base_jxc.returns.models import ReturnLineSerial
from openjxc.addons.base_jxc.returns.receiving import receive_return
from openjxc.addons.base_jxc.returns.services import (
    ReturnLineInput,
    cancel_return,
    create_return,
)
from openjxc.addons.base_jxc.sales.services import record_return
from openjxc.addons.base_jxc.stock.models import StockMove, StockMoveSerial
from openjxc.testing.fixtures import DatabaseFactory

D = Decimal


@pytest.fixture
def world(databases: DatabaseFactory) -> Iterator[ReturnWorld]:
    world = fresh_world(databases)
    yield world
    world.env.database.dispose()


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The events the returns chapter publishes (still delivered to their handlers)."""
    seen: list[Any] = []
    for module in (receiving, inspection):
        original = module.publish

        def record(session: Any, event: Any, original: Any = original) -> None:
            seen.append(event)
            original(session, event)

        monkeypatch.setattr(module, "publish", record)
    return seen


def _value(world: ReturnWorld, location: str, product: str) -> Decimal:
    """Σ values in − out of a location for a product (its stock value)."""
    loc = world.locations[location]
    with world.uow(readonly=True) as s:
        rows = s.execute(select(StockMove.to_location_id, func.sum(StockMove.value))
                         .where(StockMove.product_id == world.products[product],
                                (StockMove.to_location_id == loc)
                                | (StockMove.from_location_id == loc))
                         .group_by(StockMove.to_location_id)).all()
    return sum((v if to == loc else -v for to, v in rows), D(0))


def _request(world: ReturnWorld, *lines: ReturnLineInput, customer: str = "C1") -> int:
    return int(world.run(lambda s: create_return(s, customer_id=world.partners[customer],
                                                 lines=list(lines)).id))


def test_goods_come_back_into_quarantine_at_the_cost_they_left_at(
        world: ReturnWorld, published: list[Any]) -> None:
    world.post(world.line("PLAIN2", 4, "supplier", "WH1/STOCK", unit_cost=D(150)))
    _order, (plain, motor, bat) = world.deliver("C1", [
        Sold("PLAIN", 4, "100"), Sold("SER", 2, "3000", serials=["SN001", "SN002"]),
        Sold("BAT", 5, "80", batch="B1")])
    serial_before = world.serial("SN002")
    request = _request(
        world,
        ReturnLineInput(product_id=world.products["PLAIN"], quantity=D(3),
                        sales_order_line_id=plain),
        ReturnLineInput(product_id=world.products["SER"], quantity=D(1), serials=["SN002"]),
        ReturnLineInput(product_id=world.products["BAT"], quantity=D(2), batch_number="B1",
                        sales_order_line_id=bat),
        ReturnLineInput(product_id=world.products["PLAIN2"], quantity=D(1),
                        unit_price=D(250), reason="旧货"))
    stock_before = {p: world.balance("WH1/STOCK", p) for p in ("PLAIN", "SER", "BAT")}
    world.run(lambda s: receive_return(s, request, user_id=5))
    code = world.request(request).code
    # Into quarantine, never into sellable stock.
    assert {p: world.balance("WH1/STOCK", p) for p in ("PLAIN", "SER", "BAT")} == stock_before
    assert world.balance("WH1/QUARANTINE", "PLAIN") == 3
    assert world.balance("WH1/QUARANTINE", "SER") == 1
    assert world.balance("WH1/QUARANTINE", "BAT", world.batch_b1) == 2
    moves = world.moves_of("sales.return", request)
    assert {(m.from_location_id, m.to_location_id, m.reference) for m in moves} == {
        (world.locations["customer"], world.locations["WH1/QUARANTINE"], code)}
    # PLAIN left at 60.00, the motor at its own 2,100, the batch at 40, PLAIN2 at average.
    assert [m.value for m in moves] == [D("180.00"), D("2100.00"), D("80.00"), D("150.00")]
    assert [line.unit_cost for line in world.lines(request)] == [D(60), D(2100), D(40), D(150)]
    assert [line.received_quantity for line in world.lines(request)] == [3, 1, 2, 1]
    received = world.request(request)
    assert (received.state, received.received_by_id) == ("received", 5)
    # The sales chapter took the returns off the order lines: margins stay exact.
    assert [(world.order_line(i).returned_quantity, world.order_line(i).delivered_cost)
            for i in (plain, motor, bat)] == [(3, D("60.00")), (1, D("2000.00")),
                                              (2, D("120.00"))]
    # The unit came back to its own record; its history shows the return.
    serial_after = world.serial("SN002")
    assert serial_after.id == serial_before.id
    assert serial_after.location_id == world.locations["WH1/QUARANTINE"]
    with world.uow(readonly=True) as s:
        history = s.execute(select(StockMove.origin_type)
                            .join(StockMoveSerial, StockMoveSerial.move_id == StockMove.id)
                            .where(StockMoveSerial.serial_id == serial_after.id)
                            .order_by(StockMove.id)).scalars().all()
    assert history == ["purchase.receipt", "sales.delivery", "sales.return"]
    event = next(e for e in published if isinstance(e, ReturnReceived))
    assert (event.code, event.customer_id, event.serial_ids) == (
        code, world.partners["C1"], (serial_after.id,))
    assert event.lines == ((plain, 3, D("180.00")), (motor, 1, D("2100.00")),
                           (bat, 2, D("80.00")), (None, 1, D("150.00")))
    # Received once; a received return cannot be cancelled.
    assert world.refusal(lambda s: receive_return(s, request)) == [("INVALID_STATE", ("id",))]
    assert world.refusal(lambda s: cancel_return(s, request)) == [("INVALID_STATE", ("id",))]
    assert len(world.moves_of("sales.return", request)) == 4


def test_the_last_units_back_take_what_is_left_of_the_cost(world: ReturnWorld) -> None:
    world.post(world.line("PLAIN", 1, "supplier", "WH1/STOCK", unit_cost=D(61)))
    _order, (plain,) = world.deliver("C1", [Sold("PLAIN", 3, "100")])
    cost = world.order_line(plain).delivered_cost
    assert cost == D("180.27")  # 3 of 11 units worth 661.00
    line = ReturnLineInput(product_id=world.products["PLAIN"], quantity=D(1),
                           sales_order_line_id=plain)
    first = _request(world, line)
    world.run(lambda s: receive_return(s, first))
    assert world.moves_of("sales.return", first)[0].value == D("60.09")
    second = _request(world, ReturnLineInput(product_id=world.products["PLAIN"],
                                             quantity=D(2), sales_order_line_id=plain))
    world.run(lambda s: receive_return(s, second))
    assert world.moves_of("sales.return", second)[0].value == D("120.18")
    after = world.order_line(plain)
    assert (after.returned_quantity, after.delivered_cost) == (3, D("0.00"))


def test_receiving_checks_again_what_is_still_out(world: ReturnWorld) -> None:
    _order, (plain, _motor) = world.deliver("C1", [
        Sold("PLAIN", 3, "100"), Sold("SER", 1, "3000", serials=["SN001"])])
    first = _request(world, ReturnLineInput(product_id=world.products["PLAIN"], quantity=D(2),
                                            sales_order_line_id=plain))
    second = _request(world, ReturnLineInput(product_id=world.products["PLAIN"],
                                             quantity=D(1), sales_order_line_id=plain))
    motor = _request(world, ReturnLineInput(product_id=world.products["SER"], quantity=D(1),
                                            serials=["SN001"]))
    # Meanwhile one unit came back another way.
    world.run(lambda s: record_return(s, plain, D(1), D("60.00")))
    world.run(lambda s: receive_return(s, first))
    before = world.counts()
    assert world.refusal(lambda s: receive_return(s, second)) == [
        ("OVER_RETURN", ("lines", "0", "quantity"))]
    # The unit was moved away from the customer's before the parcel arrived.
    world.post(world.line("SER", 1, "customer", "WH2/STOCK", serials=["SN001"]))
    before = world.counts()
    assert world.refusal(lambda s: receive_return(s, motor)) == [
        ("SERIAL_ALREADY_EXISTS", ("lines", "0", "serials"))]
    assert world.counts() == before
    assert world.request(second).state == world.request(motor).state == "requested"


def _received(world: ReturnWorld) -> tuple[int, list[int]]:
    """A received return of 3 PLAIN, SN001 + SN002 and 2 BAT; its line ids."""
    _order, (plain, _motor, bat) = world.deliver("C1", [
        Sold("PLAIN", 4, "100"), Sold("SER", 2, "3000", serials=["SN001", "SN002"]),
        Sold("BAT", 5, "80", batch="B1")])
    request = _request(
        world,
        ReturnLineInput(product_id=world.products["PLAIN"], quantity=D(3),
                        sales_order_line_id=plain),
        ReturnLineInput(product_id=world.products["SER"], quantity=D(2),
                        serials=["SN001", "SN002"]),
        ReturnLineInput(product_id=world.products["BAT"], quantity=D(2), batch_number="B1",
                        sales_order_line_id=bat))
    world.run(lambda s: receive_return(s, request))
    return request, [line.id for line in world.lines(request)]


def test_inspection_restocks_scraps_and_sends_back_to_the_supplier(
        world: ReturnWorld, published: list[Any]) -> None:
    request, (plain, motor, bat) = _received(world)
    bin_a01 = world.locations["WH1/A-01"]
    world.run(lambda s: inspect_return(s, request, user_id=9, lines=[
        InspectionLineInput(line_id=plain, restock=D(1), scrap=D(1), to_supplier=D(1),
                            restock_location_id=bin_a01),
        InspectionLineInput(line_id=motor, restock_serials=["SN002"], to_supplier_serials=[
            "SN001"]),
        InspectionLineInput(line_id=bat, restock=D(2))]))
    for product in ("PLAIN", "SER", "BAT"):
        assert world.balance("WH1/QUARANTINE", product, world.batch_b1 * (product == "BAT")) == 0
        assert _value(world, "WH1/QUARANTINE", product) == 0  # left at exactly zero
    assert world.balance("WH1/A-01", "PLAIN") == 1
    assert world.balance("WH1/SCRAP", "PLAIN") == 1
    assert world.balance("WH1/STOCK", "SER") == 2  # SN003 and SN002 back
    assert world.balance("WH1/STOCK", "BAT", world.batch_b1) == 17
    moves = world.moves_of("sales.return.inspection", request)
    assert [(m.to_location_id, m.quantity, m.value) for m in moves] == [
        (bin_a01, 1, D("60.00")), (world.locations["WH1/SCRAP"], 1, D("60.00")),
        (world.locations["supplier"], 1, D("60.00")),
        (world.locations["WH1/STOCK"], 1, D("2100.00")),
        (world.locations["supplier"], 1, D("2000.00")),
        (world.locations["WH1/STOCK"], 2, D("80.00"))]
    assert world.serial("SN001").location_id == world.locations["supplier"]
    assert world.serial("SN002").location_id == world.locations["WH1/STOCK"]
    lines = world.lines(request)
    assert [(line.restocked_quantity, line.scrapped_quantity, line.to_supplier_quantity,
             line.restock_location_id) for line in lines] == [
        (1, 1, 1, bin_a01), (1, 0, 1, world.locations["WH1/STOCK"]),
        (2, 0, 0, world.locations["WH1/STOCK"])]
    with world.uow(readonly=True) as s:
        decided = dict(s.execute(select(ReturnLineSerial.serial_id,
                                        ReturnLineSerial.disposition)).all())
    assert decided == {world.serial("SN001").id: "supplier", world.serial("SN002").id:
                       "restock"}
    inspected = world.request(request)
    assert (inspected.state, inspected.inspected_by_id) == ("inspected", 9)
    event = next(e for e in published if isinstance(e, ReturnInspected))
    assert (event.restocked_serial_ids, event.to_supplier_serial_ids, event.scrapped_serial_ids
            ) == ((world.serial("SN002").id,), (world.serial("SN001").id,), ())
    assert world.refusal(lambda s: inspect_return(s, request, lines=[])) == [
        ("INVALID_STATE", ("id",))]


def test_inspection_must_decide_everything_that_came_back(world: ReturnWorld) -> None:
    _order, (plain_line,) = world.deliver("C2", [Sold("PLAIN", 1, "100")])
    early = _request(world, ReturnLineInput(product_id=world.products["PLAIN"], quantity=D(1),
                                            sales_order_line_id=plain_line), customer="C2")
    assert world.refusal(lambda s: inspect_return(s, early, lines=[])) == [
        ("INVALID_STATE", ("id",))]
    request, (plain, motor, bat) = _received(world)
    before = world.counts()

    def refused(*lines: InspectionLineInput, **kw: Any) -> list[tuple[str, tuple[str, ...]]]:
        return world.refusal(lambda s: inspect_return(s, request, lines=list(lines), **kw))

    whole_motor = InspectionLineInput(line_id=motor, restock=D(2))
    whole_bat = InspectionLineInput(line_id=bat, scrap=D(2))
    assert refused(InspectionLineInput(line_id=plain, restock=D(2)), whole_motor,
                   whole_bat) == [("QUANTITY_MISMATCH", ("lines", "0"))]
    assert refused(whole_motor, whole_bat) == [("REQUIRED", ("lines",))]
    assert refused(InspectionLineInput(line_id=plain, restock=D(3)), whole_motor, whole_bat,
                   InspectionLineInput(line_id=plain, restock=D(3)),
                   InspectionLineInput(line_id=999_999)) == [
        ("INVALID", ("lines", "3", "lineId")), ("NOT_FOUND", ("lines", "4", "lineId"))]
    whole_plain = InspectionLineInput(line_id=plain, to_supplier=D(3))
    # A serial line split without naming the units; units not on the line; counts off.
    assert refused(whole_plain, InspectionLineInput(line_id=motor, restock=D(1), scrap=D(1)),
                   whole_bat) == [("REQUIRED", ("lines", "1", "restockSerials"))]
    assert refused(whole_plain, InspectionLineInput(line_id=motor, restock_serials=[
        "SN001", "SN003"]), whole_bat) == [
        ("SERIAL_NOT_RETURNED", ("lines", "1", "restockSerials"))]
    assert refused(whole_plain, InspectionLineInput(line_id=motor, restock_serials=["SN001"]),
                   whole_bat) == [("QUANTITY_MISMATCH", ("lines", "1"))]
    assert refused(whole_plain, InspectionLineInput(line_id=motor, scrap=D(2),
                                                    scrap_serials=["SN001"],
                                                    restock_serials=["SN002"]),
                   whole_bat) == [("QUANTITY_MISMATCH", ("lines", "1", "scrap"))]
    assert refused(whole_plain, whole_motor, InspectionLineInput(
        line_id=bat, restock=D(2), restock_serials=["X"])) == [
        ("SERIAL_NOT_TRACKED", ("lines", "2", "restockSerials"))]
    # Restocking goes to a stock location of the return's own warehouse.
    assert refused(whole_plain, whole_motor, whole_bat,
                   restock_location_id=world.locations["WH2/STOCK"]) == [
        ("INVALID_LOCATION", ("restockLocation",))]
    assert refused(whole_plain, whole_motor, InspectionLineInput(
        line_id=bat, restock=D(2), restock_location_id=world.locations["WH1/SCRAP"])) == [
        ("INVALID_LOCATION", ("lines", "2", "restockLocation"))]
    assert refused(InspectionLineInput(line_id=plain, restock=D("-1"), scrap=D(4)),
                   whole_motor, whole_bat) == [("INVALID", ("lines", "0", "restock"))]
    assert world.counts() == before
    assert world.request(request).state == "received"
