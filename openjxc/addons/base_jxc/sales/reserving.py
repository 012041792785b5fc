"""Reserving stock for order lines, and giving back exactly what was reserved.

Stock is reserved in the order's warehouse, in its sellable (internal) locations, earliest
expiry first (FEFO) then oldest batch, never from an expired batch.  Each reservation is
recorded per line × location × batch in :class:`SalesReservation`, so delivering or
cancelling releases exactly those quantities.  What cannot be reserved stays on the line
as a backorder (``quantity − delivered − reserved``) and may be reserved later.

An order's reservations are guarded increments, all in one statement
(``stock.reservations.reserve_many``); when one of them lost a race for the last units,
they are made one at a time and what is left is read again, so two orders confirmed at
once never reserve the same stock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from sqlalchemy import delete
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from openjxc.core.errors import ValidationFailed

from ..stock.reservations import release_many, reserve, reserve_many
from . import statements
from .models import SalesOrderLine, SalesReservation

#: Rounds of "read what is left, reserve it" before the rest is left as backorder.
ATTEMPTS = 3


@dataclass
class Place:
    """Stock of one product at one location × batch of the warehouse."""

    location_id: int
    batch_id: int
    quantity: Decimal
    reserved: Decimal
    expires_on: date | None

    @property
    def free(self) -> Decimal:
        return self.quantity - self.reserved


def stock_places(session: Session, warehouse_id: int, product_ids: Iterable[int], today: date,
                 ) -> dict[int, list[Place]]:
    """Product → its places with stock in the warehouse's sellable locations, FEFO order
    (earliest expiry, then oldest batch, then location), expired batches left out.  One
    statement for all the products."""
    wanted = set(product_ids)
    found: dict[int, list[Place]] = {p: [] for p in wanted}
    if not wanted:
        return found
    rows = session.execute(statements.stock_places(),
                           {"products": sorted(wanted), "warehouse": warehouse_id})
    for r in rows:
        if r.expires_on is not None and r.expires_on < today:
            continue
        found[r.product_id].append(Place(r.location_id, r.batch_id, r.quantity, r.reserved,
                                         r.expires_on))
    return found


class Reservation(Protocol):
    """What reading a reservation row needs (a :class:`SalesReservation` or a
    :class:`Reserved`)."""

    @property
    def id(self) -> int: ...
    @property
    def order_line_id(self) -> int: ...
    @property
    def location_id(self) -> int: ...
    @property
    def batch_id(self) -> int: ...
    @property
    def quantity(self) -> Decimal: ...


@dataclass(frozen=True)
class Reserved:
    """A reservation row as read, not to be changed through."""

    id: int
    order_line_id: int
    location_id: int
    batch_id: int
    quantity: Decimal


def places_and_reservations(session: Session, warehouse_id: int, product_ids: Iterable[int],
                            line_ids: Sequence[int], today: date,
                            ) -> tuple[dict[int, list[Place]], dict[int, list[Reserved]]]:
    """:func:`stock_places` and :func:`reservations_of` (as read-only rows) in one
    statement: what a delivery plans its picks from."""
    places: dict[int, list[Place]] = {p: [] for p in set(product_ids)}
    reserved: dict[int, list[Reserved]] = {i: [] for i in line_ids}
    rows = session.execute(statements.places_and_reservations(), {
        "products": sorted(places) or [0], "warehouse": warehouse_id,
        "lines": sorted(reserved) or [0]})
    for r in rows:
        if r.kind != statements.PLACE_ROW:
            reserved[r.order_line_id].append(Reserved(r.id, r.order_line_id, r.location_id,
                                                      r.batch_id, r.quantity))
        elif r.expires_on is None or r.expires_on >= today:
            places[r.product_id].append(Place(r.location_id, r.batch_id, r.quantity,
                                              r.reserved, r.expires_on))
    return places, reserved


def reservations_of(session: Session, line_ids: Sequence[int],
                    ) -> dict[int, list[SalesReservation]]:
    """Line → its reservation rows (one statement)."""
    found: dict[int, list[SalesReservation]] = {i: [] for i in line_ids}
    if line_ids:
        for row in session.scalars(statements.reservations_of(),
                                   {"lines": sorted(set(line_ids))}):
            found[row.order_line_id].append(row)
    return found


def reserve_lines(session: Session, warehouse_id: int, lines: Sequence[SalesOrderLine],
                  today: date) -> None:
    """Reserve what each line still needs (``quantity − delivered − reserved``) as far as
    stock allows; the rest stays a backorder."""
    wants = {line.id: line.quantity - line.delivered_quantity - line.reserved_quantity
             for line in lines}
    # Products in one order everywhere, so that two confirmations never wait on each other
    # in opposite orders.
    open_lines = sorted((line for line in lines if wants[line.id] > 0),
                        key=lambda line: (line.product_id, line.id))
    if not open_lines:
        return
    # A line holds reservation rows only while something is reserved for it.
    existing = reservations_of(session, [line.id for line in open_lines
                                         if line.reserved_quantity > 0])
    new: dict[tuple[int, int, int], Decimal] = {}
    added: dict[int, Decimal] = {}
    for _round in range(ATTEMPTS):
        places = stock_places(session, warehouse_id, {line.product_id for line in open_lines},
                              today)
        plan = _plan(open_lines, wants, places)
        if not plan:
            break
        if reserve_many(session, [(line.product_id, place.location_id, place.batch_id, take)
                                  for line, place, take in plan]):
            for line, place, take in plan:
                _reserved(existing, new, added, wants, line, place, take)
            break
        # Someone took some of it since we looked: one at a time, then look again.
        for line, place, take in plan:
            try:
                reserve(session, product_id=line.product_id, location_id=place.location_id,
                        quantity=take, batch_id=place.batch_id)
            except ValidationFailed:
                continue
            _reserved(existing, new, added, wants, line, place, take)
    if new:  # one statement for the new rows (their ids are not needed here)
        session.execute(statements.insert_reservations(), [
            {"order_line_id": line_id, "location_id": location_id, "batch_id": batch_id,
             "quantity": quantity} for (line_id, location_id, batch_id), quantity in new.items()])
    if added:  # the lines' totals in one statement; the loaded lines are as stored
        session.execute(statements.add_reserved(),
                        [{"lid": line_id, "qty": q} for line_id, q in added.items()])
        for line in open_lines:
            if line.id in added:
                set_committed_value(line, "reserved_quantity",
                                    line.reserved_quantity + added[line.id])
    session.flush()


def _plan(lines: Sequence[SalesOrderLine], wants: dict[int, Decimal],
          places: dict[int, list[Place]]) -> list[tuple[SalesOrderLine, Place, Decimal]]:
    """What to reserve where, from what was free when read (FEFO order per product)."""
    free = {(p, place.location_id, place.batch_id): place.free
            for p, rows in places.items() for place in rows}
    plan = []
    for line in lines:
        want = wants[line.id]
        for place in places[line.product_id]:
            if want <= 0:
                break
            key = (line.product_id, place.location_id, place.batch_id)
            take = min(want, free[key])
            if take > 0:
                plan.append((line, place, take))
                free[key] -= take
                want -= take
    return plan


def _reserved(existing: dict[int, list[SalesReservation]],
              new: dict[tuple[int, int, int], Decimal], added: dict[int, Decimal],
              wants: dict[int, Decimal], line: SalesOrderLine, place: Place,
              quantity: Decimal) -> None:
    """Book a reservation made: on the line, on its row for the place (a new one if none)."""
    wants[line.id] -= quantity
    added[line.id] = added.get(line.id, Decimal(0)) + quantity
    for row in existing.get(line.id, ()):
        if row.location_id == place.location_id and row.batch_id == place.batch_id:
            row.quantity += quantity
            return
    key = (line.id, place.location_id, place.batch_id)
    new[key] = new.get(key, Decimal(0)) + quantity


def release_lines(session: Session, lines: Sequence[SalesOrderLine]) -> None:
    """Give back everything reserved for ``lines``: exactly the recorded quantities."""
    if not lines:
        return
    by_id = {line.id: line for line in lines}
    rows = reservations_of(session, list(by_id))
    release_many(session, [(by_id[line_id].product_id, row.location_id, row.batch_id,
                            row.quantity)
                           for line_id, reservations in rows.items() for row in reservations])
    for line in lines:
        line.reserved_quantity = Decimal(0)
    if any(rows.values()):
        session.execute(delete(SalesReservation)
                        .where(SalesReservation.order_line_id.in_(list(by_id)))
                        .execution_options(synchronize_session=False))
        for reservations in rows.values():
            for row in reservations:
                session.expunge(row)
    session.flush()


@dataclass(frozen=True)
class Release:
    """Part of one reservation row given back; ``left`` stays reserved in the row."""

    row_id: int
    line_id: int
    product_id: int
    location_id: int
    batch_id: int
    quantity: Decimal
    left: Decimal


def apply_releases(session: Session, releases: Sequence[Release]) -> None:
    """Give back the planned quantities and shrink (or drop) their rows — set-based, with
    no loaded row read again (a delivery applies them after posting, which expired them)."""
    release_many(session, [(r.product_id, r.location_id, r.batch_id, r.quantity)
                           for r in releases])
    gone = [r.row_id for r in releases if r.left <= 0]
    kept = [{"rid": r.row_id, "left": r.left} for r in releases if r.left > 0]
    if gone:
        session.execute(statements.delete_reservations(), {"ids": gone})
    if kept:
        session.execute(statements.set_reservation_quantity(), kept)
