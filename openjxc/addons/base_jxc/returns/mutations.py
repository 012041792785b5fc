"""The return mutations: ``returnCreate``, ``returnReceive``, ``returnInspect``,
``returnClose`` and ``returnCancel``.

Receive, inspect and close post stock or money and accept ``idempotencyKey``: a retry with
the same key and input gets the first answer and nothing is posted twice (API.md).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.graphql import mutation
from openjxc.graphql.payloads import run_posting, run_service
from openjxc.graphql.scoping import require_scope

from ..purchase.api_inputs import require_document_scope
from . import lookup, models
from .api import Return
from .api_enums import ReturnError, ReturnSettlement
from .closing import close_return
from .inspection import InspectionLineInput, inspect_return
from .receiving import receive_return
from .services import ReturnLineInput, cancel_return, create_return


def _user_id(info: Info[Any, Any]) -> int | None:
    return getattr(getattr(info.context, "principal", None), "user_id", None)


def _node(request: models.ReturnRequest | None) -> Return | None:
    return Return.from_row(request) if request is not None else None


def _encode(request: models.ReturnRequest | None) -> int | None:
    return request.id if request is not None else None


def _decode(session: Session, return_id: int) -> models.ReturnRequest:
    return session.get_one(models.ReturnRequest, return_id)


def _refuse(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(errors)


def _in_scope(info: Info[Any, Any], session: Session, return_id: int | None) -> None:
    """A user limited to some warehouses handles only returns to them (``FORBIDDEN``)."""
    require_document_scope(info, session, models.ReturnRequest, return_id)


# -- returnCreate --------------------------------------------------------------------------

@strawberry.input(description="One product coming back.")
class ReturnCreateLineInput:
    product_code: str
    quantity: Decimal
    serials: list[str] = strawberry.field(
        default_factory=list,
        description="One per unit of a serial-tracked product (ranges such as "
                    "YE3-0001..0003 expand); each must have been delivered to the customer.")
    batch_number: str | None = strawberry.field(
        default=None, description="Required for batch-tracked products.")
    sales_order_line_id: strawberry.ID | None = strawberry.field(
        default=None, description="The order line it was sold on (found from the delivery "
                                  "for serial units); prices the credit.")
    unit_price: Decimal | None = strawberry.field(
        default=None, description="Only without an order line: the tax-exclusive price to "
                                  "credit per unit.")
    tax_rate: Decimal | None = strawberry.field(
        default=None, description="Only without an order line; default: the product's.")
    reason: str = ""


@strawberry.input
class ReturnCreateInput:
    customer_code: str
    lines: list[ReturnCreateLineInput]
    sales_order_id: strawberry.ID | None = None
    warehouse_code: str | None = strawberry.field(
        default=None, description="Where the goods come back; default: the warehouse the "
                                  "order shipped from.")
    reason: str = ""


@strawberry.type
class ReturnCreatePayload:
    return_: Return | None = strawberry.field(name="return")
    errors: list[ReturnError]  # type: ignore[valid-type]


def return_create(info: Info[Any, Any], input: ReturnCreateInput) -> ReturnCreatePayload:
    def action(session: Session) -> models.ReturnRequest:
        errors: list[FieldError] = []
        customer = lookup.customer_id(session, errors, input.customer_code)
        warehouse = lookup.warehouse_id(session, errors, input.warehouse_code)
        products = lookup.product_ids(session, errors, [line.product_code
                                                        for line in input.lines])
        _refuse(errors)
        if warehouse:
            require_scope(info, "warehouse", warehouse)
        lines = [ReturnLineInput(
            product_id=product, quantity=line.quantity, serials=line.serials,
            batch_number=line.batch_number,
            sales_order_line_id=lookup.global_pk(line.sales_order_line_id, "SalesOrderLine"),
            unit_price=line.unit_price, tax_rate=line.tax_rate, reason=line.reason)
            for line, product in zip(input.lines, products, strict=True)]
        request = lookup.api_errors(lambda: create_return(
            session, customer_id=customer, lines=lines, warehouse_id=warehouse,
            sales_order_id=lookup.global_pk(input.sales_order_id, "SalesOrder"),
            reason=input.reason, user_id=_user_id(info)))
        # The warehouse may come from the order: the request is undone when out of scope.
        require_scope(info, "warehouse", request.warehouse_id)
        return request

    request, errors = run_service(info, action, ReturnError)
    return ReturnCreatePayload(return_=_node(request), errors=errors)


# -- returnReceive -------------------------------------------------------------------------

@strawberry.input
class ReturnReceiveInput:
    id: strawberry.ID
    idempotency_key: str | None = None


@strawberry.type
class ReturnReceivePayload:
    return_: Return | None = strawberry.field(name="return")
    errors: list[ReturnError]  # type: ignore[valid-type]


def return_receive(info: Info[Any, Any], input: ReturnReceiveInput) -> ReturnReceivePayload:
    return_id = lookup.global_pk(input.id, "Return")

    def action(session: Session) -> models.ReturnRequest:
        _in_scope(info, session, return_id)
        return receive_return(session, return_id, user_id=_user_id(info))

    request, errors = run_posting(
        info, action, ReturnError, scope="returnReceive",
        idempotency_key=input.idempotency_key, request=input, encode=_encode, decode=_decode)
    return ReturnReceivePayload(return_=_node(request), errors=errors)


# -- returnInspect -------------------------------------------------------------------------

@strawberry.input(description="What inspection decided for one line: quantities, and on a "
                              "serial line the units of each decision (not needed when the "
                              "whole line gets one).")
class ReturnInspectLineInput:
    line_id: strawberry.ID
    restock: Decimal | None = None
    scrap: Decimal | None = None
    to_supplier: Decimal | None = None
    restock_serials: list[str] = strawberry.field(default_factory=list)
    scrap_serials: list[str] = strawberry.field(default_factory=list)
    to_supplier_serials: list[str] = strawberry.field(default_factory=list)
    restock_location_code: str | None = strawberry.field(
        default=None, description="A bin of the warehouse; empty: the inspection's default.")


@strawberry.input
class ReturnInspectInput:
    id: strawberry.ID
    lines: list[ReturnInspectLineInput]
    restock_location_code: str | None = strawberry.field(
        default=None, description="Where restocked goods go; empty: the warehouse's main "
                                  "stock.")
    idempotency_key: str | None = None


@strawberry.type
class ReturnInspectPayload:
    return_: Return | None = strawberry.field(name="return")
    errors: list[ReturnError]  # type: ignore[valid-type]


def return_inspect(info: Info[Any, Any], input: ReturnInspectInput) -> ReturnInspectPayload:
    return_id = lookup.global_pk(input.id, "Return")

    def action(session: Session) -> models.ReturnRequest:
        _in_scope(info, session, return_id)
        errors: list[FieldError] = []
        default_to = lookup.location_id(session, errors, input.restock_location_code,
                                        "restockLocationCode")
        lines = [InspectionLineInput(
            line_id=lookup.global_pk(line.line_id, "ReturnLine"), restock=line.restock,
            scrap=line.scrap, to_supplier=line.to_supplier,
            restock_serials=line.restock_serials, scrap_serials=line.scrap_serials,
            to_supplier_serials=line.to_supplier_serials,
            restock_location_id=lookup.location_id(
                session, errors, line.restock_location_code,
                ("lines", str(i), "restockLocationCode")))
            for i, line in enumerate(input.lines)]
        _refuse(errors)
        return lookup.api_errors(lambda: inspect_return(
            session, return_id, lines=lines, restock_location_id=default_to,
            user_id=_user_id(info)))

    request, errors = run_posting(
        info, action, ReturnError, scope="returnInspect",
        idempotency_key=input.idempotency_key, request=input, encode=_encode,
        decode=_decode)
    return ReturnInspectPayload(return_=_node(request), errors=errors)


# -- returnClose ---------------------------------------------------------------------------

@strawberry.input
class ReturnCloseInput:
    id: strawberry.ID
    settlement: ReturnSettlement
    refund_amount: Decimal | None = strawberry.field(
        default=None, description="A refund's amount, tax included; default: everything "
                                  "refundable (what was paid for the returned goods).")
    method: str = strawberry.field(
        default="bank", description="How a refund is paid: bank, cash, wechat, alipay …")
    note: str = ""
    idempotency_key: str | None = None


@strawberry.type
class ReturnClosePayload:
    return_: Return | None = strawberry.field(name="return")
    errors: list[ReturnError]  # type: ignore[valid-type]


def return_close(info: Info[Any, Any], input: ReturnCloseInput) -> ReturnClosePayload:
    return_id = lookup.global_pk(input.id, "Return")

    def action(session: Session) -> models.ReturnRequest:
        _in_scope(info, session, return_id)
        return close_return(session, return_id, settlement=input.settlement.value,
                            refund_amount=input.refund_amount, method=input.method,
                            note=input.note, user_id=_user_id(info))

    request, errors = run_posting(
        info, action, ReturnError, scope="returnClose", idempotency_key=input.idempotency_key,
        request=input, encode=_encode, decode=_decode)
    return ReturnClosePayload(return_=_node(request), errors=errors)


# -- returnCancel --------------------------------------------------------------------------

@strawberry.input
class ReturnCancelInput:
    id: strawberry.ID
    reason: str = ""


@strawberry.type
class ReturnCancelPayload:
    return_: Return | None = strawberry.field(name="return")
    errors: list[ReturnError]  # type: ignore[valid-type]


def return_cancel(info: Info[Any, Any], input: ReturnCancelInput) -> ReturnCancelPayload:
    return_id = lookup.global_pk(input.id, "Return")

    def action(session: Session) -> models.ReturnRequest:
        _in_scope(info, session, return_id)
        return cancel_return(session, return_id, reason=input.reason, user_id=_user_id(info))

    request, errors = run_service(info, action, ReturnError)
    return ReturnCancelPayload(return_=_node(request), errors=errors)


def types() -> list[type]:
    return [ReturnCreateLineInput, ReturnCreateInput, ReturnCreatePayload, ReturnReceiveInput,
            ReturnReceivePayload, ReturnInspectLineInput, ReturnInspectInput,
            ReturnInspectPayload, ReturnCloseInput, ReturnClosePayload, ReturnCancelInput,
            ReturnCancelPayload]


def mutations() -> list[Any]:
    return [
        mutation(return_create, permission="sales.return.create", name="returnCreate",
                 description="Register a customer return and give it its return code "
                             "(nothing moves yet)."),
        mutation(return_receive, permission="sales.return.receive", name="returnReceive",
                 description="Receive the goods into the warehouse's quarantine, at the "
                             "cost they left at."),
        mutation(return_inspect, permission="sales.return.inspect", name="returnInspect",
                 description="Decide per line and unit: back to stock, scrap or the "
                             "supplier."),
        mutation(return_close, permission="sales.return.close", name="returnClose",
                 description="Settle with the customer by a credit note or a refund."),
        mutation(return_cancel, permission="sales.return.create", name="returnCancel",
                 description="Cancel a return nothing of which was received."),
    ]
