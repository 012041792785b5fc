"""Batches: required where tracked, created on receipt with dates, FEFO/FIFO, expiry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from stock_support import D, StockWorld, build_world

from openjxc.addons.base_jxc.stock.models import Batch
from openjxc.addons.base_jxc.stock.posting import business_today
from openjxc.addons.base_jxc.stock.queries import pick_suggestions


@pytest.fixture
def world(database_url: str) -> Iterator[StockWorld]:
    world = build_world(database_url)
    yield world
    world.env.database.dispose()


def today(world: StockWorld):  # type: ignore[no-untyped-def]
    with world.uow() as session:
        return business_today(session)


def test_a_batch_product_needs_a_batch_and_others_refuse_one(world: StockWorld) -> None:
    w = world
    before = w.counts()
    assert w.errors(w.line("BAT", 5, "supplier", "WH1/STOCK")) == [
        ("BATCH_REQUIRED", ("lines", "0", "batch"))]
    assert w.errors(w.line("PLAIN", 5, "supplier", "WH1/STOCK", batch_number="L1")) == [
        ("BATCH_NOT_TRACKED", ("lines", "0", "batch"))]
    # a batch that does not exist cannot leave a warehouse
    assert w.refused(w.line("BAT", 1, "WH1/STOCK", "customer", batch_number="NOPE")) == [
        "NOT_FOUND"]
    assert w.counts() == before


def test_a_batch_is_created_on_receipt_with_its_dates(world: StockWorld) -> None:
    w = world
    day = today(w)
    made, expires = day - timedelta(days=20), day + timedelta(days=300)
    w.post(w.line("BAT", 5, "supplier", "WH1/STOCK", unit_cost=D(2), batch_number="L1",
                  manufactured_on=made, expires_on=expires))
    w.post(w.line("BAT", 3, "supplier", "WH1/STOCK", unit_cost=D(2), batch_number="L1"))
    with w.uow() as session:
        batches = session.scalars(select(Batch)).all()
        assert [(b.number, b.manufactured_on, b.expires_on) for b in batches] == [
            ("L1", made, expires)]
        batch_id = batches[0].id
    assert w.balance("WH1/STOCK", "BAT", batch_id) == 8
    assert {m.batch_id for m in w.moves("BAT")} == {batch_id}
    # named by id as well as by number
    w.post(w.line("BAT", 2, "WH1/STOCK", "customer", batch_id=batch_id))
    assert w.balance("WH1/STOCK", "BAT", batch_id) == 6
    assert w.refused(w.line("BAT", 1, "supplier", "WH1/STOCK", batch_number="L2",
                            manufactured_on=day, expires_on=day - timedelta(days=1))) == [
        "INVALID"]


def test_pick_suggestions_are_fefo_then_fifo(world: StockWorld) -> None:
    w = world
    day = today(w)
    for number, expires in (("LATE", day + timedelta(days=300)), ("OLD", None),
                            ("SOON", day + timedelta(days=30)), ("NEW", None)):
        w.post(w.line("BAT", 10, "supplier", "WH1/STOCK", unit_cost=D(1), batch_number=number,
                      expires_on=expires))
    ids = {n: w.batch_id("BAT", n) for n in ("LATE", "OLD", "SOON", "NEW")}
    with w.uow() as session:
        picks = pick_suggestions(session, w.products["BAT"], w.warehouses["WH1"], D(35))
    assert [(p.batch_id, p.quantity) for p in picks] == [
        (ids["SOON"], 10), (ids["LATE"], 10), (ids["OLD"], 10), (ids["NEW"], 5)]
    # reserved stock is not suggested
    from openjxc.addons.base_jxc.stock.reservations import reserve
    with w.uow() as session:
        reserve(session, product_id=w.products["BAT"], location_id=w.locations["WH1/STOCK"],
                quantity=D(10), batch_id=ids["SOON"])
        picks = pick_suggestions(session, w.products["BAT"], w.warehouses["WH1"], D(5))
    assert [(p.batch_id, p.quantity) for p in picks] == [(ids["LATE"], 5)]


def test_serial_pick_suggestions_name_the_oldest_units(world: StockWorld) -> None:
    w = world
    w.post(w.line("SER", 3, "supplier", "WH1/A-01", unit_cost=D(1), serials=["P-1..3"]))
    with w.uow() as session:
        picks = pick_suggestions(session, w.products["SER"], w.warehouses["WH1"], D(2))
    assert [(p.location_id, p.quantity, p.serials) for p in picks] == [
        (w.locations["WH1/A-01"], 2, ("P-1", "P-2"))]


def test_an_expired_batch_goes_to_a_customer_only_when_allowed(world: StockWorld) -> None:
    w = world
    day = today(w)
    w.post(w.line("BAT", 10, "supplier", "WH1/STOCK", unit_cost=D(1), batch_number="EXP",
                  manufactured_on=day - timedelta(days=400), expires_on=day - timedelta(days=1)))
    before = w.counts()
    assert w.errors(w.line("BAT", 1, "WH1/STOCK", "customer", batch_number="EXP")) == [
        ("BATCH_EXPIRED", ("lines", "0", "batch"))]
    assert w.counts() == before
    # to scrap or quarantine it may go
    w.post(w.line("BAT", 2, "WH1/STOCK", "WH1/SCRAP", batch_number="EXP"))
    w.post(w.line("BAT", 1, "WH1/STOCK", "customer", batch_number="EXP"), allow_expired=True)
    batch_id = w.batch_id("BAT", "EXP")
    assert w.balance("WH1/STOCK", "BAT", batch_id) == 7
    # a batch expiring today may still be sold today
    w.post(w.line("BAT", 1, "supplier", "WH1/STOCK", unit_cost=D(1), batch_number="TODAY",
                  expires_on=day))
    w.post(w.line("BAT", 1, "WH1/STOCK", "customer", batch_number="TODAY"))
