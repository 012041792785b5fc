"""Validating a document's move lines against the database, before anything is written.

Reads are set-based (one statement per kind of thing, whatever the number of lines); serial
units are followed line by line in memory, so a document may move a unit twice (stock →
van → customer) but never out of a place it is not in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert, select, tuple_
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.validation import check_decimal, check_text

from ..catalog.models import Product
from .ids import allocate_ids
from .models import PHYSICAL_KINDS, Batch, Location, SerialNumber, StockPeriod, Warehouse, table_of
from .serials import expand_serials

if TYPE_CHECKING:
    from .posting import MoveLine

#: Serial look-ups are chunked below every backend's bound-parameter limit.
CHUNK = 2000


@dataclass(frozen=True)
class Place:
    id: int
    code: str
    kind: str
    warehouse_id: int | None
    allow_negative: bool


@dataclass
class LineCheck:
    """A line after validation: what the writer needs, resolved."""

    index: int
    product_id: int
    product_code: str
    quantity: Decimal
    from_location: Place
    to_location: Place
    batch_id: int = 0
    serials: list[str] = field(default_factory=list)
    #: Existing units this line moves: number → id / own cost.
    serial_ids: dict[str, int] = field(default_factory=dict)
    serial_costs: dict[str, Decimal] = field(default_factory=dict)
    #: Units arriving for the first time (created by the writer).
    new_serials: list[str] = field(default_factory=list)
    new_serial_cost: Decimal = Decimal(0)
    #: Units created by an earlier line of the same document and moved on by this one.
    carried_new: list[str] = field(default_factory=list)
    unit_cost: Decimal | None = None
    value: Decimal | None = None
    note: str = ""
    reversal_of_id: int | None = None


def load_places(session: Session, ids: Sequence[int]) -> dict[int, Place]:
    rows = session.execute(
        select(Location.id, Location.code, Location.kind, Location.warehouse_id,
               func.coalesce(Warehouse.allow_negative, False).label("allow_negative"))
        .outerjoin(Warehouse, Warehouse.id == Location.warehouse_id)
        .where(Location.id.in_(set(ids))))
    return {r.id: Place(r.id, r.code, r.kind, r.warehouse_id, bool(r.allow_negative))
            for r in rows}


def check_lines(session: Session, lines: Sequence[MoveLine], *, move_date: date,
                allow_expired: bool, field: str) -> list[LineCheck]:
    errors: list[FieldError] = []
    closed = session.scalar(select(func.max(StockPeriod.period_end)))
    if closed is not None and move_date <= closed:
        errors.append(FieldError("STOCK_PERIOD_CLOSED",
                                 _("Stock is closed up to {date}; no move may be dated "
                                   "{move_date}"), field="moveDate", date=closed.isoformat(),
                                 move_date=move_date.isoformat()))
    products = {r.id: r for r in session.execute(
        select(Product.id, Product.code, Product.tracking)
        .where(Product.id.in_({line.product_id for line in lines})))}
    places = load_places(session, [i for line in lines
                                   for i in (line.from_location_id, line.to_location_id)])
    checked: list[LineCheck] = []
    for i, line in enumerate(lines):
        c = _check_line(errors, i, line, products, places, field)
        if c is not None:
            checked.append(c)
    if errors:
        raise ValidationFailed(errors)
    _resolve_batches(session, errors, checked, lines, move_date, allow_expired, field)
    _follow_serials(session, errors, checked, field)
    if errors:
        raise ValidationFailed(errors)
    return checked


def _check_line(errors: list[FieldError], i: int, line: MoveLine, products: dict[int, Any],
                places: dict[int, Place], field: str) -> LineCheck | None:
    at = (field, str(i))
    before = len(errors)
    quantity = check_decimal(errors, line.quantity, (*at, "quantity"), places=4)
    if quantity is not None and quantity <= 0:
        errors.append(FieldError("INVALID_QUANTITY", _("Quantity must be greater than zero"),
                                 field=(*at, "quantity")))
    unit_cost = None
    if line.unit_cost is not None:
        unit_cost = check_decimal(errors, line.unit_cost, (*at, "unitCost"), places=6)
    note = check_text(errors, line.note, (*at, "note"), max_length=400)
    product = products.get(line.product_id)
    if product is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown product"), field=(*at, "product")))
    source, target = places.get(line.from_location_id), places.get(line.to_location_id)
    for place, name in ((source, "fromLocation"), (target, "toLocation")):
        if place is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown location"), field=(*at, name)))
    if source is not None and target is not None:
        if source.id == target.id:
            errors.append(FieldError("SAME_LOCATION",
                                     _("A move needs two different locations"),
                                     field=(*at, "toLocation")))
        elif source.kind not in PHYSICAL_KINDS and target.kind not in PHYSICAL_KINDS:
            errors.append(FieldError("INVALID_LOCATION",
                                     _("Stock cannot move between two outside locations"),
                                     field=(*at, "toLocation")))
    serials: list[str] = []
    if product is not None:
        tracking = product.tracking
        if line.serials and tracking != "serial":
            errors.append(FieldError("SERIAL_NOT_TRACKED",
                                     _("{product} is not tracked by serial number"),
                                     field=(*at, "serials"), product=product.code))
        if (line.batch_id or line.batch_number) and tracking != "batch":
            errors.append(FieldError("BATCH_NOT_TRACKED", _("{product} is not tracked by batch"),
                                     field=(*at, "batch"), product=product.code))
        if tracking == "batch" and not (line.batch_id or line.batch_number):
            errors.append(FieldError("BATCH_REQUIRED", _("{product} needs a batch"),
                                     field=(*at, "batch"), product=product.code))
        if tracking == "serial":
            serials = expand_serials(line.serials, errors, (*at, "serials"))
            if len(set(serials)) != len(serials):
                errors.append(FieldError("SERIAL_DUPLICATED",
                                         _("A serial number is listed twice"),
                                         field=(*at, "serials")))
            if quantity is not None and quantity != len(serials):
                errors.append(FieldError(
                    "SERIAL_COUNT_MISMATCH",
                    _("{quantity} units need {quantity} serial numbers, {count} given"),
                    field=(*at, "serials"), quantity=f"{quantity.normalize():f}",
                    count=len(serials)))
    if len(errors) > before:
        return None
    assert quantity is not None and product is not None and source and target
    return LineCheck(index=i, product_id=line.product_id,
                     product_code=product.code,
                     quantity=quantity, from_location=source, to_location=target,
                     batch_id=line.batch_id or 0, serials=serials, unit_cost=unit_cost,
                     value=line.value, note=note, reversal_of_id=line.reversal_of_id)


def _resolve_batches(session: Session, errors: list[FieldError], checked: list[LineCheck],
                     lines: Sequence[MoveLine], move_date: date, allow_expired: bool,
                     field: str) -> None:
    wanted = [(c, lines[c.index]) for c in checked
              if lines[c.index].batch_id or lines[c.index].batch_number]
    if not wanted:
        return
    by_id = {r.id: r for r in session.scalars(
        select(Batch).where(Batch.id.in_({line.batch_id for _c, line in wanted if line.batch_id})))}
    numbers = {(c.product_id, line.batch_number.strip()) for c, line in wanted
               if not line.batch_id and line.batch_number}
    by_number: dict[tuple[int, str], Batch] = {}
    if numbers:
        by_number = {(r.product_id, r.number): r for r in session.scalars(
            select(Batch).where(tuple_(Batch.product_id, Batch.number).in_(numbers)))}
    created: dict[tuple[int, str], Batch] = {}
    for c, line in wanted:
        at = (field, str(c.index), "batch")
        batch = by_id.get(line.batch_id) if line.batch_id else None
        if line.batch_id and (batch is None or batch.product_id != c.product_id):
            errors.append(FieldError("NOT_FOUND", _("Unknown batch"), field=at))
            continue
        if batch is None:
            number = check_text(errors, line.batch_number, at, max_length=64, required=True)
            if not number:
                continue
            key = (c.product_id, number)
            batch = by_number.get(key) or created.get(key)
            if batch is None:
                if c.from_location.kind in PHYSICAL_KINDS:
                    errors.append(FieldError("NOT_FOUND", _("Unknown batch {batch}"), field=at,
                                             batch=number))
                    continue
                if (line.manufactured_on and line.expires_on
                        and line.expires_on < line.manufactured_on):
                    errors.append(FieldError("INVALID", _("A batch cannot expire before it is "
                                                          "made"), field=(*at[:2], "expiresOn")))
                    continue
                batch = Batch(product_id=c.product_id, number=number,
                              manufactured_on=line.manufactured_on, expires_on=line.expires_on)
                created[key] = batch
        if (batch.expires_on is not None and batch.expires_on < move_date
                and c.to_location.kind == "customer" and not allow_expired):
            errors.append(FieldError("BATCH_EXPIRED",
                                     _("Batch {batch} expired on {date}"), field=at,
                                     batch=batch.number, date=batch.expires_on.isoformat()))
        if batch.id is not None:
            c.batch_id = batch.id
    if created and not errors:
        table = table_of(Batch)
        rows = list(created.values())
        ids = allocate_ids(session, table, len(rows))
        session.execute(insert(table), [
            {"id": batch_id, "product_id": b.product_id, "number": b.number,
             "manufactured_on": b.manufactured_on, "expires_on": b.expires_on}
            for b, batch_id in zip(rows, ids, strict=True)])
        for batch, batch_id in zip(rows, ids, strict=True):
            batch.id = batch_id
        for c, line in wanted:
            if not c.batch_id and line.batch_number:
                c.batch_id = created[(c.product_id, line.batch_number.strip())].id


def _follow_serials(session: Session, errors: list[FieldError], checked: list[LineCheck],
                    field: str) -> None:
    wanted: dict[int, set[str]] = {}
    for c in checked:
        if c.serials:
            wanted.setdefault(c.product_id, set()).update(c.serials)
    if not wanted:
        return
    known: dict[tuple[int, str], tuple[int, int, Decimal]] = {}
    for product_id, numbers in wanted.items():
        ordered = sorted(numbers)
        for start in range(0, len(ordered), CHUNK):
            for r in session.execute(select(SerialNumber.id, SerialNumber.number,
                                            SerialNumber.location_id, SerialNumber.unit_cost)
                                     .where(SerialNumber.product_id == product_id,
                                            SerialNumber.number.in_(ordered[start:start + CHUNK]))):
                known[(product_id, r.number)] = (r.id, r.location_id, r.unit_cost)
    where = {key: location for key, (_id, location, _cost) in known.items()}
    physical_codes = _location_codes(session, set(where.values()))
    for c in checked:
        if c.to_location.kind in PHYSICAL_KINDS:
            physical_codes[c.to_location.id] = c.to_location.code
    for c in checked:
        at = (field, str(c.index), "serials")
        for number in c.serials:
            key = (c.product_id, number)
            here = where.get(key)
            if here is None:
                if c.from_location.kind in PHYSICAL_KINDS:
                    errors.append(FieldError("SERIAL_NOT_IN_LOCATION",
                                             _("Serial number {serial} is not in {location}"),
                                             field=at, serial=number,
                                             location=c.from_location.code))
                    continue
                c.new_serials.append(number)
            elif here != c.from_location.id:
                if c.from_location.kind not in PHYSICAL_KINDS and here in physical_codes:
                    errors.append(FieldError("SERIAL_ALREADY_EXISTS",
                                             _("Serial number {serial} is already in {location}"),
                                             field=at, serial=number,
                                             location=physical_codes[here]))
                else:
                    errors.append(FieldError("SERIAL_NOT_IN_LOCATION",
                                             _("Serial number {serial} is not in {location}"),
                                             field=at, serial=number,
                                             location=c.from_location.code))
                continue
            elif key in known:
                serial_id, _location, cost = known[key]
                c.serial_ids[number] = serial_id
                c.serial_costs[number] = cost
            else:
                c.carried_new.append(number)
            where[key] = c.to_location.id


def _location_codes(session: Session, ids: set[int]) -> dict[int, str]:
    """Codes of those of ``ids`` that are physical locations."""
    if not ids:
        return {}
    return dict(session.execute(select(Location.id, Location.code)
                                .where(Location.id.in_(ids),
                                       Location.kind.in_(PHYSICAL_KINDS))).all())
