"""Sales trend (销售趋势): revenue, quantity and cost of goods sold per calendar month.

* Goods delivered count in the month of their delivery: quantity from the delivery
  lines, revenue (tax-exclusive) = delivered quantity × the order line's unit price,
  rounded half-up to the cent per delivery line, cost = the value the delivery recorded.
* Goods customers sent back count against the month they were received in: the quantity
  and value of the return's receiving move, priced at the return line's credited price
  (else its order line's).

Every month the period touches is listed, empty ones with zeros; months are calendar
months, clipped to the period.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Select, extract, func, literal_column, select, type_coerce, union_all
from sqlalchemy.orm import Session

from openjxc.core.models import Money, Quantity

from ..returns.models import ReturnLine, ReturnRequest
from ..sales.models import SalesDelivery, SalesDeliveryLine, SalesOrderLine
from ..stock.models import StockMove
from .common import GroupBy, Period, group_key, in_warehouses, key_of, money
from .sql import line_amount


@dataclass(frozen=True)
class SalesMonth:
    year: int
    month: int
    quantity: Decimal = Decimal(0)
    revenue: Decimal = Decimal("0.00")
    cost: Decimal = Decimal("0.00")

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost


@dataclass(frozen=True)
class TrendFigure:
    """The months of one group (``group_id`` None for the whole company)."""

    group_id: int | None
    months: list[SalesMonth] = field(default_factory=list)

    @property
    def quantity(self) -> Decimal:
        return sum((m.quantity for m in self.months), Decimal(0))

    @property
    def revenue(self) -> Decimal:
        return sum((m.revenue for m in self.months), Decimal("0.00"))


def _delivered(period: Period) -> Select[object]:
    line = SalesDeliveryLine
    return (select(line.product_id.label("product_id"),
                   SalesDelivery.warehouse_id.label("warehouse_id"),
                   SalesDelivery.delivery_date.label("day"),
                   line.quantity.label("quantity"),
                   line_amount(line.quantity, SalesOrderLine.unit_price).label("revenue"),
                   line.cost.label("cost"))
            .join(SalesDelivery, SalesDelivery.id == line.delivery_id)
            .join(SalesOrderLine, SalesOrderLine.id == line.order_line_id)
            .where(SalesDelivery.delivery_date >= period.date_from,
                   SalesDelivery.delivery_date <= period.date_to))


def _returned(period: Period) -> Select[object]:
    price = func.coalesce(ReturnLine.unit_price, SalesOrderLine.unit_price,
                          literal_column("0"))
    return (select(ReturnLine.product_id, ReturnRequest.warehouse_id,
                   StockMove.move_date,
                   -StockMove.quantity,
                   -line_amount(StockMove.quantity, price),
                   -StockMove.value)
            .join(StockMove, StockMove.id == ReturnLine.receive_move_id)
            .join(ReturnRequest, ReturnRequest.id == ReturnLine.return_id)
            .outerjoin(SalesOrderLine, SalesOrderLine.id == ReturnLine.sales_order_line_id)
            .where(StockMove.move_date >= period.date_from,
                   StockMove.move_date <= period.date_to))


def sales_trend(session: Session, period: Period, group_by: GroupBy, *,
                warehouse_ids: Collection[int] | None = None) -> list[TrendFigure]:
    """Monthly sales per group over ``period``, in one statement (groups that sold
    nothing are left out; the whole company always has its row)."""
    sold = union_all(_delivered(period), _returned(period)).subquery("sold")
    stmt, key = group_key(select().select_from(sold), group_by,
                          product_id=sold.c.product_id, warehouse_id=sold.c.warehouse_id)
    year = extract("year", sold.c.day)
    month = extract("month", sold.c.day)
    keys = [year, month] if group_by is GroupBy.NONE else [key, year, month]
    stmt = (stmt.add_columns(key_of(group_by, key).label("group_id"),
                             year.label("year"), month.label("month"),
                             type_coerce(func.sum(sold.c.quantity), Quantity()).label("quantity"),
                             type_coerce(func.sum(sold.c.revenue), Money()).label("revenue"),
                             type_coerce(func.sum(sold.c.cost), Money()).label("cost"))
            .where(in_warehouses(sold.c.warehouse_id, warehouse_ids))
            .group_by(*keys))
    found: dict[int | None, dict[tuple[int, int], SalesMonth]] = {}
    if group_by is GroupBy.NONE:
        found[None] = {}
    for r in session.execute(stmt):
        at = (int(r.year), int(r.month))
        found.setdefault(r.group_id, {})[at] = SalesMonth(
            *at, quantity=Decimal(r.quantity or 0), revenue=money(r.revenue),
            cost=money(r.cost))
    months = period.months()
    return [TrendFigure(group_id, [by_month.get(m) or SalesMonth(*m) for m in months])
            for group_id, by_month in sorted(found.items(), key=lambda kv: kv[0] or 0)]
