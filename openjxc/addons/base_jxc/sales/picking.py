"""Where a delivery takes its goods from: by serial, by batch, from a bin, or picked for the
clerk — the line's own reservations first, then free stock, earliest expiry first (FEFO).

Stock reserved for *other* orders is never offered: at a place the line may use its own
reservation plus what nobody reserved (``on hand − reserved``).  A serial unit must be in a
sellable location of the order's warehouse; an expired batch is not delivered.  The
picks are only a plan: the delivery posts them and then checks the balances again, so a
concurrent delivery cannot make two orders take the same units.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError
from openjxc.core.i18n import _

from ..stock.models import Batch, Location, SerialNumber
from .reserving import Place, Reservation, stock_places


class OrderLine(Protocol):
    """What picking reads of an order line (a :class:`SalesOrderLine` or a row read of
    it)."""

    @property
    def id(self) -> int: ...
    @property
    def product_id(self) -> int: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def delivered_quantity(self) -> Decimal: ...


@dataclass
class Want:
    """What one delivery line asks for, checked against its order line."""

    at: tuple[str, ...]
    line: OrderLine
    tracking: str
    quantity: Decimal
    serials: list[str] = field(default_factory=list)
    batch_number: str = ""
    location_id: int | None = None
    #: Kept apart from ``line``, which the posting expires.
    line_id: int = field(init=False)
    product_id: int = field(init=False)

    def __post_init__(self) -> None:
        self.line_id = self.line.id
        self.product_id = self.line.product_id


@dataclass
class Pick:
    """Goods of one want taken from one location × batch."""

    want: Want
    location_id: int
    batch_id: int
    quantity: Decimal
    #: Of ``quantity``, how much came out of the line's own reservation there.
    own: Decimal
    serials: list[str] = field(default_factory=list)
    serial_ids: list[int] = field(default_factory=list)


class _Stock:
    """Free stock and the lines' own reservations, consumed as picks are made."""

    def __init__(self, places: dict[int, list[Place]],
                 reservations: Mapping[int, Sequence[Reservation]]) -> None:
        self.places = places
        self.free = {(p, place.location_id, place.batch_id): place.free
                     for p, rows in places.items() for place in rows}
        self.own = {(line_id, r.location_id, r.batch_id): r.quantity
                    for line_id, rows in reservations.items() for r in rows}

    def usable(self, line: OrderLine, location_id: int, batch_id: int) -> Decimal:
        """What the line may take here: on hand less what other orders reserve.  Free stock
        is negative where a count or a transfer left less than is reserved; the line's own
        reservation then covers only what is there, never another order's share."""
        free = self.free.get((line.product_id, location_id, batch_id), Decimal(0))
        return max(free + self.own.get((line.id, location_id, batch_id), Decimal(0)),
                   Decimal(0))

    def take(self, want: Want, location_id: int, batch_id: int, quantity: Decimal) -> Pick:
        own_key = (want.line_id, location_id, batch_id)
        own = min(self.own.get(own_key, Decimal(0)), quantity)
        if own:
            self.own[own_key] -= own
        free_key = (want.product_id, location_id, batch_id)
        self.free[free_key] = self.free.get(free_key, Decimal(0)) - (quantity - own)
        return Pick(want, location_id, batch_id, quantity, own)

    def candidates(self, want: Want, batch_id: int | None) -> list[Place]:
        """The places a line may pick from, its own reservations first, each FEFO."""
        rows = [p for p in self.places.get(want.product_id, [])
                if (want.location_id is None or p.location_id == want.location_id)
                and (batch_id is None or p.batch_id == batch_id)]
        mine = [p for p in rows if self.own.get((want.line_id, p.location_id, p.batch_id))]
        return mine + [p for p in rows if p not in mine]


def plan_picks(session: Session, errors: list[FieldError], warehouse_id: int,
               wants: Sequence[Want], reservations: Mapping[int, Sequence[Reservation]],
               delivery_date: date, *, partial: bool = False,
               places: dict[int, list[Place]] | None = None) -> list[Pick]:
    """The picks for ``wants``; refusals (``INSUFFICIENT_STOCK``,
    ``SERIAL_NOT_IN_LOCATION``, ``BATCH_EXPIRED`` …) go to ``errors`` at each want's path.
    ``partial``: what can be picked when stock is short, without a refusal (suggestions);
    ``places``: the stock places of the wants' products when already read."""
    if places is None:
        places = stock_places(session, warehouse_id, {w.product_id for w in wants},
                              delivery_date)
    stock = _Stock(places, reservations)
    sellable: set[int] = set()
    if any(w.serials for w in wants):
        sellable = set(session.scalars(select(Location.id).where(
            Location.warehouse_id == warehouse_id, Location.kind == "internal")))
    batches = _batches(session, wants)
    serials = _serials(session, wants)
    taken: set[int] = {s[0] for s in serials.values()}
    picks: list[Pick] = []
    auto_serial: list[Pick] = []
    for want in wants:
        batch = batches.get((want.product_id, want.batch_number)) if want.batch_number else None
        if want.batch_number and batch is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown batch {batch}"),
                                     field=(*want.at, "batchNumber"), batch=want.batch_number))
            continue
        if batch is not None and batch.expires_on is not None and batch.expires_on < delivery_date:
            errors.append(FieldError("BATCH_EXPIRED", _("Batch {batch} expired on {date}"),
                                     field=(*want.at, "batchNumber"), batch=batch.number,
                                     date=batch.expires_on.isoformat()))
            continue
        if want.serials:
            picks.extend(_by_serial(errors, stock, want, serials, sellable,
                                    batch.id if batch is not None else None))
            continue
        made = _by_quantity(errors, stock, want, batch.id if batch is not None else None,
                            partial)
        picks.extend(made)
        if want.tracking == "serial":
            auto_serial.extend(made)
    if auto_serial and not errors:
        _choose_units(session, errors, auto_serial, taken)
    return picks


