"""Requisition and order mutations: ``purchaseRequisitionCreate``, ``…Approve``,
``…Reject``, ``…Cancel``; ``purchaseOrderCreate``, ``purchaseOrderApprove``,
``purchaseOrderCancel`` and ``purchaseOrderClose``.  Posting mutations (receive, return,
invoice) are in :mod:`.mutations_posting`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.graphql import mutation
from openjxc.graphql.payloads import run_service
from openjxc.graphql.scoping import require_scope

from . import models, requisitions, services
from .api_documents import PurchaseRequisition
from .api_inputs import Codes, pk, require_document_scope, require_order_scope, user_id
from .api_types import PurchaseError, PurchaseOrder


def _order(row: models.PurchaseOrder | None) -> PurchaseOrder | None:
    return PurchaseOrder.from_row(row) if row is not None else None


def _requisition(row: models.PurchaseRequisition | None) -> PurchaseRequisition | None:
    return PurchaseRequisition.from_row(row) if row is not None else None


# -- requisitions ---------------------------------------------------------------------------

@strawberry.input(description="One product to ask for.")
class PurchaseRequisitionLineInput:
    product_code: str
    quantity: Decimal
    suggested_supplier_code: str | None = None
    note: str = ""


@strawberry.input
class PurchaseRequisitionCreateInput:
    warehouse_code: str
    lines: list[PurchaseRequisitionLineInput]
    department: str = ""
    needed_by: date | None = None
    note: str = ""


@strawberry.type
class PurchaseRequisitionCreatePayload:
    purchase_requisition: PurchaseRequisition | None
    errors: list[PurchaseError]  # type: ignore[valid-type]


def purchase_requisition_create(info: Info[Any, Any], input: PurchaseRequisitionCreateInput,
                                ) -> PurchaseRequisitionCreatePayload:
    def create(session: Session) -> models.PurchaseRequisition:
        codes = Codes(session, warehouse=[input.warehouse_code],
                      product=[line.product_code for line in input.lines],
                      partner=[line.suggested_supplier_code for line in input.lines])
        warehouse_id = codes.get("warehouse", input.warehouse_code, "warehouseCode")
        lines = [requisitions.RequisitionLineInput(
            product_id=codes.get("product", line.product_code,
                                 ("lines", str(i), "productCode")),
            quantity=line.quantity,
            suggested_supplier_id=codes.get("partner", line.suggested_supplier_code,
                                            ("lines", str(i), "suggestedSupplierCode")),
            note=line.note) for i, line in enumerate(input.lines)]
        codes.check()
        if warehouse_id is not None:
            require_scope(info, "warehouse", warehouse_id)
        return services.create_requisition(session, warehouse_id=warehouse_id, lines=lines,
                                           department=input.department,
                                           needed_by=input.needed_by, note=input.note,
                                           user_id=user_id(info))

    row, errors = run_service(info, create, PurchaseError)
    return PurchaseRequisitionCreatePayload(purchase_requisition=_requisition(row),
                                            errors=errors)


@strawberry.input
class PurchaseRequisitionApproveInput:
    id: strawberry.ID


@strawberry.type
class PurchaseRequisitionApprovePayload:
    purchase_requisition: PurchaseRequisition | None
    errors: list[PurchaseError]  # type: ignore[valid-type]


@strawberry.input
class PurchaseRequisitionRejectInput:
    id: strawberry.ID
    reason: str = ""


@strawberry.type
class PurchaseRequisitionRejectPayload:
    purchase_requisition: PurchaseRequisition | None
    errors: list[PurchaseError]  # type: ignore[valid-type]


@strawberry.input
class PurchaseRequisitionCancelInput:
    id: strawberry.ID


@strawberry.type
class PurchaseRequisitionCancelPayload:
    purchase_requisition: PurchaseRequisition | None
    errors: list[PurchaseError]  # type: ignore[valid-type]


def _decide(info: Info[Any, Any], global_id: str,
            decide: Callable[[Session, int | None], models.PurchaseRequisition],
            ) -> tuple[PurchaseRequisition | None, list[Any]]:
    requisition_id = pk(global_id, "PurchaseRequisition")

    def action(session: Session) -> models.PurchaseRequisition:
        require_document_scope(info, session, models.PurchaseRequisition, requisition_id)
        return decide(session, requisition_id)

    row, errors = run_service(info, action, PurchaseError)
    return _requisition(row), errors


def purchase_requisition_approve(info: Info[Any, Any], input: PurchaseRequisitionApproveInput,
                                 ) -> PurchaseRequisitionApprovePayload:
    requisition, errors = _decide(info, input.id, lambda s, i: services.approve_requisition(
        s, i, user_id=user_id(info)))
    return PurchaseRequisitionApprovePayload(purchase_requisition=requisition, errors=errors)


def purchase_requisition_reject(info: Info[Any, Any], input: PurchaseRequisitionRejectInput,
                                ) -> PurchaseRequisitionRejectPayload:
    requisition, errors = _decide(info, input.id, lambda s, i: services.reject_requisition(
        s, i, user_id=user_id(info), reason=input.reason))
    return PurchaseRequisitionRejectPayload(purchase_requisition=requisition, errors=errors)


def purchase_requisition_cancel(info: Info[Any, Any], input: PurchaseRequisitionCancelInput,
                                ) -> PurchaseRequisitionCancelPayload:
    requisition, errors = _decide(info, input.id, lambda s, i: services.cancel_requisition(
        s, i, user_id=user_id(info)))
    return PurchaseRequisitionCancelPayload(purchase_requisition=requisition, errors=errors)


# -- orders ---------------------------------------------------------------------------------

@strawberry.input(description="One product to buy; with a requisition line, the product and "
                              "quantity default to the requisition's.")
class PurchaseOrderLineInput:
    product_code: str | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = strawberry.field(
        default=None, description="Tax-exclusive; empty: the last price paid to this "
                                  "supplier, else the product's standard price.")
    tax_rate: Decimal | None = strawberry.field(
        default=None, description="Empty: the product's (0.13).")
    expected_date: date | None = None
    requisition_line_id: strawberry.ID | None = strawberry.field(
        default=None, description="The approved requisition line this line buys.")


@strawberry.input
class PurchaseOrderCreateInput:
    supplier_code: str
    warehouse_code: str
    lines: list[PurchaseOrderLineInput]
    expected_date: date | None = None
    note: str = ""


@strawberry.type
class PurchaseOrderCreatePayload:
    purchase_order: PurchaseOrder | None
    errors: list[PurchaseError]  # type: ignore[valid-type]


def purchase_order_create(info: Info[Any, Any], input: PurchaseOrderCreateInput,
                          ) -> PurchaseOrderCreatePayload:
    def create(session: Session) -> models.PurchaseOrder:
        codes = Codes(session, partner=[input.supplier_code],
                      warehouse=[input.warehouse_code],
                      product=[line.product_code for line in input.lines])
        supplier_id = codes.get("partner", input.supplier_code, "supplierCode")
        warehouse_id = codes.get("warehouse", input.warehouse_code, "warehouseCode")
        lines = [services.PurchaseLineInput(
            product_id=codes.get("product", line.product_code,
                                 ("lines", str(i), "productCode")),
            quantity=line.quantity, unit_price=line.unit_price, tax_rate=line.tax_rate,
            expected_date=line.expected_date,
            requisition_line_id=pk(line.requisition_line_id, "PurchaseRequisitionLine"))
            for i, line in enumerate(input.lines)]
        codes.check()
        if warehouse_id is not None:
            require_scope(info, "warehouse", warehouse_id)
        return services.create_purchase_order(session, supplier_id=supplier_id,
                                              warehouse_id=warehouse_id, lines=lines,
                                              expected_date=input.expected_date,
                                              note=input.note, user_id=user_id(info))

    row, errors = run_service(info, create, PurchaseError)
    return PurchaseOrderCreatePayload(purchase_order=_order(row), errors=errors)


@strawberry.input
class PurchaseOrderApproveInput:
    id: strawberry.ID
    note: str = ""


@strawberry.type
class PurchaseOrderApprovePayload:
    purchase_order: PurchaseOrder | None
    errors: list[PurchaseError]  # type: ignore[valid-type]


def purchase_order_approve(info: Info[Any, Any], input: PurchaseOrderApproveInput,
                           ) -> PurchaseOrderApprovePayload:
    order_id = pk(input.id, "PurchaseOrder")

    def approve(session: Session) -> models.PurchaseOrder:
        require_order_scope(info, session, order_id)
        return services.approve_purchase_order(session, order_id, user_id=user_id(info),
                                               note=input.note)

    row, errors = run_service(info, approve, PurchaseError)
    return PurchaseOrderApprovePayload(purchase_order=_order(row), errors=errors)


@strawberry.input
class PurchaseOrderCancelInput:
    id: strawberry.ID
    reason: str = ""


@strawberry.type
class PurchaseOrderCancelPayload:
    purchase_order: PurchaseOrder | None
    errors: list[PurchaseError]  # type: ignore[valid-type]


def purchase_order_cancel(info: Info[Any, Any], input: PurchaseOrderCancelInput,
                          ) -> PurchaseOrderCancelPayload:
    order_id = pk(input.id, "PurchaseOrder")

    def cancel(session: Session) -> models.PurchaseOrder:
        require_order_scope(info, session, order_id)
        return services.cancel_purchase_order(session, order_id, reason=input.reason,
                                              user_id=user_id(info))

    row, errors = run_service(info, cancel, PurchaseError)
    return PurchaseOrderCancelPayload(purchase_order=_order(row), errors=errors)


@strawberry.input
class PurchaseOrderCloseInput:
    id: strawberry.ID


@strawberry.type
class PurchaseOrderClosePayload:
    purchase_order: PurchaseOrder | None
    errors: list[PurchaseError]  # type: ignore[valid-type]


def purchase_order_close(info: Info[Any, Any], input: PurchaseOrderCloseInput,
                         ) -> PurchaseOrderClosePayload:
    order_id = pk(input.id, "PurchaseOrder")

    def close(session: Session) -> models.PurchaseOrder:
        require_order_scope(info, session, order_id)
        return services.close_purchase_order(session, order_id, user_id=user_id(info))

    row, errors = run_service(info, close, PurchaseError)
    return PurchaseOrderClosePayload(purchase_order=_order(row), errors=errors)


def types() -> list[type]:
    return [PurchaseRequisitionLineInput, PurchaseRequisitionCreateInput,
            PurchaseRequisitionCreatePayload, PurchaseRequisitionApproveInput,
            PurchaseRequisitionApprovePayload, PurchaseRequisitionRejectInput,
            PurchaseRequisitionRejectPayload, PurchaseRequisitionCancelInput,
            PurchaseRequisitionCancelPayload, PurchaseOrderLineInput, PurchaseOrderCreateInput,
            PurchaseOrderCreatePayload, PurchaseOrderApproveInput, PurchaseOrderApprovePayload,
            PurchaseOrderCancelInput, PurchaseOrderCancelPayload, PurchaseOrderCloseInput,
            PurchaseOrderClosePayload]


def mutations() -> list[Any]:
    return [
        mutation(purchase_requisition_create, permission="purchase.requisition.create",
                 name="purchaseRequisitionCreate", description="Ask to buy (a requisition)."),
        mutation(purchase_requisition_approve, permission="purchase.requisition.approve",
                 name="purchaseRequisitionApprove",
                 description="Approve a submitted requisition: its lines may be ordered."),
        mutation(purchase_requisition_reject, permission="purchase.requisition.approve",
                 name="purchaseRequisitionReject", description="Reject a submitted "
                                                               "requisition."),
        mutation(purchase_requisition_cancel, permission="purchase.requisition.create",
                 name="purchaseRequisitionCancel",
                 description="Withdraw a requisition nothing was ordered for."),
        mutation(purchase_order_create, permission="purchase.order.create",
                 name="purchaseOrderCreate",
                 description="Prepare a purchase order (a draft, priced line by line)."),
        mutation(purchase_order_approve, permission="purchase.order.approve",
                 name="purchaseOrderApprove",
                 description="Give one approval; the last one required approves the order "
                             "(above the threshold, by different users)."),
        mutation(purchase_order_cancel, permission="purchase.order.cancel",
                 name="purchaseOrderCancel",
                 description="Cancel an order nothing was received on."),
        mutation(purchase_order_close, permission="purchase.order.close",
                 name="purchaseOrderClose",
                 description="Close an order: no more goods will arrive on it."),
    ]
