"""Serial units: N serials for N units, ranges, one place per unit, never twice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from stock_support import D, StockWorld, build_world

from openjxc.addons.base_jxc.stock.models import SerialNumber, StockMoveSerial
from openjxc.addons.base_jxc.stock.serials import expand_serials
from openjxc.core.errors import FieldError


@pytest.fixture
def world(database_url: str) -> Iterator[StockWorld]:
    world = build_world(database_url)
    yield world
    world.env.database.dispose()


def numbers(world: StockWorld, product: str) -> list[str]:
    with world.uow() as session:
        return list(session.scalars(select(SerialNumber.number)
                                    .where(SerialNumber.product_id == world.products[product])
                                    .order_by(SerialNumber.number)))


def test_ranges_expand_zero_padded() -> None:
    errors: list[FieldError] = []
    expanded = expand_serials(["YE3-2026-0001..0100"], errors, ("serials",))
    assert errors == []
    assert len(expanded) == 100
    assert expanded[0] == "YE3-2026-0001" and expanded[9] == "YE3-2026-0010"
    assert expanded[-1] == "YE3-2026-0100"
    assert expand_serials(["A-0998..A-1002", "B7"], errors, ("s",)) == [
        "A-0998", "A-0999", "A-1000", "A-1001", "A-1002", "B7"]
    assert errors == []
    for bad in ("A-0005..0001", "A-0001..B-0002", "A..B"):
        errors = []
        assert expand_serials([bad], errors, ("s",)) == []
        assert [e.code for e in errors] == ["INVALID_SERIAL_RANGE"]


def test_a_receipt_of_100_units_takes_a_range(world: StockWorld) -> None:
    w = world
    w.post(w.line("SER", 100, "supplier", "WH1/STOCK", unit_cost=D("3100"),
                  serials=["YE3-2026-0001..0100"]))
    got = numbers(w, "SER")
    assert len(got) == 100 and got[0] == "YE3-2026-0001" and got[-1] == "YE3-2026-0100"
    assert w.balance("WH1/STOCK", "SER") == 100
    assert w.valuation("SER") == (D(100), D("310000.00"))


def test_n_units_need_n_distinct_serials(world: StockWorld) -> None:
    w = world
    before = w.counts()
    assert w.errors(w.line("SER", 3, "supplier", "WH1/STOCK", serials=["X-1..2"])) == [
        ("SERIAL_COUNT_MISMATCH", ("lines", "0", "serials"))]
    assert w.errors(w.line("SER", 1, "supplier", "WH1/STOCK", serials=[])) == [
        ("SERIAL_COUNT_MISMATCH", ("lines", "0", "serials"))]
    assert "SERIAL_DUPLICATED" in w.refused(w.line("SER", 2, "supplier", "WH1/STOCK",
                                                   serials=["X-1", "X-1"]))
    assert w.refused(w.line("SER", D("1.5"), "supplier", "WH1/STOCK",
                            serials=["X-1"])) == ["SERIAL_COUNT_MISMATCH"]
    assert w.refused(w.line("PLAIN", 1, "supplier", "WH1/STOCK",
                            serials=["X-1"])) == ["SERIAL_NOT_TRACKED"]
    assert w.counts() == before


def test_a_serial_is_unique_per_product(world: StockWorld) -> None:
    w = world
    w.post(w.line("SER", 1, "supplier", "WH1/STOCK", unit_cost=D(5), serials=["N-1"]))
    # the same number on another product is another unit
    w.post(w.line("SER2", 1, "supplier", "WH1/STOCK", unit_cost=D(5), serials=["N-1"]))
    before = w.counts()
    assert w.errors(w.line("SER", 1, "supplier", "WH2/STOCK", serials=["N-1"])) == [
        ("SERIAL_ALREADY_EXISTS", ("lines", "0", "serials"))]
    assert w.counts() == before
    assert numbers(w, "SER") == ["N-1"] and numbers(w, "SER2") == ["N-1"]


def test_a_serial_received_twice_in_one_document_already_exists(world: StockWorld) -> None:
    w = world
    before = w.counts()
    assert w.errors([w.line("SER", 1, "supplier", "WH1/STOCK", serials=["N-2"]),
                     w.line("SER", 1, "supplier", "WH2/STOCK", serials=["N-2"])]) == [
        ("SERIAL_ALREADY_EXISTS", ("lines", "1", "serials"))]
    assert w.counts() == before


def test_a_serial_cannot_leave_a_place_it_is_not_in(world: StockWorld) -> None:
    w = world
    w.post(w.line("SER", 2, "supplier", "WH1/STOCK", unit_cost=D(5), serials=["M-1..2"]))
    before = w.counts()
    assert w.errors(w.line("SER", 1, "WH1/A-01", "customer", serials=["M-1"])) == [
        ("SERIAL_NOT_IN_LOCATION", ("lines", "0", "serials"))]
    assert w.refused(w.line("SER", 1, "WH1/STOCK", "customer",
                            serials=["NEVER-SEEN"])) == ["SERIAL_NOT_IN_LOCATION"]
    # the serial of another product is not this product's unit
    assert w.refused(w.line("SER2", 1, "WH1/STOCK", "customer",
                            serials=["M-1"])) == ["SERIAL_NOT_IN_LOCATION"]
    assert w.counts() == before


def test_a_serial_cannot_be_delivered_twice(world: StockWorld) -> None:
    w = world
    w.post(w.line("SER", 2, "supplier", "WH1/STOCK", unit_cost=D(5), serials=["M-1..2"]))
    w.post(w.line("SER", 1, "WH1/STOCK", "customer", serials=["M-1"]))
    before = w.counts()
    assert w.refused(w.line("SER", 1, "WH1/STOCK", "customer",
                            serials=["M-1"])) == ["SERIAL_NOT_IN_LOCATION"]
    # twice in the same document
    codes = w.refused([w.line("SER", 1, "WH1/STOCK", "customer", serials=["M-2"]),
                       w.line("SER", 1, "WH1/STOCK", "customer", serials=["M-2"])])
    assert codes == ["SERIAL_NOT_IN_LOCATION"]
    assert w.counts() == before
    assert w.serial_location("SER", "M-1") == w.locations["customer"]
    assert w.serial_location("SER", "M-2") == w.locations["WH1/STOCK"]


def test_a_serial_may_move_twice_in_one_document(world: StockWorld) -> None:
    w = world
    w.post(w.line("SER", 1, "supplier", "WH1/STOCK", unit_cost=D(7), serials=["V-1"]))
    result = w.post([w.line("SER", 1, "WH1/STOCK", "WH2/STOCK", serials=["V-1"]),
                     w.line("SER", 1, "WH2/STOCK", "customer", serials=["V-1"])])
    assert result.values == [D("7.00"), D("7.00")]
    assert w.serial_location("SER", "V-1") == w.locations["customer"]
    assert w.balance("WH1/STOCK", "SER") == 0 and w.balance("WH2/STOCK", "SER") == 0
    # a unit received and put away in the same document
    w.post([w.line("SER", 1, "supplier", "WH1/STOCK", unit_cost=D(9), serials=["V-2"]),
            w.line("SER", 1, "WH1/STOCK", "WH1/A-01", serials=["V-2"])])
    assert w.serial_location("SER", "V-2") == w.locations["WH1/A-01"]
    assert w.balance("WH1/A-01", "SER") == 1 and w.balance("WH1/STOCK", "SER") == 0
    with w.uow() as session:
        serial_id = session.scalar(select(SerialNumber.id).where(SerialNumber.number == "V-2"))
        links = session.scalars(select(StockMoveSerial.move_id)
                                .where(StockMoveSerial.serial_id == serial_id)).all()
    assert len(links) == 2
    assert w.valuation("SER") == (D(1), D("9.00"))


def test_a_serial_back_from_the_customer_can_be_sold_again(world: StockWorld) -> None:
    w = world
    w.post(w.line("SER", 1, "supplier", "WH1/STOCK", unit_cost=D(11), serials=["R-1"]))
    w.post(w.line("SER", 1, "WH1/STOCK", "customer", serials=["R-1"]))
    w.post(w.line("SER", 1, "customer", "WH1/STOCK", serials=["R-1"]))
    assert w.serial_location("SER", "R-1") == w.locations["WH1/STOCK"]
    assert w.post(w.line("SER", 1, "WH1/STOCK", "customer", serials=["R-1"])).values == [
        D("11.00")]
    with w.uow() as session:
        assert session.scalar(select(SerialNumber.unit_cost)
                              .where(SerialNumber.number == "R-1")) == D(11)
