"""The partners' mutations: ``partnerCreate``, ``partnerUpdate``, ``partnerContactAdd``,
``partnerAddressAdd``.  Each takes one ``input:`` and answers ``{ <noun> errors }``; a
payload with errors changed nothing.  Setting a credit limit needs
``partner.credit.manage`` (a ``PERMISSION_DENIED`` error at ``creditLimit`` otherwise).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import strawberry
from strawberry.types import Info

from openjxc.graphql import mutation
from openjxc.graphql.payloads import run_service

from . import services
from .api import AddressKind, Partner, PartnerAddress, PartnerContact, PartnerError, PartnerKind


def _may_manage_credit(info: Info[Any, Any]) -> bool:
    principal = getattr(info.context, "principal", None)
    return principal is not None and principal.has(services.CREDIT_MANAGE)


@strawberry.input(description="A contact given with a new partner.")
class PartnerContactInput:
    name: str
    phone: str = ""
    mobile: str = ""
    email: str = ""
    position: str = ""
    is_primary: bool = False

    def to_data(self) -> services.ContactInput:
        return services.ContactInput(name=self.name, phone=self.phone, mobile=self.mobile,
                                     email=self.email, position=self.position,
                                     is_primary=self.is_primary)


@strawberry.input(description="An address given with a new partner.")
class PartnerAddressInput:
    kind: AddressKind
    address: str
    province: str = ""
    city: str = ""
    district: str = ""
    is_primary: bool = False

    def to_data(self) -> services.AddressInput:
        return services.AddressInput(kind=self.kind.value, address=self.address,
                                     province=self.province, city=self.city,
                                     district=self.district, is_primary=self.is_primary)


@strawberry.input
class PartnerCreateInput:
    code: str
    name: str
    kind: PartnerKind
    credit_code: str | None = None
    tax_bank: str = ""
    tax_account: str = ""
    tax_address: str = ""
    tax_phone: str = ""
    payment_terms_days: int = 0
    payment_terms_note: str = ""
    credit_limit: Decimal | None = strawberry.field(
        default=None, description="CNY; null for no limit.  Needs partner.credit.manage.")
    credit_tolerance: Decimal | None = None
    note: str = ""
    contacts: list[PartnerContactInput] = strawberry.field(default_factory=list)
    addresses: list[PartnerAddressInput] = strawberry.field(default_factory=list)


@strawberry.type
class PartnerCreatePayload:
    partner: Partner | None
    errors: list[PartnerError]  # type: ignore[valid-type]


def partner_create(info: Info[Any, Any], input: PartnerCreateInput) -> PartnerCreatePayload:
    is_customer, is_supplier = input.kind.flags
    data = services.PartnerInput(
        code=input.code, name=input.name, is_customer=is_customer, is_supplier=is_supplier,
        credit_code=input.credit_code, tax_bank=input.tax_bank, tax_account=input.tax_account,
        tax_address=input.tax_address, tax_phone=input.tax_phone,
        payment_terms_days=input.payment_terms_days,
        payment_terms_note=input.payment_terms_note, credit_limit=input.credit_limit,
        credit_tolerance=input.credit_tolerance, note=input.note,
        contacts=[c.to_data() for c in input.contacts],
        addresses=[a.to_data() for a in input.addresses])
    manage = _may_manage_credit(info)
    row, errors = run_service(info, lambda s: services.create_partner(
        s, data, may_manage_credit=manage), PartnerError)
    return PartnerCreatePayload(partner=Partner.from_row(row) if row else None, errors=errors)


@strawberry.input(description="The partner to change (by code) and only the fields to change; "
                              "a field left out keeps its value.")
class PartnerUpdateInput:
    code: str
    name: str | None = strawberry.UNSET
    kind: PartnerKind | None = strawberry.UNSET
    credit_code: str | None = strawberry.field(
        default=strawberry.UNSET, description="null or \"\" clears it.")
    tax_bank: str | None = strawberry.UNSET
    tax_account: str | None = strawberry.UNSET
    tax_address: str | None = strawberry.UNSET
    tax_phone: str | None = strawberry.UNSET
    payment_terms_days: int | None = strawberry.UNSET
    payment_terms_note: str | None = strawberry.UNSET
    credit_limit: Decimal | None = strawberry.field(
        default=strawberry.UNSET, description="null removes the limit.  Needs "
                                              "partner.credit.manage.")
    credit_tolerance: Decimal | None = strawberry.UNSET
    active: bool | None = strawberry.UNSET
    note: str | None = strawberry.UNSET

    def changes(self) -> dict[str, object]:
        """The fields given, by service name (``kind`` as the two role flags)."""
        given: dict[str, object] = {
            name: getattr(self, name) for name in services.UPDATABLE
            if name not in ("is_customer", "is_supplier")
            and getattr(self, name) is not strawberry.UNSET}
        if self.kind is not strawberry.UNSET:
            given["is_customer"], given["is_supplier"] = (
                self.kind.flags if self.kind is not None else (None, None))
        return given


@strawberry.type
class PartnerUpdatePayload:
    partner: Partner | None
    errors: list[PartnerError]  # type: ignore[valid-type]


def partner_update(info: Info[Any, Any], input: PartnerUpdateInput) -> PartnerUpdatePayload:
    changes = input.changes()
    manage = _may_manage_credit(info)
    row, errors = run_service(info, lambda s: services.update_partner(
        s, input.code, changes, may_manage_credit=manage), PartnerError)
    return PartnerUpdatePayload(partner=Partner.from_row(row) if row else None, errors=errors)


@strawberry.input
class PartnerContactAddInput:
    partner_code: str
    name: str
    phone: str = ""
    mobile: str = ""
    email: str = ""
    position: str = ""
    is_primary: bool = strawberry.field(
        default=False, description="Makes it the primary contact instead of the current one.")


@strawberry.type
class PartnerContactAddPayload:
    partner_contact: PartnerContact | None
    errors: list[PartnerError]  # type: ignore[valid-type]


def partner_contact_add(info: Info[Any, Any], input: PartnerContactAddInput,
                        ) -> PartnerContactAddPayload:
    data = services.ContactInput(name=input.name, phone=input.phone, mobile=input.mobile,
                                 email=input.email, position=input.position,
                                 is_primary=input.is_primary)
    row, errors = run_service(info, lambda s: services.add_contact(s, input.partner_code, data),
                              PartnerError)
    return PartnerContactAddPayload(
        partner_contact=PartnerContact.from_row(row) if row else None, errors=errors)


@strawberry.input
class PartnerAddressAddInput:
    partner_code: str
    kind: AddressKind
    address: str
    province: str = ""
    city: str = ""
    district: str = ""
    is_primary: bool = strawberry.field(
        default=False, description="Makes it the primary address of its kind.")


@strawberry.type
class PartnerAddressAddPayload:
    partner_address: PartnerAddress | None
    errors: list[PartnerError]  # type: ignore[valid-type]


def partner_address_add(info: Info[Any, Any], input: PartnerAddressAddInput,
                        ) -> PartnerAddressAddPayload:
    data = services.AddressInput(kind=input.kind.value, address=input.address,
                                 province=input.province, city=input.city,
                                 district=input.district, is_primary=input.is_primary)
    row, errors = run_service(info, lambda s: services.add_address(s, input.partner_code, data),
                              PartnerError)
    return PartnerAddressAddPayload(
        partner_address=PartnerAddress.from_row(row) if row else None, errors=errors)


def types() -> list[Any]:
    return [PartnerContactInput, PartnerAddressInput]


def mutations() -> list[Any]:
    return [
        mutation(partner_create, permission="partner.partner.create", name="partnerCreate"),
        mutation(partner_update, permission="partner.partner.update", name="partnerUpdate"),
        mutation(partner_contact_add, permission="partner.partner.update",
                 name="partnerContactAdd"),
        mutation(partner_address_add, permission="partner.partner.update",
                 name="partnerAddressAdd"),
    ]
