"""Customer returns through GraphQL: ``returns``, ``return(code:)`` and the ``Return`` node.

A page of returns with their lines, serial units, products, customers, warehouses, orders,
credit notes and refunds costs a fixed number of statements (per-request DataLoaders).
Costs need ``stock.cost.read``.  The mutations live in :mod:`.mutations`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, cast

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from openjxc.core.security.models import User
from openjxc.graphql import (
    Connection,
    Contribution,
    Node,
    align,
    apply_filter_extensions,
    field,
    get_session,
    paginate,
    to_global_id,
)
from openjxc.graphql.scoping import restrict

from ..catalog.api import Product
from ..catalog.models import Product as ProductRow
from ..invoicing.amounts import line_amounts
from ..invoicing.models import Invoice, Payment
from ..partners.api import Partner
from ..partners.models import Partner as PartnerRow
from ..sales.models import SalesOrder
from ..stock.api_types import COST, SerialNumber, load_products
from ..stock.models import Batch, Location, Warehouse, table_of
from . import models
from .api_enums import (
    ReturnDisposition,
    ReturnError,
    ReturnSettlement,
    ReturnSort,
    ReturnState,
)

READ = "sales.return.read"
MAX_SEARCH = 64


# -- loaders -------------------------------------------------------------------------------

def _lookup(info: Info[Any, Any], key: str, column: Any, id_column: Any) -> Any:
    """A loader of one column by id (codes, numbers, usernames)."""
    def batch(ids: list[int]) -> list[Any]:
        found: dict[int, Any] = dict(get_session(info).execute(
            select(id_column, column).where(id_column.in_(set(ids)))).all())
        return [found.get(i) for i in ids]

    return info.context.loaders.get(key, batch)


async def _text(info: Info[Any, Any], key: str, column: Any, id_column: Any,
                pk: int | None) -> str | None:
    """One code, number or username by id, batched with the others of the request."""
    if pk is None:
        return None
    return cast("str | None", await _lookup(info, key, column, id_column).load(pk))


def _partners_loader(info: Info[Any, Any]) -> Any:
    return info.context.loaders.get("returns.partner", lambda ids: Partner.get_nodes(info, ids))


def _serial_nodes_loader(info: Info[Any, Any]) -> Any:
    return info.context.loaders.get("returns.serial_node",
                                    lambda ids: SerialNumber.get_nodes(info, ids))


def _serials_loader(info: Info[Any, Any]) -> Any:
    def batch(line_ids: list[int]) -> list[list[ReturnSerial]]:
        from .services import line_serials

        found = line_serials(get_session(info), line_ids)
        return [[ReturnSerial(number=n, disposition=ReturnDisposition(d) if d else None,
                              serial_id=sid) for sid, n, d in found[i]] for i in line_ids]

    return info.context.loaders.get("returns.serials", batch)


def _lines_query() -> Any:
    line = models.ReturnLine
    return (select(line, ProductRow.code.label("product_code"),
                   Batch.number.label("batch_number"), Location.code.label("restock_code"))
            .join(ProductRow, ProductRow.id == line.product_id)
            .outerjoin(Batch, Batch.id == line.batch_id)
            .outerjoin(Location, Location.id == line.restock_location_id)
            .order_by(line.return_id, line.position))


def _lines_loader(info: Info[Any, Any]) -> Any:
    def batch(ids: list[int]) -> list[list[ReturnLine]]:
        found: dict[int, list[ReturnLine]] = {i: [] for i in ids}
        rows = get_session(info).execute(
            _lines_query().where(models.ReturnLine.return_id.in_(set(ids))))
        for row in rows:
            found[row.ReturnLine.return_id].append(ReturnLine.from_row(row))
        return [found[i] for i in ids]

    return info.context.loaders.get("returns.lines", batch)


# -- types ---------------------------------------------------------------------------------

@strawberry.type(description="A serial unit of a return line and what inspection decided "
                             "for it (the same record as when it was sold).")
class ReturnSerial:
    number: str
    disposition: ReturnDisposition | None = strawberry.field(
        description="Null until inspected.")
    serial_id: strawberry.Private[int]

    @strawberry.field(description="The unit itself: where it is now, its history.")
    async def serial_number(self, info: Info[Any, Any]) -> SerialNumber | None:
        return await _serial_nodes_loader(info).load(  # type: ignore[no-any-return]
            self.serial_id)


@strawberry.type(description="One product a customer returns, its price and cost, and what "
                             "inspection decided for it.")
class ReturnLine(Node):
    node_permission: ClassVar[str] = READ

    position: int
    product_code: str
    quantity: Decimal
    batch_number: str | None
    reason: str
    unit_price: Decimal | None = strawberry.field(
        description="Tax-exclusive price credited per unit (from the sales order line).")
    tax_rate: Decimal | None
    received_quantity: Decimal
    restocked_quantity: Decimal
    scrapped_quantity: Decimal
    to_supplier_quantity: Decimal
    restock_location_code: str | None = strawberry.field(
        description="Where restocked goods were put.")
    product_id: strawberry.Private[int]
    order_line_id: strawberry.Private[int | None]
    _unit_cost: strawberry.Private[Decimal]

    @strawberry.field(description="The sales order line the goods were sold on.")
    def sales_order_line_id(self) -> strawberry.ID | None:
        if self.order_line_id is None:
            return None
        return strawberry.ID(to_global_id("SalesOrderLine", self.order_line_id))

    @strawberry.field(description="Quantity × unit price, before tax.")
    def amount(self) -> Decimal:
        return self.amounts()[0]

    @strawberry.field
    def tax(self) -> Decimal:
        return self.amounts()[1]

    @strawberry.field(description="What is credited for this line, tax included.")
    def total(self) -> Decimal:
        return self.amounts()[2]

    def amounts(self) -> tuple[Decimal, Decimal, Decimal]:
        return line_amounts(self.quantity, self.unit_price or Decimal(0),
                            self.tax_rate or Decimal(0))

    @field(permission=COST, description="The cost per unit it came back at (the cost it "
                                        "left at when sold).")
    def unit_cost(self) -> Decimal | None:
        return self._unit_cost

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await load_products(info).load(self.product_id)  # type: ignore[no-any-return]

    @strawberry.field(description="The serial units, with what became of each.")
    async def serials(self, info: Info[Any, Any]) -> list[ReturnSerial]:
        return await _serials_loader(info).load(self.pk)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: Any) -> ReturnLine:
        line = row.ReturnLine
        return cls(pk=line.id, position=line.position, product_code=row.product_code,
                   quantity=line.quantity, batch_number=row.batch_number, reason=line.reason,
                   unit_price=line.unit_price, tax_rate=line.tax_rate,
                   received_quantity=line.received_quantity,
                   restocked_quantity=line.restocked_quantity,
                   scrapped_quantity=line.scrapped_quantity,
                   to_supplier_quantity=line.to_supplier_quantity,
                   restock_location_code=row.restock_code, product_id=line.product_id,
                   order_line_id=line.sales_order_line_id, _unit_cost=line.unit_cost)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[ReturnLine | None]:
        request = models.ReturnRequest
        rows = get_session(info).execute(_scoped(info, _lines_query().join(
            request, request.id == models.ReturnLine.return_id)
            .where(models.ReturnLine.id.in_(pks))))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda line: line.pk)


@strawberry.type(description="A customer return (退货单 / RMA) with its return code: "
                             "received into quarantine, inspected, then settled by a credit "
                             "note or a refund.")
class Return(Node):
    node_permission: ClassVar[str] = READ

    code: str = strawberry.field(description="TH-YYYYMM-NNNN, unique: the customer writes "
                                             "it on the parcel.")
    state: ReturnState
    reason: str
    created_at: datetime
    received_at: datetime | None
    inspected_at: datetime | None
    closed_at: datetime | None = strawberry.field(description="When it was closed or "
                                                              "cancelled.")
    closed_with: ReturnSettlement | None
    amount: Decimal = strawberry.field(description="What was credited or refunded, tax "
                                                   "included (0 until closed).")
    customer_id: strawberry.Private[int]
    warehouse_id: strawberry.Private[int]
    sales_order_pk: strawberry.Private[int | None]
    credit_note_id: strawberry.Private[int | None]
    refund_id: strawberry.Private[int | None]
    user_ids: strawberry.Private[tuple[int | None, ...]]

    @strawberry.field
    async def customer(self, info: Info[Any, Any]) -> Partner | None:
        return await _partners_loader(info).load(self.customer_id)  # type: ignore[no-any-return]

    @strawberry.field(description="The warehouse that receives the goods.")
    async def warehouse_code(self, info: Info[Any, Any]) -> str | None:
        return await _text(info, "returns.warehouse_code", Warehouse.code, Warehouse.id,
                           self.warehouse_id)

    @strawberry.field
    def sales_order_id(self) -> strawberry.ID | None:
        if self.sales_order_pk is None:
            return None
        return strawberry.ID(to_global_id("SalesOrder", self.sales_order_pk))

    @strawberry.field
    async def sales_order_number(self, info: Info[Any, Any]) -> str | None:
        return await _text(info, "returns.order_number", SalesOrder.number, SalesOrder.id,
                           self.sales_order_pk)

    @strawberry.field(description="The credit note (红字发票) that settled it.")
    async def credit_note_number(self, info: Info[Any, Any]) -> str | None:
        return await _text(info, "returns.invoice_number", Invoice.number, Invoice.id,
                           self.credit_note_id)

    @strawberry.field(description="The refund that paid the customer back.")
    async def refund_number(self, info: Info[Any, Any]) -> str | None:
        return await _text(info, "returns.payment_number", Payment.number, Payment.id,
                           self.refund_id)

    @strawberry.field(description="Who asked for it (username).")
    async def created_by(self, info: Info[Any, Any]) -> str | None:
        return await self._username(info, 0)

    @strawberry.field(description="Who received the goods (username).")
    async def received_by(self, info: Info[Any, Any]) -> str | None:
        return await self._username(info, 1)

    @strawberry.field(description="Who inspected them (username).")
    async def inspected_by(self, info: Info[Any, Any]) -> str | None:
        return await self._username(info, 2)

    @strawberry.field(description="Who closed or cancelled it (username).")
    async def closed_by(self, info: Info[Any, Any]) -> str | None:
        return await self._username(info, 3)

    async def _username(self, info: Info[Any, Any], which: int) -> str | None:
        return await _text(info, "returns.username", User.username, User.id,
                           self.user_ids[which])

    @strawberry.field(description="The lines, in order.")
    async def lines(self, info: Info[Any, Any]) -> list[ReturnLine]:
        return await _lines_loader(info).load(self.pk)  # type: ignore[no-any-return]

    @strawberry.field(description="What the returned goods are worth to the customer, tax "
                                  "included (Σ line totals).")
    async def value(self, info: Info[Any, Any]) -> Decimal:
        lines = await _lines_loader(info).load(self.pk)
        return sum((line.amounts()[2] for line in lines), Decimal(0))

    @classmethod
    def from_row(cls, row: models.ReturnRequest) -> Return:
        return cls(pk=row.id, code=row.code, state=ReturnState(row.state), reason=row.reason,
                   created_at=row.created_at, received_at=row.received_at,
                   inspected_at=row.inspected_at, closed_at=row.closed_at,
                   closed_with=ReturnSettlement(row.closed_with) if row.closed_with else None,
                   amount=row.amount, customer_id=row.customer_id,
                   warehouse_id=row.warehouse_id, sales_order_pk=row.sales_order_id,
                   credit_note_id=row.credit_note_id, refund_id=row.refund_payment_id,
                   user_ids=(row.created_by_id, row.received_by_id, row.inspected_by_id,
                             row.closed_by_id))

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[Return | None]:
        rows = get_session(info).scalars(_scoped(info, select(models.ReturnRequest)
                                                 .where(models.ReturnRequest.id.in_(pks))))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda r: r.pk)


# -- queries -------------------------------------------------------------------------------

def _scoped(info: Info[Any, Any], stmt: Any) -> Any:
    """Returns to the caller's warehouses only (all when unrestricted)."""
    return restrict(info, stmt, "warehouse", table_of(models.ReturnRequest).c.warehouse_id)


