"""Posting mutations: ``purchaseOrderReceive``, ``purchaseReturnCreate`` and
``purchaseOrderInvoice``.  Each accepts ``idempotencyKey``: a retry with the same key and
input returns the first answer and posts nothing twice (API.md)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.graphql import get_session, mutation
from openjxc.graphql.payloads import run_posting
from openjxc.graphql.scoping import require_scope

from ..invoicing.api_types import Invoice as InvoiceNode
from ..invoicing.models import Invoice
from . import models, services
from .api_documents import PurchaseReceipt, PurchaseRejectedTo, PurchaseReturn
from .api_inputs import Codes, pk, require_order_lines_scope, require_order_scope, user_id
from .api_types import PurchaseError, PurchaseOrder
from .models import REJECT_TO_QUARANTINE


def _get(model: Any) -> Any:
    def decode(session: Session, stored: Any) -> Any:
        return session.get_one(model, int(stored))

    return decode


def _encode(row: Any) -> int | None:
    return row.id if row is not None else None


def _order_of(session: Session, order_id: int | None) -> PurchaseOrder | None:
    row = session.get(models.PurchaseOrder, order_id) if order_id is not None else None
    return PurchaseOrder.from_row(row) if row is not None else None


# -- receiving ------------------------------------------------------------------------------

@strawberry.input(description="What arrived of one order line and what inspection decided.")
class PurchaseOrderReceiveLineInput:
    order_line_id: strawberry.ID
    quantity: Decimal = strawberry.field(description="Arrived: accepted plus rejected.")
    rejected_quantity: Decimal = Decimal(0)
    rejected_to: PurchaseRejectedTo = strawberry.field(
        default=PurchaseRejectedTo.QUARANTINE,
        description="QUARANTINE: into the warehouse's quarantine; SUPPLIER: refused at the "
                    "door (nothing moves).")
    reject_reason: str = strawberry.field(default="", description="Required when rejecting.")
    serials: list[str] = strawberry.field(
        default_factory=list, description="Serial numbers of the accepted units (ranges such "
                                          "as YE3-0001..0010 expand).")
    rejected_serials: list[str] = strawberry.field(
        default_factory=list, description="Serial numbers of the units rejected into "
                                          "quarantine.")
    batch_number: str | None = strawberry.field(
        default=None, description="Required for batch-tracked products; a new number "
                                  "creates the batch.")
    manufactured_on: date | None = None
    expires_on: date | None = None
    location_code: str | None = strawberry.field(
        default=None, description="A bin of the order's warehouse for the accepted goods.")


@strawberry.input
class PurchaseOrderReceiveInput:
    id: strawberry.ID
    lines: list[PurchaseOrderReceiveLineInput]
    receipt_date: date | None = strawberry.field(
        default=None, description="Default: today in the company's time zone.")
    location_code: str | None = strawberry.field(
        default=None, description="Where accepted goods go unless a line says; default: the "
                                  "warehouse's main stock.")
    note: str = ""
    idempotency_key: str | None = None


@strawberry.type
class PurchaseOrderReceivePayload:
    purchase_order: PurchaseOrder | None
    purchase_receipt: PurchaseReceipt | None
    errors: list[PurchaseError]  # type: ignore[valid-type]


def purchase_order_receive(info: Info[Any, Any], input: PurchaseOrderReceiveInput,
                           ) -> PurchaseOrderReceivePayload:
    order_id = pk(input.id, "PurchaseOrder")

    def receive(session: Session) -> models.PurchaseReceipt:
        require_order_scope(info, session, order_id)
        codes = Codes(session, location=[input.location_code,
                                         *(line.location_code for line in input.lines)])
        location_id = codes.get("location", input.location_code, "locationCode")
        lines = [services.ReceiptLineInput(
            order_line_id=pk(line.order_line_id, "PurchaseOrderLine"), quantity=line.quantity,
            rejected_quantity=line.rejected_quantity,
            rejected_to=line.rejected_to.value if line.rejected_to else REJECT_TO_QUARANTINE,
            reject_reason=line.reject_reason, serials=line.serials,
            rejected_serials=line.rejected_serials, batch_number=line.batch_number,
            manufactured_on=line.manufactured_on, expires_on=line.expires_on,
            location_id=codes.get("location", line.location_code,
                                  ("lines", str(i), "locationCode")))
            for i, line in enumerate(input.lines)]
        codes.check()
        return services.receive_purchase_order(session, order_id, lines=lines,
                                               receipt_date=input.receipt_date,
                                               location_id=location_id, note=input.note,
                                               user_id=user_id(info))

    receipt, errors = run_posting(info, receive, PurchaseError, scope="purchaseOrderReceive",
                                  idempotency_key=input.idempotency_key, request=input,
                                  encode=_encode, decode=_get(models.PurchaseReceipt))
    session = get_session(info)
    return PurchaseOrderReceivePayload(
        purchase_order=_order_of(session, receipt.order_id) if receipt else None,
        purchase_receipt=PurchaseReceipt.from_row(receipt) if receipt else None,
        errors=errors)


# -- returns --------------------------------------------------------------------------------

@strawberry.input(description="Goods of one product to send back.")
class PurchaseReturnLineInput:
    quantity: Decimal
    product_code: str | None = strawberry.field(
        default=None, description="Empty: the order line's product.")
    order_line_id: strawberry.ID | None = strawberry.field(
        default=None, description="The order line the goods came in on (limits the "
                                  "quantity to what it received).")
    from_location_code: str | None = strawberry.field(
        default=None, description="Stock, a bin or the quarantine of the warehouse; "
                                  "default: its main stock.")
    batch_number: str | None = None
    serials: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class PurchaseReturnCreateInput:
    lines: list[PurchaseReturnLineInput]
    order_id: strawberry.ID | None = strawberry.field(
        default=None, description="The order the goods came in on; its supplier and "
                                  "warehouse are the return's.")
    supplier_code: str | None = strawberry.field(default=None,
                                                 description="Required without an order.")
    warehouse_code: str | None = strawberry.field(default=None,
                                                  description="Required without an order.")
    reason: str = ""
    return_date: date | None = None
    idempotency_key: str | None = None


@strawberry.type
class PurchaseReturnCreatePayload:
    purchase_return: PurchaseReturn | None
    errors: list[PurchaseError]  # type: ignore[valid-type]


def purchase_return_create(info: Info[Any, Any], input: PurchaseReturnCreateInput,
                           ) -> PurchaseReturnCreatePayload:
    order_id = pk(input.order_id, "PurchaseOrder")

    def create(session: Session) -> models.PurchaseReturn:
        require_order_scope(info, session, order_id)
        require_order_lines_scope(info, session, [pk(line.order_line_id, "PurchaseOrderLine")
                                                  for line in input.lines])
        codes = Codes(session, partner=[input.supplier_code], warehouse=[input.warehouse_code],
                      product=[line.product_code for line in input.lines],
                      location=[line.from_location_code for line in input.lines])
        supplier_id = codes.get("partner", input.supplier_code, "supplierCode")
        warehouse_id = codes.get("warehouse", input.warehouse_code, "warehouseCode")
        lines = [services.PurchaseReturnLineInput(
            quantity=line.quantity,
            product_id=codes.get("product", line.product_code,
                                 ("lines", str(i), "productCode")),
            order_line_id=pk(line.order_line_id, "PurchaseOrderLine"),
            from_location_id=codes.get("location", line.from_location_code,
                                       ("lines", str(i), "fromLocationCode")),
            batch_number=line.batch_number, serials=line.serials)
            for i, line in enumerate(input.lines)]
        codes.check()
        if warehouse_id is not None:
            require_scope(info, "warehouse", warehouse_id)
        return services.create_purchase_return(
            session, lines=lines, order_id=order_id, supplier_id=supplier_id,
            warehouse_id=warehouse_id, reason=input.reason, return_date=input.return_date,
            user_id=user_id(info))

    row, errors = run_posting(info, create, PurchaseError, scope="purchaseReturnCreate",
                              idempotency_key=input.idempotency_key, request=input,
                              encode=_encode, decode=_get(models.PurchaseReturn))
    return PurchaseReturnCreatePayload(
        purchase_return=PurchaseReturn.from_row(row) if row is not None else None,
        errors=errors)


# -- supplier invoices ----------------------------------------------------------------------

@strawberry.input(description="Bill part of one order line.")
class PurchaseOrderInvoiceLineInput:
    order_line_id: strawberry.ID
    quantity: Decimal | None = strawberry.field(
        default=None, description="Empty: all received and not yet invoiced.")


@strawberry.input
class PurchaseOrderInvoiceInput:
    id: strawberry.ID
    lines: list[PurchaseOrderInvoiceLineInput] = strawberry.field(
        default_factory=list, description="Empty: every line with something to bill.")
    external_number: str = strawberry.field(default="",
                                            description="The supplier's invoice number (发票号码).")
    invoice_date: date | None = None
    due_date: date | None = strawberry.field(
        default=None, description="Default: the invoice date plus the supplier's terms.")
    note: str = ""
    idempotency_key: str | None = None


@strawberry.type
class PurchaseOrderInvoicePayload:
    purchase_order: PurchaseOrder | None
    invoice: InvoiceNode | None = strawberry.field(description="The payable invoice posted.")
    errors: list[PurchaseError]  # type: ignore[valid-type]


def purchase_order_invoice(info: Info[Any, Any], input: PurchaseOrderInvoiceInput,
                           ) -> PurchaseOrderInvoicePayload:
    order_id = pk(input.id, "PurchaseOrder")

    def bill(session: Session) -> Invoice:
        require_order_scope(info, session, order_id)
        lines = [services.InvoiceQuantity(
            order_line_id=pk(line.order_line_id, "PurchaseOrderLine"), quantity=line.quantity)
            for line in input.lines]
        return services.invoice_purchase_order(
            session, order_id, lines=lines or None, external_number=input.external_number,
            invoice_date=input.invoice_date, due_date=input.due_date, note=input.note,
            user_id=user_id(info))

    invoice, errors = run_posting(info, bill, PurchaseError, scope="purchaseOrderInvoice",
                                  idempotency_key=input.idempotency_key, request=input,
                                  encode=_encode, decode=_get(Invoice))
    return PurchaseOrderInvoicePayload(
        purchase_order=_order_of(get_session(info), order_id) if invoice is not None else None,
        invoice=InvoiceNode.from_row(invoice) if invoice is not None else None, errors=errors)


def posting_types() -> list[type]:
    return [PurchaseOrderReceiveLineInput, PurchaseOrderReceiveInput,
            PurchaseOrderReceivePayload, PurchaseReturnLineInput, PurchaseReturnCreateInput,
            PurchaseReturnCreatePayload, PurchaseOrderInvoiceLineInput,
            PurchaseOrderInvoiceInput, PurchaseOrderInvoicePayload]


def posting_mutations() -> list[Any]:
    return [
        mutation(purchase_order_receive, permission="purchase.order.receive",
                 name="purchaseOrderReceive",
                 description="Receive goods against an approved order, with inspection: "
                             "accepted to stock, rejected to quarantine or refused."),
        mutation(purchase_return_create, permission="purchase.return.create",
                 name="purchaseReturnCreate",
                 description="Send goods back to a supplier (from stock, a bin or "
                             "quarantine), at cost."),
        mutation(purchase_order_invoice, permission="purchase.invoice.create",
                 name="purchaseOrderInvoice",
                 description="Post the supplier's invoice for what an order received."),
    ]
