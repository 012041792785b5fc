"""Warranties per serial unit: issued on delivery, voided on return, restarted by an
installation, asked for coverage — and back-filled for units sold before.

Rules (docs/pro.md):

* a delivered serial unit whose product has a policy gets a warranty starting on the
  delivery date, with the policy's terms copied (:func:`issue_warranties`, called in the
  delivery's transaction by :func:`on_sales_delivered`);
* a returned unit's warranty is void (``void_reason="returned"``); sold again, the unit
  gets a new one (:func:`on_return_received`); so is the warranty of a delivery whose
  move was reversed (``"reversed"``, :func:`on_moves_posted`);
* an installation restarts warranties whose terms say so (:func:`record_installation`);
* **back-fill**: a unit that is at a customer location because of a sales delivery (its
  last move) and has no live warranty gets one from that delivery's date under the
  policy that applies now (:func:`backfill_warranties`).  It runs when the addon is
  installed, for the demo, and when a policy is created (for the units it covers), so a
  database upgraded from the basic edition gets warranties for the units it sold before
  as soon as the policies are entered.  Nothing else changes.

Status as of a day, in this order: ``void`` › ``expired`` (day > end) › ``expiring``
(end − day < alert days) › ``extended`` › ``active`` (:func:`warranty_status`,
:func:`status_condition` for the same rule in SQL).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, insert, select, update
from sqlalchemy.orm import Session, aliased

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.returns.events import ReturnReceived
from openjxc.addons.base_jxc.sales.events import SalesDelivered
from openjxc.addons.base_jxc.sales.models import SalesDelivery, SalesOrder
from openjxc.addons.base_jxc.stock.events import StockMovesPosted
from openjxc.addons.base_jxc.stock.models import Location, SerialNumber, StockMove, StockMoveSerial
from openjxc.addons.base_jxc.stock.posting import business_today
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _

from .models import REDELIVERED, RETURNED, REVERSED, Warranty, WarrantyExtension, WarrantyPolicy
from .months import expiring_from, replay_extensions, term_end
from .policies import policies_for

VOID, EXPIRED, EXPIRING, EXTENDED, ACTIVE = "void", "expired", "expiring", "extended", "active"
STATUSES = (VOID, EXPIRED, EXPIRING, EXTENDED, ACTIVE)
INSTALLATION = "installation"
DELIVERY_ORIGIN = "sales.delivery"
REVERSAL_ORIGIN = "reversal"


@dataclass(frozen=True)
class Coverage:
    """What the live warranty of a unit covers on a day (for service_orders' bridge)."""

    warranty_id: int
    covers_parts: bool
    covers_labour: bool


@dataclass(frozen=True)
class Delivered:
    """A serial unit a sales delivery took to a customer."""

    serial_id: int
    delivery_id: int
    sales_order_id: int
    customer_id: int
    delivered_on: date


# -- status ------------------------------------------------------------------------------

def warranty_status(warranty: Warranty, day: date) -> str:
    """The status of ``warranty`` as of ``day`` (one of :data:`STATUSES`)."""
    if warranty.voided_on is not None:
        return VOID
    if day > warranty.end_date:
        return EXPIRED
    if (warranty.end_date - day).days < warranty.alert_days:
        return EXPIRING
    if warranty.end_date != warranty.base_end_date:
        return EXTENDED
    return ACTIVE


def status_condition(status: str, day: date) -> ColumnElement[bool]:
    """:func:`warranty_status` ``== status`` as a SQL condition on :class:`Warranty`.

    An extension always moves the end past the base end, so "has an extension" is
    ``end_date <> base_end_date``; "expiring" is ``expiring_from <= day``, the day kept
    with the end (see :func:`~.months.expiring_from`).
    """
    w = Warranty
    live = w.voided_on.is_(None)
    if status == VOID:
        return w.voided_on.is_not(None)
    if status == EXPIRED:
        return and_(live, w.end_date < day)
    if status == EXPIRING:
        return and_(live, w.end_date >= day, w.expiring_from <= day)
    calm = and_(live, w.end_date >= day, w.expiring_from > day)
    if status == EXTENDED:
        return and_(calm, w.end_date != w.base_end_date)
    if status == ACTIVE:
        return and_(calm, w.end_date == w.base_end_date)
    raise ValueError(f"unknown warranty status {status!r}")


def _set_end(warranty: Warranty, end: date) -> None:
    warranty.end_date = end
    warranty.expiring_from = expiring_from(end, warranty.alert_days)


# -- issuing -----------------------------------------------------------------------------

def issue_warranties(session: Session, delivered: Sequence[Delivered]) -> int:
    """A warranty for each delivered unit whose product has a policy (its own, else its
    category's), starting on the delivery date; how many were issued.

    A unit that still has a live warranty (it came back without a customer return) has
    it voided (``void_reason="redelivered"``) first: one live warranty per unit.  A
    constant number of statements, however many units.
    """
    if not delivered:
        return 0
    serial_ids = sorted({d.serial_id for d in delivered})
    products = {serial_id: (product_id, category_id) for serial_id, product_id, category_id
                in session.execute(
                    select(SerialNumber.id, SerialNumber.product_id, Product.category_id)
                    .join(Product, Product.id == SerialNumber.product_id)
                    .where(SerialNumber.id.in_(serial_ids)))}
    pairs = sorted(set(products.values()))
    policies = dict(zip(pairs, policies_for(session, pairs), strict=True))
    rows: list[dict[str, Any]] = []
    seen: set[int] = set()
    for unit in delivered:
        product = products.get(unit.serial_id)
        policy = policies.get(product) if product is not None else None
        if product is None or policy is None or unit.serial_id in seen:
            continue
        seen.add(unit.serial_id)
        end = term_end(unit.delivered_on, policy.months)
        rows.append({
            "serial_id": unit.serial_id, "product_id": product[0],
            "customer_id": unit.customer_id, "sales_order_id": unit.sales_order_id,
            "delivery_id": unit.delivery_id, "policy_id": policy.id, "months": policy.months,
            "starts_on": policy.starts_on, "covers_parts": policy.covers_parts,
            "covers_labour": policy.covers_labour, "alert_days": policy.alert_days,
            "delivered_on": unit.delivered_on, "installed_on": None,
            "start_date": unit.delivered_on, "base_end_date": end, "end_date": end,
            "expiring_from": expiring_from(end, policy.alert_days), "voided_on": None,
            "void_reason": ""})
    if not rows:
        return 0
    day = max(d.delivered_on for d in delivered)
    session.execute(update(Warranty)
                    .where(Warranty.serial_id.in_(sorted(seen)), Warranty.voided_on.is_(None))
                    .values(voided_on=day, void_reason=REDELIVERED)
                    .execution_options(synchronize_session=False))
    session.execute(insert(Warranty), rows)
    return len(rows)


def on_sales_delivered(event: SalesDelivered, *, session: Session, env: Any) -> None:
    """Issue the warranties of the delivered units, in the delivery's transaction."""
    if not event.serial_ids:
        return
    delivered_on = session.scalar(select(SalesDelivery.delivery_date)
                                  .where(SalesDelivery.id == event.delivery_id))
    if delivered_on is None:
        return
    issue_warranties(session, [
        Delivered(serial_id=s, delivery_id=event.delivery_id, sales_order_id=event.order_id,
                  customer_id=event.customer_id, delivered_on=delivered_on)
        for s in event.serial_ids])


def void_warranties(session: Session, serial_ids: Collection[int], *, on: date,
                    reason: str) -> int:
    """Void the live warranties of ``serial_ids`` as of ``on``; how many."""
    if not serial_ids:
        return 0
    result = session.execute(
        update(Warranty)
        .where(Warranty.serial_id.in_(sorted(serial_ids)), Warranty.voided_on.is_(None))
        .values(voided_on=on, void_reason=reason)
        .execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def on_return_received(event: ReturnReceived, *, session: Session, env: Any) -> None:
    """A returned unit's warranty is void from the day its return was received."""
    void_warranties(session, event.serial_ids, on=business_today(session), reason=RETURNED)


def on_moves_posted(event: StockMovesPosted, *, session: Session, env: Any) -> None:
    """A sales delivery's move reversed (a delivery entered by mistake): the unit never
    reached the customer, so the warranty that delivery issued is void
    (``void_reason="reversed"``).  Other postings cost nothing here."""
    if event.origin_type != REVERSAL_ORIGIN or not event.move_ids:
        return
    original = aliased(StockMove)
    undone = session.execute(
        select(StockMoveSerial.serial_id, original.origin_id)
        .join(StockMove, StockMove.id == StockMoveSerial.move_id)
        .join(original, original.id == StockMove.reversal_of_id)
        .where(StockMove.id.in_(sorted(event.move_ids)),
               original.origin_type == DELIVERY_ORIGIN)).all()
    for serial_id, delivery_id in undone:
        session.execute(update(Warranty)
                        .where(Warranty.serial_id == serial_id,
                               Warranty.delivery_id == delivery_id,
                               Warranty.voided_on.is_(None))
                        .values(voided_on=business_today(session), void_reason=REVERSED)
                        .execution_options(synchronize_session=False))


# -- installation ------------------------------------------------------------------------

def record_installation(session: Session, serial_ids: Sequence[int],
                        installed_on: date) -> list[Warranty]:
    """Record that ``serial_ids`` were installed on ``installed_on``.

    The live warranties whose terms say ``installation`` start again that day: the base
    end is recomputed and the extensions are applied again on top of it.  Recording the
    same day again changes nothing; an installation before the delivery is refused
    (``INVALID`` at ``installedOn``).  Returns the live warranties of those units.
    """
    if not isinstance(installed_on, date):
        raise ValidationFailed(FieldError("INVALID", _("Give the installation date"),
                                          field="installedOn"))
    if not serial_ids:
        return []
    rows = list(session.scalars(
        select(Warranty).where(Warranty.serial_id.in_(sorted(set(serial_ids))),
                               Warranty.voided_on.is_(None))
        .order_by(Warranty.id).with_for_update()))
    early = [w for w in rows if installed_on < w.delivered_on]
    if early:
        raise ValidationFailed([
            FieldError("INVALID", _("An installation on {installed} cannot come before the "
                                    "delivery on {delivered}"), field="installedOn",
                       installed=installed_on, delivered=w.delivered_on)
            for w in early[:1]])
    changing = [w for w in rows if w.installed_on != installed_on]
    extensions = _extensions_of(session, [w.id for w in changing
                                          if w.starts_on == INSTALLATION])
    ends: dict[int, tuple[date, date]] = {}
    try:  # every end first: a date off the calendar (year 9999) changes nothing
        for warranty in changing:
            if warranty.starts_on == INSTALLATION:
                base_end = term_end(installed_on, warranty.months)
                ends[warranty.id] = (base_end, replay_extensions(base_end,
                                                                 extensions[warranty.id]))
    except (ValueError, OverflowError):
        raise ValidationFailed(FieldError("INVALID", _("Give the installation date"),
                                          field="installedOn")) from None
    for warranty in changing:
        warranty.installed_on = installed_on
        if warranty.id in ends:
            warranty.start_date = installed_on
            warranty.base_end_date, end = ends[warranty.id]
            _set_end(warranty, end)
    session.flush()
    return rows


def _extensions_of(session: Session, warranty_ids: Sequence[int],
                   ) -> dict[int, list[tuple[int, date]]]:
    found: dict[int, list[tuple[int, date]]] = defaultdict(list)
    if warranty_ids:
        for warranty_id, months, sold_on in session.execute(
                select(WarrantyExtension.warranty_id, WarrantyExtension.months,
                       WarrantyExtension.sold_on)
                .where(WarrantyExtension.warranty_id.in_(warranty_ids))
                .order_by(WarrantyExtension.id)):
            found[warranty_id].append((months, sold_on))
    return found


# -- questions ---------------------------------------------------------------------------

def coverage_on(session: Session, serial_id: int, day: date) -> Coverage | None:
    """What the unit's live warranty covers on ``day``; None without one covering it."""
    row = session.execute(
        select(Warranty.id, Warranty.covers_parts, Warranty.covers_labour)
        .where(Warranty.serial_id == serial_id, Warranty.voided_on.is_(None),
               Warranty.start_date <= day, Warranty.end_date >= day)).first()
    if row is None:
        return None
    return Coverage(warranty_id=row.id, covers_parts=row.covers_parts,
                    covers_labour=row.covers_labour)


def current_warranties(session: Session, serial_ids: Sequence[int]) -> dict[int, Warranty]:
    """The current warranty of each unit: the live one, else the last one voided."""
    found: dict[int, Warranty] = {}
    if not serial_ids:
        return found
    for row in session.scalars(select(Warranty)
                               .where(Warranty.serial_id.in_(sorted(set(serial_ids))))
                               .order_by(Warranty.serial_id, Warranty.id)):
        held = found.get(row.serial_id)
        if held is None or held.voided_on is not None:
            found[row.serial_id] = row
    return found


# -- back-fill ---------------------------------------------------------------------------

def backfill_warranties(session: Session, *, product_ids: Collection[int] | None = None,
                        ) -> int:
    """Warranties for units at a customer location through a sales delivery (their last
    move) that have no live warranty, from that delivery's date under the policy that
    applies now; only ``product_ids`` when given.  How many were issued."""
    if session.scalar(select(WarrantyPolicy.id).limit(1)) is None:
        return 0  # a first install: nothing can be covered yet
    candidates = (select(SerialNumber.id)
                  .join(Location, Location.id == SerialNumber.location_id)
                  .where(Location.kind == "customer",
                         ~select(Warranty.id).where(Warranty.serial_id == SerialNumber.id,
                                                    Warranty.voided_on.is_(None)).exists()))
    if product_ids is not None:
        if not product_ids:
            return 0
        candidates = candidates.where(SerialNumber.product_id.in_(sorted(product_ids)))
    last: dict[int, tuple[date, int, str, int | None]] = {}
    for serial_id, move_date, move_id, origin_type, origin_id in session.execute(
            select(StockMoveSerial.serial_id, StockMove.move_date, StockMove.id,
                   StockMove.origin_type, StockMove.origin_id)
            .join(StockMove, StockMove.id == StockMoveSerial.move_id)
            .where(StockMoveSerial.serial_id.in_(candidates.scalar_subquery()))):
        key = (move_date, move_id, origin_type, origin_id)
        if serial_id not in last or key[:2] > last[serial_id][:2]:
            last[serial_id] = key
    by_delivery = {serial_id: origin_id for serial_id, (_d, _m, origin_type, origin_id)
                   in last.items() if origin_type == DELIVERY_ORIGIN and origin_id is not None}
    if not by_delivery:
        return 0
    deliveries = {row.id: row for row in session.execute(
        select(SalesDelivery.id, SalesDelivery.order_id, SalesDelivery.delivery_date,
               SalesOrder.customer_id)
        .join(SalesOrder, SalesOrder.id == SalesDelivery.order_id)
        .where(SalesDelivery.id.in_(sorted(set(by_delivery.values())))))}
    delivered = [Delivered(serial_id=serial_id, delivery_id=d.id, sales_order_id=d.order_id,
                           customer_id=d.customer_id, delivered_on=d.delivery_date)
                 for serial_id, delivery_id in sorted(by_delivery.items())
                 if (d := deliveries.get(delivery_id)) is not None]
    return issue_warranties(session, delivered)
