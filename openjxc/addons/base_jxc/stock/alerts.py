"""The stock chapter's alert rules (see :mod:`openjxc.core.alerts`).

* ``stock.below_safety``: a product whose available stock (on hand − reserved, in the
  warehouses' main stock and bins, all warehouses together) is below its safety stock.
* ``stock.batch_near_expiry``: a batch still in stock that expires within N days (the
  company's policy ``stock.batch_expiry_days``, default 30) or has expired (critical).

Both are asked again after every posting (``stock.moves.posted``) and on a schedule, and
the kernel keeps one open alert per condition, resolved when stock is back or the batch is
gone.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import func, select, type_coerce
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.policies.services import get_policy
from openjxc.core.alerts import AlertCondition, AlertRule, Severity
from openjxc.core.formatting import company_date
from openjxc.core.i18n import _
from openjxc.core.models import Quantity

from .events import StockMovesPosted
from .models import Batch, Location, StockBalance

if TYPE_CHECKING:
    from openjxc.core.env import Environment

#: Where stock counts for expiry: everything the company holds except the scrap area.
HELD_KINDS = ("internal", "transit", "quarantine")


def below_safety(session: Session, env: Environment, now: datetime,
                 ) -> Iterator[AlertCondition]:
    """Products with a safety stock whose available quantity is below it."""
    safety = getattr(Product, "safety_stock", None)
    if safety is None:  # a catalog without safety stocks: nothing to watch
        return
    available = (select(StockBalance.product_id.label("product_id"),
                        func.sum(StockBalance.quantity - StockBalance.reserved)
                        .label("available"))
                 .join(Location, Location.id == StockBalance.location_id)
                 .where(Location.kind == "internal")
                 .group_by(StockBalance.product_id).subquery())
    left = type_coerce(func.coalesce(available.c.available, 0), Quantity())
    rows = session.execute(
        select(Product.id, Product.code, Product.name, safety, left.label("available"))
        .outerjoin(available, available.c.product_id == Product.id)
        .where(safety > 0, func.coalesce(available.c.available, 0) < safety)
        .order_by(Product.code))
    for product_id, code, name, level, quantity in rows:
        yield AlertCondition(
            f"product:{product_id}",
            _("{code} {name}: {available} available, safety stock {safety}"),
            params={"code": code, "name": name, "available": Decimal(quantity or 0),
                    "safety": Decimal(level)},
            subject={"product": product_id},
            severity=Severity.CRITICAL if (quantity or 0) <= 0 else None)


def batch_near_expiry(days: int | None = None) -> Any:
    """An evaluator for batches in stock expiring within ``days`` (default: the company's
    policy ``stock.batch_expiry_days``, read at each evaluation)."""

    def evaluate(session: Session, env: Environment, now: datetime,
                 ) -> Iterator[AlertCondition]:
        within = days if days is not None else int(get_policy(session,
                                                              "stock.batch_expiry_days"))
        today = company_date(getattr(getattr(env, "settings", None), "timezone", None), now)
        held = (select(StockBalance.batch_id.label("batch_id"),
                       func.sum(StockBalance.quantity).label("quantity"))
                .join(Location, Location.id == StockBalance.location_id)
                .where(Location.kind.in_(HELD_KINDS), StockBalance.batch_id != 0)
                .group_by(StockBalance.batch_id).subquery())
        rows = session.execute(
            select(Batch.id, Batch.number, Batch.expires_on, Product.id, Product.code,
                   type_coerce(held.c.quantity, Quantity()))
            .join(held, held.c.batch_id == Batch.id)
            .join(Product, Product.id == Batch.product_id)
            .where(held.c.quantity > 0, Batch.expires_on.is_not(None),
                   Batch.expires_on <= today + timedelta(days=within))
            .order_by(Batch.expires_on, Batch.id))
        for batch_id, number, expiry, product_id, code, quantity in rows:
            expires_on = cast(date, expiry)  # not NULL: filtered above
            expired = expires_on < today
            yield AlertCondition(
                f"batch:{batch_id}",
                _("Batch {batch} of {code} ({quantity} in stock) expired on {date}") if expired
                else _("Batch {batch} of {code} ({quantity} in stock) expires on {date}"),
                params={"batch": number, "code": code, "quantity": Decimal(quantity),
                        "date": expires_on, "days": (expires_on - today).days},
                subject={"batch": batch_id, "product": product_id},
                severity=Severity.CRITICAL if expired else None)

    return evaluate


def alert_rules(expiry_days: int | None = None) -> list[AlertRule]:
    return [
        AlertRule("stock.below_safety", _("Stock below safety level"), below_safety,
                  severity=Severity.WARNING, schedule_seconds=900,
                  on_events=(StockMovesPosted,)),
        AlertRule("stock.batch_near_expiry", _("Batch near expiry"),
                  batch_near_expiry(expiry_days), severity=Severity.WARNING,
                  schedule_seconds=6 * 3600, on_events=(StockMovesPosted,)),
    ]
