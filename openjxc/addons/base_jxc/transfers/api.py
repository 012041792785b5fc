"""Transfers through GraphQL: ``stockTransfers`` and the ``StockTransfer`` node.

A page of transfers with their lines, serials and products costs a fixed number of
statements (warehouses, lines, serials, products and users through per-request
DataLoaders).  The mutations live in :mod:`.mutations`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar

import strawberry
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased
from strawberry.types import Info

from openjxc.core.i18n import _
from openjxc.core.security.models import User
from openjxc.graphql import (
    Connection,
    Contribution,
    Node,
    align,
    apply_filter_extensions,
    field,
    get_session,
    make_user_error_type,
    paginate,
)

from ..catalog.api import Product
from ..catalog.models import Product as ProductRow
from ..stock.api_scoping import warehouse_scope
from ..stock.models import Batch, Location, Warehouse
from . import models, services


def in_scope(info: Info[Any, Any], stmt: Any) -> Any:
    """``stmt`` (holding transfers) narrowed to those leaving or entering one of the
    caller's warehouses: all when unrestricted."""
    allowed = warehouse_scope(info)
    if allowed is None:
        return stmt
    row = models.StockTransfer
    return stmt.where(or_(row.from_warehouse_id.in_(allowed), row.to_warehouse_id.in_(allowed)))

READ = "stock.transfer.read"
MAX_SEARCH = 64


@strawberry.enum(description="Where a transfer is in its life.")
class StockTransferState(Enum):
    DRAFT = "draft"
    SHIPPED = "shipped"
    RECEIVED = "received"
    PARTLY_RECEIVED = "partly_received"
    CANCELLED = "cancelled"

    __labels__ = {"DRAFT": _("Draft"), "SHIPPED": _("In transit"),
                  "RECEIVED": _("Received"),
                  "PARTLY_RECEIVED": _("Received with differences"),
                  "CANCELLED": _("Cancelled")}


@strawberry.enum(description="What became of a serial unit a transfer carried.")
class StockTransferSerialState(Enum):
    SHIPPED = "shipped"
    RECEIVED = "received"
    LOST = "lost"

    __labels__ = {"SHIPPED": _("Shipped"), "RECEIVED": _("Received"), "LOST": _("Lost")}


@strawberry.enum(description="Orders of the transfer list.")
class StockTransferSort(Enum):
    NEWEST = "newest"
    NUMBER = "number"

    __labels__ = {"NEWEST": _("Newest first"), "NUMBER": _("By number")}


@strawberry.enum
class TransferErrorCode(Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    INVALID_STATE = "INVALID_STATE"
    SAME_WAREHOUSE = "SAME_WAREHOUSE"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    INVALID_LOCATION = "INVALID_LOCATION"
    OVER_RECEIPT = "OVER_RECEIPT"
    REASON_REQUIRED = "REASON_REQUIRED"
    SERIAL_NOT_SHIPPED = "SERIAL_NOT_SHIPPED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    # Passed through from the stock engine when shipping or receiving.
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    SERIAL_ALREADY_EXISTS = "SERIAL_ALREADY_EXISTS"
    SERIAL_NOT_IN_LOCATION = "SERIAL_NOT_IN_LOCATION"
    SERIAL_COUNT_MISMATCH = "SERIAL_COUNT_MISMATCH"
    SERIAL_DUPLICATED = "SERIAL_DUPLICATED"
    SERIAL_NOT_TRACKED = "SERIAL_NOT_TRACKED"
    INVALID_SERIAL_RANGE = "INVALID_SERIAL_RANGE"
    BATCH_REQUIRED = "BATCH_REQUIRED"
    BATCH_NOT_TRACKED = "BATCH_NOT_TRACKED"
    BATCH_EXPIRED = "BATCH_EXPIRED"
    SAME_LOCATION = "SAME_LOCATION"
    STOCK_PERIOD_CLOSED = "STOCK_PERIOD_CLOSED"
    # Passed through from an accounting addon: the document's date lies in a closed
    # accounting period.
    PERIOD_CLOSED = "PERIOD_CLOSED"


TransferError = make_user_error_type("Transfer", TransferErrorCode)


@strawberry.type(description="A serial unit a transfer line carries.")
class StockTransferSerial:
    number: str
    state: StockTransferSerialState


def _serials_loader(info: Info[Any, Any]) -> Any:
    def batch(line_ids: list[int]) -> list[list[StockTransferSerial]]:
        found = services.serial_numbers(get_session(info), line_ids)
        return [[StockTransferSerial(number=n, state=StockTransferSerialState(s))
                 for n, s in found[i]] for i in line_ids]

    return info.context.loaders.get("transfers.serials", batch)


def _products_loader(info: Info[Any, Any]) -> Any:
    def batch(ids: list[int]) -> list[Product | None]:
        return Product.get_nodes(info, ids)

    return info.context.loaders.get("transfers.product", batch)


@strawberry.type(description="One product a transfer sends, and what arrived of it.")
class StockTransferLine(Node):
    node_permission: ClassVar[str] = READ

    position: int = strawberry.field(description="1, 2, 3 … in the order given.")
    product_code: str
    quantity: Decimal = strawberry.field(description="Quantity shipped.")
    batch_number: str | None
    from_location_code: str | None = strawberry.field(
        description="The bin the goods leave from; null: the warehouse's main stock.")
    to_location_code: str | None = strawberry.field(
        description="Where what arrived was put (once received).")
    received_quantity: Decimal
    lost_quantity: Decimal = strawberry.field(
        description="Shipped but not arrived: moved to the loss location on receipt.")
    product_id: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await _products_loader(info).load(self.product_id)  # type: ignore[no-any-return]

    @strawberry.field(description="The serial units carried, with what became of each.")
    async def serials(self, info: Info[Any, Any]) -> list[StockTransferSerial]:
        return await _serials_loader(info).load(self.pk)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: Any) -> StockTransferLine:
        line = row.StockTransferLine
        return cls(pk=line.id, position=line.position, product_code=row.product_code,
                   quantity=line.quantity, batch_number=row.batch_number,
                   from_location_code=row.from_code, to_location_code=row.to_code,
                   received_quantity=line.received_quantity,
                   lost_quantity=line.lost_quantity, product_id=line.product_id)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int],
                  ) -> list[StockTransferLine | None]:
        rows = get_session(info).execute(in_scope(info, _lines_query().join(
            models.StockTransfer,
            models.StockTransfer.id == models.StockTransferLine.transfer_id,
        ).where(models.StockTransferLine.id.in_(pks))))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda line: line.pk)


