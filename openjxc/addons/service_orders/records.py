"""Recording work on an order in progress: notes, attachment URLs, minutes, labour hours
and spare parts.

Parts leave the technician's van for the customer through base_jxc's ``post_moves``
(``origin_type="service.order"``), at the cost the stock engine records — a part not in
the van is refused (``INSUFFICIENT_STOCK``, ``SERIAL_NOT_IN_LOCATION``).  A replaced
serial part names the faulty unit, which comes back from the customer location into the
van warehouse's quarantine, and :class:`~.events.ServicePartReplaced` tells extenders::

    record_work(session, order.id, note="更换驱动板", minutes=90, user_id=tech,
                labour=[LabourInput(technician_id=tech, hours=Decimal("1.5"))],
                parts=[PartInput(product_id=drive, quantity=Decimal(1),
                                 serials=["DRV-0002"], removed_serial="DRV-0001")])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlsplit

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.stock.models import Location, SerialNumber
from openjxc.addons.base_jxc.stock.posting import MoveLine, business_today, post_moves
from openjxc.addons.base_jxc.stock.serials import expand_serials
from openjxc.addons.base_jxc.stock.warehouses import company_location, warehouse_location
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.models import utcnow
from openjxc.core.validation import check_decimal, check_text

from .checks import with_other_customer
from .events import ServicePartReplaced
from .models import (
    IN_PROGRESS,
    ServiceAttachment,
    ServiceLabour,
    ServiceOrder,
    ServicePart,
    ServiceRecord,
)
from .orders import STATE_LABELS, load_order, order_devices
from .settings import check_user, labour_rate, van_of
from .van_batches import at_part, split_by_batch

ORIGIN = "service.order"
MAX_ATTACHMENTS = 20
MAX_LINES = 100
MAX_MINUTES = 100_000
MAX_HOURS = Decimal(1000)


@dataclass
class LabourInput:
    technician_id: int | None
    hours: Decimal


@dataclass
class PartInput:
    """A part fitted: ``serials`` for a serial-tracked part (one per unit), and for a
    swap the faulty unit taken out (``removed_serial``, a unit of the same product at the
    customer).  ``host_serial_id`` is the order's device it went into (default: the
    order's only serial device)."""

    product_id: int | None
    quantity: Decimal
    serials: Sequence[str] = field(default_factory=tuple)
    removed_serial: str | None = None
    host_serial_id: int | None = None


def check_url(errors: list[FieldError], url: object, at: str | tuple[str, ...]) -> str:
    """An http(s) URL of at most 1000 characters, else an error."""
    text = check_text(errors, url, at, max_length=1000, required=True)
    if text and not is_web_url(text):
        errors.append(FieldError("INVALID_URL", _("Only http and https URLs are allowed"),
                                 field=at))
        return ""
    return text


