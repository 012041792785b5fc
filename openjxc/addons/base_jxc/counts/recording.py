"""Recording a count by scanning: each entry is a location and what was found there.

``code`` is a product code, a barcode or a serial number.  In ``add`` mode (the scanner's
default) every entry adds to what was counted, so scanning the same box twice counts
two; ``set`` mode replaces the counted quantity (corrections, or a PDA that sends
totals).  A serial unit is found, or not: scanning it twice still counts one, and in
``set`` mode a quantity of 0 takes a mistaken scan back.  Reads and writes are
set-based: a call with 1,000 entries runs the same statements as one with ten.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import func, literal, or_, select
from sqlalchemy.orm import Session

from openjxc.core.db import upsert
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.models import Quantity
from openjxc.core.validation import check_decimal, check_text

from ..catalog.models import Product
from ..stock.models import Batch, Location, SerialNumber, StockMove, table_of
from .lookup import count_by_number, scope_conditions
from .models import StockCount, StockCountLine, StockCountSerial

MODES = ("add", "set")
LineKey = tuple[int, int, int]  # location, product, batch


@dataclass
class CountEntry:
    """One scan: where, what (product code, barcode or serial number), which batch, how
    many (1 when not given)."""

    location_code: str
    code: str
    batch_number: str | None = None
    quantity: Decimal | None = None


def record_count(session: Session, *, number: str, entries: Sequence[CountEntry],
                 mode: str = "add") -> StockCount:
    """Add (or, in ``set`` mode, set) counted quantities and found serial units.

    Field errors at ``("entries", i, attr)``: ``UNKNOWN_CODE``, ``AMBIGUOUS_CODE``,
    ``NOT_FOUND`` (location, batch), ``OUT_OF_SCOPE``, ``SERIAL_REQUIRED``,
    ``BATCH_REQUIRED``, ``BATCH_NOT_TRACKED``, ``INVALID_QUANTITY``; ``NOT_IN_PROGRESS``
    for a posted or cancelled count.  All entries are applied, or none.
    """
    count = count_by_number(session, number, lock=True, in_progress=True)
    errors: list[FieldError] = []
    if mode not in MODES:
        errors.append(FieldError("INVALID", _("Unknown record mode {mode}"), field="mode",
                                 mode=mode))
    if not entries:
        errors.append(FieldError("REQUIRED", _("At least one entry is required"),
                                 field="entries"))
    cleaned = [_clean(errors, i, e, mode) for i, e in enumerate(entries)]
    if errors:
        raise ValidationFailed(errors)
    world = _Lookup(session, count, cleaned)
    quantities: dict[LineKey, Decimal] = {}
    serials: dict[int, tuple[int | None, int, int, int]] = {}
    for i, (location_code, code, batch_number, quantity) in enumerate(cleaned):
        at = ("entries", str(i))
        before = len(errors)
        location = world.locations.get(location_code)
        if location is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown location {code}"),
                                     field=(*at, "locationCode"), code=location_code))
        elif location not in world.counted_locations:
            errors.append(FieldError("OUT_OF_SCOPE",
                                     _("Location {code} is not part of this count"),
                                     field=(*at, "locationCode"), code=location_code))
        product, serial = world.resolve(errors, at, code)
        if product is not None and product.id not in world.products_in_scope:
            errors.append(FieldError("OUT_OF_SCOPE",
                                     _("{product} is not part of this count"),
                                     field=(*at, "code"), product=product.code))
        if len(errors) > before or product is None or location is None:
            continue
        if serial is not None:
            if quantity not in (None, Decimal(1)) and not (mode == "set" and quantity == 0):
                errors.append(FieldError("INVALID_QUANTITY",
                                         _("A serial number stands for one unit"),
                                         field=(*at, "quantity")))
                continue
            found = None if quantity == 0 else location
            serials[serial.id] = (found, serial.location_id, serial.product_id,
                                  serial.batch_id)
            continue
        batch_id = world.batch(errors, at, product, batch_number)
        if batch_id is None:
            continue
        key = (location, product.id, batch_id)
        amount = Decimal(1) if quantity is None else quantity
        if mode == "add" and amount <= 0:
            errors.append(FieldError("INVALID_QUANTITY",
                                     _("Quantity must be greater than zero"),
                                     field=(*at, "quantity")))
            continue
        quantities[key] = (quantities.get(key, Decimal(0)) + amount if mode == "add"
                           else amount)
    if errors:
        raise ValidationFailed(errors)
    through = session.scalar(select(func.max(StockMove.id))) or 0
    if quantities:
        _write_quantities(session, count.id, quantities, through, add=mode == "add")
    if serials:
        _write_serials(session, count.id, serials, through)
    return count


def _clean(errors: list[FieldError], i: int, entry: CountEntry, mode: str,
           ) -> tuple[str, str, str, Decimal | None]:
    at = ("entries", str(i))
    location = check_text(errors, entry.location_code, (*at, "locationCode"), max_length=64,
                          required=True)
    code = check_text(errors, entry.code, (*at, "code"), max_length=64, required=True)
    batch = check_text(errors, entry.batch_number, (*at, "batchNumber"), max_length=64)
    quantity = None
    if entry.quantity is not None:
        quantity = check_decimal(errors, entry.quantity, (*at, "quantity"), places=4)
        if quantity is not None and quantity < 0:
            errors.append(FieldError("INVALID_QUANTITY", _("Quantity cannot be negative"),
                                     field=(*at, "quantity")))
    return location, code, batch, quantity


class _Lookup:
    """Everything the entries name, read in a fixed number of statements."""

    def __init__(self, session: Session, count: StockCount,
                 cleaned: list[tuple[str, str, str, Decimal | None]]) -> None:
        codes = {c[1] for c in cleaned}
        self.locations: dict[str, int] = dict(session.execute(
            select(Location.code, Location.id)
            .where(Location.code.in_({c[0] for c in cleaned}))).all())
        location_ids, product_condition = scope_conditions(session, count)
        self.counted_locations = set(session.scalars(location_ids.where(
            Location.id.in_(set(self.locations.values())))))
        self.serials: dict[str, list[Any]] = {}
        for row in session.execute(select(SerialNumber.id, SerialNumber.number,
                                          SerialNumber.product_id, SerialNumber.batch_id,
                                          SerialNumber.location_id)
                                   .where(SerialNumber.number.in_(codes))):
            self.serials.setdefault(row.number, []).append(row)
        serial_products = {r.product_id for rows in self.serials.values() for r in rows}
        products = list(session.execute(
            select(Product.id, Product.code, Product.barcode, Product.tracking)
            .where(or_(Product.code.in_(codes), Product.barcode.in_(codes),
                       Product.id.in_(serial_products)))))
        self.by_id = {p.id: p for p in products}
        self.by_code = {p.code: p for p in products}
        self.by_code.update({p.barcode: p for p in products
                             if p.barcode and p.barcode not in self.by_code})
        if product_condition is None:
            self.products_in_scope = set(self.by_id)
        else:
            self.products_in_scope = set(session.scalars(
                select(Product.id).where(Product.id.in_(set(self.by_id)), product_condition)))
        wanted = {c[2] for c in cleaned if c[2]}
        self.batches: dict[tuple[int, str], int] = {}
        if wanted:
            self.batches = {(r.product_id, r.number): r.id for r in session.execute(
                select(Batch.id, Batch.product_id, Batch.number)
                .where(Batch.number.in_(wanted)))}

    def resolve(self, errors: list[FieldError], at: tuple[str, str], code: str,
                ) -> tuple[Any, Any]:
        """(product, serial unit or None) for a scanned code; records what is wrong."""
        product = self.by_code.get(code)
        if product is not None:
            return product, None
        units = self.serials.get(code, [])
        if len(units) > 1:
            errors.append(FieldError("AMBIGUOUS_CODE",
                                     _("{code} is the serial number of several products; "
                                       "scan the product's code first"),
                                     field=(*at, "code"), code=code))
            return None, None
        if not units:
            errors.append(FieldError("UNKNOWN_CODE",
                                     _("{code} is no product, barcode or serial number"),
                                     field=(*at, "code"), code=code))
            return None, None
        return self.by_id[units[0].product_id], units[0]

    def batch(self, errors: list[FieldError], at: tuple[str, str], product: Any,
              number: str) -> int | None:
        """The batch id (0 for products without batches), or None with an error."""
        if product.tracking == "serial":
            errors.append(FieldError("SERIAL_REQUIRED",
                                     _("{product} is counted by scanning serial numbers"),
                                     field=(*at, "code"), product=product.code))
            return None
        if product.tracking != "batch":
            if number:
                errors.append(FieldError("BATCH_NOT_TRACKED",
                                         _("{product} is not tracked by batch"),
                                         field=(*at, "batchNumber"), product=product.code))
                return None
            return 0
        if not number:
            errors.append(FieldError("BATCH_REQUIRED", _("{product} needs a batch"),
                                     field=(*at, "batchNumber"), product=product.code))
            return None
        batch_id = self.batches.get((product.id, number))
        if batch_id is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown batch {batch}"),
                                     field=(*at, "batchNumber"), batch=number))
        return batch_id


def _write_quantities(session: Session, count_id: int, quantities: dict[LineKey, Decimal],
                      through: int, *, add: bool) -> None:
    table = table_of(StockCountLine)
    stmt = upsert(session, table)
    counted = (func.coalesce(table.c.counted_quantity, literal(0, Quantity()))
               + stmt.excluded.counted_quantity) if add else stmt.excluded.counted_quantity
    session.execute(stmt.on_conflict_do_update(
        index_elements=["count_id", "location_id", "product_id", "batch_id"],
        set_={"counted_quantity": counted, "counted_move_id": stmt.excluded.counted_move_id},
    ), [_line_row(count_id, key, quantity, through)
        for key, quantity in sorted(quantities.items())])


def _line_row(count_id: int, key: LineKey, counted: Decimal, through: int) -> dict[str, Any]:
    zero = Decimal(0)
    return {"count_id": count_id, "location_id": key[0], "product_id": key[1],
            "batch_id": key[2], "expected_quantity": zero, "counted_quantity": counted,
            "counted_move_id": through, "moved_quantity": zero, "variance_quantity": zero,
            "unit_cost": zero, "variance_value": zero}


def _write_serials(session: Session, count_id: int,
                   serials: dict[int, tuple[int | None, int, int, int]], through: int) -> None:
    """Mark units found (or not), then set the counted quantity of the lines they touch
    to the number of units found there."""
    table = table_of(StockCountSerial)
    ids = sorted(serials)
    before = session.execute(select(table.c.found_location_id, table.c.product_id,
                                    table.c.batch_id)
                             .where(table.c.count_id == count_id, table.c.serial_id.in_(ids),
                                    table.c.found_location_id.is_not(None))).all()
    stmt = upsert(session, table)
    session.execute(stmt.on_conflict_do_update(
        index_elements=["count_id", "serial_id"],
        set_={"found_location_id": stmt.excluded.found_location_id,
              "seen_location_id": stmt.excluded.seen_location_id},
    ), [{"count_id": count_id, "serial_id": s, "product_id": serials[s][2],
         "batch_id": serials[s][3], "expected_location_id": None,
         "found_location_id": serials[s][0], "seen_location_id": serials[s][1]} for s in ids])
    keys: set[LineKey] = {(r.found_location_id, r.product_id, r.batch_id) for r in before}
    keys |= {(found, product, batch) for found, _seen, product, batch in serials.values()
             if found is not None}
    products = {k[1] for k in keys}
    found_counts = {(r.found_location_id, r.product_id, r.batch_id): r.n for r in session.execute(
        select(table.c.found_location_id, table.c.product_id, table.c.batch_id,
               func.count().label("n"))
        .where(table.c.count_id == count_id, table.c.product_id.in_(products),
               table.c.found_location_id.is_not(None))
        .group_by(table.c.found_location_id, table.c.product_id, table.c.batch_id))}
    _write_quantities(session, count_id,
                      {k: Decimal(found_counts.get(k, 0)) for k in keys}, through, add=False)
