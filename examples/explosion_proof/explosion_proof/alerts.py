"""The alert "certificate expiring" (``explosion_proof.certificate_expiring``).

One condition per product whose certificate expires within its alert days (30 by
default) or has expired — an expired one is critical: the product may no longer be sold
for hazardous areas.  It resolves when a new certificate is recorded or the grade is
cleared.  Evaluated daily and after every change of a grade.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.core.alerts import AlertCondition, AlertRule, Severity
from openjxc.core.formatting import company_date
from openjxc.core.i18n import _

from .events import ExplosionProofChanged
from .models import ExplosionProofRating
from .services import MAX_ALERT_DAYS

if TYPE_CHECKING:
    from openjxc.core.env import Environment

RULE_KEY = "explosion_proof.certificate_expiring"


def expiring_certificates(session: Session, env: Environment, now: datetime,
                          ) -> Iterator[AlertCondition]:
    """One condition per certificate within its alert days of expiry, or past it."""
    today = company_date(getattr(getattr(env, "settings", None), "timezone", None), now)
    rating = ExplosionProofRating
    rows = session.execute(
        select(rating.product_id, rating.grade, rating.certificate_number,
               rating.certificate_expires_on, rating.alert_days, Product.code, Product.name)
        .join(Product, Product.id == rating.product_id)
        .where(rating.certificate_expires_on <= today + timedelta(days=MAX_ALERT_DAYS))
        .order_by(rating.certificate_expires_on, rating.product_id))
    for product_id, grade, number, expires, alert_days, code, name in rows:
        days = (expires - today).days if expires is not None else alert_days + 1
        if days > alert_days:
            continue
        params = {"code": code, "name": name, "grade": grade, "number": number,
                  "expires_on": expires, "days": days}
        if days < 0:
            yield AlertCondition(
                f"product:{product_id}:expired",
                _("The explosion-proof certificate {number} of {code} {name} ({grade}) "
                  "expired on {expires_on}"),
                params=params, subject={"product": product_id}, severity=Severity.CRITICAL)
        else:
            yield AlertCondition(
                f"product:{product_id}:expiring",
                _("The explosion-proof certificate {number} of {code} {name} ({grade}) "
                  "expires on {expires_on}, in {days} days"),
                params=params, subject={"product": product_id})


def certificate_expiring_rule() -> AlertRule:
    return AlertRule(RULE_KEY, _("Explosion-proof certificate expiring"),
                     expiring_certificates, severity=Severity.WARNING,
                     schedule_seconds=86400, on_events=(ExplosionProofChanged,))
