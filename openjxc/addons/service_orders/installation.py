"""Installation orders made by deliveries.

When base_jxc publishes ``SalesDelivered`` and the delivery holds products flagged "needs
installation" (:class:`~.models.ServiceProductSetting`), one installation order is created
for the delivery and its site (a delivery goes to one address), listing the delivered
units of those products — serial units one by one, other products with their quantity.
It happens in the delivery's transaction: the delivery and its order commit together.
A delivery already holding an order (the handler ran before) gets no second one.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.sales.events import SalesDelivered
from openjxc.addons.base_jxc.sales.models import SalesDelivery
from openjxc.addons.base_jxc.stock.models import StockMove, StockMoveSerial

from .models import ServiceOrder
from .orders import DeviceInput, create_order
from .settings import needs_installation


def on_sales_delivered(event: SalesDelivered, *, session: Session, env: Any = None) -> None:
    flagged = needs_installation(session, event.product_ids)
    if not flagged or session.scalar(select(ServiceOrder.id).where(
            ServiceOrder.delivery_id == event.delivery_id)) is not None:
        return
    moves = session.execute(select(StockMove.id, StockMove.product_id, StockMove.quantity)
                            .where(StockMove.id.in_(event.move_ids),
                                   StockMove.product_id.in_(flagged))
                            .order_by(StockMove.id)).all()
    serials: dict[int, list[int]] = defaultdict(list)
    for move_id, serial_id in session.execute(
            select(StockMoveSerial.move_id, StockMoveSerial.serial_id)
            .where(StockMoveSerial.move_id.in_([m.id for m in moves]))
            .order_by(StockMoveSerial.serial_id)):
        serials[move_id].append(serial_id)
    devices: list[DeviceInput] = []
    plain: dict[int, Decimal] = defaultdict(Decimal)
    for move in moves:
        if serials[move.id]:
            devices.extend(DeviceInput(serial_id=s) for s in serials[move.id])
        else:
            plain[move.product_id] += move.quantity
    devices.extend(DeviceInput(product_id=p, quantity=q) for p, q in plain.items())
    if not devices:
        return
    delivered_by = session.scalar(select(SalesDelivery.delivered_by_id)
                                  .where(SalesDelivery.id == event.delivery_id))
    create_order(session, type="installation", customer_id=event.customer_id,
                 source="delivery", address_id=event.address_id, devices=devices,
                 description=event.number, delivery_id=event.delivery_id,
                 user_id=delivered_by)
