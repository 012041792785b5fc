"""Reading stock through GraphQL: warehouses, locations, levels, the ledger, as-of, serials,
batches and pick suggestions.  Lists are connections; a caller limited to some warehouses
sees only their rows (and the company-wide locations)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import Select, select
from strawberry.types import Info

from openjxc.addons.base_jxc.catalog import models as catalog
from openjxc.addons.base_jxc.catalog.api import Product
from openjxc.core.i18n import _
from openjxc.graphql import BadUserInput, Connection, field, get_session, paginate
from openjxc.graphql.scoping import require_scope, restrict

from . import models, queries
from .api_types import (
    COST,
    Batch,
    Location,
    LocationKind,
    SerialNumber,
    SerialState,
    StockLevel,
    StockMove,
    Warehouse,
    WarehouseKind,
    batch_of,
    load_locations,
    load_products,
    load_warehouses,
    scoped_moves,
    serial_statement,
    visible_locations,
    warehouse_scope,
)
from .posting import business_today

M = models


def _product_ids(code: str) -> Select[Any]:
    return select(catalog.Product.id).where(catalog.Product.code == code)


def _warehouse_ids(code: str) -> Select[Any]:
    return select(M.Warehouse.id).where(M.Warehouse.code == code)


def _location_ids(code: str) -> Select[Any]:
    return select(M.Location.id).where(M.Location.code == code)


def _warehouse_id(info: Info[Any, Any], code: str) -> int:
    """The id of a warehouse named by the caller, within their scope (or a clear refusal)."""
    found = get_session(info).scalar(_warehouse_ids(code))
    if found is None:
        raise BadUserInput(f"Unknown warehouse {code[:64]!r}")
    require_scope(info, "warehouse", found)
    return int(found)


def _product_id(info: Info[Any, Any], code: str) -> int:
    found = get_session(info).scalar(_product_ids(code))
    if found is None:
        raise BadUserInput(f"Unknown product {code[:64]!r}")
    return int(found)


# -- warehouses and locations -------------------------------------------------------------

@strawberry.input
class WarehouseFilter:
    kind: WarehouseKind | None = None
    active: bool | None = None


def warehouses(info: Info[Any, Any], filter: WarehouseFilter | None = None,
               first: int | None = None, after: str | None = None, last: int | None = None,
               before: str | None = None) -> Connection[Warehouse]:
    stmt = restrict(info, select(M.Warehouse), "warehouse", M.table_of(M.Warehouse).c.id)
    if filter is not None:
        if filter.kind is not None:
            stmt = stmt.where(M.Warehouse.kind == filter.kind.value)
        if filter.active is not None:
            stmt = stmt.where(M.Warehouse.active == filter.active)
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=[M.Warehouse.code], to_node=Warehouse.from_row,
                    info=info)


@strawberry.input
class LocationFilter:
    warehouse_code: str | None = None
    kind: LocationKind | None = None


def locations(info: Info[Any, Any], filter: LocationFilter | None = None,
              first: int | None = None, after: str | None = None, last: int | None = None,
              before: str | None = None) -> Connection[Location]:
    stmt = select(M.Location)
    visible = visible_locations(info)
    if visible is not None:
        stmt = stmt.where(M.Location.id.in_(visible))
    if filter is not None:
        if filter.warehouse_code is not None:
            stmt = stmt.where(M.Location.warehouse_id.in_(_warehouse_ids(filter.warehouse_code)))
        if filter.kind is not None:
            stmt = stmt.where(M.Location.kind == filter.kind.value)
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=[M.Location.code], to_node=Location.from_row,
                    info=info)


# -- stock levels --------------------------------------------------------------------------

@strawberry.input(description="Narrow stock levels; all given conditions must hold.")
class StockLevelFilter:
    product_code: str | None = None
    warehouse_code: str | None = None
    location_code: str | None = None
    category_code: str | None = None
    batch_number: str | None = None
    only_positive: bool = strawberry.field(
        default=True, description="Leave out rows with nothing on hand (the default).")


def stock_levels(info: Info[Any, Any], filter: StockLevelFilter | None = None,
                 first: int | None = None, after: str | None = None, last: int | None = None,
                 before: str | None = None) -> Connection[StockLevel]:
    B = M.StockBalance
    stmt = restrict(info, select(B), "warehouse", M.table_of(B).c.warehouse_id)
    filter = filter or StockLevelFilter()
    if filter.product_code is not None:
        stmt = stmt.where(B.product_id.in_(_product_ids(filter.product_code)))
    if filter.warehouse_code is not None:
        stmt = stmt.where(B.warehouse_id.in_(_warehouse_ids(filter.warehouse_code)))
    if filter.location_code is not None:
        stmt = stmt.where(B.location_id.in_(_location_ids(filter.location_code)))
    if filter.category_code is not None:
        stmt = stmt.where(B.product_id.in_(
            select(catalog.Product.id).join(catalog.Category,
                                            catalog.Category.id == catalog.Product.category_id)
            .where(catalog.Category.code == filter.category_code)))
    if filter.batch_number is not None:
        stmt = stmt.where(B.batch_id.in_(select(M.Batch.id).where(
            M.Batch.number == filter.batch_number, M.Batch.product_id == B.product_id)))
    if filter.only_positive:
        stmt = stmt.where(B.quantity > 0)
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=[B.location_id, B.product_id, B.batch_id],
                    to_node=StockLevel.from_row, info=info)


# -- the ledger ----------------------------------------------------------------------------

@strawberry.input(description="Narrow the ledger; all given conditions must hold.")
class StockMoveFilter:
    product_code: str | None = None
    warehouse_code: str | None = strawberry.field(
        default=None, description="Moves into or out of this warehouse's locations.")
    location_code: str | None = strawberry.field(
        default=None, description="Moves into or out of this location.")
    date_from: date | None = None
    date_to: date | None = strawberry.field(default=None, description="Inclusive.")
    origin_type: str | None = None
    reference: str | None = None


@strawberry.enum
class StockMoveSort(Enum):
    NEWEST_FIRST = "newest"
    OLDEST_FIRST = "oldest"

    __labels__ = {"NEWEST_FIRST": _("Newest first"), "OLDEST_FIRST": _("Oldest first")}


def stock_moves(info: Info[Any, Any], filter: StockMoveFilter | None = None,
                sort: StockMoveSort = StockMoveSort.NEWEST_FIRST, first: int | None = None,
                after: str | None = None, last: int | None = None,
                before: str | None = None) -> Connection[StockMove]:
    S = M.StockMove
    stmt = scoped_moves(info, select(S))
    if filter is not None:
        if filter.product_code is not None:
            stmt = stmt.where(S.product_id.in_(_product_ids(filter.product_code)))
        places: Select[Any] | None = None
        if filter.warehouse_code is not None:
            places = select(M.Location.id).where(
                M.Location.warehouse_id.in_(_warehouse_ids(filter.warehouse_code)))
        if filter.location_code is not None:
            places = _location_ids(filter.location_code)
        if places is not None:
            stmt = stmt.where(S.from_location_id.in_(places) | S.to_location_id.in_(places))
        if filter.date_from is not None:
            stmt = stmt.where(S.move_date >= filter.date_from)
        if filter.date_to is not None:
            stmt = stmt.where(S.move_date <= filter.date_to)
        if filter.origin_type is not None:
            stmt = stmt.where(S.origin_type == filter.origin_type)
        if filter.reference is not None:
            stmt = stmt.where(S.reference == filter.reference)
    keys = ([S.move_date.desc(), S.id.desc()] if sort is StockMoveSort.NEWEST_FIRST
            else [S.move_date, S.id])
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=keys, to_node=StockMove.from_row, info=info)


# -- stock as of a date --------------------------------------------------------------------

@strawberry.type(description="Quantity and value of a product (and batch) in one location at "
                             "the end of a day.")
class StockAsOfRow:
    quantity: Decimal
    location_id: strawberry.Private[int]
    product_id: strawberry.Private[int]
    batch_id: strawberry.Private[int]
    warehouse_id: strawberry.Private[int]
    _value: strawberry.Private[Decimal]

    @field(permission=COST, description="The stock value (CNY).")
    def value(self) -> Decimal | None:
        return self._value

    @field(permission=COST, description="Value ÷ quantity; null when nothing is left.")
    def unit_cost(self) -> Decimal | None:
        if not self.quantity:
            return None
        return (self._value / self.quantity).quantize(Decimal("0.000001"))

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await load_products(info).load(self.product_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def location(self, info: Info[Any, Any]) -> Location | None:
        return await load_locations(info).load(self.location_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse | None:
        return await load_warehouses(info).load(self.warehouse_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def batch(self, info: Info[Any, Any]) -> Batch | None:
        return await batch_of(info, self.batch_id)


def stock_as_of(info: Info[Any, Any], date: date, warehouse_code: str | None = None,
                product_codes: list[str] | None = None) -> list[StockAsOfRow]:
    session = get_session(info)
    warehouse_id = _warehouse_id(info, warehouse_code) if warehouse_code is not None else None
    product_ids = None
    if product_codes is not None:
        product_ids = list(session.scalars(select(catalog.Product.id).where(
            catalog.Product.code.in_(product_codes))))
    rows = queries.stock_as_of(session, date, product_ids=product_ids,
                               warehouse_id=warehouse_id)
    allowed = warehouse_scope(info)
    return [StockAsOfRow(quantity=r.quantity, location_id=r.location_id,
                         product_id=r.product_id, batch_id=r.batch_id,
                         warehouse_id=r.warehouse_id, _value=r.value)
            for r in sorted(rows, key=lambda r: (r.location_id, r.product_id, r.batch_id))
            if allowed is None or r.warehouse_id in allowed]


# -- serial numbers ------------------------------------------------------------------------

def serial_number(info: Info[Any, Any], number: str,
                  product_code: str | None = None) -> SerialNumber | None:
    stmt = serial_statement(info).where(M.SerialNumber.number == number)
    if product_code is not None:
        stmt = stmt.where(M.SerialNumber.product_id.in_(_product_ids(product_code)))
    rows = get_session(info).execute(stmt.limit(2)).all()
    if len(rows) > 1:
        raise BadUserInput(f"Several products have a serial number {number[:64]!r}; "
                           f"pass productCode.")
    return SerialNumber.from_pair(rows[0]) if rows else None


@strawberry.input
class SerialNumberFilter:
    product_code: str | None = None
    location_code: str | None = None
    warehouse_code: str | None = None
    state: SerialState | None = None


def serial_numbers(info: Info[Any, Any], filter: SerialNumberFilter | None = None,
                   first: int | None = None, after: str | None = None,
                   last: int | None = None, before: str | None = None,
                   ) -> Connection[SerialNumber]:
    S = M.SerialNumber
    stmt = serial_statement(info)
    if filter is not None:
        if filter.product_code is not None:
            stmt = stmt.where(S.product_id.in_(_product_ids(filter.product_code)))
        if filter.location_code is not None:
            stmt = stmt.where(S.location_id.in_(_location_ids(filter.location_code)))
        if filter.warehouse_code is not None:
            stmt = stmt.where(M.Location.warehouse_id.in_(_warehouse_ids(filter.warehouse_code)))
        if filter.state is not None:
            stmt = stmt.where(M.Location.kind == filter.state.value)
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=[S.number], to_node=SerialNumber.from_pair,
                    info=info)


# -- batches -------------------------------------------------------------------------------

@strawberry.input
class BatchFilter:
    product_code: str | None = None
    number: str | None = None
    expiring_before: date | None = strawberry.field(
        default=None, description="Batches whose expiry date is before this day.")
    expired: bool | None = strawberry.field(
        default=None, description="Only expired (true) or unexpired (false) batches, as of "
                                  "today.")


def batches(info: Info[Any, Any], filter: BatchFilter | None = None, first: int | None = None,
            after: str | None = None, last: int | None = None,
            before: str | None = None) -> Connection[Batch]:
    stmt = select(M.Batch)
    if filter is not None:
        if filter.product_code is not None:
            stmt = stmt.where(M.Batch.product_id.in_(_product_ids(filter.product_code)))
        if filter.number is not None:
            stmt = stmt.where(M.Batch.number == filter.number)
        if filter.expiring_before is not None:
            stmt = stmt.where(M.Batch.expires_on < filter.expiring_before)
        if filter.expired is not None:
            today = business_today(get_session(info))
            stmt = stmt.where(M.Batch.expires_on < today if filter.expired
                              else M.Batch.expires_on.is_(None) | (M.Batch.expires_on >= today))
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=[M.Batch.number], to_node=Batch.from_row,
                    info=info)


# -- pick suggestions ----------------------------------------------------------------------

@strawberry.type(description="Where to pick part of a quantity: earliest expiry first (FEFO), "
                             "then oldest first (FIFO).")
class PickSuggestion:
    quantity: Decimal
    expires_on: date | None
    serials: list[str] = strawberry.field(description="Serial units to take, oldest first.")
    location_id: strawberry.Private[int]
    batch_id: strawberry.Private[int]

    @strawberry.field
    async def location(self, info: Info[Any, Any]) -> Location | None:
        return await load_locations(info).load(self.location_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def batch(self, info: Info[Any, Any]) -> Batch | None:
        return await batch_of(info, self.batch_id)


def pick_suggestions(info: Info[Any, Any], product_code: str, warehouse_code: str,
                     quantity: Decimal) -> list[PickSuggestion]:
    if quantity <= 0:
        raise BadUserInput("quantity must be greater than zero")
    warehouse_id = _warehouse_id(info, warehouse_code)
    product_id = _product_id(info, product_code)
    found = queries.pick_suggestions(get_session(info), product_id, warehouse_id, quantity)
    return [PickSuggestion(quantity=s.quantity, expires_on=s.expires_on, serials=list(s.serials),
                           location_id=s.location_id, batch_id=s.batch_id) for s in found]


TYPES = [WarehouseFilter, LocationFilter, StockLevelFilter, StockMoveFilter, StockMoveSort,
         StockAsOfRow, SerialNumberFilter, BatchFilter, PickSuggestion]


def query_fields() -> list[Any]:
    return [
        field(warehouses, permission="stock.warehouse.read"),
        field(locations, permission="stock.warehouse.read"),
        field(stock_levels, permission="stock.level.read", name="stockLevels",
              description="On hand, reserved and available per location × product × batch."),
        field(stock_moves, permission="stock.move.read", name="stockMoves",
              description="The stock ledger."),
        field(stock_as_of, permission="stock.level.read", name="stockAsOf",
              description="Stock per location × product × batch at the end of a day."),
        field(serial_number, permission="stock.level.read", name="serialNumber",
              description="The serial unit with this number (productCode when several "
                          "products share it), or null."),
        field(serial_numbers, permission="stock.level.read", name="serialNumbers"),
        field(batches, permission="stock.level.read"),
        field(pick_suggestions, permission="stock.level.read", name="pickSuggestions",
              description="Where to pick a quantity in a warehouse (FEFO, then FIFO)."),
    ]
