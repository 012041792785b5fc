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

from sqlalchemy import (
    Integer,
    bindparam,
    delete,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
    true,
    tuple_,
    type_coerce,
    union_all,
    update,
)
from sqlalchemy.orm import load_only

from openjxc.core.models import Money, Quantity

from ..catalog.models import Product
from ..invoicing.balances import receivable_amounts
from ..partners.models import Partner
from ..policies.models import Policy
from ..stock.models import COMPANY_LOCATIONS, Batch, Location, StockBalance, table_of
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
def lock_order_with_lines() -> Any:
    """The order ``:id``, locked, and its lines in order (``None`` for an order without
    any), all read afresh in one statement."""
    return (select(SalesOrder, SalesOrderLine)
            .outerjoin(SalesOrderLine, SalesOrderLine.order_id == SalesOrder.id)
            .where(SalesOrder.id == bindparam("id")).order_by(SalesOrderLine.position)
            .with_for_update(of=SalesOrder).execution_options(populate_existing=True))


@cache
def lock_order_to_confirm() -> Any:
    """:func:`lock_order_with_lines` with the customer's credit terms, the customer locked
    too (:func:`credit_terms` in the same statement: the order first, then its customer, as
    before), and the stored text of policy ``:policy``."""
    policy = select(Policy.value).where(Policy.key == bindparam("policy")).scalar_subquery()
    return (select(SalesOrder, SalesOrderLine, Partner.id.label("customer_id"),
                   Partner.credit_limit, Partner.credit_tolerance, policy.label("policy"))
            .join(Partner, Partner.id == SalesOrder.customer_id)
            .outerjoin(SalesOrderLine, SalesOrderLine.order_id == SalesOrder.id)
            .where(SalesOrder.id == bindparam("id")).order_by(SalesOrderLine.position)
            .with_for_update(of=(SalesOrder, Partner))
            .execution_options(populate_existing=True))


@cache
def lock_order_to_bill() -> Any:
    """Order ``:id``, locked, and its lines in order (NULLs for an order without any), as
    plain rows (what billing reads of them), with the customer and each line's product as
    objects (what invoicing reads of them: it finds them in the session instead of
    reading them again)."""
    order, line = table_of(SalesOrder), table_of(SalesOrderLine)
    return (select(order.c.id, order.c.number, order.c.state, order.c.customer_id,
                   line.c.id.label("line_id"), line.c.product_id, line.c.description,
                   line.c.unit_price, line.c.tax_rate, line.c.delivered_quantity,
                   line.c.returned_quantity, line.c.invoiced_quantity, Partner, Product)
            .join(Partner, Partner.id == order.c.customer_id)
            .outerjoin(line, line.c.order_id == order.c.id)
            .outerjoin(Product, Product.id == line.c.product_id)
            .options(load_only(Partner.code, Partner.is_customer, Partner.is_supplier,
                               Partner.currency, Partner.payment_terms_days),
                     load_only(Product.name))
            .where(order.c.id == bindparam("id")).order_by(line.c.position)
            .with_for_update(of=order).execution_options(populate_existing=True))


@cache
def lock_order_rows_to_deliver() -> Any:
    """What a delivery reads of order ``:id``, locked, as plain rows (no ORM objects: a
    delivery expires everything loaded when it posts, so they would not outlive it): the
    order, the id of the company's customer location the goods go to (NULL in a database
    from before it existed), and per line (NULLs for an order without any) its id,
    product, quantity, delivered quantity and the product's tracking."""
    order, line, product = table_of(SalesOrder), table_of(SalesOrderLine), table_of(Product)
    customer = (select(Location.id).where(Location.code == COMPANY_LOCATIONS["customer"])
                .scalar_subquery())
    return (select(order.c.id, order.c.number, order.c.state, order.c.customer_id,
                   order.c.warehouse_id, order.c.delivery_address_id,
                   customer.label("customer_location_id"), line.c.id.label("line_id"),
                   line.c.product_id, line.c.quantity, line.c.delivered_quantity,
                   product.c.tracking)
            .outerjoin(line, line.c.order_id == order.c.id)
            .outerjoin(product, product.c.id == line.c.product_id)
            .where(order.c.id == bindparam("id")).order_by(line.c.position)
            .with_for_update(of=order))


