"""The document mutations of sales: quotations (``quotationCreate``, ``quotationSend``,
``quotationReject``, ``quotationConvert``) and orders (``salesOrderCreate``,
``salesOrderUpdate``, ``salesOrderCopy``, ``salesOrderCancel``, ``salesOrderClose``).
Confirming, approving, delivering and invoicing are in :mod:`.mutations_posting`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import strawberry
from sqlalchemy.orm import Session
from strawberry.types import Info
from strawberry.types.unset import UNSET

from openjxc.core.errors import FieldError
from openjxc.core.i18n import _
from openjxc.graphql import mutation
from openjxc.graphql.payloads import run_service
from openjxc.graphql.scoping import require_scope

from ..stock.posting import business_today
from . import models
from .api_common import SalesError
from .api_inputs import (
    SalesLineInput,
    customer_id,
    pk,
    refuse,
    require_quotation_scope,
    run,
    scoped,
    service_lines,
    user_id,
    warehouse_id,
)
from .api_quotations import Quotation
from .api_types import SalesOrder
from .confirmation import cancel_sales_order, close_sales_order
from .orders import copy_sales_order, create_sales_order, update_sales_order
from .quotations import convert_quotation, create_quotation, reject_quotation, send_quotation


def _order(row: models.SalesOrder | None) -> SalesOrder | None:
    return SalesOrder.from_row(row) if row is not None else None


def _quotation(session: Session, row: models.Quotation | None) -> Quotation | None:
    return Quotation.from_row(row, business_today(session)) if row is not None else None


# -- quotations ---------------------------------------------------------------------------

@strawberry.input
class QuotationCreateInput:
    customer_code: str
    lines: list[SalesLineInput]
    warehouse_code: str | None = strawberry.field(
        default=None, description="Where the goods would ship from (optional).")
    quote_date: date | None = strawberry.field(default=None, description="Empty: today.")
    valid_until: date | None = strawberry.field(
        default=None, description="Empty: the quote date + the policy "
                                  "sales.quotation_valid_days.")
    note: str = ""


@strawberry.type
class QuotationCreatePayload:
    quotation: Quotation | None
    errors: list[SalesError]  # type: ignore[valid-type]


def quotation_create(info: Info[Any, Any], input: QuotationCreateInput) -> QuotationCreatePayload:
    def action(session: Session) -> Quotation | None:
        errors: list[FieldError] = []
        customer = customer_id(session, errors, input.customer_code)
        warehouse = (warehouse_id(session, errors, input.warehouse_code)
                     if input.warehouse_code else None)
        lines = service_lines(session, errors, input.lines)
        refuse(errors)
        if warehouse is not None:
            require_scope(info, "warehouse", warehouse)
        return _quotation(session, create_quotation(
            session, customer_id=customer, warehouse_id=warehouse, lines=lines,
            quote_date=input.quote_date, valid_until=input.valid_until, note=input.note,
            user_id=user_id(info)))

    quotation, errors = run_service(info, run(action), SalesError)
    return QuotationCreatePayload(quotation=quotation, errors=errors)


@strawberry.input
class QuotationInput:
    id: strawberry.ID


@strawberry.type
class QuotationPayload:
    quotation: Quotation | None
    errors: list[SalesError]  # type: ignore[valid-type]


def _decide(info: Info[Any, Any], input: QuotationInput,
            decide: Callable[[Session, int | None], models.Quotation]) -> QuotationPayload:
    quotation_id = pk(input.id, "Quotation")

    def action(session: Session) -> Quotation | None:
        require_quotation_scope(info, session, quotation_id)
        return _quotation(session, decide(session, quotation_id))

    quotation, errors = run_service(info, run(action), SalesError)
    return QuotationPayload(quotation=quotation, errors=errors)


def quotation_send(info: Info[Any, Any], input: QuotationInput) -> QuotationPayload:
    return _decide(info, input, send_quotation)


def quotation_reject(info: Info[Any, Any], input: QuotationInput) -> QuotationPayload:
    return _decide(info, input, reject_quotation)


@strawberry.input
class QuotationConvertInput:
    id: strawberry.ID
    warehouse_code: str | None = strawberry.field(
        default=None, description="Empty: the quotation's warehouse.")
    promised_date: date | None = None
    customer_reference: str = ""


@strawberry.type
class QuotationConvertPayload:
    quotation: Quotation | None
    sales_order: SalesOrder | None
    errors: list[SalesError]  # type: ignore[valid-type]


def _convert(info: Info[Any, Any], session: Session, quotation_id: int | None,
             warehouse_code: str | None, promised_date: date | None,
             reference: str) -> models.SalesOrder:
    require_quotation_scope(info, session, quotation_id)
    errors: list[FieldError] = []
    warehouse = warehouse_id(session, errors, warehouse_code) if warehouse_code else None
    refuse(errors)
    if warehouse is not None:
        require_scope(info, "warehouse", warehouse)
    order = convert_quotation(session, quotation_id, warehouse_id=warehouse,
                              promised_date=promised_date, customer_reference=reference,
                              user_id=user_id(info))
    # The order's warehouse (the quotation's when none was given): in scope, else undone.
    require_scope(info, "warehouse", order.warehouse_id)
    return order


def quotation_convert(info: Info[Any, Any], input: QuotationConvertInput,
                      ) -> QuotationConvertPayload:
    def action(session: Session) -> tuple[Quotation | None, SalesOrder | None]:
        quotation_id = pk(input.id, "Quotation")
        order = _convert(info, session, quotation_id, input.warehouse_code,
                         input.promised_date, input.customer_reference)
        return (_quotation(session, session.get(models.Quotation, quotation_id)),
                _order(order))

    done, errors = run_service(info, run(action), SalesError)
    quotation, order = done if done is not None else (None, None)
    return QuotationConvertPayload(quotation=quotation, sales_order=order, errors=errors)


# -- orders -------------------------------------------------------------------------------

@strawberry.input(description="A new sales order, or one made from a quotation "
                              "(quotationId: its customer and lines are taken).")
class SalesOrderCreateInput:
    customer_code: str | None = None
    warehouse_code: str | None = None
    lines: list[SalesLineInput] = strawberry.field(default_factory=list)
    quotation_id: strawberry.ID | None = None
    order_date: date | None = strawberry.field(default=None, description="Empty: today.")
    promised_date: date | None = None
    delivery_address_id: strawberry.ID | None = strawberry.field(
        default=None, description="A PartnerAddress of the customer.")
    customer_reference: str = strawberry.field(default="", description="合同号.")
    note: str = ""


@strawberry.type
class SalesOrderPayload:
    sales_order: SalesOrder | None
    errors: list[SalesError]  # type: ignore[valid-type]


def sales_order_create(info: Info[Any, Any], input: SalesOrderCreateInput) -> SalesOrderPayload:
    def action(session: Session) -> SalesOrder | None:
        if input.quotation_id is not None:
            if input.lines:
                refuse([FieldError("INVALID", _("An order from a quotation takes the "
                                                 "quotation's lines"), field="lines")])
            return _order(_convert(info, session, pk(input.quotation_id, "Quotation"),
                                   input.warehouse_code, input.promised_date,
                                   input.customer_reference))
        errors: list[FieldError] = []
        customer = customer_id(session, errors, input.customer_code)
        warehouse = warehouse_id(session, errors, input.warehouse_code)
        lines = service_lines(session, errors, input.lines)
        address = None
        if input.delivery_address_id is not None:
            address = pk(input.delivery_address_id, "PartnerAddress") or 0
        refuse(errors)
        require_scope(info, "warehouse", warehouse)
        return _order(create_sales_order(
            session, customer_id=customer, warehouse_id=warehouse, lines=lines,
            order_date=input.order_date, promised_date=input.promised_date,
            delivery_address_id=address, customer_reference=input.customer_reference,
            note=input.note, user_id=user_id(info)))

    order, errors = run_service(info, run(action), SalesError)
    return SalesOrderPayload(sales_order=order, errors=errors)


@strawberry.input(description="Change an order; fields left out stay.  New lines replace "
                              "the old ones and take the order back to a draft (checked "
                              "again when confirmed).")
class SalesOrderUpdateInput:
    id: strawberry.ID
    lines: list[SalesLineInput] | None = UNSET
    promised_date: date | None = UNSET
    delivery_address_id: strawberry.ID | None = UNSET
    customer_reference: str | None = UNSET
    note: str | None = UNSET


def sales_order_update(info: Info[Any, Any], input: SalesOrderUpdateInput) -> SalesOrderPayload:
    order_id = pk(input.id, "SalesOrder")

    def action(session: Session) -> SalesOrder | None:
        errors: list[FieldError] = []
        kwargs: dict[str, Any] = {}
        if input.lines is not UNSET and input.lines is not None:
            kwargs["lines"] = service_lines(session, errors, input.lines)
        if input.promised_date is not UNSET:
            kwargs["promised_date"] = input.promised_date
        if input.delivery_address_id is not UNSET:
            kwargs["delivery_address_id"] = (
                None if input.delivery_address_id is None
                else pk(input.delivery_address_id, "PartnerAddress") or 0)
        if input.customer_reference is not UNSET and input.customer_reference is not None:
            kwargs["customer_reference"] = input.customer_reference
        if input.note is not UNSET and input.note is not None:
            kwargs["note"] = input.note
        refuse(errors)
        return _order(update_sales_order(session, order_id, user_id=user_id(info), **kwargs))

    order, errors = run_service(info, run(scoped(info, order_id, action)), SalesError)
    return SalesOrderPayload(sales_order=order, errors=errors)


@strawberry.input
class SalesOrderInput:
    id: strawberry.ID


def sales_order_copy(info: Info[Any, Any], input: SalesOrderInput) -> SalesOrderPayload:
    order_id = pk(input.id, "SalesOrder")
    order, errors = run_service(info, run(scoped(info, order_id, lambda s: _order(
        copy_sales_order(s, order_id, user_id=user_id(info))))), SalesError)
    return SalesOrderPayload(sales_order=order, errors=errors)


@strawberry.input
class SalesOrderCancelInput:
    id: strawberry.ID
    reason: str = ""


def sales_order_cancel(info: Info[Any, Any], input: SalesOrderCancelInput) -> SalesOrderPayload:
    order_id = pk(input.id, "SalesOrder")
    order, errors = run_service(info, run(scoped(info, order_id, lambda s: _order(
        cancel_sales_order(s, order_id, reason=input.reason, user_id=user_id(info))))),
        SalesError)
    return SalesOrderPayload(sales_order=order, errors=errors)


def sales_order_close(info: Info[Any, Any], input: SalesOrderInput) -> SalesOrderPayload:
    order_id = pk(input.id, "SalesOrder")
    order, errors = run_service(info, run(scoped(info, order_id, lambda s: _order(
        close_sales_order(s, order_id, user_id=user_id(info))))), SalesError)
    return SalesOrderPayload(sales_order=order, errors=errors)


def types() -> list[type]:
    return [SalesLineInput, QuotationCreateInput, QuotationCreatePayload, QuotationInput,
            QuotationPayload, QuotationConvertInput, QuotationConvertPayload,
            SalesOrderCreateInput, SalesOrderPayload, SalesOrderUpdateInput, SalesOrderInput,
            SalesOrderCancelInput]


def mutations() -> list[Any]:
    quote, create, cancel = "sales.quotation.create", "sales.order.create", "sales.order.cancel"
    return [
        mutation(quotation_create, permission=quote, name="quotationCreate",
                 description="Make a quotation (a draft)."),
        mutation(quotation_send, permission=quote, name="quotationSend",
                 description="Mark a quotation as sent to the customer."),
        mutation(quotation_reject, permission=quote, name="quotationReject",
                 description="The customer turned the quotation down."),
        mutation(quotation_convert, permission=quote, name="quotationConvert",
                 description="The customer accepted: a draft sales order with the "
                             "quotation's lines (an expired quotation is refused)."),
        mutation(sales_order_create, permission=create, name="salesOrderCreate",
                 description="Take a sales order (a draft; nothing reserved yet)."),
        mutation(sales_order_update, permission=create, name="salesOrderUpdate",
                 description="Change an order (new lines: back to a draft)."),
        mutation(sales_order_copy, permission=create, name="salesOrderCopy",
                 description="A new draft with the same customer and lines."),
        mutation(sales_order_cancel, permission=cancel, name="salesOrderCancel",
                 description="Cancel an order nothing was delivered from; releases its "
                             "reservations."),
        mutation(sales_order_close, permission=cancel, name="salesOrderClose",
                 description="End an order: what was not delivered will not be."),
    ]
