"""Service figures: what warranty work cost, and how often a repair fixed it first time.

* **Warranty cost** of a period: over the orders completed in it (done or closed), the
  cost of the parts fitted on orders covering parts (the stock engine's value of their
  moves) plus the labour hours on orders covering labour at the internal rate recorded
  with them.
* **First-time-fix rate** of a period: of the repair orders completed in it, the share
  after which none of their devices (a serial unit; for a product without serials, the
  same product at the same customer) was reported for repair again within 30 days (a
  repair order cancelled since — a duplicate, a mistake — does not count).  None when
  there was no repair.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _

from .models import (
    CANCELLED,
    CLOSED,
    DONE,
    ServiceLabour,
    ServiceOrder,
    ServiceOrderDevice,
    ServicePart,
)

FIX_WINDOW = timedelta(days=30)
MAX_DAYS = 3700
CENT = Decimal("0.01")


@dataclass(frozen=True)
class WarrantyCost:
    start: date
    end: date
    orders: int
    parts_cost: Decimal
    labour_cost: Decimal

    @property
    def total(self) -> Decimal:
        return self.parts_cost + self.labour_cost


@dataclass(frozen=True)
class FixRate:
    start: date
    end: date
    repairs: int
    fixed_first_time: int

    @property
    def rate(self) -> Decimal | None:
        if not self.repairs:
            return None
        return (Decimal(self.fixed_first_time) / self.repairs).quantize(
            Decimal("0.0001"), rounding=ROUND_HALF_UP)


def check_period(start: object, end: object) -> tuple[date, date]:
    errors = []
    for value, name in ((start, "from"), (end, "to")):
        if not isinstance(value, date):
            errors.append(FieldError("INVALID", _("Must be a date"), field=name))
    if not errors:
        assert isinstance(start, date) and isinstance(end, date)
        if end < start:
            errors.append(FieldError("INVALID", _("The end cannot be before the start"),
                                     field="to"))
        elif (end - start).days > MAX_DAYS:
            errors.append(FieldError("INVALID", _("At most {max} days"), field="to",
                                     max=MAX_DAYS))
    if errors:
        raise ValidationFailed(errors)
    return start, end  # type: ignore[return-value]


def _completed(start: date, end: date) -> list[Any]:
    return [ServiceOrder.state.in_((DONE, CLOSED)), ServiceOrder.completed_on >= start,
            ServiceOrder.completed_on <= end]


def warranty_cost(session: Session, start: date, end: date) -> WarrantyCost:
    """Parts and labour spent on covered orders completed from ``start`` to ``end``."""
    start, end = check_period(start, end)
    where = _completed(start, end)
    parts: Any = session.scalar(select(func.coalesce(func.sum(ServicePart.cost), 0))
                           .join(ServiceOrder, ServiceOrder.id == ServicePart.order_id)
                           .where(*where, ServiceOrder.covers_parts))
    labour_rows = session.execute(select(ServiceLabour.hours, ServiceLabour.internal_rate)
                                  .join(ServiceOrder, ServiceOrder.id == ServiceLabour.order_id)
                                  .where(*where, ServiceOrder.covers_labour)).all()
    labour = sum(((h * r).quantize(CENT, rounding=ROUND_HALF_UP) for h, r in labour_rows),
                 Decimal("0.00"))
    orders: Any = session.scalar(select(func.count()).select_from(ServiceOrder).where(
        *where, ServiceOrder.covers_parts | ServiceOrder.covers_labour))
    return WarrantyCost(start, end, int(orders or 0),
                        Decimal(parts or 0).quantize(CENT), labour)


def first_time_fix_rate(session: Session, start: date, end: date) -> FixRate:
    """Repairs completed from ``start`` to ``end`` and how many stayed fixed 30 days."""
    start, end = check_period(start, end)
    device_key = (ServiceOrderDevice.serial_id, ServiceOrderDevice.product_id,
                  ServiceOrder.customer_id)
    rows = session.execute(select(ServiceOrder.id, ServiceOrder.completed_at, *device_key)
                           .join(ServiceOrderDevice,
                                 ServiceOrderDevice.order_id == ServiceOrder.id)
                           .where(ServiceOrder.type == "repair", *_completed(start, end))).all()
    repairs: dict[int, list[tuple[object, ...]]] = defaultdict(list)
    completed_at: dict[int, datetime] = {}
    for order_id, done_at, serial_id, product_id, customer_id in rows:
        key = ("s", serial_id) if serial_id is not None else ("p", product_id, customer_id)
        repairs[order_id].append(key)
        assert done_at is not None  # a done or closed order has its completion time
        completed_at[order_id] = done_at
    if not repairs:
        return FixRate(start, end, 0, 0)
    earliest = min(completed_at.values())
    later: dict[tuple[object, ...], list[tuple[int, datetime]]] = defaultdict(list)
    for order_id, reported_at, serial_id, product_id, customer_id in session.execute(
            select(ServiceOrder.id, ServiceOrder.reported_at, *device_key)
            .join(ServiceOrderDevice, ServiceOrderDevice.order_id == ServiceOrder.id)
            .where(ServiceOrder.type == "repair", ServiceOrder.reported_at > earliest,
                   ServiceOrder.state != CANCELLED)):
        key = ("s", serial_id) if serial_id is not None else ("p", product_id, customer_id)
        later[key].append((order_id, reported_at))
    fixed = 0
    for order_id, keys in repairs.items():
        done_at = completed_at[order_id]
        again = any(other != order_id and done_at < reported <= done_at + FIX_WINDOW
                    for key in keys for other, reported in later.get(key, ()))
        fixed += not again
    return FixRate(start, end, len(repairs), fixed)
