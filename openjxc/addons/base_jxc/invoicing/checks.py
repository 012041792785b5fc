"""Checks shared by invoices, payments and allocations: direction, partner, dates."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError
from openjxc.core.i18n import _

from ..partners.models import Partner
from .models import DIRECTIONS, RECEIVABLE


def check_direction(errors: list[FieldError], direction: object, field: str) -> str | None:
    """``receivable`` or ``payable``; anything else is ``INVALID``."""
    if direction in DIRECTIONS:
        return str(direction)
    errors.append(FieldError("INVALID", _("The direction is receivable or payable"),
                             field=field))
    return None


def check_partner(session: Session, errors: list[FieldError], partner_id: object,
                  direction: str | None, field: str) -> Partner | None:
    """The partner, which must be a customer for receivables and a supplier for payables
    (``NOT_FOUND`` / ``INVALID``)."""
    partner = None
    if isinstance(partner_id, int) and not isinstance(partner_id, bool):
        partner = session.get(Partner, partner_id)  # no statement when already loaded
    if partner is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown partner"), field=field))
        return None
    if direction == RECEIVABLE and not partner.is_customer:
        errors.append(FieldError("INVALID", _("{partner} is not a customer"), field=field,
                                 partner=partner.code))
    elif direction is not None and direction != RECEIVABLE and not partner.is_supplier:
        errors.append(FieldError("INVALID", _("{partner} is not a supplier"), field=field,
                                 partner=partner.code))
    return partner


def check_date(errors: list[FieldError], value: object, field: str) -> date | None:
    """A calendar date (not a timestamp); ``INVALID`` otherwise."""
    if isinstance(value, date) and type(value) is date:
        return value
    errors.append(FieldError("INVALID", _("Must be a date"), field=field))
    return None
