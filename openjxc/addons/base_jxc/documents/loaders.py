"""The report loaders: one document's template context, read in a handful of statements.

Each loader follows the kernel's contract (:data:`openjxc.core.reports.Loader`): it returns
None for a missing record, and for one outside the caller's warehouse scope; a caller
without the report's permission is refused (:func:`.blocks.visible`).  Nothing it returns
carries a cost or a margin — the documents go to customers and suppliers.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.env import Environment
from openjxc.core.i18n import LazyString
from openjxc.core.security import Principal

from ..catalog.models import Product
from ..invoicing.amounts import line_amounts
from ..purchase import models as purchase
from ..sales import models as sales
from ..stock.models import Batch, Location, SerialNumber, StockMoveSerial
from ..stock.posting import business_today
from . import blocks
from .blocks import PRODUCT_COLUMNS, Line, Totals
from .labels import STATE_STAMPS
from .printing import template_helpers

QUOTATION_READ = "sales.quotation.read"
SALES_ORDER_READ = "sales.order.read"
PURCHASE_ORDER_READ = "purchase.order.read"

Context = dict[str, Any]


def load_quotation(session: Session, id: int, env: Environment, *,
                   principal: Principal | None = None) -> Context | None:
    """报价单: the customer, the lines and how long the prices hold."""
    quotation = session.get(sales.Quotation, id)
    if quotation is None or not blocks.visible(principal, QUOTATION_READ,
                                               quotation.warehouse_id):
        return None
    state = quotation.state
    if state in (sales.Q_DRAFT, sales.Q_SENT) and quotation.valid_until < business_today(
            session):
        state = sales.Q_EXPIRED
    lines = blocks.priced_lines(session, sales.QuotationLine, sales.QuotationLine.quotation_id,
                                id)
    return _context(
        session, env, "quotation", stamp=_stamp(state, sales.Q_DRAFT, sales.Q_REJECTED,
                                                sales.Q_EXPIRED),
        doc={"number": quotation.number, "quote_date": quotation.quote_date,
             "valid_until": quotation.valid_until, "currency": quotation.currency,
             "note": quotation.note,
             "prepared_by": blocks.user_name(session, quotation.created_by_id)},
        customer=blocks.party(session, quotation.customer_id),
        lines=lines, totals=_totals(quotation))


def load_sales_order(session: Session, id: int, env: Environment, *,
                     principal: Principal | None = None) -> Context | None:
    """销售合同: seller and buyer, the goods, delivery date and place, payment terms."""
    order = session.get(sales.SalesOrder, id)
    if order is None or not blocks.visible(principal, SALES_ORDER_READ, order.warehouse_id):
        return None
    lines = blocks.priced_lines(session, sales.SalesOrderLine, sales.SalesOrderLine.order_id,
                                id)
    return _context(
        session, env, "sales_order",
        stamp=_stamp(order.state, sales.DRAFT, sales.AWAITING_APPROVAL, sales.CANCELLED),
        doc={"number": order.number, "order_date": order.order_date,
             "promised_date": order.promised_date,
             "customer_reference": order.customer_reference, "currency": order.currency,
             "note": order.note, "prepared_by": blocks.user_name(session, order.created_by_id)},
        customer=blocks.party(session, order.customer_id, order.delivery_address_id),
        warehouse=blocks.place(session, order.warehouse_id),
        lines=lines, totals=_totals(order))


def load_delivery_note(session: Session, id: int, env: Environment, *,
                       principal: Principal | None = None) -> Context | None:
    """送货单: what left which warehouse for whom — with batches and serial numbers — priced
    as on the order, for the customer to sign."""
    delivery = session.get(sales.SalesDelivery, id)
    if delivery is None or not blocks.visible(principal, SALES_ORDER_READ,
                                              delivery.warehouse_id):
        return None
    order = session.get(sales.SalesOrder, delivery.order_id)
    if order is None:
        return None
    lines = _delivery_lines(session, id)
    return _context(
        session, env, "delivery_note", stamp=None,
        doc={"number": delivery.number, "delivery_date": delivery.delivery_date,
             "order_number": order.number, "customer_reference": order.customer_reference,
             "currency": order.currency, "note": delivery.note,
             "prepared_by": blocks.user_name(session, delivery.delivered_by_id)},
        customer=blocks.party(session, order.customer_id,
                              delivery.address_id or order.delivery_address_id),
        warehouse=blocks.place(session, delivery.warehouse_id),
        lines=lines, totals=Totals.of(lines))


def load_purchase_order(session: Session, id: int, env: Environment, *,
                        principal: Principal | None = None) -> Context | None:
    """采购订单: to the supplier, what to deliver where and by when, at which prices."""
    order = session.get(purchase.PurchaseOrder, id)
    if order is None or not blocks.visible(principal, PURCHASE_ORDER_READ,
                                           order.warehouse_id):
        return None
    lines = blocks.priced_lines(session, purchase.PurchaseOrderLine,
                                purchase.PurchaseOrderLine.order_id, id)
    return _context(
        session, env, "purchase_order",
        stamp=_stamp(order.state, purchase.DRAFT, purchase.CANCELLED),
        doc={"number": order.number, "order_date": order.order_date,
             "expected_date": order.expected_date, "currency": order.currency,
             "note": order.note, "prepared_by": blocks.user_name(session, order.created_by_id)},
        supplier=blocks.party(session, order.supplier_id),
        warehouse=blocks.place(session, order.warehouse_id),
        lines=lines, totals=_totals(order))


# -- shared ------------------------------------------------------------------------------


def _context(session: Session, env: Environment, kind: str, *, stamp: LazyString | None,
             **parts: Any) -> Context:
    return {"kind": kind, "company": blocks.company(session), "stamp": stamp,
            **parts, **template_helpers(env)}


def _stamp(state: str, *printed_as_stamp: str) -> LazyString | None:
    """The word stamped on a document that is not (or no longer) binding."""
    return STATE_STAMPS[state] if state in printed_as_stamp else None


def _totals(document: Any) -> Totals:
    """The document's own totals (the sums of its lines when it was saved)."""
    return Totals(document.amount_untaxed, document.amount_tax, document.amount_total)


