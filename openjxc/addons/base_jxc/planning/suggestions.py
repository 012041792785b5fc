"""Purchase suggestions per product and warehouse (补货建议).

For each product of a warehouse::

    available  = on hand + incoming − reserved
    needed     = safety stock + forecast demand over the lead time
    suggestion = max(0, needed − available), rounded up to whole units

* **on hand / reserved**: the warehouse's internal locations (main stock and bins; not
  quarantine, scrap or in-transit);
* **incoming**: what approved and partly received purchase orders for the warehouse still
  have open (ordered − received − rejected, never below zero per line); drafts are shown
  (``draft_quantity``) but not counted;
* **demand over the lead time**: the product's sales forecast for the warehouse
  (:mod:`.services`), spread evenly over the days of each month, summed over the
  ``lead_time_days`` days after the as-of date (no lead time: no demand);
* **supplier**: the product's default supplier, else the supplier of its most recent
  purchase order line (inactive suppliers skipped), else none;
* **price**: the last unit price from that supplier, else the product's standard price
  (as :func:`purchase.services.create_purchase_order` prices a line without a price).
  Cancelled orders do not count for either.

Products considered: those with stock or reservations in the warehouse, open incoming
quantity, sales from it in the forecast's history window, or a safety stock.  The work is
a constant number of set-based statements, whatever the number of products.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session

from openjxc.core.models import Quantity

from ..catalog.models import Product
from ..partners.models import Partner
from ..purchase.models import APPROVED, CANCELLED, DRAFT, PARTLY_RECEIVED, PurchaseOrder
from ..purchase.models import PurchaseOrderLine as OrderLine
from ..stock.models import Location, StockBalance
from ..stock.posting import business_today
from .sales_history import month_index, month_start, sales_rows
from .services import LOOKBACK_MONTHS, forecast_from_history, read_histories

CENT = Decimal("0.01")
ZERO = Decimal(0)
#: Whole units, shown at the scale of quantities.
UNIT = Decimal("0.0001")
#: Up to this many products are named in statements; beyond, all products are read.
MAX_LISTED = 2000

# where the supplier and the price come from
FROM_DEFAULT = "default"
FROM_LAST_ORDER = "last_order"
FROM_LAST_PRICE = "last_price"
FROM_STANDARD_PRICE = "standard_price"


@dataclass
class Suggestion:
    product_id: int
    product_code: str
    warehouse_id: int
    on_hand: Decimal
    reserved: Decimal
    incoming: Decimal
    draft_quantity: Decimal
    safety_stock: Decimal
    lead_time_days: int
    #: Forecast demand over the lead time.
    demand: Decimal
    #: The forecast's method (see :mod:`.forecasting`).
    method: str
    #: Whole units, never negative.
    quantity: Decimal
    supplier_id: int | None
    #: :data:`FROM_DEFAULT`, :data:`FROM_LAST_ORDER` or "" (no supplier).
    supplier_source: str
    unit_price: Decimal
    #: :data:`FROM_LAST_PRICE` or :data:`FROM_STANDARD_PRICE`.
    price_source: str

    @property
    def available(self) -> Decimal:
        return self.on_hand + self.incoming - self.reserved

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class Sourcing:
    """Where a product is bought: the default or last supplier, and prices per supplier."""

    default_supplier_id: int | None
    last_supplier_id: int | None
    standard_price: Decimal
    last_prices: dict[int, Decimal]

    @property
    def supplier(self) -> tuple[int | None, str]:
        if self.default_supplier_id is not None:
            return self.default_supplier_id, FROM_DEFAULT
        if self.last_supplier_id is not None:
            return self.last_supplier_id, FROM_LAST_ORDER
        return None, ""

    def price(self, supplier_id: int | None) -> tuple[Decimal, str]:
        if supplier_id is not None and supplier_id in self.last_prices:
            return self.last_prices[supplier_id], FROM_LAST_PRICE
        return self.standard_price, FROM_STANDARD_PRICE


def purchase_suggestions(session: Session, warehouse_id: int, *,
                         product_ids: Sequence[int] | None = None,
                         as_of: date | None = None,
                         include_sufficient: bool = False) -> list[Suggestion]:
    """The suggestions of one warehouse, by product code; only products to buy unless
    ``include_sufficient``.  The caller checks that the warehouse exists."""
    as_of = as_of or business_today(session)
    this_month = month_index(as_of)
    positions = list(session.execute(_positions(warehouse_id, this_month, product_ids)))
    if not positions:
        return []
    histories = read_histories(session, product_ids, this_month=this_month,
                               warehouse_id=warehouse_id)
    candidates = [row.id for row in positions]
    sourcing = sourcing_of(session, candidates if len(candidates) <= MAX_LISTED else None)
    out: list[Suggestion] = []
    for row in positions:
        lead_time = max(int(row.lead_time_days or 0), 0)
        horizon = month_index(as_of + timedelta(days=lead_time)) - this_month + 1
        forecast = forecast_from_history(row.id, histories.get(row.id), this_month=this_month,
                                         months=horizon, warehouse_id=warehouse_id)
        demand = demand_over(
            {m.month: m.quantity for m in forecast.forecast}, as_of, lead_time)
        on_hand, reserved = Decimal(row.on_hand or 0), Decimal(row.reserved or 0)
        incoming, drafts = Decimal(row.incoming or 0), Decimal(row.drafts or 0)
        needed = row.safety_stock + demand - (on_hand + incoming - reserved)
        quantity = max(needed, ZERO).to_integral_value(ROUND_CEILING).quantize(UNIT)
        if quantity <= 0 and not include_sufficient:
            continue
        source = sourcing.get(row.id) or Sourcing(
            row.default_supplier_id, None, row.standard_price, {})
        supplier_id, supplier_source = source.supplier
        unit_price, price_source = source.price(supplier_id)
        out.append(Suggestion(
            product_id=row.id, product_code=row.code, warehouse_id=warehouse_id,
            on_hand=on_hand, reserved=reserved, incoming=incoming, draft_quantity=drafts,
            safety_stock=row.safety_stock, lead_time_days=lead_time, demand=demand,
            method=forecast.method, quantity=quantity, supplier_id=supplier_id,
            supplier_source=supplier_source, unit_price=unit_price,
            price_source=price_source))
    return out


def demand_over(forecast: dict[int, Decimal], as_of: date, days: int) -> Decimal:
    """Σ of the monthly forecast over the ``days`` days after ``as_of``, each month's
    quantity spread evenly over its days."""
    total = ZERO
    day = as_of + timedelta(days=1)
    remaining = days
    while remaining > 0:
        in_month = calendar.monthrange(day.year, day.month)[1]
        counted = min(remaining, in_month - day.day + 1)
        total += forecast.get(month_index(day), ZERO) * counted / in_month
        remaining -= counted
        day = month_start(month_index(day) + 1)
    return total.quantize(CENT, ROUND_HALF_UP)


def _no_quantity() -> Any:
    """A typed zero: on SQLite quantities are scaled integers, so an untyped literal in a
    ``CASE`` would be read back at the wrong scale."""
    return literal(ZERO, Quantity())


def _open_quantity() -> Any:
    open_ = OrderLine.quantity - OrderLine.received_quantity - OrderLine.rejected_quantity
    return case((open_ > 0, open_), else_=_no_quantity())


def _positions(warehouse_id: int, this_month: int,
               product_ids: Sequence[int] | None) -> Any:
    """One row per product considered, with its stock position in the warehouse."""
    internal = select(Location.id).where(Location.warehouse_id == warehouse_id,
                                         Location.kind == "internal")
    stock = (select(StockBalance.product_id,
                    func.sum(StockBalance.quantity).label("on_hand"),
                    func.sum(StockBalance.reserved).label("reserved"))
             .where(StockBalance.warehouse_id == warehouse_id,
                    StockBalance.location_id.in_(internal))
             .group_by(StockBalance.product_id).subquery("stock"))
    ordered = (select(OrderLine.product_id,
                      func.sum(case((PurchaseOrder.state == DRAFT, _no_quantity()),
                                    else_=_open_quantity())).label("incoming"),
                      func.sum(case((PurchaseOrder.state == DRAFT, OrderLine.quantity),
                                    else_=_no_quantity())).label("drafts"))
               .join(PurchaseOrder, PurchaseOrder.id == OrderLine.order_id)
               .where(PurchaseOrder.warehouse_id == warehouse_id,
                      PurchaseOrder.state.in_((DRAFT, APPROVED, PARTLY_RECEIVED)))
               .group_by(OrderLine.product_id).subquery("ordered"))
    sold = sales_rows(since=month_start(this_month - LOOKBACK_MONTHS),
                      until=month_start(this_month), warehouse_id=warehouse_id,
                      product_ids=product_ids).subquery("sold")
    stmt = (select(Product.id, Product.code, Product.safety_stock, Product.lead_time_days,
                   Product.standard_price,
                   case((Partner.active.is_(True), Product.default_supplier_id),
                        else_=None).label("default_supplier_id"),
                   stock.c.on_hand, stock.c.reserved, ordered.c.incoming, ordered.c.drafts)
            .outerjoin(Partner, Partner.id == Product.default_supplier_id)
            .outerjoin(stock, stock.c.product_id == Product.id)
            .outerjoin(ordered, ordered.c.product_id == Product.id)
            .where(or_(Product.safety_stock > 0, stock.c.product_id.is_not(None),
                       ordered.c.incoming > 0, Product.id.in_(select(sold.c.product_id))))
            .order_by(Product.code))
    if product_ids is not None:
        stmt = stmt.where(Product.id.in_(sorted(set(product_ids))))
    return stmt


def sourcing_of(session: Session, product_ids: Sequence[int] | None) -> dict[int, Sourcing]:
    """Default supplier, last supplier and last price per supplier of the products (all
    products that were ever ordered when ``product_ids`` is None): one statement."""
    placed = and_(PurchaseOrder.state != CANCELLED, Partner.active.is_(True))
    recency = (PurchaseOrder.order_date.desc(), PurchaseOrder.id.desc(), OrderLine.id.desc())
    ranked = (select(OrderLine.product_id, PurchaseOrder.supplier_id, OrderLine.unit_price,
                     func.row_number().over(partition_by=OrderLine.product_id,
                                            order_by=recency).label("by_product"),
                     func.row_number().over(partition_by=(OrderLine.product_id,
                                                          PurchaseOrder.supplier_id),
                                            order_by=recency).label("by_supplier"))
              .join(PurchaseOrder, PurchaseOrder.id == OrderLine.order_id)
              .join(Partner, Partner.id == PurchaseOrder.supplier_id)
              .where(placed))
    wanted = sorted(set(product_ids)) if product_ids is not None else None
    if wanted is not None:
        ranked = ranked.where(OrderLine.product_id.in_(wanted))
    lines = ranked.subquery("ranked")
    default_supplier = (select(Partner.id).where(Partner.id == Product.default_supplier_id,
                                                 Partner.active.is_(True))
                        .scalar_subquery())
    stmt = (select(Product.id, default_supplier.label("default_supplier_id"),
                   Product.standard_price, lines.c.supplier_id, lines.c.unit_price,
                   lines.c.by_product)
            .outerjoin(lines, and_(lines.c.product_id == Product.id, lines.c.by_supplier == 1)))
    if wanted is not None:
        stmt = stmt.where(Product.id.in_(wanted))
    found: dict[int, Sourcing] = {}
    for row in session.execute(stmt):
        source = found.setdefault(row.id, Sourcing(row.default_supplier_id, None,
                                                   row.standard_price, {}))
        if row.supplier_id is None:
            continue
        source.last_prices[row.supplier_id] = row.unit_price
        if row.by_product == 1:
            found[row.id] = Sourcing(source.default_supplier_id, row.supplier_id,
                                     source.standard_price, source.last_prices)
    return found
