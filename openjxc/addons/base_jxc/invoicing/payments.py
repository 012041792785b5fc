"""Payments: money received from customers, paid to suppliers, or refunded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.validation import LIMITS, check_decimal, check_text

from ..numbering import next_document_number
from ..stock.posting import business_today
from .allocation import allocate
from .checks import check_date, check_direction, check_partner
from .events import PaymentPosted
from .models import PAYABLE, PAYMENT, PAYMENT_KINDS, PAYMENT_METHODS, RECEIVABLE, REFUND, Payment

#: 收款 / 付款 / 退款.
NUMBER_PREFIXES = {(RECEIVABLE, PAYMENT): "SK", (PAYABLE, PAYMENT): "FK",
                   (RECEIVABLE, REFUND): "TK", (PAYABLE, REFUND): "TK"}
MAX_AMOUNT = LIMITS[2] / 1000


def create_payment(session: Session, *, partner_id: int, direction: str, amount: Decimal,
                   kind: str = PAYMENT, method: str = "bank",
                   payment_date: date | None = None,
                   allocations: Sequence[tuple[int, Decimal]] = (), reference: str = "",
                   note: str = "", user_id: int | None = None) -> Payment:
    """Record money received (``receivable``) or paid (``payable``), and allocate it.

    ``kind="refund"`` is money going back the other way (to a customer, or from a
    supplier); it settles credit notes.  ``allocations`` are ``(invoice_id, amount)`` pairs,
    amounts positive; what is not allocated stays on the partner's account, to be
    allocated later (:func:`~.allocation.allocate`).  Publishes
    :class:`~.events.PaymentPosted` once allocated::

        create_payment(session, partner_id=c1, direction="receivable",
                       amount=Decimal("8000.00"), method="bank", reference="工行回单 0931",
                       allocations=[(inv1.id, Decimal("6780.00")),
                                    (inv2.id, Decimal("1220.00"))])
    """
    errors: list[FieldError] = []
    direction_ok = check_direction(errors, direction, "direction")
    partner = check_partner(session, errors, partner_id, direction_ok, "partnerCode")
    if kind not in PAYMENT_KINDS:
        errors.append(FieldError("INVALID", _("The kind is payment or refund"), field="kind"))
    if method not in PAYMENT_METHODS:
        errors.append(FieldError("INVALID", _("Unknown payment method"), field="method"))
    value = check_decimal(errors, amount, "amount", places=2, minimum=None,
                          maximum=MAX_AMOUNT, maximum_exclusive=True)
    if value is not None and value <= 0:
        errors.append(FieldError("INVALID", _("The amount must be greater than zero"),
                                 field="amount"))
    day = business_today(session) if payment_date is None else check_date(
        errors, payment_date, "paymentDate")
    reference = check_text(errors, reference, "reference", max_length=64)
    note = check_text(errors, note, "note", max_length=400)
    if errors:
        raise ValidationFailed(errors)
    assert partner is not None and value is not None and day is not None
    payment = Payment(number=next_document_number(session, Payment.number,
                                                  NUMBER_PREFIXES[(direction, kind)]),
                      partner_id=partner.id, direction=direction, kind=kind,
                      payment_date=day, amount=value, amount_allocated=Decimal("0.00"),
                      method=method, reference=reference, note=note, created_by_id=user_id)
    with session.begin_nested():  # a refused allocation leaves no payment behind
        session.add(payment)
        session.flush()
        posted = PaymentPosted(payment_id=payment.id, number=payment.number,
                               direction=direction, kind=kind, partner_id=partner.id,
                               amount=value)
        if allocations:
            allocate(session, payment.id, allocations, user_id=user_id)
    publish(session, posted)
    return payment
