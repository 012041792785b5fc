"""The alert "transfer shipped and not received in time" (SPEC.md: 48 hours, configurable).

The limit is, in order: the transfer's own ``receive_within_hours`` (a far branch may take
four days), the rule's ``hours`` (``transfer_not_received_rule(hours=72)``), the
``OPENJXC_TRANSFER_RECEIVE_HOURS`` environment variable, and 48 hours.  The alert names
the transfer (``subject={"stockTransfer": id}``) and resolves once it is received.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from openjxc.core.alerts import AlertCondition, AlertRule, Severity
from openjxc.core.i18n import _

from ..stock.models import Warehouse
from .events import TransferReceived, TransferShipped
from .models import SHIPPED, StockTransfer

RULE_KEY = "stock.transfer_not_received"
DEFAULT_RECEIVE_HOURS = 48
HOURS_VARIABLE = "OPENJXC_TRANSFER_RECEIVE_HOURS"


def default_receive_hours(environ: dict[str, str] | None = None) -> int:
    """The deployment's limit: ``OPENJXC_TRANSFER_RECEIVE_HOURS`` if it is a positive whole
    number, else 48."""
    raw = (os.environ if environ is None else environ).get(HOURS_VARIABLE, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_RECEIVE_HOURS


def overdue_transfers(session: Session, now: datetime, default_hours: int,
                      ) -> Iterator[tuple[Any, int]]:
    """Shipped transfers still not received ``hours`` after shipping, with those hours.

    Only transfers shipped at least the shortest possible limit (one hour) ago are read,
    and transfers in transit are few, so the per-transfer limit is applied here.
    """
    source, target = aliased(Warehouse), aliased(Warehouse)
    rows = session.execute(
        select(StockTransfer.id, StockTransfer.number, StockTransfer.shipped_at,
               StockTransfer.receive_within_hours, source.code.label("from_code"),
               target.code.label("to_code"))
        .join(source, source.id == StockTransfer.from_warehouse_id)
        .join(target, target.id == StockTransfer.to_warehouse_id)
        .where(StockTransfer.state == SHIPPED,
               StockTransfer.shipped_at <= now - timedelta(hours=1))
        .order_by(StockTransfer.id))
    for row in rows:
        hours = row.receive_within_hours or default_hours
        if row.shipped_at + timedelta(hours=hours) <= now:
            yield row, hours


def transfer_not_received_rule(hours: int | None = None) -> AlertRule:
    """The rule, with ``hours`` as the default limit (None: the deployment's)."""

    def evaluate(session: Session, env: Any, now: datetime) -> Iterator[AlertCondition]:
        limit = hours or default_receive_hours()
        for row, due_hours in overdue_transfers(session, now, limit):
            yield AlertCondition(
                f"transfer:{row.id}",
                _("Transfer {number} from {source} to {target}, shipped {shipped_at}, is "
                  "not received after {hours} hours"),
                params={"number": row.number, "source": row.from_code,
                        "target": row.to_code, "shipped_at": row.shipped_at,
                        "hours": due_hours},
                subject={"stockTransfer": row.id})

    return AlertRule(RULE_KEY, _("Transfer not received in time"), evaluate,
                     severity=Severity.WARNING, schedule_seconds=900,
                     on_events=(TransferShipped, TransferReceived))