@cache
def order_lines() -> Any:
    """The lines of order ``:order_id`` in order, read afresh."""
    return (select(SalesOrderLine).where(SalesOrderLine.order_id == bindparam("order_id"))
            .order_by(SalesOrderLine.position).execution_options(populate_existing=True))


@cache
def set_order_state(delivered: bool) -> Any:
    """Order ``:oid`` delivered from: to ``:state`` (and ``:delivered_at`` when
    ``delivered``), ``unbilled``."""
    order = table_of(SalesOrder)
    # Goods were just delivered: some are not billed yet.
    values: dict[str, Any] = {"state": bindparam("state"), "unbilled": true()}
    if delivered:
        values["delivered_at"] = bindparam("delivered_at", type_=order.c.delivered_at.type)
    return update(order).where(order.c.id == bindparam("oid")).values(**values)


@cache
def open_order() -> Any:
    """Order ``:oid`` open from now on: ``:state``, confirmed at ``:at`` by ``:by``."""
    order = table_of(SalesOrder)
    return (update(order).where(order.c.id == bindparam("oid"))
            .values(state=bindparam("state"),
                    confirmed_at=bindparam("at", type_=order.c.confirmed_at.type),
                    confirmed_by_id=bindparam("by"), closed_at=None))


@cache
def add_reserved() -> Any:
    """Line ``:lid``: ``:qty`` more reserved."""
    line = table_of(SalesOrderLine)
    return (update(line).where(line.c.id == bindparam("lid"))
            .values(reserved_quantity=line.c.reserved_quantity
                    + bindparam("qty", type_=Quantity())))


@cache
def credit_terms() -> Any:
    """Customer ``:id``'s credit limit and tolerance, locked (credit checks of one customer
    take turns), with the stored text of policy ``:policy`` (NULL: its default)."""
    policy = select(Policy.value).where(Policy.key == bindparam("policy")).scalar_subquery()
    return (select(Partner.id, Partner.credit_limit, Partner.credit_tolerance,
                   policy.label("policy"))
            .where(Partner.id == bindparam("id")).with_for_update(of=Partner))


@cache
def exposure() -> Any:
    """What customer ``:customer`` owes beyond order ``:excluding``: the lines not yet
    invoiced in full of its open orders, and of its delivered or closed orders with goods
    delivered and not billed (``unbilled``: never its whole history; returned goods are
    never billed) — then one row of ``state`` ``"receivable"`` whose ``total`` is its open
    receivables (``invoicing.balances.receivable_amounts``)."""
    line = SalesOrderLine
    columns = (line.quantity, line.delivered_quantity, line.invoiced_quantity,
               line.returned_quantity, line.unit_price, line.tax_rate, line.total,
               SalesOrder.state)
    customer: Any = bindparam("customer")
    excluding: Any = bindparam("excluding")
    billed = line.invoiced_quantity + line.returned_quantity
    open_lines = (select(*columns).join(SalesOrder, SalesOrder.id == line.order_id)
                  .where(SalesOrder.customer_id == customer,
                         SalesOrder.state.in_(OPEN_ORDER_STATES),
                         SalesOrder.id != excluding, billed < line.quantity))
    unbilled_lines = (select(*columns).join(SalesOrder, SalesOrder.id == line.order_id)
                      .where(SalesOrder.customer_id == customer,
                             SalesOrder.unbilled == true(),
                             SalesOrder.state.in_((DELIVERED, CLOSED)),
                             SalesOrder.id != excluding, billed < line.delivered_quantity))
    amounts = receivable_amounts()
    nothing = null()
    receivables = select(nothing, nothing, nothing, nothing, nothing, nothing,
                         type_coerce(func.sum(amounts.c.amount), Money()),
                         literal(RECEIVABLE_ROW))
    return union_all(open_lines, unbilled_lines, receivables)


