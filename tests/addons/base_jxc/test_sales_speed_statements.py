"""Selling at speed: an order costs the same statements whatever the customer's history, the
credit check reads only the orders that still count, and the shortcuts taken for speed keep
their promises (all-or-nothing reservations, numbers skipped when taken, refused invoices
forgotten)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from alembic import command
from sqlalchemy import select, update
from stock_support import D, StatementCounter
from test_sales_support import SalesWorld, sales

from openjxc.addons.base_jxc.invoicing.models import Invoice
from openjxc.addons.base_jxc.invoicing.services import InvoiceLineInput, create_invoice
from openjxc.addons.base_jxc.sales import services
from openjxc.addons.base_jxc.sales.credit import check_credit
from openjxc.addons.base_jxc.sales.delivery import NUMBER_PREFIX as DELIVERY_PREFIX
from openjxc.addons.base_jxc.sales.models import SalesDelivery, SalesOrder
from openjxc.addons.base_jxc.sales.orders import order_lines
from openjxc.addons.base_jxc.stock.models import StockBalance
from openjxc.addons.base_jxc.stock.reservations import reserve_many
from openjxc.core.errors import ValidationFailed
from openjxc.core.migrate import alembic_config, schema_change

__all__ = ["sales"]

#: Statements of one confirm + deliver + invoice of a two-line order (transaction control
#: not counted): fewer is welcome, more is a regression to look at.
MOST_STATEMENTS = 30


def sell(sales: SalesWorld, customer: str = "C1") -> int:
    """A two-line order (a plain product and a batch-tracked one), confirmed, delivered
    and invoiced, each step in its own unit of work; the statements it took."""
    order_id = sales.order(("PLAIN", 2), ("BAT", 1), customer=customer)
    steps: list[Callable[[Any], Any]] = [
        lambda s: services.confirm_sales_order(s, order_id, user_id=1),
        lambda s: services.deliver_sales_order(s, order_id, user_id=1),
        lambda s: services.invoice_sales_order(s, order_id, user_id=1),
    ]
    count = 0
    for step in steps:
        with sales.uow() as session:
            session.connection()  # BEGIN is not counted
            with StatementCounter(sales.env.database.engine) as counter:
                step(session)
            count += len(counter)
    assert sales.order_row(order_id).state == "delivered"
    return count


def test_the_20th_order_of_a_customer_costs_what_the_first_did(sales: SalesWorld) -> None:
    """Neither the credit check (open receivables, open and unbilled orders) nor anything
    else reads more statements as a customer's orders and invoices pile up."""
    sales.set_credit("C1", "1000000")
    sell(sales, "C2")  # the month's first numbers start their sequences (two more reads)
    first = sell(sales)
    for _ in range(18):
        sell(sales)
    twentieth = sell(sales)
    assert first == twentieth
    assert twentieth <= MOST_STATEMENTS


def unbilled(sales: SalesWorld, order_id: int) -> bool:
    return sales.order_row(order_id).unbilled


def test_an_order_counts_as_unbilled_exactly_while_delivered_goods_wait_for_billing(
        sales: SalesWorld) -> None:
    """``unbilled`` follows the lines: set by a delivery, cleared by the invoice that bills
    the last delivered unit, set again by a credit note taking some back."""
    order_id = sales.order(("PLAIN", 5, "100"))
    assert sales.confirm(order_id) == "confirmed" and not unbilled(sales, order_id)
    line = sales.line_ids(order_id)[0]
    sales.call(services.deliver_sales_order, order_id,
               lines=[services.DeliveryLineInput(line, D(3))])
    assert unbilled(sales, order_id)
    sales.call(services.invoice_sales_order, order_id,
               lines=[services.InvoiceQuantityInput(line, D(2))])
    assert unbilled(sales, order_id)  # one delivered unit is not billed yet
    sales.call(services.invoice_sales_order, order_id)
    assert not unbilled(sales, order_id)
    with sales.uow() as session:  # a credit note takes one unit back: owed again
        create_invoice(session, partner_id=sales.world.partners["C1"],
                       direction="receivable", kind="credit_note",
                       lines=[InvoiceLineInput(product_id=sales.world.products["PLAIN"],
                                               description="", quantity=D(1),
                                               unit_price=D(100), tax_rate=D("0.13"),
                                               source_type="SalesOrderLine", source_id=line)])
    assert unbilled(sales, order_id)
    sales.call(services.record_return, line, D(1), D(60))  # the unit came back instead
    assert not unbilled(sales, order_id)


def test_an_invoiced_history_is_not_counted_and_a_forgotten_flag_would_show(
        sales: SalesWorld) -> None:
    """Orders billed in full stay out of the exposure; a delivered order still to bill is
    found through its ``unbilled`` flag — the credit check reads nothing else of the
    customer's delivered or closed orders."""
    sales.set_credit("C1", "1000000")
    billed = sales.order(("PLAIN", 1, "100"))
    waiting = sales.order(("PLAIN", 2, "100"))
    for order_id in (billed, waiting):
        sales.confirm(order_id)
        sales.call(services.deliver_sales_order, order_id)
    sales.call(services.invoice_sales_order, billed)
    probe = sales.order(("PLAIN", 1, "100"))

    def open_orders() -> Any:
        with sales.uow() as session:
            order = session.get(SalesOrder, probe)
            assert order is not None
            return check_credit(session, order, order_lines(session, probe))

    figures = open_orders()
    assert (figures.open_receivables, figures.open_orders) == (D("113.00"), D("226.00"))
    with sales.uow() as session:  # the flag is what the check reads
        session.execute(update(SalesOrder).where(SalesOrder.id == waiting)
                        .values(unbilled=False))
    assert open_orders().open_orders == D(0)