def is_web_url(text: str) -> bool:
    """An absolute http(s) URL with a host and no blank or control character (which
    ``urlsplit`` would silently drop, or choke on: ``http://[x`` raises)."""
    if any(c <= " " or c == "\x7f" for c in text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def record_work(session: Session, order_id: object, *, note: str = "",
                attachment_urls: Sequence[str] = (), minutes: int = 0,
                labour: Sequence[LabourInput] = (), parts: Sequence[PartInput] = (),
                technician_id: int | None = None, user_id: int | None = None,
                ) -> ServiceRecord:
    """One record of work on an order in progress (``ILLEGAL_TRANSITION`` otherwise).

    Parts come out of the van of ``technician_id`` (default: the recording user);
    ``NO_VAN`` when they have none.  All of it is kept, or nothing.
    """
    errors: list[FieldError] = []
    note = check_text(errors, note, "note", max_length=4000)
    urls = _urls(errors, attachment_urls)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not (
            0 <= minutes <= MAX_MINUTES):
        errors.append(FieldError("INVALID", _("Minutes must be between 0 and {max}"),
                                 field="minutes", max=MAX_MINUTES))
    hours = _labour(session, errors, labour)
    products = _parts(session, errors, parts)
    if not errors and not (note or urls or minutes or hours or parts):
        errors.append(FieldError("REQUIRED", _("Record a note, time, labour or parts"),
                                 field="note"))
    if errors:
        raise ValidationFailed(errors)
    order = load_order(session, order_id)
    technician = technician_id if technician_id is not None else user_id
    with session.begin_nested():  # a refused part leaves no record behind
        _take(session, order)
        record = ServiceRecord(order_id=order.id, note=note, minutes=minutes,
                               recorded_at=utcnow(), recorded_by_id=user_id)
        session.add(record)
        session.flush()
        session.add_all(ServiceAttachment(record_id=record.id, url=url) for url in urls)
        rate, internal, tax = labour_rate(session, order.type)
        session.add_all(ServiceLabour(order_id=order.id, record_id=record.id,
                                      technician_id=who, hours=h, rate=rate,
                                      internal_rate=internal, tax_rate=tax)
                        for who, h in hours)
        if parts:
            _fit_parts(session, order, record, parts, products, technician, user_id)
        session.flush()
    return record


def _take(session: Session, order: ServiceOrder) -> None:
    """Hold the order while recording: only in progress, and no state change meanwhile."""
    done = session.execute(update(ServiceOrder)
                           .where(ServiceOrder.id == order.id,
                                  ServiceOrder.state == IN_PROGRESS)
                           .values(version=ServiceOrder.version + 1)
                           .execution_options(synchronize_session=False))
    session.refresh(order)
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise ValidationFailed(FieldError(
            "ILLEGAL_TRANSITION",
            _("Service order {number} is {state}: work is recorded only while it is in "
              "progress"), field="id", number=order.number, state=STATE_LABELS[order.state]))


def _urls(errors: list[FieldError], urls: Sequence[str]) -> list[str]:
    if len(urls) > MAX_ATTACHMENTS:
        errors.append(FieldError("INVALID", _("At most {max} attachments"),
                                 field="attachmentUrls", max=MAX_ATTACHMENTS))
        return []
    checked = [check_url(errors, url, ("attachmentUrls", str(i))) for i, url in enumerate(urls)]
    return [u for u in checked if u]


def _labour(session: Session, errors: list[FieldError], labour: Sequence[LabourInput],
            ) -> list[tuple[int, Decimal]]:
    if len(labour) > MAX_LINES:
        errors.append(FieldError("INVALID", _("At most {max} lines"), field="labour",
                                 max=MAX_LINES))
        return []
    found = []
    for i, line in enumerate(labour):
        at = ("labour", str(i))
        who = check_user(session, errors, line.technician_id, (*at, "username"))
        hours = check_decimal(errors, line.hours, (*at, "hours"), places=2,
                              minimum=None, maximum=MAX_HOURS)
        if hours is not None and hours <= 0:
            errors.append(FieldError("INVALID_QUANTITY", _("Hours must be above zero"),
                                     field=(*at, "hours")))
        elif hours is not None and who is not None:
            found.append((who, hours))
    return found


def _parts(session: Session, errors: list[FieldError], parts: Sequence[PartInput],
           ) -> dict[int, Product]:
    if len(parts) > MAX_LINES:
        errors.append(FieldError("INVALID", _("At most {max} lines"), field="parts",
                                 max=MAX_LINES))
        return {}
    wanted = {p.product_id for p in parts
              if isinstance(p.product_id, int) and not isinstance(p.product_id, bool)}
    products = {p.id: p for p in session.scalars(select(Product).where(Product.id.in_(wanted)))
                } if wanted else {}
    for i, part in enumerate(parts):
        at = ("parts", str(i))
        product = products.get(part.product_id)  # type: ignore[arg-type]
        if product is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown product"),
                                     field=(*at, "productCode")))
        quantity = check_decimal(errors, part.quantity, (*at, "quantity"), places=4,
                                 minimum=None)
        if quantity is not None and quantity <= 0:
            errors.append(FieldError("INVALID_QUANTITY", _("The quantity must be above zero"),
                                     field=(*at, "quantity")))
        if part.removed_serial is not None:
            check_text(errors, part.removed_serial, (*at, "removedSerial"), max_length=64,
                       required=True)
            if product is not None and product.tracking != "serial":
                errors.append(FieldError(
                    "INVALID", _("Only a serial-tracked part can replace a serial unit"),
                    field=(*at, "removedSerial")))
            elif quantity is not None and quantity != 1:
                errors.append(FieldError("INVALID_QUANTITY",
                                         _("A swap replaces exactly one unit"),
                                         field=(*at, "quantity")))
    return products


