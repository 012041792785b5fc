"""The alert "warranty expiring" (``warranty.expiring``): for renewal offers (续保) and
customer follow-up.

One condition per live warranty whose end is within its alert days (the policy's
``alert_days``, 30 by default, copied into each warranty): from ``end − alert_days + 1``
to the end itself.  It resolves when the warranty is extended, voided or has expired.
Evaluated daily and after deliveries, returns and extensions.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.addons.base_jxc.returns.events import ReturnReceived
from openjxc.addons.base_jxc.sales.events import SalesDelivered
from openjxc.addons.base_jxc.stock.models import SerialNumber
from openjxc.core.alerts import AlertCondition, AlertRule, Severity
from openjxc.core.formatting import company_date
from openjxc.core.i18n import _

from .events import WarrantyExtended
from .models import Warranty
from .warranties import EXPIRING, status_condition

if TYPE_CHECKING:
    from openjxc.core.env import Environment

RULE_KEY = "warranty.expiring"


def expiring_warranties(session: Session, env: Environment, now: datetime,
                        ) -> Iterator[AlertCondition]:
    """One condition per live warranty within its alert days of the end."""
    today = company_date(getattr(getattr(env, "settings", None), "timezone", None), now)
    rows = session.execute(
        select(Warranty.id, Warranty.end_date, Warranty.serial_id, Warranty.customer_id,
               SerialNumber.number, Partner.code, Partner.name)
        .join(SerialNumber, SerialNumber.id == Warranty.serial_id)
        .join(Partner, Partner.id == Warranty.customer_id)
        .where(status_condition(EXPIRING, today))
        .order_by(Warranty.end_date, Warranty.id))
    for warranty_id, end, serial_id, customer_id, number, code, name in rows:
        yield AlertCondition(
            f"warranty:{warranty_id}",
            _("The warranty of {serial} ({partner} {name}) ends on {end_date}, in {days} "
              "days"),
            params={"serial": number, "partner": code, "name": name, "end_date": end,
                    "days": (end - today).days},
            subject={"warranty": warranty_id, "serial": serial_id, "partner": customer_id})


def warranty_expiring_rule() -> AlertRule:
    return AlertRule(RULE_KEY, _("Warranty expiring"), expiring_warranties,
                     severity=Severity.INFO, schedule_seconds=86400,
                     on_events=(SalesDelivered, ReturnReceived, WarrantyExtended))
