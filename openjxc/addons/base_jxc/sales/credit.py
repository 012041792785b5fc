"""Credit control as a policy: may this order go through on the customer's credit?

    exposure = open receivables (invoiced, not yet paid, minus unallocated receipts)
             + the part of the customer's other orders not yet invoiced: the rest of
               open orders (``OPEN_ORDER_STATES``: awaiting approval, confirmed, partly
               delivered) and what was delivered but not billed on delivered or closed
               ones (returned goods are never billed)
             + the part of this order not yet invoiced

Goods count from the moment they are promised until they are paid: an order does not
leave the exposure by being delivered, only by being invoiced (then it is a receivable).

The order is allowed when the customer has no limit (``credit_limit`` NULL) or when
``exposure ≤ limit × (1 + tolerance)``; the tolerance is the customer's own
``credit_tolerance`` when set, else the policy ``sales.credit_tolerance`` (0 by default).
Otherwise the order waits for a user with ``sales.order.approve`` (see
:mod:`.confirmation`).  The customer row is locked while checking, so two orders of the
same customer confirmed at once are checked one after the other, each seeing the other.

The check reads the customer's open orders and only those delivered or closed orders that
still have goods to bill (``SalesOrder.unbilled``), so it costs the same for a customer
with ten orders behind it as for one with ten thousand.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _

from ..invoicing.amounts import line_amounts
from ..partners.models import Partner
from ..policies.services import get_policy, policy_from_text
from . import statements
from .lines import open_total
from .models import OPEN_ORDER_STATES, SalesOrder, SalesOrderLine

CENT = Decimal("0.01")
TOLERANCE_POLICY = "sales.credit_tolerance"


@dataclass(frozen=True)
class CreditCheck:
    """The figures of one check; ``allowed`` says whether the order may go through."""

    customer_id: int
    credit_limit: Decimal | None
    tolerance: Decimal
    open_receivables: Decimal
    open_orders: Decimal
    order_amount: Decimal

    @property
    def exposure(self) -> Decimal:
        return self.open_receivables + self.open_orders + self.order_amount

    @property
    def ceiling(self) -> Decimal | None:
        """The most the exposure may reach without an approval (None: no limit)."""
        if self.credit_limit is None:
            return None
        return (self.credit_limit * (1 + self.tolerance)).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def allowed(self) -> bool:
        ceiling = self.ceiling
        return ceiling is None or self.exposure <= ceiling


class CreditTerms(NamedTuple):
    """A customer's credit terms as :func:`check_credit` reads them (``policy``: the stored
    text of ``sales.credit_tolerance``, None for its default)."""

    id: int
    credit_limit: Decimal | None
    credit_tolerance: Decimal | None
    policy: str | None


def check_credit(session: Session, order: SalesOrder,
                 order_lines: list[SalesOrderLine], *,
                 terms: CreditTerms | None = None) -> CreditCheck:
    """The credit check of ``order`` (whose lines are ``order_lines``), the customer locked.

    Two statements: the customer's limit and tolerance (locked), then everything it owes
    (:func:`exposure`); a cash customer (no limit) costs only the first.  ``terms``: the
    customer's terms already read and locked in this transaction (confirming reads them
    with the order), so only the second is left.
    """
    found: Any = terms
    if found is None:
        found = session.execute(statements.credit_terms(),
                                {"id": order.customer_id, "policy": TOLERANCE_POLICY}).first()
    if found is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown customer"),
                                          field="customer"))
    mine = sum((open_total(line.quantity, line.invoiced_quantity + line.returned_quantity,
                           line.unit_price, line.tax_rate, line.total)
                for line in order_lines), Decimal(0))
    if found.credit_limit is None:
        return CreditCheck(found.id, None, Decimal(0), Decimal(0), Decimal(0), mine)
    tolerance = found.credit_tolerance
    if tolerance is None:
        tolerance = Decimal(policy_from_text(TOLERANCE_POLICY, found.policy))
    receivables, orders = exposure(session, found.id, excluding=order.id)
    return CreditCheck(found.id, found.credit_limit, tolerance, receivables, orders, mine)


def customer_credit(session: Session, customer: Partner) -> CreditCheck:
    """Where a customer stands now (no order of its own counted, nothing locked): what a
    clerk sees before taking an order."""
    tolerance = customer.credit_tolerance
    if tolerance is None:
        tolerance = Decimal(get_policy(session, TOLERANCE_POLICY))
    receivables, orders = exposure(session, customer.id)
    return CreditCheck(customer.id, customer.credit_limit, tolerance, receivables, orders,
                       Decimal(0))


def exposure(session: Session, customer_id: int, *, excluding: int | None = None,
             ) -> tuple[Decimal, Decimal]:
    """``(open receivables, Σ total with tax of what is not yet invoiced on the customer's
    orders)`` (see the module's docstring), in one statement."""
    receivables = orders = Decimal(0)
    for row in session.execute(statements.exposure(), {
            "customer": customer_id, "partner": customer_id,
            "excluding": excluding if excluding is not None else 0}):
        if row.state == statements.RECEIVABLE_ROW:
            receivables += row.total if row.total is not None else Decimal(0)
        else:
            orders += _uninvoiced(row)
    return receivables, orders


def _uninvoiced(row: Any) -> Decimal:
    billed = row.invoiced_quantity + row.returned_quantity
    if row.state in OPEN_ORDER_STATES:
        return open_total(row.quantity, billed, row.unit_price, row.tax_rate, row.total)
    left = row.delivered_quantity - billed
    return line_amounts(left, row.unit_price, row.tax_rate)[2] if left > 0 else Decimal(0)
