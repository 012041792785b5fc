"""The bridge's GraphQL: ``DeviceArchive.serviceOrders`` and ``ServiceOrder.warranty``."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select, union
from strawberry.types import Info

from openjxc.addons.serial_warranty.api_archive import DeviceArchive
from openjxc.addons.serial_warranty.api_warranties import Warranty
from openjxc.addons.service_orders.api_types import ServiceOrder
from openjxc.addons.service_orders.models import ServiceOrder as OrderRow
from openjxc.addons.service_orders.models import ServiceOrderDevice, ServicePart
from openjxc.graphql import Contribution, field, get_session


def _orders_of_units(info: Info[Any, Any]) -> Any:
    """The orders each unit was in: as a device of the order, or as a part fitted or taken
    out by it (a spare drive's archive shows the repair that fitted it) — one statement
    for the links and one for the orders, however many units and orders."""
    def batch(serial_ids: list[int]) -> list[list[ServiceOrder]]:
        session = get_session(info)
        wanted = sorted(set(serial_ids))
        links = union(
            select(ServiceOrderDevice.serial_id.label("serial_id"),
                   ServiceOrderDevice.order_id.label("order_id"))
            .where(ServiceOrderDevice.serial_id.in_(wanted)),
            select(ServicePart.fitted_serial_id, ServicePart.order_id)
            .where(ServicePart.fitted_serial_id.in_(wanted)),
            select(ServicePart.removed_serial_id, ServicePart.order_id)
            .where(ServicePart.removed_serial_id.in_(wanted))).subquery()
        pairs = session.execute(select(links.c.serial_id, links.c.order_id)
                                .order_by(links.c.order_id, links.c.serial_id)).all()
        order_ids = sorted({order_id for _serial, order_id in pairs})
        orders = {o.pk: o for o in ServiceOrder.get_nodes(info, order_ids) if o is not None}
        by_unit: dict[int, list[ServiceOrder]] = defaultdict(list)
        for serial_id, order_id in pairs:  # a union: each (unit, order) once
            if order_id in orders:
                by_unit[serial_id].append(orders[order_id])
        return [by_unit.get(s, []) for s in serial_ids]

    return info.context.loaders.get("service_warranty.orders_of_unit", batch)


async def archive_service_orders(root: DeviceArchive, info: Info[Any, Any],
                                 ) -> list[ServiceOrder] | None:
    return await _orders_of_units(info).load(root.serial_id)  # type: ignore[no-any-return]


def _warranty_of_orders(info: Info[Any, Any]) -> Any:
    def batch(order_ids: list[int]) -> list[Warranty | None]:
        session = get_session(info)
        # (a Result has keys(): dict() would take it for a mapping)
        warranty_of: dict[int, int | None] = {order_id: warranty_id for order_id, warranty_id
                                              in session.execute(
            select(OrderRow.id, OrderRow.warranty_id)
            .where(OrderRow.id.in_(sorted(set(order_ids)))))}
        wanted = sorted({w for w in warranty_of.values() if w is not None})
        warranties = {w.pk: w for w in Warranty.get_nodes(info, wanted) if w is not None}
        return [warranties.get(warranty_of.get(o) or 0) for o in order_ids]

    return info.context.loaders.get("service_warranty.warranty_of_order", batch)


async def order_warranty(root: ServiceOrder, info: Info[Any, Any]) -> Warranty | None:
    return await _warranty_of_orders(info).load(root.pk)  # type: ignore[no-any-return]


def contribution() -> Contribution:
    return Contribution(type_fields={
        "DeviceArchive": [
            field(archive_service_orders, permission="service.order.read",
                  name="serviceOrders",
                  description="Every service order on the device, oldest first, with its "
                              "parts and labour — also those that fitted it or took it "
                              "out as a part."),
        ],
        "ServiceOrder": [
            field(order_warranty, permission="warranty.warranty.read", name="warranty",
                  description="The warranty that made the work free (null when it was "
                              "billable)."),
        ],
    })
