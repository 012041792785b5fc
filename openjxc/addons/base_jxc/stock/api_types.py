"""The stock chapter's GraphQL types: warehouses, locations, batches, serials, moves, levels.

Nested objects (product, location, batch, warehouse, a move's serials) resolve through
per-request DataLoaders, so a list costs the same number of statements whatever its
length.  Costs and values need ``stock.cost.read``: without it they are ``null`` with a
``FORBIDDEN`` error at their path (API.md).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, cast

import strawberry
from sqlalchemy import Select, select
from strawberry.types import Info

from openjxc.addons.base_jxc.catalog.api import Product
from openjxc.graphql import Node, align, field, get_session

from . import models
from .api_enums import (
    LocationKind,
    SerialState,
    StockError,
    StockErrorCode,
    WarehouseKind,
)
from .api_scoping import scoped_moves, visible_locations, warehouse_scope
from .posting import business_today

COST = "stock.cost.read"

__all__ = ["COST", "Batch", "Location", "LocationKind", "SerialNumber", "SerialState",
           "StockError", "StockErrorCode", "StockLevel", "StockMove", "Warehouse",
           "WarehouseKind", "batch_of", "load_batches", "load_locations", "load_products",
           "load_warehouses", "scoped_moves", "serial_statement", "visible_locations",
           "warehouse_scope"]


# -- loaders -------------------------------------------------------------------------------

def load_products(info: Info[Any, Any]) -> Any:
    return info.context.loaders.get("stock.product",
                                    lambda ids: Product.get_nodes(info, ids))


def load_locations(info: Info[Any, Any]) -> Any:
    return info.context.loaders.get("stock.location",
                                    lambda ids: Location.get_nodes(info, ids))


def load_warehouses(info: Info[Any, Any]) -> Any:
    return info.context.loaders.get("stock.warehouse",
                                    lambda ids: Warehouse.get_nodes(info, ids))


def load_batches(info: Info[Any, Any]) -> Any:
    return info.context.loaders.get("stock.batch", lambda ids: Batch.get_nodes(info, ids))


async def batch_of(info: Info[Any, Any], batch_id: int) -> Batch | None:
    """The batch, or None for 0 (the engine's "no batch")."""
    if not batch_id:
        return None
    return await load_batches(info).load(batch_id)  # type: ignore[no-any-return]


def _load_move_serials(info: Info[Any, Any]) -> Any:
    def batch(move_ids: list[int]) -> list[list[SerialNumber]]:
        found: dict[int, list[SerialNumber]] = defaultdict(list)
        rows = get_session(info).execute(
            select(models.StockMoveSerial.move_id, models.SerialNumber, models.Location.kind)
            .join(models.SerialNumber,
                  models.SerialNumber.id == models.StockMoveSerial.serial_id)
            .join(models.Location, models.Location.id == models.SerialNumber.location_id)
            .where(models.StockMoveSerial.move_id.in_(move_ids))
            .order_by(models.SerialNumber.number))
        for move_id, serial, kind in rows:
            found[move_id].append(SerialNumber.from_row(serial, kind))
        return [found[i] for i in move_ids]

    return info.context.loaders.get("stock.move_serials", batch)


def _load_serial_history(info: Info[Any, Any]) -> Any:
    def batch(serial_ids: list[int]) -> list[list[StockMove]]:
        found: dict[int, list[StockMove]] = defaultdict(list)
        stmt: Any = (
            select(models.StockMoveSerial.serial_id, models.StockMove)
            .join(models.StockMove, models.StockMove.id == models.StockMoveSerial.move_id)
            .where(models.StockMoveSerial.serial_id.in_(serial_ids))
            .order_by(models.StockMove.move_date, models.StockMove.id))
        # A user limited to some warehouses sees the moves touching them, as in stockMoves.
        rows = get_session(info).execute(scoped_moves(info, stmt))
        for serial_id, move in rows:
            found[serial_id].append(StockMove.from_row(move))
        return [found[i] for i in serial_ids]

    return info.context.loaders.get("stock.serial_history", batch)


# -- types ---------------------------------------------------------------------------------

@strawberry.type(description="A warehouse, branch store or technician's van.")
class Warehouse(Node):
    node_permission: ClassVar[str] = "stock.warehouse.read"

    code: str
    name: str
    kind: WarehouseKind
    allow_negative: bool = strawberry.field(description="Whether stock may go below zero.")
    address: str
    active: bool

    @strawberry.field(description="The warehouse's locations: main stock, bins and its "
                                  "special locations.")
    async def locations(self, info: Info[Any, Any]) -> list[Location]:
        loader = info.context.loaders.get("stock.warehouse_locations",
                                          lambda ids: _locations_of(info, ids))
        return await loader.load(self.pk)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: models.Warehouse) -> Warehouse:
        return cls(pk=row.id, code=row.code, name=row.name, kind=WarehouseKind(row.kind),
                   allow_negative=row.allow_negative, address=row.address, active=row.active)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[Warehouse | None]:
        stmt = select(models.Warehouse).where(models.Warehouse.id.in_(pks))
        allowed = warehouse_scope(info)
        if allowed is not None:
            stmt = stmt.where(models.Warehouse.id.in_(allowed))
        rows = get_session(info).scalars(stmt)
        return align(pks, [cls.from_row(r) for r in rows], key=lambda w: w.pk)


