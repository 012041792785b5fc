"""The sales types of the GraphQL API: sales orders with their lines, reservations,
deliveries and credit approvals, and the enums and error codes they use.

Nested fields resolve through per-request DataLoaders (lines, reservations, deliveries,
customers, warehouses, products, users), so a page of orders costs a fixed number of
statements.  Costs and margins need ``sales.margin.read``: without it they are ``null``
with a ``FORBIDDEN`` error at their path; credit figures need ``partner.credit.read``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from openjxc.graphql import Node, align, field, get_session, to_global_id

from ..catalog.api import Product
from ..partners.api import Partner, PartnerAddress
from ..stock.api_types import Warehouse, load_products, load_warehouses
from ..stock.models import Batch, Location
from . import models
from .api_common import SalesError, SalesOrderState, rate_of, revenue_of
from .api_loaders import (
    approvals_of,
    deliveries_of,
    delivery_lines_of,
    in_scope,
    lines_of,
    load_addresses,
    load_orders,
    load_partners,
    quotation_number_of,
    reservations_of,
    username_of,
)
from .delivery import suggest_picks

READ = "sales.order.read"
MARGIN = "sales.margin.read"
CREDIT = "partner.credit.read"


@strawberry.type(description="Stock held for an order line in one place.")
class SalesReservation:
    location_code: str
    batch_number: str | None
    quantity: Decimal


@strawberry.type(description="One product of a sales order: ordered, reserved, delivered, "
                             "returned and invoiced quantities, and its margin.")
class SalesOrderLine(Node):
    node_permission: ClassVar[str] = READ

    position: int
    description: str
    quantity: Decimal
    unit_price: Decimal = strawberry.field(description="Tax excluded.")
    tax_rate: Decimal = strawberry.field(description="A fraction: 0.13 is 13 % VAT.")
    amount: Decimal = strawberry.field(description="quantity × unit price, to the cent.")
    tax: Decimal
    total: Decimal
    reserved_quantity: Decimal = strawberry.field(
        description="Held in the warehouse for this line now.")
    delivered_quantity: Decimal
    returned_quantity: Decimal
    invoiced_quantity: Decimal
    order_id: strawberry.Private[int]
    product_id: strawberry.Private[int]
    _cost: strawberry.Private[Decimal]

    @strawberry.field(description="Still to deliver.")
    def open_quantity(self) -> Decimal:
        return self.quantity - self.delivered_quantity

    @strawberry.field(description="Still to deliver and not reserved: waits for stock.")
    def backorder_quantity(self) -> Decimal:
        return max(self.quantity - self.delivered_quantity - self.reserved_quantity, Decimal(0))

    @strawberry.field(description="Delivered (net of returns) and not invoiced yet.")
    def invoiceable_quantity(self) -> Decimal:
        return max(self.delivered_quantity - self.returned_quantity - self.invoiced_quantity,
                   Decimal(0))

    @strawberry.field(description="Delivered net of returns × unit price (tax excluded).")
    def revenue(self) -> Decimal:
        return revenue_of(self.delivered_quantity - self.returned_quantity, self.unit_price)

    @field(permission=MARGIN, description="Cost of the goods delivered (net of returns), "
                                          "from the delivery moves.")
    def delivered_cost(self) -> Decimal | None:
        return self._cost

    @field(permission=MARGIN, description="Gross profit: revenue − delivered cost.")
    def margin(self) -> Decimal | None:
        return self.revenue() - self._cost

    @field(permission=MARGIN, description="Margin ÷ revenue (0.25 is 25 %); null before "
                                          "anything was delivered.")
    def margin_rate(self) -> Decimal | None:
        return rate_of(self.revenue() - self._cost, self.revenue())

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await load_products(info).load(self.product_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Where its reserved stock is held.")
    async def reservations(self, info: Info[Any, Any]) -> list[SalesReservation]:
        rows = await reservations_of(info, self.pk)
        return [SalesReservation(location_code=r.location_code, batch_number=r.batch_number,
                                 quantity=r.quantity) for r in rows]

    @classmethod
    def from_row(cls, row: models.SalesOrderLine) -> SalesOrderLine:
        return cls(pk=row.id, position=row.position, description=row.description,
                   quantity=row.quantity, unit_price=row.unit_price, tax_rate=row.tax_rate,
                   amount=row.amount, tax=row.tax, total=row.total,
                   reserved_quantity=row.reserved_quantity,
                   delivered_quantity=row.delivered_quantity,
                   returned_quantity=row.returned_quantity,
                   invoiced_quantity=row.invoiced_quantity, order_id=row.order_id,
                   product_id=row.product_id, _cost=row.delivered_cost)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int],
                  ) -> list[SalesOrderLine | None]:
        line, order = models.SalesOrderLine, models.SalesOrder
        rows = get_session(info).scalars(in_scope(
            info, select(line).join(order, order.id == line.order_id).where(line.id.in_(pks)),
            order))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda line: line.pk)


@strawberry.type(description="A credit-limit override: who let the order through, when, "
                             "and against what figures.")
class SalesCreditApproval:
    approved_at: datetime
    order_total: Decimal
    reason: str
    user_id: strawberry.Private[int]
    _exposure: strawberry.Private[Decimal]
    _limit: strawberry.Private[Decimal]

    @strawberry.field(description="Who approved (username).")
    async def approved_by(self, info: Info[Any, Any]) -> str | None:
        return await username_of(info, self.user_id)

    @field(permission=CREDIT, description="Open receivables + open orders + this order, "
                                          "when approved.")
    def exposure(self) -> Decimal | None:
        return self._exposure

    @field(permission=CREDIT, description="The customer's credit limit then.")
    def credit_limit(self) -> Decimal | None:
        return self._limit

    @classmethod
    def from_row(cls, row: models.SalesCreditApproval) -> SalesCreditApproval:
        return cls(approved_at=row.approved_at, order_total=row.order_total, reason=row.reason,
                   user_id=row.user_id, _exposure=row.exposure, _limit=row.credit_limit)


@strawberry.type(description="One pick of a delivery: a product from one place, with the "
                             "serial units it carried.")
class SalesDeliveryLine:
    quantity: Decimal
    location_code: str
    batch_number: str | None
    serials: list[str]
    order_line_id: strawberry.Private[int]
    product_id: strawberry.Private[int]
    _cost: strawberry.Private[Decimal]

    @field(permission=MARGIN, description="The cost the goods left at (cost of goods sold).")
    def cost(self) -> Decimal | None:
        return self._cost

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await load_products(info).load(self.product_id)  # type: ignore[no-any-return]


@strawberry.type(description="Goods that left for the customer (发货单/销售出库单).")
class SalesDelivery(Node):
    node_permission: ClassVar[str] = READ

    number: str = strawberry.field(description="FH-YYYYMM-NNNN, unique.")
    delivery_date: date
    note: str
    delivered_at: datetime
    order_id: strawberry.Private[int]
    warehouse_id: strawberry.Private[int]
    address_id: strawberry.Private[int | None]
    delivered_by_id: strawberry.Private[int | None]

    @strawberry.field
    async def sales_order(self, info: Info[Any, Any]) -> SalesOrder | None:
        return await load_orders(info, SalesOrder).load(  # type: ignore[no-any-return]
            self.order_id)

    @strawberry.field
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse | None:
        return await load_warehouses(info).load(self.warehouse_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Where the goods went.")
    async def address(self, info: Info[Any, Any]) -> PartnerAddress | None:
        if self.address_id is None:
            return None
        return await load_addresses(info).load(self.address_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Who delivered (username).")
    async def delivered_by(self, info: Info[Any, Any]) -> str | None:
        return await username_of(info, self.delivered_by_id)

    @strawberry.field
    async def lines(self, info: Info[Any, Any]) -> list[SalesDeliveryLine]:
        rows = await delivery_lines_of(info, self.pk)
        return [SalesDeliveryLine(quantity=r.quantity, location_code=r.location_code,
                                  batch_number=r.batch_number, serials=r.serials,
                                  order_line_id=r.order_line_id, product_id=r.product_id,
                                  _cost=r.cost) for r in rows]

    @classmethod
    def from_row(cls, row: models.SalesDelivery) -> SalesDelivery:
        return cls(pk=row.id, number=row.number, delivery_date=row.delivery_date,
                   note=row.note, delivered_at=row.delivered_at, order_id=row.order_id,
                   warehouse_id=row.warehouse_id, address_id=row.address_id,
                   delivered_by_id=row.delivered_by_id)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int],
                  ) -> list[SalesDelivery | None]:
        rows = get_session(info).scalars(in_scope(
            info, select(models.SalesDelivery).where(models.SalesDelivery.id.in_(pks)),
            models.SalesDelivery))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda d: d.pk)


@strawberry.type(description="Where to pick part of what is left of an order line.")
class SalesPickSuggestion:
    quantity: Decimal
    location_code: str
    batch_number: str | None
    expires_on: date | None
    serials: list[str] = strawberry.field(description="The units to take (oldest first).")
    line_id: strawberry.Private[int]
    product_id: strawberry.Private[int]

    @strawberry.field
    def order_line_id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("SalesOrderLine", self.line_id))

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await load_products(info).load(self.product_id)  # type: ignore[no-any-return]


def pick_suggestions_of(info: Info[Any, Any], order_id: int) -> list[SalesPickSuggestion]:
    session = get_session(info)
    picks = suggest_picks(session, order_id)
    codes = dict(session.execute(select(Location.id, Location.code).where(
        Location.id.in_({p.location_id for p in picks}))).all()) if picks else {}
    batches = {b.id: b for b in session.scalars(select(Batch).where(
        Batch.id.in_({p.batch_id for p in picks if p.batch_id})))} if picks else {}
    return [SalesPickSuggestion(
        quantity=p.quantity, location_code=codes[p.location_id],
        batch_number=batches[p.batch_id].number if p.batch_id else None,
        expires_on=batches[p.batch_id].expires_on if p.batch_id else None,
        serials=list(p.serials), line_id=p.want.line_id, product_id=p.want.product_id)
        for p in picks]


@strawberry.type(description="A sales order / contract (销售订单/合同), shipped from one "
                             "warehouse.")
class SalesOrder(Node):
    node_permission: ClassVar[str] = READ

    number: str = strawberry.field(description="XS-YYYYMM-NNNN, unique.")
    state: SalesOrderState
    customer_reference: str = strawberry.field(description="The customer's contract or PO "
                                                           "number (合同号).")
    order_date: date
    promised_date: date | None = strawberry.field(description="Delivery date promised to "
                                                              "the customer.")
    currency: str
    amount_untaxed: Decimal
    amount_tax: Decimal
    amount_total: Decimal
    approved_total: Decimal | None = strawberry.field(
        description="The total a credit approval was given for; null: none was needed.")
    note: str
    created_at: datetime
    confirmed_at: datetime | None
    delivered_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    customer_id: strawberry.Private[int]
    warehouse_id: strawberry.Private[int]
    quotation_id: strawberry.Private[int | None]
    address_id: strawberry.Private[int | None]
    created_by_id: strawberry.Private[int | None]
    confirmed_by_id: strawberry.Private[int | None]

    @strawberry.field
    async def customer(self, info: Info[Any, Any]) -> Partner | None:
        return await load_partners(info).load(self.customer_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse | None:
        return await load_warehouses(info).load(self.warehouse_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Where the goods go, e.g. an installation site.")
    async def delivery_address(self, info: Info[Any, Any]) -> PartnerAddress | None:
        if self.address_id is None:
            return None
        return await load_addresses(info).load(self.address_id)  # type: ignore[no-any-return]

    @strawberry.field(description="The number of the quotation it came from.")
    async def quotation_number(self, info: Info[Any, Any]) -> str | None:
        return await quotation_number_of(info, self.quotation_id)

    @strawberry.field(description="Who took the order (username).")
    async def created_by(self, info: Info[Any, Any]) -> str | None:
        return await username_of(info, self.created_by_id)

    @strawberry.field(description="Who confirmed or approved it (username).")
    async def confirmed_by(self, info: Info[Any, Any]) -> str | None:
        return await username_of(info, self.confirmed_by_id)

    @strawberry.field(description="The lines, in order.")
    async def lines(self, info: Info[Any, Any]) -> list[SalesOrderLine]:
        return [SalesOrderLine.from_row(r) for r in await lines_of(info, self.pk)]

    @strawberry.field(description="Its deliveries, oldest first.")
    async def deliveries(self, info: Info[Any, Any]) -> list[SalesDelivery]:
        return [SalesDelivery.from_row(r) for r in await deliveries_of(info, self.pk)]

    @strawberry.field(description="Where to pick what is left to deliver: the order's own "
                                  "reservations first, then free stock, earliest expiry "
                                  "first (what a delivery without lines would take).  It "
                                  "reads stock: ask for it on one order, not on a list.")
    def pick_suggestions(self, info: Info[Any, Any]) -> list[SalesPickSuggestion]:
        return pick_suggestions_of(info, self.pk)

    @strawberry.field(description="Credit-limit overrides given for it (audit).")
    async def credit_approvals(self, info: Info[Any, Any]) -> list[SalesCreditApproval]:
        return [SalesCreditApproval.from_row(r) for r in await approvals_of(info, self.pk)]

    @strawberry.field(description="Σ revenue of the lines (delivered net of returns, tax "
                                  "excluded).")
    async def revenue(self, info: Info[Any, Any]) -> Decimal:
        return sum((revenue_of(r.delivered_quantity - r.returned_quantity, r.unit_price)
                    for r in await lines_of(info, self.pk)), Decimal("0.00"))

    @field(permission=MARGIN, description="Σ delivered cost of the lines.")
    async def delivered_cost(self, info: Info[Any, Any]) -> Decimal | None:
        return sum((r.delivered_cost for r in await lines_of(info, self.pk)), Decimal("0.00"))

    @field(permission=MARGIN, description="Gross profit of the order: revenue − cost.")
    async def margin(self, info: Info[Any, Any]) -> Decimal | None:
        lines = await lines_of(info, self.pk)
        return sum((revenue_of(r.delivered_quantity - r.returned_quantity, r.unit_price)
                    - r.delivered_cost for r in lines), Decimal("0.00"))

    @field(permission=MARGIN, description="Margin ÷ revenue; null before anything was "
                                          "delivered.")
    async def margin_rate(self, info: Info[Any, Any]) -> Decimal | None:
        lines = await lines_of(info, self.pk)
        revenue = sum((revenue_of(r.delivered_quantity - r.returned_quantity, r.unit_price)
                       for r in lines), Decimal(0))
        return rate_of(revenue - sum((r.delivered_cost for r in lines), Decimal(0)), revenue)

    @classmethod
    def from_row(cls, row: models.SalesOrder) -> SalesOrder:
        return cls(pk=row.id, number=row.number, state=SalesOrderState(row.state),
                   customer_reference=row.customer_reference, order_date=row.order_date,
                   promised_date=row.promised_date, currency=row.currency,
                   amount_untaxed=row.amount_untaxed, amount_tax=row.amount_tax,
                   amount_total=row.amount_total, approved_total=row.approved_total,
                   note=row.note, created_at=row.created_at, confirmed_at=row.confirmed_at,
                   delivered_at=row.delivered_at, closed_at=row.closed_at,
                   cancelled_at=row.cancelled_at, cancel_reason=row.cancel_reason,
                   customer_id=row.customer_id, warehouse_id=row.warehouse_id,
                   quotation_id=row.quotation_id, address_id=row.delivery_address_id,
                   created_by_id=row.created_by_id, confirmed_by_id=row.confirmed_by_id)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[SalesOrder | None]:
        rows = get_session(info).scalars(in_scope(
            info, select(models.SalesOrder).where(models.SalesOrder.id.in_(pks)),
            models.SalesOrder))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda o: o.pk)


TYPES: list[type] = [SalesOrderState, SalesError, SalesReservation, SalesOrderLine,
                     SalesCreditApproval, SalesDeliveryLine, SalesDelivery,
                     SalesPickSuggestion, SalesOrder]
