"""What partners owe and are owed: set-based sums over invoices and payments.

A side's **balance** is ``invoiced + credited − paid + refunded`` (credit notes are
negative); it always equals ``open − unallocated``: what its invoices still have open less
the money received (or paid) that is not yet allocated.  Every read here is one statement,
whatever the number of partners or invoices.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import (
    Select,
    bindparam,
    case,
    func,
    literal_column,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.orm import Session

from openjxc.core.models import Money

from ..partners.models import Partner
from ..stock.posting import business_today
from .models import (
    CREDIT_NOTE,
    DIRECTIONS,
    INVOICE,
    OPEN,
    PARTLY_SETTLED,
    PAYMENT,
    RECEIVABLE,
    Invoice,
    Payment,
)

ZERO = Decimal("0.00")
#: The figures of one side, in the order :func:`balances_statement` selects them.
FIGURES = ("invoiced", "credited", "paid", "refunded", "open", "overdue", "unallocated")


@dataclass(frozen=True)
class SideBalance:
    """One side (receivable or payable) of a partner's account."""

    invoiced: Decimal = ZERO
    #: Credit notes, negative.
    credited: Decimal = ZERO
    paid: Decimal = ZERO
    refunded: Decimal = ZERO
    #: What invoices and credit notes still have open (signed).
    open: Decimal = ZERO
    #: The part of ``open`` on invoices past their due date.
    overdue: Decimal = ZERO
    #: Money received (or paid) not yet allocated to invoices, net of unallocated refunds.
    unallocated: Decimal = ZERO

    @property
    def balance(self) -> Decimal:
        """What the partner owes us (receivable) or we owe it (payable)."""
        return self.invoiced + self.credited - self.paid + self.refunded


@dataclass(frozen=True)
class PartnerBalance:
    partner_id: int
    receivable: SideBalance
    payable: SideBalance

    @property
    def net(self) -> Decimal:
        """Receivable balance less payable balance: what the partner owes us on the whole
        (a company that is customer and supplier)."""
        return self.receivable.balance - self.payable.balance


def open_receivables(session: Session, partner_ids: Collection[int]) -> dict[int, Decimal]:
    """``partner_id → receivable balance`` (open invoices and credit notes less
    unallocated receipts) for each partner asked, zero for partners without any — one
    statement for any number of partners.  Sales credit control uses it."""
    ids = set(partner_ids)
    found = dict.fromkeys(ids, ZERO)
    if not ids:
        return found
    invoices = (select(Invoice.partner_id.label("partner_id"),
                       (Invoice.amount_total - Invoice.amount_settled).label("amount"))
                .where(Invoice.direction == RECEIVABLE,
                       Invoice.state.in_((OPEN, PARTLY_SETTLED)),
                       Invoice.partner_id.in_(ids)))
    money = (select(Payment.partner_id.label("partner_id"), _unallocated().label("amount"))
             .where(Payment.direction == RECEIVABLE,
                    Payment.amount != Payment.amount_allocated,
                    Payment.partner_id.in_(ids)))
    both = union_all(invoices, money).subquery()
    rows = session.execute(select(both.c.partner_id,
                                  type_coerce(func.sum(both.c.amount), Money()))
                           .group_by(both.c.partner_id))
    for partner_id, amount in rows:
        found[partner_id] = amount
    return found


@cache
def receivable_amounts() -> Any:
    """What each open receivable invoice or credit note of partner ``:partner`` has open,
    and each of its receipts (or refunds) not yet allocated counts against it: one
    ``amount`` per row, summing to :func:`open_receivables` of that partner.  Built once,
    for a caller's own statement (the sales credit check sums it with open orders)."""
    partner: Any = bindparam("partner")
    invoices = (select((Invoice.amount_total - Invoice.amount_settled).label("amount"))
                .where(Invoice.partner_id == partner, Invoice.direction == RECEIVABLE,
                       Invoice.state.in_((OPEN, PARTLY_SETTLED))))
    money = (select(_unallocated().label("amount"))
             .where(Payment.direction == RECEIVABLE, Payment.partner_id == partner,
                    Payment.amount != Payment.amount_allocated))
    return union_all(invoices, money).subquery()