def _locations_of(info: Info[Any, Any], warehouse_ids: list[int]) -> list[list[Location]]:
    found: dict[int, list[Location]] = defaultdict(list)
    for row in get_session(info).scalars(
            select(models.Location).where(models.Location.warehouse_id.in_(warehouse_ids))
            .order_by(models.Location.code)):
        assert row.warehouse_id is not None
        found[row.warehouse_id].append(Location.from_row(row))
    return [found[i] for i in warehouse_ids]


@strawberry.type(description="A place stock can be: a warehouse's main stock or a bin, its "
                             "in-transit, quarantine or scrap area, or a company-wide "
                             "supplier, customer, adjustment or loss location.")
class Location(Node):
    node_permission: ClassVar[str] = "stock.warehouse.read"

    code: str = strawberry.field(description="Globally unique and scannable: WH1/A-01.")
    name: str
    kind: LocationKind
    active: bool
    warehouse_id: strawberry.Private[int | None]

    @strawberry.field(description="Null for company-wide locations.")
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse | None:
        if self.warehouse_id is None:
            return None
        return await load_warehouses(info).load(self.warehouse_id)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: models.Location) -> Location:
        return cls(pk=row.id, code=row.code, name=row.name, kind=LocationKind(row.kind),
                   active=row.active, warehouse_id=row.warehouse_id)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[Location | None]:
        stmt = select(models.Location).where(models.Location.id.in_(pks))
        visible = visible_locations(info)
        if visible is not None:
            stmt = stmt.where(models.Location.id.in_(visible))
        rows = get_session(info).scalars(stmt)
        return align(pks, [cls.from_row(r) for r in rows], key=lambda loc: loc.pk)


@strawberry.type(description="A production lot of a batch-tracked product.")
class Batch(Node):
    node_permission: ClassVar[str] = "stock.level.read"

    number: str
    manufactured_on: date | None
    expires_on: date | None
    product_id: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await load_products(info).load(self.product_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Whether it expired before the given day (default: today "
                                  "in the company's time zone).")
    def expired(self, info: Info[Any, Any], on: date | None = None) -> bool:
        day = on or business_today(get_session(info))
        return self.expires_on is not None and self.expires_on < day

    @classmethod
    def from_row(cls, row: models.Batch) -> Batch:
        return cls(pk=row.id, number=row.number, manufactured_on=row.manufactured_on,
                   expires_on=row.expires_on, product_id=row.product_id)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[Batch | None]:
        rows = get_session(info).scalars(select(models.Batch).where(models.Batch.id.in_(pks)))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda b: b.pk)


@strawberry.type(description="One unit of a serial-tracked product: where it is, what it "
                             "cost, where it has been.")