@strawberry.input(description="Narrow the return list; all given conditions must hold.")
class ReturnFilter:
    state: ReturnState | None = None
    customer_code: str | None = None
    warehouse_code: str | None = None
    search: str | None = strawberry.field(default=None,
                                          description="Part of the return code.")


def returns(info: Info[Any, Any], filter: ReturnFilter | None = None,
            sort: ReturnSort = ReturnSort.NEWEST, first: int | None = None,
            after: str | None = None, last: int | None = None,
            before: str | None = None) -> Connection[Return]:
    row = models.ReturnRequest
    stmt = _scoped(info, select(row))
    if filter is not None:
        if filter.state is not None:
            stmt = stmt.where(row.state == filter.state.value)
        if filter.customer_code:
            stmt = stmt.where(row.customer_id == select(PartnerRow.id).where(
                PartnerRow.code == filter.customer_code[:MAX_SEARCH].strip())
                .scalar_subquery())
        if filter.warehouse_code:
            stmt = stmt.where(row.warehouse_id == select(Warehouse.id).where(
                Warehouse.code == filter.warehouse_code[:MAX_SEARCH].strip())
                .scalar_subquery())
        if filter.search:
            stmt = stmt.where(row.code.icontains(filter.search[:MAX_SEARCH].strip(),
                                                 autoescape=True))
    stmt = apply_filter_extensions(info, "ReturnFilter", stmt, filter)
    keys = [row.id.desc()] if sort is ReturnSort.NEWEST else [row.code]
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=keys, to_node=Return.from_row, info=info)


def return_by_code(info: Info[Any, Any], code: str) -> Return | None:
    found = get_session(info).scalar(_scoped(info, select(models.ReturnRequest).where(
        models.ReturnRequest.code == code[:MAX_SEARCH].strip())))
    return Return.from_row(found) if found is not None else None


def contribution() -> Contribution:
    from .mutations import mutations, types

    return Contribution(
        types=[Return, ReturnLine, ReturnSerial, ReturnState, ReturnDisposition,
               ReturnSettlement, ReturnSort, ReturnFilter, ReturnError, *types()],
        queries=[field(returns, permission=READ, name="returns",
                       description="Customer returns (RMA), filtered and sorted."),
                 field(return_by_code, permission=READ, name="return",
                       description="A customer return by its return code (TH-…).")],
        mutations=mutations(),
    )
