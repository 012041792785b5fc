"""Stock counts through the services, told as stories on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.catalog.services import ProductInput, create_category, create_product
from openjxc.addons.base_jxc.counts.models import StockCount, StockCountLine
from openjxc.addons.base_jxc.counts.services import (
    CountEntry,
    cancel_count,
    inventory_accuracy,
    post_count,
    record_count,
    start_count,
)
from openjxc.addons.base_jxc.stock.models import (
    Location,
    SerialNumber,
    StockBalance,
    StockMove,
)
from openjxc.addons.base_jxc.stock.posting import MoveLine, business_today, post_moves
from openjxc.addons.base_jxc.stock.warehouses import company_location, create_warehouse
from openjxc.core.env import Environment
from openjxc.core.errors import ValidationFailed
from openjxc.testing.fixtures import create_test_database

D = Decimal


@pytest.fixture
def env(database_url: str) -> Iterator[Environment]:
    env = Environment.for_edition("basic", database_url=database_url)
    create_test_database(env)
    with env.unit_of_work() as s:
        create_category(s, code="DJ", name="电机")
        create_category(s, code="BF", name="阀门")
        for code, category, tracking, barcode in (
                ("P1", "DJ", "none", None), ("P2", "DJ", "none", "6901234567890"),
                ("P3", "DJ", "none", None), ("V1", "BF", "none", None),
                ("S1", "DJ", "serial", None)):
            create_product(s, ProductInput(code=code, name=code, category_code=category,
                                           tracking=tracking, barcode=barcode))
        create_warehouse(s, code="WH1", name="总仓", bins=["A-01", "A-02"])
    yield env
    env.database.dispose()


def loc(s: Session, code: str) -> int:
    return s.scalars(select(Location.id).where(Location.code == code)).one()


def pid(s: Session, code: str) -> int:
    return s.scalars(select(Product.id).where(Product.code == code)).one()


def receive(s: Session, product: str, location: str, quantity: str, cost: str,
            serials: list[str] | None = None) -> None:
    post_moves(s, [MoveLine(product_id=pid(s, product), quantity=D(quantity),
                            from_location_id=company_location(s, "supplier").id,
                            to_location_id=loc(s, location), unit_cost=D(cost),
                            serials=serials or [])])


def deliver(s: Session, product: str, location: str, quantity: str,
            serials: list[str] | None = None) -> None:
    post_moves(s, [MoveLine(product_id=pid(s, product), quantity=D(quantity),
                            from_location_id=loc(s, location),
                            to_location_id=company_location(s, "customer").id,
                            serials=serials or [])])


def on_hand(s: Session, product: str, location: str) -> Decimal:
    return s.scalar(select(StockBalance.quantity).where(
        StockBalance.product_id == pid(s, product),
        StockBalance.location_id == loc(s, location))) or D(0)


def count_moves(s: Session, number: str) -> list[StockMove]:
    return list(s.scalars(select(StockMove).where(StockMove.origin_type == "count",
                                                  StockMove.reference == number)
                          .order_by(StockMove.id)))


def scan(location: str, code: str, quantity: str | None = None,
         batch: str | None = None) -> CountEntry:
    return CountEntry(location_code=location, code=code, batch_number=batch,
                      quantity=D(quantity) if quantity is not None else None)


def codes(exc: pytest.ExceptionInfo[ValidationFailed]) -> set[tuple[tuple[str, ...], str]]:
    return {(tuple(e.field), e.code) for e in exc.value.errors}


def test_a_full_count_posts_surplus_and_shortage_at_average_cost(env: Environment) -> None:
    with env.unit_of_work() as s:
        receive(s, "P1", "WH1/A-01", "10", "100")
        receive(s, "P2", "WH1/A-02", "5", "20")
        receive(s, "P3", "WH1/A-01", "3", "50")
        count = start_count(s, warehouse_code="WH1")
        number = count.number
        assert number == f"PD-{business_today(s):%Y%m}-0001"
        record_count(s, number=number, entries=[scan("WH1/A-01", "P1", "12"),
                                                scan("WH1/A-02", "6901234567890", "4")])
        post_count(s, number=number)
    with env.unit_of_work() as s:
        assert (on_hand(s, "P1", "WH1/A-01"), on_hand(s, "P2", "WH1/A-02"),
                on_hand(s, "P3", "WH1/A-01")) == (D(12), D(4), D(0))
        adjustment = company_location(s, "adjustment").id
        moves = {(m.product_id, m.from_location_id, m.to_location_id): (m.quantity, m.value)
                 for m in count_moves(s, number)}
        assert moves == {
            (pid(s, "P1"), adjustment, loc(s, "WH1/A-01")): (D(2), D("200.00")),
            (pid(s, "P2"), loc(s, "WH1/A-02"), adjustment): (D(1), D("20.00")),
            (pid(s, "P3"), loc(s, "WH1/A-01"), adjustment): (D(3), D("150.00")),
        }
        counted = s.scalars(select(StockCount).where(StockCount.number == number)).one()
        assert counted.state == "posted" and counted.posted_at is not None
        assert (counted.line_count, counted.accurate_line_count) == (3, 0)
        assert (counted.expected_value, counted.variance_value) == (D("1250.00"), D("30.00"))
        report = inventory_accuracy(s, warehouse_code="WH1", date_from=business_today(s),
                                    date_to=business_today(s))
        assert report is not None and report.value_accuracy == D("0.9760")
        assert report.line_accuracy == D(0)


def test_a_delivery_during_the_count_is_not_a_variance(env: Environment) -> None:
    with env.unit_of_work() as s:
        receive(s, "P1", "WH1/A-01", "10", "100")
        receive(s, "P2", "WH1/A-02", "10", "20")
        number = start_count(s, warehouse_code="WH1").number
        deliver(s, "P1", "WH1/A-01", "3")      # before the shelf is counted
        record_count(s, number=number, entries=[scan("WH1/A-01", "P1", "7"),
                                                scan("WH1/A-02", "P2", "10")])
        deliver(s, "P2", "WH1/A-02", "4")      # after the shelf was counted
        post_count(s, number=number)
    with env.unit_of_work() as s:
        assert count_moves(s, number) == []
        assert (on_hand(s, "P1", "WH1/A-01"), on_hand(s, "P2", "WH1/A-02")) == (D(7), D(6))
        lines = {r.product_id: r for r in s.scalars(select(StockCountLine))}
        assert lines[pid(s, "P1")].moved_quantity == D(-3)
        assert lines[pid(s, "P1")].variance_quantity == 0
        count = s.scalars(select(StockCount)).one()
        assert (count.line_count, count.accurate_line_count) == (2, 2)


def test_missing_and_unexpected_serial_units(env: Environment) -> None:
    with env.unit_of_work() as s:
        receive(s, "S1", "WH1/A-01", "3", "1000", ["SN-1..3"])
        first = start_count(s, warehouse_code="WH1").number
        record_count(s, number=first, entries=[scan("WH1/A-01", "SN-1"),
                                               scan("WH1/A-01", "SN-2"),
                                               scan("WH1/A-01", "SN-2")])  # twice: one unit
        post_count(s, number=first)
    with env.unit_of_work() as s:
        where = dict(s.execute(select(SerialNumber.number, SerialNumber.location_id)).all())
        assert where["SN-3"] == company_location(s, "adjustment").id
        assert on_hand(s, "S1", "WH1/A-01") == 2
        [missing] = count_moves(s, first)
        assert (missing.quantity, missing.value) == (D(1), D("1000.00"))
        second = start_count(s, warehouse_code="WH1").number
        record_count(s, number=second, entries=[scan("WH1/A-01", "SN-1"),
                                                scan("WH1/A-02", "SN-2"),   # on another shelf
                                                scan("WH1/A-01", "SN-3")])  # back again
        post_count(s, number=second)
    with env.unit_of_work() as s:
        where = dict(s.execute(select(SerialNumber.number, SerialNumber.location_id)).all())
        assert (where["SN-1"], where["SN-2"], where["SN-3"]) == (
            loc(s, "WH1/A-01"), loc(s, "WH1/A-02"), loc(s, "WH1/A-01"))
        assert (on_hand(s, "S1", "WH1/A-01"), on_hand(s, "S1", "WH1/A-02")) == (D(2), D(1))
        adjustment = company_location(s, "adjustment").id
        moves = {(m.from_location_id, m.to_location_id): m.value for m in count_moves(s, second)}
        assert moves == {(adjustment, loc(s, "WH1/A-01")): D("1000.00"),
                         (loc(s, "WH1/A-01"), loc(s, "WH1/A-02")): D("1000.00")}


def test_a_cycle_count_by_category_touches_only_that_category(env: Environment) -> None:
    with env.unit_of_work() as s:
        receive(s, "P1", "WH1/A-01", "10", "100")
        receive(s, "V1", "WH1/A-01", "4", "30")
        number = start_count(s, warehouse_code="WH1", scope="cycle",
                             category_codes=["DJ"]).number
        with pytest.raises(ValidationFailed) as refused:
            record_count(s, number=number, entries=[scan("WH1/A-01", "V1", "2")])
        assert codes(refused) == {(("entries", "0", "code"), "OUT_OF_SCOPE")}
        post_count(s, number=number)             # P1 never counted: zero
    with env.unit_of_work() as s:
        assert (on_hand(s, "P1", "WH1/A-01"), on_hand(s, "V1", "WH1/A-01")) == (D(0), D(4))


def test_a_cycle_count_may_leave_uncounted_lines_alone(env: Environment) -> None:
    with env.unit_of_work() as s:
        receive(s, "P1", "WH1/A-01", "10", "100")
        receive(s, "P2", "WH1/A-02", "5", "20")
        number = start_count(s, warehouse_code="WH1", scope="cycle",
                             location_codes=["WH1/A-01", "WH1/A-02"]).number
        record_count(s, number=number, entries=[scan("WH1/A-01", "P1", "9")])
        post_count(s, number=number, zero_uncounted=False)
    with env.unit_of_work() as s:
        assert (on_hand(s, "P1", "WH1/A-01"), on_hand(s, "P2", "WH1/A-02")) == (D(9), D(5))
        count = s.scalars(select(StockCount)).one()
        assert (count.line_count, count.accurate_line_count) == (1, 0)


def test_scanning_twice_counts_twice_and_set_replaces(env: Environment) -> None:
    with env.unit_of_work() as s:
        receive(s, "P1", "WH1/A-01", "10", "100")
        number = start_count(s, warehouse_code="WH1").number
        record_count(s, number=number, entries=[scan("WH1/A-01", "P1")])
        record_count(s, number=number, entries=[scan("WH1/A-01", "P1"),
                                                scan("WH1/A-01", "P1", "3")])
        line = s.scalars(select(StockCountLine)).one()
        assert line.counted_quantity == D(5)
        record_count(s, number=number, entries=[scan("WH1/A-01", "P1", "10")], mode="set")
        s.refresh(line)
        assert line.counted_quantity == D(10)


def test_unknown_and_out_of_scope_scans_are_field_errors(env: Environment) -> None:
    with env.unit_of_work() as s:
        create_warehouse(s, code="WH2", name="分仓")
        receive(s, "P1", "WH1/A-01", "10", "100")
        number = start_count(s, warehouse_code="WH1", scope="cycle",
                             location_codes=["WH1/A-01"]).number
        with pytest.raises(ValidationFailed) as refused:
            record_count(s, number=number, entries=[
                scan("WH1/A-01", "NOPE"), scan("WH9/X", "P1"), scan("WH1/A-02", "P1"),
                scan("WH2/STOCK", "P1"), scan("WH1/A-01", "S1"), scan("WH1/A-01", "P1", "0"),
                scan("WH1/A-01", "P1", batch="B1")])
        assert codes(refused) == {
            (("entries", "0", "code"), "UNKNOWN_CODE"),
            (("entries", "1", "locationCode"), "NOT_FOUND"),
            (("entries", "2", "locationCode"), "OUT_OF_SCOPE"),
            (("entries", "3", "locationCode"), "OUT_OF_SCOPE"),
            (("entries", "4", "code"), "SERIAL_REQUIRED"),
            (("entries", "5", "quantity"), "INVALID_QUANTITY"),
            (("entries", "6", "batchNumber"), "BATCH_NOT_TRACKED"),
        }
        with pytest.raises(ValidationFailed) as busy:
            start_count(s, warehouse_code="WH1")
        assert codes(busy) == {(("warehouseCode",), "COUNT_IN_PROGRESS")}
        with pytest.raises(ValidationFailed) as bad:
            start_count(s, warehouse_code="WH2", scope="cycle")
        assert codes(bad) == {(("scope",), "SCOPE_REQUIRED")}


def test_posting_twice_is_refused_and_cancel_frees_the_warehouse(env: Environment) -> None:
    with env.unit_of_work() as s:
        receive(s, "P1", "WH1/A-01", "10", "100")
        number = start_count(s, warehouse_code="WH1").number
        post_count(s, number=number)
        with pytest.raises(ValidationFailed) as again:
            post_count(s, number=number)
        assert codes(again) == {(("number",), "NOT_IN_PROGRESS")}
        assert on_hand(s, "P1", "WH1/A-01") == 0
        receive(s, "P1", "WH1/A-01", "5", "100")
        other = start_count(s, warehouse_code="WH1").number
        assert other.endswith("-0002")
        cancel_count(s, number=other)
        with pytest.raises(ValidationFailed):
            record_count(s, number=other, entries=[scan("WH1/A-01", "P1")])
        assert on_hand(s, "P1", "WH1/A-01") == 5
        start_count(s, warehouse_code="WH1")