class SerialNumber(Node):
    node_permission: ClassVar[str] = "stock.level.read"

    number: str
    state: SerialState
    received_on: date
    product_id: strawberry.Private[int]
    location_id: strawberry.Private[int]
    batch_id: strawberry.Private[int]
    _unit_cost: strawberry.Private[Decimal]

    @field(permission=COST, description="What this unit cost (个别计价法).")
    def unit_cost(self) -> Decimal | None:
        return self._unit_cost

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await load_products(info).load(self.product_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Where the unit is now.")
    async def location(self, info: Info[Any, Any]) -> Location | None:
        return await load_locations(info).load(self.location_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def batch(self, info: Info[Any, Any]) -> Batch | None:
        return await batch_of(info, self.batch_id)

    @field(permission="stock.move.read",
           description="Every move of this unit, oldest first (by date, then posting order).")
    async def history(self, info: Info[Any, Any]) -> list[StockMove] | None:
        return await _load_serial_history(info).load(self.pk)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: models.SerialNumber, location_kind: str) -> SerialNumber:
        return cls(pk=row.id, number=row.number, state=SerialState(location_kind),
                   received_on=row.received_on, product_id=row.product_id,
                   location_id=row.location_id, batch_id=row.batch_id,
                   _unit_cost=row.unit_cost)

    @classmethod
    def from_pair(cls, pair: Any) -> SerialNumber:
        """From a ``(SerialNumber, Location.kind)`` row, as the serial queries select."""
        return cls.from_row(pair[0], pair[1])

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[SerialNumber | None]:
        stmt = serial_statement(info).where(models.SerialNumber.id.in_(pks))
        found = [cls.from_pair(r) for r in get_session(info).execute(stmt)]
        return align(pks, found, key=lambda s: s.pk)


def serial_statement(info: Info[Any, Any]) -> Select[Any]:
    """Serial units with their location's kind, within the caller's scope."""
    stmt = cast("Select[Any]", select(models.SerialNumber, models.Location.kind)
                .join(models.Location, models.Location.id == models.SerialNumber.location_id))
    visible = visible_locations(info)
    if visible is not None:
        stmt = stmt.where(models.SerialNumber.location_id.in_(visible))
    return stmt


@strawberry.type(description="One line of the stock ledger: a quantity of a product moved "
                             "from one location to another on a date.  Immutable; corrected "
                             "by a reversal.")
class StockMove(Node):
    node_permission: ClassVar[str] = "stock.move.read"

    move_date: date
    quantity: Decimal
    origin_type: str = strawberry.field(description="What caused it, e.g. transfer, count, "
                                                    "purchase.receipt; empty for a manual move.")
    reference: str
    note: str
    created_at: datetime
    product_id: strawberry.Private[int]
    from_location_id: strawberry.Private[int]
    to_location_id: strawberry.Private[int]
    batch_id: strawberry.Private[int]
    reversal_of_id: strawberry.Private[int | None]
    _unit_cost: strawberry.Private[Decimal]
    _value: strawberry.Private[Decimal]

    @field(permission=COST, description="The cost per unit the move carried.")
    def unit_cost(self) -> Decimal | None:
        return self._unit_cost

    @field(permission=COST, description="The value the move carried (CNY).")
    def value(self) -> Decimal | None:
        return self._value

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await load_products(info).load(self.product_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def from_location(self, info: Info[Any, Any]) -> Location | None:
        return await load_locations(info).load(  # type: ignore[no-any-return]
            self.from_location_id)

    @strawberry.field
    async def to_location(self, info: Info[Any, Any]) -> Location | None:
        return await load_locations(info).load(  # type: ignore[no-any-return]
            self.to_location_id)

    @strawberry.field
    async def batch(self, info: Info[Any, Any]) -> Batch | None:
        return await batch_of(info, self.batch_id)

    @strawberry.field(description="The serial units the move carried.")
    async def serials(self, info: Info[Any, Any]) -> list[SerialNumber]:
        return await _load_move_serials(info).load(self.pk)  # type: ignore[no-any-return]

    @strawberry.field(description="The move this one reverses, when it is a reversal.")
    async def reversal_of(self, info: Info[Any, Any]) -> StockMove | None:
        if self.reversal_of_id is None:
            return None
        loader = info.context.loaders.get("stock.move", lambda ids: StockMove.get_nodes(
            info, ids))
        return await loader.load(self.reversal_of_id)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: models.StockMove) -> StockMove:
        return cls(pk=row.id, move_date=row.move_date, quantity=row.quantity,
                   origin_type=row.origin_type, reference=row.reference, note=row.note,
                   created_at=row.created_at, product_id=row.product_id,
                   from_location_id=row.from_location_id, to_location_id=row.to_location_id,
                   batch_id=row.batch_id, reversal_of_id=row.reversal_of_id,
                   _unit_cost=row.unit_cost, _value=row.value)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[StockMove | None]:
        stmt = scoped_moves(info, select(models.StockMove).where(models.StockMove.id.in_(pks)))
        rows = get_session(info).scalars(stmt)
        return align(pks, [cls.from_row(r) for r in rows], key=lambda m: m.pk)


@strawberry.type(description="What is in one location of one product (and batch): on hand, "
                             "reserved for orders, available.")
class StockLevel:
    on_hand: Decimal
    reserved: Decimal
    available: Decimal = strawberry.field(description="On hand minus reserved.")
    product_id: strawberry.Private[int]
    location_id: strawberry.Private[int]
    batch_id: strawberry.Private[int]
    warehouse_id: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await load_products(info).load(self.product_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def location(self, info: Info[Any, Any]) -> Location | None:
        return await load_locations(info).load(self.location_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def batch(self, info: Info[Any, Any]) -> Batch | None:
        return await batch_of(info, self.batch_id)

    @strawberry.field
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse | None:
        return await load_warehouses(info).load(self.warehouse_id)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: models.StockBalance) -> StockLevel:
        return cls(on_hand=row.quantity, reserved=row.reserved,
                   available=row.quantity - row.reserved, product_id=row.product_id,
                   location_id=row.location_id, batch_id=row.batch_id,
                   warehouse_id=row.warehouse_id)
