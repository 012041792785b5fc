"""The mutations that move an order forward: ``salesOrderConfirm``, ``salesOrderApprove``,
``salesOrderReserve``, ``salesOrderReopen``, ``salesOrderDeliver`` and
``salesOrderInvoice``.

Confirming an order over the customer's credit is not a refusal: the order waits in
``AWAITING_APPROVAL`` and the payload says so with ``creditLimitExceeded`` (its
``errors`` stay empty, as something did change).  Delivering and invoicing accept
``idempotencyKey``: a retry with the same key and input gets the first answer and nothing
happens twice.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.core.errors import FieldError
from openjxc.graphql import mutation
from openjxc.graphql.payloads import run_posting, run_service

from ..invoicing.api_types import Invoice
from ..invoicing.models import Invoice as InvoiceRow
from . import models
from .api_common import SalesError
from .api_inputs import location_id, pk, refuse, require_order_scope, run, scoped, user_id
from .api_types import SalesDelivery, SalesOrder
from .billing import InvoiceQuantityInput, invoice_sales_order
from .confirmation import (
    approve_sales_order,
    confirm_sales_order,
    reopen_sales_order,
    reserve_sales_order,
)
from .delivery import DeliveryLineInput, deliver_sales_order
from .models import AWAITING_APPROVAL


def _order(row: models.SalesOrder) -> SalesOrder:
    return SalesOrder.from_row(row)


@strawberry.input
class SalesOrderConfirmInput:
    id: strawberry.ID


@strawberry.type
class SalesOrderConfirmPayload:
    sales_order: SalesOrder | None
    credit_limit_exceeded: bool = strawberry.field(
        description="True: the order exceeds the customer's credit and waits for a user "
                    "with sales.order.approve (state AWAITING_APPROVAL, nothing reserved).")
    errors: list[SalesError]  # type: ignore[valid-type]


def _confirmed(done: tuple[models.SalesOrder, Any] | None,
               errors: list[Any]) -> SalesOrderConfirmPayload:
    if done is None:
        return SalesOrderConfirmPayload(sales_order=None, credit_limit_exceeded=False,
                                        errors=errors)
    order, _check = done
    return SalesOrderConfirmPayload(sales_order=_order(order),
                                    credit_limit_exceeded=order.state == AWAITING_APPROVAL,
                                    errors=errors)


def sales_order_confirm(info: Info[Any, Any], input: SalesOrderConfirmInput,
                        ) -> SalesOrderConfirmPayload:
    order_id = pk(input.id, "SalesOrder")
    done, errors = run_service(info, run(scoped(info, order_id, lambda s: confirm_sales_order(
        s, order_id, user_id=user_id(info)))), SalesError)
    return _confirmed(done, errors)


def sales_order_reopen(info: Info[Any, Any], input: SalesOrderConfirmInput,
                       ) -> SalesOrderConfirmPayload:
    order_id = pk(input.id, "SalesOrder")
    done, errors = run_service(info, run(scoped(info, order_id, lambda s: reopen_sales_order(
        s, order_id, user_id=user_id(info)))), SalesError)
    return _confirmed(done, errors)


@strawberry.input
class SalesOrderApproveInput:
    id: strawberry.ID
    reason: str = strawberry.field(default="", description="Why the credit limit may be "
                                                           "exceeded (kept for audit).")


@strawberry.type
class SalesOrderMovePayload:
    sales_order: SalesOrder | None
    errors: list[SalesError]  # type: ignore[valid-type]


def sales_order_approve(info: Info[Any, Any], input: SalesOrderApproveInput,
                        ) -> SalesOrderMovePayload:
    order_id = pk(input.id, "SalesOrder")
    order, errors = run_service(info, run(scoped(info, order_id, lambda s: _order(
        approve_sales_order(s, order_id, user_id=user_id(info), reason=input.reason)))),
        SalesError)
    return SalesOrderMovePayload(sales_order=order, errors=errors)


def sales_order_reserve(info: Info[Any, Any], input: SalesOrderConfirmInput,
                        ) -> SalesOrderMovePayload:
    order_id = pk(input.id, "SalesOrder")
    order, errors = run_service(info, run(scoped(info, order_id, lambda s: _order(
        reserve_sales_order(s, order_id)))), SalesError)
    return SalesOrderMovePayload(sales_order=order, errors=errors)


@strawberry.input(description="What to deliver of one order line.")
class SalesOrderDeliverLineInput:
    order_line_id: strawberry.ID
    quantity: Decimal | None = strawberry.field(
        default=None, description="Empty: the serials given, else all that is left.")
    serials: list[str] = strawberry.field(
        default_factory=list, description="The units delivered; ranges such as "
                                          "YE3-0001..0010 expand.  Empty: picked for you.")
    batch_number: str | None = strawberry.field(
        default=None, description="Empty: picked earliest expiry first (FEFO).")
    location_code: str | None = strawberry.field(
        default=None, description="A bin of the order's warehouse; empty: picked.")


@strawberry.input
class SalesOrderDeliverInput:
    id: strawberry.ID
    lines: list[SalesOrderDeliverLineInput] | None = strawberry.field(
        default=None, description="Empty: everything left on the order.")
    delivery_date: date | None = strawberry.field(default=None, description="Empty: today.")
    address_id: strawberry.ID | None = strawberry.field(
        default=None, description="Empty: the order's delivery address.")
    note: str = ""
    idempotency_key: str | None = None


@strawberry.type
class SalesOrderDeliverPayload:
    sales_delivery: SalesDelivery | None
    sales_order: SalesOrder | None
    errors: list[SalesError]  # type: ignore[valid-type]


def _delivery_id(delivery: models.SalesDelivery | None) -> int | None:
    return delivery.id if delivery is not None else None


def _invoice_id(invoice: InvoiceRow | None) -> int | None:
    return invoice.id if invoice is not None else None


def sales_order_deliver(info: Info[Any, Any], input: SalesOrderDeliverInput,
                        ) -> SalesOrderDeliverPayload:
    order_id = pk(input.id, "SalesOrder")

    def action(session: Session) -> models.SalesDelivery:
        require_order_scope(info, session, order_id)
        errors: list[FieldError] = []
        lines = None
        if input.lines:
            lines = [DeliveryLineInput(
                order_line_id=pk(line.order_line_id, "SalesOrderLine"), quantity=line.quantity,
                serials=line.serials, batch_number=line.batch_number,
                location_id=(location_id(session, errors, line.location_code,
                                         ("lines", str(i), "locationCode"))
                             if line.location_code else None))
                for i, line in enumerate(input.lines)]
        address = pk(input.address_id, "PartnerAddress") or 0 if input.address_id else None
        refuse(errors)
        return deliver_sales_order(session, order_id, lines=lines,
                                   delivery_date=input.delivery_date, address_id=address,
                                   note=input.note, user_id=user_id(info))

    delivery, errors = run_posting(
        info, run(action), SalesError, scope="salesOrderDeliver",
        idempotency_key=input.idempotency_key, request=input,
        encode=_delivery_id, decode=lambda s, i: s.get_one(models.SalesDelivery, i))
    if delivery is None:
        return SalesOrderDeliverPayload(sales_delivery=None, sales_order=None, errors=errors)
    return SalesOrderDeliverPayload(
        sales_delivery=SalesDelivery.from_row(delivery),
        sales_order=SalesOrder.get_nodes(info, [delivery.order_id])[0], errors=errors)


@strawberry.input
class SalesOrderInvoiceLineInput:
    order_line_id: strawberry.ID
    quantity: Decimal | None = strawberry.field(
        default=None, description="Empty: all delivered and not yet invoiced.")


@strawberry.input
class SalesOrderInvoiceInput:
    id: strawberry.ID
    lines: list[SalesOrderInvoiceLineInput] | None = strawberry.field(
        default=None, description="Empty: everything delivered and not yet invoiced.")
    invoice_date: date | None = strawberry.field(default=None, description="Empty: today.")
    due_date: date | None = strawberry.field(
        default=None, description="Empty: by the customer's payment terms.")
    external_number: str = strawberry.field(default="", description="发票号码, if known.")
    note: str = ""
    idempotency_key: str | None = None


@strawberry.type
class SalesOrderInvoicePayload:
    invoice: Invoice | None
    sales_order: SalesOrder | None
    errors: list[SalesError]  # type: ignore[valid-type]


def sales_order_invoice(info: Info[Any, Any], input: SalesOrderInvoiceInput,
                        ) -> SalesOrderInvoicePayload:
    order_id = pk(input.id, "SalesOrder")
    lines = None
    if input.lines:
        lines = [InvoiceQuantityInput(order_line_id=pk(line.order_line_id, "SalesOrderLine"),
                                      quantity=line.quantity) for line in input.lines]
    invoice, errors = run_posting(
        info, run(scoped(info, order_id, lambda s: invoice_sales_order(
            s, order_id, lines=lines, invoice_date=input.invoice_date, due_date=input.due_date,
            external_number=input.external_number, note=input.note,
            user_id=user_id(info)))),
        SalesError, scope="salesOrderInvoice", idempotency_key=input.idempotency_key,
        request=input, encode=_invoice_id, decode=lambda s, i: s.get_one(InvoiceRow, i))
    if invoice is None:
        return SalesOrderInvoicePayload(invoice=None, sales_order=None, errors=errors)
    assert order_id is not None
    return SalesOrderInvoicePayload(invoice=Invoice.from_row(invoice),
                                    sales_order=SalesOrder.get_nodes(info, [order_id])[0],
                                    errors=errors)


def types() -> list[type]:
    return [SalesOrderConfirmInput, SalesOrderConfirmPayload, SalesOrderApproveInput,
            SalesOrderMovePayload, SalesOrderDeliverLineInput, SalesOrderDeliverInput,
            SalesOrderDeliverPayload, SalesOrderInvoiceLineInput, SalesOrderInvoiceInput,
            SalesOrderInvoicePayload]


def mutations() -> list[Any]:
    return [
        mutation(sales_order_confirm, permission="sales.order.confirm",
                 name="salesOrderConfirm",
                 description="Confirm a draft: credit check, then stock reserved (what is "
                             "missing stays a backorder).  Over the credit limit the order "
                             "waits for an approval."),
        mutation(sales_order_approve, permission="sales.order.approve",
                 name="salesOrderApprove",
                 description="Let an order waiting for a credit approval through (audited)."),
        mutation(sales_order_reserve, permission="sales.order.confirm",
                 name="salesOrderReserve",
                 description="Reserve the backorders of an open order again."),
        mutation(sales_order_reopen, permission="sales.order.confirm",
                 name="salesOrderReopen",
                 description="Reopen a closed order to deliver the rest (checked again)."),
        mutation(sales_order_deliver, permission="sales.order.deliver",
                 name="salesOrderDeliver",
                 description="Deliver (part of) a confirmed order: by serial, batch or bin, "
                             "or picked earliest expiry first."),
        mutation(sales_order_invoice, permission="sales.invoice.create",
                 name="salesOrderInvoice",
                 description="Invoice what the order delivered and was not invoiced yet."),
    ]