def _lines_query() -> Any:
    source, target = aliased(Location), aliased(Location)
    line = models.StockTransferLine
    return (select(line, ProductRow.code.label("product_code"),
                   Batch.number.label("batch_number"), source.code.label("from_code"),
                   target.code.label("to_code"))
            .join(ProductRow, ProductRow.id == line.product_id)
            .outerjoin(Batch, Batch.id == line.batch_id)
            .outerjoin(source, source.id == line.from_location_id)
            .outerjoin(target, target.id == line.to_location_id)
            .order_by(line.transfer_id, line.position))


def _lines_loader(info: Info[Any, Any]) -> Any:
    def batch(ids: list[int]) -> list[list[StockTransferLine]]:
        found: dict[int, list[StockTransferLine]] = {i: [] for i in ids}
        rows = get_session(info).execute(
            _lines_query().where(models.StockTransferLine.transfer_id.in_(set(ids))))
        for row in rows:
            found[row.StockTransferLine.transfer_id].append(StockTransferLine.from_row(row))
        return [found[i] for i in ids]

    return info.context.loaders.get("transfers.lines", batch)


def _warehouse_codes_loader(info: Info[Any, Any]) -> Any:
    def batch(ids: list[int]) -> list[str | None]:
        codes = {r.id: r.code for r in get_session(info).execute(
            select(Warehouse.id, Warehouse.code).where(Warehouse.id.in_(set(ids))))}
        return [codes.get(i) for i in ids]

    return info.context.loaders.get("transfers.warehouse_code", batch)


def _usernames_loader(info: Info[Any, Any]) -> Any:
    def batch(ids: list[int]) -> list[str | None]:
        names = {r.id: r.username for r in get_session(info).execute(
            select(User.id, User.username).where(User.id.in_(set(ids))))}
        return [names.get(i) for i in ids]

    return info.context.loaders.get("transfers.username", batch)


