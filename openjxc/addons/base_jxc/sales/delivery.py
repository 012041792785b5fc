"""Delivering a confirmed order (销售出库/发货), in full or in part.

Only a confirmed (or partly delivered) order delivers: a draft or an order waiting for a
credit approval is refused with ``APPROVAL_REQUIRED``, so the credit check cannot be
skipped by delivering directly.  Each delivery line names an order line and a quantity
(``OVER_DELIVERY`` beyond what is left), and may name serial units, a batch or a bin;
without them the goods are picked (:mod:`.picking`).  The line's reservations are used
first and what the line no longer needs is released, then the goods move warehouse →
customer location with ``origin_type="sales.delivery"``; the value each move carried is the
cost of goods sold, stored on the delivery line and added to the order line's
``delivered_cost`` (margins).  :class:`SalesDelivered` is published in the transaction::

    deliver_sales_order(session, order.id, lines=[
        DeliveryLineInput(order_line_id=line.id, serials=["YE3-0001..0002"])])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.models import utcnow
from openjxc.core.validation import check_decimal, check_text

from ..partners.models import PartnerAddress
from ..stock.models import Location
from ..stock.posting import MoveLine, business_today, post_moves
from ..stock.serials import expand_serials
from ..stock.warehouses import company_location
from . import statements
from .events import SalesDelivered
from .models import (
    AWAITING_APPROVAL,
    CONFIRMED,
    DELIVERED,
    DRAFT,
    PARTLY_DELIVERED,
    SalesDelivery,
    SalesOrder,
)
from .orders import expire_lines, insert_numbered, invalid_state, order_lines
from .picking import OrderLine, Pick, Want, plan_picks
from .reserving import (
    Release,
    Reservation,
    apply_releases,
    places_and_reservations,
    reservations_of,
)

ORIGIN = "sales.delivery"
NUMBER_PREFIX = "FH"


@dataclass
class DeliveryLineInput:
    """What to deliver of one order line.  ``quantity`` empty: the serials named, else all
    that is left; ``location_id``: a bin of the order's warehouse."""

    order_line_id: int | None
    quantity: Decimal | None = None
    serials: Sequence[str] = ()
    batch_number: str | None = None
    location_id: int | None = None


