"""The alert "invoice overdue" (``invoicing.invoice_overdue``).

An invoice still (partly) open more than N days after its due date, N being the company's
policy ``invoicing.overdue_alert_days`` (default 0: the day after the due date).  Customer
invoices say who has not paid us; supplier invoices, whom we have not paid.  Past the last
ageing boundary (policy ``invoicing.aging_buckets``, 90 days by default) the alert is
critical.  It resolves once the invoice is settled; it is asked again after every invoice,
payment or allocation and on a schedule (days pass without any posting).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.alerts import AlertCondition, AlertRule, Severity
from openjxc.core.formatting import company_date
from openjxc.core.i18n import _

from ..partners.models import Partner
from ..policies.services import get_policy
from .events import InvoicePosted, InvoiceSettled, PaymentPosted
from .models import DIRECTIONS, INVOICE, OPEN, PARTLY_SETTLED, RECEIVABLE, Invoice

if TYPE_CHECKING:
    from openjxc.core.env import Environment

RULE_KEY = "invoicing.invoice_overdue"


def overdue_invoices(session: Session, env: Environment, now: datetime,
                     ) -> Iterator[AlertCondition]:
    """One condition per open invoice more than the policy's days past due."""
    today = company_date(getattr(getattr(env, "settings", None), "timezone", None), now)
    grace = int(get_policy(session, "invoicing.overdue_alert_days"))
    boundaries = tuple(get_policy(session, "invoicing.aging_buckets"))
    critical_after = boundaries[-1] if boundaries else None
    rows = session.execute(
        select(Invoice.id, Invoice.number, Invoice.direction, Invoice.due_date,
               Invoice.amount_total, Invoice.amount_settled, Invoice.partner_id,
               Partner.code, Partner.name)
        .join(Partner, Partner.id == Invoice.partner_id)
        .where(Invoice.direction.in_(DIRECTIONS),  # the ageing index: side, state, due date
               Invoice.state.in_((OPEN, PARTLY_SETTLED)),
               Invoice.due_date < today - timedelta(days=grace), Invoice.kind == INVOICE)
        .order_by(Invoice.due_date, Invoice.id))
    for (invoice_id, number, direction, due, total, settled, partner_id, code,
         name) in rows:
        days = (today - due).days
        yield AlertCondition(
            f"invoice:{invoice_id}",
            _("{partner} {name} has not paid invoice {number}: {open} open, due {due_date}, "
              "{days} days overdue") if direction == RECEIVABLE else
            _("Invoice {number} of supplier {partner} {name} is unpaid: {open} open, due "
              "{due_date}, {days} days overdue"),
            params={"partner": code, "name": name, "number": number, "open": total - settled,
                    "due_date": due, "days": days},
            subject={"invoice": invoice_id, "partner": partner_id},
            severity=Severity.CRITICAL if critical_after is not None and days > critical_after
            else None)


def invoice_overdue_rule() -> AlertRule:
    return AlertRule(RULE_KEY, _("Invoice overdue"), overdue_invoices,
                     severity=Severity.WARNING, schedule_seconds=3600,
                     on_events=(InvoicePosted, PaymentPosted, InvoiceSettled))
