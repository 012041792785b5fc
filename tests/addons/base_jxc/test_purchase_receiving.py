"""Receiving against purchase orders: inspection (accepted to stock or a bin, rejected to
quarantine or refused at the door), the receipt tolerance, serials and batches through the
stock engine at the order's price, and refusals that change nothing."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from test_purchase_support import (
    approved_order,
    arrival,
    capture_events,
    codes,
    create_order,
    line,
    move_count,
    moves_of,
    order_lines,
    order_state,
    purchase_templates,
    receive,
    refused,
    run,
    set_policies,
    world,
)
from trading_support import TradingWorld

from openjxc.addons.base_jxc.purchase import receiving, services
from openjxc.addons.base_jxc.purchase.events import PurchaseReceived
from openjxc.addons.base_jxc.purchase.models import PurchaseReceipt, PurchaseReceiptLine
from openjxc.addons.base_jxc.stock.models import SerialNumber
from openjxc.addons.base_jxc.stock.posting import business_today

__all__ = ["purchase_templates", "world"]


def _receipt_lines(world: TradingWorld, receipt_id: int) -> list[PurchaseReceiptLine]:
    with world.uow(readonly=True) as session:
        rows = list(session.scalars(select(PurchaseReceiptLine)
                                    .where(PurchaseReceiptLine.receipt_id == receipt_id)
                                    .order_by(PurchaseReceiptLine.id)))
        session.expunge_all()
        return rows


def test_inspection_puts_goods_in_stock_quarantine_or_back_on_the_truck(
        world: TradingWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    published = capture_events(monkeypatch, receiving)
    order = approved_order(world, line(world, "PLAIN", 10, "60"))
    plain = order_lines(world, order)[0].id
    first = receive(world, order, arrival(plain, 6, rejected_quantity=1, reject_reason="锈蚀"),
                    location_id=world.locations["WH1/A-01"], note="第一批")
    assert world.balance("WH1/A-01", "PLAIN") == 5
    assert world.balance("WH1/QUARANTINE", "PLAIN") == 1
    moves = moves_of(world, "purchase.receipt")
    with world.uow(readonly=True) as session:
        receipt = session.get_one(PurchaseReceipt, first)
        assert receipt.number.startswith("RK-") and receipt.receipt_date == business_today(
            session)
    assert [(m.quantity, m.unit_cost, m.value, m.origin_id, m.reference, m.to_location_id)
            for m in moves] == [
        (Decimal(5), Decimal(60), Decimal("300.00"), first, receipt.number,
         world.locations["WH1/A-01"]),
        (Decimal(1), Decimal(60), Decimal("60.00"), first, receipt.number,
         world.locations["WH1/QUARANTINE"])]
    assert {m.from_location_id for m in moves} == {world.locations["supplier"]}
    (recorded,) = _receipt_lines(world, first)
    assert (recorded.quantity, recorded.accepted_quantity, recorded.rejected_quantity,
            recorded.rejected_to, recorded.reject_reason, recorded.location_id) == (
        Decimal(6), Decimal(5), Decimal(1), "quarantine", "锈蚀", world.locations["WH1/A-01"])
    assert (recorded.accepted_move_id, recorded.rejected_move_id) == (moves[0].id, moves[1].id)
    assert published == [PurchaseReceived(receipt_id=first, order_id=order,
                                          supplier_id=world.partners["S1"],
                                          move_ids=(moves[0].id, moves[1].id))]
    state = order_lines(world, order)[0]
    assert (state.received_quantity, state.rejected_quantity) == (5, 1)
    assert order_state(world, order).state == "partly_received"
    # Refused at the door: recorded, nothing moves.
    before = move_count(world)
    door = receive(world, order, arrival(plain, 3, rejected_quantity=3, rejected_to="supplier",
                                         reject_reason="型号不符"))
    assert move_count(world) == before
    (at_door,) = _receipt_lines(world, door)
    assert (at_door.rejected_to, at_door.accepted_move_id, at_door.rejected_move_id,
            at_door.location_id) == ("supplier", None, None, None)
    assert order_lines(world, order)[0].rejected_quantity == 4
    assert order_state(world, order).state == "partly_received"
    # The rest arrives (back-dated): the order is received.
    yesterday = date.today() - timedelta(days=1)
    receive(world, order, arrival(plain, 5), receipt_date=yesterday)
    assert world.balance("WH1/STOCK", "PLAIN") == 5
    assert moves_of(world, "purchase.receipt")[-1].move_date == yesterday
    assert order_state(world, order).state == "received"
    assert order_lines(world, order)[0].received_quantity == 10
    # One more is more than was ordered.
    assert refused(world, lambda s: services.receive_purchase_order(
        s, order, lines=[arrival(plain, 1)])) == [("OVER_RECEIPT", ("lines", "0", "quantity"))]


def test_over_receipt_is_refused_unless_within_the_tolerance(world: TradingWorld) -> None:
    order = approved_order(world, line(world, "PLAIN", 100, "1"), line(world, "PLAIN2", 10))
    plain, plain2 = (x.id for x in order_lines(world, order))

    def attempt(*lines: services.ReceiptLineInput) -> Any:
        return lambda s: services.receive_purchase_order(s, order, lines=list(lines))

    assert refused(world, attempt(arrival(plain, 101))) == [
        ("OVER_RECEIPT", ("lines", "0", "quantity"))]
    # Two lines of one receipt count together.
    assert refused(world, attempt(arrival(plain2, 6), arrival(plain2, 5))) == [
        ("OVER_RECEIPT", ("lines", "1", "quantity"))]
    # What inspection rejects is not accepted: 110 arrive, 10 go to quarantine.
    receive(world, order, arrival(plain2, 12, rejected_quantity=2, reject_reason="破损"))
    assert order_lines(world, order)[1].received_quantity == 10
    assert move_count(world) == 2
    set_policies(world, purchase__receipt_tolerance="0.05")
    assert refused(world, attempt(arrival(plain, "105.0001"))) == [
        ("OVER_RECEIPT", ("lines", "0", "quantity"))]
    receive(world, order, arrival(plain, 105))
    assert order_lines(world, order)[0].received_quantity == 105
    assert order_state(world, order).state == "received"
    assert refused(world, attempt(arrival(plain, 1))) == [
        ("OVER_RECEIPT", ("lines", "0", "quantity"))]


def test_serials_and_batches_come_in_through_the_stock_engine(world: TradingWorld) -> None:
    order = approved_order(world, line(world, "SER", 3, "2000"), line(world, "BAT", 10, "40"))
    ser, bat = (x.id for x in order_lines(world, order))
    expires = date(2031, 6, 30)
    receipt = receive(world, order,
                      arrival(ser, 3, rejected_quantity=1, reject_reason="不转",
                              serials=["S-0001..0002"], rejected_serials=["S-0003"]),
                      arrival(bat, 10, batch_number="B1", manufactured_on=date(2025, 6, 30),
                              expires_on=expires))
    assert world.serial_location("SER", "S-0001") == world.locations["WH1/STOCK"]
    assert world.serial_location("SER", "S-0003") == world.locations["WH1/QUARANTINE"]
    with world.uow(readonly=True) as session:
        costs = set(session.scalars(select(SerialNumber.unit_cost)
                                    .where(SerialNumber.product_id == world.products["SER"])))
    assert costs == {Decimal("2000.00")}
    batch = world.batch_id("BAT", "B1")
    assert world.balance("WH1/STOCK", "BAT", batch) == 10
    lines = _receipt_lines(world, receipt)
    assert [x.batch_id for x in lines] == [None, batch]
    assert world.valuation("BAT") == (Decimal(10), Decimal("400.00"))

    again = approved_order(world, line(world, "SER", 2, "2100"), line(world, "BAT", 5),
                           line(world, "PLAIN", 1))
    ser2, bat2, plain = (x.id for x in order_lines(world, again))
    before = world.counts()

    def attempt(*lines: services.ReceiptLineInput) -> Any:
        return lambda s: services.receive_purchase_order(s, again, lines=list(lines))

    assert refused(world, attempt(arrival(ser2, 2, serials=["S-0004"]),
                                  arrival(bat2, 5),
                                  arrival(plain, 1, serials=["X1"], batch_number="B9"))) == [
        ("SERIAL_COUNT_MISMATCH", ("lines", "0", "serials")),
        ("BATCH_REQUIRED", ("lines", "1", "batchNumber")),
        ("SERIAL_NOT_TRACKED", ("lines", "2", "serials")),
        ("BATCH_NOT_TRACKED", ("lines", "2", "batchNumber"))]
    # A unit already in stock, found by the stock engine, is said at the receipt line.
    assert refused(world, attempt(arrival(bat2, 5, batch_number="B2"),
                                  arrival(ser2, 2, serials=["S-0002", "S-0005"]))) == [
        ("SERIAL_ALREADY_EXISTS", ("lines", "1", "serials"))]
    assert refused(world, attempt(arrival(ser2, 1, rejected_quantity=1, reject_reason="坏",
                                          rejected_to="supplier", rejected_serials=["S-9"]))
                   ) == [("INVALID", ("lines", "0", "rejectedSerials"))]
    assert world.counts() == before
    # Refused at the door needs no serial numbers nor a batch.
    receive(world, again, arrival(ser2, 2, rejected_quantity=2, rejected_to="supplier",
                                  reject_reason="无合格证"),
            arrival(bat2, 1, rejected_quantity=1, rejected_to="supplier", reject_reason="过期"))
    assert world.counts()["moves"] == before["moves"]


def test_refused_receipts_change_nothing(world: TradingWorld) -> None:
    draft = create_order(world, line(world, "PLAIN", 5))
    order = approved_order(world, line(world, "PLAIN", 5))
    mine = order_lines(world, order)[0].id
    other = order_lines(world, draft)[0].id
    before = world.counts()

    def attempt(order_id: int, *lines: services.ReceiptLineInput, **kw: Any) -> Any:
        return lambda s: services.receive_purchase_order(s, order_id, lines=list(lines), **kw)

    assert refused(world, attempt(draft, arrival(other, 1))) == [("APPROVAL_REQUIRED", ("id",))]
    assert codes(refused(world, attempt(999, arrival(mine, 1)))) == ["NOT_FOUND"]
    assert refused(world, attempt(order)) == [("REQUIRED", ("lines",))]
    assert refused(world, attempt(order, arrival(other, 1), arrival(mine, 0),
                                  arrival(mine, 1, rejected_quantity=2, reject_reason="x"),
                                  arrival(mine, 2, rejected_quantity=1),
                                  arrival(mine, 1, rejected_quantity=1, reject_reason="x",
                                          rejected_to="scrap"),
                                  arrival(mine, 1, location_id=world.locations["WH2/STOCK"]),
                                  arrival(mine, 1,
                                          location_id=world.locations["WH1/QUARANTINE"]))) == [
        ("NOT_FOUND", ("lines", "0", "orderLineId")),
        ("INVALID_QUANTITY", ("lines", "1", "quantity")),
        ("INVALID_QUANTITY", ("lines", "2", "rejectedQuantity")),
        ("REQUIRED", ("lines", "3", "rejectReason")),
        ("INVALID", ("lines", "4", "rejectedTo")),
        ("INVALID_LOCATION", ("lines", "5", "locationCode")),
        ("INVALID_LOCATION", ("lines", "6", "locationCode"))]
    tomorrow = date.today() + timedelta(days=2)
    assert refused(world, attempt(order, arrival(mine, 1), receipt_date=tomorrow,
                                  location_id=world.locations["WH2/STOCK"])) == [
        ("INVALID", ("receiptDate",)), ("INVALID_LOCATION", ("locationCode",))]
    assert world.counts() == before
    with world.uow(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(PurchaseReceipt)) == 0
    assert order_lines(world, order)[0].received_quantity == 0
    assert order_state(world, order).state == "approved"
    run(world, lambda s: services.cancel_purchase_order(s, order))
    assert refused(world, attempt(order, arrival(mine, 1))) == [("INVALID_STATE", ("id",))]
