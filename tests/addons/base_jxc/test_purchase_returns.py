"""Purchase returns: back to the supplier location at cost, from stock, a bin or quarantine,
never more than the order line received; serial units only those that came in on it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select
from test_purchase_support import (
    approved_order,
    arrival,
    capture_events,
    codes,
    create_order,
    line,
    moves_of,
    order_lines,
    purchase_templates,
    receive,
    refused,
    run,
    world,
)
from trading_support import TradingWorld

from openjxc.addons.base_jxc.purchase import returns, services
from openjxc.addons.base_jxc.purchase.events import PurchaseReturned
from openjxc.addons.base_jxc.purchase.models import PurchaseReturn, PurchaseReturnLine

__all__ = ["purchase_templates", "world"]


def _back(world: TradingWorld, quantity: object, **kwargs: Any,
          ) -> services.PurchaseReturnLineInput:
    if "from_location" in kwargs:
        kwargs["from_location_id"] = world.locations[kwargs.pop("from_location")]
    return services.PurchaseReturnLineInput(quantity=Decimal(str(quantity)), **kwargs)


def _return(world: TradingWorld, *lines: services.PurchaseReturnLineInput,
            **kwargs: Any) -> int:
    return run(world, lambda s: services.create_purchase_return(
        s, lines=list(lines), reason="质量问题", user_id=4, **kwargs).id)


def test_returns_from_stock_and_quarantine_at_cost_within_what_was_received(
        world: TradingWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    published = capture_events(monkeypatch, returns)
    order = approved_order(world, line(world, "PLAIN", 10, "60"))
    plain = order_lines(world, order)[0].id
    receive(world, order, arrival(plain, 10, rejected_quantity=2, reject_reason="锈蚀"))
    first = _return(world, _back(world, 3, order_line_id=plain), order_id=order)
    (move,) = moves_of(world, "purchase.return")
    with world.uow(readonly=True) as session:
        document = session.get_one(PurchaseReturn, first)
        (row,) = session.scalars(select(PurchaseReturnLine)
                                 .where(PurchaseReturnLine.return_id == first))
        assert document.number.startswith("CT-")
        assert (document.supplier_id, document.warehouse_id, document.order_id) == (
            world.partners["S1"], world.warehouses["WH1"], order)
        assert (row.quantity, row.value, row.move_id, row.from_location_id) == (
            Decimal(3), Decimal("180.00"), move.id, world.locations["WH1/STOCK"])
    assert (move.from_location_id, move.to_location_id, move.value, move.origin_id,
            move.reference) == (world.locations["WH1/STOCK"], world.locations["supplier"],
                                Decimal("180.00"), first, document.number)
    assert published == [PurchaseReturned(return_id=first, supplier_id=world.partners["S1"],
                                           move_ids=(move.id,))]
    assert order_lines(world, order)[0].returned_quantity == 3
    assert world.balance("WH1/STOCK", "PLAIN") == 5
    # The order line is named: only what it received may go back.
    assert refused(world, lambda s: services.create_purchase_return(
        s, lines=[_back(world, 6, order_line_id=plain)])) == [
        ("OVER_RETURN", ("lines", "0", "quantity"))]
    # From quarantine: what inspection rejected; it does not count as a return of accepted
    # goods.
    _return(world, _back(world, 2, order_line_id=plain, from_location="WH1/QUARANTINE"))
    assert world.balance("WH1/QUARANTINE", "PLAIN") == 0
    assert order_lines(world, order)[0].returned_quantity == 3
    assert refused(world, lambda s: services.create_purchase_return(
        s, lines=[_back(world, 1, order_line_id=plain, from_location="WH1/QUARANTINE")])) == [
        ("OVER_RETURN", ("lines", "0", "quantity"))]
    # Without an order: any product of the warehouse, to the supplier named.
    _return(world, _back(world, 1, product_id=world.products["PLAIN"]),
            supplier_id=world.partners["S2"], warehouse_id=world.warehouses["WH1"])
    assert world.balance("WH1/STOCK", "PLAIN") == 4


def test_bad_returns_are_refused_and_nothing_moves(world: TradingWorld) -> None:
    order = approved_order(world, line(world, "PLAIN", 10, "60"), line(world, "PLAIN2", 5))
    plain, plain2 = (x.id for x in order_lines(world, order))
    receive(world, order, arrival(plain, 4))
    draft = create_order(world, line(world, "PLAIN", 1))
    before = world.counts()

    def attempt(*lines: services.PurchaseReturnLineInput, **kw: Any) -> Any:
        return lambda s: services.create_purchase_return(s, lines=list(lines), **kw)

    assert refused(world, attempt(_back(world, 1, order_line_id=order_lines(world, draft)[0].id))
                   ) == [("INVALID_STATE", ("orderId",))]
    assert refused(world, attempt(_back(world, 1, order_line_id=plain),
                                  _back(world, 1, order_line_id=order_lines(world, draft)[0].id))
                   ) == [("INVALID", ("lines",))]
    assert codes(refused(world, attempt(_back(world, 1, product_id=world.products["PLAIN"])))
                 ) == ["NOT_FOUND", "NOT_FOUND"]
    assert refused(world, attempt(_back(world, 1, order_line_id=plain), order_id=order,
                                  supplier_id=world.partners["S2"])) == [
        ("INVALID", ("supplierCode",))]
    assert refused(world, attempt(
        _back(world, 0, order_line_id=plain),
        _back(world, 1, order_line_id=plain, product_id=world.products["SER"]),
        _back(world, 1, order_line_id=plain, from_location="WH1/SCRAP"),
        _back(world, 1, order_line_id=plain, from_location="WH2/STOCK"),
        _back(world, 1, order_line_id=999999), order_id=order)) == [
        ("INVALID_QUANTITY", ("lines", "0", "quantity")),
        ("INVALID", ("lines", "1", "productCode")),
        ("INVALID_LOCATION", ("lines", "2", "fromLocationCode")),
        ("INVALID_LOCATION", ("lines", "3", "fromLocationCode")),
        ("NOT_FOUND", ("lines", "4", "orderLineId"))]
    # Nothing of PLAIN2 came in.
    assert refused(world, attempt(_back(world, 1, order_line_id=plain2))) == [
        ("OVER_RETURN", ("lines", "0", "quantity"))]
    # The stock engine's refusal, said at the return line.
    assert refused(world, attempt(_back(world, 1, order_line_id=plain,
                                        from_location="WH1/A-02"))) == [
        ("INSUFFICIENT_STOCK", ("lines", "0", "quantity"))]
    assert world.counts() == before


def test_serial_units_go_back_at_their_own_cost_only_on_their_order(world: TradingWorld) -> None:
    first = approved_order(world, line(world, "SER", 2, "2000"))
    second = approved_order(world, line(world, "SER", 1, "2600"))
    one, two = order_lines(world, first)[0].id, order_lines(world, second)[0].id
    receive(world, first, arrival(one, 2, serials=["M1", "M2"]))
    receive(world, second, arrival(two, 1, serials=["M3"]))
    assert refused(world, lambda s: services.create_purchase_return(
        s, lines=[_back(world, 1, order_line_id=one, serials=["M3"])])) == [
        ("SERIAL_NOT_RECEIVED", ("lines", "0", "serials"))]
    assert refused(world, lambda s: services.create_purchase_return(
        s, lines=[_back(world, 2, order_line_id=one, serials=["M1"])])) == [
        ("SERIAL_COUNT_MISMATCH", ("lines", "0", "serials"))]
    _return(world, _back(world, 1, order_line_id=two, serials=["M3"]))
    (move,) = moves_of(world, "purchase.return")
    assert move.value == Decimal("2600.00")
    assert world.serial_location("SER", "M3") == world.locations["supplier"]
    assert order_lines(world, second)[0].returned_quantity == 1
