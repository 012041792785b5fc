"""Importing opening stock (期初库存): what each location holds on the day OpenJXC starts.

The whole file is one stock document: every row becomes a move from the company's
adjustment location into the warehouse (its main stock location, or the bin named in
``库位``), posted by :func:`~..stock.posting.post_moves` with ``origin_type="opening"``.
A batch row names the batch and its dates; a serial row lists its serials in one cell,
separated by commas, semicolons, spaces or new lines, ranges allowed
(``YE3-2026-0001..0100``), and may leave the quantity blank (the serials count it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.validation import check_decimal

from ..catalog.models import Product
from ..stock.models import Location, Warehouse
from ..stock.posting import MoveLine, post_moves
from ..stock.serials import expand_serials
from ..stock.warehouses import company_location, warehouse_location
from .columns import Column, Columns, Row, rows
from .context import ImportContext
from .readers import Sheet
from .report import RowError

ORIGIN_TYPE = "opening"
CHUNK = 500

COLUMNS = Columns([
    Column("warehouse", "仓库", ("warehouse", "仓库编码", "warehouse code"), required=True),
    Column("location", "库位", ("location", "货位", "库位编码", "bin", "location code")),
    Column("product", "产品编码", ("product", "product code", "编码", "商品编码", "物料编码"),
           required=True),
    Column("product_name", "产品名称", ("名称", "品名", "name", "product name")),
    Column("unit", "单位", ("unit",)),
    Column("quantity", "数量", ("quantity", "qty", "期初数量")),
    Column("unit_cost", "单位成本", ("unit cost", "成本单价", "成本价", "单价", "cost"),
           required=True),
    Column("batch", "批次", ("batch", "批号", "batch number")),
    Column("manufactured_on", "生产日期", ("manufactured on", "production date", "生产日")),
    Column("expires_on", "有效期至", ("expires on", "expiry date", "失效日期", "到期日")),
    Column("serials", "序列号", ("serials", "serial numbers", "sn", "序列号列表")),
    Column("note", "备注", ("note",)),
])

#: post_moves' attribute names → this file's column keys.
FIELDS = {"quantity": "quantity", "product": "product", "toLocation": "location",
          "fromLocation": "warehouse", "serials": "serials", "batch": "batch",
          "expiresOn": "expires_on", "manufacturedOn": "manufactured_on",
          "unitCost": "unit_cost"}
_SEPARATORS = re.compile(r"[,，;；、\s]+")


@dataclass
class _Line:
    row: Row
    move: MoveLine


def import_opening_stock(session: Session, sheet: Sheet, context: ImportContext) -> int:
    """Post the file as one opening-stock document; the number of rows posted."""
    layout = COLUMNS.layout(sheet, context.errors)
    if context.errors:
        return 0
    found = rows(sheet, layout, COLUMNS, context.errors)
    places = _Places(session, [r.text("warehouse") for r in found])
    products = _products(session, [r.text("product") for r in found])
    lines = [line for row in found
             if (line := _line(row, places, products)) is not None]
    if context.errors or not lines:
        return 0
    adjustment = company_location(session, "adjustment")
    for line in lines:
        line.move.from_location_id = adjustment.id
    try:
        post_moves(session, [line.move for line in lines], move_date=context.move_date,
                   origin_type=ORIGIN_TYPE, reference="期初库存", user_id=context.user_id)
    except ValidationFailed as exc:
        _map_posting_errors(exc.errors, lines, context.errors)
        return 0
    context.serials += sum(len(line.move.serials) for line in lines)
    return len(lines)


def _map_posting_errors(errors: Iterable[FieldError], lines: Sequence[_Line],
                        report: list[RowError]) -> None:
    for error in errors:
        if len(error.field) >= 2 and error.field[0] == "lines" and error.field[1].isdigit():
            row = lines[int(error.field[1])].row
            key = FIELDS.get(error.field[2]) if len(error.field) > 2 else None
            if key == "location" and "location" not in row.layout.index:
                key = "warehouse"
            row.fail(key, error)
        else:
            report.append(RowError.of(None, None, error))


class _Places:
    """Warehouses and their locations named in the file, read once."""

    def __init__(self, session: Session, codes: Sequence[str]) -> None:
        self.session = session
        wanted = sorted({c for c in codes if c})
        self.warehouses: dict[str, int] = {}
        for chunk in _chunks(wanted):
            self.warehouses.update(session.execute(
                select(Warehouse.code, Warehouse.id).where(Warehouse.code.in_(chunk))).all())
        self.locations: dict[str, tuple[int, int | None]] = {}
        ids = list(self.warehouses.values())
        for chunk in _chunks(ids):
            for code, pk, warehouse_id in session.execute(
                    select(Location.code, Location.id, Location.warehouse_id)
                    .where(Location.warehouse_id.in_(chunk))):
                self.locations[code] = (pk, warehouse_id)
        self._main: dict[int, int] = {}

    def main_location(self, warehouse_id: int) -> int:
        if warehouse_id not in self._main:
            self._main[warehouse_id] = warehouse_location(self.session, warehouse_id,
                                                          "internal").id
        return self._main[warehouse_id]


def _products(session: Session, codes: Sequence[str]) -> dict[str, int]:
    wanted = sorted({c for c in codes if c})
    found: dict[str, int] = {}
    for chunk in _chunks(wanted):
        found.update(session.execute(select(Product.code, Product.id)
                                     .where(Product.code.in_(chunk))).all())
    return found


def _chunks(values: Sequence[object]) -> Iterable[Sequence[object]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _line(row: Row, places: _Places, products: dict[str, int]) -> _Line | None:
    before = len(row.errors)
    location_id = _location(row, places)
    product_code = row.text("product")
    product_id = products.get(product_code)
    if not product_code:
        row.fail("product", FieldError("REQUIRED", _("This field is required")))
    elif product_id is None:
        row.fail("product", FieldError("NOT_FOUND", _("Unknown product {code}"),
                                       code=product_code))
    serials = _serials(row)
    quantity = _quantity(row, serials)
    unit_cost = _number(row, "unit_cost", places=6, required=True)
    batch = row.text("batch") or None
    manufactured_on, expires_on = row.date("manufactured_on"), row.date("expires_on")
    if (manufactured_on or expires_on) and not batch:
        row.fail("batch", FieldError("REQUIRED", _("Dates belong to a batch: give its number")))
    if len(row.errors) != before:
        return None
    assert location_id is not None and product_id is not None and quantity is not None
    return _Line(row, MoveLine(
        product_id=product_id, quantity=quantity, from_location_id=0,
        to_location_id=location_id, unit_cost=unit_cost, batch_number=batch,
        manufactured_on=manufactured_on, expires_on=expires_on, serials=serials,
        note=row.text("note")[:400]))


def _location(row: Row, places: _Places) -> int | None:
    code = row.text("warehouse")
    if not code:
        row.fail("warehouse", FieldError("REQUIRED", _("This field is required")))
        return None
    warehouse_id = places.warehouses.get(code)
    if warehouse_id is None:
        row.fail("warehouse", FieldError("NOT_FOUND", _("Unknown warehouse {code}"), code=code))
        return None
    name = row.text("location")
    if not name:
        return places.main_location(warehouse_id)
    found = places.locations.get(name) or places.locations.get(f"{code}/{name}")
    if found is None or found[1] != warehouse_id:
        row.fail("location", FieldError("NOT_FOUND", _("Warehouse {warehouse} has no location "
                                                       "{code}"), warehouse=code, code=name))
        return None
    return found[0]


def _serials(row: Row) -> list[str]:
    cell = row.text("serials")
    if not cell:
        return []
    entries = [e for e in _SEPARATORS.split(cell) if e]
    problems: list[FieldError] = []
    serials = expand_serials(entries, problems, ())
    for problem in problems:
        row.fail("serials", problem)
    if len(set(serials)) != len(serials):
        row.fail("serials", FieldError("SERIAL_DUPLICATED",
                                       _("A serial number is listed twice")))
    return serials


def _quantity(row: Row, serials: list[str]) -> Decimal | None:
    if not row.given("quantity") and serials:
        return Decimal(len(serials))
    quantity = _number(row, "quantity", places=4, required=True)
    if quantity is not None and quantity <= 0:
        row.fail("quantity", FieldError("INVALID_QUANTITY", _("The quantity must be above "
                                                              "zero")))
        return None
    return quantity


def _number(row: Row, key: str, *, places: int, required: bool) -> Decimal | None:
    if not row.given(key):
        if required:
            row.fail(key, FieldError("REQUIRED", _("This field is required")))
        return None
    value = row.decimal(key)
    if value is None:
        return None
    problems: list[FieldError] = []
    checked = check_decimal(problems, value, key, places=places)
    for problem in problems:
        row.fail(key, problem)
    return checked
