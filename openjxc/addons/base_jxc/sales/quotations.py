"""Quotations (报价单): priced offers to a customer, valid until a date.

A quotation is a ``draft``, then ``sent``; the customer accepts it (it is converted into a
draft sales order with the same lines and prices: ``accepted``) or turns it down
(``rejected``).  Past ``valid_until`` an open quotation is ``expired`` — a state computed
when it is read, so no job has to run at midnight — and can no longer be converted
(``QUOTATION_EXPIRED``); a new quotation is made instead.  ``valid_until`` defaults to the
quotation date plus the policy ``sales.quotation_valid_days`` (30).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.validation import check_text

from ..policies.services import get_policy
from ..stock.posting import business_today
from .lines import SalesLineInput, check_lines, totals
from .models import (
    Q_ACCEPTED,
    Q_DRAFT,
    Q_EXPIRED,
    Q_REJECTED,
    Q_SENT,
    Quotation,
    QuotationLine,
    SalesOrder,
)
from .orders import add_numbered, check_customer, check_warehouse, create_sales_order

NUMBER_PREFIX = "BJ"
VALID_DAYS_POLICY = "sales.quotation_valid_days"
#: Open states: still waiting for the customer's answer.
OPEN = (Q_DRAFT, Q_SENT)

_STATE_LABELS = {Q_DRAFT: _("draft"), Q_SENT: _("sent"), Q_ACCEPTED: _("accepted"),
                 Q_REJECTED: _("rejected"), Q_EXPIRED: _("expired")}


def quotation_state(quotation: Quotation, today: date) -> str:
    """The state as users see it: an open quotation past its date is ``expired``."""
    if quotation.state in OPEN and quotation.valid_until < today:
        return Q_EXPIRED
    return quotation.state


def _refused(quotation: Quotation, state: str, message: object,
             code: str = "INVALID_STATE") -> ValidationFailed:
    return ValidationFailed(FieldError(code, message, field="id", number=quotation.number,
                                       state=_STATE_LABELS.get(state, state)))


def lock_quotation(session: Session, quotation_id: int | None) -> Quotation:
    quotation = None
    if quotation_id is not None:
        quotation = session.scalar(select(Quotation).where(Quotation.id == quotation_id)
                                   .with_for_update()
                                   .execution_options(populate_existing=True))
    if quotation is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown quotation"), field="id"))
    return quotation


def create_quotation(session: Session, *, customer_id: int | None,
                     lines: Sequence[SalesLineInput], warehouse_id: int | None = None,
                     quote_date: date | None = None, valid_until: date | None = None,
                     note: str = "", user_id: int | None = None) -> Quotation:
    """A draft quotation with priced lines (list prices and product tax rates unless
    given)."""
    errors: list[FieldError] = []
    check_customer(session, errors, customer_id)
    if warehouse_id is not None:
        check_warehouse(session, errors, warehouse_id)
    note = check_text(errors, note, "note", max_length=400)
    quote_date = quote_date or business_today(session)
    if valid_until is None:
        valid_until = quote_date + timedelta(days=int(get_policy(session, VALID_DAYS_POLICY)))
    elif valid_until < quote_date:
        errors.append(FieldError("INVALID", _("A quotation cannot expire before it is made"),
                                 field="validUntil"))
    priced = check_lines(session, errors, lines)
    if errors:
        raise ValidationFailed(errors)
    assert customer_id is not None
    quotation = Quotation(customer_id=customer_id, warehouse_id=warehouse_id, state=Q_DRAFT,
                          quote_date=quote_date, valid_until=valid_until, note=note,
                          created_by_id=user_id)
    quotation.amount_untaxed, quotation.amount_tax, quotation.amount_total = totals(priced)
    add_numbered(session, quotation, Quotation.number, NUMBER_PREFIX)
    session.add_all(QuotationLine(quotation_id=quotation.id, position=i, **line.columns())
                    for i, line in enumerate(priced, start=1))
    session.flush()
    return quotation


def _open(session: Session, quotation_id: int | None, action: object) -> Quotation:
    """The quotation, locked, when it is still open (not expired, not answered)."""
    quotation = lock_quotation(session, quotation_id)
    state = quotation_state(quotation, business_today(session))
    if state == Q_EXPIRED:
        raise _refused(quotation, state, _("Quotation {number} expired: make a new one"),
                       code="QUOTATION_EXPIRED")
    if state not in OPEN:
        raise _refused(quotation, state, action)
    return quotation


def send_quotation(session: Session, quotation_id: int | None) -> Quotation:
    """Mark a draft as sent to the customer (sending it again is harmless)."""
    quotation = _open(session, quotation_id,
                      _("Quotation {number} is {state} and cannot be sent"))
    quotation.state = Q_SENT
    session.flush()
    return quotation


def reject_quotation(session: Session, quotation_id: int | None) -> Quotation:
    """The customer said no."""
    quotation = lock_quotation(session, quotation_id)
    if quotation.state not in OPEN:
        raise _refused(quotation, quotation.state,
                       _("Quotation {number} is {state} and cannot be rejected"))
    quotation.state = Q_REJECTED
    session.flush()
    return quotation


def convert_quotation(session: Session, quotation_id: int | None, *,
                      warehouse_id: int | None = None, promised_date: date | None = None,
                      customer_reference: str = "", user_id: int | None = None) -> SalesOrder:
    """The customer accepted: a draft sales order with the quotation's lines and prices
    (shipped from ``warehouse_id``, else the quotation's warehouse).  An expired quotation
    is refused with ``QUOTATION_EXPIRED``."""
    quotation = _open(session, quotation_id,
                      _("Quotation {number} is {state} and cannot become an order"))
    lines = [SalesLineInput(product_id=line.product_id, quantity=line.quantity,
                            unit_price=line.unit_price, tax_rate=line.tax_rate,
                            description=line.description)
             for line in session.scalars(select(QuotationLine)
                                         .where(QuotationLine.quotation_id == quotation.id)
                                         .order_by(QuotationLine.position))]
    order = create_sales_order(session, customer_id=quotation.customer_id,
                               warehouse_id=warehouse_id or quotation.warehouse_id,
                               lines=lines, quotation_id=quotation.id,
                               promised_date=promised_date,
                               customer_reference=customer_reference,
                               note=quotation.note, user_id=user_id)
    quotation.state = Q_ACCEPTED
    quotation.sales_order_id = order.id
    session.flush()
    return order