def deliver_sales_order(session: Session, order_id: int | None, *,
                        lines: Sequence[DeliveryLineInput] | None = None,
                        delivery_date: date | None = None, address_id: int | None = None,
                        note: str = "", user_id: int | None = None) -> SalesDelivery:
    """Deliver (part of) an order; all lines or none.  ``lines`` empty: everything left."""
    session.flush()  # the order is read as the caller left it (a query would autoflush)
    found = (session.execute(statements.lock_order_rows_to_deliver(), {"id": order_id}).all()
             if order_id is not None else [])
    if not found:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown sales order"), field="id"))
    order, customer_location_id = found[0], found[0].customer_location_id
    own = [_Line(r.line_id, r.product_id, r.quantity, r.delivered_quantity)
           for r in found if r.line_id is not None]
    tracking = {r.product_id: r.tracking for r in found if r.line_id is not None}
    if order.state in (DRAFT, AWAITING_APPROVAL):
        message = (_("Sales order {number} waits for a credit approval: it cannot be "
                     "delivered yet") if order.state == AWAITING_APPROVAL
                   else _("Sales order {number} must be confirmed before it is delivered"))
        raise invalid_state(order, message, code="APPROVAL_REQUIRED")
    if order.state not in (CONFIRMED, PARTLY_DELIVERED):
        raise invalid_state(order, _("Sales order {number} is {state}: nothing more can be "
                                     "delivered"))
    errors: list[FieldError] = []
    note = check_text(errors, note, "note", max_length=400)
    address_id = _address(session, errors, order, address_id)
    delivery_date = delivery_date or business_today(session)
    wants = _wants(session, errors, order, own, lines, tracking)
    if errors:
        raise ValidationFailed(errors)
    if customer_location_id is None:
        customer_location_id = company_location(session, "customer").id
    delivery: SalesDelivery | None = None
    try:
        with session.begin_nested():  # a refusal below leaves nothing behind
            places, reservations = places_and_reservations(
                session, order.warehouse_id, {w.product_id for w in wants},
                [line.id for line in own], delivery_date)
            picks = plan_picks(session, errors, order.warehouse_id, wants, reservations,
                               delivery_date, places=places)
            if errors:
                raise ValidationFailed(errors)
            releases, delivered_now = _plan_releases(own, picks, reservations)
            complete = all(line.quantity <= line.delivered_quantity + delivered_now.get(line.id, 0)
                           for line in own)
            ids = (order.id, order.customer_id)
            delivery = SalesDelivery(order_id=order.id, warehouse_id=order.warehouse_id,
                                     delivery_date=delivery_date, address_id=address_id,
                                     note=note, delivered_at=utcnow(), delivered_by_id=user_id)
            insert_numbered(session, delivery, NUMBER_PREFIX)
            loaded = {c.key: getattr(delivery, c.key)
                      for c in SalesDelivery.__mapper__.column_attrs}
            delivery_id, delivery_number = delivery.id, delivery.number
            # Posting first: every delivery locks the product's valuation before its balances,
            # so two deliveries never wait on each other in opposite orders.
            move_ids, values = _post(session, delivery, picks, customer_location_id, user_id)
            apply_releases(session, releases)
            _refuse_taking_reserved(session, order.id, picks)
            _record(session, delivery_id, picks, move_ids, values, delivered_now, releases)
            # The posting expired every loaded row: written without reading them again.
            state: dict[str, Any] = {"state": DELIVERED if complete else PARTLY_DELIVERED}
            if complete:
                state["delivered_at"] = utcnow()
            session.execute(statements.set_order_state(complete), {"oid": ids[0], **state})
            for name, value in loaded.items():  # the caller gets the delivery as it is
                set_committed_value(delivery, name, value)
    except BaseException:
        if delivery is not None and delivery in session:  # stored without a flush and
            session.expunge(delivery)  # rolled back: forgotten, as a flushed one would be
        raise
    publish(session, SalesDelivered(
        delivery_id=delivery_id, number=delivery_number, order_id=ids[0],
        customer_id=ids[1], address_id=address_id, move_ids=tuple(move_ids),
        serial_ids=tuple(i for p in picks for i in p.serial_ids),
        product_ids=tuple(dict.fromkeys(p.want.product_id for p in picks))))
    return delivery


class _Line(NamedTuple):
    """What a delivery reads of an order line."""

    id: int
    product_id: int
    quantity: Decimal
    delivered_quantity: Decimal


