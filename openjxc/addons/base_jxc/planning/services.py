"""The sales forecast as a service: monthly sales per product (and warehouse) from the
ledger (:mod:`.sales_history`), forecast by :mod:`.forecasting`.

The history is the complete months before the month of ``as_of`` (default: the business
date), at most :data:`LOOKBACK_MONTHS` of them, starting at the product's first month with
sales when that is later (a sale in the year before those months counts as selling all
along); the forecast covers the month of ``as_of`` and the months after it.  Example::

    [motor] = sales_forecast(session, [motor_id], warehouse_id=wh1, months=6)
    motor.method            # "holt_winters" with ≥ 24 months of history
    motor.forecast[0]       # MonthQuantity(month=…, quantity=Decimal("41.20"))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _

from ..catalog.models import Product
from ..stock.models import Warehouse
from ..stock.posting import business_today
from .forecasting import SmoothingParameters, forecast_series
from .sales_history import SalesHistory, month_index, month_label, monthly_sales

#: Months of history read at most (three seasons).
LOOKBACK_MONTHS = 36
MAX_MONTHS = 36
MAX_PRODUCTS = 500
#: The history read before an earlier as-of date would reach before year 1.
EARLIEST = date(1900, 1, 1)


@dataclass(frozen=True)
class MonthQuantity:
    """A quantity of one month (``month`` as in :func:`.sales_history.month_index`)."""

    month: int
    quantity: Decimal

    @property
    def label(self) -> str:
        return month_label(self.month)


@dataclass
class ProductForecast:
    product_id: int
    warehouse_id: int | None
    #: One of :data:`.forecasting.METHODS`.
    method: str
    history: list[MonthQuantity] = field(default_factory=list)
    forecast: list[MonthQuantity] = field(default_factory=list)
    #: α, β, γ and the one-step SSE (Holt-Winters only).
    parameters: SmoothingParameters | None = None

    @property
    def total(self) -> Decimal:
        return sum((m.quantity for m in self.forecast), Decimal("0.00"))


def forecast_from_history(product_id: int, history: SalesHistory | None, *,
                          this_month: int, months: int,
                          lookback: int = LOOKBACK_MONTHS,
                          warehouse_id: int | None = None) -> ProductForecast:
    """The forecast of ``months`` months from ``this_month`` on, from what was read."""
    first = this_month - lookback
    start, series = (history or SalesHistory()).series(first, this_month)
    result = forecast_series([float(q) for q in series], months, first_position=start % 12)
    return ProductForecast(
        product_id=product_id, warehouse_id=warehouse_id, method=result.method,
        history=[MonthQuantity(start + i, q) for i, q in enumerate(series)],
        forecast=[MonthQuantity(this_month + i, q) for i, q in enumerate(result.values)],
        parameters=result.parameters)


def read_histories(session: Session, product_ids: Sequence[int] | None, *, this_month: int,
                   warehouse_id: int | None, lookback: int = LOOKBACK_MONTHS,
                   ) -> Mapping[int, SalesHistory]:
    return monthly_sales(session, first=this_month - lookback, end=this_month,
                         product_ids=product_ids, warehouse_id=warehouse_id)


def sales_forecast(session: Session, product_ids: Sequence[int], *,
                   warehouse_id: int | None = None, months: int = 12,
                   as_of: date | None = None) -> list[ProductForecast]:
    """The forecast of each product (in the order given, duplicates once) for ``months``
    months, in one warehouse or company-wide.  Refusals: ``REQUIRED`` / ``INVALID`` /
    ``NOT_FOUND`` on ``productIds``, ``warehouseId``, ``months`` or ``asOf``."""
    errors: list[FieldError] = []
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        errors.append(FieldError("REQUIRED", _("Give at least one product"),
                                 field="productIds"))
    elif len(ids) > MAX_PRODUCTS:
        errors.append(FieldError("INVALID", _("At most {count} products at a time"),
                                 field="productIds", count=MAX_PRODUCTS))
    else:
        check_products(session, product_ids, errors)
    if not 1 <= months <= MAX_MONTHS:
        errors.append(FieldError("INVALID", _("Months must be between 1 and {max}"),
                                 field="months", max=MAX_MONTHS))
    if warehouse_id is not None:
        check_warehouse(session, warehouse_id, errors)
    if as_of is not None and as_of < EARLIEST:
        errors.append(FieldError("INVALID", _("Give a date from {earliest} on"),
                                 field="asOf", earliest=EARLIEST.isoformat()))
    if errors:
        raise ValidationFailed(errors)
    this_month = month_index(as_of or business_today(session))
    histories = read_histories(session, ids, this_month=this_month,
                               warehouse_id=warehouse_id)
    return [forecast_from_history(pid, histories.get(pid), this_month=this_month,
                                  months=months, warehouse_id=warehouse_id) for pid in ids]


def check_products(session: Session, product_ids: Sequence[int | None],
                   errors: list[FieldError], *, field: str = "productIds",
                   attribute: str | None = None) -> set[int]:
    """The known ids among ``product_ids``; ``NOT_FOUND`` at each unknown one."""
    wanted = {pid for pid in product_ids if pid is not None}
    known = set(session.scalars(select(Product.id).where(Product.id.in_(wanted)))) \
        if wanted else set()
    for i, pid in enumerate(product_ids):
        if pid not in known:
            at = (field, str(i), attribute) if attribute else (field, str(i))
            errors.append(FieldError("NOT_FOUND", _("Unknown product"), field=at))
    return known


def check_warehouse(session: Session, warehouse_id: int | None,
                    errors: list[FieldError]) -> None:
    if warehouse_id is None or session.get(Warehouse, warehouse_id) is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown warehouse"), field="warehouseId"))