def _unallocated() -> Any:
    """A payment's unallocated amount, counted against the balance: positive for a
    payment, negative for a refund."""
    left = Payment.amount - Payment.amount_allocated
    return case((Payment.kind == PAYMENT, -left), else_=left)


def balances_statement(as_of: date, partner_ids: Collection[int] | None = None,
                       ) -> Select[Any]:
    """``SELECT Partner, r_invoiced … r_unallocated, p_invoiced … p_unallocated`` for every
    partner with at least one invoice or payment (fourteen sums, ``FIGURES`` per side),
    for :func:`partner_balances` and the paged ``partnerBalances`` list.

    Each table is summed per partner and side on its own (a few sums per row), then the
    at most four rows per partner are laid side by side.
    """
    zero: Any = literal_column("0")
    open_amount = Invoice.amount_total - Invoice.amount_settled
    # Grouped by ``partner_id + 0``: summing a whole table is cheaper by sorting one scan
    # than by walking the partner index and fetching every row from it (SQLite takes the
    # index when it can, at ten times the cost).
    invoice_partner = (Invoice.partner_id + zero).label("partner_id")
    payment_partner = (Payment.partner_id + zero).label("partner_id")
    invoices = select(
        invoice_partner, Invoice.direction.label("direction"),
        func.sum(case((Invoice.kind == INVOICE, Invoice.amount_total), else_=zero))
        .label("invoiced"),
        func.sum(case((Invoice.kind == CREDIT_NOTE, Invoice.amount_total), else_=zero))
        .label("credited"),
        zero.label("paid"), zero.label("refunded"), func.sum(open_amount).label("open"),
        func.sum(case(((Invoice.kind == INVOICE) & (Invoice.due_date < as_of), open_amount),
                      else_=zero)).label("overdue"),
        zero.label("unallocated"),
    ).group_by(invoice_partner, Invoice.direction)
    payments = select(
        payment_partner, Payment.direction, zero, zero,
        func.sum(case((Payment.kind == PAYMENT, Payment.amount), else_=zero)),
        func.sum(case((Payment.kind == PAYMENT, zero), else_=Payment.amount)),
        zero, zero, func.sum(-_unallocated()),
    ).group_by(payment_partner, Payment.direction)
    if partner_ids is not None:
        invoices = invoices.where(Invoice.partner_id.in_(set(partner_ids)))
        payments = payments.where(Payment.partner_id.in_(set(partner_ids)))
    ledger = union_all(invoices, payments).subquery()
    sums = [type_coerce(func.sum(case((ledger.c.direction == direction, ledger.c[figure]),
                                      else_=zero)), Money()).label(f"{direction[0]}_{figure}")
            for direction in DIRECTIONS for figure in FIGURES]
    per_partner = (select(ledger.c.partner_id, *sums)
                   .group_by(ledger.c.partner_id).subquery())
    return (select(Partner, *(per_partner.c[column.name] for column in sums))
            .join(per_partner, per_partner.c.partner_id == Partner.id))


def balance_of(row: Any) -> PartnerBalance:
    """A :class:`PartnerBalance` from a row of :func:`balances_statement`."""
    partner = row[0]
    values = [Decimal(v if v is not None else 0) for v in row[1:]]
    width = len(FIGURES)
    return PartnerBalance(partner_id=partner.id,
                          receivable=SideBalance(*values[:width]),
                          payable=SideBalance(*values[width:2 * width]))


def partner_balances(session: Session, partner_ids: Collection[int] | None = None, *,
                     as_of: date | None = None) -> dict[int, PartnerBalance]:
    """``partner_id → PartnerBalance`` (both sides) for the partners asked — or every
    partner with invoices or payments — in one statement; partners asked without any get
    zeros.  ``overdue`` counts invoices due before ``as_of`` (default today)."""
    day = as_of or business_today(session)
    found = {partner_id: PartnerBalance(partner_id, SideBalance(), SideBalance())
             for partner_id in (partner_ids or ())}
    for row in session.execute(balances_statement(day, partner_ids)):
        balance = balance_of(row)
        found[balance.partner_id] = balance
    return found
