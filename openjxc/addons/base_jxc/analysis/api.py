"""The KPIs in GraphQL: ``kpis(from, to, groupBy)``.

``kpis`` returns a :class:`Kpis` object whose fields are the reports; a report is computed
only when its field is selected, each in a fixed number of statements (nested products,
categories and warehouses load through DataLoaders).  Values in CNY need
``stock.cost.read`` (``null`` with ``FORBIDDEN`` otherwise), ratios do not.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from openjxc.graphql import Contribution, field, get_session

from ..stock.api_types import COST
from . import accuracy, approvals, services, stockouts, trend
from .api_dead_stock import DeadStockItem, StockAge, dead_stock
from .api_groups import KpiGroup, KpiGroupBy, checked, warehouses_of
from .common import GroupBy, Period
from .turnover import TurnoverFigure, inventory_turnover


@strawberry.type(description="Inventory turnover: cost of goods sold ÷ average inventory "
                             "value (mean of the opening and closing stock value).")
class InventoryTurnoverKpi(KpiGroup):
    turnover: Decimal | None = strawberry.field(
        description="Times the average stock was sold in the period; null without stock.")
    turnover_days: Decimal | None = strawberry.field(
        description="Days of the period ÷ turnover; null without sales or stock.")
    _figure: strawberry.Private[TurnoverFigure]

    @field(permission=COST, description="Value of sales deliveries − customer returns (CNY).")
    def cost_of_goods_sold(self) -> Decimal | None:
        return self._figure.cost_of_goods_sold

    @field(permission=COST, description="Stock value at the end of the day before the "
                                        "period (CNY).")
    def opening_value(self) -> Decimal | None:
        return self._figure.opening_value

    @field(permission=COST, description="Stock value at the end of the period (CNY).")
    def closing_value(self) -> Decimal | None:
        return self._figure.closing_value

    @field(permission=COST, description="(Opening + closing value) ÷ 2 (CNY).")
    def average_value(self) -> Decimal | None:
        return self._figure.average_value


@strawberry.type(description="Stockout rate: product × warehouse pairs with demand whose "
                             "sellable stock hit zero, ÷ pairs with demand.")
class StockoutRateKpi(KpiGroup):
    demand_count: int = strawberry.field(description="Product × warehouse pairs ordered or "
                                                     "delivered in the period.")
    stockout_count: int = strawberry.field(description="Of which ran out (stock ≤ 0 at the "
                                                       "start or the end of a day).")
    rate: Decimal | None = strawberry.field(description="Stockouts ÷ pairs (0–1).")


@strawberry.type(description="On-time delivery: sales orders due in the period delivered "
                             "in full by their promised date.")
class OnTimeDeliveryKpi(KpiGroup):
    due_count: int = strawberry.field(description="Orders promised in the period (up to "
                                                  "today).")
    on_time_count: int = strawberry.field(description="Of which delivered in full on or "
                                                      "before the promised date.")
    rate: Decimal | None = strawberry.field(description="On time ÷ due (0–1).")


@strawberry.type(description="Inventory accuracy of the stock counts posted in the period.")
class InventoryAccuracyKpi(KpiGroup):
    count_count: int = strawberry.field(description="Posted counts.")
    line_count: int = strawberry.field(description="Lines judged.")
    accurate_line_count: int = strawberry.field(description="Lines without a variance.")
    line_accuracy: Decimal | None = strawberry.field(description="Accurate ÷ judged lines "
                                                                 "(0–1).")
    value_accuracy: Decimal | None = strawberry.field(
        description="1 − Σ|variance value| ÷ Σ expected value (0–1); null per product and "
                    "category.")


@strawberry.type(description="Purchase approval time: hours from creating a purchase order "
                             "to its approval, over the orders approved in the period.")
class PurchaseApprovalTimeKpi(KpiGroup):
    order_count: int
    average_hours: Decimal | None
    max_hours: Decimal | None


@strawberry.type(description="Sales of one calendar month.")
class SalesTrendMonth:
    month: str = strawberry.field(description="The month, e.g. 2026-03.")
    quantity: Decimal = strawberry.field(description="Delivered − returned quantity.")
    revenue: Decimal = strawberry.field(description="Revenue before tax (CNY).")
    _cost: strawberry.Private[Decimal]

    @field(permission=COST, description="Cost of the goods sold (CNY).")
    def cost(self) -> Decimal | None:
        return self._cost

    @field(permission=COST, description="Revenue − cost (CNY).")
    def margin(self) -> Decimal | None:
        return self.revenue - self._cost

    @classmethod
    def from_figure(cls, m: trend.SalesMonth) -> SalesTrendMonth:
        return cls(month=f"{m.year:04d}-{m.month:02d}", quantity=m.quantity,
                   revenue=m.revenue, _cost=m.cost)


@strawberry.type(description="Sales trend: revenue and quantity per month.")
class SalesTrendKpi(KpiGroup):
    quantity: Decimal
    revenue: Decimal
    months: list[SalesTrendMonth]


@strawberry.type(description="The KPIs of a period; each report is computed only when "
                             "selected.")
class Kpis:
    date_from: date
    date_to: date
    group_by: KpiGroupBy
    period: strawberry.Private[Period]
    warehouse_ids: strawberry.Private[list[int] | None]

    @property
    def _grouping(self) -> GroupBy:
        return self.group_by.grouping

    @strawberry.field(description="Inventory turnover per group.")
    def inventory_turnover(self, info: Info[Any, Any]) -> list[InventoryTurnoverKpi]:
        figures = inventory_turnover(get_session(info), self.period, self._grouping,
                                     warehouse_ids=self.warehouse_ids)
        return [InventoryTurnoverKpi(group_by=self._grouping, group_id=f.group_id,
                                     turnover=f.turnover, turnover_days=f.turnover_days,
                                     _figure=f) for f in figures]

    @strawberry.field(description="Stockout rate per group.")
    def stockout_rate(self, info: Info[Any, Any]) -> list[StockoutRateKpi]:
        figures = stockouts.stockout_rate(get_session(info), self.period, self._grouping,
                                          warehouse_ids=self.warehouse_ids)
        return [StockoutRateKpi(group_by=self._grouping, group_id=f.group_id,
                                demand_count=f.demand_count, stockout_count=f.stockout_count,
                                rate=f.rate) for f in figures]

    @strawberry.field(description="On-time delivery rate of sales orders per group.")
    def on_time_delivery(self, info: Info[Any, Any]) -> list[OnTimeDeliveryKpi]:
        figures = services.on_time_delivery(get_session(info), self.period, self._grouping,
                                            warehouse_ids=self.warehouse_ids)
        return [OnTimeDeliveryKpi(group_by=self._grouping, group_id=f.group_id,
                                  due_count=f.due_count, on_time_count=f.on_time_count,
                                  rate=f.rate) for f in figures]

    @strawberry.field(description="Inventory accuracy of the counts posted, per group.")
    def inventory_accuracy(self, info: Info[Any, Any]) -> list[InventoryAccuracyKpi]:
        figures = accuracy.inventory_accuracy(get_session(info), self.period, self._grouping,
                                              warehouse_ids=self.warehouse_ids)
        return [InventoryAccuracyKpi(group_by=self._grouping, group_id=f.group_id,
                                     count_count=f.count_count, line_count=f.line_count,
                                     accurate_line_count=f.accurate_line_count,
                                     line_accuracy=f.line_accuracy,
                                     value_accuracy=f.value_accuracy) for f in figures]

    @strawberry.field(description="Purchase approval time per group.")
    def purchase_approval_time(self, info: Info[Any, Any]) -> list[PurchaseApprovalTimeKpi]:
        figures = approvals.purchase_approval_time(get_session(info), self.period,
                                                   self._grouping,
                                                   warehouse_ids=self.warehouse_ids)
        return [PurchaseApprovalTimeKpi(group_by=self._grouping, group_id=f.group_id,
                                        order_count=f.order_count,
                                        average_hours=f.average_hours, max_hours=f.max_hours)
                for f in figures]

    @strawberry.field(description="Monthly sales per group.")
    def sales_trend(self, info: Info[Any, Any]) -> list[SalesTrendKpi]:
        figures = trend.sales_trend(get_session(info), self.period, self._grouping,
                                    warehouse_ids=self.warehouse_ids)
        return [SalesTrendKpi(group_by=self._grouping, group_id=f.group_id,
                              quantity=f.quantity, revenue=f.revenue,
                              months=[SalesTrendMonth.from_figure(m) for m in f.months])
                for f in figures]


def kpis(info: Info[Any, Any],
         date_from: Annotated[date, strawberry.argument(
             name="from", description="First day of the period (business date).")],
         date_to: Annotated[date, strawberry.argument(
             name="to", description="Last day of the period, included.")],
         group_by: Annotated[KpiGroupBy, strawberry.argument(
             description="Figures for the whole company or per product, category or "
                         "warehouse.")] = KpiGroupBy.NONE,
         warehouse_code: Annotated[str | None, strawberry.argument(
             description="One warehouse (default: all the caller may see).")] = None
         ) -> Kpis:
    """The KPIs of ``from`` … ``to`` (business dates, inclusive), per ``groupBy``, over one
    warehouse or all the caller may see."""
    period = checked(info, lambda: services.period(date_from, date_to))
    return Kpis(date_from=date_from, date_to=date_to, group_by=group_by, period=period,
                warehouse_ids=warehouses_of(info, warehouse_code))


def contribution() -> Contribution:
    return Contribution(
        types=[KpiGroupBy, KpiGroup, Kpis, InventoryTurnoverKpi, StockoutRateKpi,
               OnTimeDeliveryKpi, InventoryAccuracyKpi, PurchaseApprovalTimeKpi,
               SalesTrendKpi, SalesTrendMonth, StockAge, DeadStockItem],
        queries=[
            field(kpis, permission="analysis.kpi.read", name="kpis",
                  description="Turnover, stockouts, on-time delivery, inventory accuracy, "
                              "purchase approval time and sales trend of a period."),
            field(dead_stock, permission="analysis.dead_stock.read", name="deadStock",
                  description="Stock without movement (dead) or without sales "
                              "(slow-moving) for a number of days, with its value."),
        ],
    )
