"""Allocating money (or a credit note) to invoices: what settles what.

* A **payment** settles invoices of its partner and direction; a **refund** settles credit
  notes (money going back); a **credit note** settles invoices.  Several invoices at once,
  each partly or in full.
* Nothing is ever over-settled: each invoice is changed by one guarded atomic
  ``UPDATE … WHERE amount_total - amount_settled >= :amount`` (like stock reservations),
  and so is the payment's (or credit note's) unallocated amount — two cashiers allocating
  the same invoice at the same moment cannot both take its last yuan; the second is
  refused with ``OVER_ALLOCATED`` and nothing of it stays.
* Allocation amounts are given positive; rows store them signed like the invoice settled.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.models import Money
from openjxc.core.validation import check_decimal

from ..stock.models import table_of
from .events import InvoiceSettled
from .models import (
    CREDIT_NOTE,
    INVOICE,
    OPEN,
    PARTLY_SETTLED,
    PAYMENT,
    SETTLED,
    Invoice,
    Payment,
    PaymentAllocation,
)

MAX_ALLOCATIONS = 1000
ZERO = Decimal("0.00")


def allocate(session: Session, payment_id: int | None,
             allocations: Sequence[tuple[int, Decimal]], *,
             credit_note_id: int | None = None, user_id: int | None = None,
             field: str = "allocations") -> list[PaymentAllocation]:
    """Settle invoices from a payment (``payment_id``) or from a credit note
    (``allocate(session, None, [...], credit_note_id=…)``)::

        allocate(session, payment.id, [(inv1.id, Decimal("500.00")),
                                       (inv2.id, Decimal("120.50"))])

    Refusals (nothing changed): ``NOT_FOUND`` (payment, credit note or invoice),
    ``INVALID`` (another partner or direction, a kind it cannot settle, a listed invoice
    twice, an amount not above zero), ``OVER_ALLOCATED`` (more than an invoice has open,
    or more than the payment or credit note has left) at ``(field, index, …)``.  It runs
    in a savepoint: a refusal leaves nothing behind, even for a caller that carries on.
    """
    with session.begin_nested():
        return _allocate(session, payment_id, allocations, credit_note_id, user_id, field)


def _allocate(session: Session, payment_id: int | None,
              allocations: Sequence[tuple[int, Decimal]], credit_note_id: int | None,
              user_id: int | None, field: str) -> list[PaymentAllocation]:
    errors: list[FieldError] = []
    source = _source(session, errors, payment_id, credit_note_id)
    wanted = _check_input(errors, allocations, field)
    if source is None:
        raise ValidationFailed(errors)
    invoices = {i.id: i for i in session.scalars(
        select(Invoice).where(Invoice.id.in_({invoice_id for _i, invoice_id, _a in wanted}))
        .execution_options(populate_existing=True))}
    for i, invoice_id, amount in wanted:
        _check_target(errors, source, invoices.get(invoice_id), amount, (field, str(i)))
    total = sum((amount for _i, _id, amount in wanted), ZERO)
    left = _left(source)
    if not errors and total > left:
        errors.append(FieldError(
            "OVER_ALLOCATED", _("{total} allocated, but {number} has only {left} left"),
            field=field, total=total, number=source.number, left=left))
    if errors:
        raise ValidationFailed(errors)
    # Invoices settled by a payment or credit note are positive; by a refund, negative.
    sign = -1 if isinstance(source, Payment) and source.kind != PAYMENT else 1
    deltas = {invoice_id: sign * amount for _i, invoice_id, amount in wanted}
    if isinstance(source, Invoice):
        deltas[source.id] = -total
    if not _settle(session, deltas) or not _consume(session, source, total):
        raise ValidationFailed(FieldError(
            "OVER_ALLOCATED", _("Someone settled these invoices at the same time; "
                                "look at what is still open and try again"), field=field))
    rows = [PaymentAllocation(
        invoice_id=invoice_id,
        payment_id=source.id if isinstance(source, Payment) else None,
        credit_note_id=source.id if isinstance(source, Invoice) else None,
        amount=sign * amount, settled_on=max(_day(source), invoices[invoice_id].invoice_date),
        allocated_by_id=user_id) for _i, invoice_id, amount in wanted]
    session.add_all(rows)
    session.flush()
    for touched in (*invoices.values(), source):
        session.expire(touched)
    publish(session, InvoiceSettled(invoice_ids=tuple(sorted(deltas))))
    return rows


def _source(session: Session, errors: list[FieldError], payment_id: int | None,
            credit_note_id: int | None) -> Payment | Invoice | None:
    if (payment_id is None) == (credit_note_id is None):
        errors.append(FieldError("REQUIRED", _("Name either a payment or a credit note"),
                                 field="paymentId"))
        return None
    if payment_id is not None:
        payment = session.scalar(select(Payment).where(Payment.id == payment_id)
                                 .execution_options(populate_existing=True)) \
            if _is_key(payment_id) else None
        if payment is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown payment"), field="paymentId"))
        return payment
    note = session.scalar(select(Invoice).where(Invoice.id == credit_note_id)
                          .execution_options(populate_existing=True)) \
        if _is_key(credit_note_id) else None
    if note is None or note.kind != CREDIT_NOTE:
        errors.append(FieldError("NOT_FOUND", _("Unknown credit note"), field="creditNoteId"))
        return None
    return note


def _is_key(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63


def _check_input(errors: list[FieldError], allocations: Sequence[tuple[int, Decimal]],
                 field: str) -> list[tuple[int, int, Decimal]]:
    """``(index, invoice_id, amount)`` of the well-formed allocations."""
    if not allocations:
        errors.append(FieldError("REQUIRED", _("Allocate to at least one invoice"),
                                 field=field))
        return []
    if len(allocations) > MAX_ALLOCATIONS:
        errors.append(FieldError("INVALID", _("At most {max} allocations"), field=field,
                                 max=MAX_ALLOCATIONS))
        return []
    wanted: list[tuple[int, int, Decimal]] = []
    seen: set[int] = set()
    for i, (invoice_id, amount) in enumerate(allocations):
        at = (field, str(i))
        if not _is_key(invoice_id):
            errors.append(FieldError("NOT_FOUND", _("Unknown invoice"), field=(*at, "invoiceId")))
            continue
        if invoice_id in seen:
            errors.append(FieldError("INVALID", _("An invoice is listed twice"),
                                     field=(*at, "invoiceId")))
            continue
        seen.add(invoice_id)
        value = check_decimal(errors, amount, (*at, "amount"), places=2, minimum=None)
        if value is not None and value <= 0:
            errors.append(FieldError("INVALID", _("The amount must be greater than zero"),
                                     field=(*at, "amount")))
        elif value is not None:
            wanted.append((i, invoice_id, value))
    return wanted


def _check_target(errors: list[FieldError], source: Payment | Invoice,
                  invoice: Invoice | None, amount: Decimal, at: tuple[str, ...]) -> None:
    if invoice is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown invoice"), field=(*at, "invoiceId")))
        return
    if invoice.partner_id != source.partner_id or invoice.direction != source.direction:
        errors.append(FieldError("INVALID", _("{number} belongs to another partner or "
                                              "direction"), field=(*at, "invoiceId"),
                                 number=invoice.number))
        return
    settles = CREDIT_NOTE if isinstance(source, Payment) and source.kind != PAYMENT else INVOICE
    if invoice.kind != settles:
        errors.append(FieldError(
            "INVALID", _("A refund settles credit notes only") if settles == CREDIT_NOTE
            else _("Only invoices can be settled this way, not credit note {number}"),
            field=(*at, "invoiceId"), number=invoice.number))
        return
    still_open = abs(invoice.amount_total - invoice.amount_settled)
    if amount > still_open:
        errors.append(FieldError("OVER_ALLOCATED",
                                 _("{number} has only {open} open"), field=(*at, "amount"),
                                 number=invoice.number, open=still_open))


def _left(source: Payment | Invoice) -> Decimal:
    """What the payment or credit note can still settle (positive)."""
    if isinstance(source, Payment):
        return source.amount - source.amount_allocated
    return source.amount_settled - source.amount_total


def _day(source: Payment | Invoice) -> date:
    return source.payment_date if isinstance(source, Payment) else source.invoice_date


def _settle(session: Session, deltas: dict[int, Decimal]) -> bool:
    """Add each signed delta to its invoice's settled amount, never beyond its total:
    one guarded ``executemany`` per sign, rows in id order (so that concurrent
    allocations lock in the same order)."""
    table = table_of(Invoice)
    total, settled = table.c.amount_total, table.c.amount_settled
    delta = bindparam("delta", type_=Money())
    after = settled + delta
    values = {"amount_settled": after,
              "state": case((after == total, SETTLED), (after == 0, OPEN),
                            else_=PARTLY_SETTLED)}
    for positive in (True, False):
        params = [{"iid": i, "delta": d} for i, d in sorted(deltas.items())
                  if (d > 0) is positive]
        if not params:
            continue
        guard = (total - settled >= delta) if positive else (total - settled <= delta)
        done = session.execute(update(table)
                               .where(table.c.id == bindparam("iid"), guard)
                               .values(values), params)
        if done.rowcount != len(params):  # type: ignore[attr-defined]
            return False
    return True


def _consume(session: Session, source: Payment | Invoice, total: Decimal) -> bool:
    """Take ``total`` from what a payment has left to allocate (guarded likewise); a
    credit note's own settled amount was changed by :func:`_settle`."""
    if isinstance(source, Invoice):
        return True
    table = table_of(Payment)
    done = session.execute(update(table).where(
        table.c.id == source.id, table.c.amount - table.c.amount_allocated >= total,
    ).values(amount_allocated=table.c.amount_allocated + total))
    return bool(done.rowcount == 1)  # type: ignore[attr-defined]
