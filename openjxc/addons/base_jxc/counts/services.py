"""Stock counts (盘点): start, record, post, cancel — plain Python, called by the API,
the CLI and tests.

A count's life::

    count = start_count(session, warehouse_code="WH1")            # freezes expectations
    record_count(session, number=count.number, entries=[
        CountEntry(location_code="WH1/A-01", code="DJ-Y2-11", quantity=Decimal(3)),
        CountEntry(location_code="WH1/A-01", code="YE3-2026-0001"),  # a serial unit
    ])
    post_count(session, number=count.number)                      # variances → moves

Design choices (see also :mod:`.posting`):

* A count covers the warehouse's internal, quarantine and scrap locations (goods in
  transit belong to their transfer).  A cycle count narrows that to some locations (a
  location includes its bins) and/or to some categories (with their sub-categories) or
  products; category and product lists add up.
* Only one count of a warehouse is in progress at a time, so two counts never adjust
  the same shelf twice.
* Expectations are frozen at start with two ``INSERT … SELECT`` statements (balances and
  serial units), whatever the size of the warehouse.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, insert, literal, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.numbering import next_document_number
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.models import Quantity, utcnow
from openjxc.core.validation import check_text

from ..catalog.models import Category, Product
from ..stock.models import Location, SerialNumber, StockBalance, StockMove, Warehouse, table_of
from .accuracy import inventory_accuracy
from .lookup import count_by_number, scope_conditions
from .models import (
    COUNTED_KINDS,
    SCOPES,
    StockCount,
    StockCountLine,
    StockCountScope,
    StockCountSerial,
)
from .posting import post_count
from .recording import CountEntry, record_count

__all__ = ["CountEntry", "cancel_count", "count_by_number", "inventory_accuracy",
           "post_count", "record_count", "start_count"]


def start_count(session: Session, *, warehouse_code: str, scope: str = "full",
                location_codes: Sequence[str] = (), category_codes: Sequence[str] = (),
                product_codes: Sequence[str] = (), note: str = "",
                user_id: int | None = None) -> StockCount:
    """Open a count of a warehouse and freeze what the ledger says is there.

    ``scope`` is ``full`` (every counted location and product) or ``cycle`` (limited by
    ``location_codes`` and/or ``category_codes``/``product_codes``).  Refusals:
    ``NOT_FOUND``, ``SCOPE_REQUIRED``, ``INVALID``, ``OUT_OF_SCOPE`` (a location of
    another warehouse), ``COUNT_IN_PROGRESS``.
    """
    errors: list[FieldError] = []
    warehouse_code = check_text(errors, warehouse_code, "warehouseCode", max_length=32,
                                required=True)
    note = check_text(errors, note, "note", max_length=400)
    warehouse = None
    if warehouse_code:
        warehouse = session.scalar(select(Warehouse).where(Warehouse.code == warehouse_code))
        if warehouse is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown warehouse {code}"),
                                     field="warehouseCode", code=warehouse_code))
    lists = bool(location_codes or category_codes or product_codes)
    if scope not in SCOPES:
        errors.append(FieldError("INVALID", _("Unknown count scope {scope}"), field="scope",
                                 scope=scope))
    elif scope == "full" and lists:
        errors.append(FieldError("INVALID", _("A full count covers the whole warehouse; "
                                              "use a cycle count to limit it"), field="scope"))
    elif scope == "cycle" and not lists:
        errors.append(FieldError("SCOPE_REQUIRED", _("A cycle count needs locations, "
                                                     "categories or products"), field="scope"))
    targets: list[tuple[str, int]] = []
    if warehouse is not None:
        targets += _resolve_locations(session, errors, warehouse.id, location_codes)
        if session.scalar(select(StockCount.number).where(
                StockCount.warehouse_id == warehouse.id, StockCount.state == "in_progress")):
            errors.append(FieldError("COUNT_IN_PROGRESS",
                                     _("Warehouse {code} already has a count in progress"),
                                     field="warehouseCode", code=warehouse.code))
    targets += _resolve_codes(session, errors, Category, "category", "categoryCodes",
                              category_codes)
    targets += _resolve_codes(session, errors, Product, "product", "productCodes",
                              product_codes)
    if errors:
        raise ValidationFailed(errors)
    assert warehouse is not None
    count = StockCount(number=_next_number(session), warehouse_id=warehouse.id, scope=scope,
                       state="in_progress", note=note, started_by_id=user_id,
                       start_move_id=session.scalar(select(func.max(StockMove.id))) or 0)
    session.add(count)
    session.flush()
    if targets:
        session.execute(insert(table_of(StockCountScope)),
                        [{"count_id": count.id, "kind": k, "target_id": t}
                         for k, t in sorted(set(targets))])
    _freeze_expectations(session, count)
    return count


def _resolve_locations(session: Session, errors: list[FieldError], warehouse_id: int,
                       codes: Sequence[str]) -> list[tuple[str, int]]:
    if not codes:
        return []
    found = {r.code: r for r in session.execute(
        select(Location.id, Location.code, Location.kind, Location.warehouse_id)
        .where(Location.code.in_([str(c).strip() for c in codes])))}
    targets = []
    for i, code in enumerate(codes):
        row = found.get(str(code).strip())
        if row is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown location {code}"),
                                     field=("locationCodes", str(i)), code=code))
        elif row.warehouse_id != warehouse_id or row.kind not in COUNTED_KINDS:
            errors.append(FieldError("OUT_OF_SCOPE",
                                     _("Location {code} is not counted in this warehouse"),
                                     field=("locationCodes", str(i)), code=code))
        else:
            targets.append(("location", row.id))
    return targets


def _resolve_codes(session: Session, errors: list[FieldError], model: type[Category | Product],
                   kind: str, field: str, codes: Sequence[str]) -> list[tuple[str, int]]:
    if not codes:
        return []
    found = dict(session.execute(select(model.code, model.id).where(
        model.code.in_([str(c).strip() for c in codes]))).all())
    targets = []
    for i, code in enumerate(codes):
        target = found.get(str(code).strip())
        if target is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown code {code}"),
                                     field=(field, str(i)), code=code))
        else:
            targets.append((kind, target))
    return targets


def _next_number(session: Session) -> str:
    """``PD-<yyyymm>-<nnnn>``, numbered per month."""
    return next_document_number(session, StockCount.number, "PD")


def _freeze_expectations(session: Session, count: StockCount) -> None:
    """Copy the balances and the serial units in scope into the count, in SQL."""
    locations, product = scope_conditions(session, count)
    zero = literal(0, Quantity())
    balance = table_of(StockBalance)
    lines = select(literal(count.id), balance.c.location_id, balance.c.product_id,
                   balance.c.batch_id, balance.c.quantity, zero, zero, zero, zero
                   ).where(balance.c.location_id.in_(locations), balance.c.quantity != zero)
    if product is not None:
        lines = lines.where(balance.c.product_id.in_(select(Product.id).where(product)))
    line_table = table_of(StockCountLine)
    session.execute(insert(line_table).from_select(
        ["count_id", "location_id", "product_id", "batch_id", "expected_quantity",
         "moved_quantity", "variance_quantity", "unit_cost", "variance_value"], lines))
    serial = table_of(SerialNumber)
    units = select(literal(count.id), serial.c.id, serial.c.product_id, serial.c.batch_id,
                   serial.c.location_id).where(serial.c.location_id.in_(locations))
    if product is not None:
        units = units.where(serial.c.product_id.in_(select(Product.id).where(product)))
    session.execute(insert(table_of(StockCountSerial)).from_select(
        ["count_id", "serial_id", "product_id", "batch_id", "expected_location_id"], units))


def cancel_count(session: Session, *, number: str, user_id: int | None = None) -> StockCount:
    """Abandon a count in progress: nothing is adjusted, the warehouse is free again."""
    count = count_by_number(session, number, lock=True, in_progress=True)
    count.state = "cancelled"
    count.cancelled_at = _now()
    count.cancelled_by_id = user_id
    session.flush()
    return count


def _now() -> datetime:
    return utcnow()
