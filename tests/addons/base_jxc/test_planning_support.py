"""Shared set-up of the planning tests: the trading world, and sales written to the ledger
the way the sales and returns chapters post them (``sales.delivery`` out to the customer
location, ``sales.return`` back into quarantine)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import insert, select
from trading_support import TradingWorld, build_trading_world

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.addons.base_jxc.partners.services import PartnerInput, create_partner
from openjxc.addons.base_jxc.purchase.models import PurchaseOrder
from openjxc.addons.base_jxc.purchase.services import (
    PurchaseLineInput,
    ReceiptLineInput,
    approve_purchase_order,
    cancel_purchase_order,
    create_purchase_order,
    order_lines,
    receive_purchase_order,
)
from openjxc.addons.base_jxc.stock.models import StockMove
from openjxc.addons.base_jxc.stock.reservations import reserve
from openjxc.graphql import to_global_id

__all__ = ["world"]

#: The as-of date of the suggestion tests.
AS_OF = date(2026, 3, 31)


@pytest.fixture
def world(database_url: str) -> Iterator[TradingWorld]:
    world = build_trading_world(database_url)
    yield world
    world.env.database.dispose()


def month_date(start: date, offset: int, day: int = 10) -> date:
    """The ``day`` of the month ``offset`` months after ``start``'s."""
    index = start.year * 12 + start.month - 1 + offset
    return date(index // 12, index % 12 + 1, day)


def sell(world: TradingWorld, product: str, quantity: object, day: date,
         warehouse: str = "WH2") -> list[int]:
    """A delivery to a customer on ``day``; the move ids."""
    return world.post(world.line(product, quantity, f"{warehouse}/STOCK", "customer"),
                      move_date=day, origin_type="sales.delivery", reference="FH-TEST"
                      ).move_ids


def take_back(world: TradingWorld, product: str, quantity: object, day: date,
              warehouse: str = "WH2") -> list[int]:
    """A customer return into quarantine on ``day``."""
    return world.post(world.line(product, quantity, "customer", f"{warehouse}/QUARANTINE",
                                 unit_cost=Decimal("1")),
                      move_date=day, origin_type="sales.return", reference="TH-TEST").move_ids


def sell_series(world: TradingWorld, product: str, series: Sequence[object], start: date,
                warehouse: str = "WH2") -> None:
    """One delivery a month from ``start`` on, of each quantity of ``series`` (0: none).

    Written straight into the ledger as the stock engine writes delivery moves (the
    forecast reads only the moves), in one statement: years of history stay quick."""
    source, target = world.locations[f"{warehouse}/STOCK"], world.locations["customer"]
    rows = [dict(move_date=month_date(start, offset), product_id=world.products[product],
                 from_location_id=source, to_location_id=target, batch_id=0,
                 quantity=Decimal(str(quantity)), unit_cost=Decimal(0), value=Decimal(0),
                 origin_type="sales.delivery", reference="FH-TEST")
            for offset, quantity in enumerate(series) if Decimal(str(quantity)) > 0]
    with world.uow() as session:
        session.execute(insert(StockMove), rows)


def receive(world: TradingWorld, product: str, quantity: object, location: str,
            day: date | None = None) -> None:
    world.post(world.line(product, quantity, "supplier", location, unit_cost=Decimal("10")),
               move_date=day, origin_type="purchase.receipt")


def order(world: TradingWorld, supplier: str, lines: Sequence[tuple[str, object, object]],
          *, warehouse: str = "WH1", approve: bool = True, order_date: date | None = None,
          expected: date | None = None, line_expected: date | None = None) -> int:
    """A purchase order of ``(product, quantity, unit price)`` lines; approved unless told
    (by two users when its total needs it); the order id."""
    with world.uow() as session:
        made = create_purchase_order(
            session, supplier_id=world.partners[supplier],
            warehouse_id=world.warehouses[warehouse],
            lines=[PurchaseLineInput(product_id=world.products[p], quantity=Decimal(str(q)),
                                     unit_price=Decimal(str(price)),
                                     expected_date=line_expected)
                   for p, q, price in lines], expected_date=expected, user_id=1)
        if order_date is not None:
            made.order_date = order_date
        if approve:
            for user in range(1, made.approvals_required + 1):
                approve_purchase_order(session, made.id, user_id=user)
        return made.id


def receive_order(world: TradingWorld, order_id: int, arrivals: Sequence[tuple[int, object,
                                                                               object]],
                  day: date) -> None:
    """Receive ``(line position, quantity arrived, quantity rejected)`` on ``day``."""
    with world.uow() as session:
        made = session.get_one(PurchaseOrder, order_id)
        lines = order_lines(session, [made.id])[made.id]
        receive_purchase_order(session, made.id, receipt_date=day, user_id=1, lines=[
            ReceiptLineInput(order_line_id=lines[position - 1].id,
                             quantity=Decimal(str(quantity)),
                             rejected_quantity=Decimal(str(rejected)),
                             reject_reason="damaged" if Decimal(str(rejected)) else "")
            for position, quantity, rejected in arrivals])


def setup_products(world: TradingWorld, **values: dict[str, object]) -> None:
    with world.uow() as session:
        for code, fields in values.items():
            product = session.scalars(select(Product).where(Product.code == code)).one()
            for name, value in fields.items():
                setattr(product, name, value)


def build_shop(world: TradingWorld) -> None:
    """WH1 as in ``test_planning_suggestions``: PLAIN (safety 50.5, lead time 30 days, default
    supplier S1) sold 30 a month Dec–Feb, 45 on hand, 5 reserved, 20 incoming from S2, a draft
    of 11 and a cancelled order; PLAIN2 (safety 5, last bought from S2 at 140); SER (safety
    2, its default supplier S3 is inactive); one SER2 unit; S1's last PLAIN price 58.50."""
    with world.uow() as session:
        create_partner(session, PartnerInput(code="S3", name="停业供应商", is_customer=False,
                                             is_supplier=True)).active = False
        world.partners = dict(session.execute(select(Partner.code, Partner.id)).all())
    setup_products(
        world,
        PLAIN={"safety_stock": Decimal("50.5"), "lead_time_days": 30,
               "default_supplier_id": world.partners["S1"]},
        PLAIN2={"safety_stock": Decimal(5), "lead_time_days": 10},
        SER={"safety_stock": Decimal(2), "default_supplier_id": world.partners["S3"]})
    receive(world, "PLAIN", 100, "WH1/STOCK", date(2025, 11, 1))
    receive(world, "PLAIN", 20, "WH1/A-01", date(2025, 11, 1))
    receive(world, "PLAIN", 7, "WH1/QUARANTINE", date(2025, 11, 1))
    for month in (12, 1, 2):
        sell(world, "PLAIN", 30, date(2025 if month == 12 else 2026, month, 5), "WH1")
    world.post(world.line("SER2", 1, "supplier", "WH1/STOCK", serials=["S2-0001"],
                          unit_cost=Decimal(3000)))
    with world.uow() as session:
        reserve(session, product_id=world.products["PLAIN"],
                location_id=world.locations["WH1/STOCK"], quantity=Decimal(5))
    # PLAIN2 was last bought from S2 (after CS); S1's last PLAIN price is 58.50.
    order(world, "CS", [("PLAIN2", 1, "150")], warehouse="WH2", order_date=date(2025, 9, 1))
    order(world, "S2", [("PLAIN2", 2, "140"), ("PLAIN", 1, "57")], warehouse="WH2",
          order_date=date(2025, 10, 1))
    order(world, "S1", [("PLAIN", 1, "58.5")], warehouse="WH2", order_date=date(2025, 10, 2))
    # Incoming to WH1: 40 ordered from S2, 15 accepted and 5 rejected → 20 open.
    incoming = order(world, "S2", [("PLAIN", 40, "55")])
    receive_order(world, incoming, [(1, 20, 5)], date(2026, 3, 1))
    order(world, "S2", [("PLAIN", 11, "55")], approve=False)                  # a draft
    cancelled = order(world, "S2", [("PLAIN", 13, "99")], order_date=date(2026, 3, 30))
    with world.uow() as session:
        cancel_purchase_order(session, cancelled, reason="test", user_id=1)


def gid(type_name: str, pk: int) -> str:
    return to_global_id(type_name, pk)
