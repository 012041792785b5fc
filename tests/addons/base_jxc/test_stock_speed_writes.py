"""What the faster posting path relies on: rows converted for SQLite in one step exactly as
value by value, an upsert that writes whole rows without reading them back, and — on
SQLite — the valuations and last keys read with the document under the writer lock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from stock_support import D, StockWorld, build_world

from openjxc.addons.base_jxc.stock import bulk
from openjxc.addons.base_jxc.stock.lookups import DocumentFacts, read_document
from openjxc.addons.base_jxc.stock.models import (
    Batch,
    SerialNumber,
    StockMove,
    StockValuation,
    table_of,
)

MOVE = table_of(StockMove)
VALUATION = table_of(StockValuation)


def test_rows_are_converted_for_sqlite_as_each_of_their_values_is() -> None:
    columns = ("id", "quantity", "unit_cost", "value", "note", "move_date", "created_at")
    rows = [(1, D("1.23456"), D("3.1415926535"), D("2.345"), "备注", date(2026, 1, 2),
             datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC)),
            (2, D("-0.00015"), D(7), D("-2.345"), "", None, None),
            (3, D("2.000049999999999999999999999"), None, D("99999999.99"), None,
             date(2026, 12, 31), datetime(2026, 1, 2, tzinfo=UTC))]
    one_by_one = [tuple(convert(v) if convert else v for convert, v in zip(
        (bulk._sqlite_converter(MOVE, c) for c in columns), row, strict=True))
        for row in rows]
    assert bulk._sqlite_rows(MOVE, columns, rows) == one_by_one


@pytest.fixture
def world(database_url: str) -> Iterator[StockWorld]:
    world = build_world(database_url)
    yield world
    world.env.database.dispose()


def test_an_upsert_without_returning_writes_whole_rows_and_creates_missing_ones(
        world: StockWorld) -> None:
    w = world
    plain, bat = w.products["PLAIN"], w.products["BAT"]
    w.post(w.line("PLAIN", 4, "supplier", "WH1/STOCK", unit_cost=D(5)))  # PLAIN has a row
    with w.uow() as session:
        session.execute(delete(StockValuation).where(StockValuation.product_id == bat))
        result, = bulk.run(session, [bulk.Upsert(
            VALUATION, ("product_id",), ("product_id", "quantity", "value", "last_unit_cost"),
            [(plain, D(3), D("15.5"), D("5.166667")), (bat, D(1), D(2), D(2))],
            assign="quantity = excluded.quantity, value = excluded.value, "
                   "last_unit_cost = excluded.last_unit_cost", returning=())])
    assert result is None
    with w.uow(readonly=True) as session:
        rows = dict((r[0], tuple(r[1:])) for r in session.execute(
            select(StockValuation.product_id, StockValuation.quantity, StockValuation.value,
                   StockValuation.last_unit_cost)))
    assert rows[plain] == (D(3), D("15.5"), D("5.166667"))
    assert rows[bat] == (D(1), D(2), D(2))


def test_sqlite_reads_valuations_and_last_keys_with_the_document(world: StockWorld) -> None:
    """SQLite's writer holds the database from BEGIN IMMEDIATE on: what the document's
    read finds stays true until commit, so the valuations and the highest serial and batch
    keys come with it; PostgreSQL locks valuations with the balances and draws keys from
    its sequences."""
    w = world
    w.post([w.line("PLAIN", 4, "supplier", "WH1/STOCK", unit_cost=D("2.5")),
            w.line("SER", 2, "supplier", "WH1/STOCK", unit_cost=D(9), serials=["K-1..2"]),
            w.line("BAT", 1, "supplier", "WH1/STOCK", unit_cost=D(1), batch_number="L1")])
    with w.uow() as session:
        facts = read_document(session, place_ids={w.locations["WH1/STOCK"]},
                              product_ids={w.products["PLAIN"], w.products["PLAIN2"]},
                              moves=2)
        last_serial = session.scalar(select(SerialNumber.id).order_by(
            SerialNumber.id.desc()).limit(1))
        last_batch = session.scalar(select(Batch.id).order_by(Batch.id.desc()).limit(1))
    if w.env.database.dialect == "postgresql":
        assert facts.valuations is None and facts.last_ids == {}
        return
    assert facts.valuations == {w.products["PLAIN"]: (D(4), D(10), D("2.5")),
                                w.products["PLAIN2"]: None}
    assert facts.last_ids == {"jxc_serial": last_serial, "jxc_batch": last_batch}


def test_a_product_without_a_valuation_gets_one_when_posted(world: StockWorld) -> None:
    w = world
    w.post(w.line("PLAIN2", 3, "supplier", "WH1/STOCK", unit_cost=D("1.25")))
    assert w.valuation("PLAIN2") == (D(3), D("3.75"))
    # A document whose moves leave the valuation as it is (a transfer) still creates it.
    with w.uow() as session:
        session.execute(delete(StockValuation).where(
            StockValuation.product_id == w.products["PLAIN2"]))
    w.post(w.line("PLAIN2", 1, "WH1/STOCK", "WH2/STOCK"))
    with w.uow(readonly=True) as session:
        row = session.execute(select(StockValuation.quantity, StockValuation.value).where(
            StockValuation.product_id == w.products["PLAIN2"])).one()
    assert tuple(row) == (Decimal(0), Decimal(0))


def test_a_lock_of_rows_known_to_exist_returns_them_as_they_are(world: StockWorld) -> None:
    """PostgreSQL takes rows the caller read as existing with SELECT … FOR UPDATE (writing
    nothing) instead of the upsert that would create missing ones; the result is the
    same."""
    w = world
    w.post([w.line("PLAIN", 4, "supplier", "WH1/STOCK", unit_cost=D("2.5")),
            w.line("PLAIN2", 2, "supplier", "WH1/STOCK", unit_cost=D(3))])
    plain, plain2 = w.products["PLAIN"], w.products["PLAIN2"]
    with w.uow() as session:
        taken, = bulk.run(session, [bulk.Lock(
            VALUATION, ("product_id", "quantity", "value", "last_unit_cost"),
            [plain2, plain], existing=True)])
    assert sorted(taken) == [(plain, D(4), D(10), D("2.5")), (plain2, D(2), D(6), D(3))]
    with w.uow() as session:
        facts = read_document(session, place_ids=set(), product_ids={plain, w.products["BAT"]},
                              moves=0)
    if w.env.database.dialect == "postgresql":
        assert facts.valued == {plain}


def test_a_valuation_read_as_there_but_missing_is_created_all_the_same(
        world: StockWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    """Valuation rows are never deleted, so a product the read found valued is locked
    without an upsert; should a row be missing all the same, it is created, not lost."""
    from openjxc.addons.base_jxc.stock import checks

    w = world
    read = checks.read_document

    def everything_valued(session: Session, *, place_ids: set[int], product_ids: set[int],
                          moves: int) -> DocumentFacts:
        facts = read(session, place_ids=place_ids, product_ids=product_ids, moves=moves)
        facts.valued.update(product_ids)
        return facts

    monkeypatch.setattr(checks, "read_document", everything_valued)
    w.post(w.line("PLAIN2", 2, "supplier", "WH1/STOCK", unit_cost=D(4)))
    assert w.valuation("PLAIN2") == (D(2), D(8))


@pytest.mark.parametrize("note", ['a "quoted", {braced} \\ back\\slash', "NULL", "", "空 格 内",
                                  "\\\"", "}{,"])
def test_text_travels_exactly_in_the_arrays_postgresql_receives(world: StockWorld,
                                                                note: str) -> None:
    """PostgreSQL gets each column as the text of an array, written by the engine: quotes,
    backslashes, braces, commas, blanks and the word NULL arrive as they were sent."""
    w = world
    w.post(w.line("BAT", 1, "supplier", "WH1/STOCK", unit_cost=D(1),
                  batch_number=f"B,{note}"[:64].strip() or "B", note=note))
    with w.uow(readonly=True) as session:
        notes = list(session.scalars(select(StockMove.note)))
        numbers = list(session.scalars(select(Batch.number)))
    assert notes == [note]
    assert numbers == [(f"B,{note}"[:64].strip() or "B")]
    assert bulk.pg_array([1, None, D("1E+3"), D("-0.5"), "a\"b\\c", date(2026, 1, 2)]) == (
        '{1,NULL,1E+3,-0.5,"a\\"b\\\\c",2026-01-02}')
    assert bulk.pg_array([True]) == [True]  # anything else is left to the driver
