"""``SerialNumber.archive``: a device's whole life (设备档案) in one query, fetched with a
constant number of statements however long its history (and however many units a list
asks it for: one DataLoader batch).  Each section needs the permission of the documents it
shows; a user limited to some warehouses sees only the moves touching them, as in
``stockMoves`` (and the receipts, sales and returns of those moves); the service_warranty
bridge adds ``DeviceArchive.serviceOrders``."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from openjxc.addons.base_jxc.stock.api_scoping import warehouse_scope
from openjxc.addons.base_jxc.stock.api_types import SerialNumber, StockMove
from openjxc.graphql import field, get_session

from . import services
from .api_common import READ
from .api_fitments import Fitment
from .api_warranties import Warranty
from .archive import Archive


@strawberry.type(description="A purchase receipt that brought the unit in.")
class ArchivePurchase:
    receipt_number: str
    order_number: str
    supplier_code: str
    supplier_name: str
    received_on: date
    _unit_cost: strawberry.Private[Decimal]

    @field(permission="stock.cost.read", description="What the unit cost.")
    def unit_cost(self) -> Decimal | None:
        return self._unit_cost


@strawberry.type(description="A sales delivery that took the unit to a customer.")
class ArchiveSale:
    order_number: str
    delivery_number: str
    customer_code: str
    customer_name: str
    delivered_on: date


@strawberry.type(description="A customer return that brought the unit back.")
class ArchiveReturn:
    code: str
    customer_code: str
    customer_name: str
    received_on: date
    reason: str
    disposition: str = strawberry.field(description="restock / scrap / supplier; empty "
                                                    "until inspected.")


@strawberry.type(description="A device's whole life: purchase, every move, sales, "
                             "returns, warranties with their extensions, fitments.")
class DeviceArchive:
    serial_id: strawberry.Private[int]
    _archive: strawberry.Private[Archive]

    @field(permission="purchase.order.read",
           description="The receipts that brought it in: supplier, date, cost.")
    def purchases(self) -> list[ArchivePurchase] | None:
        return [ArchivePurchase(receipt_number=p.receipt_number, order_number=p.order_number,
                                supplier_code=p.supplier_code, supplier_name=p.supplier_name,
                                received_on=p.received_on, _unit_cost=p.unit_cost)
                for p in self._archive.purchases]

    @field(permission="stock.move.read", description="Every move, oldest first.")
    def moves(self) -> list[StockMove] | None:
        return [StockMove.from_row(m) for m in self._archive.moves]

    @field(permission="sales.order.read", description="The deliveries to customers.")
    def sales(self) -> list[ArchiveSale] | None:
        return [ArchiveSale(order_number=s.order_number, delivery_number=s.delivery_number,
                            customer_code=s.customer_code, customer_name=s.customer_name,
                            delivered_on=s.delivered_on) for s in self._archive.sales]

    @field(permission="sales.return.read", description="The customer returns.")
    def returns(self) -> list[ArchiveReturn] | None:
        return [ArchiveReturn(code=r.code, customer_code=r.customer_code,
                              customer_name=r.customer_name, received_on=r.received_on,
                              reason=r.reason, disposition=r.disposition)
                for r in self._archive.returns]

    @strawberry.field(description="Every warranty it had, with its extensions.")
    def warranties(self) -> list[Warranty]:
        return [Warranty.from_row(w) for w in self._archive.warranties]

    @strawberry.field(description="Accessories fitted to it, and hosts it was fitted to "
                                  "(fitted and removed).")
    def fitments(self) -> list[Fitment]:
        return [Fitment.from_entry(f) for f in self._archive.fitments]


def _archives(info: Info[Any, Any]) -> Any:
    def batch(serial_ids: list[int]) -> list[DeviceArchive]:
        found = services.device_archives(get_session(info), serial_ids,
                                         warehouse_ids=warehouse_scope(info))
        return [DeviceArchive(serial_id=a.serial_id, _archive=a) for a in found]

    return info.context.loaders.get("warranty.archive", batch)


async def serial_archive(root: SerialNumber, info: Info[Any, Any]) -> DeviceArchive | None:
    return await _archives(info).load(root.pk)  # type: ignore[no-any-return]


def types() -> list[Any]:
    return [DeviceArchive, ArchivePurchase, ArchiveSale, ArchiveReturn]


def serial_fields() -> list[Any]:
    return [field(serial_archive, permission=READ, name="archive",
                  description="The unit's whole life in one query (设备档案).")]
