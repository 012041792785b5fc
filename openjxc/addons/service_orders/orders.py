"""Work orders: create, assign, start, cancel, and the state machine every change goes
through.

::

    order = create_order(session, type="repair", customer_id=c1, priority="urgent",
                         devices=[DeviceInput(serial_id=motor_unit)], description="异响")
    assign_order(session, order.id, assignee_id=tech)       # new → assigned
    start_order(session, order.id, user_id=tech)            # assigned → in_progress
    record_work(session, order.id, ...)                     # see .records
    complete_order(session, order.id, user_id=tech)         # in_progress → done (+ invoice)
    close_order(session, order.id, rating=5)                # done → closed

Every state change is one guarded ``UPDATE … WHERE state IN (…)``: of two technicians
starting the same order at once one wins, the other is refused with
``ILLEGAL_TRANSITION`` naming both states in their language.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.numbering import next_document_number
from openjxc.addons.base_jxc.partners.models import Partner, PartnerAddress
from openjxc.addons.base_jxc.stock.models import Location, SerialNumber
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.formatting import company_date
from openjxc.core.i18n import _
from openjxc.core.models import utcnow
from openjxc.core.validation import check_decimal, check_text

from .checks import check_planned_date, check_reported_at, with_other_customer
from .events import ServiceOrderCancelled, ServiceOrderCreated
from .models import (
    ASSIGNED,
    CANCELLED,
    CLOSED,
    DONE,
    IN_PROGRESS,
    NEW,
    OPEN_STATES,
    PRIORITIES,
    SOURCES,
    TYPES,
    ServiceOrder,
    ServiceOrderDevice,
    ServiceTeam,
    ServiceTeamMember,
)
from .settings import check_choice, check_user, sla_hours

NUMBER_PREFIX = "FW"
MAX_DEVICES = 200

STATE_LABELS = {NEW: _("New"), ASSIGNED: _("Assigned"), IN_PROGRESS: _("In progress"),
                DONE: _("Done"), CLOSED: _("Closed"), CANCELLED: _("Cancelled")}


@dataclass
class DeviceInput:
    """A device the order is about: a serial unit (``serial_id``; its product is known),
    or a product without serial numbers (``product_id`` and ``quantity``)."""

    serial_id: int | None = None
    product_id: int | None = None
    quantity: Decimal = Decimal(1)


# -- the state machine --------------------------------------------------------------------

def illegal(order: ServiceOrder, target: str) -> ValidationFailed:
    """``ILLEGAL_TRANSITION``: ``order`` cannot go from its state to ``target``."""
    return ValidationFailed(FieldError(
        "ILLEGAL_TRANSITION", _("Service order {number} is {state}: it cannot become {target}"),
        field="id", number=order.number, state=STATE_LABELS[order.state],
        target=STATE_LABELS[target]))


def load_order(session: Session, order_id: object) -> ServiceOrder:
    """The order, fresh from the database; ``NOT_FOUND`` when unknown."""
    order = None
    if isinstance(order_id, int) and not isinstance(order_id, bool):
        order = session.scalar(select(ServiceOrder).where(ServiceOrder.id == order_id)
                               .execution_options(populate_existing=True))
    if order is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown service order"), field="id"))
    return order


def advance(session: Session, order: ServiceOrder, allowed: Sequence[str], target: str,
            **values: Any) -> None:
    """Move ``order`` to ``target`` only from one of the ``allowed`` states, in one guarded
    update (it also takes the row: a concurrent change waits, then finds the new state
    and is refused)."""
    if order.state not in allowed:
        raise illegal(order, target)
    done = session.execute(update(ServiceOrder)
                           .where(ServiceOrder.id == order.id, ServiceOrder.state.in_(allowed))
                           .values(state=target, version=ServiceOrder.version + 1, **values)
                           .execution_options(synchronize_session=False))
    session.refresh(order)
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise illegal(order, target)


# -- create -------------------------------------------------------------------------------

def create_order(session: Session, *, type: str, customer_id: int | None,
                 devices: Sequence[DeviceInput] = (), priority: str = "normal",
                 source: str = "staff", address_id: int | None = None, description: str = "",
                 planned_date: date | None = None, reported_at: datetime | None = None,
                 delivery_id: int | None = None, user_id: int | None = None) -> ServiceOrder:
    """A new work order with its number and SLA due time; publishes
    :class:`ServiceOrderCreated` (extenders set coverage in the same transaction).

    Refusals: an unknown type, priority or source (``INVALID``); an unknown customer, site
    or product (``NOT_FOUND``); a site of another customer (``INVALID``); a serial unit
    not at the customer location (``SERIAL_NOT_AT_CUSTOMER``); a quantity not above zero
    (``INVALID_QUANTITY``).
    """
    errors: list[FieldError] = []
    check_choice(errors, type, TYPES, "type")
    check_choice(errors, priority, PRIORITIES, "priority")
    check_choice(errors, source, SOURCES, "source")
    description = check_text(errors, description, "description", max_length=1000)
    customer = _customer(session, errors, customer_id)
    _site(session, errors, address_id, customer)
    check_planned_date(session, errors, planned_date)
    reported = check_reported_at(errors, reported_at) or utcnow().astimezone(UTC)
    # A delivery lists what it delivered, however many units: its own checks bound it.
    rows = _devices(session, errors, devices, customer,
                    limit=None if source == "delivery" else MAX_DEVICES)
    if errors:
        raise ValidationFailed(errors)
    assert customer is not None
    order = ServiceOrder(
        number=next_document_number(session, ServiceOrder.number, NUMBER_PREFIX), type=type,
        priority=priority, source=source, state=NEW, customer_id=customer.id,
        address_id=address_id, delivery_id=delivery_id, description=description,
        reported_at=reported, planned_date=planned_date,
        due_at=reported + timedelta(hours=sla_hours(session, type, priority)),
        covers_parts=False, covers_labour=False, feedback="", signature_url="",
        cancel_reason="", created_by_id=user_id, version=1)
    session.add(order)
    session.flush()
    for position, (product_id, serial_id, quantity) in enumerate(rows, start=1):
        session.add(ServiceOrderDevice(order_id=order.id, position=position,
                                       product_id=product_id, serial_id=serial_id,
                                       quantity=quantity))
    session.flush()
    publish(session, ServiceOrderCreated(
        order_id=order.id, number=order.number, type=order.type, customer_id=customer.id,
        serial_ids=tuple(s for _p, s, _q in rows if s is not None),
        reported_on=company_date(_timezone(session), reported)))
    session.refresh(order)  # an extender may have set its coverage
    return order


def _timezone(session: Session) -> str:
    env = session.info.get("openjxc.env")
    return str(getattr(getattr(env, "settings", None), "timezone", "Asia/Shanghai"))


def _customer(session: Session, errors: list[FieldError], customer_id: object,
              ) -> Partner | None:
    customer = (session.get(Partner, customer_id)
                if isinstance(customer_id, int) and not isinstance(customer_id, bool) else None)
    if customer is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown customer"), field="customerCode"))
        return None
    if not customer.is_customer:
        errors.append(FieldError("INVALID", _("{partner} is not a customer"),
                                 field="customerCode", partner=customer.code))
        return None
    return customer


def _site(session: Session, errors: list[FieldError], address_id: object,
          customer: Partner | None) -> None:
    if address_id is None:
        return
    address = (session.get(PartnerAddress, address_id)
               if isinstance(address_id, int) and not isinstance(address_id, bool) else None)
    if address is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown address"), field="addressId"))
    elif customer is not None and address.partner_id != customer.id:
        errors.append(FieldError("INVALID", _("The site is not an address of this customer"),
                                 field="addressId"))


def _devices(session: Session, errors: list[FieldError], devices: Sequence[DeviceInput],
             customer: Partner | None, *, limit: int | None = MAX_DEVICES,
             ) -> list[tuple[int, int | None, Decimal]]:
    """``(product id, serial id, quantity)`` per device, checked: a serial unit must be
    with this customer (or with no known one)."""
    if limit is not None and len(devices) > limit:
        errors.append(FieldError("INVALID", _("At most {max} devices"), field="devices",
                                 max=limit))
        return []
    serial_ids = [d.serial_id for d in devices
                  if isinstance(d.serial_id, int) and not isinstance(d.serial_id, bool)]
    found = {row.id: row for row in session.execute(
        select(SerialNumber.id, SerialNumber.product_id, SerialNumber.number,
               Location.kind).join(Location, Location.id == SerialNumber.location_id)
        .where(SerialNumber.id.in_(serial_ids)))} if serial_ids else {}
    elsewhere = with_other_customer(session, list(found),
                                    customer.id if customer is not None else None)
    product_ids = {d.product_id for d in devices if d.serial_id is None
                   and isinstance(d.product_id, int) and not isinstance(d.product_id, bool)}
    known = set(session.scalars(select(Product.id).where(Product.id.in_(product_ids)))
                ) if product_ids else set()
    rows: list[tuple[int, int | None, Decimal]] = []
    seen: set[int] = set()
    for i, device in enumerate(devices):
        at = ("devices", str(i))
        if device.serial_id is not None:
            serial = found.get(device.serial_id)  # type: ignore[arg-type]
            if serial is None:
                errors.append(FieldError("NOT_FOUND", _("Unknown serial number"),
                                         field=(*at, "serialNumber")))
            elif serial.kind != "customer":
                errors.append(FieldError(
                    "SERIAL_NOT_AT_CUSTOMER",
                    _("Serial number {serial} is not with a customer"),
                    field=(*at, "serialNumber"), serial=serial.number))
            elif serial.id in elsewhere:
                errors.append(FieldError(
                    "SERIAL_NOT_AT_CUSTOMER",
                    _("Serial number {serial} is with another customer"),
                    field=(*at, "serialNumber"), serial=serial.number))
            elif serial.id in seen:
                errors.append(FieldError("SERIAL_DUPLICATED",
                                         _("Serial number {serial} is given twice"),
                                         field=(*at, "serialNumber"), serial=serial.number))
            else:
                seen.add(serial.id)
                rows.append((serial.product_id, serial.id, Decimal(1)))
            continue
        if device.product_id not in known:
            errors.append(FieldError("NOT_FOUND", _("Unknown product"),
                                     field=(*at, "productCode")))
            continue
        quantity = check_decimal(errors, device.quantity, (*at, "quantity"), places=4,
                                 minimum=None)
        if quantity is not None and quantity <= 0:
            errors.append(FieldError("INVALID_QUANTITY", _("The quantity must be above zero"),
                                     field=(*at, "quantity")))
        elif quantity is not None:
            rows.append((device.product_id, None, quantity))  # type: ignore[arg-type]
    return rows


# -- assign, start, cancel, coverage ------------------------------------------------------

def assign_order(session: Session, order_id: object, *, assignee_id: int | None = None,
                 team_id: int | None = None, planned_date: date | None = None,
                 user_id: int | None = None) -> ServiceOrder:
    """Give a new (or re-give an assigned) order to a technician, a team, or a member of a
    team.  ``ILLEGAL_TRANSITION`` once work has started."""
    errors: list[FieldError] = []
    if assignee_id is None and team_id is None:
        errors.append(FieldError("REQUIRED", _("Name a technician or a team"),
                                 field="username"))
    if assignee_id is not None:
        check_user(session, errors, assignee_id, "username")
    if team_id is not None and (isinstance(team_id, bool) or not isinstance(team_id, int)
                                or session.get(ServiceTeam, team_id) is None):
        errors.append(FieldError("NOT_FOUND", _("Unknown team"), field="teamCode"))
    elif (team_id is not None and assignee_id is not None and not errors
          and session.get(ServiceTeamMember, (team_id, assignee_id)) is None):
        errors.append(FieldError("INVALID", _("The technician is not a member of the team"),
                                 field="username"))
    check_planned_date(session, errors, planned_date)
    if errors:
        raise ValidationFailed(errors)
    order = load_order(session, order_id)
    values: dict[str, Any] = {"assignee_id": assignee_id, "team_id": team_id,
                              "assigned_at": utcnow()}
    if planned_date is not None:
        values["planned_date"] = planned_date
    advance(session, order, (NEW, ASSIGNED), ASSIGNED, **values)
    return order


def start_order(session: Session, order_id: object, *, user_id: int | None = None,
                ) -> ServiceOrder:
    """assigned → in progress (the technician is on site)."""
    order = load_order(session, order_id)
    advance(session, order, (ASSIGNED,), IN_PROGRESS, started_at=utcnow())
    return order


def cancel_order(session: Session, order_id: object, *, reason: str = "",
                 user_id: int | None = None) -> ServiceOrder:
    """new, assigned or in progress → cancelled.  Nothing is billed; parts already fitted
    stay with the customer (their moves are in the ledger, which is never rewritten)."""
    errors: list[FieldError] = []
    reason = check_text(errors, reason, "reason", max_length=400)
    if errors:
        raise ValidationFailed(errors)
    order = load_order(session, order_id)
    advance(session, order, OPEN_STATES, CANCELLED, cancelled_at=utcnow(),
            cancel_reason=reason)
    publish(session, ServiceOrderCancelled(order_id=order.id))
    return order


def set_coverage(session: Session, order_id: int, *, covers_parts: bool, covers_labour: bool,
                 warranty_id: int | None = None) -> ServiceOrder:
    """What the order's customer does not pay for (for extenders: the bridge calls it on
    :class:`ServiceOrderCreated` with what the device's warranty covers).  Only before
    the order is done — afterwards it has been billed (``ILLEGAL_TRANSITION``)."""
    errors: list[FieldError] = []
    if not isinstance(covers_parts, bool):
        errors.append(FieldError("INVALID", _("Must be true or false"), field="coversParts"))
    if not isinstance(covers_labour, bool):
        errors.append(FieldError("INVALID", _("Must be true or false"), field="coversLabour"))
    if warranty_id is not None and (isinstance(warranty_id, bool)
                                    or not isinstance(warranty_id, int)):
        errors.append(FieldError("INVALID", _("Must be a whole number"), field="warrantyId"))
    if errors:
        raise ValidationFailed(errors)
    order = load_order(session, order_id)
    if order.state not in OPEN_STATES:
        raise _coverage_settled(order)
    done = session.execute(update(ServiceOrder)
                           .where(ServiceOrder.id == order.id,
                                  ServiceOrder.state.in_(OPEN_STATES))
                           .values(covers_parts=covers_parts, covers_labour=covers_labour,
                                   warranty_id=warranty_id,
                                   version=ServiceOrder.version + 1)
                           .execution_options(synchronize_session=False))
    session.refresh(order)
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise _coverage_settled(order)
    return order


def _coverage_settled(order: ServiceOrder) -> ValidationFailed:
    return ValidationFailed(FieldError(
        "ILLEGAL_TRANSITION",
        _("Service order {number} is {state}: its coverage can no longer change"),
        field="id", number=order.number, state=STATE_LABELS[order.state]))


def order_devices(session: Session, order_ids: Sequence[int],
                  ) -> dict[int, list[ServiceOrderDevice]]:
    """The devices of each order, in order (one statement)."""
    found: dict[int, list[ServiceOrderDevice]] = {i: [] for i in order_ids}
    if order_ids:
        for device in session.scalars(select(ServiceOrderDevice)
                                      .where(ServiceOrderDevice.order_id.in_(set(order_ids)))
                                      .order_by(ServiceOrderDevice.order_id,
                                                ServiceOrderDevice.position)):
            found[device.order_id].append(device)
    return found
