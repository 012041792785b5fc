"""A world for the returns tests: goods bought in, sold and delivered to customers.

``build_return_world(database_url)`` is the trading world plus

* in ``WH1/STOCK``: 10 ``PLAIN`` at 60.00, ``SER`` units ``SN001``/``SN002``/``SN003`` at
  2,000 / 2,100 / 2,200 (each its own cost), 20 ``BAT`` of batch ``B1`` at 40.00;
* ``deliver(...)`` writes a confirmed sales order for a customer and delivers it in full the
  way the sales chapter does (``sales.delivery`` moves to the customer location, the cost of
  each move on the delivery line and added to the order line's ``delivered_cost``).

``fresh_world(databases)`` hands each test its own copy of a world built once per backend
and session (a file copy on SQLite, ``CREATE DATABASE … TEMPLATE`` on PostgreSQL), so the
tests stay quick.  No test is collected from this module.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy import select
from trading_support import TradingWorld, build_trading_world

from openjxc.addons.base_jxc.invoicing.amounts import line_amounts
from openjxc.addons.base_jxc.numbering import next_document_number
from openjxc.addons.base_jxc.returns.models import ReturnLine, ReturnRequest
from openjxc.addons.base_jxc.returns.services import ReturnLineInput
from openjxc.addons.base_jxc.sales.models import (
    SalesDelivery,
    SalesDeliveryLine,
    SalesOrder,
    SalesOrderLine,
)
from openjxc.addons.base_jxc.stock.models import SerialNumber, StockMove
from openjxc.addons.base_jxc.stock.posting import MoveLine, business_today, post_moves
from openjxc.core.env import Environment
from openjxc.core.errors import ValidationFailed
from openjxc.testing.fixtures import (
    PG_ADMIN_URL,
    DatabaseFactory,
    create_pg_database,
    drop_pg_database,
    pg_url,
)

D = Decimal


@dataclass
class Sold:
    """One line to sell: product code, quantity, tax-exclusive price, serials or batch."""

    product: str
    quantity: object
    price: object
    serials: Sequence[str] = ()
    batch: str | None = None


@dataclass
class ReturnWorld(TradingWorld):
    batch_b1: int = 0
    orders: list[int] = field(default_factory=list)

    def deliver(self, customer: str, lines: Sequence[Sold], *, warehouse: str = "WH1",
                ) -> tuple[int, list[int]]:
        """A delivered sales order: ``(order id, [order line ids])``."""
        with self.uow() as session:
            today = business_today(session)
            order = SalesOrder(number=next_document_number(session, SalesOrder.number, "XS"),
                               customer_id=self.partners[customer],
                               warehouse_id=self.warehouses[warehouse], state="delivered",
                               order_date=today)
            session.add(order)
            session.flush()
            order_lines = []
            for position, sold in enumerate(lines, start=1):
                quantity, price = D(str(sold.quantity)), D(str(sold.price))
                amount, tax, total = line_amounts(quantity, price, D("0.13"))
                line = SalesOrderLine(order_id=order.id, position=position,
                                      product_id=self.products[sold.product],
                                      quantity=quantity, unit_price=price,
                                      tax_rate=D("0.13"), amount=amount, tax=tax, total=total,
                                      reserved_quantity=D(0), delivered_quantity=D(0),
                                      delivered_cost=D(0), returned_quantity=D(0),
                                      invoiced_quantity=D(0))
                session.add(line)
                order_lines.append(line)
            session.flush()
            delivery = SalesDelivery(
                number=next_document_number(session, SalesDelivery.number, "FH"),
                order_id=order.id, warehouse_id=order.warehouse_id, delivery_date=today)
            session.add(delivery)
            session.flush()
            stock = self.locations[f"{warehouse}/STOCK"]
            batches: dict[str | None, int] = {sold.batch: self.batch_b1 for sold in lines
                                              if sold.batch}
            posted = post_moves(session, [
                MoveLine(product_id=self.products[sold.product], quantity=line.quantity,
                         from_location_id=stock, to_location_id=self.locations["customer"],
                         serials=list(sold.serials),
                         batch_id=batches.get(sold.batch) if sold.batch else None)
                for sold, line in zip(lines, order_lines, strict=True)],
                origin_type="sales.delivery", origin_id=delivery.id,
                reference=delivery.number)
            for sold, line, move_id, value in zip(lines, order_lines, posted.move_ids,
                                                  posted.values, strict=True):
                session.add(SalesDeliveryLine(
                    delivery_id=delivery.id, order_line_id=line.id, product_id=line.product_id,
                    quantity=line.quantity, batch_id=batches.get(sold.batch), location_id=stock,
                    move_id=move_id, cost=value))
                line.delivered_quantity = line.quantity
                line.delivered_cost = value
            session.flush()
            self.orders.append(order.id)
            return order.id, [line.id for line in order_lines]

    def plain(self, quantity: int, order_line: int | None) -> ReturnLineInput:
        """A return line of ``quantity`` PLAIN sold on ``order_line``."""
        return ReturnLineInput(product_id=self.products["PLAIN"], quantity=D(quantity),
                               sales_order_line_id=order_line)

    # -- reading ---------------------------------------------------------------------

    @staticmethod
    def lines_in(session: Any, return_id: int) -> list[ReturnLine]:
        return list(session.scalars(select(ReturnLine).where(ReturnLine.return_id == return_id)
                                    .order_by(ReturnLine.position)))

    def order_line(self, line_id: int) -> SalesOrderLine:
        with self.uow(readonly=True) as session:
            line = session.get(SalesOrderLine, line_id)
            assert line is not None
            session.expunge(line)
            return line

    def request(self, return_id: int) -> ReturnRequest:
        with self.uow(readonly=True) as session:
            request = session.get(ReturnRequest, return_id)
            assert request is not None
            session.expunge(request)
            return request

    def lines(self, return_id: int) -> list[ReturnLine]:
        with self.uow(readonly=True) as session:
            found = list(session.scalars(select(ReturnLine)
                                         .where(ReturnLine.return_id == return_id)
                                         .order_by(ReturnLine.position)))
            session.expunge_all()
            return found

    def serial(self, number: str, product: str = "SER") -> SerialNumber:
        with self.uow(readonly=True) as session:
            serial = session.scalar(select(SerialNumber).where(
                SerialNumber.product_id == self.products[product],
                SerialNumber.number == number))
            assert serial is not None
            session.expunge(serial)
            return serial

    def moves_of(self, origin_type: str, origin_id: int) -> list[StockMove]:
        with self.uow(readonly=True) as session:
            found = list(session.scalars(select(StockMove).where(
                StockMove.origin_type == origin_type, StockMove.origin_id == origin_id)
                .order_by(StockMove.id)))
            session.expunge_all()
            return found

    def run(self, action: Any) -> Any:
        """``action(session)`` in its own unit of work."""
        with self.uow() as session:
            return action(session)

    def refusal(self, action: Any) -> list[tuple[str, tuple[str, ...]]]:
        """``(code, field)`` of each error of an action that must be refused; the unit of
        work then commits, so whatever the refusal left behind would be kept."""
        with self.uow() as session:
            try:
                with session.begin_nested():
                    action(session)
            except ValidationFailed as exc:
                return [(e.code, e.field) for e in exc.errors]
        raise AssertionError("the action was accepted")


def build_return_world(database_url: str) -> ReturnWorld:
    trading = build_trading_world(database_url)
    world = ReturnWorld(trading.env, products=trading.products,
                        warehouses=trading.warehouses, locations=trading.locations,
                        partners=trading.partners)
    supplier, stock = world.locations["supplier"], world.locations["WH1/STOCK"]
    with world.uow() as session:
        post_moves(session, [
            MoveLine(product_id=world.products["PLAIN"], quantity=D(10),
                     from_location_id=supplier, to_location_id=stock, unit_cost=D(60)),
            MoveLine(product_id=world.products["SER"], quantity=D(1), from_location_id=supplier,
                     to_location_id=stock, unit_cost=D(2000), serials=["SN001"]),
            MoveLine(product_id=world.products["SER"], quantity=D(1), from_location_id=supplier,
                     to_location_id=stock, unit_cost=D(2100), serials=["SN002"]),
            MoveLine(product_id=world.products["SER"], quantity=D(1), from_location_id=supplier,
                     to_location_id=stock, unit_cost=D(2200), serials=["SN003"]),
            MoveLine(product_id=world.products["BAT"], quantity=D(20),
                     from_location_id=supplier, to_location_id=stock, unit_cost=D(40),
                     batch_number="B1")], origin_type="purchase.receipt")
    world.batch_b1 = world.batch_id("BAT", "B1")
    return world


_TEMPLATES: dict[str, tuple[str, ReturnWorld]] = {}


def fresh_world(databases: DatabaseFactory) -> ReturnWorld:
    """A copy of the return world in a new database of ``databases``' backend."""
    backend = databases.backend
    if backend not in _TEMPLATES:
        if backend == "sqlite":
            folder = tempfile.mkdtemp(prefix="openjxc_returns_")
            atexit.register(shutil.rmtree, folder, ignore_errors=True)
            template_url = f"sqlite:///{folder}/template.sqlite"
        else:
            name = create_pg_database()
            atexit.register(drop_pg_database, name)
            template_url = pg_url(name)
        template = build_return_world(template_url)
        template.env.database.dispose()
        _TEMPLATES[backend] = (template_url, template)
    template_url, template = _TEMPLATES[backend]
    url = databases.new()
    if backend == "sqlite":
        shutil.copyfile(template_url.removeprefix("sqlite:///"), url.removeprefix("sqlite:///"))
    else:
        name, source = url.rsplit("/", 1)[1], template_url.rsplit("/", 1)[1]
        admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
            for attempt in range(20):
                try:
                    conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                        sql.Identifier(name), sql.Identifier(source)))
                    break
                except psycopg.errors.ObjectInUse:  # autovacuum visiting the template
                    if attempt == 19:
                        raise
                    time.sleep(0.25)
    return ReturnWorld(Environment.for_edition("basic", database_url=url),
                       products=template.products, warehouses=template.warehouses,
                       locations=template.locations, partners=template.partners,
                       batch_b1=template.batch_b1)