def _delivery_lines(session: Session, delivery_id: int) -> list[Line]:
    """The delivery's lines in order-line order, each with its batch, bin (a warehouse's
    main stock location is not worth printing) and serial numbers, priced at the order
    line's unit price and tax rate (two statements)."""
    line = sales.SalesDeliveryLine
    order_line = sales.SalesOrderLine
    rows = session.execute(
        select(line.quantity, line.move_id, order_line.description, order_line.unit_price,
               order_line.tax_rate, Batch.number.label("batch"), Batch.expires_on,
               Location.code.label("location"), Location.parent_id.label("bin_of"),
               *PRODUCT_COLUMNS)
        .join(order_line, order_line.id == line.order_line_id)
        .join(Product, Product.id == line.product_id)
        .join(Location, Location.id == line.location_id)
        .outerjoin(Batch, Batch.id == line.batch_id)
        .where(line.delivery_id == delivery_id)
        .order_by(order_line.position, line.id)).all()
    serials: dict[int, list[str]] = defaultdict(list)
    move_ids = [row.move_id for row in rows]
    if move_ids:
        for move_id, number in session.execute(
                select(StockMoveSerial.move_id, SerialNumber.number)
                .join(SerialNumber, SerialNumber.id == StockMoveSerial.serial_id)
                .where(StockMoveSerial.move_id.in_(move_ids))
                .order_by(SerialNumber.number)):
            serials[move_id].append(number)
    lines = []
    for row in rows:
        amount, tax, total = line_amounts(row.quantity, row.unit_price, row.tax_rate)
        lines.append(blocks.product_line(
            row, row.description, quantity=row.quantity, unit_price=row.unit_price,
            tax_rate=row.tax_rate, amount=amount, tax=tax, total=total,
            batch=row.batch or "", expires_on=row.expires_on,
            serials=tuple(serials[row.move_id]),
            location=row.location if row.bin_of is not None else ""))
    return lines