def test_reserving_many_places_is_all_or_nothing(sales: SalesWorld) -> None:
    """One statement reserves every place; when one of them is short, what the others
    took is given back, and a place named twice must hold the sum."""
    w = sales.world
    plain, bat = w.products["PLAIN"], w.products["BAT"]
    stock = w.locations["WH1/STOCK"]
    with sales.uow() as session:
        batch = session.scalar(select(StockBalance.batch_id).where(
            StockBalance.product_id == bat, StockBalance.location_id == stock,
            StockBalance.batch_id != 0).order_by(StockBalance.batch_id).limit(1))
        assert batch is not None
        assert not reserve_many(session, [(plain, stock, 0, D(60)), (plain, stock, 0, D(41))])
        assert not reserve_many(session, [(plain, stock, 0, D(10)), (bat, stock, batch, D(999))])
    assert (sales.reserved("WH1/STOCK", "PLAIN"), sales.reserved("WH1/STOCK", "BAT", batch)) \
        == (D(0), D(0))
    with sales.uow() as session:
        assert reserve_many(session, [(plain, stock, 0, D("60.5")), (plain, stock, 0, D(39)),
                                      (bat, stock, batch, D(2))])
    assert (sales.reserved("WH1/STOCK", "PLAIN"), sales.reserved("WH1/STOCK", "BAT", batch)) \
        == (D("99.5"), D(2))


def test_a_delivery_skips_a_number_someone_else_holds(sales: SalesWorld) -> None:
    """A delivery number already taken (an imported document) is skipped, not a failure."""
    first = sales.order(("PLAIN", 1))
    second = sales.order(("PLAIN", 1))
    for order_id in (first, second):
        sales.confirm(order_id)
    number = sales.call(services.deliver_sales_order, first).number
    stem, last = number.rsplit("-", 1)
    taken = f"{stem}-{int(last) + 1:04d}"
    with sales.uow() as session:  # someone entered the next number by hand
        order = session.get(SalesOrder, first)
        assert order is not None
        session.add(SalesDelivery(number=taken, order_id=first,
                                  warehouse_id=order.warehouse_id,
                                  delivery_date=order.order_date))
    delivery = sales.call(services.deliver_sales_order, second)
    assert delivery.number == f"{stem}-{int(last) + 2:04d}"
    assert delivery.number.startswith(f"{DELIVERY_PREFIX}-")


def test_a_refused_invoice_leaves_nothing_behind_in_the_session(sales: SalesWorld) -> None:
    """An invoice refused by a listener (over-invoiced) is forgotten by the session too:
    the next invoice in the same unit of work posts normally."""
    order_id = sales.order(("PLAIN", 2, "100"))
    sales.confirm(order_id)
    sales.call(services.deliver_sales_order, order_id)
    line = sales.line_ids(order_id)[0]

    def bill(session: Any, quantity: int) -> Invoice:
        return create_invoice(session, partner_id=sales.world.partners["C1"],
                              direction="receivable",
                              lines=[InvoiceLineInput(
                                  product_id=sales.world.products["PLAIN"], description="",
                                  quantity=D(quantity), unit_price=D(100),
                                  tax_rate=D("0.13"), source_type="SalesOrderLine",
                                  source_id=line)])

    with sales.uow() as session:
        try:
            bill(session, 3)
        except ValidationFailed as exc:
            assert [e.code for e in exc.errors] == ["OVER_INVOICED"]
        else:
            raise AssertionError("three of two delivered were invoiced")
        invoice = bill(session, 2)
        assert invoice.amount_total == D("226.00")
    with sales.uow() as session:
        rows = session.execute(select(Invoice.id, Invoice.amount_total)).all()
    assert [(r.id, r.amount_total) for r in rows] == [(invoice.id, D("226.00"))]


def test_the_migration_back_fills_unbilled_from_the_lines(sales: SalesWorld) -> None:
    """An existing database gets ``unbilled`` as the services keep it: set for an order
    with delivered goods not billed, clear for one billed in full or not delivered."""
    orders = [sales.order(("PLAIN", 2, "100")) for _ in range(3)]
    for order_id in orders:
        sales.confirm(order_id)
    for order_id in orders[:2]:
        sales.call(services.deliver_sales_order, order_id)
    sales.call(services.invoice_sales_order, orders[0])
    kept = [unbilled(sales, order_id) for order_id in orders]
    assert kept == [False, True, False]
    env = sales.env
    with env.database.engine.connect() as connection, schema_change(connection):
        config = alembic_config(env, connection)
        command.downgrade(config, "base_jxc_0015")
        command.upgrade(config, "base_jxc@head")
    assert [unbilled(sales, order_id) for order_id in orders] == kept
