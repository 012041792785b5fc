"""Ageing (账龄) of receivables or payables by due date, per partner, as of a day.

The columns are "not yet due" and one per bucket of days past due: boundaries ``(30, 60,
90)`` (policy ``invoicing.aging_buckets``) give 1–30, 31–60, 61–90 and more than 90 days.
An invoice due on the day itself is not yet due.  Besides the buckets, each partner row
carries the money it has paid (or we have paid it) not yet allocated, so that
``open − unallocated`` is its balance on that day.

"As of" a past day means: invoices dated up to that day, payments dated up to that day,
and only the allocations that count from that day or before (``settled_on``).  It is
read as ``settled now + allocations after the day``, so that the usual question — as of
today — touches no allocation at all.  One statement, whatever the number of invoices.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    case,
    func,
    literal,
    literal_column,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from openjxc.core.models import Money

from ..partners.models import Partner
from ..policies.services import get_policy
from ..stock.posting import business_today
from .models import (
    OPEN,
    PARTLY_SETTLED,
    PAYMENT,
    Invoice,
    Payment,
    PaymentAllocation,
)

ZERO = Decimal("0.00")
POLICY = "invoicing.aging_buckets"


@dataclass(frozen=True)
class AgingBucket:
    """Days past due from ``from_days`` to ``to_days`` (None: no upper end)."""

    from_days: int
    to_days: int | None


@dataclass(frozen=True)
class AgingRow:
    """One partner's line of the report (``partner_id`` None for the totals)."""

    partner_id: int | None
    partner_code: str
    partner_name: str
    not_due: Decimal
    #: One amount per bucket of the report, in order.
    buckets: tuple[Decimal, ...]
    #: Money on account not yet allocated (positive: the partner paid ahead, or we did).
    unallocated: Decimal

    @property
    def overdue(self) -> Decimal:
        return sum(self.buckets, ZERO)

    @property
    def open(self) -> Decimal:
        """What invoices and credit notes have open on the day."""
        return self.not_due + self.overdue

    @property
    def balance(self) -> Decimal:
        return self.open - self.unallocated


@dataclass(frozen=True)
class AgingReport:
    direction: str
    as_of: date
    buckets: tuple[AgingBucket, ...]
    rows: list[AgingRow]
    totals: AgingRow


def buckets_of(boundaries: Sequence[int]) -> tuple[AgingBucket, ...]:
    """``(30, 60, 90)`` → 1–30, 31–60, 61–90, 91–∞."""
    starts = (1, *(b + 1 for b in boundaries))
    ends: tuple[int | None, ...] = (*boundaries, None)
    return tuple(AgingBucket(s, e) for s, e in zip(starts, ends, strict=True))


def aging(session: Session, direction: str, as_of: date | None = None,
          buckets: Sequence[int] | None = None, *,
          partner_ids: Collection[int] | None = None) -> AgingReport:
    """The ageing of ``direction`` (``receivable``/``payable``) on ``as_of`` (default
    today) with ``buckets`` boundaries in days (default: the policy), partners in code
    order with their totals.  Partners with nothing open and nothing on account are left
    out.  One statement::

        report = aging(session, "receivable", date(2026, 6, 30))
        report.rows[0].buckets  # (1–30, 31–60, 61–90, >90 days past due)
    """
    day = as_of or business_today(session)
    boundaries = tuple(get_policy(session, POLICY) if buckets is None else buckets)
    columns = buckets_of(boundaries)
    entries = _entries(direction, day, columns, partner_ids).subquery()
    grouped = (select(entries.c.partner_id, entries.c.column,
                      type_coerce(func.sum(entries.c.amount), Money()).label("amount"))
               .group_by(entries.c.partner_id, entries.c.column).subquery())
    stmt = (select(Partner.id, Partner.code, Partner.name, grouped.c.column,
                   grouped.c.amount)
            .join(grouped, grouped.c.partner_id == Partner.id)
            .order_by(Partner.code, grouped.c.column))
    # One row per partner and column (not due = 0, buckets 1…n, unallocated = -1): the
    # database sums, Python only lays the few rows out.
    found: dict[int, tuple[str, str, dict[int, Decimal]]] = {}
    for partner_id, code, name, column, amount in session.execute(stmt):
        found.setdefault(partner_id, (code, name, {}))[2][column] = amount
    rows = [AgingRow(partner_id=partner_id, partner_code=code, partner_name=name,
                     not_due=amounts.get(0, ZERO),
                     buckets=tuple(amounts.get(i, ZERO) for i in range(1, len(columns) + 1)),
                     unallocated=amounts.get(-1, ZERO))
            for partner_id, (code, name, amounts) in found.items()
            if any(amounts.values())]
    totals = AgingRow(
        partner_id=None, partner_code="", partner_name="",
        not_due=sum((r.not_due for r in rows), ZERO),
        buckets=tuple(sum((r.buckets[i] for r in rows), ZERO) for i in range(len(columns))),
        unallocated=sum((r.unallocated for r in rows), ZERO))
    return AgingReport(direction=direction, as_of=day, buckets=columns, rows=rows,
                       totals=totals)