def _fit_parts(session: Session, order: ServiceOrder, record: ServiceRecord,
               parts: Sequence[PartInput], products: dict[int, Product],
               technician: int | None, user_id: int | None) -> None:
    van = van_of(session, technician)
    if van is None or van.warehouse_id is None:
        raise ValidationFailed(FieldError("NO_VAN", _("The technician has no van to take "
                                                      "parts from"), field="parts"))
    customer = company_location(session, "customer").id
    quarantine = warehouse_location(session, van.warehouse_id, "quarantine").id
    hosts = _hosts(session, order, parts)
    removed = _removed_units(session, parts, customer, order.customer_id)
    today = business_today(session)
    pieces = split_by_batch(session, van.id,
                            [(p.product_id, p.quantity) for p in parts],  # type: ignore[misc]
                            products, today)
    try:
        fitted = post_moves(session, [
            MoveLine(product_id=parts[piece.part].product_id,  # type: ignore[arg-type]
                     quantity=piece.quantity, batch_id=piece.batch_id,
                     from_location_id=van.id, to_location_id=customer,
                     serials=list(parts[piece.part].serials), note=order.number)
            for piece in pieces], origin_type=ORIGIN, origin_id=order.id,
            reference=order.number, user_id=user_id, field="parts")
    except ValidationFailed as exc:
        raise ValidationFailed([at_part(e, pieces) for e in exc.errors]) from None
    swaps = [(i, removed[i]) for i in sorted(removed)]
    back = post_moves(session, [
        MoveLine(product_id=parts[i].product_id,  # type: ignore[arg-type]
                 quantity=Decimal(1), from_location_id=customer, to_location_id=quarantine,
                 serials=[unit.number], note=order.number)
        for i, unit in swaps], origin_type=ORIGIN, origin_id=order.id,
        reference=order.number, user_id=user_id, field="parts") if swaps else None
    back_moves = dict(zip((i for i, _u in swaps), back.move_ids, strict=True)) if back else {}
    fitted_ids = _fitted_serial_ids(session, parts)
    for piece, move_id, value in zip(pieces, fitted.move_ids, fitted.values, strict=True):
        i = piece.part
        product = products[parts[i].product_id]  # type: ignore[index]
        unit = removed.get(i)
        session.add(ServicePart(
            order_id=order.id, record_id=record.id, product_id=product.id,
            quantity=piece.quantity, move_id=move_id, cost=value,
            unit_price=product.list_price, tax_rate=product.tax_rate,
            fitted_serial_id=fitted_ids[i], removed_serial_id=unit.id if unit else None,
            removed_move_id=back_moves.get(i), host_serial_id=hosts[i]))
        if unit is not None or fitted_ids[i] is not None:
            publish(session, ServicePartReplaced(
                order_id=order.id, host_serial_id=hosts[i],
                removed_serial_id=unit.id if unit else None,
                fitted_serial_id=fitted_ids[i], replaced_on=today))


