"""The service order mutations: ``serviceOrderCreate``, ``serviceOrderAssign``,
``serviceOrderStart``, ``serviceOrderCancel`` here; ``serviceOrderRecord``,
``serviceOrderComplete``, ``serviceOrderClose`` in :mod:`.api_work`; the settings ones in
:mod:`.api_settings`.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import strawberry
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.graphql import mutation, pk_of_global_id
from openjxc.graphql.payloads import run_service

from . import models
from .api_access import require_own_order
from .api_lookups import (
    UNKNOWN_ID,
    caller_id,
    code_id,
    node_of,
    order_pk,
    refuse,
    serial_id,
)
from .api_settings import setting_mutations, setting_types
from .api_types import (
    ServiceError,
    ServiceOrder,
    ServiceOrderType,
    ServicePriority,
    ServiceSource,
)
from .api_work import (
    service_order_close,
    service_order_complete,
    service_order_record,
    work_types,
)
from .orders import MAX_DEVICES, DeviceInput, assign_order, cancel_order, create_order, start_order
from .settings import user_id_by_name

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
        if len(input.devices) > MAX_DEVICES:  # before one look-up per device
            raise ValidationFailed(FieldError("INVALID", _("At most {max} devices"),
                                              field="devices", max=MAX_DEVICES))
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
            elif product is None and not (device.product_code or "").strip():
                errors.append(FieldError("REQUIRED", _("Give a serial number or a product"),
                                         field=(*at, "serialNumber")))
            elif product is not None:
                devices.append(DeviceInput(product_id=product, quantity=device.quantity))
        address = pk_of_global_id(input.address_id, "PartnerAddress", unknown=UNKNOWN_ID)
        refuse(errors)
        return create_order(session, type=input.type.value, customer_id=customer,
                            devices=devices, priority=input.priority.value,
                            source=input.source.value, address_id=address,
                            description=input.description, planned_date=input.planned_date,
                            reported_at=input.reported_at, user_id=caller_id(info))

    order, errors = run_service(info, action, ServiceError)
    return ServiceOrderCreatePayload(service_order=node_of(order), errors=errors)


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
        refuse(errors)
        return assign_order(session, order_pk(input.id), assignee_id=user, team_id=team,
                            planned_date=input.planned_date, user_id=caller_id(info))

    order, errors = run_service(info, action, ServiceError)
    return ServiceOrderAssignPayload(service_order=node_of(order), errors=errors)


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
    def start(session: Session) -> models.ServiceOrder:
        require_own_order(info, session, order_pk(input.id))
        return start_order(session, order_pk(input.id), user_id=caller_id(info))

    order, errors = run_service(info, start, ServiceError)
    return ServiceOrderStartPayload(service_order=node_of(order), errors=errors)


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
        s, order_pk(input.id), reason=input.reason, user_id=caller_id(info)), ServiceError)
    return ServiceOrderCancelPayload(service_order=node_of(order), errors=errors)


def types() -> list[type]:
    return [ServiceDeviceInput, ServiceOrderCreateInput, ServiceOrderCreatePayload,
            ServiceOrderAssignInput, ServiceOrderAssignPayload, ServiceOrderStartInput,
            ServiceOrderStartPayload, *work_types(), ServiceOrderCancelInput,
            ServiceOrderCancelPayload, *setting_types()]


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
