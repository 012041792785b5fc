"""On-time delivery rate (准时交货率) of sales orders.

An order is **due** in the period when its promised date falls in it and has arrived
(``promised_date`` ≤ the period's end and ≤ today: an order promised for tomorrow cannot
be late yet), and it is neither a draft nor cancelled.  It was delivered **on time** when
every line's quantity was delivered by deliveries dated on or before the promised date.

Per product or category the unit is an order × group: the order is on time for that
group when the lines of that group were delivered in full by the promised date (per
warehouse and for the whole company, that is the order itself).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from ..sales.models import (
    CANCELLED,
    DRAFT,
    SalesDelivery,
    SalesDeliveryLine,
    SalesOrder,
    SalesOrderLine,
)
from .common import (
    GroupBy,
    Period,
    group_key,
    in_warehouses,
    key_of,
    keys_of,
    rolled_up,
    share,
)


@dataclass(frozen=True)
class OnTimeFigure:
    """On-time delivery of one group (``group_id`` None for the whole company)."""

    group_id: int | None
    #: orders (order × group) due in the period
    due_count: int
    #: of which delivered in full by the promised date
    on_time_count: int

    @property
    def rate(self) -> Decimal | None:
        return share(self.on_time_count, self.due_count)


def on_time_delivery(session: Session, period: Period, group_by: GroupBy, *, today: date,
                     warehouse_ids: Collection[int] | None = None) -> list[OnTimeFigure]:
    """On-time delivery per group over ``period``, in one statement."""
    due = (select(SalesOrder.id, SalesOrder.promised_date, SalesOrder.warehouse_id)
           .where(SalesOrder.promised_date >= period.date_from,
                  SalesOrder.promised_date <= min(period.date_to, today),
                  SalesOrder.state.not_in((DRAFT, CANCELLED)),
                  in_warehouses(SalesOrder.warehouse_id, warehouse_ids))).subquery("due")
    in_time = (select(SalesDeliveryLine.order_line_id,
                      func.sum(SalesDeliveryLine.quantity).label("quantity"))
               .join(SalesDelivery, SalesDelivery.id == SalesDeliveryLine.delivery_id)
               .join(due, due.c.id == SalesDelivery.order_id)
               .where(SalesDelivery.delivery_date <= due.c.promised_date)
               .group_by(SalesDeliveryLine.order_line_id)).subquery("in_time")
    short = case((func.coalesce(in_time.c.quantity, 0) < SalesOrderLine.quantity, 1), else_=0)
    lines = (select(due.c.id.label("order_id"), due.c.warehouse_id,
                    SalesOrderLine.product_id, short.label("short"))
             .join(SalesOrderLine, SalesOrderLine.order_id == due.c.id)
             .outerjoin(in_time, in_time.c.order_line_id == SalesOrderLine.id)
             ).subquery("due_lines")
    keyed, key = group_key(select().select_from(lines), group_by,
                           product_id=lines.c.product_id, warehouse_id=lines.c.warehouse_id)
    per_order = (keyed.add_columns(key.label("group_id"), func.max(lines.c.short).label("late"))
                 .group_by(lines.c.order_id, *keys_of(group_by, key))).subquery("per_order")
    stmt = rolled_up(select(key_of(group_by, per_order.c.group_id).label("group_id"),
                            func.count().label("due"),
                            func.coalesce(func.sum(1 - per_order.c.late), 0)
                            .label("on_time")),
                     group_by, per_order.c.group_id)
    figures = [OnTimeFigure(r.group_id, int(r.due), int(r.on_time))
               for r in session.execute(stmt)]
    return sorted(figures, key=lambda f: f.group_id or 0)
