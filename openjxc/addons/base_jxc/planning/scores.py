"""Supplier evaluation (供应商评分): a score 0–100 and a grade per month and overall.

Four components, each 0–100, computed per supplier and calendar month:

* **quality (35%)** = 100 × (accepted − returned) ÷ received, within 0–100, where
  *received* and *accepted* are the quantities of the month's receipts at inspection
  (received = accepted + rejected) and *returned* the quantity of the month's purchase
  returns to the supplier from stock (rejected goods sent back out of quarantine count
  once, as not accepted).  Returns of a month without receipts are charged to the latest
  earlier month of the period with receipts (none: they are not counted).
* **price (25%)** = 100 × min(1, market cost ÷ supplier cost): *supplier cost* is what the
  supplier's order lines of the month cost (Σ line amounts before tax), *market cost* what
  the same quantities would have cost at the average price of all suppliers for each
  product over the whole period (weighted by quantity).  At or below the market average:
  100; 25% above it: 80.  Order lines of placed orders count (not drafts or cancelled).
* **on-time (20%)** = 100 × receipt lines received on or before their due date ÷ receipt
  lines with a due date (the order line's expected date, else the order's).
* **service (20%)** = 20 × the average of the users' ratings (1–5) of the month.

The month's **score** is the weighted average of the components it has data for (weights
re-normalised: a month without ratings is scored on the other 80%).  A month counts only
when the supplier has transactions in it — a receipt, a purchase return or an order line;
ratings of other months are ignored, and months without transactions are left out rather
than counted as zero.  **Overall**, each component is the average of its monthly values
(over the months that have it) and the overall score weights those the same way.
**Grade**: A at 85 or more, B at 70 or more, else C.  Figures are rounded to hundredths
for display; the arithmetic is exact (Decimal).

Four set-based statements whatever the number of suppliers and months.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import case, extract, func, select
from sqlalchemy.orm import Session

from ..purchase.models import CANCELLED, DRAFT, PurchaseOrder, PurchaseReceipt, PurchaseReturn
from ..purchase.models import PurchaseOrderLine as OrderLine
from ..purchase.models import PurchaseReceiptLine as ReceiptLine
from ..purchase.models import PurchaseReturnLine as ReturnLine
from ..stock.models import Location
from .models import SupplierServiceRating
from .sales_history import month_index, month_label

WEIGHTS = {"quality": Decimal("0.35"), "price": Decimal("0.25"), "on_time": Decimal("0.20"),
           "service": Decimal("0.20")}
GRADE_A = Decimal(85)
GRADE_B = Decimal(70)
HUNDRED = Decimal(100)
ZERO = Decimal(0)
CENT = Decimal("0.01")


def grade(score: Decimal | None) -> str | None:
    if score is None:
        return None
    return "A" if score >= GRADE_A else "B" if score >= GRADE_B else "C"


def weighted(components: dict[str, Decimal | None]) -> Decimal | None:
    """The weighted average of the components present (weights re-normalised)."""
    present = {k: v for k, v in components.items() if v is not None}
    if not present:
        return None
    weight = sum((WEIGHTS[k] for k in present), ZERO)
    return sum((WEIGHTS[k] * v for k, v in present.items()), ZERO) / weight


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(CENT, ROUND_HALF_UP)


@dataclass
class Scored:
    """Component values and score (unrounded; :meth:`rounded` for display)."""

    quality: Decimal | None = None
    price: Decimal | None = None
    on_time: Decimal | None = None
    service: Decimal | None = None

    @property
    def components(self) -> dict[str, Decimal | None]:
        return {"quality": self.quality, "price": self.price, "on_time": self.on_time,
                "service": self.service}

    @property
    def score(self) -> Decimal | None:
        return _cents(weighted(self.components))

    @property
    def grade(self) -> str | None:
        return grade(self.score)

    def rounded(self, name: str) -> Decimal | None:
        return _cents(self.components[name])


@dataclass
class PeriodScore(Scored):
    month: int = 0
    received_quantity: Decimal = ZERO
    accepted_quantity: Decimal = ZERO
    returned_quantity: Decimal = ZERO
    receipt_lines_on_time: int = 0
    receipt_lines_due: int = 0
    ratings: int = 0

    @property
    def label(self) -> str:
        return month_label(self.month)


@dataclass
class SupplierScore(Scored):
    supplier_id: int = 0
    periods: list[PeriodScore] = field(default_factory=list)


def supplier_scores(session: Session, date_from: date, date_to: date, *,
                    supplier_ids: Sequence[int] | None = None) -> list[SupplierScore]:
    """The scores of every supplier with transactions between the two dates (inclusive),
    best first (then by id).  The caller validates the dates."""
    wanted = set(supplier_ids) if supplier_ids is not None else None
    months: dict[int, dict[int, PeriodScore]] = defaultdict(dict)

    def period(supplier_id: int, month: Any) -> PeriodScore:
        index = int(month)
        return months[supplier_id].setdefault(index, PeriodScore(month=index))

    for row in session.execute(_receipts(date_from, date_to, wanted)):
        p = period(row.supplier_id, row.month)
        p.received_quantity, p.accepted_quantity = row.received, row.accepted
        p.receipt_lines_on_time, p.receipt_lines_due = int(row.on_time), int(row.due)
    for row in session.execute(_returns(date_from, date_to, wanted)):
        period(row.supplier_id, row.month).returned_quantity = row.returned
    supplier_cost: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    bought: list[Any] = list(session.execute(_order_lines(date_from, date_to)))
    market = _market_prices(bought)
    market_cost: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for row in bought:
        if wanted is not None and row.supplier_id not in wanted:
            continue
        period(row.supplier_id, row.month)
        key = (row.supplier_id, int(row.month))
        supplier_cost[key] += row.cost
        market_cost[key] += row.quantity * market[row.product_id]
    for key, cost in supplier_cost.items():
        if market_cost[key] > 0 or cost > 0:
            months[key[0]][key[1]].price = (HUNDRED if cost <= market_cost[key]
                                            else HUNDRED * market_cost[key] / cost)
    for row in session.execute(_ratings(date_from, date_to, wanted)):
        rated = months.get(row.supplier_id, {}).get(_month_of_label(row.period))
        if rated is not None:  # ratings of months without transactions do not count
            rated.service = Decimal(20) * Decimal(row.total) / row.ratings
            rated.ratings = int(row.ratings)
    scored = (_overall(sid, by_month) for sid, by_month in months.items())
    return sorted((s for s in scored if s.periods),
                  key=lambda s: (-(s.score or ZERO), s.supplier_id))


def _overall(supplier_id: int, by_month: dict[int, PeriodScore]) -> SupplierScore:
    periods = [by_month[m] for m in sorted(by_month)]
    _charge_returns(periods)
    for p in periods:
        if p.received_quantity > 0:
            rate = (p.accepted_quantity - p.returned_quantity) / p.received_quantity
            p.quality = min(max(rate, ZERO), Decimal(1)) * HUNDRED
        if p.receipt_lines_due:
            p.on_time = HUNDRED * p.receipt_lines_on_time / p.receipt_lines_due
    # A month whose only transaction was a return charged to another month has no figure.
    periods = [p for p in periods if p.score is not None]
    return SupplierScore(supplier_id=supplier_id, periods=periods,
                         quality=_mean(p.quality for p in periods),
                         price=_mean(p.price for p in periods),
                         on_time=_mean(p.on_time for p in periods),
                         service=_mean(p.service for p in periods))


def _charge_returns(periods: list[PeriodScore]) -> None:
    """Move the returns of months without receipts to the latest earlier month with
    receipts (or drop them when there is none)."""
    last_with_receipts: PeriodScore | None = None
    for p in periods:
        if p.received_quantity > 0:
            last_with_receipts = p
        elif p.returned_quantity:
            if last_with_receipts is not None:
                last_with_receipts.returned_quantity += p.returned_quantity
            p.returned_quantity = ZERO


def _mean(values: Iterable[Decimal | None]) -> Decimal | None:
    present = [v for v in values if v is not None]
    return sum(present, ZERO) / len(present) if present else None


def _market_prices(rows: Iterable[Any]) -> dict[int, Decimal]:
    """Average unit price of each product over all suppliers, weighted by quantity."""
    quantity: dict[int, Decimal] = defaultdict(Decimal)
    cost: dict[int, Decimal] = defaultdict(Decimal)
    for row in rows:
        quantity[row.product_id] += row.quantity
        cost[row.product_id] += row.cost
    return {pid: (cost[pid] / q if q else ZERO) for pid, q in quantity.items()}


def _month(column: Any) -> Any:
    return extract("year", column) * 12 + extract("month", column) - 1


def _month_of_label(label: str) -> int:
    return int(label[:4]) * 12 + int(label[5:7]) - 1


def _grouped(inner: Any, keys: Sequence[str], sums: dict[str, Any]) -> Any:
    """``inner`` (a select) grouped by ``keys`` with ``sums`` of its columns — grouping
    outside keeps the computed month one column on both backends."""
    rows = inner.subquery()
    return (select(*(rows.c[k] for k in keys),
                   *(func.sum(rows.c[c]).label(name) for name, c in sums.items()))
            .group_by(*(rows.c[k] for k in keys)))


def _receipts(date_from: date, date_to: date, wanted: set[int] | None) -> Any:
    due = func.coalesce(OrderLine.expected_date, PurchaseOrder.expected_date)
    receipt_date = PurchaseReceipt.receipt_date
    inner = (select(PurchaseOrder.supplier_id, _month(receipt_date).label("month"),
                    ReceiptLine.quantity, ReceiptLine.accepted_quantity,
                    case((due.is_(None), 0), (receipt_date <= due, 1), else_=0)
                    .label("on_time"),
                    case((due.is_(None), 0), else_=1).label("due"))
             .join(PurchaseReceipt, PurchaseReceipt.id == ReceiptLine.receipt_id)
             .join(PurchaseOrder, PurchaseOrder.id == PurchaseReceipt.order_id)
             .join(OrderLine, OrderLine.id == ReceiptLine.order_line_id)
             .where(receipt_date >= date_from, receipt_date <= date_to))
    if wanted is not None:
        inner = inner.where(PurchaseOrder.supplier_id.in_(sorted(wanted)))
    return _grouped(inner, ("supplier_id", "month"),
                    {"received": "quantity", "accepted": "accepted_quantity",
                     "on_time": "on_time", "due": "due"})


def _returns(date_from: date, date_to: date, wanted: set[int] | None) -> Any:
    """Returns of accepted goods: what leaves quarantine was rejected at inspection and
    already counts against quality as not accepted."""
    returned = PurchaseReturn.return_date
    inner = (select(PurchaseReturn.supplier_id, _month(returned).label("month"),
                    ReturnLine.quantity)
             .join(PurchaseReturn, PurchaseReturn.id == ReturnLine.return_id)
             .join(Location, Location.id == ReturnLine.from_location_id)
             .where(returned >= date_from, returned <= date_to,
                    Location.kind != "quarantine"))
    if wanted is not None:
        inner = inner.where(PurchaseReturn.supplier_id.in_(sorted(wanted)))
    return _grouped(inner, ("supplier_id", "month"), {"returned": "quantity"})


def _order_lines(date_from: date, date_to: date) -> Any:
    """Every supplier's order lines of the period (the market average needs them all)."""
    ordered = PurchaseOrder.order_date
    inner = (select(PurchaseOrder.supplier_id, OrderLine.product_id,
                    _month(ordered).label("month"), OrderLine.quantity,
                    OrderLine.amount.label("cost"))
             .join(PurchaseOrder, PurchaseOrder.id == OrderLine.order_id)
             .where(ordered >= date_from, ordered <= date_to,
                    PurchaseOrder.state.not_in((DRAFT, CANCELLED)),
                    OrderLine.quantity > 0))
    return _grouped(inner, ("supplier_id", "product_id", "month"),
                    {"quantity": "quantity", "cost": "cost"})


def _ratings(date_from: date, date_to: date, wanted: set[int] | None) -> Any:
    rating = SupplierServiceRating
    stmt = (select(rating.supplier_id, rating.period, func.sum(rating.score).label("total"),
                   func.count().label("ratings"))
            .where(rating.period >= month_label(month_index(date_from)),
                   rating.period <= month_label(month_index(date_to)))
            .group_by(rating.supplier_id, rating.period))
    if wanted is not None:
        stmt = stmt.where(rating.supplier_id.in_(sorted(wanted)))
    return stmt
