"""The set-based writes under posting: values bound as the column types bind them, and each
operation meaning the same on both backends (one statement on PostgreSQL, several on SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import sqlite
from stock_support import D, StockWorld, build_world

from openjxc.addons.base_jxc.stock import bulk
from openjxc.addons.base_jxc.stock.models import (
    SerialNumber,
    StockBalance,
    StockMove,
    StockValuation,
    table_of,
)

MOVE = table_of(StockMove)
VALUATION = table_of(StockValuation)
BALANCE = table_of(StockBalance)
SERIAL = table_of(SerialNumber)
SQLITE = sqlite.pysqlite.dialect()


@pytest.mark.parametrize("column", ["quantity", "unit_cost", "value", "move_date", "created_at",
                                    "note", "product_id"])
def test_values_are_bound_for_sqlite_exactly_as_the_column_type_binds_them(column: str) -> None:
    samples = {
        "quantity": [D("1.23456"), D("-1.23455"), D("0.00005"), D(7), D("1E+3"), 3, None,
                     D("2.000049999999999999999999999"), D("-0.00015"), D("1E-9")],
        "unit_cost": [D("3.1415926535"), D("-0.0000005"), D("12.5"), None],
        "value": [D("2.345"), D("-2.345"), D("0.005"), D("99999999.99"), None],
        "move_date": [date(2026, 1, 2), None],
        "created_at": [datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
                       datetime(2026, 1, 2, 3, 4, 5, 678, tzinfo=UTC), None],
        "note": ["", "备注", None],
        "product_id": [1, None],
    }[column]
    typed = MOVE.c[column].type.dialect_impl(SQLITE).bind_processor(SQLITE)
    fast = bulk._sqlite_converter(MOVE, column)
    for value in samples:
        expected = typed(value) if typed else value
        assert (fast(value) if fast else value) == expected, value
    if fast is not None and column in ("quantity", "value"):
        with pytest.raises(TypeError):
            fast(1.5)  # floats are refused, as by the column type


@pytest.mark.parametrize("column", ["quantity", "unit_cost", "value"])
def test_values_are_read_back_from_sqlite_exactly_as_the_column_type_reads_them(
        column: str) -> None:
    typed = MOVE.c[column].type.dialect_impl(SQLITE).result_processor(SQLITE, None)
    fast = bulk._sqlite_reader(MOVE, column)
    assert typed is not None and fast is not None
    for stored in (0, 1, -1, 123456789, -5, None):
        assert fast(stored) == typed(stored)
        assert str(fast(stored)) == str(typed(stored))  # the same number of decimals


@pytest.fixture
def world(database_url: str) -> Iterator[StockWorld]:
    world = build_world(database_url)
    yield world
    world.env.database.dispose()


def test_operations_mean_the_same_on_both_backends(world: StockWorld) -> None:
    w = world
    plain, bat = w.products["PLAIN"], w.products["BAT"]
    stock, other = w.locations["WH1/STOCK"], w.locations["WH2/STOCK"]
    w.post(w.line("SER", 2, "supplier", "WH1/STOCK", unit_cost=D(5), serials=["U-1..2"]))
    with w.uow() as session:
        serials = dict(session.execute(select(SerialNumber.number, SerialNumber.id)).all())
        locked, balances, moved = bulk.run(session, [
            # a lock creates what is missing (with zeros) and returns every row
            bulk.Lock(VALUATION, ("product_id", "quantity", "value", "last_unit_cost"),
                      sorted([plain, bat])),
            bulk.Upsert(BALANCE, ("location_id", "product_id", "batch_id"),
                        ("location_id", "product_id", "batch_id", "warehouse_id", "quantity"),
                        [(stock, plain, 0, w.warehouses["WH1"], D("2.5"))],
                        assign=f"quantity = {BALANCE.name}.quantity + excluded.quantity",
                        returning=("location_id", "product_id", "batch_id", "quantity"),
                        zeros=("reserved",)),
            # a guarded update counts only the rows where the guard held
            bulk.Update(SERIAL, "id", ("location_id",),
                        [(serials["U-1"], stock, other), (serials["U-2"], other, stock)],
                        guard="location_id")])
    assert sorted(locked) == sorted([(plain, D(0), D(0), D(0)), (bat, D(0), D(0), D(0))])
    assert balances == [(stock, plain, 0, D("2.5"))]
    assert moved == 1
    assert w.balance("WH1/STOCK", "PLAIN") == D("2.5")
    assert w.serial_location("SER", "U-1") == other
    assert w.serial_location("SER", "U-2") == stock
    with w.uow() as session:
        again, = bulk.run(session, [bulk.Lock(
            VALUATION, ("product_id", "quantity", "value", "last_unit_cost"), [plain])])
        assert again == [(plain, D(0), D(0), D(0))]
        assert session.scalar(select(StockBalance.reserved).where(
            StockBalance.product_id == plain)) == Decimal(0)
