"""``scan(code:)``: what a PDA's scanned code is, in one round trip.

The answer is one object rather than a union, so a PDA client needs one fragment:
``kind`` says what matched (``LOCATION``, ``PRODUCT``, ``SERIAL``, ``BATCH`` or
``UNKNOWN``) and the matching fields are filled (the others are null or empty).  A serial
or batch number shared by several products gives them all; ``product`` is then null
unless they all belong to one product::

    { scan(code: "YE3-2026-0001") { kind product { code } serials { number state
                                                                     location { code } } } }
"""

from __future__ import annotations

from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from openjxc.addons.base_jxc.catalog.api import Product
from openjxc.core.i18n import _
from openjxc.graphql import field, get_session

from .api_types import (
    Batch,
    Location,
    SerialNumber,
    load_batches,
    load_locations,
    load_products,
    visible_locations,
)
from .scan import resolve_code


@strawberry.enum(description="What a scanned code turned out to be.")
class ScanKind(Enum):
    LOCATION = "location"
    PRODUCT = "product"
    SERIAL = "serial"
    BATCH = "batch"
    UNKNOWN = "unknown"

    __labels__ = {"LOCATION": _("Location"), "PRODUCT": _("Product"),
                  "SERIAL": _("Serial number"), "BATCH": _("Batch"),
                  "UNKNOWN": _("Unknown code")}


@strawberry.type(description="What a scanned code names: tried as a location code, then a "
                             "product code or barcode, then serial numbers, then batch numbers.")
class ScanResult:
    code: str
    kind: ScanKind
    product_id: strawberry.Private[int | None]
    location_id: strawberry.Private[int | None]
    serial_ids: strawberry.Private[list[int]]
    batch_ids: strawberry.Private[list[int]]

    @strawberry.field(description="The product scanned, or the one product of the serials or "
                                  "batches found.")
    async def product(self, info: Info[Any, Any]) -> Product | None:
        if self.product_id is None:
            return None
        return await load_products(info).load(self.product_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def location(self, info: Info[Any, Any]) -> Location | None:
        if self.location_id is None:
            return None
        return await load_locations(info).load(self.location_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Serial units with this number (one per product).")
    def serials(self, info: Info[Any, Any]) -> list[SerialNumber]:
        if not self.serial_ids:
            return []
        return [s for s in SerialNumber.get_nodes(info, self.serial_ids) if s is not None]

    @strawberry.field(description="Batches with this number (one per product).")
    async def batches(self, info: Info[Any, Any]) -> list[Batch]:
        found = await load_batches(info).load_many(self.batch_ids)
        return [b for b in found if b is not None]


def scan(info: Info[Any, Any], code: str) -> ScanResult:
    match = resolve_code(get_session(info), code, visible_locations=visible_locations(info))
    return ScanResult(code=match.code, kind=ScanKind(match.kind), product_id=match.product_id,
                      location_id=match.location_id, serial_ids=match.serial_ids,
                      batch_ids=match.batch_ids)


TYPES = [ScanKind, ScanResult]


def query_fields() -> list[Any]:
    return [field(scan, permission="stock.level.read",
                  description="Resolve a scanned code: location, product code or barcode, "
                              "serial number or batch number, in that order.")]
