"""Checks on what people type into an order that need the calendar or the ledger: dates
within reach, and serial units that are with *this* customer.

Dates: a report time lies between ten years ago and now (a few minutes of clock skew
allowed: phones are not atomic clocks); a planned date between ten years ago and five
years ahead.  Anything further is a typo (``2062`` for ``2026``), and a year 9999 would
otherwise overflow the SLA due time.

Holders: a unit at the customer location is with the customer whose sales delivery (or
service order, when it was fitted as a part) took it there last.  A unit that got there
otherwise (opening stock at customers, an import) has no known holder and is accepted
for any customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.sales.models import SalesDelivery, SalesOrder
from openjxc.addons.base_jxc.stock.models import Location, StockMove, StockMoveSerial
from openjxc.addons.base_jxc.stock.posting import business_today
from openjxc.core.errors import FieldError
from openjxc.core.i18n import _
from openjxc.core.models import utcnow

from .models import ServiceOrder

YEARS_BACK = 10
YEARS_AHEAD = 5
CLOCK_SKEW = timedelta(minutes=10)
SALES_DELIVERY = "sales.delivery"
SERVICE_ORDER = "service.order"


def _years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def check_planned_date(session: Session, errors: list[FieldError], value: object,
                       field: str = "plannedDate") -> date | None:
    """A calendar date from ten years ago to five years ahead (None: not given)."""
    if value is None:
        return None
    if not isinstance(value, date) or isinstance(value, datetime):
        errors.append(FieldError("INVALID", _("Must be a date"), field=field))
        return None
    today = business_today(session)
    earliest, latest = _years(today, -YEARS_BACK), _years(today, YEARS_AHEAD)
    if not earliest <= value <= latest:
        errors.append(FieldError("INVALID", _("The date must be between {earliest} and "
                                              "{latest}"), field=field,
                                 earliest=earliest.isoformat(), latest=latest.isoformat()))
        return None
    return value


def check_reported_at(errors: list[FieldError], value: object,
                      field: str = "reportedAt") -> datetime | None:
    """A time with its zone, from ten years ago to now, in UTC (None: not given)."""
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        errors.append(FieldError("INVALID", _("Must be a time with its time zone"),
                                 field=field))
        return None
    now = utcnow()
    earliest = _years(now.date(), -YEARS_BACK)
    try:
        reported = value.astimezone(UTC)
    except (OverflowError, ValueError):  # year 1 or 9999 shifted out of the calendar
        reported = None
    if (reported is None and value.year > now.year) or (
            reported is not None and reported > now + CLOCK_SKEW):
        errors.append(FieldError("INVALID", _("A request cannot be reported in the future"),
                                 field=field))
        return None
    if reported is None or reported.date() < earliest:
        errors.append(FieldError("INVALID", _("A request cannot be reported before {date}"),
                                 field=field, date=earliest.isoformat()))
        return None
    return reported


def serial_holders(session: Session, serial_ids: Sequence[int]) -> dict[int, int]:
    """``serial id → customer id`` for the units whose last arrival at the customer
    location came from a sales delivery or a service order (one statement); units with
    no known holder are left out."""
    if not serial_ids:
        return {}
    customers = select(Location.id).where(Location.kind == "customer")
    last = (select(StockMoveSerial.serial_id, func.max(StockMove.id).label("move_id"))
            .join(StockMove, StockMove.id == StockMoveSerial.move_id)
            .where(StockMoveSerial.serial_id.in_(set(serial_ids)),
                   StockMove.to_location_id.in_(customers))
            .group_by(StockMoveSerial.serial_id)
            .subquery())
    rows = session.execute(
        select(last.c.serial_id, SalesOrder.customer_id, ServiceOrder.customer_id)
        .select_from(last)
        .join(StockMove, StockMove.id == last.c.move_id)
        .outerjoin(SalesDelivery, and_(StockMove.origin_type == SALES_DELIVERY,
                                       SalesDelivery.id == StockMove.origin_id))
        .outerjoin(SalesOrder, SalesOrder.id == SalesDelivery.order_id)
        .outerjoin(ServiceOrder, and_(StockMove.origin_type == SERVICE_ORDER,
                                      ServiceOrder.id == StockMove.origin_id)))
    found: dict[int, int] = {}
    for serial_id, sold_to, serviced_for in rows:
        holder = sold_to if sold_to is not None else serviced_for
        if holder is not None:
            found[serial_id] = holder
    return found


def with_other_customer(session: Session, serial_ids: Sequence[int],
                        customer_id: int | None) -> set[int]:
    """Which of ``serial_ids`` are known to be with a customer other than
    ``customer_id``."""
    if customer_id is None:
        return set()
    return {serial for serial, holder in serial_holders(session, serial_ids).items()
            if holder != customer_id}
