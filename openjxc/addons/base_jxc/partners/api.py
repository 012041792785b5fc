"""The partners' GraphQL types and queries: a thin skin over :mod:`.services`.

Contacts and addresses resolve through per-request DataLoaders, so a page of partners
with both costs the same few statements whatever its size.  The credit limit is visible only
with ``partner.credit.read`` (``null`` and ``FORBIDDEN`` at its path for others).
The mutations live in :mod:`.mutations`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, ClassVar

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from openjxc.core.i18n import _
from openjxc.graphql import (
    Connection,
    Contribution,
    Node,
    align,
    apply_filter_extensions,
    field,
    get_session,
    make_user_error_type,
    paginate,
)

from . import models, services

#: Longer search terms are cut: nothing longer can match a code, name or credit code.
MAX_SEARCH = 200
READ = "partner.partner.read"


@strawberry.enum(description="What a partner is to the dealer.")
class PartnerKind(Enum):
    CUSTOMER = "customer"
    SUPPLIER = "supplier"
    BOTH = "both"

    __labels__ = {"CUSTOMER": _("Customer"), "SUPPLIER": _("Supplier"),
                  "BOTH": _("Customer and supplier")}

    @property
    def flags(self) -> tuple[bool, bool]:
        """``(is_customer, is_supplier)``."""
        return self is not PartnerKind.SUPPLIER, self is not PartnerKind.CUSTOMER

    @classmethod
    def of(cls, is_customer: bool, is_supplier: bool) -> PartnerKind:
        if is_customer and is_supplier:
            return cls.BOTH
        return cls.SUPPLIER if is_supplier else cls.CUSTOMER


@strawberry.enum(description="A role to look for in the partner list.")
class PartnerRole(Enum):
    CUSTOMER = "customer"
    SUPPLIER = "supplier"

    __labels__ = {"CUSTOMER": _("Customers"), "SUPPLIER": _("Suppliers")}


@strawberry.enum(description="What an address is used for.")
class AddressKind(Enum):
    BILLING = "billing"
    SHIPPING = "shipping"
    SITE = "site"

    __labels__ = {"BILLING": _("Billing address"), "SHIPPING": _("Shipping address"),
                  "SITE": _("Site (where equipment is installed)")}


@strawberry.enum(description="Orders of the partner list.")
class PartnerSort(Enum):
    CODE = "code"
    NAME = "name"
    CREATED_AT = "created_at"

    __labels__ = {"CODE": _("By code"), "NAME": _("By name"),
                  "CREATED_AT": _("By creation time")}


@strawberry.enum
class PartnerErrorCode(Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE_CODE = "DUPLICATE_CODE"
    INVALID_CREDIT_CODE = "INVALID_CREDIT_CODE"
    PERMISSION_DENIED = "PERMISSION_DENIED"


PartnerError = make_user_error_type("Partner", PartnerErrorCode)


@strawberry.type(description="A person to call at a partner.")
class PartnerContact(Node):
    node_permission: ClassVar[str] = READ

    name: str
    phone: str
    mobile: str
    email: str
    position: str
    is_primary: bool

    @classmethod
    def from_row(cls, row: models.PartnerContact) -> PartnerContact:
        return cls(pk=row.id, name=row.name, phone=row.phone, mobile=row.mobile,
                   email=row.email, position=row.position, is_primary=row.is_primary)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[PartnerContact | None]:
        rows = get_session(info).scalars(select(models.PartnerContact)
                                         .where(models.PartnerContact.id.in_(pks)))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda c: c.pk)


@strawberry.type(description="A billing, shipping or site address of a partner.")
class PartnerAddress(Node):
    node_permission: ClassVar[str] = READ

    kind: AddressKind
    address: str = strawberry.field(description="The whole address, as on a delivery note.")
    province: str
    city: str
    district: str
    is_primary: bool

    @classmethod
    def from_row(cls, row: models.PartnerAddress) -> PartnerAddress:
        return cls(pk=row.id, kind=AddressKind(row.kind), address=row.address,
                   province=row.province, city=row.city, district=row.district,
                   is_primary=row.is_primary)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[PartnerAddress | None]:
        rows = get_session(info).scalars(select(models.PartnerAddress)
                                         .where(models.PartnerAddress.id.in_(pks)))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda a: a.pk)


def _contacts_loader(info: Info[Any, Any]) -> Any:
    def batch(ids: list[int]) -> list[list[PartnerContact]]:
        found = services.contacts_of(get_session(info), ids)
        return [[PartnerContact.from_row(r) for r in found[pk]] for pk in ids]

    return info.context.loaders.get("partners.contacts", batch)


def _addresses_loader(info: Info[Any, Any]) -> Any:
    def batch(ids: list[int]) -> list[list[PartnerAddress]]:
        found = services.addresses_of(get_session(info), ids)
        return [[PartnerAddress.from_row(r) for r in found[pk]] for pk in ids]

    return info.context.loaders.get("partners.addresses", batch)


@strawberry.type(description="A customer, a supplier, or both.")
class Partner(Node):
    node_permission: ClassVar[str] = READ

    code: str
    name: str
    kind: PartnerKind
    is_customer: bool
    is_supplier: bool
    credit_code: str | None = strawberry.field(
        description="统一社会信用代码 (GB 32100-2015); null for individuals.")
    tax_bank: str = strawberry.field(description="Bank printed on VAT invoices.")
    tax_account: str = strawberry.field(description="Bank account printed on VAT invoices.")
    tax_address: str = strawberry.field(description="Address printed on VAT invoices.")
    tax_phone: str = strawberry.field(description="Phone printed on VAT invoices.")
    payment_terms_days: int = strawberry.field(
        description="Days from invoice to due date (月结30天 → 30; 0: cash).")
    payment_terms_note: str
    currency: str
    active: bool
    note: str
    created_at: datetime
    _credit_limit: strawberry.Private[Decimal | None]
    _credit_tolerance: strawberry.Private[Decimal | None]

    @field(permission="partner.credit.read",
           description="Credit limit in CNY; null without a limit (or without permission).")
    def credit_limit(self) -> Decimal | None:
        return self._credit_limit

    @field(permission="partner.credit.read",
           description="How far above the limit orders may go, as a fraction (0.1 = 10%).")
    def credit_tolerance(self) -> Decimal | None:
        return self._credit_tolerance

    # Whoever reached a partner may read its contacts and addresses: no second check.
    @strawberry.field(description="Contacts, the primary one first.")
    async def contacts(self, info: Info[Any, Any]) -> list[PartnerContact]:
        return await _contacts_loader(info).load(self.pk)  # type: ignore[no-any-return]

    @strawberry.field(description="Addresses by kind, the primary one of each first.")
    async def addresses(self, info: Info[Any, Any]) -> list[PartnerAddress]:
        return await _addresses_loader(info).load(self.pk)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: models.Partner) -> Partner:
        return cls(pk=row.id, code=row.code, name=row.name,
                   kind=PartnerKind.of(row.is_customer, row.is_supplier),
                   is_customer=row.is_customer, is_supplier=row.is_supplier,
                   credit_code=row.credit_code, tax_bank=row.tax_bank,
                   tax_account=row.tax_account, tax_address=row.tax_address,
                   tax_phone=row.tax_phone, payment_terms_days=row.payment_terms_days,
                   payment_terms_note=row.payment_terms_note, currency=row.currency,
                   active=row.active, note=row.note, created_at=row.created_at,
                   _credit_limit=row.credit_limit, _credit_tolerance=row.credit_tolerance)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[Partner | None]:
        rows = get_session(info).scalars(select(models.Partner)
                                         .where(models.Partner.id.in_(pks)))
        return align(pks, [cls.from_row(r) for r in rows], key=lambda p: p.pk)


@strawberry.input(description="Narrow the partner list; all given conditions must hold.")
class PartnerFilter:
    search: str | None = strawberry.field(
        default=None, description="Part of the code, name or credit code.")
    role: PartnerRole | None = None
    active: bool | None = None


def partners(info: Info[Any, Any], filter: PartnerFilter | None = None,
             sort: PartnerSort = PartnerSort.CODE, first: int | None = None,
             after: str | None = None, last: int | None = None,
             before: str | None = None) -> Connection[Partner]:
    row = models.Partner
    stmt = select(row)
    if filter is not None:
        if filter.search:
            term = filter.search[:MAX_SEARCH]
            stmt = stmt.where(row.code.icontains(term, autoescape=True)
                              | row.name.icontains(term, autoescape=True)
                              | row.credit_code.icontains(term.upper(), autoescape=True))
        if filter.role is PartnerRole.CUSTOMER:
            stmt = stmt.where(row.is_customer.is_(True))
        elif filter.role is PartnerRole.SUPPLIER:
            stmt = stmt.where(row.is_supplier.is_(True))
        if filter.active is not None:
            stmt = stmt.where(row.active.is_(filter.active))
    stmt = apply_filter_extensions(info, "PartnerFilter", stmt, filter)
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=[getattr(row, sort.value)],
                    to_node=Partner.from_row, info=info)


def partner(info: Info[Any, Any], code: str) -> Partner | None:
    row = services.partner_by_code(get_session(info), code)
    return Partner.from_row(row) if row is not None else None


def contribution() -> Contribution:
    from .mutations import mutations, types

    return Contribution(
        types=[Partner, PartnerContact, PartnerAddress, PartnerFilter, PartnerKind,
               PartnerRole, AddressKind, PartnerSort, PartnerError, *types()],
        queries=[
            field(partners, permission=READ,
                  description="Customers and suppliers, filtered and sorted."),
            field(partner, permission=READ, description="The partner with this code, or null."),
        ],
        mutations=mutations(),
    )
