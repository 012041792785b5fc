"""The mutations of the work on site: ``serviceOrderRecord``, ``serviceOrderComplete``,
``serviceOrderClose``.

Recording (it may post parts) and completing (it may post an invoice) accept
``idempotencyKey``: a retry with the same key and input gets the first answer and nothing
is posted twice (API.md).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.graphql.payloads import run_posting, run_service
from openjxc.graphql.scoping import require_scope

from . import models
from .api_access import require_own_order, require_own_van
from .api_lookups import (
    caller_id,
    code_id,
    decode_order,
    encode_order,
    node_of,
    order_pk,
    refuse,
    serial_id,
)
from .api_types import (
    ServiceError,
    ServiceOrder,
)
from .completion import close_order, complete_order
from .records import MAX_LINES, LabourInput, PartInput, record_work
from .settings import user_id_by_name, van_of

# -- serviceOrderRecord --------------------------------------------------------------------

@strawberry.input
class ServiceLabourInput:
    hours: Decimal
    username: str | None = strawberry.field(default=None,
                                            description="Default: the caller.")


@strawberry.input(description="A part fitted from the van; for a swap, the faulty unit.")
class ServicePartInput:
    product_code: str
    quantity: Decimal
    serials: list[str] = strawberry.field(default_factory=list,
                                          description="The units fitted (serial parts).")
    removed_serial: str | None = strawberry.field(
        default=None, description="The faulty unit taken out (back into the van "
                                  "warehouse's quarantine).")
    device_serial: str | None = strawberry.field(
        default=None, description="The order's device it went into (default: the only "
                                  "one).")


@strawberry.input
class ServiceOrderRecordInput:
    id: strawberry.ID
    note: str = ""
    attachment_urls: list[str] = strawberry.field(default_factory=list)
    minutes: int = 0
    labour: list[ServiceLabourInput] = strawberry.field(default_factory=list)
    parts: list[ServicePartInput] = strawberry.field(default_factory=list)
    technician: str | None = strawberry.field(
        default=None, description="Whose van the parts come from (default: the caller).")
    idempotency_key: str | None = None


@strawberry.type
class ServiceOrderRecordPayload:
    service_order: ServiceOrder | None
    errors: list[ServiceError]  # type: ignore[valid-type]


def service_order_record(info: Info[Any, Any], input: ServiceOrderRecordInput,
                         ) -> ServiceOrderRecordPayload:
    me = caller_id(info)

    def action(session: Session) -> models.ServiceOrder:
        for name, lines in (("labour", input.labour), ("parts", input.parts)):
            if len(lines) > MAX_LINES:  # before one look-up per line
                raise ValidationFailed(FieldError("INVALID", _("At most {max} lines"),
                                                  field=name, max=MAX_LINES))
        errors: list[FieldError] = []
        technician = user_id_by_name(session, errors, input.technician, "technician")
        labour = [LabourInput(
            technician_id=user_id_by_name(session, errors, line.username,
                                          ("labour", str(i), "username"))
            if line.username else me, hours=line.hours)
            for i, line in enumerate(input.labour)]
        parts = []
        for i, part in enumerate(input.parts):
            at = ("parts", str(i))
            product = code_id(session, errors, Product, part.product_code,
                              (*at, "productCode"), _("Unknown product {code}"))
            host = (serial_id(session, errors, part.device_serial, None, (*at, "deviceSerial"))
                    if part.device_serial else None)
            parts.append(PartInput(product_id=product, quantity=part.quantity,
                                   serials=part.serials, removed_serial=part.removed_serial,
                                   host_serial_id=host))
        refuse(errors)
        order_id = order_pk(input.id)
        require_own_order(info, session, order_id)
        require_own_van(info, technician)
        for line in labour:
            require_own_van(info, line.technician_id)
        van = van_of(session, technician if technician is not None else me)
        if parts and van is not None:
            # A user limited to some warehouses takes parts only out of vans among them.
            require_scope(info, "warehouse", van.warehouse_id)
        record_work(session, order_id, note=input.note,
                    attachment_urls=input.attachment_urls, minutes=input.minutes,
                    labour=labour, parts=parts, technician_id=technician, user_id=me)
        return session.get_one(models.ServiceOrder, order_id)

    order, errors = run_posting(info, action, ServiceError, scope="serviceOrderRecord",
                                idempotency_key=input.idempotency_key, request=input,
                                encode=encode_order, decode=decode_order)
    return ServiceOrderRecordPayload(service_order=node_of(order), errors=errors)


# -- serviceOrderComplete ------------------------------------------------------------------

@strawberry.input
class ServiceOrderCompleteInput:
    id: strawberry.ID
    idempotency_key: str | None = None


@strawberry.type
class ServiceOrderCompletePayload:
    service_order: ServiceOrder | None
    errors: list[ServiceError]  # type: ignore[valid-type]


def service_order_complete(info: Info[Any, Any], input: ServiceOrderCompleteInput,
                           ) -> ServiceOrderCompletePayload:
    def complete(session: Session) -> models.ServiceOrder:
        require_own_order(info, session, order_pk(input.id))
        return complete_order(session, order_pk(input.id), user_id=caller_id(info))

    order, errors = run_posting(
        info, complete, ServiceError, scope="serviceOrderComplete",
        idempotency_key=input.idempotency_key, request=input, encode=encode_order,
        decode=decode_order)
    return ServiceOrderCompletePayload(service_order=node_of(order), errors=errors)


# -- serviceOrderClose ---------------------------------------------------------------------

@strawberry.input(description="The customer's sign-off.")
class ServiceOrderCloseInput:
    id: strawberry.ID
    rating: int | None = strawberry.field(default=None, description="1 to 5.")
    comment: str = ""
    signature_url: str = strawberry.field(
        default="", description="The signature image: an http(s) URL or a data:image/… URL "
                                "(only data: URLs are printed as images on the report).")


@strawberry.type
class ServiceOrderClosePayload:
    service_order: ServiceOrder | None
    errors: list[ServiceError]  # type: ignore[valid-type]


def service_order_close(info: Info[Any, Any], input: ServiceOrderCloseInput,
                        ) -> ServiceOrderClosePayload:
    def close(session: Session) -> models.ServiceOrder:
        require_own_order(info, session, order_pk(input.id))
        return close_order(session, order_pk(input.id), rating=input.rating,
                           comment=input.comment, signature_url=input.signature_url,
                           user_id=caller_id(info))

    order, errors = run_service(info, close, ServiceError)
    return ServiceOrderClosePayload(service_order=node_of(order), errors=errors)



def work_types() -> list[type]:
    return [ServiceLabourInput, ServicePartInput, ServiceOrderRecordInput,
            ServiceOrderRecordPayload, ServiceOrderCompleteInput, ServiceOrderCompletePayload,
            ServiceOrderCloseInput, ServiceOrderClosePayload]
