"""Dead and slow-moving stock (呆滞库存 / 滞销库存).

For every product × warehouse holding sellable stock (main stock and bins) at the end of
``as_of`` (default: today):

* **last movement** — the latest move into or out of any of the warehouse's locations
  (receipts, sales, transfers, relocations between bins, count adjustments …);
* **last outgoing** — the latest move that took the goods out of the warehouse to a
  customer, a supplier or another warehouse (not scrapping, not a count correction);
* **dead** when there was no movement in the last ``days`` days (last movement ≤
  ``as_of − days``; policy ``analysis.dead_stock_days``, 180);
* otherwise **slow-moving** when nothing went out in the last ``slow_moving_days``
  (policy ``analysis.slow_moving_days``, 90): the last outgoing move — or, for goods that
  never left, their first arrival — is at least that old.

Quantity and value are the stock chapter's as-of figures (snapshot + later moves), so the
value is what the ledger carries, serial units at their own cost.  The dates are found per
pair by an index walk down ``(product_id, move_date)`` that stops at the first move of
that warehouse, so the report costs about one seek per pair with stock, however long the
ledger is.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import CTE, Select, case, func, or_, select, type_coerce
from sqlalchemy.orm import Session, aliased

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.models import Money, Quantity

from ..policies.services import get_policy
from ..stock.models import Location, StockMove
from ..stock.posting import business_today
from ..stock.queries import stock_as_of_statement
from .common import in_warehouses, money

#: The most days the report looks back (about 30 years).
MAX_DAYS = 10_950
#: Where goods go when they leave the company (an outgoing movement).
OUTSIDE_KINDS = ("customer", "supplier")
#: The columns of :func:`dead_stock_statement`, in order.
COLUMNS = ("warehouse_id", "product_id", "quantity", "value", "last_movement_date",
           "last_outgoing_date", "first_movement_date", "status")


class StockAge(Enum):
    DEAD = "dead"
    SLOW_MOVING = "slow_moving"


@dataclass(frozen=True)
class DeadStockCriteria:
    as_of: date
    days: int
    slow_moving_days: int
    warehouse_ids: Collection[int] | None = None
    status: StockAge | None = None

    @property
    def dead_before(self) -> date:
        """Last movement on or before this day: dead."""
        return self.as_of - timedelta(days=self.days)

    @property
    def slow_before(self) -> date:
        return self.as_of - timedelta(days=self.slow_moving_days)


@dataclass(frozen=True)
class DeadStockItem:
    """A product × warehouse whose stock does not move (or hardly sells)."""

    product_id: int
    warehouse_id: int
    quantity: Decimal
    value: Decimal
    last_movement_date: date
    last_outgoing_date: date | None
    first_movement_date: date
    status: StockAge
    as_of: date

    @property
    def idle_days(self) -> int:
        """Days since the last movement of any kind."""
        return (self.as_of - self.last_movement_date).days

    @property
    def days_without_outgoing(self) -> int:
        """Days since goods last left (or, if they never did, since they first came)."""
        return (self.as_of - (self.last_outgoing_date or self.first_movement_date)).days


def criteria(session: Session, *, days: int | None = None,
             slow_moving_days: int | None = None, as_of: date | None = None,
             warehouse_ids: Collection[int] | None = None,
             status: StockAge | None = None) -> DeadStockCriteria:
    """Checked criteria, the days defaulting to the policies: ``INVALID`` at ``days`` /
    ``slowMovingDays`` when not between 1 and about 30 years."""
    errors = []
    for name, value in (("days", days), ("slowMovingDays", slow_moving_days)):
        if value is not None and not 1 <= value <= MAX_DAYS:
            errors.append(FieldError("INVALID", _("Give a number of days from 1 to {most}",
                                                  most=MAX_DAYS), field=name))
    if errors:
        raise ValidationFailed(errors)
    return DeadStockCriteria(
        as_of=as_of or business_today(session),
        days=days if days is not None else int(get_policy(session, "analysis.dead_stock_days")),
        slow_moving_days=slow_moving_days if slow_moving_days is not None
        else int(get_policy(session, "analysis.slow_moving_days")),
        warehouse_ids=warehouse_ids, status=status)


def _held(session: Session, wanted: DeadStockCriteria) -> CTE:
    """Sellable stock per product × warehouse with its three dates, materialised once."""
    stock = stock_as_of_statement(session, wanted.as_of).subquery("stock")
    warehouse_id, product_id = stock.c.warehouse_id, stock.c.product_id
    source, target = aliased(Location), aliased(Location)
    moves = (select(StockMove.move_date)
             .join(source, source.id == StockMove.from_location_id)
             .join(target, target.id == StockMove.to_location_id)
             .where(StockMove.product_id == product_id, StockMove.move_date <= wanted.as_of)
             .limit(1))
    here = or_(source.warehouse_id == warehouse_id, target.warehouse_id == warehouse_id)
    leaving = (source.warehouse_id == warehouse_id) & or_(
        target.warehouse_id != warehouse_id, target.kind.in_(OUTSIDE_KINDS))
    latest = StockMove.move_date.desc()
    held = (select(warehouse_id.label("warehouse_id"), product_id.label("product_id"),
                   type_coerce(func.sum(stock.c.quantity), Quantity()).label("quantity"),
                   type_coerce(func.sum(stock.c.value), Money()).label("value"),
                   moves.where(here).order_by(latest).scalar_subquery()
                   .label("last_movement_date"),
                   moves.where(leaving).order_by(latest).scalar_subquery()
                   .label("last_outgoing_date"),
                   moves.where(here).order_by(StockMove.move_date).scalar_subquery()
                   .label("first_movement_date"))
            .join(Location, Location.id == stock.c.location_id)
            .where(Location.kind == "internal", in_warehouses(warehouse_id,
                                                              wanted.warehouse_ids))
            .group_by(warehouse_id, product_id)
            .having(func.sum(stock.c.quantity) > 0))
    return held.cte("held").prefix_with("MATERIALIZED")


def dead_stock_statement(session: Session, wanted: DeadStockCriteria) -> Select[Any]:
    """The dead and slow-moving pairs as a statement (to page through): columns
    ``warehouse_id``, ``product_id``, ``quantity``, ``value``, the three dates and
    ``status``; turn rows into items with :func:`item_of`."""
    held = _held(session, wanted)
    status = case((held.c.last_movement_date <= wanted.dead_before, StockAge.DEAD.value),
                  (func.coalesce(held.c.last_outgoing_date, held.c.first_movement_date)
                   <= wanted.slow_before, StockAge.SLOW_MOVING.value))
    stmt = select(*(held.c[name] for name in COLUMNS[:-1]),
                  status.label("status")).where(status.is_not(None))
    if wanted.status is not None:
        stmt = stmt.where(status == wanted.status.value)
    return stmt


def item_of(row: Mapping[Any, Any], as_of: date) -> DeadStockItem:
    """The item of a row of :func:`dead_stock_statement` (by column name)."""
    return DeadStockItem(
        product_id=row["product_id"], warehouse_id=row["warehouse_id"],
        quantity=row["quantity"], value=money(row["value"]),
        last_movement_date=row["last_movement_date"],
        last_outgoing_date=row["last_outgoing_date"],
        first_movement_date=row["first_movement_date"], status=StockAge(row["status"]),
        as_of=as_of)


def dead_stock(session: Session, wanted: DeadStockCriteria) -> list[DeadStockItem]:
    """Every dead and slow-moving pair, longest idle first."""
    stmt = dead_stock_statement(session, wanted).order_by("last_movement_date",
                                                          "warehouse_id", "product_id")
    return [item_of(r._mapping, wanted.as_of) for r in session.execute(stmt)]
