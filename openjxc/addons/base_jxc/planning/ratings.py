"""Users rate suppliers' service (1–5) once a month: the "service" 20% of the score.

One rating per user, supplier and month; rating again in the same month replaces the
user's earlier rating.  Example::

    rate_supplier(session, supplier_id=s1, score=4, period="2026-03", user_id=7)
"""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.models import utcnow
from openjxc.core.validation import check_text

from ..partners.models import Partner
from ..stock.posting import business_today
from .models import SupplierServiceRating
from .sales_history import month_index, month_label

PERIOD = re.compile(r"^(\d{4})-(\d{2})$")
LOWEST, HIGHEST = 1, 5


def parse_period(text: str) -> int | None:
    """The month index of ``YYYY-MM``, or None when malformed."""
    found = PERIOD.match(text)
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 1900:
        return None
    return int(found.group(1)) * 12 + int(found.group(2)) - 1


def rate_supplier(session: Session, *, supplier_id: int | None, score: int,
                  period: str | None = None, comment: str = "", user_id: int | None,
                  today: date | None = None) -> SupplierServiceRating:
    """Record (or replace) ``user_id``'s rating of the supplier for ``period`` (``YYYY-MM``,
    default: this month).  Refusals: ``NOT_FOUND`` / ``INVALID`` on ``supplierId``,
    ``INVALID`` on ``score`` (1–5), ``period`` (malformed or a month not yet begun) and
    ``comment``; ``REQUIRED`` without a user."""
    errors: list[FieldError] = []
    this_month = month_index(today or business_today(session))
    supplier = session.get(Partner, supplier_id) if supplier_id is not None else None
    if supplier is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown supplier"), field="supplierId"))
    elif not supplier.is_supplier:
        errors.append(FieldError("INVALID", _("This partner is not a supplier"),
                                 field="supplierId"))
    if isinstance(score, bool) or not isinstance(score, int) \
            or not LOWEST <= score <= HIGHEST:
        errors.append(FieldError("INVALID", _("A rating is from {low} to {high}"),
                                 field="score", low=LOWEST, high=HIGHEST))
    month = this_month if period is None else parse_period(period.strip())
    if month is None:
        errors.append(FieldError("INVALID", _("A month is written YYYY-MM, e.g. 2026-03"),
                                 field="period"))
    elif month > this_month:
        errors.append(FieldError("INVALID", _("A month that has not begun cannot be rated"),
                                 field="period"))
    comment = check_text(errors, comment, "comment", max_length=400)
    if user_id is None:
        errors.append(FieldError("REQUIRED", _("Only a signed-in user can rate a supplier"),
                                 field="supplierId"))
    if errors:
        raise ValidationFailed(errors)
    assert supplier is not None and month is not None and user_id is not None
    label = month_label(month)
    rating = session.scalars(select(SupplierServiceRating).where(
        SupplierServiceRating.supplier_id == supplier.id,
        SupplierServiceRating.period == label,
        SupplierServiceRating.rated_by_id == user_id)).one_or_none()
    if rating is None:
        rating = SupplierServiceRating(supplier_id=supplier.id, period=label,
                                       rated_by_id=user_id)
        session.add(rating)
    rating.score = score
    rating.comment = comment
    rating.rated_at = utcnow()
    session.flush()
    return rating
