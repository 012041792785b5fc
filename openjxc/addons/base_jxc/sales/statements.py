"""The statements an order runs on its way (confirm, deliver, invoice), built once.

Building a SQLAlchemy statement and its cache key costs far more than running it on an
index; these are built on first use, with bound parameters (lists are ``expanding``), and
reused, so confirming, delivering and invoicing an order spends its time in the database.
Each function returns the same statement object every time (``functools.cache``); they are
the same for every edition, so sharing them is safe.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, delete, insert, select, tuple_, type_coerce, update

from openjxc.core.models import Money, Quantity

from ..catalog.models import Product
from ..partners.models import Partner
from ..stock.models import Batch, Location, StockBalance, table_of
from .models import (
    CLOSED,
    DELIVERED,
    OPEN_ORDER_STATES,
    SalesDeliveryLine,
    SalesOrder,
    SalesOrderLine,
    SalesReservation,
)


@cache
def lock_order() -> Any:
    """The order ``:id``, locked, read afresh."""
    return (select(SalesOrder).where(SalesOrder.id == bindparam("id")).with_for_update()
            .execution_options(populate_existing=True))


@cache
def order_lines() -> Any:
    """The lines of order ``:order_id`` in order, read afresh."""
    return (select(SalesOrderLine).where(SalesOrderLine.order_id == bindparam("order_id"))
            .order_by(SalesOrderLine.position).execution_options(populate_existing=True))


@cache
def set_order_state(delivered: bool) -> Any:
    """Order ``:id`` to ``:state`` (and ``:delivered_at`` when ``delivered``)."""
    order = table_of(SalesOrder)
    values: dict[str, Any] = {"state": bindparam("state")}
    if delivered:
        values["delivered_at"] = bindparam("delivered_at", type_=order.c.delivered_at.type)
    return update(order).where(order.c.id == bindparam("oid")).values(**values)


@cache
def lock_customer() -> Any:
    return (select(Partner).where(Partner.id == bindparam("id")).with_for_update()
            .execution_options(populate_existing=True))


@cache
def open_order_lines() -> Any:
    """What customer ``:customer`` still owes on orders other than ``:excluding``: lines of
    open orders, and of delivered or closed ones, not yet invoiced in full (returned
    goods are never billed)."""
    line = SalesOrderLine
    billable = case((SalesOrder.state.in_(OPEN_ORDER_STATES), line.quantity),
                    else_=line.delivered_quantity)
    return (select(line.quantity, line.delivered_quantity, line.invoiced_quantity,
                   line.returned_quantity, line.unit_price, line.tax_rate, line.total,
                   SalesOrder.state)
            .join(SalesOrder, SalesOrder.id == line.order_id)
            .where(SalesOrder.customer_id == bindparam("customer"),
                   SalesOrder.state.in_((*OPEN_ORDER_STATES, DELIVERED, CLOSED)),
                   SalesOrder.id != bindparam("excluding"),
                   line.invoiced_quantity + line.returned_quantity < billable))


@cache
def stock_places() -> Any:
    """Stock of ``:products`` in the sellable locations of warehouse ``:warehouse``, in
    FEFO order (earliest expiry, oldest batch, location)."""
    return (select(StockBalance.product_id, StockBalance.location_id, StockBalance.batch_id,
                   type_coerce(StockBalance.quantity, Quantity()).label("quantity"),
                   type_coerce(StockBalance.reserved, Quantity()).label("reserved"),
                   Batch.expires_on)
            .join(Location, Location.id == StockBalance.location_id)
            .outerjoin(Batch, Batch.id == StockBalance.batch_id)
            .where(StockBalance.product_id.in_(bindparam("products", expanding=True)),
                   StockBalance.warehouse_id == bindparam("warehouse"),
                   Location.kind == "internal", StockBalance.quantity > 0)
            .order_by(StockBalance.product_id, Batch.expires_on.is_(None), Batch.expires_on,
                      Batch.created_at, StockBalance.location_id))


@cache
def reservations_of() -> Any:
    return (select(SalesReservation)
            .where(SalesReservation.order_line_id.in_(bindparam("lines", expanding=True)))
            .order_by(SalesReservation.id))


@cache
def insert_reservations() -> Any:
    return insert(table_of(SalesReservation))


@cache
def delete_reservations() -> Any:
    return (delete(SalesReservation)
            .where(SalesReservation.id.in_(bindparam("ids", expanding=True)))
            .execution_options(synchronize_session=False))


@cache
def set_reservation_quantity() -> Any:
    table = table_of(SalesReservation)
    return (update(table).where(table.c.id == bindparam("rid"))
            .values(quantity=bindparam("left", type_=Quantity())))


@cache
def product_tracking() -> Any:
    return (select(Product.id, Product.tracking)
            .where(Product.id.in_(bindparam("products", expanding=True))))


@cache
def over_reserved() -> Any:
    """The places of ``:keys`` (location, product, batch) holding less than is reserved."""
    return (select(StockBalance.location_id, StockBalance.product_id, StockBalance.batch_id)
            .where(tuple_(StockBalance.location_id, StockBalance.product_id,
                          StockBalance.batch_id).in_(bindparam("keys", expanding=True)),
                   StockBalance.quantity < StockBalance.reserved))


@cache
def insert_delivery_lines() -> Any:
    return insert(table_of(SalesDeliveryLine))


@cache
def add_delivered() -> Any:
    """Line ``:lid``: ``:qty`` more delivered at ``:cost``, ``:released`` less reserved."""
    line = table_of(SalesOrderLine)
    return (update(line).where(line.c.id == bindparam("lid"))
            .values(delivered_quantity=line.c.delivered_quantity
                    + bindparam("qty", type_=Quantity()),
                    delivered_cost=line.c.delivered_cost + bindparam("cost", type_=Money()),
                    reserved_quantity=line.c.reserved_quantity
                    - bindparam("released", type_=Quantity())))


@cache
def billed_lines() -> Any:
    """The lines ``:ids`` with what invoicing needs to check, and their customer."""
    return (select(SalesOrderLine.id, SalesOrderLine.delivered_quantity,
                   SalesOrderLine.returned_quantity, SalesOrderLine.invoiced_quantity,
                   SalesOrder.customer_id)
            .join(SalesOrder, SalesOrder.id == SalesOrderLine.order_id)
            .where(SalesOrderLine.id.in_(bindparam("ids", expanding=True))))


@cache
def add_invoiced() -> Any:
    """Line ``:lid``: ``:q`` more invoiced, guarded: never below zero, never beyond what
    was delivered net of returns."""
    line = table_of(SalesOrderLine)
    new = line.c.invoiced_quantity + bindparam("q", type_=Quantity())
    return (update(line).where(line.c.id == bindparam("lid"), new >= 0,
                               new <= line.c.delivered_quantity - line.c.returned_quantity)
            .values(invoiced_quantity=new))
