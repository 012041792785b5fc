"""The parts every printed document shares: the company's letterhead, a partner's block,
the product lines and the totals.

They are plain frozen values, never ORM objects: a template can print only what a loader
chose to hand it (no cost, no margin, no lazy load from the database while rendering).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from openjxc.core.i18n import LazyString
from openjxc.core.security import Principal
from openjxc.core.security.models import User

from ..catalog.models import Product
from ..partners.models import Partner, PartnerAddress, PartnerContact
from ..policies.services import get_policy
from ..stock.models import Warehouse
from .labels import payment_terms

#: Policy keys of the letterhead (set them with ``policySet``; empty until then).
COMPANY_KEYS = ("name", "address", "phone", "tax_id", "bank", "bank_account")


@dataclass(frozen=True)
class Company:
    """The letterhead: who issues the document."""

    name: str
    address: str
    phone: str
    tax_id: str
    bank: str
    bank_account: str


@dataclass(frozen=True)
class Party:
    """A customer or supplier as a document prints it."""

    name: str
    code: str
    credit_code: str
    address: str
    phone: str
    contact: str
    bank: str
    bank_account: str
    payment_terms: LazyString | str
    #: Where goods go (the document's address, else the partner's primary shipping one).
    ship_to: str


@dataclass(frozen=True)
class Line:
    """One printed line; ``serials``, ``batch`` and ``location`` only on delivery notes."""

    code: str
    name: str
    model_spec: str
    unit: str
    #: The line's own wording when it differs from the product name.
    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    amount: Decimal
    tax: Decimal
    total: Decimal
    batch: str = ""
    expires_on: date | None = None
    serials: tuple[str, ...] = ()
    location: str = ""


@dataclass(frozen=True)
class Totals:
    untaxed: Decimal
    tax: Decimal
    total: Decimal

    @classmethod
    def of(cls, lines: Sequence[Line]) -> Totals:
        return cls(sum((line.amount for line in lines), Decimal(0)),
                   sum((line.tax for line in lines), Decimal(0)),
                   sum((line.total for line in lines), Decimal(0)))


@dataclass(frozen=True)
class Place:
    """A warehouse as printed (ship from / deliver to)."""

    code: str
    name: str
    address: str


def visible(principal: Principal | None, permission: str, warehouse_id: int | None) -> bool:
    """Whether ``principal`` may print a document of ``warehouse_id``.

    Without the report's permission it is refused outright (``PermissionDenied``, whoever
    called); outside the principal's warehouse scope the document does not exist for them
    (the loader answers None, the endpoint 404), as in every list.  No principal: a trusted
    caller (the CLI, a service) that checked for itself.
    """
    if principal is None:
        return True
    principal.require(permission)
    return warehouse_id is None or principal.allowed("warehouse", warehouse_id)


def company(session: Session) -> Company:
    """The letterhead from the ``company.*`` policies."""
    return Company(*(str(get_policy(session, f"company.{key}")) for key in COMPANY_KEYS))


def party(session: Session, partner_id: int, ship_to_id: int | None = None) -> Party:
    """The partner's block: its VAT address and phone if it has them (what its invoices
    say), else its primary billing address and primary contact."""
    partner = session.get(Partner, partner_id)
    if partner is None:  # the foreign key makes this a broken database, not a user error
        raise LookupError(f"partner {partner_id} does not exist")
    addresses = list(session.scalars(select(PartnerAddress).where(
        PartnerAddress.partner_id == partner_id).order_by(PartnerAddress.id)))
    contacts = list(session.scalars(select(PartnerContact).where(
        PartnerContact.partner_id == partner_id).order_by(PartnerContact.id)))
    contact = next((c for c in contacts if c.is_primary), contacts[0] if contacts else None)
    billing = _address(addresses, "billing")
    chosen = next((a for a in addresses if a.id == ship_to_id), None)
    shipping = (chosen or _address(addresses, "shipping") or _address(addresses, "site")
                or billing)
    return Party(
        name=partner.name, code=partner.code, credit_code=partner.credit_code or "",
        address=partner.tax_address or (billing.address if billing else ""),
        phone=partner.tax_phone or (contact.phone or contact.mobile if contact else ""),
        contact=contact.name if contact else "",
        bank=partner.tax_bank, bank_account=partner.tax_account,
        payment_terms=payment_terms(partner.payment_terms_days, partner.payment_terms_note),
        ship_to=shipping.address if shipping else "",
    )


def _address(addresses: Sequence[PartnerAddress], kind: str) -> PartnerAddress | None:
    """The primary address of ``kind``, else the first one of that kind."""
    of_kind = [a for a in addresses if a.kind == kind]
    return next((a for a in of_kind if a.is_primary), of_kind[0] if of_kind else None)


def place(session: Session, warehouse_id: int) -> Place:
    warehouse = session.get(Warehouse, warehouse_id)
    if warehouse is None:
        raise LookupError(f"warehouse {warehouse_id} does not exist")
    return Place(warehouse.code, warehouse.name, warehouse.address)


def user_name(session: Session, user_id: int | None) -> str:
    """Who prepared the document: the user's full name, else their login; "" if unknown."""
    if user_id is None:
        return ""
    row = session.execute(select(User.full_name, User.username).where(User.id == user_id)
                          ).first()
    return "" if row is None else (row.full_name or row.username)


def priced_lines(session: Session, line_model: Any, parent: InstrumentedAttribute[int],
                 parent_id: int) -> list[Line]:
    """The lines of a quotation, sales order or purchase order, with their products, in
    one statement; amounts as stored on the lines (what was agreed)."""
    rows = session.execute(
        select(line_model, *PRODUCT_COLUMNS)
        .join(Product, Product.id == line_model.product_id)
        .where(parent == parent_id)
        .order_by(line_model.position, line_model.id))
    return [
        product_line(row, getattr(row[0], "description", ""), quantity=row[0].quantity,
                     unit_price=row[0].unit_price, tax_rate=row[0].tax_rate,
                     amount=row[0].amount, tax=row[0].tax, total=row[0].total)
        for row in rows
    ]


#: The product columns a printed line shows (never its cost or standard price).
PRODUCT_COLUMNS = (Product.code.label("product_code"), Product.name.label("product_name"),
                   Product.model.label("product_model"), Product.spec.label("product_spec"),
                   Product.unit.label("product_unit"))


def product_line(row: Any, description: str, **values: Any) -> Line:
    """A :class:`Line` from a row carrying :data:`PRODUCT_COLUMNS` and the line's values."""
    model_spec = " ".join(part for part in (row.product_model, row.product_spec) if part)
    return Line(code=row.product_code,
                name=row.product_name, model_spec=model_spec, unit=row.product_unit,
                description=description if description != row.product_name else "",
                **values)
