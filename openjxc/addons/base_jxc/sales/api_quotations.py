"""Quotations in GraphQL: the ``Quotation`` node, ``quotations`` and ``quotation``.

A quotation's ``state`` is computed when read: an open quotation past ``validUntil`` is
``EXPIRED`` (see :mod:`.quotations`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from openjxc.core.i18n import _
from openjxc.graphql import (
    Connection,
    Node,
    align,
    apply_filter_extensions,
    get_session,
    paginate,
)

from ..catalog.api import Product
from ..partners.api import Partner
from ..partners.models import Partner as PartnerRow
from ..stock.api_types import Warehouse, load_products, load_warehouses
from ..stock.posting import business_today
from . import models
from .api_loaders import _grouped, load_orders, load_partners, quotations_in_scope, username_of
from .api_types import SalesOrder
from .quotations import OPEN, quotation_state

READ = "sales.quotation.read"
MAX_SEARCH = 64


@strawberry.enum(description="Where a quotation is; EXPIRED: still open but past its "
                             "validity.")
class QuotationState(Enum):
    DRAFT = "draft"
    SENT = "sent"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    EXPIRED = "expired"

    __labels__ = {"DRAFT": _("Draft"), "SENT": _("Sent"), "ACCEPTED": _("Accepted"),
                  "REJECTED": _("Rejected"), "EXPIRED": _("Expired")}


@strawberry.enum(description="Orders of the quotation and sales order lists.")
class SalesDocumentSort(Enum):
    NEWEST = "newest"
    NUMBER = "number"

    __labels__ = {"NEWEST": _("Newest first"), "NUMBER": _("By number")}


@strawberry.type(description="One product offered.")
class QuotationLine:
    position: int
    description: str
    quantity: Decimal
    unit_price: Decimal = strawberry.field(description="Tax excluded.")
    tax_rate: Decimal
    amount: Decimal
    tax: Decimal
    total: Decimal
    product_id: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await load_products(info).load(self.product_id)  # type: ignore[no-any-return]


@strawberry.type(description="A priced offer to a customer (报价单), valid until a date.")
class Quotation(Node):
    node_permission: ClassVar[str] = READ

    number: str = strawberry.field(description="BJ-YYYYMM-NNNN, unique.")
    state: QuotationState
    quote_date: date
    valid_until: date
    currency: str
    amount_untaxed: Decimal
    amount_tax: Decimal
    amount_total: Decimal
    note: str
    created_at: datetime
    customer_id: strawberry.Private[int]
    warehouse_id: strawberry.Private[int | None]
    order_id: strawberry.Private[int | None]
    created_by_id: strawberry.Private[int | None]

    @strawberry.field
    async def customer(self, info: Info[Any, Any]) -> Partner | None:
        return await load_partners(info).load(self.customer_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Where the goods would ship from, if said.")
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse | None:
        if self.warehouse_id is None:
            return None
        return await load_warehouses(info).load(self.warehouse_id)  # type: ignore[no-any-return]

    @strawberry.field(description="The order it became, once accepted.")
    async def sales_order(self, info: Info[Any, Any]) -> SalesOrder | None:
        if self.order_id is None:
            return None
        return await load_orders(info, SalesOrder).load(  # type: ignore[no-any-return]
            self.order_id)

    @strawberry.field(description="Who made it (username).")
    async def created_by(self, info: Info[Any, Any]) -> str | None:
        return await username_of(info, self.created_by_id)

    @strawberry.field(description="The lines, in order.")
    async def lines(self, info: Info[Any, Any]) -> list[QuotationLine]:
        line = models.QuotationLine
        rows = await _grouped(info, "quotation_lines", lambda ids: select(line).where(
            line.quotation_id.in_(ids)).order_by(line.quotation_id, line.position),
            lambda row: row[0].quotation_id).load(self.pk)
        return [QuotationLine(position=r.position, description=r.description,
                              quantity=r.quantity, unit_price=r.unit_price,
                              tax_rate=r.tax_rate, amount=r.amount, tax=r.tax, total=r.total,
                              product_id=r.product_id) for (r,) in rows]

    @classmethod
    def from_row(cls, row: models.Quotation, today: date) -> Quotation:
        return cls(pk=row.id, number=row.number,
                   state=QuotationState(quotation_state(row, today)), quote_date=row.quote_date,
                   valid_until=row.valid_until, currency=row.currency,
                   amount_untaxed=row.amount_untaxed, amount_tax=row.amount_tax,
                   amount_total=row.amount_total, note=row.note, created_at=row.created_at,
                   customer_id=row.customer_id, warehouse_id=row.warehouse_id,
                   order_id=row.sales_order_id, created_by_id=row.created_by_id)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[Quotation | None]:
        session = get_session(info)
        today = business_today(session)
        rows = session.scalars(quotations_in_scope(
            info, select(models.Quotation).where(models.Quotation.id.in_(pks))))
        return align(pks, [cls.from_row(r, today) for r in rows], key=lambda q: q.pk)


@strawberry.input(description="Narrow the quotation list; all given conditions must hold.")
class QuotationFilter:
    state: QuotationState | None = None
    customer_code: str | None = None
    search: str | None = strawberry.field(default=None, description="Part of the number.")


def quotations(info: Info[Any, Any], filter: QuotationFilter | None = None,
               sort: SalesDocumentSort = SalesDocumentSort.NEWEST, first: int | None = None,
               after: str | None = None, last: int | None = None,
               before: str | None = None) -> Connection[Quotation]:
    row = models.Quotation
    session = get_session(info)
    today = business_today(session)
    stmt = quotations_in_scope(info, select(row))
    if filter is not None:
        if filter.state is QuotationState.EXPIRED:
            stmt = stmt.where(row.state.in_(OPEN), row.valid_until < today)
        elif filter.state in (QuotationState.DRAFT, QuotationState.SENT):
            assert filter.state is not None
            stmt = stmt.where(row.state == filter.state.value, row.valid_until >= today)
        elif filter.state is not None:
            stmt = stmt.where(row.state == filter.state.value)
        if filter.customer_code:
            stmt = stmt.where(row.customer_id == select(PartnerRow.id).where(
                PartnerRow.code == filter.customer_code[:MAX_SEARCH].strip()).scalar_subquery())
        if filter.search:
            stmt = stmt.where(row.number.icontains(filter.search[:MAX_SEARCH].strip(),
                                                   autoescape=True))
    stmt = apply_filter_extensions(info, "QuotationFilter", stmt, filter)
    keys = [row.id.desc()] if sort is SalesDocumentSort.NEWEST else [row.number]
    return paginate(session, stmt, first=first, after=after, last=last, before=before,
                    sort_keys=keys, to_node=lambda r: Quotation.from_row(r, today), info=info)


def quotation(info: Info[Any, Any], number: str) -> Quotation | None:
    session = get_session(info)
    row = session.scalar(quotations_in_scope(info, select(models.Quotation).where(
        models.Quotation.number == number[:MAX_SEARCH].strip())))
    return Quotation.from_row(row, business_today(session)) if row is not None else None


TYPES: list[type] = [QuotationState, SalesDocumentSort, QuotationLine, Quotation,
                     QuotationFilter]
