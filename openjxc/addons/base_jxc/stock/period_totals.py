"""Monthly totals of a closed stock month, so reports over many months read a few rows.

When a month is closed (:func:`.periods.close_stock_period`) one row per month × product ×
warehouse is written, in the same transaction as the snapshots, with what the analysis
reports would otherwise sum from every move of the month:

* ``cogs``: cost of goods sold, the value of the ``sales.delivery`` / ``sales.return``
  moves and of their reversals, signed by direction (leaving the warehouse adds, arriving
  subtracts) — the turnover report's definition;
* ``deliveries``: how many ``sales.delivery`` moves left the warehouse (demand for the
  stockout report);
* ``sellable_net``: the month's net change of the warehouse's sellable stock (main stock
  and bins);
* ``sellable_lowest``: the lowest end-of-day running sum of that change over the days of
  the month with sellable moves (NULL: none), relative to the month's opening.

A closed month is frozen (no move may be dated into it), so its totals never change.  Every
month up to the last closed one has its rows (a month without any is a month without
activity): closing writes every month since the previous close, and the migration that
created the table back-filled the months closed before it.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    ForeignKey,
    Integer,
    Select,
    Subquery,
    UniqueConstraint,
    case,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Mapped, Session, aliased, mapped_column

from openjxc.core.models import Base, Money, Quantity

from .models import Location, StockMove

#: Where sold goods leave to and come back from; their values are the cost of goods sold.
SALES_ORIGINS = ("sales.delivery", "sales.return")
#: The location kind of sellable stock (a warehouse's main stock and its bins).
SELLABLE = "internal"


class StockPeriodTotal(Base):
    """What one product did in one warehouse during one closed month (see module doc)."""

    __tablename__ = "jxc_stock_period_total"
    __table_args__ = (
        UniqueConstraint("period_end", "product_id", "warehouse_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The last day of the month.
    period_end: Mapped[date] = mapped_column(Date)
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"))
    #: NULL only for sales moves between two places of no warehouse.
    warehouse_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cogs: Mapped[Decimal] = mapped_column(Money(), default=Decimal(0))
    deliveries: Mapped[int] = mapped_column(Integer, default=0)
    sellable_net: Mapped[Decimal] = mapped_column(Quantity(), default=Decimal(0))
    sellable_lowest: Mapped[Decimal | None] = mapped_column(Quantity(), nullable=True)


MODELS: list[type] = [StockPeriodTotal]


def dated(date_from: date, date_to: date, after: Any) -> list[Any]:
    """The moves' dates: ``date_from`` … ``date_to``, or after ``after`` (which is then at
    least the day before ``date_from``) … ``date_to``: one lower bound only, so that
    SQLite's date index range starts there rather than at ``date_from``."""
    if after is None:
        return [StockMove.move_date >= date_from, StockMove.move_date <= date_to]
    return [StockMove.move_date > after, StockMove.move_date <= date_to]


def sales_routes(date_from: date, date_to: date, *, after: Any = None) -> Subquery:
    """The cost of goods sold of ``date_from`` … ``date_to`` (only the days after ``after``,
    an SQL expression no earlier than the day before ``date_from``, when given) per
    ``product_id`` × ``warehouse_id`` (the warehouse the goods left or came back to),
    column ``cogs``, and the number of deliveries out of it, column ``deliveries``.

    The moves are summed per product × from × to location first and only those few sums
    are joined to their locations: a year of sales is hundreds of thousands of moves but a
    few thousand such routes.
    """
    move, original = StockMove, aliased(StockMove)
    in_period = dated(date_from, date_to, after)
    routes = (move.product_id, move.from_location_id, move.to_location_id)
    delivery = case((move.origin_type == "sales.delivery", 1), else_=0)
    direct = (select(*routes, func.sum(move.value).label("value"),
                     func.sum(delivery).label("deliveries"))
              .where(move.origin_type.in_(SALES_ORIGINS), *in_period).group_by(*routes))
    mirrored: Any = (select(*routes, func.sum(move.value).label("value"),
                       func.sum(literal_column("0")).label("deliveries"))
                .join(original, original.id == move.reversal_of_id)
                .where(move.origin_type == "reversal", original.origin_type.in_(SALES_ORIGINS),
                       *in_period).group_by(*routes))
    sums = union_all(direct, mirrored).subquery("sales_routes")
    source, target = aliased(Location), aliased(Location)
    leaves = source.warehouse_id.is_not(None)
    return (select(sums.c.product_id.label("product_id"),
                   func.coalesce(source.warehouse_id, target.warehouse_id).label("warehouse_id"),
                   case((leaves, sums.c.value), else_=-sums.c.value).label("cogs"),
                   case((leaves, sums.c.deliveries), else_=0).label("deliveries"))
            .join(source, source.id == sums.c.from_location_id)
            .join(target, target.id == sums.c.to_location_id)).subquery("cogs")


