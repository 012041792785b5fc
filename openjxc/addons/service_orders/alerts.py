"""The alert "service order overdue" (``service.order_overdue``): an order still new,
assigned or in progress after its SLA due time.  Urgent orders are critical.  It resolves
when the order is done or cancelled; it is asked on a schedule (time passes without any
event) and after orders are created, completed or cancelled."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.core.alerts import AlertCondition, AlertRule, Severity
from openjxc.core.i18n import _

from .events import ServiceOrderCancelled, ServiceOrderCompleted, ServiceOrderCreated
from .models import OPEN_STATES, ServiceOrder

if TYPE_CHECKING:
    from openjxc.core.env import Environment

RULE_KEY = "service.order_overdue"


def overdue_orders(session: Session, env: Environment, now: datetime,
                   ) -> Iterator[AlertCondition]:
    rows = session.execute(
        select(ServiceOrder.id, ServiceOrder.number, ServiceOrder.priority,
               ServiceOrder.due_at, ServiceOrder.customer_id, Partner.code, Partner.name)
        .join(Partner, Partner.id == ServiceOrder.customer_id)
        .where(ServiceOrder.state.in_(OPEN_STATES), ServiceOrder.due_at < now)
        .order_by(ServiceOrder.due_at, ServiceOrder.id))
    for order_id, number, priority, due_at, customer_id, code, name in rows:
        hours = int((now - due_at).total_seconds() // 3600)
        yield AlertCondition(
            f"service_order:{order_id}",
            _("Service order {number} for {partner} {name} is {hours} hours past its SLA "
              "due time"),
            params={"number": number, "partner": code, "name": name, "hours": hours},
            subject={"service_order": order_id, "partner": customer_id},
            severity=Severity.CRITICAL if priority == "urgent" else None)


def order_overdue_rule() -> AlertRule:
    return AlertRule(RULE_KEY, _("Service order overdue"), overdue_orders,
                     severity=Severity.WARNING, schedule_seconds=900,
                     on_events=(ServiceOrderCreated, ServiceOrderCompleted,
                                ServiceOrderCancelled))
