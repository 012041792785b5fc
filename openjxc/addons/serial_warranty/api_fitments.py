"""Host ↔ accessory at serial level: ``accessoryFit`` and ``accessoryRemove``."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Any

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased
from strawberry.types import Info

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.stock.api_types import SerialNumber
from openjxc.addons.base_jxc.stock.models import SerialNumber as SerialRow
from openjxc.core.i18n import _
from openjxc.graphql import mutation
from openjxc.graphql.payloads import run_service

from . import services
from .api_common import FIT, WarrantyError, pk
from .archive import FitmentEntry
from .models import Fitment as FitmentRow


@strawberry.enum(description="Which side of a fitment the unit is on.")
class FitmentRole(Enum):
    HOST = "host"
    ACCESSORY = "accessory"

    __labels__ = {"HOST": _("Host"), "ACCESSORY": _("Accessory")}


@strawberry.type(description="An accessory unit fitted to a host unit, from a day until "
                             "(when removed) a day.")
class Fitment:
    role: FitmentRole | None = strawberry.field(
        description="In a device archive: the archived unit's side; else null.")
    host_serial_number: str
    host_product_code: str
    accessory_serial_number: str
    accessory_product_code: str
    fitted_on: date
    removed_on: date | None
    host_serial_id: strawberry.Private[int]
    accessory_serial_id: strawberry.Private[int]

    @strawberry.field
    async def host(self, info: Info[Any, Any]) -> SerialNumber | None:
        return await _serials(info).load(self.host_serial_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def accessory(self, info: Info[Any, Any]) -> SerialNumber | None:
        return await _serials(info).load(  # type: ignore[no-any-return]
            self.accessory_serial_id)

    @classmethod
    def from_entry(cls, entry: FitmentEntry, *, with_role: bool = True) -> Fitment:
        row = entry.fitment
        return cls(role=FitmentRole(entry.role) if with_role else None,
                   host_serial_number=entry.host_number,
                   host_product_code=entry.host_product_code,
                   accessory_serial_number=entry.accessory_number,
                   accessory_product_code=entry.accessory_product_code,
                   fitted_on=row.fitted_on, removed_on=row.removed_on,
                   host_serial_id=row.host_serial_id,
                   accessory_serial_id=row.accessory_serial_id)


def _serials(info: Info[Any, Any]) -> Any:
    return info.context.loaders.get("warranty.serial",
                                    lambda ids: SerialNumber.get_nodes(info, ids))


def _fitment(session: Session, row: FitmentRow) -> Fitment:
    host, accessory = aliased(SerialRow), aliased(SerialRow)
    host_product, accessory_product = aliased(Product), aliased(Product)
    found = session.execute(
        select(host.number, host_product.code, accessory.number, accessory_product.code)
        .join(host_product, host_product.id == host.product_id)
        .join(accessory, accessory.id == row.accessory_serial_id)
        .join(accessory_product, accessory_product.id == accessory.product_id)
        .where(host.id == row.host_serial_id)).one()
    return Fitment.from_entry(FitmentEntry(row, "host", found[0], found[1], found[2],
                                           found[3]), with_role=False)


@strawberry.input
class AccessoryFitInput:
    host_serial_id: strawberry.ID
    accessory_serial_id: strawberry.ID
    fitted_on: date | None = strawberry.field(default=None, description="Empty: today.")


@strawberry.input
class AccessoryRemoveInput:
    accessory_serial_id: strawberry.ID
    removed_on: date | None = strawberry.field(default=None, description="Empty: today.")


@strawberry.type
class AccessoryFitPayload:
    fitment: Fitment | None
    errors: list[WarrantyError]  # type: ignore[valid-type]


@strawberry.type
class AccessoryRemovePayload:
    fitment: Fitment | None
    errors: list[WarrantyError]  # type: ignore[valid-type]


def accessory_fit(info: Info[Any, Any], input: AccessoryFitInput) -> AccessoryFitPayload:
    def action(session: Session) -> Fitment:
        return _fitment(session, services.fit_accessory(
            session, pk(input.host_serial_id, "SerialNumber"),
            pk(input.accessory_serial_id, "SerialNumber"), on=input.fitted_on))

    fitment, errors = run_service(info, action, WarrantyError)
    return AccessoryFitPayload(fitment=fitment, errors=errors)


def accessory_remove(info: Info[Any, Any], input: AccessoryRemoveInput,
                     ) -> AccessoryRemovePayload:
    def action(session: Session) -> Fitment:
        return _fitment(session, services.remove_accessory(
            session, pk(input.accessory_serial_id, "SerialNumber"), on=input.removed_on))

    fitment, errors = run_service(info, action, WarrantyError)
    return AccessoryRemovePayload(fitment=fitment, errors=errors)


def types() -> list[Any]:
    return [Fitment, FitmentRole, AccessoryFitInput, AccessoryRemoveInput, AccessoryFitPayload,
            AccessoryRemovePayload]


def mutations() -> list[Any]:
    return [
        mutation(accessory_fit, permission=FIT, name="accessoryFit",
                 description="Fit an accessory unit to a host unit (the catalog must list "
                             "its product as an accessory or spare part of the host's)."),
        mutation(accessory_remove, permission=FIT, name="accessoryRemove",
                 description="Take an accessory unit off its host."),
    ]
