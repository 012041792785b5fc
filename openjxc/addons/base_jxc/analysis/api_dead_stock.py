"""Dead and slow-moving stock in GraphQL: ``deadStock`` (a connection, longest idle first).
What counts as dead or slow-moving is told in :mod:`.dead_stock`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from openjxc.core.i18n import _
from openjxc.graphql import Connection, field, get_session, paginate

from ..catalog.api import Product
from ..stock.api_types import COST, Warehouse, load_products, load_warehouses
from . import dead_stock as service
from .api_groups import checked, warehouses_of


@strawberry.enum(description="How long stock has not moved.")
class StockAge(Enum):
    DEAD = "dead"
    SLOW_MOVING = "slow_moving"

    __labels__ = {"DEAD": _("Dead stock"), "SLOW_MOVING": _("Slow-moving")}


@strawberry.type(description="Sellable stock of a product in a warehouse that has not moved "
                             "(dead) or not sold (slow-moving) for a number of days.")
class DeadStockItem:
    status: StockAge
    quantity: Decimal = strawberry.field(description="On hand in the warehouse's stock and "
                                                     "bins.")
    last_movement_date: date = strawberry.field(description="Latest move in or out of the "
                                                            "warehouse.")
    last_outgoing_date: date | None = strawberry.field(
        description="Latest move out to a customer, a supplier or another warehouse; null "
                    "if the goods never left.")
    first_movement_date: date = strawberry.field(description="When the product first came "
                                                             "into the warehouse.")
    idle_days: int = strawberry.field(description="Days since the last movement.")
    days_without_outgoing: int = strawberry.field(
        description="Days since goods last left (since they first came, if never).")
    product_id: strawberry.Private[int]
    warehouse_id: strawberry.Private[int]
    _value: strawberry.Private[Decimal]

    @field(permission=COST, description="Stock value (CNY).")
    def value(self) -> Decimal | None:
        return self._value

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product:
        return await load_products(info).load(self.product_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse:
        return await load_warehouses(info).load(self.warehouse_id)  # type: ignore[no-any-return]

    @classmethod
    def from_item(cls, item: service.DeadStockItem) -> DeadStockItem:
        return cls(status=StockAge(item.status.value), quantity=item.quantity,
                   last_movement_date=item.last_movement_date,
                   last_outgoing_date=item.last_outgoing_date,
                   first_movement_date=item.first_movement_date, idle_days=item.idle_days,
                   days_without_outgoing=item.days_without_outgoing,
                   product_id=item.product_id, warehouse_id=item.warehouse_id,
                   _value=item.value)


def dead_stock(
        info: Info[Any, Any],
        days: Annotated[int | None, strawberry.argument(
            description="Dead after this many days without movement (default: policy "
                        "analysis.dead_stock_days).")] = None,
        slow_moving_days: Annotated[int | None, strawberry.argument(
            description="Slow-moving after this many days without goods going out "
                        "(default: policy analysis.slow_moving_days).")] = None,
        warehouse_code: Annotated[str | None, strawberry.argument(
            description="One warehouse (default: all the caller may see).")] = None,
        status: Annotated[StockAge | None, strawberry.argument(
            description="Only dead or only slow-moving stock.")] = None,
        as_of: Annotated[date | None, strawberry.argument(
            description="The day to judge at (default: today).")] = None,
        first: int | None = None, after: str | None = None, last: int | None = None,
        before: str | None = None) -> Connection[DeadStockItem]:
    """Dead (no movement in ``days``, default policy ``analysis.dead_stock_days``) and
    slow-moving (nothing went out in ``slowMovingDays``, default policy
    ``analysis.slow_moving_days``) stock at the end of ``asOf`` (default today), per
    product × warehouse, longest idle first."""
    session = get_session(info)
    warehouse_ids = warehouses_of(info, warehouse_code)
    wanted = checked(info, lambda: service.criteria(
        session, days=days, slow_moving_days=slow_moving_days, as_of=as_of,
        warehouse_ids=warehouse_ids,
        status=service.StockAge(status.value) if status is not None else None))
    stmt = service.dead_stock_statement(session, wanted)
    columns = stmt.selected_columns
    return paginate(session, stmt, first=first, after=after, last=last, before=before,
                    sort_keys=[columns.last_movement_date, columns.warehouse_id,
                               columns.product_id],
                    to_node=lambda row: DeadStockItem.from_item(
                        service.item_of(dict(zip(service.COLUMNS, row, strict=True)),
                                        wanted.as_of)),
                    info=info)
