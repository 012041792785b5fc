"""Demo sales: quotations and orders in every state, made through the services.

:func:`load_sales` runs on a database that has customers, products and stock (the demo
dealer after its stock history, or a test world): a quotation sent, one expired, one
rejected and one accepted (its order a draft); orders confirmed, waiting for a credit
approval, approved, partly delivered, delivered and invoiced, closed and cancelled.
Everything is drawn from ``rng``, so every run tells the same story.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..catalog.models import Product
from ..partners.models import Partner
from ..stock.models import Location, StockBalance, Warehouse
from ..stock.posting import business_today
from .billing import invoice_sales_order
from .confirmation import (
    approve_sales_order,
    cancel_sales_order,
    close_sales_order,
    confirm_sales_order,
)
from .delivery import DeliveryLineInput, deliver_sales_order
from .lines import SalesLineInput
from .orders import create_sales_order, order_lines
from .quotations import convert_quotation, create_quotation, reject_quotation, send_quotation

#: Units of each product on a demo line: small, so the stock of the history suffices.
MOST = 3


def _stocked(session: Session) -> tuple[int, list[int]]:
    """The warehouse with the most products in stock, and those products (untracked or
    batch-tracked: picked for the clerk without naming serial units)."""
    rows = session.execute(
        select(StockBalance.warehouse_id, StockBalance.product_id)
        .join(Location, Location.id == StockBalance.location_id)
        .join(Product, Product.id == StockBalance.product_id)
        .where(Location.kind == "internal", Product.tracking != "serial",
               StockBalance.quantity - StockBalance.reserved >= 4 * MOST)
        .order_by(StockBalance.warehouse_id, StockBalance.product_id)).all()
    by_warehouse: dict[int, list[int]] = {}
    for warehouse_id, product_id in rows:
        by_warehouse.setdefault(warehouse_id, [])
        if product_id not in by_warehouse[warehouse_id]:
            by_warehouse[warehouse_id].append(product_id)
    if not by_warehouse:
        raise LookupError("no warehouse has stock to sell from")
    warehouse_id = max(by_warehouse, key=lambda w: (len(by_warehouse[w]), -w))
    return warehouse_id, by_warehouse[warehouse_id]


def load_sales(session: Session, rng: random.Random, *, user_id: int | None = None) -> None:
    """Quotations and orders in every state (see the module's docstring)."""
    warehouse_id, products = _stocked(session)
    assert session.get(Warehouse, warehouse_id) is not None
    customers = list(session.scalars(select(Partner).where(
        Partner.is_customer.is_(True), Partner.active.is_(True)).order_by(Partner.code)))
    today = business_today(session)

    def lines(count: int = 2) -> list[SalesLineInput]:
        return [SalesLineInput(product_id=p, quantity=Decimal(rng.randint(1, MOST)))
                for p in rng.sample(products, min(count, len(products)))]

    def order(customer: Partner, count: int = 2) -> int:
        return create_sales_order(session, customer_id=customer.id, warehouse_id=warehouse_id,
                                  lines=lines(count), promised_date=today + timedelta(days=7),
                                  user_id=user_id).id

    def customer() -> Partner:
        return rng.choice(customers)

    sent = create_quotation(session, customer_id=customer().id, warehouse_id=warehouse_id,
                            lines=lines(3), user_id=user_id)
    send_quotation(session, sent.id)
    create_quotation(session, customer_id=customer().id, warehouse_id=warehouse_id,
                     lines=lines(), quote_date=today - timedelta(days=45),
                     valid_until=today - timedelta(days=15), user_id=user_id)
    turned_down = create_quotation(session, customer_id=customer().id, lines=lines(),
                                   user_id=user_id)
    reject_quotation(session, turned_down.id)
    accepted = create_quotation(session, customer_id=customer().id, warehouse_id=warehouse_id,
                                lines=lines(), user_id=user_id)
    convert_quotation(session, accepted.id, user_id=user_id)
    confirm_sales_order(session, order(customer()), user_id=user_id)
    partly = order(customer())
    confirm_sales_order(session, partly, user_id=user_id)
    first = order_lines(session, partly)[0]
    deliver_sales_order(session, partly, user_id=user_id, lines=[
        DeliveryLineInput(first.id, first.quantity)])
    done = order(customer(), 3)
    confirm_sales_order(session, done, user_id=user_id)
    deliver_sales_order(session, done, user_id=user_id)
    invoice_sales_order(session, done, user_id=user_id)
    closed = order(customer())
    confirm_sales_order(session, closed, user_id=user_id)
    close_sales_order(session, closed, user_id=user_id)
    cancel_sales_order(session, order(customer()), reason="客户取消", user_id=user_id)
    _over_the_limit(session, rng, customers, warehouse_id, products, user_id)


def _over_the_limit(session: Session, rng: random.Random, customers: list[Partner],
                    warehouse_id: int, products: list[int], user_id: int | None) -> None:
    """Two orders above a customer's credit limit: one waits, one was approved."""
    limited = [c for c in customers if c.credit_limit is not None]
    if not limited:
        return
    customer = rng.choice(limited)
    assert customer.credit_limit is not None
    price = (customer.credit_limit + 1000).quantize(Decimal("0.01"))
    held = []
    for product_id in rng.sample(products, min(2, len(products))):
        held.append(create_sales_order(
            session, customer_id=customer.id, warehouse_id=warehouse_id,
            lines=[SalesLineInput(product_id=product_id, quantity=Decimal(1),
                                  unit_price=price)], user_id=user_id).id)
        confirm_sales_order(session, held[-1], user_id=user_id)
    approve_sales_order(session, held[0], user_id=user_id or 1,
                        reason="老客户, 已承诺月底付款")