class _Order(Protocol):
    """What a delivery reads of its order (a :class:`SalesOrder` or the row read of it)."""

    @property
    def id(self) -> int: ...
    @property
    def number(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def customer_id(self) -> int: ...
    @property
    def warehouse_id(self) -> int: ...
    @property
    def delivery_address_id(self) -> int | None: ...


def suggest_picks(session: Session, order_id: int) -> list[Pick]:
    """Where a clerk would pick what is left of an order today, as a delivery without
    lines would (the order's reservations first, then free stock, earliest expiry first):
    only what is there when stock is short.  Reads, never writes."""
    order = session.get(SalesOrder, order_id)
    if order is None or order.state not in (CONFIRMED, PARTLY_DELIVERED):
        return []
    errors: list[FieldError] = []
    own = order_lines(session, order.id)
    tracking = dict(session.execute(statements.product_tracking(), {
        "products": sorted({line.product_id for line in own})}).all())
    wants = _wants(session, errors, order, own, None, tracking)
    if errors or not wants:
        return []
    picks = plan_picks(session, errors, order.warehouse_id, wants,
                       reservations_of(session, [line.id for line in own]),
                       business_today(session), partial=True)
    return [] if errors else picks


def _address(session: Session, errors: list[FieldError], order: _Order,
             address_id: int | None) -> int | None:
    if address_id is None:
        return order.delivery_address_id
    address = session.get(PartnerAddress, address_id)
    if address is None or address.partner_id != order.customer_id:
        errors.append(FieldError("NOT_FOUND", _("This address is not one of the customer's"),
                                 field="address"))
    return address_id


def _wants(session: Session, errors: list[FieldError], order: _Order,
           own: Sequence[OrderLine], lines: Sequence[DeliveryLineInput] | None,
           tracking: dict[int, str]) -> list[Want]:
    if not lines:
        wants = [Want(("lines",), line, tracking[line.product_id],
                      line.quantity - line.delivered_quantity)
                 for line in own if line.quantity > line.delivered_quantity]
        if not wants:
            errors.append(FieldError("INVALID_STATE", _("Everything was delivered already"),
                                     field="lines"))
        return wants
    by_id = {line.id: line for line in own}
    bins = _bins(session, order, lines)
    seen: set[int] = set()
    wants = []
    for i, entry in enumerate(lines):
        at = ("lines", str(i))
        line = by_id.get(entry.order_line_id) if entry.order_line_id is not None else None
        if line is None:
            errors.append(FieldError("NOT_FOUND", _("This line is not part of the order"),
                                     field=(*at, "orderLine")))
            continue
        if line.id in seen:
            errors.append(FieldError("INVALID", _("A line is listed twice"),
                                     field=(*at, "orderLine")))
            continue
        seen.add(line.id)
        want = _want(errors, at, line, tracking[line.product_id], entry, bins)
        if want is not None:
            wants.append(want)
    return wants


def _bins(session: Session, order: _Order, lines: Sequence[DeliveryLineInput],
          ) -> set[int]:
    ids = {e.location_id for e in lines if e.location_id is not None}
    if not ids:
        return set()
    return set(session.scalars(select(Location.id).where(
        Location.id.in_(ids), Location.warehouse_id == order.warehouse_id,
        Location.kind == "internal")))


def _want(errors: list[FieldError], at: tuple[str, ...], line: OrderLine, tracking: str,
          entry: DeliveryLineInput, bins: set[int]) -> Want | None:
    before = len(errors)
    left = line.quantity - line.delivered_quantity
    serials = expand_serials(entry.serials, errors, (*at, "serials"))
    if serials and tracking != "serial":
        errors.append(FieldError("SERIAL_NOT_TRACKED", _("This product is not tracked by serial "
                                                         "number"), field=(*at, "serials")))
    if len(set(serials)) != len(serials):
        errors.append(FieldError("SERIAL_DUPLICATED", _("A serial number is listed twice"),
                                 field=(*at, "serials")))
    batch_number = str(entry.batch_number or "").strip()
    if batch_number and tracking != "batch":
        errors.append(FieldError("BATCH_NOT_TRACKED", _("This product is not tracked by batch"),
                                 field=(*at, "batchNumber")))
    if entry.location_id is not None and entry.location_id not in bins:
        errors.append(FieldError("INVALID_LOCATION", _("Not a stock location of the order's "
                                                       "warehouse"), field=(*at, "location")))
    if entry.quantity is None:
        quantity: Decimal | None = Decimal(len(serials)) if serials else left
    else:
        quantity = check_decimal(errors, entry.quantity, (*at, "quantity"), places=4,
                                 minimum=None)
    if quantity is not None and quantity <= 0:
        errors.append(FieldError("INVALID_QUANTITY", _("Quantity must be greater than zero"),
                                 field=(*at, "quantity")))
    elif quantity is not None and quantity > left:
        errors.append(FieldError("OVER_DELIVERY",
                                 _("{wanted} to deliver but only {left} left on the order"),
                                 field=(*at, "quantity"), wanted=f"{quantity.normalize():f}",
                                 left=f"{left.normalize():f}"))
    elif quantity is not None and serials and quantity != len(serials):
        errors.append(FieldError(
            "SERIAL_COUNT_MISMATCH",
            _("{quantity} units need {quantity} serial numbers, {count} given"),
            field=(*at, "serials"), quantity=f"{quantity.normalize():f}", count=len(serials)))
    if len(errors) > before or quantity is None:
        return None
    return Want(at, line, tracking, quantity, serials, batch_number, entry.location_id)


def _plan_releases(own: Sequence[OrderLine], picks: list[Pick],
                   reservations: Mapping[int, Sequence[Reservation]],
                   ) -> tuple[list[Release], dict[int, Decimal]]:
    """What to give back of the lines' reservations: what the picks took from them, and
    what a line no longer needs after this delivery.  Also line id → quantity delivered
    now."""
    now: dict[int, Decimal] = {}
    left = {row.id: row.quantity for rows in reservations.values() for row in rows}
    given: dict[int, Decimal] = {}
    for pick in picks:
        line_id = pick.want.line_id
        now[line_id] = now.get(line_id, Decimal(0)) + pick.quantity
        if pick.own:
            row = next(r for r in reservations[line_id]
                       if (r.location_id, r.batch_id) == (pick.location_id, pick.batch_id))
            given[row.id] = given.get(row.id, Decimal(0)) + pick.own
            left[row.id] -= pick.own
    for line in own:
        if line.id not in now:
            continue
        rows = reservations[line.id]
        excess = (sum((left[r.id] for r in rows), Decimal(0))
                  - (line.quantity - line.delivered_quantity - now[line.id]))
        for row in reversed(rows):
            if excess <= 0:
                break
            give = min(excess, left[row.id])
            if give > 0:
                given[row.id] = given.get(row.id, Decimal(0)) + give
                left[row.id] -= give
                excess -= give
    products = {line.id: line.product_id for line in own}
    releases = [Release(row.id, row.order_line_id, products[row.order_line_id],
                        row.location_id, row.batch_id, given[row.id], left[row.id])
                for rows in reservations.values() for row in rows if row.id in given]
    return releases, now


def _post(session: Session, delivery: SalesDelivery, picks: list[Pick], customer: int,
          user_id: int | None) -> tuple[list[int], list[Decimal]]:
    moves = [MoveLine(product_id=p.want.product_id, quantity=p.quantity,
                      from_location_id=p.location_id, to_location_id=customer,
                      batch_id=p.batch_id or None, serials=p.serials) for p in picks]
    try:
        posted = post_moves(session, moves, move_date=delivery.delivery_date, origin_type=ORIGIN,
                            origin_id=delivery.id, reference=delivery.number, user_id=user_id,
                            field="moves", savepoint=False)  # inside the delivery's own
    except ValidationFailed as exc:
        raise ValidationFailed([_relocated(e, picks) for e in exc.errors]) from None
    return posted.move_ids, posted.values


def _relocated(error: FieldError, picks: list[Pick]) -> FieldError:
    """An engine error at ``moves.<k>.<attr>`` said at the delivery line it came from."""
    path = list(error.field)
    if len(path) >= 2 and path[0] == "moves" and path[1].isdigit():
        at = picks[int(path[1])].want.at
        return FieldError(error.code, error.message, field=(*at, *path[2:]), **error.params)
    return error


def _refuse_taking_reserved(session: Session, order_id: int, picks: list[Pick]) -> None:
    """After posting, no place may hold less than is reserved there for other orders: a
    concurrent delivery or reservation that slipped in between is refused here (the
    balance rows are locked by the posting until commit)."""
    keys = {(p.location_id, p.want.product_id, p.batch_id) for p in picks}
    short = session.execute(statements.over_reserved(),
                            {"keys": sorted(keys), "order_id": order_id}).all()
    if short:
        where = {(r.location_id, r.product_id, r.batch_id) for r in short}
        raise ValidationFailed([
            FieldError("INSUFFICIENT_STOCK", _("This stock is reserved for other orders"),
                       field=(*p.want.at, "quantity"))
            for p in picks if (p.location_id, p.want.product_id, p.batch_id) in where])


def _record(session: Session, delivery_id: int, picks: list[Pick], move_ids: list[int],
            values: list[Decimal], delivered_now: dict[int, Decimal],
            releases: list[Release]) -> None:
    session.execute(statements.insert_delivery_lines(), [
        {"delivery_id": delivery_id, "order_line_id": p.want.line_id,
         "product_id": p.want.product_id, "quantity": p.quantity,
         "batch_id": p.batch_id or None, "location_id": p.location_id, "move_id": move_id,
         "cost": value} for p, move_id, value in zip(picks, move_ids, values, strict=True)])
    cost: dict[int, Decimal] = {}
    for p, value in zip(picks, values, strict=True):
        cost[p.want.line_id] = cost.get(p.want.line_id, Decimal(0)) + value
    released: dict[int, Decimal] = {}
    for r in releases:
        released[r.line_id] = released.get(r.line_id, Decimal(0)) + r.quantity
    session.execute(statements.add_delivered(), [{"lid": i, "qty": q, "cost": cost[i],
                      "released": released.get(i, Decimal(0))}
                     for i, q in delivered_now.items()])
    expire_lines(session, delivered_now)
