"""Posting and reading take a fixed number of statements, whatever the number of lines."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from stock_support import D, StatementCounter, StockWorld, build_world, months_before

from openjxc.addons.base_jxc.stock.periods import close_stock_period
from openjxc.addons.base_jxc.stock.posting import MoveLine, business_today, post_moves
from openjxc.addons.base_jxc.stock.queries import (
    on_hand_by_product,
    pick_suggestions,
    stock_as_of,
)


@pytest.fixture
def world(database_url: str) -> Iterator[StockWorld]:
    world = build_world(database_url)
    yield world
    world.env.database.dispose()


def statements_to_post(world: StockWorld, lines: list[MoveLine], **kwargs: object) -> int:
    with world.uow() as session:
        session.connection()  # BEGIN is not counted
        with StatementCounter(world.env.database.engine) as counter:
            post_moves(session, lines, **kwargs)  # type: ignore[arg-type]
    return len(counter)


def receipts(w: StockWorld, n: int, tag: str) -> list[MoveLine]:
    """n lines of each kind: plain, a new batch each, a new serial each."""
    out = []
    for i in range(n):
        out.append(w.line("PLAIN", 2, "supplier", "WH1/STOCK", unit_cost=D(i + 1)))
        out.append(w.line("BAT", 3, "supplier", "WH1/A-01", unit_cost=D(1),
                          batch_number=f"{tag}-{i}"))
        out.append(w.line("SER", 1, "supplier", "WH1/A-02", unit_cost=D(5),
                          serials=[f"{tag}-{i}"]))
    return out


def test_a_receipt_of_200_lines_takes_as_many_statements_as_one_of_10(world: StockWorld) -> None:
    w = world
    w.post(receipts(w, 2, "WARM"))
    small = statements_to_post(w, receipts(w, 10, "S"))
    large = statements_to_post(w, receipts(w, 200, "L"))
    assert small == large


def test_a_delivery_of_200_lines_takes_as_many_statements_as_one_of_10(
        world: StockWorld) -> None:
    w = world
    w.post(receipts(w, 210, "IN"))

    def plain_and_batch(lines: range) -> list[MoveLine]:
        out = []
        for i in lines:
            out.append(w.line("PLAIN", 1, "WH1/STOCK", "customer"))
            out.append(w.line("BAT", 1, "WH1/A-01", "customer", batch_number=f"IN-{i}"))
            out.append(w.line("PLAIN", 1, "WH1/STOCK", "WH2/STOCK"))
        return out

    assert statements_to_post(w, plain_and_batch(range(10))) == statements_to_post(
        w, plain_and_batch(range(10, 210)))


def test_moving_200_serial_units_takes_as_many_statements_as_10(world: StockWorld) -> None:
    w = world
    w.post(receipts(w, 210, "IN"))

    def serial_lines(lines: range) -> list[MoveLine]:
        return [w.line("SER", 1, "WH1/A-02", "customer", serials=[f"IN-{i}"]) for i in lines]

    assert statements_to_post(w, serial_lines(range(10))) == statements_to_post(
        w, serial_lines(range(10, 210)))


def count_reads(world: StockWorld, read: Callable[..., object]) -> int:
    with world.uow() as session:
        session.connection()
        with StatementCounter(world.env.database.engine) as counter:
            read(session)
    return len(counter)


def test_stock_queries_take_a_fixed_number_of_statements(world: StockWorld) -> None:
    w = world
    with w.uow() as session:
        today = business_today(session)
    old = months_before(today, 2)

    def as_of(session: object) -> object:
        return stock_as_of(session, today - timedelta(days=1))  # type: ignore[arg-type]

    def picks(session: object) -> object:
        return pick_suggestions(session, w.products["SER"],  # type: ignore[arg-type]
                                w.warehouses["WH1"], D(1000))

    def on_hand(session: object) -> object:
        return on_hand_by_product(session, list(w.products.values()))  # type: ignore[arg-type]

    w.post(receipts(w, 3, "A"), move_date=old)
    few = [count_reads(w, f) for f in (as_of, picks, on_hand)]
    w.post(receipts(w, 200, "B"), move_date=old + timedelta(days=1))
    w.post(receipts(w, 200, "C"), move_date=today - timedelta(days=1))
    many = [count_reads(w, f) for f in (as_of, picks, on_hand)]
    assert few == many
    with w.uow() as session:
        close_stock_period(session, old)
    w.post(receipts(w, 50, "D"), move_date=today - timedelta(days=1))
    assert [count_reads(w, f) for f in (as_of, picks, on_hand)] == many


def stock_statements(world: StockWorld, lines: list[MoveLine]) -> list[str]:
    """The statements posting sends about stock (handlers of other chapters left out)."""
    with world.uow() as session:
        session.connection()
        with StatementCounter(world.env.database.engine) as counter:
            post_moves(session, lines)
    return [s for s in counter.statements if "jxc_" in s]


def test_a_document_of_untracked_lines_takes_three_round_trips_on_postgresql(
        world: StockWorld) -> None:
    """One read, one lock (balances and valuations), one write — four statements on SQLite
    (it has no data-modifying WITH; its valuations are read with the document, under the
    writer lock), whatever the number of lines (it took 8 statements on PostgreSQL and 9
    on SQLite before reads and writes were combined)."""
    w = world

    def document(n: int) -> list[MoveLine]:
        out = []
        for i in range(n):
            out.append(w.line("PLAIN", 2, "supplier", "WH1/STOCK", unit_cost=D(i + 1)))
            out.append(w.line("PLAIN2", 1, "WH2/STOCK", "customer"))
            out.append(w.line("PLAIN", 1, "WH1/STOCK", "WH2/STOCK"))
        return out

    w.post(document(1))  # every product has its valuation row
    expected = 3 if w.env.database.dialect == "postgresql" else 4
    assert len(stock_statements(w, document(1))) == expected
    assert len(stock_statements(w, document(300))) == expected


def test_serial_units_add_their_look_up_and_their_keys(world: StockWorld) -> None:
    """A receipt of new units reads them (to refuse duplicates) and draws their keys (on
    SQLite the highest key comes with the document's read); a delivery reads them; the
    units themselves are written with the moves (the receipt took 11 statements on
    PostgreSQL and 13 on SQLite before)."""
    w = world
    w.post(w.line("PLAIN", 1, "supplier", "WH1/STOCK", unit_cost=D(1)))
    w.post(w.line("SER", 1, "supplier", "WH1/A-02", unit_cost=D(1), serials=["W-1"]))
    postgresql = w.env.database.dialect == "postgresql"
    receipt = [w.line("SER", 100, "supplier", "WH1/A-02", unit_cost=D(5),
                      serials=["N-0001..0100"])]
    assert len(stock_statements(w, receipt)) == (5 if postgresql else 7)
    delivery = [w.line("SER", 50, "WH1/A-02", "customer", serials=["N-0001..0050"])]
    assert len(stock_statements(w, delivery)) == (4 if postgresql else 7)
