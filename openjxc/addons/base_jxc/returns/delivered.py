"""What was delivered to a customer and is still out with them.

* :func:`serial_deliveries`: for serial units at the customer location, the sales delivery
  (order, order line, customer) that took each there — the unit's last move into that
  location;
* :func:`pending_quantities`: what requested (not yet received) returns already claim of
  each order line;
* :func:`returnable`: delivered − returned − pending.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from ..sales.models import SalesDelivery, SalesDeliveryLine, SalesOrder
from ..stock.models import StockMove, StockMoveSerial
from ..stock.warehouses import company_location
from .models import REQUESTED, ReturnLine, ReturnRequest

DELIVERY_ORIGIN = "sales.delivery"


@dataclass(frozen=True)
class Delivered:
    """Where a serial unit at the customer's came from."""

    customer_id: int | None
    order_id: int | None
    order_line_id: int | None


def serial_deliveries(session: Session, serial_ids: Sequence[int]) -> dict[int, Delivered]:
    """For units now at the customer location: the order (and line) of the sales delivery
    that took each there; a unit that got there otherwise has ``customer_id`` None."""
    if not serial_ids:
        return {}
    customer = company_location(session, "customer").id
    last = (select(StockMoveSerial.serial_id, func.max(StockMove.id).label("move_id"))
            .join(StockMove, StockMove.id == StockMoveSerial.move_id)
            .where(StockMoveSerial.serial_id.in_(set(serial_ids)),
                   StockMove.to_location_id == customer)
            .group_by(StockMoveSerial.serial_id)
            .subquery())
    rows = session.execute(
        select(last.c.serial_id, SalesOrder.id, SalesOrder.customer_id,
               SalesDeliveryLine.order_line_id)
        .select_from(last)
        .join(StockMove, StockMove.id == last.c.move_id)
        .outerjoin(SalesDelivery, and_(StockMove.origin_type == DELIVERY_ORIGIN,
                                       SalesDelivery.id == StockMove.origin_id))
        .outerjoin(SalesOrder, SalesOrder.id == SalesDelivery.order_id)
        .outerjoin(SalesDeliveryLine, and_(SalesDeliveryLine.delivery_id == SalesDelivery.id,
                                           SalesDeliveryLine.move_id == StockMove.id)))
    found: dict[int, Delivered] = {}
    for serial_id, order_id, customer_id, order_line_id in rows:
        if serial_id not in found or found[serial_id].order_line_id is None:
            found[serial_id] = Delivered(customer_id, order_id, order_line_id)
    return found


def pending_quantities(session: Session, order_line_ids: Sequence[int],
                       exclude_return_id: int | None = None) -> dict[int, Decimal]:
    """Quantities on requested (not yet received) returns, per order line: spoken for,
    although not yet back."""
    if not order_line_ids:
        return {}
    stmt = (select(ReturnLine.sales_order_line_id, func.sum(ReturnLine.quantity))
            .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
            .where(ReturnLine.sales_order_line_id.in_(set(order_line_ids)),
                   ReturnRequest.state == REQUESTED)
            .group_by(ReturnLine.sales_order_line_id))
    if exclude_return_id is not None:
        stmt = stmt.where(ReturnRequest.id != exclude_return_id)
    return {line_id: Decimal(total) for line_id, total in session.execute(stmt)
            if line_id is not None}


def returnable(order_line: Any, pending: Decimal = Decimal(0)) -> Decimal:
    """What an order line may still take back: delivered − returned − pending."""
    return order_line.delivered_quantity - order_line.returned_quantity - pending
