"""Confirming orders (credit check, then reservation), credit approvals, and the ends of an
order's life: cancel, close and reopen.

* ``confirm``: a draft is credit-checked (:mod:`.credit`).  Within the customer's credit it
  becomes ``confirmed`` and its stock is reserved (what is not there stays a backorder);
  over it, it waits in ``awaiting_approval`` with nothing reserved.
* ``approve`` (``sales.order.approve``): an order awaiting approval is confirmed anyway; the
  override is audited in :class:`SalesCreditApproval` (who, when, the exposure and the limit
  at that moment, the reason) and published as :class:`CreditLimitOverridden`.  The
  approval covers that order total only: changing the lines takes the order back to a draft
  (:func:`.orders.update_sales_order`), a copy is a new draft, and a reopened order is
  checked again — there is no way around the check but an approval.
* ``cancel`` releases exactly what was reserved; only an order nothing was delivered from
  can be cancelled (a partly delivered one is closed).  ``close`` ends an order (what was
  not delivered will not be), releasing its reservations; ``reopen`` takes a closed order
  with something left to deliver back through the credit check.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.events import publish
from openjxc.core.i18n import _
from openjxc.core.models import utcnow
from openjxc.core.validation import check_text

from ..stock.posting import business_today
from . import statements
from .credit import TOLERANCE_POLICY, CreditCheck, CreditTerms, check_credit
from .events import CreditLimitOverridden, SalesOrderCancelled, SalesOrderConfirmed
from .models import (
    AWAITING_APPROVAL,
    CANCELLED,
    CLOSED,
    CONFIRMED,
    DELIVERED,
    DRAFT,
    PARTLY_DELIVERED,
    SalesCreditApproval,
    SalesOrder,
    SalesOrderLine,
)
from .orders import invalid_state, lock_order, order_lines
from .reserving import release_lines, reserve_lines


class Confirmation(NamedTuple):
    """What confirming did: the order (``awaiting_approval`` when over the customer's
    credit, else open and reserved) and the credit check's figures."""

    order: SalesOrder
    credit: CreditCheck


def open_state(lines: list[SalesOrderLine]) -> str:
    """``confirmed`` until something was delivered, then ``partly_delivered``."""
    return PARTLY_DELIVERED if any(line.delivered_quantity > 0 for line in lines) else CONFIRMED


def confirm_sales_order(session: Session, order_id: int | None, *,
                        user_id: int | None = None) -> Confirmation:
    """Confirm a draft: ``(order, check)``; ``order.state`` is ``awaiting_approval`` when the
    check failed (nothing reserved), else ``confirmed``."""
    rows = (session.execute(statements.lock_order_to_confirm(),
                            {"id": order_id, "policy": TOLERANCE_POLICY}).all()
            if order_id is not None else [])
    if not rows:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown sales order"), field="id"))
    order = rows[0][0]
    lines = [row[1] for row in rows if row[1] is not None]
    terms = CreditTerms(*rows[0][2:])
    if order.state == AWAITING_APPROVAL:
        raise invalid_state(order, _("Sales order {number} is waiting for a credit approval"),
                            code="APPROVAL_REQUIRED")
    if order.state != DRAFT:
        raise invalid_state(order, _("Sales order {number} is {state}: only a draft can be "
                                     "confirmed"))
    return _confirm(session, order, lines, user_id, terms)


def _confirm(session: Session, order: SalesOrder, lines: list[SalesOrderLine],
             user_id: int | None, terms: CreditTerms | None = None) -> Confirmation:
    check = check_credit(session, order, lines, terms=terms)
    if not check.allowed:
        order.state = AWAITING_APPROVAL
        session.flush()
        return Confirmation(order, check)
    _open(session, order, lines, user_id)
    return Confirmation(order, check)


def _open(session: Session, order: SalesOrder, lines: list[SalesOrderLine],
          user_id: int | None) -> None:
    reserve_lines(session, order.warehouse_id, lines, business_today(session))
    opened = {"state": open_state(lines), "confirmed_at": utcnow(),
              "confirmed_by_id": user_id, "closed_at": None}
    session.execute(statements.open_order(), {
        "oid": order.id, "state": opened["state"], "at": opened["confirmed_at"],
        "by": user_id})
    for name, value in opened.items():  # written above: the order is as stored
        set_committed_value(order, name, value)
    session.flush()
    publish(session, SalesOrderConfirmed(order_id=order.id, number=order.number,
                                         customer_id=order.customer_id))