#: The ``state`` of :func:`exposure`'s row of open receivables.
RECEIVABLE_ROW = "receivable"


@cache
def mark_unbilled() -> Any:
    """Orders of lines ``:lines``: ``unbilled`` as their lines now are."""
    order, line = table_of(SalesOrder), table_of(SalesOrderLine)
    left = (select(line.c.id).where(
        line.c.order_id == order.c.id,
        line.c.delivered_quantity > line.c.invoiced_quantity + line.c.returned_quantity)
        .exists())
    orders = select(line.c.order_id).where(line.c.id.in_(bindparam("lines", expanding=True)))
    return update(order).where(order.c.id.in_(orders)).values(unbilled=left)


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
def places_and_reservations() -> Any:
    """:func:`stock_places` (rows of ``kind`` ``"place"``, same order) and the reservation
    rows of lines ``:lines`` (``kind`` ``"reserved"``, by id), in one statement."""
    nothing = null()
    places = (select(literal(PLACE_ROW).label("kind"),
                     StockBalance.product_id.label("product_id"),
                     StockBalance.location_id.label("location_id"),
                     StockBalance.batch_id.label("batch_id"),
                     type_coerce(StockBalance.quantity, Quantity()).label("quantity"),
                     type_coerce(StockBalance.reserved, Quantity()).label("reserved"),
                     Batch.expires_on.is_(None).label("no_expiry"),
                     Batch.expires_on.label("expires_on"), Batch.created_at.label("created_at"),
                     type_coerce(nothing, Integer()).label("id"),
                     type_coerce(nothing, Integer()).label("order_line_id"))
              .join(Location, Location.id == StockBalance.location_id)
              .outerjoin(Batch, Batch.id == StockBalance.batch_id)
              .where(StockBalance.product_id.in_(bindparam("products", expanding=True)),
                     StockBalance.warehouse_id == bindparam("warehouse"),
                     Location.kind == "internal", StockBalance.quantity > 0))
    reserved = (select(literal("reserved"), nothing, SalesReservation.location_id,
                       SalesReservation.batch_id, SalesReservation.quantity, nothing, nothing,
                       nothing, nothing, SalesReservation.id, SalesReservation.order_line_id)
                .where(SalesReservation.order_line_id.in_(bindparam("lines", expanding=True))))
    # A compound statement is ordered by the names of its columns (SQLite takes nothing
    # else).
    return union_all(places, reserved).order_by(*(literal_column(name) for name in (
        "kind", "product_id", "no_expiry", "expires_on", "created_at", "location_id", "id")))


#: The ``kind`` of :func:`places_and_reservations`' rows of stock.
PLACE_ROW = "place"


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
    table = table_of(SalesReservation)
    return delete(table).where(table.c.id.in_(bindparam("ids", expanding=True)))


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
    """The places of ``:keys`` (location, product, batch) holding less than other orders
    than ``:order_id`` reserve there.  What order ``:order_id`` itself still reserves does
    not count: a count or a transfer may have left a place holding less than its own
    reservation, and then it delivers what is there."""
    own = (select(func.coalesce(func.sum(SalesReservation.quantity), 0))
           .join(SalesOrderLine, SalesOrderLine.id == SalesReservation.order_line_id)
           .where(SalesOrderLine.order_id == bindparam("order_id"),
                  SalesOrderLine.product_id == StockBalance.product_id,
                  SalesReservation.location_id == StockBalance.location_id,
                  SalesReservation.batch_id == StockBalance.batch_id)
           .scalar_subquery())
    return (select(StockBalance.location_id, StockBalance.product_id, StockBalance.batch_id)
            .where(tuple_(StockBalance.location_id, StockBalance.product_id,
                          StockBalance.batch_id).in_(bindparam("keys", expanding=True)),
                   StockBalance.quantity < StockBalance.reserved - own))


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
