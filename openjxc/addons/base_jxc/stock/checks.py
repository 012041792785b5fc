"""Validating a document's move lines against the database, before anything is written.

Reads are set-based (:mod:`.lookups`: one statement for the document's places, products,
closed month and move ids, one for its batches, one for its serial units — whatever the
number of lines); serial units are followed line by line in memory, so a document may move
a unit twice (stock → van → customer) but never out of a place it is not in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.models import utcnow
from openjxc.core.validation import check_decimal, check_text

from . import bulk
from .lookups import (
    BATCH,
    DocumentFacts,
    Place,
    ProductFacts,
    find_batches,
    find_serials,
    load_places,
    read_document,
)
from .models import PHYSICAL_KINDS
from .serials import expand_serials

if TYPE_CHECKING:
    from .posting import MoveLine

__all__ = ["CheckedDocument", "LineCheck", "Place", "check_document", "check_lines",
           "load_places"]


@dataclass(slots=True)
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


@dataclass
class CheckedDocument:
    lines: list[LineCheck]
    #: The ids the moves will have, in line order.
    move_ids: list[int]
    #: What was read about the document (SQLite: its valuations and last keys too).
    facts: DocumentFacts


def check_lines(session: Session, lines: Sequence[MoveLine], *, move_date: date,
                allow_expired: bool, field: str) -> list[LineCheck]:
    return check_document(session, lines, move_date=move_date, allow_expired=allow_expired,
                          field=field).lines


def check_document(session: Session, lines: Sequence[MoveLine], *, move_date: date,
                   allow_expired: bool, field: str) -> CheckedDocument:
    """Every line validated against the database (all errors at once), batches resolved
    (new ones created), serial units followed; and the ids of the moves to write."""
    errors: list[FieldError] = []
    facts: DocumentFacts = read_document(
        session, place_ids={i for line in lines
                            for i in (line.from_location_id, line.to_location_id)},
        product_ids={line.product_id for line in lines}, moves=len(lines))
    closed = facts.closed
    if closed is not None and move_date <= closed:
        errors.append(FieldError("STOCK_PERIOD_CLOSED",
                                 _("Stock is closed up to {date}; no move may be dated "
                                   "{move_date}"), field="moveDate", date=closed.isoformat(),
                                 move_date=move_date.isoformat()))
    checked: list[LineCheck] = []
    for i, line in enumerate(lines):
        c = _check_line(errors, i, line, facts.products, facts.places, field)
        if c is not None:
            checked.append(c)
    if errors:
        raise ValidationFailed(errors)
    _resolve_batches(session, facts, errors, checked, lines, move_date, allow_expired, field)
    _follow_serials(session, errors, checked, field)
    if errors:
        raise ValidationFailed(errors)
    return CheckedDocument(checked, facts.move_ids, facts)


#: The largest quantity and unit cost kept (scaled 64-bit integers on SQLite), as
#: :func:`~openjxc.core.validation.check_decimal` checks them.
_QUANTITY = (Decimal("0.0001"), Decimal(10) ** 14)
_UNIT_COST = (Decimal("0.000001"), Decimal(10) ** 12)


def _exact(errors: list[FieldError], value: object, at: tuple[str, ...],
           places: int, bounds: tuple[Decimal, Decimal]) -> Decimal | None:
    """:func:`check_decimal` with a shortcut for what callers nearly always pass: a finite,
    non-negative Decimal that already fits.  Anything else takes the full check."""
    if type(value) is Decimal and value.is_finite():
        quantum, limit = bounds
        try:
            exact = value.quantize(quantum)
        except InvalidOperation:
            exact = None
        if exact is not None and exact == value and 0 <= value < limit:
            return exact
    return check_decimal(errors, value, at, places=places)


def _check_line(errors: list[FieldError], i: int, line: MoveLine,
                products: dict[int, ProductFacts],
                places: dict[int, Place], field: str) -> LineCheck | None:
    at = (field, str(i))
    before = len(errors)
    quantity = _exact(errors, line.quantity, (*at, "quantity"), 4, _QUANTITY)
    if quantity is not None and quantity <= 0:
        errors.append(FieldError("INVALID_QUANTITY", _("Quantity must be greater than zero"),
                                 field=(*at, "quantity")))
    unit_cost = None
    if line.unit_cost is not None:
        unit_cost = _exact(errors, line.unit_cost, (*at, "unitCost"), 6, _UNIT_COST)
    note = "" if line.note == "" else check_text(errors, line.note, (*at, "note"),
                                                 max_length=400)
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


@dataclass
class _Batch:
    id: int | None
    product_id: int
    number: str
    manufactured_on: date | None
    expires_on: date | None


def _resolve_batches(session: Session, facts: DocumentFacts, errors: list[FieldError],
                     checked: list[LineCheck], lines: Sequence[MoveLine], move_date: date,
                     allow_expired: bool, field: str) -> None:
    wanted = [(c, lines[c.index]) for c in checked
              if lines[c.index].batch_id or lines[c.index].batch_number]
    if not wanted:
        return
    numbers = {(c.product_id, line.batch_number.strip()) for c, line in wanted
               if not line.batch_id and line.batch_number}
    by_id: dict[int, _Batch] = {}
    by_number: dict[tuple[int, str], _Batch] = {}
    for r in find_batches(session, ids={line.batch_id for _c, line in wanted if line.batch_id},
                          numbers=numbers):
        by_id[r.id] = by_number[(r.product_id, r.number)] = _Batch(*r)
    created: dict[tuple[int, str], _Batch] = {}
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
                batch = _Batch(None, c.product_id, number, line.manufactured_on,
                               line.expires_on)
                created[key] = batch
        if (batch.expires_on is not None and batch.expires_on < move_date
                and c.to_location.kind == "customer" and not allow_expired):
            errors.append(FieldError("BATCH_EXPIRED",
                                     _("Batch {batch} expired on {date}"), field=at,
                                     batch=batch.number, date=batch.expires_on.isoformat()))
        if batch.id is not None:
            c.batch_id = batch.id
    if created and not errors:
        rows = list(created.values())
        ids = facts.draw_ids(session, BATCH, len(rows))
        for batch, batch_id in zip(rows, ids, strict=True):
            batch.id = batch_id
        bulk.run(session, [bulk.Insert(
            BATCH, ("id", "product_id", "number", "manufactured_on", "expires_on"),
            [(b.id, b.product_id, b.number, b.manufactured_on, b.expires_on) for b in rows],
            {"created_at": utcnow()})])
        for c, line in wanted:
            if not c.batch_id and line.batch_number:
                c.batch_id = created[(c.product_id, line.batch_number.strip())].id or 0


def _follow_serials(session: Session, errors: list[FieldError], checked: list[LineCheck],
                    field: str) -> None:
    wanted: set[tuple[int, str]] = set()
    for c in checked:
        if c.serials:
            wanted.update((c.product_id, number) for number in c.serials)
    if not wanted:
        return
    known: dict[tuple[int, str], tuple[int, int, Decimal]] = {}
    physical_codes: dict[int, str] = {}
    for r in find_serials(session, wanted):
        known[(r.product_id, r.number)] = (r.id, r.location_id, r.unit_cost)
        if r.kind in PHYSICAL_KINDS:
            physical_codes[r.location_id] = r.code
    where = {key: location for key, (_id, location, _cost) in known.items()}
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