def approve_sales_order(session: Session, order_id: int | None, *, user_id: int | None,
                        reason: str = "") -> SalesOrder:
    """Let an order awaiting approval through: recorded with the exposure and limit of now,
    then confirmed and reserved like any other.  When the customer's credit has meanwhile
    made room (a payment came in), the order is simply confirmed: there is nothing to
    override."""
    order = lock_order(session, order_id)
    errors: list[FieldError] = []
    reason = check_text(errors, reason, "reason", max_length=400)
    if user_id is None:
        errors.append(FieldError("INVALID", _("Only a signed-in user can approve"), field="id"))
    if errors:
        raise ValidationFailed(errors)
    if order.state in (CONFIRMED, PARTLY_DELIVERED) and order.approved_total is not None:
        raise invalid_state(order, _("Sales order {number} is already approved"),
                            code="ALREADY_APPROVED")
    if order.state != AWAITING_APPROVAL:
        raise invalid_state(order, _("Sales order {number} is {state}: only an order waiting "
                                     "for a credit approval can be approved"))
    assert user_id is not None
    lines = order_lines(session, order.id)
    check = check_credit(session, order, lines)
    if not check.allowed:
        assert check.credit_limit is not None
        session.add(SalesCreditApproval(order_id=order.id, user_id=user_id,
                                        order_total=order.amount_total,
                                        exposure=check.exposure,
                                        credit_limit=check.credit_limit, reason=reason))
        order.approved_total = order.amount_total
        publish(session, CreditLimitOverridden(order_id=order.id, user_id=user_id,
                                               exposure=check.exposure,
                                               credit_limit=check.credit_limit))
    _open(session, order, lines, user_id)
    return order


def reserve_sales_order(session: Session, order_id: int | None) -> SalesOrder:
    """Try again to reserve the backorders of an open order (goods arrived since)."""
    order = lock_order(session, order_id)
    if order.state not in (CONFIRMED, PARTLY_DELIVERED):
        raise invalid_state(order, _("Sales order {number} is {state}: only an open order "
                                     "reserves stock"))
    reserve_lines(session, order.warehouse_id, order_lines(session, order.id),
                  business_today(session))
    return order


def cancel_sales_order(session: Session, order_id: int | None, *, reason: str = "",
                       user_id: int | None = None) -> SalesOrder:
    """Cancel an order nothing was delivered from; its reservations are released."""
    order = lock_order(session, order_id)
    errors: list[FieldError] = []
    reason = check_text(errors, reason, "reason", max_length=400)
    if errors:
        raise ValidationFailed(errors)
    if order.state not in (DRAFT, AWAITING_APPROVAL, CONFIRMED):
        message = (_("Sales order {number} is {state}: close it instead, what was delivered "
                     "stays delivered") if order.state == PARTLY_DELIVERED
                   else _("Sales order {number} is {state} and cannot be cancelled"))
        raise invalid_state(order, message)
    release_lines(session, order_lines(session, order.id))
    order.state = CANCELLED
    order.cancelled_at = utcnow()
    order.cancelled_by_id = user_id
    order.cancel_reason = reason
    session.flush()
    publish(session, SalesOrderCancelled(order_id=order.id))
    return order


def close_sales_order(session: Session, order_id: int | None, *,
                      user_id: int | None = None) -> SalesOrder:
    """End an open or delivered order: what was not delivered will not be (its
    reservations are released, and it no longer counts against the customer's credit)."""
    order = lock_order(session, order_id)
    if order.state not in (CONFIRMED, PARTLY_DELIVERED, DELIVERED):
        raise invalid_state(order, _("Sales order {number} is {state} and cannot be closed"))
    release_lines(session, order_lines(session, order.id))
    order.state = CLOSED
    order.closed_at = utcnow()
    session.flush()
    return order


def reopen_sales_order(session: Session, order_id: int | None, *,
                       user_id: int | None = None) -> Confirmation:
    """Open a closed order again to deliver the rest: checked against the customer's
    credit as if new (an earlier approval does not carry over), then reserved — or left
    waiting for an approval."""
    order = lock_order(session, order_id)
    if order.state != CLOSED:
        raise invalid_state(order, _("Sales order {number} is {state}: only a closed order "
                                     "can be reopened"))
    lines = order_lines(session, order.id)
    if all(line.delivered_quantity >= line.quantity for line in lines):
        raise invalid_state(order, _("Sales order {number} was delivered in full: there is "
                                     "nothing left to reopen it for"))
    order.approved_total = None
    return _confirm(session, order, lines, user_id)

