"""Partner operations: plain Python, called by the API, importers, other chapters and tests.

    partner = create_partner(session, PartnerInput(
        code="C001", name="福州闽江机电有限公司", is_customer=True,
        credit_code="91350100M000100Y43", payment_terms_days=30, payment_terms_note="月结30天",
        contacts=[ContactInput(name="林工", mobile="13800000000", is_primary=True)]))
    update_partner(session, "C001", {"credit_limit": Decimal("200000")})

Every refusal is a :class:`ValidationFailed` with all the field errors at once, and
nothing is changed (the caller's savepoint rolls back).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.validation import check_decimal, check_text

from .credit_code import check_credit_code
from .events import PartnerCreated
from .models import Partner, PartnerAddress, PartnerContact

ADDRESS_KINDS = ("billing", "shipping", "site")
CUSTOMER, SUPPLIER = "customer", "supplier"
MAX_TERMS_DAYS = 999
MAX_NOTE = 2000
CREDIT_MANAGE = "partner.credit.manage"

#: Text columns: (input field name, longest text, required).
_TEXT = {
    "code": ("code", 32, True),
    "name": ("name", 200, True),
    "tax_bank": ("taxBank", 100, False),
    "tax_account": ("taxAccount", 64, False),
    "tax_address": ("taxAddress", 200, False),
    "tax_phone": ("taxPhone", 32, False),
    "payment_terms_note": ("paymentTermsNote", 100, False),
    "note": ("note", MAX_NOTE, False),
}
_FLAGS = {"is_customer": "kind", "is_supplier": "kind", "active": "active"}
_CREDIT = ("credit_limit", "credit_tolerance")
#: What :func:`update_partner` may change (the code is the partner's natural key).
UPDATABLE = frozenset(set(_TEXT) - {"code"} | set(_FLAGS) | set(_CREDIT)
                      | {"credit_code", "payment_terms_days"})
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass
class ContactInput:
    name: str
    phone: str = ""
    mobile: str = ""
    email: str = ""
    position: str = ""
    is_primary: bool = False


@dataclass
class AddressInput:
    kind: str
    address: str
    province: str = ""
    city: str = ""
    district: str = ""
    is_primary: bool = False


@dataclass
class PartnerInput:
    code: str
    name: str
    is_customer: bool = True
    is_supplier: bool = False
    credit_code: str | None = None
    tax_bank: str = ""
    tax_account: str = ""
    tax_address: str = ""
    tax_phone: str = ""
    payment_terms_days: int = 0
    payment_terms_note: str = ""
    credit_limit: Decimal | None = None
    credit_tolerance: Decimal | None = None
    note: str = ""
    contacts: Sequence[ContactInput] = field(default_factory=list)
    addresses: Sequence[AddressInput] = field(default_factory=list)


def partner_by_code(session: Session, code: str) -> Partner | None:
    """The partner with this code, or ``None``."""
    return session.scalar(select(Partner).where(Partner.code == code))


def find_partner(session: Session, errors: list[FieldError], code: str | None, field: str, *,
                 role: str | None = None) -> Partner | None:
    """The active partner ``code`` for another chapter's document, else ``None`` with an
    error for ``field`` recorded (``NOT_FOUND``, or ``INVALID`` when inactive or not a
    customer / supplier as ``role`` asks)::

        customer = find_partner(session, errors, data.customer_code, "customerCode",
                                role=CUSTOMER)
    """
    partner = partner_by_code(session, code) if code else None
    if partner is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown partner {code}"), field=field,
                                 code=code or ""))
        return None
    if not partner.active:
        errors.append(FieldError("INVALID", _("Partner {code} is inactive"), field=field,
                                 code=partner.code))
        return None
    if role == CUSTOMER and not partner.is_customer:
        errors.append(FieldError("INVALID", _("Partner {code} is not a customer"), field=field,
                                 code=partner.code))
        return None
    if role == SUPPLIER and not partner.is_supplier:
        errors.append(FieldError("INVALID", _("Partner {code} is not a supplier"), field=field,
                                 code=partner.code))
        return None
    return partner


def create_partner(session: Session, data: PartnerInput, *,
                   may_manage_credit: bool = True) -> Partner:
    """Add a partner with its contacts and addresses; publish ``partner.created``.

    The code and the credit code (when given) are unique.  A credit limit or tolerance
    is only accepted from callers who may manage credit (``may_manage_credit``).
    """
    errors: list[FieldError] = []
    values = _checked(errors, {
        "code": data.code, "name": data.name, "is_customer": data.is_customer,
        "is_supplier": data.is_supplier, "credit_code": data.credit_code,
        "tax_bank": data.tax_bank, "tax_account": data.tax_account,
        "tax_address": data.tax_address, "tax_phone": data.tax_phone,
        "payment_terms_days": data.payment_terms_days,
        "payment_terms_note": data.payment_terms_note, "credit_limit": data.credit_limit,
        "credit_tolerance": data.credit_tolerance, "note": data.note,
    })
    _check_roles(errors, data.is_customer, data.is_supplier)
    if not may_manage_credit and (data.credit_limit is not None
                                  or data.credit_tolerance is not None):
        errors.append(_credit_refused())
    contacts = [_checked_contact(errors, c, ("contacts", str(i)))
                for i, c in enumerate(data.contacts)]
    addresses = [_checked_address(errors, a, ("addresses", str(i)))
                 for i, a in enumerate(data.addresses)]
    _one_primary(errors, [c.is_primary for c in contacts], "contacts")
    for kind in ADDRESS_KINDS:
        _one_primary(errors, [a.is_primary and a.kind == kind for a in addresses], "addresses")
    _check_unique(session, errors, values, partner_id=None)
    if errors:
        raise ValidationFailed(errors)
    partner = Partner(**values)
    session.add(partner)
    session.flush()
    for contact in contacts:
        contact.partner_id = partner.id
    for address in addresses:
        address.partner_id = partner.id
    session.add_all([*contacts, *addresses])
    session.flush()
    publish(session, PartnerCreated(partner_id=partner.id, code=partner.code,
                                    is_customer=partner.is_customer,
                                    is_supplier=partner.is_supplier))
    return partner


def update_partner(session: Session, code: str, changes: Mapping[str, object], *,
                   may_manage_credit: bool = True) -> Partner:
    """Change only the fields named in ``changes`` (keys from :data:`UPDATABLE`).

    ``credit_limit: None`` removes the limit, ``credit_code: None`` (or "") clears the
    credit code; changing either credit field needs ``may_manage_credit``.
    """
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValueError(f"update_partner cannot change {sorted(unknown)}")
    partner = _require(session, code)
    errors: list[FieldError] = []
    values = _checked(errors, dict(changes))
    _check_roles(errors, bool(values.get("is_customer", partner.is_customer)),
                 bool(values.get("is_supplier", partner.is_supplier)))
    if not may_manage_credit and any(
            name in changes and changes[name] != getattr(partner, name) for name in _CREDIT):
        errors.append(_credit_refused())
    _check_unique(session, errors, values, partner_id=partner.id)
    if errors:
        raise ValidationFailed(errors)
    for name, value in values.items():
        setattr(partner, name, value)
    session.flush()
    return partner


def deactivate_partner(session: Session, code: str) -> Partner:
    """Stop offering the partner on new documents; its history and links stay."""
    return update_partner(session, code, {"active": False})


def add_contact(session: Session, partner_code: str, data: ContactInput) -> PartnerContact:
    """Add a contact; a new primary contact takes the flag from the previous one."""
    partner = _require(session, partner_code, field="partnerCode")
    errors: list[FieldError] = []
    contact = _checked_contact(errors, data, ())
    if errors:
        raise ValidationFailed(errors)
    if contact.is_primary:
        session.execute(update(PartnerContact).where(PartnerContact.partner_id == partner.id)
                        .values(is_primary=False))
    contact.partner_id = partner.id
    session.add(contact)
    session.flush()
    return contact


def add_address(session: Session, partner_code: str, data: AddressInput) -> PartnerAddress:
    """Add an address; a new primary address takes the flag from the previous one of its
    kind."""
    partner = _require(session, partner_code, field="partnerCode")
    errors: list[FieldError] = []
    address = _checked_address(errors, data, ())
    if errors:
        raise ValidationFailed(errors)
    if address.is_primary:
        session.execute(update(PartnerAddress)
                        .where(PartnerAddress.partner_id == partner.id,
                               PartnerAddress.kind == address.kind)
                        .values(is_primary=False))
    address.partner_id = partner.id
    session.add(address)
    session.flush()
    return address


def contacts_of(session: Session, partner_ids: Sequence[int]) -> dict[int, list[PartnerContact]]:
    """The contacts of several partners in one query, primary first."""
    rows = session.scalars(select(PartnerContact)
                           .where(PartnerContact.partner_id.in_(partner_ids))
                           .order_by(PartnerContact.is_primary.desc(), PartnerContact.id))
    found: dict[int, list[PartnerContact]] = {pk: [] for pk in partner_ids}
    for row in rows:
        found[row.partner_id].append(row)
    return found


def addresses_of(session: Session, partner_ids: Sequence[int],
                 ) -> dict[int, list[PartnerAddress]]:
    """The addresses of several partners in one query, by kind, primary first."""
    rows = session.scalars(select(PartnerAddress)
                           .where(PartnerAddress.partner_id.in_(partner_ids))
                           .order_by(PartnerAddress.kind, PartnerAddress.is_primary.desc(),
                                     PartnerAddress.id))
    found: dict[int, list[PartnerAddress]] = {pk: [] for pk in partner_ids}
    for row in rows:
        found[row.partner_id].append(row)
    return found


# --- checks -------------------------------------------------------------------------------

def _require(session: Session, code: str, field: str = "code") -> Partner:
    partner = partner_by_code(session, code) if isinstance(code, str) else None
    if partner is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown partner {code}"),
                                          field=field, code=str(code)))
    return partner


def _checked(errors: list[FieldError], values: dict[str, object]) -> dict[str, Any]:
    """Each value checked and normalised (a refused one recorded in ``errors``)."""
    checked: dict[str, Any] = {}
    for name, value in values.items():
        if name in _TEXT:
            api_name, longest, required = _TEXT[name]
            checked[name] = check_text(errors, value, api_name, max_length=longest,
                                       required=required)
        elif name in _FLAGS:
            if not isinstance(value, bool):
                errors.append(FieldError("INVALID", _("Must be true or false"),
                                         field=_FLAGS[name]))
            checked[name] = bool(value)
        elif name == "credit_code":
            checked[name] = check_credit_code(errors, value, "creditCode")
        elif name == "payment_terms_days":
            checked[name] = _check_days(errors, value)
        elif name == "credit_limit":
            checked[name] = None if value is None else check_decimal(
                errors, value, "creditLimit", places=2)
        elif name == "credit_tolerance":
            checked[name] = None if value is None else check_decimal(
                errors, value, "creditTolerance", places=6, maximum=Decimal(1))
    return checked


def _check_days(errors: list[FieldError], value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        errors.append(FieldError("INVALID", _("Must be a whole number of days"),
                                 field="paymentTermsDays"))
        return 0
    if value < 0:
        errors.append(FieldError("INVALID", _("Must be at least {minimum}"),
                                 field="paymentTermsDays", minimum="0"))
    elif value > MAX_TERMS_DAYS:
        errors.append(FieldError("INVALID", _("Must be at most {maximum}"),
                                 field="paymentTermsDays", maximum=str(MAX_TERMS_DAYS)))
    return value


def _check_roles(errors: list[FieldError], is_customer: bool, is_supplier: bool) -> None:
    if not (is_customer or is_supplier):
        errors.append(FieldError("INVALID", _("A partner is a customer, a supplier or both"),
                                 field="kind"))


def _credit_refused() -> FieldError:
    return FieldError("PERMISSION_DENIED",
                      _("Setting a credit limit needs the permission {permission}"),
                      field="creditLimit", permission=CREDIT_MANAGE)


def _check_unique(session: Session, errors: list[FieldError], values: dict[str, Any], *,
                  partner_id: int | None) -> None:
    others = select(Partner.id) if partner_id is None else select(Partner.id).where(
        Partner.id != partner_id)
    code = values.get("code")
    if code and session.scalar(others.where(Partner.code == code)):
        errors.append(FieldError("DUPLICATE_CODE", _("Code {code} already exists"),
                                 field="code", code=code))
    credit_code = values.get("credit_code")
    if credit_code and session.scalar(others.where(Partner.credit_code == credit_code)):
        errors.append(FieldError("DUPLICATE_CODE",
                                 _("Credit code {code} belongs to another partner"),
                                 field="creditCode", code=credit_code))


def _checked_contact(errors: list[FieldError], data: ContactInput,
                     at: tuple[str, ...]) -> PartnerContact:
    def text(value: object, name: str, longest: int, required: bool = False) -> str:
        return _nested_text(errors, at, value, name, longest, required)

    email = text(data.email, "email", 254)
    if email and not _EMAIL.fullmatch(email):
        errors.append(FieldError("INVALID", _("Not an e-mail address"),
                                 field=(*at, "email")))
    return PartnerContact(
        name=text(data.name, "name", 64, required=True), phone=text(data.phone, "phone", 32),
        mobile=text(data.mobile, "mobile", 32), email=email,
        position=text(data.position, "position", 64), is_primary=bool(data.is_primary))


def _checked_address(errors: list[FieldError], data: AddressInput,
                     at: tuple[str, ...]) -> PartnerAddress:
    def text(value: object, name: str, longest: int, required: bool = False) -> str:
        return _nested_text(errors, at, value, name, longest, required)

    if data.kind not in ADDRESS_KINDS:
        errors.append(FieldError("INVALID", _("Kind must be billing, shipping or site"),
                                 field=(*at, "kind")))
    return PartnerAddress(
        kind=data.kind, address=text(data.address, "address", 200, required=True),
        province=text(data.province, "province", 32), city=text(data.city, "city", 32),
        district=text(data.district, "district", 32), is_primary=bool(data.is_primary))


def _nested_text(errors: list[FieldError], at: tuple[str, ...], value: object, name: str,
                 longest: int, required: bool) -> str:
    """:func:`check_text` for a field of a nested input (``["contacts", "2", "email"]``)."""
    found: list[FieldError] = []
    result = check_text(found, value, name, max_length=longest, required=required)
    errors.extend(FieldError(e.code, e.message, field=(*at, *e.field), **e.params)
                  for e in found)
    return result


def _one_primary(errors: list[FieldError], flags: list[bool], where: str) -> None:
    primaries = [i for i, flag in enumerate(flags) if flag]
    for i in primaries[1:]:
        errors.append(FieldError("INVALID", _("Only one can be the primary one"),
                                 field=(where, str(i), "isPrimary")))
