"""Costing: the moving weighted average to the cent, serial units at their own cost."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from stock_support import D, StockWorld, build_world

from openjxc.addons.base_jxc.stock.models import PHYSICAL_KINDS


@pytest.fixture
def world(database_url: str) -> Iterator[StockWorld]:
    world = build_world(database_url)
    yield world
    world.env.database.dispose()


def physical_value(world: StockWorld, product: str) -> Decimal:
    """Σ values of moves into physical locations − Σ values of moves out of them."""
    kinds = {}
    from sqlalchemy import select

    from openjxc.addons.base_jxc.stock.models import Location
    with world.uow() as session:
        kinds = dict(session.execute(select(Location.id, Location.kind)).all())
    total = Decimal(0)
    for move in world.moves(product):
        inside_to = kinds[move.to_location_id] in PHYSICAL_KINDS
        inside_from = kinds[move.from_location_id] in PHYSICAL_KINDS
        total += move.value * (int(inside_to) - int(inside_from))
    return total


def test_moving_weighted_average_is_exact_to_the_cent(world: StockWorld) -> None:
    w = world
    assert w.post(w.line("PLAIN", 3, "supplier", "WH1/STOCK", unit_cost=D("10"))).values == [
        D("30.00")]
    assert w.post(w.line("PLAIN", 7, "supplier", "WH1/STOCK", unit_cost=D("12.35"))).values == [
        D("86.45")]
    assert w.valuation("PLAIN") == (D(10), D("116.45"))
    # 116.45 × 3 / 10 = 34.935 → 34.94 (half up)
    assert w.post(w.line("PLAIN", 3, "WH1/STOCK", "customer")).values == [D("34.94")]
    assert w.valuation("PLAIN") == (D(7), D("81.51"))
    # 2 × 9.999 = 19.998 → 20.00
    assert w.post(w.line("PLAIN", 2, "supplier", "WH1/STOCK", unit_cost=D("9.999"))).values == [
        D("20.00")]
    # 101.51 × 4 / 9 = 45.1155… → 45.12
    assert w.post(w.line("PLAIN", 4, "WH1/STOCK", "customer")).values == [D("45.12")]
    assert w.valuation("PLAIN") == (D(5), D("56.39"))
    # a move inside the company changes neither quantity nor value
    w.post(w.line("PLAIN", 2, "WH1/STOCK", "WH1/A-01"))
    assert w.valuation("PLAIN") == (D(5), D("56.39"))
    assert w.post(w.line("PLAIN", 1, "WH1/A-01", "customer")).values == [D("11.28")]
    # the last line empties the stock and takes exactly what is left
    result = w.post([w.line("PLAIN", 1, "WH1/A-01", "customer"),
                     w.line("PLAIN", 3, "WH1/STOCK", "customer")])
    assert result.values == [D("11.28"), D("33.83")]
    assert w.valuation("PLAIN") == (D(0), D("0.00"))
    assert physical_value(w, "PLAIN") == D("0.00")
    assert w.balance("WH1/STOCK", "PLAIN") == 0 and w.balance("WH1/A-01", "PLAIN") == 0


def test_stock_value_is_the_sum_of_the_moves_at_every_step(world: StockWorld) -> None:
    w = world
    steps = [
        w.line("PLAIN", 3, "supplier", "WH1/STOCK", unit_cost=D("0.333333")),
        w.line("PLAIN", 1, "WH1/STOCK", "customer"),
        w.line("PLAIN", 5, "supplier", "WH1/A-02", unit_cost=D("7.77")),
        w.line("PLAIN", 1, "WH1/A-02", "WH2/STOCK"),
        w.line("PLAIN", 3, "WH1/STOCK", "WH2/STOCK", unit_cost=None),
        w.line("PLAIN", 2, "WH2/STOCK", "adjustment"),
        w.line("PLAIN", D("0.5"), "adjustment", "WH2/STOCK"),
        w.line("PLAIN", 1, "WH2/STOCK", "loss"),
    ]
    for step in steps[:4]:
        w.post(step)
        assert w.valuation("PLAIN")[1] == physical_value(w, "PLAIN")
    assert w.errors(steps[4]) == [("INSUFFICIENT_STOCK", ("lines", "0", "quantity"))]
    for step in steps[5:]:
        w.post(step)
        assert w.valuation("PLAIN")[1] == physical_value(w, "PLAIN")
    quantity, _value = w.valuation("PLAIN")
    assert quantity == D("4.5")
    assert quantity == sum(w.balance(loc, "PLAIN") for loc in
                           ("WH1/STOCK", "WH1/A-02", "WH2/STOCK"))


def test_every_move_records_the_cost_it_moved_at(world: StockWorld) -> None:
    w = world
    w.post(w.line("PLAIN", 3, "supplier", "WH1/STOCK", unit_cost=D("10")))
    w.post(w.line("PLAIN", 4, "supplier", "WH1/STOCK", unit_cost=D("11")))
    w.post(w.line("PLAIN", 2, "WH1/STOCK", "customer"))
    w.post(w.line("PLAIN", 5, "WH1/STOCK", "customer"))
    for move in w.moves("PLAIN"):
        assert move.value > 0
        assert move.unit_cost == (move.value / move.quantity).quantize(D("0.000001"))
    outgoing = [m for m in w.moves("PLAIN") if m.to_location_id == w.locations["customer"]]
    # 74 / 7 = 10.571428…: 2 units at 21.14, the last 5 take 52.86
    assert [m.value for m in outgoing] == [D("21.14"), D("52.86")]
    assert [m.unit_cost for m in outgoing] == [D("10.570000"), D("10.572000")]


def test_serial_units_leave_at_their_own_cost(world: StockWorld) -> None:
    w = world
    w.post(w.line("SER", 2, "supplier", "WH1/STOCK", unit_cost=D("100"), serials=["S-0001..0002"]))
    w.post(w.line("SER", 1, "supplier", "WH1/STOCK", unit_cost=D("130.50"), serials=["S-0003"]))
    assert w.valuation("SER") == (D(3), D("330.50"))
    assert w.post(w.line("SER", 1, "WH1/STOCK", "customer", serials=["S-0003"])).values == [
        D("130.50")]
    assert w.valuation("SER") == (D(2), D("200.00"))
    # moved inside the company, then delivered: still its own cost
    w.post(w.line("SER", 1, "WH1/STOCK", "WH2/STOCK", serials=["S-0002"]))
    result = w.post(w.line("SER", 1, "WH2/STOCK", "customer", serials=["S-0002"]))
    assert result.values == [D("100.00")]
    moves = w.moves("SER")
    assert moves[-1].unit_cost == D("100")
    # a unit coming back from the customer comes back at its own cost
    assert w.post(w.line("SER", 1, "customer", "WH1/STOCK", serials=["S-0003"])).values == [
        D("130.50")]
    assert w.valuation("SER") == (D(2), D("230.50"))
    assert w.valuation("SER")[1] == physical_value(w, "SER")


def test_a_receipt_without_a_cost_comes_in_at_the_average(world: StockWorld) -> None:
    w = world
    w.post(w.line("PLAIN", 3, "supplier", "WH1/STOCK", unit_cost=D("10")))
    w.post(w.line("PLAIN", 1, "supplier", "WH1/STOCK", unit_cost=D("14")))
    assert w.post(w.line("PLAIN", 2, "adjustment", "WH1/STOCK")).values == [D("22.00")]
    assert w.valuation("PLAIN") == (D(6), D("66.00"))
