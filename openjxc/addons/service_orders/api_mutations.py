"""The service order mutations: ``serviceOrderCreate``, ``serviceOrderAssign``,
``serviceOrderStart``, ``serviceOrderRecord``, ``serviceOrderComplete``,
``serviceOrderClose``, ``serviceOrderCancel``; the settings ones are in
:mod:`.api_settings`.

Recording (it may post parts) and completing (it may post an invoice) accept
``idempotencyKey``: a retry with the same key and input gets the first answer and nothing
is posted twice (API.md).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.addons.base_jxc.purchase.api_inputs import pk as global_pk
from openjxc.addons.base_jxc.stock.models import SerialNumber
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.graphql import mutation
from openjxc.graphql.payloads import run_posting, run_service
from openjxc.graphql.scoping import require_scope

from . import models
from .api_settings import setting_mutations, setting_types
from .api_types import (
    ServiceError,
    ServiceOrder,
    ServiceOrderType,
    ServicePriority,
    ServiceSource,
)
from .completion import close_order, complete_order
from .orders import DeviceInput, assign_order, cancel_order, create_order, start_order
from .records import LabourInput, PartInput, record_work
from .settings import user_id_by_name, van_of

MAX_CODE = 64


def _user_id(info: Info[Any, Any]) -> int | None:
    return getattr(getattr(info.context, "principal", None), "user_id", None)


def _node(order: models.ServiceOrder | None) -> ServiceOrder | None:
    return ServiceOrder.from_row(order) if order is not None else None


def _order_pk(global_id: strawberry.ID) -> int | None:
    return global_pk(global_id, "ServiceOrder")


def _encode(order: models.ServiceOrder | None) -> int | None:
    return order.id if order is not None else None


def _decode(session: Session, order_id: int) -> models.ServiceOrder:
    return session.get_one(models.ServiceOrder, order_id)


def _refuse(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(errors)


def code_id(session: Session, errors: list[FieldError], model: Any, code: str | None,
            at: str | tuple[str, ...], message: object) -> int | None:
    """The id of the row of ``model`` with ``code`` (None when no code was given)."""
    text = (code or "").strip()[:MAX_CODE]
    if not text:
        return None
    found = session.scalar(select(model.id).where(model.code == text))
    if found is None:
        errors.append(FieldError("NOT_FOUND", message, field=at, code=text))
    return found


def serial_id(session: Session, errors: list[FieldError], number: str,
              product_id: int | None, at: tuple[str, ...]) -> int | None:
    """The unit with ``number`` (of ``product_id`` when given: numbers are unique per
    product only)."""
    stmt = select(SerialNumber.id).where(SerialNumber.number == number.strip()[:MAX_CODE])
    if product_id is not None:
        stmt = stmt.where(SerialNumber.product_id == product_id)
    found = list(session.scalars(stmt.limit(2)))
    if len(found) == 1:
        return found[0]
    if found:
        errors.append(FieldError("INVALID", _("Several products have serial number {serial}: "
                                              "name the product"), field=at,
                                 serial=number.strip()[:MAX_CODE]))
    else:
        errors.append(FieldError("NOT_FOUND", _("Unknown serial number {serial}"), field=at,
                                 serial=number.strip()[:MAX_CODE]))
    return None


# -- serviceOrderCreate --------------------------------------------------------------------

@strawberry.input(description="A device: a serial number (and its product when the number "
                              "is not unique), or a product without serials and a quantity.")
class ServiceDeviceInput:
    serial_number: str | None = None
    product_code: str | None = None
    quantity: Decimal = Decimal(1)


@strawberry.input
class ServiceOrderCreateInput:
    type: ServiceOrderType
    customer_code: str
    priority: ServicePriority = ServicePriority.NORMAL
    source: ServiceSource = strawberry.field(
        default=ServiceSource.STAFF, description="STAFF or CUSTOMER (DELIVERY orders are "
                                                 "made by deliveries).")
    address_id: strawberry.ID | None = strawberry.field(
        default=None, description="The site: one of the customer's addresses.")
    devices: list[ServiceDeviceInput] = strawberry.field(default_factory=list)
    description: str = ""
    planned_date: date | None = None
    reported_at: datetime | None = strawberry.field(default=None,
                                                    description="Default: now.")


@strawberry.type
class ServiceOrderCreatePayload:
    service_order: ServiceOrder | None
    errors: list[ServiceError]  # type: ignore[valid-type]


def service_order_create(info: Info[Any, Any], input: ServiceOrderCreateInput,
                         ) -> ServiceOrderCreatePayload:
    def action(session: Session) -> models.ServiceOrder:
        errors: list[FieldError] = []
        if input.source is ServiceSource.DELIVERY:
            errors.append(FieldError("INVALID", _("Orders from deliveries are made by the "
                                                  "deliveries"), field="source"))
        customer = code_id(session, errors, Partner, input.customer_code, "customerCode",
                           _("Unknown customer {code}"))
        if customer is None and not errors:
            errors.append(FieldError("REQUIRED", _("This field is required"),
                                     field="customerCode"))
        devices = []
        for i, device in enumerate(input.devices):
            at = ("devices", str(i))
            product = code_id(session, errors, Product, device.product_code,
                              (*at, "productCode"), _("Unknown product {code}"))
            if device.serial_number:
                devices.append(DeviceInput(serial_id=serial_id(
                    session, errors, device.serial_number, product, (*at, "serialNumber"))))
            elif product is None:
                errors.append(FieldError("REQUIRED", _("Give a serial number or a product"),
                                         field=(*at, "serialNumber")))
            else:
                devices.append(DeviceInput(product_id=product, quantity=device.quantity))
        address = global_pk(input.address_id, "PartnerAddress")
        _refuse(errors)
        return create_order(session, type=input.type.value, customer_id=customer,
                            devices=devices, priority=input.priority.value,
                            source=input.source.value, address_id=address,
                            description=input.description, planned_date=input.planned_date,
                            reported_at=input.reported_at, user_id=_user_id(info))

    order, errors = run_service(info, action, ServiceError)
    return ServiceOrderCreatePayload(service_order=_node(order), errors=errors)


# -- serviceOrderAssign --------------------------------------------------------------------

@strawberry.input(description="A technician, a team, or a member of a team.")
class ServiceOrderAssignInput:
    id: strawberry.ID
    username: str | None = None
    team_code: str | None = None
    planned_date: date | None = None


@strawberry.type
class ServiceOrderAssignPayload:
    service_order: ServiceOrder | None
    errors: list[ServiceError]  # type: ignore[valid-type]


def service_order_assign(info: Info[Any, Any], input: ServiceOrderAssignInput,
                         ) -> ServiceOrderAssignPayload:
    def action(session: Session) -> models.ServiceOrder:
        errors: list[FieldError] = []
        user = user_id_by_name(session, errors, input.username, "username")
        team = code_id(session, errors, models.ServiceTeam, input.team_code, "teamCode",
                       _("Unknown team {code}"))
        _refuse(errors)
        return assign_order(session, _order_pk(input.id), assignee_id=user, team_id=team,
                            planned_date=input.planned_date, user_id=_user_id(info))

    order, errors = run_service(info, action, ServiceError)
    return ServiceOrderAssignPayload(service_order=_node(order), errors=errors)


# -- serviceOrderStart ---------------------------------------------------------------------

@strawberry.input
class ServiceOrderStartInput:
    id: strawberry.ID


@strawberry.type
class ServiceOrderStartPayload:
    service_order: ServiceOrder | None
    errors: list[ServiceError]  # type: ignore[valid-type]


def service_order_start(info: Info[Any, Any], input: ServiceOrderStartInput,
                        ) -> ServiceOrderStartPayload:
    order, errors = run_service(info, lambda s: start_order(
        s, _order_pk(input.id), user_id=_user_id(info)), ServiceError)
    return ServiceOrderStartPayload(service_order=_node(order), errors=errors)


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
    me = _user_id(info)

    def action(session: Session) -> models.ServiceOrder:
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
        _refuse(errors)
        van = van_of(session, technician if technician is not None else me)
        if parts and van is not None:
            # A user limited to some warehouses takes parts only out of vans among them.
            require_scope(info, "warehouse", van.warehouse_id)
        order_id = _order_pk(input.id)
        record_work(session, order_id, note=input.note,
                    attachment_urls=input.attachment_urls, minutes=input.minutes,
                    labour=labour, parts=parts, technician_id=technician, user_id=me)
        return session.get_one(models.ServiceOrder, order_id)

    order, errors = run_posting(info, action, ServiceError, scope="serviceOrderRecord",
                                idempotency_key=input.idempotency_key, request=input,
                                encode=_encode, decode=_decode)
    return ServiceOrderRecordPayload(service_order=_node(order), errors=errors)


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
    order, errors = run_posting(
        info, lambda s: complete_order(s, _order_pk(input.id), user_id=_user_id(info)),
        ServiceError, scope="serviceOrderComplete", idempotency_key=input.idempotency_key,
        request=input, encode=_encode, decode=_decode)
    return ServiceOrderCompletePayload(service_order=_node(order), errors=errors)


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
    order, errors = run_service(info, lambda s: close_order(
        s, _order_pk(input.id), rating=input.rating, comment=input.comment,
        signature_url=input.signature_url, user_id=_user_id(info)), ServiceError)
    return ServiceOrderClosePayload(service_order=_node(order), errors=errors)


# -- serviceOrderCancel --------------------------------------------------------------------

@strawberry.input
class ServiceOrderCancelInput:
    id: strawberry.ID
    reason: str = ""


@strawberry.type
class ServiceOrderCancelPayload:
    service_order: ServiceOrder | None
    errors: list[ServiceError]  # type: ignore[valid-type]


def service_order_cancel(info: Info[Any, Any], input: ServiceOrderCancelInput,
                         ) -> ServiceOrderCancelPayload:
    order, errors = run_service(info, lambda s: cancel_order(
        s, _order_pk(input.id), reason=input.reason, user_id=_user_id(info)), ServiceError)
    return ServiceOrderCancelPayload(service_order=_node(order), errors=errors)


def types() -> list[type]:
    return [ServiceDeviceInput, ServiceOrderCreateInput, ServiceOrderCreatePayload,
            ServiceOrderAssignInput, ServiceOrderAssignPayload, ServiceOrderStartInput,
            ServiceOrderStartPayload, ServiceLabourInput, ServicePartInput,
            ServiceOrderRecordInput, ServiceOrderRecordPayload, ServiceOrderCompleteInput,
            ServiceOrderCompletePayload, ServiceOrderCloseInput, ServiceOrderClosePayload,
            ServiceOrderCancelInput, ServiceOrderCancelPayload, *setting_types()]


def mutations() -> list[Any]:
    return [
        mutation(service_order_create, permission="service.order.create",
                 name="serviceOrderCreate",
                 description="Take a request: a new order with its number and SLA due time."),
        mutation(service_order_assign, permission="service.order.assign",
                 name="serviceOrderAssign",
                 description="Give a new or assigned order to a technician or a team."),
        mutation(service_order_start, permission="service.order.work",
                 name="serviceOrderStart", description="Start the work (on site)."),
        mutation(service_order_record, permission="service.order.work",
                 name="serviceOrderRecord",
                 description="Record notes, attachments, time, labour and parts from the "
                             "van."),
        mutation(service_order_complete, permission="service.order.complete",
                 name="serviceOrderComplete",
                 description="Finish the work and invoice what is not covered."),
        mutation(service_order_close, permission="service.order.close",
                 name="serviceOrderClose",
                 description="Close a done order with the customer's rating, comment and "
                             "signature."),
        mutation(service_order_cancel, permission="service.order.cancel",
                 name="serviceOrderCancel",
                 description="Cancel an order not yet done."),
        *setting_mutations(),
    ]