def _hosts(session: Session, order: ServiceOrder, parts: Sequence[PartInput],
           ) -> list[int | None]:
    """The device each part went into: the one named (it must be a serial device of the
    order), else the order's only serial device, else none."""
    serials = [d.serial_id for d in order_devices(session, [order.id])[order.id]
               if d.serial_id is not None]
    hosts: list[int | None] = []
    errors = []
    for i, part in enumerate(parts):
        if part.host_serial_id is None:
            hosts.append(serials[0] if len(serials) == 1 else None)
        elif part.host_serial_id in serials:
            hosts.append(part.host_serial_id)
        else:
            errors.append(FieldError("INVALID", _("The device is not on this service order"),
                                     field=("parts", str(i), "deviceSerial")))
            hosts.append(None)
    if errors:
        raise ValidationFailed(errors)
    return hosts


@dataclass
class _Unit:
    id: int
    number: str


def _removed_units(session: Session, parts: Sequence[PartInput], customer: int,
                   customer_id: int) -> dict[int, _Unit]:
    """The faulty unit of each swap, which must be with the order's customer (or with no
    known one)."""
    wanted = [(i, p) for i, p in enumerate(parts) if p.removed_serial is not None]
    if not wanted:
        return {}
    rows = session.execute(select(SerialNumber.id, SerialNumber.product_id,
                                  SerialNumber.number, SerialNumber.location_id)
                           .where(SerialNumber.number.in_(
                               {str(p.removed_serial).strip() for _i, p in wanted}))).all()
    by_key = {(r.product_id, r.number): r for r in rows}
    kinds = {i: k for i, k in session.execute(select(Location.id, Location.kind).where(
        Location.id.in_({r.location_id for r in rows})))} if rows else {}
    elsewhere = with_other_customer(session, [r.id for r in rows], customer_id)
    found: dict[int, _Unit] = {}
    errors = []
    for i, part in wanted:
        number = str(part.removed_serial).strip()
        row = by_key.get((part.product_id, number))
        if row is None or kinds.get(row.location_id) != "customer":
            errors.append(FieldError("SERIAL_NOT_AT_CUSTOMER",
                                     _("Serial number {serial} is not with a customer"),
                                     field=("parts", str(i), "removedSerial"), serial=number))
        elif row.id in elsewhere:
            errors.append(FieldError("SERIAL_NOT_AT_CUSTOMER",
                                     _("Serial number {serial} is with another customer"),
                                     field=("parts", str(i), "removedSerial"), serial=number))
        else:
            found[i] = _Unit(row.id, row.number)
    if errors:
        raise ValidationFailed(errors)
    return found


def _fitted_serial_ids(session: Session, parts: Sequence[PartInput]) -> list[int | None]:
    """The fitted unit of each part fitting exactly one serial unit (else None)."""
    numbers: list[str | None] = []
    for part in parts:
        expanded = expand_serials(part.serials, [], ("parts",)) if part.serials else []
        numbers.append(expanded[0] if len(expanded) == 1 else None)
    wanted = {n for n in numbers if n is not None}
    if not wanted:
        return [None] * len(parts)
    ids = {(r.product_id, r.number): r.id for r in session.execute(
        select(SerialNumber.id, SerialNumber.product_id, SerialNumber.number)
        .where(SerialNumber.number.in_(wanted)))}
    return [ids.get((p.product_id, n)) if n is not None else None  # type: ignore[arg-type]
            for p, n in zip(parts, numbers, strict=True)]


def order_records(session: Session, order_ids: Sequence[int],
                  ) -> dict[int, list[ServiceRecord]]:
    found: dict[int, list[ServiceRecord]] = {i: [] for i in order_ids}
    if order_ids:
        for row in session.scalars(select(ServiceRecord)
                                   .where(ServiceRecord.order_id.in_(set(order_ids)))
                                   .order_by(ServiceRecord.order_id, ServiceRecord.id)):
            found[row.order_id].append(row)
    return found
