"""service_orders' GraphQL types, enums and the DataLoaders behind them.

A page of orders with their customers, devices (products, serial units), records,
attachments, labour and parts costs a fixed number of statements, whatever its size.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, cast

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from openjxc.addons.base_jxc.catalog.api import Product
from openjxc.addons.base_jxc.invoicing.models import Invoice
from openjxc.addons.base_jxc.partners.api import Partner
from openjxc.addons.base_jxc.partners.models import PartnerAddress
from openjxc.addons.base_jxc.sales.models import SalesDelivery
from openjxc.addons.base_jxc.stock.api_types import COST, SerialNumber, load_products
from openjxc.addons.base_jxc.stock.models import SerialNumber as SerialRow
from openjxc.core.models import utcnow
from openjxc.core.security.models import User
from openjxc.graphql import Node, align, field, get_session

from . import models
from .api_enums import (
    ServiceError,
    ServiceErrorCode,
    ServiceOrderSort,
    ServiceOrderState,
    ServiceOrderType,
    ServicePriority,
    ServiceSource,
)

READ = "service.order.read"

__all__ = ["READ", "FirstTimeFixRate", "ServiceDevice", "ServiceError", "ServiceErrorCode",
           "ServiceLabour", "ServiceLabourRate", "ServiceOrder", "ServiceOrderSort",
           "ServiceOrderState", "ServiceOrderType", "ServicePart", "ServicePriority",
           "ServiceRecord", "ServiceSla", "ServiceSource", "ServiceTeam", "WarrantyCost"]


# -- loaders -------------------------------------------------------------------------------

def _by_order(info: Info[Any, Any], key: str, model: Any, to_node: Any,
              order_by: Sequence[Any]) -> Any:
    """A loader of the rows of ``model`` per order id, in ``order_by`` order."""
    def batch(ids: list[int]) -> list[list[Any]]:
        found: dict[int, list[Any]] = defaultdict(list)
        for row in get_session(info).scalars(select(model)
                                             .where(model.order_id.in_(set(ids)))
                                             .order_by(*order_by)):
            found[row.order_id].append(to_node(row))
        return [found[i] for i in ids]

    return info.context.loaders.get(key, batch)


def _lookup(info: Info[Any, Any], key: str, column: Any, id_column: Any) -> Any:
    def batch(ids: list[int]) -> list[Any]:
        found: dict[int, Any] = dict(get_session(info).execute(
            select(id_column, column).where(id_column.in_(set(ids)))).all())
        return [found.get(i) for i in ids]

    return info.context.loaders.get(key, batch)


async def _text(info: Info[Any, Any], key: str, column: Any, id_column: Any,
                pk: int | None) -> Any:
    if pk is None:
        return None
    return await _lookup(info, key, column, id_column).load(pk)


async def username(info: Info[Any, Any], user_id: int | None) -> str | None:
    return cast("str | None", await _text(info, "service.username", User.username, User.id,
                                          user_id))


async def serial_number(info: Info[Any, Any], serial_id: int | None) -> str | None:
    return cast("str | None", await _text(info, "service.serial", SerialRow.number,
                                          SerialRow.id, serial_id))


def _serial_nodes(info: Info[Any, Any]) -> Any:
    return info.context.loaders.get("service.serial_node",
                                    lambda ids: SerialNumber.get_nodes(info, ids))


def _attachments(info: Info[Any, Any]) -> Any:
    def batch(ids: list[int]) -> list[list[str]]:
        found: dict[int, list[str]] = defaultdict(list)
        for record_id, url in get_session(info).execute(
                select(models.ServiceAttachment.record_id, models.ServiceAttachment.url)
                .where(models.ServiceAttachment.record_id.in_(set(ids)))
                .order_by(models.ServiceAttachment.id)):
            found[record_id].append(url)
        return [found[i] for i in ids]

    return info.context.loaders.get("service.attachments", batch)


# -- types ---------------------------------------------------------------------------------

@strawberry.type(description="A device the work is on: a serial unit, or a product without "
                             "serial numbers and its quantity.")
class ServiceDevice:
    quantity: Decimal
    product_id: strawberry.Private[int]
    serial_id: strawberry.Private[int | None]

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await load_products(info).load(self.product_id)  # type: ignore[no-any-return]

    @strawberry.field(description="The unit's serial number (null for a product without).")
    async def serial_number(self, info: Info[Any, Any]) -> str | None:
        return await serial_number(info, self.serial_id)

    @strawberry.field(description="The unit itself: where it is, its history.")
    async def serial(self, info: Info[Any, Any]) -> SerialNumber | None:
        if self.serial_id is None:
            return None
        return await _serial_nodes(info).load(self.serial_id)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: models.ServiceOrderDevice) -> ServiceDevice:
        return cls(quantity=row.quantity, product_id=row.product_id, serial_id=row.serial_id)


@strawberry.type(description="What was done on a visit.")
class ServiceRecord:
    note: str
    minutes: int
    recorded_at: datetime
    pk: strawberry.Private[int]
    recorded_by_id: strawberry.Private[int | None]

    @strawberry.field(description="Photos and documents (http/https URLs).")
    async def attachment_urls(self, info: Info[Any, Any]) -> list[str]:
        return await _attachments(info).load(self.pk)  # type: ignore[no-any-return]

    @strawberry.field(description="Who recorded it (username).")
    async def recorded_by(self, info: Info[Any, Any]) -> str | None:
        return await username(info, self.recorded_by_id)

    @classmethod
    def from_row(cls, row: models.ServiceRecord) -> ServiceRecord:
        return cls(note=row.note, minutes=row.minutes, recorded_at=row.recorded_at,
                   pk=row.id, recorded_by_id=row.recorded_by_id)


@strawberry.type(description="Hours a technician worked on the order.")
class ServiceLabour:
    hours: Decimal
    rate: Decimal = strawberry.field(description="Billed per hour, before tax.")
    technician_id: strawberry.Private[int]
    _internal_rate: strawberry.Private[Decimal]

    @strawberry.field(description="The technician (username).")
    async def technician(self, info: Info[Any, Any]) -> str | None:
        return await username(info, self.technician_id)

    @field(permission=COST, description="What an hour costs the company.")
    def internal_rate(self) -> Decimal | None:
        return self._internal_rate

    @classmethod
    def from_row(cls, row: models.ServiceLabour) -> ServiceLabour:
        return cls(hours=row.hours, rate=row.rate, technician_id=row.technician_id,
                   _internal_rate=row.internal_rate)


@strawberry.type(description="A spare part fitted from the technician's van; for a swap, "
                             "the faulty unit taken back into quarantine.")
class ServicePart:
    quantity: Decimal
    unit_price: Decimal = strawberry.field(description="The list price when fitted (billed "
                                                       "when parts are not covered).")
    product_id: strawberry.Private[int]
    fitted_id: strawberry.Private[int | None]
    removed_id: strawberry.Private[int | None]
    host_id: strawberry.Private[int | None]
    _cost: strawberry.Private[Decimal]

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await load_products(info).load(self.product_id)  # type: ignore[no-any-return]

    @strawberry.field(description="The unit fitted (serial-tracked parts).")
    async def fitted_serial(self, info: Info[Any, Any]) -> str | None:
        return await serial_number(info, self.fitted_id)

    @strawberry.field(description="The faulty unit taken out.")
    async def removed_serial(self, info: Info[Any, Any]) -> str | None:
        return await serial_number(info, self.removed_id)

    @strawberry.field(description="The device it went into.")
    async def device_serial(self, info: Info[Any, Any]) -> str | None:
        return await serial_number(info, self.host_id)

    @field(permission=COST, description="What the part cost (the stock engine's value).")
    def cost(self) -> Decimal | None:
        return self._cost

    @classmethod
    def from_row(cls, row: models.ServicePart) -> ServicePart:
        return cls(quantity=row.quantity, unit_price=row.unit_price, product_id=row.product_id,
                   fitted_id=row.fitted_serial_id, removed_id=row.removed_serial_id,
                   host_id=row.host_serial_id, _cost=row.cost)


@strawberry.type(description="A work order (工单): installation, repair, maintenance or "
                             "inspection at a customer's site.")
class ServiceOrder(Node):
    node_permission: ClassVar[str] = READ

    number: str = strawberry.field(description="FW-YYYYMM-NNNN.")
    type: ServiceOrderType
    priority: ServicePriority
    source: ServiceSource
    state: ServiceOrderState
    description: str
    reported_at: datetime
    planned_date: date | None
    due_at: datetime = strawberry.field(description="The SLA due time.")
    assigned_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    closed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str
    covers_parts: bool = strawberry.field(description="Parts are free (e.g. under warranty).")
    covers_labour: bool = strawberry.field(description="Labour is free.")
    rating: int | None = strawberry.field(description="The customer's rating, 1–5.")
    feedback: str
    signature_url: str = strawberry.field(description="The customer's signature image.")
    customer_id: strawberry.Private[int]
    address_id: strawberry.Private[int | None]
    delivery_id: strawberry.Private[int | None]
    assignee_id: strawberry.Private[int | None]
    team_id: strawberry.Private[int | None]
    invoice_id: strawberry.Private[int | None]

    @strawberry.field(description="Past its SLA due time and not yet done.")
    def overdue(self) -> bool:
        return (self.state in (ServiceOrderState.NEW, ServiceOrderState.ASSIGNED,
                               ServiceOrderState.IN_PROGRESS) and self.due_at < utcnow())

    @strawberry.field
    async def customer(self, info: Info[Any, Any]) -> Partner | None:
        loader = info.context.loaders.get("service.partner",
                                          lambda ids: Partner.get_nodes(info, ids))
        return await loader.load(self.customer_id)  # type: ignore[no-any-return]

    @strawberry.field(description="The site's address.")
    async def site(self, info: Info[Any, Any]) -> str | None:
        return cast("str | None", await _text(info, "service.site", PartnerAddress.address,
                                              PartnerAddress.id, self.address_id))

    @strawberry.field(description="The delivery an installation order was made for.")
    async def delivery_number(self, info: Info[Any, Any]) -> str | None:
        return cast("str | None", await _text(info, "service.delivery", SalesDelivery.number,
                                              SalesDelivery.id, self.delivery_id))

    @strawberry.field(description="The technician it is assigned to (username).")
    async def assignee(self, info: Info[Any, Any]) -> str | None:
        return await username(info, self.assignee_id)

    @strawberry.field(description="The team it is assigned to (code).")
    async def team_code(self, info: Info[Any, Any]) -> str | None:
        return cast("str | None", await _text(info, "service.team", models.ServiceTeam.code,
                                              models.ServiceTeam.id, self.team_id))

    @strawberry.field(description="The invoice for what was not covered.")
    async def invoice_number(self, info: Info[Any, Any]) -> str | None:
        return cast("str | None", await _text(info, "service.invoice", Invoice.number,
                                              Invoice.id, self.invoice_id))

    @strawberry.field
    async def devices(self, info: Info[Any, Any]) -> list[ServiceDevice]:
        loader = _by_order(info, "service.devices", models.ServiceOrderDevice,
                           ServiceDevice.from_row, (models.ServiceOrderDevice.position,))
        return await loader.load(self.pk)  # type: ignore[no-any-return]

    @strawberry.field(description="What was done, oldest first.")
    async def records(self, info: Info[Any, Any]) -> list[ServiceRecord]:
        loader = _by_order(info, "service.records", models.ServiceRecord,
                           ServiceRecord.from_row, (models.ServiceRecord.id,))
        return await loader.load(self.pk)  # type: ignore[no-any-return]

    @strawberry.field
    async def labour(self, info: Info[Any, Any]) -> list[ServiceLabour]:
        loader = _by_order(info, "service.labour", models.ServiceLabour,
                           ServiceLabour.from_row, (models.ServiceLabour.id,))
        return await loader.load(self.pk)  # type: ignore[no-any-return]

    @strawberry.field
    async def parts(self, info: Info[Any, Any]) -> list[ServicePart]:
        loader = _by_order(info, "service.parts", models.ServicePart, ServicePart.from_row,
                           (models.ServicePart.id,))
        return await loader.load(self.pk)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: models.ServiceOrder) -> ServiceOrder:
        return cls(
            pk=row.id, number=row.number, type=ServiceOrderType(row.type),
            priority=ServicePriority(row.priority), source=ServiceSource(row.source),
            state=ServiceOrderState(row.state), description=row.description,
            reported_at=row.reported_at, planned_date=row.planned_date, due_at=row.due_at,
            assigned_at=row.assigned_at, started_at=row.started_at,
            completed_at=row.completed_at, closed_at=row.closed_at,
            cancelled_at=row.cancelled_at, cancel_reason=row.cancel_reason,
            covers_parts=row.covers_parts, covers_labour=row.covers_labour,
            rating=row.rating, feedback=row.feedback, signature_url=row.signature_url,
            customer_id=row.customer_id, address_id=row.address_id,
            delivery_id=row.delivery_id, assignee_id=row.assignee_id, team_id=row.team_id,
            invoice_id=row.invoice_id)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[ServiceOrder | None]:
        rows = get_session(info).scalars(select(models.ServiceOrder)
                                         .where(models.ServiceOrder.id.in_(pks)))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda o: o.pk)


@strawberry.type(description="The SLA hours of a type and priority.")
class ServiceSla:
    type: ServiceOrderType
    priority: ServicePriority
    hours: int


@strawberry.type(description="A type's labour rates.")
class ServiceLabourRate:
    type: ServiceOrderType
    rate: Decimal = strawberry.field(description="Billed per hour, before tax.")
    tax_rate: Decimal
    _internal_rate: strawberry.Private[Decimal]

    @field(permission=COST, description="What an hour costs the company.")
    def internal_rate(self) -> Decimal | None:
        return self._internal_rate


@strawberry.type(description="A team of technicians.")
class ServiceTeam:
    code: str
    name: str
    members: list[str] = strawberry.field(description="Usernames.")


@strawberry.type(description="Parts and labour spent on covered (e.g. warranty) orders "
                             "completed in a period.")
class WarrantyCost:
    from_: date = strawberry.field(name="from")
    to: date
    orders: int = strawberry.field(description="Covered orders completed in the period.")
    parts_cost: Decimal
    labour_cost: Decimal = strawberry.field(description="Hours × the internal rate.")
    total: Decimal


@strawberry.type(description="Repairs completed in a period, and how many of them were not "
                             "followed by another repair of the same device within 30 days.")
class FirstTimeFixRate:
    from_: date = strawberry.field(name="from")
    to: date
    repairs: int
    fixed_first_time: int
    rate: Decimal | None = strawberry.field(description="fixedFirstTime ÷ repairs "
                                                        "(null without repairs).")
