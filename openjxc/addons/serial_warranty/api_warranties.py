"""Warranties through GraphQL: the ``Warranty`` type, ``warranties``, the public (opt-in)
``warrantyCheck``, ``warrantyExtend`` (续保, posts an invoice) and base_jxc's
``SerialNumber.warranty``.  Nested fields resolve through DataLoaders."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar

import strawberry
from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.addons.base_jxc.catalog.models import Product as ProductRow
from openjxc.addons.base_jxc.invoicing.api_types import Invoice
from openjxc.addons.base_jxc.partners.api import Partner
from openjxc.addons.base_jxc.partners.models import Partner as PartnerRow
from openjxc.addons.base_jxc.stock.api_types import SerialNumber
from openjxc.addons.base_jxc.stock.models import SerialNumber as SerialRow
from openjxc.addons.base_jxc.stock.posting import business_today
from openjxc.core.i18n import _
from openjxc.graphql import Connection, align, field, get_session, mutation, paginate
from openjxc.graphql.payloads import run_posting
from openjxc.graphql.relay import Node

from . import services
from .api_common import (
    EXTEND,
    READ,
    WarrantyError,
    WarrantyStart,
    WarrantyStatus,
    pk,
    user_id,
)
from .models import Warranty as WarrantyRow
from .models import WarrantyExtension as ExtensionRow

MAX_SEARCH = 64


@strawberry.type(name="WarrantyExtension",
                 description="An extension (续保) sold for a warranty, and its invoice.")
class WarrantyExtensionType:
    months: int
    price: Decimal = strawberry.field(description="Tax excluded.")
    sold_on: date = strawberry.field(description="The sale day.")
    previous_end_date: date
    new_end_date: date
    invoice_id: strawberry.Private[int | None]

    @field(permission="invoicing.invoice.read", description="The invoice that billed it.")
    async def invoice(self, info: Info[Any, Any]) -> Invoice | None:
        if self.invoice_id is None:
            return None
        loader = info.context.loaders.get("warranty.invoice",
                                          lambda ids: Invoice.get_nodes(info, ids))
        return await loader.load(self.invoice_id)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: ExtensionRow) -> WarrantyExtensionType:
        return cls(months=row.months, price=row.price, sold_on=row.sold_on,
                   previous_end_date=row.previous_end_date, new_end_date=row.new_end_date,
                   invoice_id=row.invoice_id)



def _extensions_of(info: Info[Any, Any]) -> Any:
    def batch(warranty_ids: list[int]) -> list[list[WarrantyExtensionType]]:
        found: dict[int, list[WarrantyExtensionType]] = defaultdict(list)
        for row in get_session(info).scalars(
                select(ExtensionRow).where(ExtensionRow.warranty_id.in_(warranty_ids))
                .order_by(ExtensionRow.id)):
            found[row.warranty_id].append(WarrantyExtensionType.from_row(row))
        return [found[i] for i in warranty_ids]

    return info.context.loaders.get("warranty.extensions", batch)


@strawberry.type(description="The warranty of one serial unit from one delivery, with the "
                             "terms it was issued with.")
class Warranty(Node):
    node_permission: ClassVar[str] = READ

    months: int
    starts_on: WarrantyStart
    covers_parts: bool
    covers_labour: bool
    alert_days: int
    delivered_on: date
    installed_on: date | None
    start_date: date
    base_end_date: date = strawberry.field(description="Start + months − 1 day.")
    end_date: date = strawberry.field(description="The base end moved by the extensions.")
    voided_on: date | None
    void_reason: str = strawberry.field(description="returned / redelivered; empty while "
                                                    "live.")
    serial_id: strawberry.Private[int]
    customer_id: strawberry.Private[int]
    _row: strawberry.Private[WarrantyRow]

    @strawberry.field(description="The status as of a day (default: today).")
    def status(self, info: Info[Any, Any], on: date | None = None) -> WarrantyStatus:
        day = on or business_today(get_session(info))
        return WarrantyStatus(services.warranty_status(self._row, day))

    @strawberry.field(description="The unit under warranty.")
    async def serial_number(self, info: Info[Any, Any]) -> SerialNumber | None:
        loader = info.context.loaders.get("warranty.serial",
                                          lambda ids: SerialNumber.get_nodes(info, ids))
        return await loader.load(self.serial_id)  # type: ignore[no-any-return]

    @field(permission="partner.partner.read", description="The customer it was sold to.")
    async def customer(self, info: Info[Any, Any]) -> Partner | None:
        loader = info.context.loaders.get("warranty.customer",
                                          lambda ids: Partner.get_nodes(info, ids))
        return await loader.load(self.customer_id)  # type: ignore[no-any-return]

    @strawberry.field(description="The extensions sold, oldest first.")
    async def extensions(self, info: Info[Any, Any]) -> list[WarrantyExtensionType]:
        return await _extensions_of(info).load(self.pk)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: WarrantyRow) -> Warranty:
        return cls(pk=row.id, months=row.months, starts_on=WarrantyStart(row.starts_on),
                   covers_parts=row.covers_parts, covers_labour=row.covers_labour,
                   alert_days=row.alert_days, delivered_on=row.delivered_on,
                   installed_on=row.installed_on, start_date=row.start_date,
                   base_end_date=row.base_end_date, end_date=row.end_date,
                   voided_on=row.voided_on, void_reason=row.void_reason,
                   serial_id=row.serial_id, customer_id=row.customer_id, _row=row)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[Warranty | None]:
        rows = get_session(info).scalars(select(WarrantyRow).where(WarrantyRow.id.in_(pks)))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda w: w.pk)


def _current(info: Info[Any, Any]) -> Any:
    def batch(serial_ids: list[int]) -> list[Warranty | None]:
        found = services.current_warranties(get_session(info), serial_ids)
        return [Warranty.from_row(found[i]) if i in found else None for i in serial_ids]

    return info.context.loaders.get("warranty.current", batch)


async def serial_warranty(root: SerialNumber, info: Info[Any, Any]) -> Warranty | None:
    """``SerialNumber.warranty``: the live warranty, else the last one voided."""
    return await _current(info).load(root.pk)  # type: ignore[no-any-return]


# -- the list ------------------------------------------------------------------------------

@strawberry.enum(description="Orders of the warranty list.")
class WarrantySort(Enum):
    END_DATE = "end_date"
    NEWEST = "newest"

    __labels__ = {"END_DATE": _("By end date"), "NEWEST": _("Newest first")}


@strawberry.input
class WarrantyFilter:
    status: WarrantyStatus | None = None
    on: date | None = strawberry.field(default=None, description="The day the status is "
                                                                  "taken on (default: today).")
    customer_code: str | None = None
    product_code: str | None = None
    serial_number: str | None = None
    ends_from: date | None = None
    ends_to: date | None = None


def _searchable(text: str | None) -> str | None:
    """``text`` (blanks around it ignored) as it may be looked up; None when no stored
    code can match it: a NUL character (PostgreSQL refuses it in a parameter) or longer
    than any code (never cut down: a prefix would match another unit)."""
    text = (text or "").strip()
    return text if "\x00" not in text and len(text) <= MAX_SEARCH else None


def _filtered(session: Session, stmt: Select[Any], f: WarrantyFilter) -> Select[Any]:
    w = WarrantyRow
    codes = [c for c in (f.customer_code, f.product_code, f.serial_number) if c]
    if any(_searchable(c) is None for c in codes):
        return stmt.where(false())
    if f.status is not None:
        stmt = stmt.where(services.status_condition(f.status.value,
                                                    f.on or business_today(session)))
    if f.customer_code:
        stmt = stmt.where(w.customer_id.in_(select(PartnerRow.id).where(
            PartnerRow.code == _searchable(f.customer_code))))
    if f.product_code:
        stmt = stmt.where(w.product_id.in_(select(ProductRow.id).where(
            ProductRow.code == _searchable(f.product_code))))
    if f.serial_number:
        stmt = stmt.where(w.serial_id.in_(select(SerialRow.id).where(
            SerialRow.number == _searchable(f.serial_number))))
    if f.ends_from is not None:
        stmt = stmt.where(w.end_date >= f.ends_from)
    if f.ends_to is not None:
        stmt = stmt.where(w.end_date <= f.ends_to)
    return stmt


def warranties(info: Info[Any, Any], filter: WarrantyFilter | None = None,
               sort: WarrantySort = WarrantySort.END_DATE, first: int | None = None,
               after: str | None = None, last: int | None = None,
               before: str | None = None) -> Connection[Warranty]:
    session = get_session(info)
    stmt = select(WarrantyRow)
    if filter is not None:
        stmt = _filtered(session, stmt, filter)
    keys: list[Any] = ([WarrantyRow.end_date] if sort == WarrantySort.END_DATE
                       else [WarrantyRow.id.desc()])
    return paginate(session, stmt, first=first, after=after, last=last, before=before,
                    sort_keys=keys, to_node=Warranty.from_row, info=info)


# -- the public check -----------------------------------------------------------------------

@strawberry.type(description="What anyone may learn of a unit's warranty: its status and "
                             "end date, nothing else.")
class WarrantyCheck:
    status: WarrantyStatus
    end_date: date


def warranty_check(info: Info[Any, Any], serial_number: str,
                   product_code: str | None = None) -> WarrantyCheck | None:
    """The current warranty of the unit with this number (of this product, when several
    products use the number: else the most recently issued); null without one."""
    session = get_session(info)
    number, product = _searchable(serial_number), _searchable(product_code)
    if not number or product is None:
        return None
    units = select(SerialRow.id).where(SerialRow.number == number)
    if product:
        units = units.where(SerialRow.product_id.in_(select(ProductRow.id).where(
            ProductRow.code == product)))
    found = services.current_warranties(session, list(session.scalars(units.limit(100))))
    if not found:
        return None
    chosen = max(found.values(), key=lambda w: (w.voided_on is None, w.id))
    return WarrantyCheck(status=WarrantyStatus(services.warranty_status(
        chosen, business_today(session))), end_date=chosen.end_date)


# -- extension -----------------------------------------------------------------------------

@strawberry.input(description="Sell an extension (续保) of a unit's warranty; billed on a "
                              "receivable invoice for its customer.")
class WarrantyExtendInput:
    serial_id: strawberry.ID = strawberry.field(description="The SerialNumber's ID.")
    months: int
    price: Decimal = strawberry.field(description="Tax excluded.")
    tax_rate: Decimal | None = strawberry.field(default=None,
                                                description="Empty: the product's.")
    sold_on: date | None = strawberry.field(default=None, description="Empty: today.")
    idempotency_key: str | None = None


@strawberry.type
class WarrantyExtendPayload:
    warranty: Warranty | None
    extension: WarrantyExtensionType | None
    errors: list[WarrantyError]  # type: ignore[valid-type]


def _extension_id(extension: ExtensionRow | None) -> int | None:
    return extension.id if extension is not None else None


def warranty_extend(info: Info[Any, Any], input: WarrantyExtendInput) -> WarrantyExtendPayload:
    serial_id = pk(input.serial_id, "SerialNumber")
    extension, errors = run_posting(
        info, lambda s: services.extend_warranty(
            s, serial_id, input.months, input.price, input.tax_rate, user_id(info),
            on=input.sold_on),
        WarrantyError, scope="warrantyExtend", idempotency_key=input.idempotency_key,
        request=input, encode=_extension_id,
        decode=lambda s, i: s.get_one(ExtensionRow, i))
    if extension is None:
        return WarrantyExtendPayload(warranty=None, extension=None, errors=errors)
    warranty = get_session(info).get_one(WarrantyRow, extension.warranty_id)
    return WarrantyExtendPayload(warranty=Warranty.from_row(warranty),
                                 extension=WarrantyExtensionType.from_row(extension),
                                 errors=errors)


def types() -> list[Any]:
    return [Warranty, WarrantyExtensionType, WarrantyStatus, WarrantySort, WarrantyFilter,
            WarrantyCheck, WarrantyExtendInput, WarrantyExtendPayload]


def queries() -> list[Any]:
    return [
        field(warranties, permission=READ,
              description="Warranties issued, by end date or newest first; filter by status "
                          "as of a day, customer, product, serial number, end dates."),
        field(warranty_check, permission=READ, public_feature="warrantyCheck",
              description="A unit's warranty status and end date.  Public where the "
                          "deployment opts in (OPENJXC_PUBLIC_FEATURES=warrantyCheck), else "
                          "for users who may read warranties."),
    ]


def mutations() -> list[Any]:
    return [mutation(warranty_extend, permission=EXTEND, name="warrantyExtend",
                     description="Sell an extension (续保): the end moves and a receivable "
                                 "invoice is posted.  Accepts idempotencyKey.")]


def serial_fields() -> list[Any]:
    return [field(serial_warranty, permission=READ, name="warranty",
                  description="The unit's current warranty: the live one, else the last one "
                              "voided; null when it never had one.")]
