"""Sales through GraphQL: ``salesOrders``, ``salesOrder``, ``salesDeliveries``,
``customerCredit`` and the quotation queries; the types live in :mod:`.api_types` and
:mod:`.api_quotations`, the mutations in :mod:`.mutations` and :mod:`.mutations_posting`.

A page of orders with their lines, customers and products costs a fixed number of
statements.  A user limited to some warehouses sees only their orders and deliveries.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from openjxc.graphql import (
    Connection,
    Contribution,
    apply_filter_extensions,
    field,
    get_session,
    paginate,
)

from ..partners.api import Partner
from ..partners.models import Partner as PartnerRow
from ..stock.models import Warehouse as WarehouseRow
from . import api_quotations, models
from .api_common import SalesOrderState
from .api_loaders import in_scope, load_partners
from .api_quotations import SalesDocumentSort
from .api_types import CREDIT, READ, TYPES, SalesDelivery, SalesOrder
from .credit import customer_credit

MAX_SEARCH = 64


@strawberry.input(description="Narrow the sales order list; all given conditions must hold.")
class SalesOrderFilter:
    state: SalesOrderState | None = None
    states: list[SalesOrderState] | None = strawberry.field(
        default=None, description="Any of these states.")
    customer_code: str | None = None
    warehouse_code: str | None = None
    search: str | None = strawberry.field(
        default=None, description="Part of the number or of the customer's reference.")
    date_from: date | None = strawberry.field(default=None, description="Ordered on or after.")
    date_to: date | None = strawberry.field(default=None, description="Ordered on or before.")


def _id_of(model: Any, code: str) -> Any:
    return select(model.id).where(model.code == code[:MAX_SEARCH].strip()).scalar_subquery()


def sales_orders(info: Info[Any, Any], filter: SalesOrderFilter | None = None,
                 sort: SalesDocumentSort = SalesDocumentSort.NEWEST, first: int | None = None,
                 after: str | None = None, last: int | None = None,
                 before: str | None = None) -> Connection[SalesOrder]:
    row = models.SalesOrder
    stmt = in_scope(info, select(row), row)
    if filter is not None:
        if filter.state is not None:
            stmt = stmt.where(row.state == filter.state.value)
        if filter.states:
            stmt = stmt.where(row.state.in_([s.value for s in filter.states]))
        if filter.customer_code:
            stmt = stmt.where(row.customer_id == _id_of(PartnerRow, filter.customer_code))
        if filter.warehouse_code:
            stmt = stmt.where(row.warehouse_id == _id_of(WarehouseRow, filter.warehouse_code))
        if filter.search:
            term = filter.search[:MAX_SEARCH].strip()
            stmt = stmt.where(row.number.icontains(term, autoescape=True)
                              | row.customer_reference.icontains(term, autoescape=True))
        if filter.date_from is not None:
            stmt = stmt.where(row.order_date >= filter.date_from)
        if filter.date_to is not None:
            stmt = stmt.where(row.order_date <= filter.date_to)
    stmt = apply_filter_extensions(info, "SalesOrderFilter", stmt, filter)
    keys = [row.id.desc()] if sort is SalesDocumentSort.NEWEST else [row.number]
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=keys, to_node=SalesOrder.from_row, info=info)


def sales_order(info: Info[Any, Any], number: str) -> SalesOrder | None:
    stmt = in_scope(info, select(models.SalesOrder).where(
        models.SalesOrder.number == number[:MAX_SEARCH].strip()), models.SalesOrder)
    row = get_session(info).scalar(stmt)
    return SalesOrder.from_row(row) if row is not None else None


@strawberry.input(description="Narrow the delivery list; all given conditions must hold.")
class SalesDeliveryFilter:
    order_number: str | None = None
    customer_code: str | None = None
    warehouse_code: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def sales_deliveries(info: Info[Any, Any], filter: SalesDeliveryFilter | None = None,
                     first: int | None = None, after: str | None = None,
                     last: int | None = None, before: str | None = None,
                     ) -> Connection[SalesDelivery]:
    row = models.SalesDelivery
    order = models.SalesOrder
    stmt = in_scope(info, select(row), row)
    if filter is not None:
        if filter.order_number:
            stmt = stmt.where(row.order_id == select(order.id).where(
                order.number == filter.order_number[:MAX_SEARCH].strip()).scalar_subquery())
        if filter.customer_code:
            stmt = stmt.where(row.order_id.in_(select(order.id).where(
                order.customer_id == _id_of(PartnerRow, filter.customer_code))))
        if filter.warehouse_code:
            stmt = stmt.where(row.warehouse_id == _id_of(WarehouseRow, filter.warehouse_code))
        if filter.date_from is not None:
            stmt = stmt.where(row.delivery_date >= filter.date_from)
        if filter.date_to is not None:
            stmt = stmt.where(row.delivery_date <= filter.date_to)
    stmt = apply_filter_extensions(info, "SalesDeliveryFilter", stmt, filter)
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=[row.id.desc()], to_node=SalesDelivery.from_row,
                    info=info)


@strawberry.type(description="Where a customer stands against its credit limit now.")
class CustomerCredit:
    credit_limit: Decimal | None = strawberry.field(description="Null: no limit.")
    tolerance: Decimal = strawberry.field(
        description="How far above the limit orders may go (the customer's, else the "
                    "policy sales.credit_tolerance).")
    open_receivables: Decimal = strawberry.field(
        description="Invoiced and not paid, less unallocated receipts.")
    open_orders: Decimal = strawberry.field(
        description="Undelivered part (with tax) of orders awaiting approval, confirmed "
                    "or partly delivered.")
    exposure: Decimal
    available: Decimal | None = strawberry.field(
        description="What a new order may still add without approval; null: no limit.")
    customer_id: strawberry.Private[int]

    @strawberry.field
    async def customer(self, info: Info[Any, Any]) -> Partner | None:
        return await load_partners(info).load(self.customer_id)  # type: ignore[no-any-return]


def customer_credit_query(info: Info[Any, Any], customer_code: str) -> CustomerCredit | None:
    session = get_session(info)
    customer = session.scalar(select(PartnerRow).where(
        PartnerRow.code == customer_code[:MAX_SEARCH].strip(), PartnerRow.is_customer))
    if customer is None:
        return None
    check = customer_credit(session, customer)
    ceiling = check.ceiling
    return CustomerCredit(credit_limit=check.credit_limit, tolerance=check.tolerance,
                          open_receivables=check.open_receivables,
                          open_orders=check.open_orders, exposure=check.exposure,
                          available=None if ceiling is None else ceiling - check.exposure,
                          customer_id=customer.id)


def contribution() -> Contribution:
    from .mutations import mutations as order_mutations
    from .mutations import types as order_types
    from .mutations_posting import mutations as posting_mutations
    from .mutations_posting import types as posting_types

    return Contribution(
        types=[*TYPES, *api_quotations.TYPES, SalesOrderFilter, SalesDeliveryFilter,
               CustomerCredit, *order_types(), *posting_types()],
        queries=[
            field(sales_orders, permission=READ, name="salesOrders",
                  description="Sales orders, filtered and sorted."),
            field(sales_order, permission=READ, name="salesOrder",
                  description="The sales order with this number, or null."),
            field(sales_deliveries, permission=READ, name="salesDeliveries",
                  description="Deliveries to customers, newest first."),
            field(api_quotations.quotations, permission=api_quotations.READ,
                  name="quotations", description="Quotations, filtered and sorted."),
            field(api_quotations.quotation, permission=api_quotations.READ, name="quotation",
                  description="The quotation with this number, or null."),
            field(customer_credit_query, permission=CREDIT, name="customerCredit",
                  description="A customer's credit: limit, receivables, open orders and "
                              "what is still available."),
        ],
        mutations=[*order_mutations(), *posting_mutations()],
    )