def sellable_sides(date_from: date, date_to: date, *, unindexed: bool,
                   after: Any = None, name: str = "sellable") -> Subquery:
    """Every move of ``date_from`` … ``date_to`` (after ``after`` if given) in or out of
    sellable stock, once per warehouse whose sellable stock it changed: ``warehouse_id``,
    ``product_id``, ``move_date``, signed ``quantity``.  A move between two sellable places
    of one warehouse appears twice and nets to zero.

    ``unindexed`` (SQLite, no statistics): keep the planner off the location indexes, which
    would read every move of a location instead of the dates asked for.  ``name``: the
    CTE's, distinct for each use in one statement.
    """
    source, target = aliased(Location), aliased(Location)
    from_id, to_id = StockMove.from_location_id, StockMove.to_location_id
    if unindexed:
        from_id, to_id = from_id + 0, to_id + 0  # type: ignore[assignment]
    moves = (select(StockMove.product_id, StockMove.move_date, StockMove.quantity,
                    case((source.kind == SELLABLE, source.warehouse_id)).label("out_of"),
                    case((target.kind == SELLABLE, target.warehouse_id)).label("into"))
             .join(source, source.id == from_id)
             .join(target, target.id == to_id)
             .where(*dated(date_from, date_to, after),
                    or_(source.kind == SELLABLE, target.kind == SELLABLE))
             ).cte(f"{name}_moves")
    # (a literal sign would be bound as a Quantity, scaled on SQLite: negate instead)
    return union_all(*(select(warehouse.label("warehouse_id"), moves.c.product_id,
                              moves.c.move_date, quantity.label("quantity"))
                       .where(warehouse.is_not(None))
                       for warehouse, quantity in ((moves.c.into, moves.c.quantity),
                                                   (moves.c.out_of, -moves.c.quantity))
                       )).subquery("sides")


def sellable_lowest(date_from: date, date_to: date, *, unindexed: bool,
                    after: Any = None, name: str = "sellable") -> Subquery:
    """Per ``warehouse_id`` × ``product_id``, the ``lowest`` end-of-day running sum of the
    sellable moves of ``date_from`` … ``date_to`` (after ``after`` if given) and their
    ``net`` sum."""
    sides = sellable_sides(date_from, date_to, unindexed=unindexed, after=after, name=name)
    # With its default frame (RANGE … CURRENT ROW, peers included) the window gives every
    # move of a day the running stock at the end of that day: no daily sums needed.
    running = select(sides.c.warehouse_id, sides.c.product_id, sides.c.quantity,
                     func.sum(sides.c.quantity).over(
                         partition_by=(sides.c.warehouse_id, sides.c.product_id),
                         order_by=sides.c.move_date).label("running")).subquery("running")
    return (select(running.c.warehouse_id, running.c.product_id,
                   func.min(running.c.running).label("lowest"),
                   func.sum(running.c.quantity).label("net"))
            .group_by(running.c.warehouse_id, running.c.product_id)).subquery("lowest")


def _month_totals(month_end: date, *, unindexed: bool) -> Select[tuple[object, ...]]:
    """The rows of one month: the sales figures and the sellable figures joined on the pair
    (a full join spelled as a union of both sides, which SQLite before 3.39 lacks)."""
    first = month_end.replace(day=1)
    sold = sales_routes(first, month_end)
    sold_pairs = (select(sold.c.product_id, sold.c.warehouse_id,
                         func.sum(sold.c.cogs).label("cogs"),
                         func.sum(sold.c.deliveries).label("deliveries"))
                  .group_by(sold.c.product_id, sold.c.warehouse_id)).subquery("sold")
    lowest = sellable_lowest(first, month_end, unindexed=unindexed)
    zero: Any = literal_column("0")
    parts = union_all(
        select(sold_pairs.c.product_id, sold_pairs.c.warehouse_id, sold_pairs.c.cogs,
               sold_pairs.c.deliveries, zero.label("net"), zero.label("lowest"),
               zero.label("moved")),
        select(lowest.c.product_id, lowest.c.warehouse_id, zero, zero, lowest.c.net,
               lowest.c.lowest, literal_column("1"))).subquery("parts")
    # NULL warehouse ids (sales between places of no warehouse) group together, as wanted.
    return (select(literal(month_end, Date()), parts.c.product_id, parts.c.warehouse_id,
                   func.sum(parts.c.cogs), func.sum(parts.c.deliveries),
                   func.sum(parts.c.net),
                   func.min(case((parts.c.moved == 1, parts.c.lowest))))
            .group_by(parts.c.product_id, parts.c.warehouse_id))


def month_ends(after: date | None, through: date, first_move: date | None) -> list[date]:
    """The last days of the months after ``after`` (a month end, None: from the month of
    ``first_move``) up to the month ending ``through``."""
    if after is None:
        if first_move is None or first_move > through:
            return []
        day = first_move.replace(day=1)
    else:
        day = after + timedelta(days=1)
    ends = []
    while day <= through:
        following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        ends.append(following - timedelta(days=1))
        day = following
    return ends


def write_period_totals(session: Session, after: date | None, through: date) -> int:
    """Write the totals of every month after the closed month ending ``after`` (None: since
    the first move) through the month ending ``through``; one ``INSERT … SELECT`` per
    month.  Returns the number of months written."""
    first_move = None
    if after is None:
        first_move = session.scalar(select(func.min(StockMove.move_date)))
    unindexed = session.get_bind().dialect.name == "sqlite"
    columns = ["period_end", "product_id", "warehouse_id", "cogs", "deliveries",
               "sellable_net", "sellable_lowest"]
    ends = month_ends(after, through, first_move)
    for end in ends:
        session.execute(insert(StockPeriodTotal).from_select(
            columns, _month_totals(end, unindexed=unindexed)))
    return len(ends)