def _column(due: Any, day: date, columns: Sequence[AgingBucket]) -> Any:
    """The report column of a due date: 0 not yet due, 1… the buckets, oldest last."""
    whens = [(due >= day, 0)]
    whens += [(due >= day - timedelta(days=bucket.to_days), i)
              for i, bucket in enumerate(columns, start=1) if bucket.to_days is not None]
    return case(*whens, else_=len(columns))


def _entries(direction: str, day: date, columns: Sequence[AgingBucket],
             partner_ids: Collection[int] | None) -> Any:
    """``(partner_id, column, amount)`` rows whose sums per partner and column are the
    report: invoices open now in their column, payments with money left now in column -1
    (counted against the balance for refunds), and — to go back to ``day`` — every
    allocation made after it, added back to the invoice (and credit note, and payment) it
    settled.  Sums are linear, so nothing needs grouping per invoice first.
    """
    allocation = PaymentAllocation
    credit_note = aliased(Invoice)
    later = allocation.settled_on > day
    zero: Any = literal_column("0")
    left = Payment.amount - Payment.amount_allocated
    parts = [
        # Open now, through the covering ageing index.
        select(Invoice.partner_id.label("partner_id"),
               _column(Invoice.due_date, day, columns).label("column"),
               (Invoice.amount_total - Invoice.amount_settled).label("amount"))
        .where(Invoice.direction == direction, Invoice.state.in_((OPEN, PARTLY_SETTLED)),
               Invoice.invoice_date <= day),
        # Settled since the day: given back to the invoice settled …
        select(Invoice.partner_id, _column(Invoice.due_date, day, columns),
               allocation.amount)
        .join(Invoice, Invoice.id == allocation.invoice_id)
        .where(later, Invoice.direction == direction, Invoice.invoice_date <= day),
        # … to the credit note that settled it …
        select(credit_note.partner_id, _column(credit_note.due_date, day, columns),
               -allocation.amount)
        .join(credit_note, credit_note.id == allocation.credit_note_id)
        .where(later, credit_note.direction == direction, credit_note.invoice_date <= day),
        # … and to the payment it came from.
        select(Payment.partner_id, literal(-1), allocation.amount)
        .join(Payment, Payment.id == allocation.payment_id)
        .where(later, Payment.direction == direction, Payment.payment_date <= day),
        # Money left now (a partial index holds these few payments).
        select(Payment.partner_id, literal(-1),
               case((Payment.kind == PAYMENT, left), else_=zero - left))
        .where(Payment.direction == direction, Payment.amount != Payment.amount_allocated,
               Payment.payment_date <= day),
    ]
    if partner_ids is not None:
        wanted = set(partner_ids)
        owners = (Invoice.partner_id, Invoice.partner_id, credit_note.partner_id,
                  Payment.partner_id, Payment.partner_id)
        parts = [part.where(owner.in_(wanted)) for part, owner in zip(parts, owners,
                                                                      strict=True)]
    return union_all(*parts)
