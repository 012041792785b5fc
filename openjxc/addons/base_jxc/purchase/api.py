"""Purchase through GraphQL: ``purchaseOrders``, ``purchaseOrder``, ``purchaseRequisitions``,
``purchaseReceipts`` and ``purchaseReturns``.

A page of orders with their lines, supplier, warehouse and products costs a fixed number
of statements (per-request DataLoaders, :mod:`.api_loaders`).  A user limited to some
warehouses sees only their documents.  The mutations live in :mod:`.mutations` and
:mod:`.mutations_posting`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry
from sqlalchemy import exists, func, select
from strawberry.types import Info

from openjxc.graphql import (
    Connection,
    Contribution,
    apply_filter_extensions,
    field,
    get_session,
    paginate,
)

from ..catalog.models import Product as ProductRow
from ..partners.models import Partner as PartnerRow
from ..stock.models import Warehouse as WarehouseRow
from . import models
from .api_documents import (
    PurchaseReceipt,
    PurchaseReceiptLine,
    PurchaseRejectedTo,
    PurchaseRequisition,
    PurchaseRequisitionLine,
    PurchaseRequisitionState,
    PurchaseReturn,
    PurchaseReturnLine,
)
from .api_loaders import in_scope
from .api_types import (
    PurchaseApproval,
    PurchaseError,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderSort,
    PurchaseOrderState,
)

MAX_SEARCH = 64
#: Orders without an expected date sort after every dated one.
NO_DATE = date(9999, 12, 31)


def _id_of(model: Any, code: str) -> Any:
    return select(model.id).where(model.code == code.strip()[:MAX_SEARCH]).scalar_subquery()


@strawberry.input(description="Narrow the purchase order list; all given conditions must hold.")
class PurchaseOrderFilter:
    state: PurchaseOrderState | None = None
    states: list[PurchaseOrderState] | None = strawberry.field(
        default=None, description="Any of these states.")
    supplier_code: str | None = None
    warehouse_code: str | None = None
    product_code: str | None = strawberry.field(
        default=None, description="Orders with a line for this product.")
    search: str | None = strawberry.field(default=None, description="Part of the number.")
    ordered_from: date | None = None
    ordered_to: date | None = None


def purchase_orders(info: Info[Any, Any], filter: PurchaseOrderFilter | None = None,
                    sort: PurchaseOrderSort = PurchaseOrderSort.NEWEST,
                    first: int | None = None, after: str | None = None,
                    last: int | None = None, before: str | None = None,
                    ) -> Connection[PurchaseOrder]:
    row = models.PurchaseOrder
    stmt = in_scope(info, select(row), row)
    if filter is not None:
        if filter.state is not None:
            stmt = stmt.where(row.state == filter.state.value)
        if filter.states:
            stmt = stmt.where(row.state.in_([s.value for s in filter.states]))
        if filter.supplier_code:
            stmt = stmt.where(row.supplier_id == _id_of(PartnerRow, filter.supplier_code))
        if filter.warehouse_code:
            stmt = stmt.where(row.warehouse_id == _id_of(WarehouseRow, filter.warehouse_code))
        if filter.product_code:
            line = models.PurchaseOrderLine
            stmt = stmt.where(exists().where(
                line.order_id == row.id,
                line.product_id == _id_of(ProductRow, filter.product_code)))
        if filter.search:
            stmt = stmt.where(row.number.icontains(filter.search[:MAX_SEARCH].strip(),
                                                   autoescape=True))
        if filter.ordered_from is not None:
            stmt = stmt.where(row.order_date >= filter.ordered_from)
        if filter.ordered_to is not None:
            stmt = stmt.where(row.order_date <= filter.ordered_to)
    stmt = apply_filter_extensions(info, "PurchaseOrderFilter", stmt, filter)
    orderings: dict[PurchaseOrderSort, list[Any]] = {
        PurchaseOrderSort.NEWEST: [row.id.desc()],
        PurchaseOrderSort.NUMBER: [row.number],
        PurchaseOrderSort.EXPECTED_DATE: [func.coalesce(row.expected_date, NO_DATE)],
    }
    keys = orderings[sort]
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=keys, to_node=PurchaseOrder.from_row, info=info)


def purchase_order(info: Info[Any, Any], number: str) -> PurchaseOrder | None:
    row = models.PurchaseOrder
    stmt = in_scope(info, select(row).where(row.number == number.strip()[:MAX_SEARCH]), row)
    found = get_session(info).scalar(stmt)
    return PurchaseOrder.from_row(found) if found is not None else None


@strawberry.input(description="Narrow the requisition list; all given conditions must hold.")
class PurchaseRequisitionFilter:
    state: PurchaseRequisitionState | None = None
    warehouse_code: str | None = None
    search: str | None = strawberry.field(default=None,
                                          description="Part of the number or department.")


def purchase_requisitions(info: Info[Any, Any], filter: PurchaseRequisitionFilter | None = None,
                          first: int | None = None, after: str | None = None,
                          last: int | None = None, before: str | None = None,
                          ) -> Connection[PurchaseRequisition]:
    row = models.PurchaseRequisition
    stmt = in_scope(info, select(row), row)
    if filter is not None:
        if filter.state is not None:
            stmt = stmt.where(row.state == filter.state.value)
        if filter.warehouse_code:
            stmt = stmt.where(row.warehouse_id == _id_of(WarehouseRow, filter.warehouse_code))
        if filter.search:
            text = filter.search[:MAX_SEARCH].strip()
            stmt = stmt.where(row.number.icontains(text, autoescape=True)
                              | row.department.icontains(text, autoescape=True))
    stmt = apply_filter_extensions(info, "PurchaseRequisitionFilter", stmt, filter)
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=[row.id.desc()],
                    to_node=PurchaseRequisition.from_row, info=info)


@strawberry.input(description="Narrow the receipt list; all given conditions must hold.")
class PurchaseReceiptFilter:
    order_number: str | None = None
    warehouse_code: str | None = None
    received_from: date | None = None
    received_to: date | None = None


def purchase_receipts(info: Info[Any, Any], filter: PurchaseReceiptFilter | None = None,
                      first: int | None = None, after: str | None = None,
                      last: int | None = None, before: str | None = None,
                      ) -> Connection[PurchaseReceipt]:
    row = models.PurchaseReceipt
    stmt = in_scope(info, select(row), row)
    if filter is not None:
        if filter.order_number:
            stmt = stmt.where(row.order_id == select(models.PurchaseOrder.id).where(
                models.PurchaseOrder.number == filter.order_number.strip()[:MAX_SEARCH])
                .scalar_subquery())
        if filter.warehouse_code:
            stmt = stmt.where(row.warehouse_id == _id_of(WarehouseRow, filter.warehouse_code))
        if filter.received_from is not None:
            stmt = stmt.where(row.receipt_date >= filter.received_from)
        if filter.received_to is not None:
            stmt = stmt.where(row.receipt_date <= filter.received_to)
    stmt = apply_filter_extensions(info, "PurchaseReceiptFilter", stmt, filter)
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=[row.id.desc()], to_node=PurchaseReceipt.from_row,
                    info=info)


@strawberry.input(description="Narrow the purchase return list; all given conditions must "
                              "hold.")
class PurchaseReturnFilter:
    supplier_code: str | None = None
    warehouse_code: str | None = None
    search: str | None = strawberry.field(default=None, description="Part of the number.")


def purchase_returns(info: Info[Any, Any], filter: PurchaseReturnFilter | None = None,
                     first: int | None = None, after: str | None = None,
                     last: int | None = None, before: str | None = None,
                     ) -> Connection[PurchaseReturn]:
    row = models.PurchaseReturn
    stmt = in_scope(info, select(row), row)
    if filter is not None:
        if filter.supplier_code:
            stmt = stmt.where(row.supplier_id == _id_of(PartnerRow, filter.supplier_code))
        if filter.warehouse_code:
            stmt = stmt.where(row.warehouse_id == _id_of(WarehouseRow, filter.warehouse_code))
        if filter.search:
            stmt = stmt.where(row.number.icontains(filter.search[:MAX_SEARCH].strip(),
                                                   autoescape=True))
    stmt = apply_filter_extensions(info, "PurchaseReturnFilter", stmt, filter)
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=[row.id.desc()], to_node=PurchaseReturn.from_row,
                    info=info)


def contribution() -> Contribution:
    from .mutations import mutations, types
    from .mutations_posting import posting_mutations, posting_types

    return Contribution(
        types=[PurchaseOrder, PurchaseOrderLine, PurchaseApproval, PurchaseOrderState,
               PurchaseOrderSort, PurchaseOrderFilter, PurchaseRequisition,
               PurchaseRequisitionLine, PurchaseRequisitionState, PurchaseRequisitionFilter,
               PurchaseReceipt, PurchaseReceiptLine, PurchaseRejectedTo,
               PurchaseReceiptFilter, PurchaseReturn, PurchaseReturnLine,
               PurchaseReturnFilter, PurchaseError, *types(), *posting_types()],
        queries=[
            field(purchase_orders, permission="purchase.order.read", name="purchaseOrders",
                  description="Purchase orders, filtered and sorted."),
            field(purchase_order, permission="purchase.order.read", name="purchaseOrder",
                  description="One purchase order by its number."),
            field(purchase_requisitions, permission="purchase.requisition.read",
                  name="purchaseRequisitions",
                  description="Purchase requisitions, newest first."),
            field(purchase_receipts, permission="purchase.order.read",
                  name="purchaseReceipts", description="Receipts against purchase orders, "
                                                       "newest first."),
            field(purchase_returns, permission="purchase.return.read",
                  name="purchaseReturns", description="Goods sent back to suppliers, "
                                                      "newest first."),
        ],
        mutations=[*mutations(), *posting_mutations()],
    )
