"""Stock levels to Excel: one row per warehouse × location × product × batch.

    content = stock_levels_xlsx(session, include_value=principal.has("stock.cost.read"))

The value column is there only for callers who may see costs: a serial-tracked product's
units at their own cost, anything else at the product's moving average.  Written with
openpyxl's write-only mode, so a large warehouse does not need the workbook in memory.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from openjxc.core.i18n import _

from ..catalog.models import Product
from ..stock.models import Batch, Location, SerialNumber, StockBalance, StockValuation, Warehouse

CENT = Decimal("0.01")
CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class StockLevelRow:
    warehouse: str
    location: str
    product_code: str
    product_name: str
    unit: str
    batch: str
    on_hand: Decimal
    reserved: Decimal
    available: Decimal
    value: Decimal | None


def stock_level_rows(session: Session, *, warehouse_code: str | None = None,
                     include_value: bool = False) -> list[StockLevelRow]:
    """Every non-empty balance (on hand or reserved), ordered by warehouse, location,
    product and batch; ``value`` is ``None`` unless ``include_value``."""
    stmt = (select(Warehouse.code, Location.code, Product.code, Product.name, Product.unit,
                   Product.tracking, Batch.number, StockBalance.quantity,
                   StockBalance.reserved, StockValuation.quantity, StockValuation.value,
                   StockBalance.location_id, StockBalance.product_id, StockBalance.batch_id)
            .join(Location, Location.id == StockBalance.location_id)
            .join(Warehouse, Warehouse.id == StockBalance.warehouse_id)
            .join(Product, Product.id == StockBalance.product_id)
            .outerjoin(Batch, Batch.id == StockBalance.batch_id)
            .outerjoin(StockValuation, StockValuation.product_id == StockBalance.product_id)
            .where((StockBalance.quantity != 0) | (StockBalance.reserved != 0))
            .order_by(Warehouse.code, Location.code, Product.code, Batch.number))
    if warehouse_code:
        stmt = stmt.where(Warehouse.code == warehouse_code)
    found = session.execute(stmt).all()
    serial_values = _serial_values(session, warehouse_code) if include_value else {}
    result = []
    for (warehouse, location, code, name, unit, tracking, batch, quantity, reserved,
         valued_quantity, valued_value, location_id, product_id, batch_id) in found:
        value = None
        if include_value:
            if tracking == "serial":
                value = serial_values.get((location_id, product_id, batch_id), Decimal(0))
            elif valued_quantity:
                value = (quantity * valued_value / valued_quantity).quantize(CENT)
            else:
                value = Decimal(0)
        result.append(StockLevelRow(warehouse, location, code, name, unit, batch or "",
                                    quantity, reserved, quantity - reserved, value))
    return result


def _serial_values(session: Session, warehouse_code: str | None,
                   ) -> dict[tuple[int, int, int], Decimal]:
    stmt = (select(SerialNumber.location_id, SerialNumber.product_id, SerialNumber.batch_id,
                   func.sum(SerialNumber.unit_cost))
            .join(Location, and_(Location.id == SerialNumber.location_id,
                                 Location.warehouse_id.is_not(None)))
            .group_by(SerialNumber.location_id, SerialNumber.product_id,
                      SerialNumber.batch_id))
    if warehouse_code:
        stmt = stmt.join(Warehouse, Warehouse.id == Location.warehouse_id).where(
            Warehouse.code == warehouse_code)
    return {(loc, product, batch): Decimal(total or 0).quantize(CENT)
            for loc, product, batch, total in session.execute(stmt)}


def headers(include_value: bool) -> list[str]:
    """The header row, in the current language."""
    names = [_("Warehouse"), _("Location"), _("Product code"), _("Product name"), _("Unit"),
             _("Batch"), _("On hand"), _("Reserved"), _("Available")]
    if include_value:
        names.append(_("Value"))
    return [str(name) for name in names]


def stock_levels_xlsx(session: Session, *, warehouse_code: str | None = None,
                      include_value: bool = False) -> tuple[bytes, int]:
    """The stock levels as an .xlsx workbook, and the number of data rows in it."""
    from openpyxl import Workbook

    found = stock_level_rows(session, warehouse_code=warehouse_code,
                             include_value=include_value)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(str(_("Stock levels")))
    sheet.append(headers(include_value))
    for row in found:
        cells: list[object] = [row.warehouse, row.location, row.product_code,
                               row.product_name, row.unit, row.batch, row.on_hand,
                               row.reserved, row.available]
        if include_value:
            cells.append(row.value)
        sheet.append(cells)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), len(found)
