"""Stock counts in GraphQL: ``stockCounts`` and ``inventoryAccuracy`` (mutations are in
:mod:`.mutations`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, ClassVar

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from openjxc.core.i18n import _
from openjxc.core.security.models import User
from openjxc.graphql import (
    BadUserInput,
    Connection,
    Contribution,
    Node,
    UserError,
    align,
    field,
    get_session,
    paginate,
)
from openjxc.graphql.scoping import require_scope, restrict

from ..catalog.models import Product
from ..stock.models import Batch, Location, Warehouse, table_of
from . import accuracy, models

#: The column warehouse scoping narrows counts by.
_COUNT_WAREHOUSE = table_of(models.StockCount).c.warehouse_id


@strawberry.enum(description="How much of a warehouse a count covers.")
class StockCountScope(Enum):
    FULL = "full"
    CYCLE = "cycle"

    __labels__ = {"FULL": _("Full count"), "CYCLE": _("Cycle count")}


@strawberry.enum
class StockCountState(Enum):
    IN_PROGRESS = "in_progress"
    POSTED = "posted"
    CANCELLED = "cancelled"

    __labels__ = {"IN_PROGRESS": _("In progress"), "POSTED": _("Posted"),
                  "CANCELLED": _("Cancelled")}


@strawberry.enum
class CountErrorCode(Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    UNKNOWN_CODE = "UNKNOWN_CODE"
    AMBIGUOUS_CODE = "AMBIGUOUS_CODE"
    OUT_OF_SCOPE = "OUT_OF_SCOPE"
    SCOPE_REQUIRED = "SCOPE_REQUIRED"
    COUNT_IN_PROGRESS = "COUNT_IN_PROGRESS"
    NOT_IN_PROGRESS = "NOT_IN_PROGRESS"
    SERIAL_REQUIRED = "SERIAL_REQUIRED"
    BATCH_REQUIRED = "BATCH_REQUIRED"
    BATCH_NOT_TRACKED = "BATCH_NOT_TRACKED"
    BATCH_EXPIRED = "BATCH_EXPIRED"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    SERIAL_ALREADY_EXISTS = "SERIAL_ALREADY_EXISTS"
    SERIAL_NOT_IN_LOCATION = "SERIAL_NOT_IN_LOCATION"
    SERIAL_COUNT_MISMATCH = "SERIAL_COUNT_MISMATCH"
    SERIAL_DUPLICATED = "SERIAL_DUPLICATED"
    SERIAL_NOT_TRACKED = "SERIAL_NOT_TRACKED"
    INVALID_SERIAL_RANGE = "INVALID_SERIAL_RANGE"
    SAME_LOCATION = "SAME_LOCATION"
    INVALID_LOCATION = "INVALID_LOCATION"
    STOCK_PERIOD_CLOSED = "STOCK_PERIOD_CLOSED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    # Passed through from an accounting addon: the document's date lies in a closed
    # accounting period.
    PERIOD_CLOSED = "PERIOD_CLOSED"


@strawberry.type(description="A problem with the input of a stock count mutation.")
class CountError(UserError):
    code: CountErrorCode = strawberry.field(description="Stable, machine-readable reason.")


@strawberry.type(description="Expected and counted quantity of one location × product × "
                             "batch; moves and variance once the count is posted.")
class StockCountLine:
    location_code: str
    product_code: str
    product_name: str
    batch_number: str | None
    expected_quantity: Decimal = strawberry.field(description="On hand when the count "
                                                              "started.")
    counted_quantity: Decimal | None = strawberry.field(description="Null while nothing "
                                                                    "was counted here.")
    moved_quantity: Decimal = strawberry.field(description="Net moves in during the count "
                                                           "(set when posted).")
    variance_quantity: Decimal = strawberry.field(description="Counted − (expected + "
                                                              "moved), set when posted.")
    _variance_value: strawberry.Private[Decimal]

    @field(permission="stock.cost.read", description="Value of the variance (CNY).")
    def variance_value(self) -> Decimal | None:
        return self._variance_value


def _load_lines(info: Info[Any, Any]) -> Any:
    def batch(count_ids: list[int]) -> list[list[StockCountLine]]:
        line = models.StockCountLine
        found: dict[int, list[StockCountLine]] = defaultdict(list)
        for r in get_session(info).execute(
                select(line, Location.code.label("location_code"),
                       Product.code.label("product_code"), Product.name.label("product_name"),
                       Batch.number.label("batch_number"))
                .join(Location, Location.id == line.location_id)
                .join(Product, Product.id == line.product_id)
                .outerjoin(Batch, Batch.id == line.batch_id)
                .where(line.count_id.in_(count_ids))
                .order_by(Location.code, Product.code, line.id)):
            row = r[0]
            found[row.count_id].append(StockCountLine(
                location_code=r.location_code, product_code=r.product_code,
                product_name=r.product_name, batch_number=r.batch_number,
                expected_quantity=row.expected_quantity, counted_quantity=row.counted_quantity,
                moved_quantity=row.moved_quantity, variance_quantity=row.variance_quantity,
                _variance_value=row.variance_value))
        return [found[i] for i in count_ids]

    return info.context.loaders.get("counts.lines", batch)


def _load_names(info: Info[Any, Any], key: str, column: Any, id_column: Any) -> Any:
    def batch(ids: list[int]) -> list[str | None]:
        rows: dict[int, str] = dict(get_session(info).execute(select(id_column, column)
                                              .where(id_column.in_(ids))).all())
        return [rows.get(i) for i in ids]

    return info.context.loaders.get(key, batch)


@strawberry.type(description="A stock count (盘点) of a warehouse: expected quantities frozen "
                             "at start, counted by scanning, variances posted as "
                             "adjustment moves.")
class StockCount(Node):
    node_permission: ClassVar[str] = "stock.count.read"

    number: str
    scope: StockCountScope
    state: StockCountState
    note: str
    started_at: datetime
    posted_at: datetime | None
    posted_on: date | None
    cancelled_at: datetime | None
    warehouse_id: strawberry.Private[int]
    started_by_id: strawberry.Private[int | None]
    posted_by_id: strawberry.Private[int | None]
    row: strawberry.Private[Any]

    @strawberry.field(description="Code of the counted warehouse.")
    async def warehouse_code(self, info: Info[Any, Any]) -> str:
        loader = _load_names(info, "counts.warehouse_code", Warehouse.code, Warehouse.id)
        return await loader.load(self.warehouse_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Who started the count.")
    async def started_by(self, info: Info[Any, Any]) -> str | None:
        if self.started_by_id is None:
            return None
        loader = _load_names(info, "counts.username", User.username, User.id)
        return await loader.load(self.started_by_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Who posted the count.")
    async def posted_by(self, info: Info[Any, Any]) -> str | None:
        if self.posted_by_id is None:
            return None
        loader = _load_names(info, "counts.username", User.username, User.id)
        return await loader.load(self.posted_by_id)  # type: ignore[no-any-return]

    @strawberry.field(description="The lines: location × product × batch.")
    async def lines(self, info: Info[Any, Any]) -> list[StockCountLine]:
        return await _load_lines(info).load(self.pk)  # type: ignore[no-any-return]

    @strawberry.field(description="Inventory accuracy of a posted count (null before).")
    def accuracy(self) -> StockCountAccuracy | None:
        if self.row.state != "posted":
            return None
        return StockCountAccuracy.from_figures(accuracy.count_accuracy(self.row))

    @classmethod
    def from_row(cls, row: models.StockCount) -> StockCount:
        return cls(pk=row.id, number=row.number, scope=StockCountScope(row.scope),
                   state=StockCountState(row.state), note=row.note, started_at=row.started_at,
                   posted_at=row.posted_at, posted_on=row.posted_on,
                   cancelled_at=row.cancelled_at, warehouse_id=row.warehouse_id,
                   started_by_id=row.started_by_id, posted_by_id=row.posted_by_id, row=row)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[StockCount | None]:
        # A count of a warehouse outside the caller's scope does not exist for them.
        rows = get_session(info).scalars(restrict(
            info, select(models.StockCount).where(models.StockCount.id.in_(pks)),
            "warehouse", _COUNT_WAREHOUSE))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda c: c.pk)


@strawberry.type(description="How well the books matched the shelves in one count.")
class StockCountAccuracy:
    number: str
    posted_on: date
    line_count: int = strawberry.field(description="Lines judged (counted, or taken as "
                                                   "zero).")
    accurate_line_count: int = strawberry.field(description="Lines without a variance.")
    line_accuracy: Decimal = strawberry.field(description="Accurate lines / lines (0–1).")
    value_accuracy: Decimal = strawberry.field(description="1 − |variance value| / expected "
                                                           "value (0–1).")
    _expected_value: strawberry.Private[Decimal]
    _variance_value: strawberry.Private[Decimal]

    @field(permission="stock.cost.read", description="Value the books expected (CNY).")
    def expected_value(self) -> Decimal | None:
        return self._expected_value

    @field(permission="stock.cost.read", description="Net value of the variances (CNY).")
    def variance_value(self) -> Decimal | None:
        return self._variance_value

    @classmethod
    def from_figures(cls, c: accuracy.CountAccuracy) -> StockCountAccuracy:
        return cls(number=c.number, posted_on=c.posted_on, line_count=c.line_count,
                   accurate_line_count=c.accurate_line_count, line_accuracy=c.line_accuracy,
                   value_accuracy=c.value_accuracy, _expected_value=c.expected_value,
                   _variance_value=c.variance_value)


@strawberry.type(description="Inventory accuracy of a warehouse over the counts posted "
                             "in a period.")
class InventoryAccuracy:
    warehouse_code: str
    date_from: date
    date_to: date
    count_count: int = strawberry.field(description="Posted counts in the period.")
    line_count: int
    accurate_line_count: int
    line_accuracy: Decimal
    value_accuracy: Decimal = strawberry.field(description="1 − Σ|variance value| / Σ "
                                                           "expected value (0–1).")
    counts: list[StockCountAccuracy]
    _expected_value: strawberry.Private[Decimal]

    @field(permission="stock.cost.read", description="Σ value the books expected (CNY).")
    def expected_value(self) -> Decimal | None:
        return self._expected_value


@strawberry.input(description="Narrow the list of counts; all given conditions must hold.")
class StockCountFilter:
    warehouse_code: str | None = None
    state: StockCountState | None = None
    scope: StockCountScope | None = None


def stock_counts(info: Info[Any, Any], filter: StockCountFilter | None = None,
                 first: int | None = None, after: str | None = None, last: int | None = None,
                 before: str | None = None) -> Connection[StockCount]:
    """Counts, newest first."""
    row = models.StockCount
    stmt = restrict(info, select(row), "warehouse", _COUNT_WAREHOUSE)
    if filter is not None:
        if filter.warehouse_code is not None:
            stmt = stmt.join(Warehouse, Warehouse.id == row.warehouse_id).where(
                Warehouse.code == filter.warehouse_code)
        if filter.state is not None:
            stmt = stmt.where(row.state == filter.state.value)
        if filter.scope is not None:
            stmt = stmt.where(row.scope == filter.scope.value)
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=[row.id.desc()], to_node=StockCount.from_row,
                    info=info)


def stock_count(info: Info[Any, Any], number: str) -> StockCount | None:
    row = get_session(info).scalar(restrict(
        info, select(models.StockCount).where(models.StockCount.number == number),
        "warehouse", _COUNT_WAREHOUSE))
    return StockCount.from_row(row) if row is not None else None


def inventory_accuracy(
        info: Info[Any, Any], warehouse_code: str,
        date_from: Annotated[date, strawberry.argument(name="from")],
        date_to: Annotated[date, strawberry.argument(name="to")],
) -> InventoryAccuracy | None:
    """Accuracy over the counts of ``warehouseCode`` posted ``from`` … ``to``
    (business dates, inclusive); null for an unknown warehouse."""
    if date_from > date_to:
        raise BadUserInput(str(_("from must not be after to")))
    warehouse_id = get_session(info).scalar(select(Warehouse.id).where(
        Warehouse.code == warehouse_code))
    if warehouse_id is not None:
        require_scope(info, "warehouse", warehouse_id)
    report = accuracy.inventory_accuracy(get_session(info), warehouse_code=warehouse_code,
                                         date_from=date_from, date_to=date_to)
    if report is None:
        return None
    return InventoryAccuracy(
        warehouse_code=report.warehouse_code, date_from=report.date_from,
        date_to=report.date_to, count_count=len(report.counts), line_count=report.line_count,
        accurate_line_count=report.accurate_line_count, line_accuracy=report.line_accuracy,
        value_accuracy=report.value_accuracy,
        counts=[StockCountAccuracy.from_figures(c) for c in report.counts],
        _expected_value=report.expected_value)


def contribution() -> Contribution:
    from . import mutations

    return Contribution(
        types=[StockCount, StockCountLine, StockCountScope, StockCountState, CountError,
               StockCountAccuracy, InventoryAccuracy],
        queries=[
            field(stock_counts, permission="stock.count.read", name="stockCounts"),
            field(stock_count, permission="stock.count.read", name="stockCount",
                  description="One count by its number (PD-202611-0001)."),
            field(inventory_accuracy, permission="stock.count.read",
                  name="inventoryAccuracy",
                  description="Inventory accuracy of a warehouse's counts in a period."),
        ],
        mutations=mutations.mutations(),
    )
