"""Found by the trade invariant machine: a count or a transfer may leave a place holding
less than an order reserved there.  The order then delivers what is there — its own
reservation is its to take — and never what other orders reserve."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal as D

import pytest
from invariants_trade_support import TradeWorld, build_trade_world
from sqlalchemy import select

from openjxc.addons.base_jxc.counts.posting import post_count
from openjxc.addons.base_jxc.counts.recording import CountEntry, record_count
from openjxc.addons.base_jxc.counts.services import start_count
from openjxc.addons.base_jxc.sales.confirmation import confirm_sales_order
from openjxc.addons.base_jxc.sales.delivery import DeliveryLineInput, deliver_sales_order
from openjxc.addons.base_jxc.sales.lines import SalesLineInput
from openjxc.addons.base_jxc.sales.orders import create_sales_order, order_lines
from openjxc.addons.base_jxc.stock.models import Location, StockBalance
from openjxc.addons.base_jxc.transfers.services import (
    TransferInput,
    TransferLineInput,
    create_transfer,
    ship_transfer,
)
from openjxc.core.errors import ValidationFailed
from openjxc.testing.fixtures import DatabaseFactory


@pytest.fixture
def world(databases: DatabaseFactory) -> Iterator[TradeWorld]:
    world = build_trade_world(databases.new())
    yield world
    world.env.database.dispose()


def _order(world: TradeWorld, customer: str, **quantities: int) -> tuple[int, list[int]]:
    with world.uow() as session:
        order = create_sales_order(
            session, customer_id=world.ids[customer], warehouse_id=world.ids["WH1"],
            lines=[SalesLineInput(product_id=world.ids[code], quantity=D(n))
                   for code, n in quantities.items()])
        confirm_sales_order(session, order.id, user_id=world.ids["boss"])
        return order.id, [line.id for line in order_lines(session, order.id)]


def _count(world: TradeWorld, code: str, found: int) -> None:
    with world.uow() as session:
        count = start_count(session, warehouse_code="WH1", scope="cycle",
                            location_codes=["WH1/STOCK"], product_codes=[code])
        record_count(session, number=count.number, mode="set", entries=[
            CountEntry(location_code="WH1/STOCK", code=code, quantity=D(found))])
        post_count(session, number=count.number)


def _deliver(world: TradeWorld, order_id: int, line_id: int, quantity: int) -> set[str]:
    try:
        with world.uow() as session:
            deliver_sales_order(session, order_id, lines=[
                DeliveryLineInput(order_line_id=line_id, quantity=D(quantity))])
    except ValidationFailed as exc:
        return {e.code for e in exc.errors}
    return set()


def _stock(world: TradeWorld, code: str) -> tuple[D, D]:
    with world.uow(readonly=True) as session:
        quantity, reserved = session.execute(
            select(StockBalance.quantity, StockBalance.reserved)
            .join(Location, Location.id == StockBalance.location_id)
            .where(Location.code == "WH1/STOCK",
                   StockBalance.product_id == world.ids[code])).one()
        return quantity, reserved


def test_an_order_delivers_its_own_reservation_after_a_count_found_less(
        world: TradeWorld) -> None:
    on_hand, _reserved = _stock(world, "PLAIN")  # 30, the bin under it empty
    order_id, (line,) = _order(world, "C3", PLAIN=int(on_hand) - 5)
    _count(world, "PLAIN", int(on_hand) - 10)  # five units of the reservation are gone
    assert _deliver(world, order_id, line, 2) == set()
    assert _stock(world, "PLAIN") == (on_hand - 12, on_hand - 7)
    # what is there, not more: the last of the place, then nothing
    assert _deliver(world, order_id, line, int(on_hand) - 11) == {"INSUFFICIENT_STOCK"}
    assert _deliver(world, order_id, line, int(on_hand) - 12) == set()
    assert _stock(world, "PLAIN")[0] == 0


def test_what_other_orders_reserve_stays_out_of_reach(world: TradeWorld) -> None:
    on_hand, _reserved = _stock(world, "PLAIN")  # 30, the bin under it empty
    first, (first_line,) = _order(world, "C3", PLAIN=10)
    second, (second_line,) = _order(world, "C3", PLAIN=int(on_hand) - 10)
    _count(world, "PLAIN", int(on_hand) - 4)  # 4 short: the place holds less than both reserve
    # each order may take what is there less what the other reserves
    assert _deliver(world, first, first_line, 7) == {"INSUFFICIENT_STOCK"}
    assert _deliver(world, first, first_line, 6) == set()
    assert _deliver(world, first, first_line, 1) == {"INSUFFICIENT_STOCK"}
    assert _stock(world, "PLAIN") == (on_hand - 10, on_hand - 6)  # the first still holds 4
    assert _deliver(world, second, second_line, int(on_hand) - 13) == {"INSUFFICIENT_STOCK"}
    assert _deliver(world, second, second_line, int(on_hand) - 14) == set()
    assert _stock(world, "PLAIN") == (D(4), D(8))


def test_serial_units_moved_away_leave_the_order_the_ones_still_there(
        world: TradeWorld) -> None:
    order_id, (line,) = _order(world, "C3", SER=4)  # the four units of WH1/STOCK
    with world.uow() as session:
        transfer = create_transfer(session, TransferInput(
            from_warehouse_code="WH1", to_warehouse_code="WH2", lines=[TransferLineInput(
                product_code="SER", quantity=D(3), serials=["YE3-01", "YE3-02", "YE3-03"])]))
        ship_transfer(session, transfer.id)
    assert _deliver(world, order_id, line, 1) == set()  # YE3-04, still in WH1/STOCK
    assert _deliver(world, order_id, line, 2) == set()  # the free units of WH1/A-01
    assert _deliver(world, order_id, line, 1) == {"INSUFFICIENT_STOCK"}