def _batches(session: Session, wants: Sequence[Want]) -> dict[tuple[int, str], Batch]:
    keys = {(w.product_id, w.batch_number) for w in wants if w.batch_number}
    if not keys:
        return {}
    return {(b.product_id, b.number): b for b in session.scalars(
        select(Batch).where(tuple_(Batch.product_id, Batch.number).in_(keys)))}


def _serials(session: Session, wants: Sequence[Want],
             ) -> dict[tuple[int, str], tuple[int, int, int]]:
    """(product, number) → (serial id, location id, batch id) of the serials named."""
    keys = {(w.product_id, n) for w in wants for n in w.serials}
    if not keys:
        return {}
    return {(r.product_id, r.number): (r.id, r.location_id, r.batch_id)
            for r in session.execute(
                select(SerialNumber.id, SerialNumber.product_id, SerialNumber.number,
                       SerialNumber.location_id, SerialNumber.batch_id)
                .where(tuple_(SerialNumber.product_id, SerialNumber.number).in_(keys)))}


def _by_serial(errors: list[FieldError], stock: _Stock, want: Want,
               serials: dict[tuple[int, str], tuple[int, int, int]], sellable: set[int],
               batch_id: int | None) -> list[Pick]:
    groups: dict[tuple[int, int], list[tuple[str, int]]] = {}
    at = (*want.at, "serials")
    for number in want.serials:
        found = serials.get((want.product_id, number))
        if found is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown serial number {serial}"),
                                     field=at, serial=number))
            continue
        serial_id, location_id, serial_batch = found
        if location_id not in sellable or (want.location_id is not None
                                           and location_id != want.location_id):
            errors.append(FieldError("SERIAL_NOT_IN_LOCATION",
                                     _("Serial number {serial} is not in stock in this "
                                       "warehouse"), field=at, serial=number))
            continue
        if batch_id is not None and serial_batch != batch_id:
            errors.append(FieldError("INVALID", _("Serial number {serial} is not of this "
                                                  "batch"), field=at, serial=number))
            continue
        groups.setdefault((location_id, serial_batch), []).append((number, serial_id))
    picks = []
    for (location_id, serial_batch), units in groups.items():
        quantity = Decimal(len(units))
        if stock.usable(want.line, location_id, serial_batch) < quantity:
            errors.append(FieldError("INSUFFICIENT_STOCK",
                                     _("These units are reserved for other orders"), field=at))
            continue
        pick = stock.take(want, location_id, serial_batch, quantity)
        pick.serials = [n for n, _id in units]
        pick.serial_ids = [i for _n, i in units]
        picks.append(pick)
    return picks


def _by_quantity(errors: list[FieldError], stock: _Stock, want: Want,
                 batch_id: int | None, partial: bool = False) -> list[Pick]:
    left = want.quantity
    picks = []
    places = stock.candidates(want, batch_id)
    for place in places:
        if left <= 0:
            break
        take = min(left, stock.usable(want.line, place.location_id, place.batch_id))
        if take <= 0:
            continue
        picks.append(stock.take(want, place.location_id, place.batch_id, take))
        left -= take
    if left > 0 and not partial:
        available = want.quantity - left
        errors.append(FieldError(
            "INSUFFICIENT_STOCK",
            _("Not enough available to deliver: {available} available, {wanted} wanted"),
            field=(*want.at, "quantity"), available=f"{available.normalize():f}",
            wanted=f"{want.quantity.normalize():f}"))
        return []
    return picks


def _choose_units(session: Session, errors: list[FieldError], picks: list[Pick],
                  taken: set[int]) -> None:
    """Serial units for picks made by quantity: the oldest received at each place."""
    wanted = {(p.want.product_id, p.location_id) for p in picks}
    units: dict[tuple[int, int, int], list[tuple[int, str]]] = {}
    for r in session.execute(
            select(SerialNumber.id, SerialNumber.number, SerialNumber.product_id,
                   SerialNumber.location_id, SerialNumber.batch_id)
            .where(tuple_(SerialNumber.product_id, SerialNumber.location_id).in_(wanted))
            .order_by(SerialNumber.received_on, SerialNumber.id)):
        if r.id not in taken:
            units.setdefault((r.product_id, r.location_id, r.batch_id), []).append(
                (r.id, r.number))
    for pick in picks:
        pool = units.get((pick.want.product_id, pick.location_id, pick.batch_id), [])
        count = int(pick.quantity)
        if count != pick.quantity or len(pool) < count:
            errors.append(FieldError("SERIAL_COUNT_MISMATCH",
                                     _("Name the serial numbers to deliver"),
                                     field=(*pick.want.at, "serials")))
            continue
        chosen, units[(pick.want.product_id, pick.location_id, pick.batch_id)] = (
            pool[:count], pool[count:])
        pick.serial_ids = [i for i, _n in chosen]
        pick.serials = [n for _i, n in chosen]