async def _username(info: Info[Any, Any], user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return await _usernames_loader(info).load(user_id)  # type: ignore[no-any-return]


@strawberry.type(description="Goods sent from one warehouse to another (调拨单): shipped "
                             "to in-transit, then received, differences recorded as losses.")
class StockTransfer(Node):
    node_permission: ClassVar[str] = READ

    number: str = strawberry.field(description="DB-YYYYMM-NNNN, unique.")
    state: StockTransferState
    note: str
    receive_within_hours: int | None = strawberry.field(
        description="Hours it may be on the road before an alert; null: the default (48).")
    created_at: datetime
    shipped_at: datetime | None
    received_at: datetime | None
    difference_reason: str = strawberry.field(
        description="Why what arrived differs from what was shipped.")
    from_warehouse_id: strawberry.Private[int]
    to_warehouse_id: strawberry.Private[int]
    created_by_id: strawberry.Private[int | None]
    shipped_by_id: strawberry.Private[int | None]
    received_by_id: strawberry.Private[int | None]

    @strawberry.field
    async def from_warehouse_code(self, info: Info[Any, Any]) -> str:
        return await _warehouse_codes_loader(info).load(  # type: ignore[no-any-return]
            self.from_warehouse_id)

    @strawberry.field
    async def to_warehouse_code(self, info: Info[Any, Any]) -> str:
        return await _warehouse_codes_loader(info).load(  # type: ignore[no-any-return]
            self.to_warehouse_id)

    @strawberry.field(description="Who prepared it (username).")
    async def created_by(self, info: Info[Any, Any]) -> str | None:
        return await _username(info, self.created_by_id)

    @strawberry.field(description="Who shipped it (username).")
    async def shipped_by(self, info: Info[Any, Any]) -> str | None:
        return await _username(info, self.shipped_by_id)

    @strawberry.field(description="Who received it (username).")
    async def received_by(self, info: Info[Any, Any]) -> str | None:
        return await _username(info, self.received_by_id)

    @strawberry.field(description="The lines, in order.")
    async def lines(self, info: Info[Any, Any]) -> list[StockTransferLine]:
        return await _lines_loader(info).load(self.pk)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: models.StockTransfer) -> StockTransfer:
        return cls(pk=row.id, number=row.number, state=StockTransferState(row.state),
                   note=row.note, receive_within_hours=row.receive_within_hours,
                   created_at=row.created_at, shipped_at=row.shipped_at,
                   received_at=row.received_at, difference_reason=row.difference_reason,
                   from_warehouse_id=row.from_warehouse_id,
                   to_warehouse_id=row.to_warehouse_id, created_by_id=row.created_by_id,
                   shipped_by_id=row.shipped_by_id, received_by_id=row.received_by_id)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[StockTransfer | None]:
        rows = get_session(info).scalars(in_scope(info, select(models.StockTransfer)
                                                  .where(models.StockTransfer.id.in_(pks))))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda t: t.pk)


@strawberry.input(description="Narrow the transfer list; all given conditions must hold.")
class StockTransferFilter:
    state: StockTransferState | None = None
    warehouse_code: str | None = strawberry.field(
        default=None, description="Transfers leaving or entering this warehouse.")
    from_warehouse_code: str | None = None
    to_warehouse_code: str | None = None
    search: str | None = strawberry.field(default=None, description="Part of the number.")


def _warehouse_id(code: str) -> Any:
    return select(Warehouse.id).where(Warehouse.code == code.strip()).scalar_subquery()


def stock_transfers(info: Info[Any, Any], filter: StockTransferFilter | None = None,
                    sort: StockTransferSort = StockTransferSort.NEWEST,
                    first: int | None = None, after: str | None = None,
                    last: int | None = None, before: str | None = None,
                    ) -> Connection[StockTransfer]:
    row = models.StockTransfer
    stmt = in_scope(info, select(row))
    if filter is not None:
        if filter.state is not None:
            stmt = stmt.where(row.state == filter.state.value)
        if filter.warehouse_code:
            wid = _warehouse_id(filter.warehouse_code[:MAX_SEARCH])
            stmt = stmt.where(or_(row.from_warehouse_id == wid, row.to_warehouse_id == wid))
        if filter.from_warehouse_code:
            stmt = stmt.where(row.from_warehouse_id
                              == _warehouse_id(filter.from_warehouse_code[:MAX_SEARCH]))
        if filter.to_warehouse_code:
            stmt = stmt.where(row.to_warehouse_id
                              == _warehouse_id(filter.to_warehouse_code[:MAX_SEARCH]))
        if filter.search:
            stmt = stmt.where(row.number.icontains(filter.search[:MAX_SEARCH].strip(),
                                                   autoescape=True))
    stmt = apply_filter_extensions(info, "StockTransferFilter", stmt, filter)
    keys = [row.id.desc()] if sort is StockTransferSort.NEWEST else [row.number]
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=keys, to_node=StockTransfer.from_row, info=info)


def contribution() -> Contribution:
    from .mutations import mutations, types

    return Contribution(
        types=[StockTransfer, StockTransferLine, StockTransferSerial, StockTransferState,
               StockTransferSerialState, StockTransferSort, StockTransferFilter,
               TransferError, *types()],
        queries=[field(stock_transfers, permission=READ, name="stockTransfers",
                       description="Transfers between warehouses, filtered and sorted.")],
        mutations=mutations(),
    )
