"""Negative stock, refusals that change nothing, and reversals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from stock_support import D, StockWorld, build_world

from openjxc.addons.base_jxc.stock.posting import post_moves
from openjxc.addons.base_jxc.stock.reversals import reverse_moves
from openjxc.core.errors import ValidationFailed


@pytest.fixture
def world(database_url: str) -> Iterator[StockWorld]:
    world = build_world(database_url)
    yield world
    world.env.database.dispose()


def reverse(world: StockWorld, move_ids: list[int], reason: str = "录错") -> list[int]:
    with world.uow() as session:
        return reverse_moves(session, move_ids, reason=reason).move_ids


def reverse_refused(world: StockWorld, move_ids: list[int]) -> list[str]:
    with world.uow() as session:
        try:
            reverse_moves(session, move_ids, reason="x")
        except ValidationFailed as exc:
            return [e.code for e in exc.errors]
    raise AssertionError("the reversal was accepted")


def test_negative_stock_only_where_the_warehouse_allows_it(world: StockWorld) -> None:
    w = world
    w.post(w.line("PLAIN", 2, "supplier", "WH1/STOCK", unit_cost=D(10)))
    before = w.counts()
    assert w.errors(w.line("PLAIN", 3, "WH1/STOCK", "customer")) == [
        ("INSUFFICIENT_STOCK", ("lines", "0", "quantity"))]
    # two lines that fit alone but not together
    assert w.errors([w.line("PLAIN", 2, "WH1/STOCK", "customer"),
                     w.line("PLAIN", 1, "WH1/STOCK", "WH1/SCRAP")]) == [
        ("INSUFFICIENT_STOCK", ("lines", "0", "quantity"))]
    assert w.counts() == before
    # WH2 allows it: the balance goes below zero, priced at the last cost
    assert w.post(w.line("PLAIN", 3, "WH2/STOCK", "customer")).values == [D("30.00")]
    assert w.balance("WH2/STOCK", "PLAIN") == -3
    assert w.valuation("PLAIN") == (D(-1), D("-10.00"))
    # and WH1 still refuses
    assert w.refused(w.line("PLAIN", 3, "WH1/STOCK", "WH2/STOCK")) == ["INSUFFICIENT_STOCK"]


def test_a_refused_document_changes_nothing(world: StockWorld) -> None:
    w = world
    w.post(w.line("PLAIN", 5, "supplier", "WH1/STOCK", unit_cost=D(3)))
    w.post(w.line("SER", 1, "supplier", "WH1/STOCK", unit_cost=D(3), serials=["K-1"]))
    before = w.counts()
    # every line but the last is fine: new batch, new serials, moved serial, plain moves
    lines = [
        w.line("BAT", 4, "supplier", "WH1/STOCK", unit_cost=D(1), batch_number="NEWLOT"),
        w.line("SER", 2, "supplier", "WH1/STOCK", unit_cost=D(4), serials=["K-2..3"]),
        w.line("SER", 1, "WH1/STOCK", "customer", serials=["K-1"]),
        w.line("PLAIN", 5, "WH1/STOCK", "customer"),
        w.line("PLAIN", 1, "WH1/STOCK", "WH1/A-01"),
    ]
    assert w.refused(lines) == ["INSUFFICIENT_STOCK"]
    assert w.counts() == before
    # the same session goes on working after a refusal
    with w.uow() as session:
        with pytest.raises(ValidationFailed):
            post_moves(session, lines)
        post_moves(session, lines[:4])
    assert w.serial_location("SER", "K-1") == w.locations["customer"]
    assert w.balance("WH1/STOCK", "PLAIN") == 0
    assert w.balance("WH1/STOCK", "SER") == 2


def test_bad_lines_are_field_errors(world: StockWorld) -> None:
    w = world
    before = w.counts()
    assert w.errors([w.line("PLAIN", 0, "supplier", "WH1/STOCK"),
                     w.line("PLAIN", -1, "supplier", "WH1/STOCK"),
                     w.line("PLAIN", 1, "WH1/STOCK", "WH1/STOCK"),
                     w.line("PLAIN", 1, "supplier", "customer")]) == [
        ("INVALID_QUANTITY", ("lines", "0", "quantity")),
        ("INVALID", ("lines", "1", "quantity")),  # the kernel's "at least 0"
        ("SAME_LOCATION", ("lines", "2", "toLocation")),
        ("INVALID_LOCATION", ("lines", "3", "toLocation"))]
    line = w.line("PLAIN", 1, "supplier", "WH1/STOCK")
    line.product_id = 999_999
    line.to_location_id = 999_999
    assert sorted(w.refused(line)) == ["NOT_FOUND", "NOT_FOUND"]
    assert w.counts() == before


def test_a_reversal_mirrors_the_move_once(world: StockWorld) -> None:
    w = world
    receipt = w.post(w.line("PLAIN", 10, "supplier", "WH1/STOCK", unit_cost=D("3.33"))).move_ids
    w.post(w.line("PLAIN", 10, "supplier", "WH1/STOCK", unit_cost=D("4.10")))
    delivery = w.post(w.line("PLAIN", 3, "WH1/STOCK", "customer")).move_ids
    original = w.moves("PLAIN")[-1]
    assert original.value == D("11.15")  # 74.30 × 3 / 20 = 11.145
    w.post(w.line("PLAIN", 7, "supplier", "WH1/STOCK", unit_cost=D("9.99")))
    [mirror_id] = reverse(w, delivery)
    mirror = {m.id: m for m in w.moves("PLAIN")}[mirror_id]
    assert (mirror.from_location_id, mirror.to_location_id) == (
        original.to_location_id, original.from_location_id)
    assert (mirror.quantity, mirror.value, mirror.reversal_of_id) == (
        original.quantity, original.value, original.id)
    assert mirror.origin_type == "reversal"
    assert w.balance("WH1/STOCK", "PLAIN") == 27
    assert w.valuation("PLAIN") == (D(27), D("74.30") + D("69.93"))
    before = w.counts()
    assert reverse_refused(w, delivery) == ["ALREADY_REVERSED"]
    assert reverse_refused(w, [mirror_id]) == ["IS_REVERSAL"]
    assert reverse_refused(w, [999_999]) == ["NOT_FOUND"]
    assert w.counts() == before
    # the first receipt: value identical, from stock back to the supplier
    [receipt_mirror] = reverse(w, receipt)
    assert {m.id: m.value for m in w.moves("PLAIN")}[receipt_mirror] == D("33.30")
    assert w.valuation("PLAIN") == (D(17), D("110.93"))


def test_reversing_a_receipt_whose_goods_left_is_insufficient_stock(world: StockWorld) -> None:
    w = world
    receipt = w.post(w.line("PLAIN", 5, "supplier", "WH1/STOCK", unit_cost=D(2))).move_ids
    w.post(w.line("PLAIN", 4, "WH1/STOCK", "customer"))
    before = w.counts()
    assert reverse_refused(w, receipt) == ["INSUFFICIENT_STOCK"]
    assert w.counts() == before


def test_reversals_of_serial_and_batch_moves(world: StockWorld) -> None:
    w = world
    w.post(w.line("SER", 2, "supplier", "WH1/STOCK", unit_cost=D(50), serials=["Q-1..2"]))
    out = w.post(w.line("SER", 1, "WH1/STOCK", "customer", serials=["Q-2"])).move_ids
    reverse(w, out)
    assert w.serial_location("SER", "Q-2") == w.locations["WH1/STOCK"]
    assert w.valuation("SER") == (D(2), D("100.00"))
    w.post(w.line("SER", 1, "WH1/STOCK", "customer", serials=["Q-2"]))
    # the serial has left again: reversing the first delivery once more is refused
    assert reverse_refused(w, out) == ["ALREADY_REVERSED"]
    lot = w.post(w.line("BAT", 6, "supplier", "WH1/STOCK", unit_cost=D(1),
                        batch_number="B-1")).move_ids
    reverse(w, lot)
    assert w.balance("WH1/STOCK", "BAT", w.batch_id("BAT", "B-1")) == 0
    assert w.valuation("BAT") == (D(0), D("0.00"))
