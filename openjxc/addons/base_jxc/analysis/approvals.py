"""Purchase approval time (采购审批时长): hours from creating a purchase order to its
(last required) approval, ``approved_at − created_at``, over the orders approved in the
period (midnight to midnight in the company's time zone).

Per product or category an order counts once in each group it has lines of.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..purchase.models import PurchaseOrder, PurchaseOrderLine
from .common import (
    GroupBy,
    Period,
    group_key,
    in_warehouses,
    key_of,
    rolled_up,
)
from .sql import seconds_between

HOUR_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class ApprovalTimeFigure:
    """Approval time of one group (``group_id`` None for the whole company)."""

    group_id: int | None
    order_count: int
    total_seconds: int
    max_seconds: int

    @property
    def average_hours(self) -> Decimal | None:
        if not self.order_count:
            return None
        return (Decimal(self.total_seconds) / self.order_count / 3600).quantize(
            HOUR_PLACES, ROUND_HALF_UP)

    @property
    def max_hours(self) -> Decimal | None:
        if not self.order_count:
            return None
        return (Decimal(self.max_seconds) / 3600).quantize(HOUR_PLACES, ROUND_HALF_UP)


def purchase_approval_time(session: Session, period: Period, group_by: GroupBy, *,
                           warehouse_ids: Collection[int] | None = None
                           ) -> list[ApprovalTimeFigure]:
    """Approval time per group of the orders approved in ``period``, in one statement."""
    start, end = period.utc_bounds(session)
    order = PurchaseOrder
    approved = (select(order.id.label("order_id"), order.warehouse_id.label("warehouse_id"),
                       seconds_between(order.approved_at, order.created_at).label("seconds"))
                .where(order.approved_at >= start, order.approved_at < end,
                       in_warehouses(order.warehouse_id, warehouse_ids)))
    if group_by in (GroupBy.PRODUCT, GroupBy.CATEGORY):
        approved = approved.add_columns(PurchaseOrderLine.product_id.label("product_id")).join(
            PurchaseOrderLine, PurchaseOrderLine.order_id == order.id)
    orders = approved.subquery("approved")
    per_group, key = group_key(select().select_from(orders), group_by,
                               product_id=orders.c.get("product_id"),
                               warehouse_id=orders.c.warehouse_id)
    if group_by in (GroupBy.PRODUCT, GroupBy.CATEGORY):
        # one row per order × group, however many lines of the group the order has
        per_group = (per_group.add_columns(orders.c.order_id, key.label("group_id"),
                                           orders.c.seconds).distinct())
        rows = per_group.subquery("per_group")
        stmt = rolled_up(select(rows.c.group_id), group_by, rows.c.group_id)
        seconds = rows.c.seconds
    else:
        stmt = rolled_up(per_group.add_columns(key_of(group_by, key).label("group_id")),
                         group_by, key)
        seconds = orders.c.seconds
    stmt = stmt.add_columns(func.count().label("orders"),
                            func.coalesce(func.sum(seconds), 0).label("total"),
                            func.coalesce(func.max(seconds), 0).label("longest"))
    figures = [ApprovalTimeFigure(r.group_id, int(r.orders), int(r.total), int(r.longest))
               for r in session.execute(stmt)]
    return sorted(figures, key=lambda f: f.group_id or 0)
