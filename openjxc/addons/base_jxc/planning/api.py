"""Planning through GraphQL: ``salesForecast``, ``purchaseSuggestions`` and
``supplierScores`` (the mutations live in :mod:`.mutations`).

Results are computed, not stored, so they are plain lists.  Products, warehouses and
suppliers of a result resolve through per-request DataLoaders: the statements a query
runs do not grow with its rows.  Ids are the Relay IDs of ``Product``, ``Warehouse`` and
``Partner``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, TypeVar

import strawberry
from strawberry.types import Info

from openjxc.core.errors import ValidationFailed
from openjxc.core.i18n import _, translate
from openjxc.graphql import (
    BadUserInput,
    Connection,
    Contribution,
    Forbidden,
    field,
    get_session,
    paginate_items,
)
from openjxc.graphql.scoping import require_scope

from ..catalog.api import Product
from ..partners.api import Partner
from ..stock.api_types import Warehouse, load_products, load_warehouses, warehouse_scope
from . import forecasting, scores, services, suggestions
from .ids import pk_of, pks_of
from .scores import PeriodScore, Scored

FORECAST = "sales.forecast.read"
SUGGESTIONS = "purchase.suggestion.read"
SCORES = "purchase.supplier_score.read"
MAX_SCORE_MONTHS = 120

T = TypeVar("T")


def checked(info: Info[Any, Any], action: Callable[[], T]) -> T:
    """``action()``; its refusal as a ``BAD_USER_INPUT`` error in the caller's locale."""
    try:
        return action()
    except ValidationFailed as exc:
        locale = getattr(info.context, "locale", None)
        first = exc.errors[0]
        raise BadUserInput(translate(first.message, locale, **first.params),
                           extensions={"field": list(first.field),
                                       "reason": first.code}) from exc


def load_partners(info: Info[Any, Any]) -> Any:
    return info.context.loaders.get("planning.partner",
                                    lambda ids: Partner.get_nodes(info, ids))


def _warehouse_id(info: Info[Any, Any], global_id: strawberry.ID | None) -> int | None:
    """The warehouse asked for, within the caller's warehouses; a caller limited to some
    warehouses must name one."""
    if global_id is None:
        if warehouse_scope(info) is not None:
            raise Forbidden("You are limited to some warehouses: name one of them.",
                            extensions={"scope": "warehouse"})
        return None
    pk = pk_of(global_id, "Warehouse", "warehouseId")
    require_scope(info, "warehouse", pk)
    return pk


# -- the forecast ---------------------------------------------------------------------------

@strawberry.enum(description="How a forecast was made.")
class ForecastMethod(Enum):
    HOLT_WINTERS = forecasting.HOLT_WINTERS
    SEASONAL_MOVING_AVERAGE = forecasting.SEASONAL_MOVING_AVERAGE
    SIMPLE_AVERAGE = forecasting.SIMPLE_AVERAGE
    NONE = forecasting.NO_HISTORY

    __labels__ = {"HOLT_WINTERS": _("Holt-Winters (trend and season)"),
                  "SEASONAL_MOVING_AVERAGE": _("Seasonal moving average"),
                  "SIMPLE_AVERAGE": _("Simple average"),
                  "NONE": _("No sales history")}


@strawberry.type(description="A quantity of one month.")
class MonthlyQuantity:
    month: str = strawberry.field(description="YYYY-MM.")
    quantity: Decimal


def _months(values: list[services.MonthQuantity]) -> list[MonthlyQuantity]:
    return [MonthlyQuantity(month=v.label, quantity=v.quantity) for v in values]


@strawberry.type(description="A product's sales forecast: monthly sales (deliveries minus "
                             "returns) and the months ahead.  Holt-Winters with 24 months "
                             "of history or more, a seasonal moving average with 12 to 23, "
                             "a simple average below.")
class SalesForecast:
    method: ForecastMethod
    history: list[MonthlyQuantity] = strawberry.field(
        description="The complete months read, oldest first (at most 36).")
    forecast: list[MonthlyQuantity] = strawberry.field(
        description="The month of the as-of date and the months after it.")
    total: Decimal = strawberry.field(description="Σ of the forecast months.")
    alpha: Decimal | None = strawberry.field(description="Holt-Winters level smoothing.")
    beta: Decimal | None = strawberry.field(description="Holt-Winters trend smoothing.")
    gamma: Decimal | None = strawberry.field(description="Holt-Winters season smoothing.")
    product_id: strawberry.Private[int]
    warehouse_id: strawberry.Private[int | None]

    @strawberry.field
    def history_months(self) -> int:
        return len(self.history)

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await load_products(info).load(self.product_id)  # type: ignore[no-any-return]

    @strawberry.field(description="Null: all warehouses.")
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse | None:
        if self.warehouse_id is None:
            return None
        return await load_warehouses(info).load(  # type: ignore[no-any-return]
            self.warehouse_id)

    @classmethod
    def of(cls, found: services.ProductForecast) -> SalesForecast:
        p = found.parameters
        return cls(method=ForecastMethod(found.method), history=_months(found.history),
                   forecast=_months(found.forecast), total=found.total,
                   alpha=_parameter(p.alpha) if p else None,
                   beta=_parameter(p.beta) if p else None,
                   gamma=_parameter(p.gamma) if p else None,
                   product_id=found.product_id, warehouse_id=found.warehouse_id)


def _parameter(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal("0.01"))


def sales_forecast(
        info: Info[Any, Any], product_ids: list[strawberry.ID],
        warehouse_id: Annotated[strawberry.ID | None, strawberry.argument(
            description="Empty: all warehouses.")] = None,
        months: Annotated[int, strawberry.argument(
            description="Months to forecast, 1–36.")] = 12,
        as_of: Annotated[date | None, strawberry.argument(
            description="The history ends with the month before this date's; empty: "
                        "today.")] = None,
        first: int | None = None, after: str | None = None, last: int | None = None,
        before: str | None = None) -> Connection[SalesForecast]:
    wid = _warehouse_id(info, warehouse_id)
    ids = pks_of(product_ids, "Product", "productIds")
    found = checked(info, lambda: services.sales_forecast(
        get_session(info), ids, warehouse_id=wid, months=months, as_of=as_of))
    position = {f.product_id: i for i, f in enumerate(found)}
    # In the order the products were given (each once).
    return paginate_items(found, key=lambda f: (position[f.product_id],),
                          list_name="salesForecast", first=first, after=after, last=last,
                          before=before, to_node=SalesForecast.of, info=info)


# -- purchase suggestions -------------------------------------------------------------------

@strawberry.enum(description="Why a supplier is suggested.")
class SuggestedSupplierSource(Enum):
    DEFAULT = suggestions.FROM_DEFAULT
    LAST_ORDER = suggestions.FROM_LAST_ORDER
    NONE = ""

    __labels__ = {"DEFAULT": _("The product's default supplier"),
                  "LAST_ORDER": _("The supplier of the latest purchase order"),
                  "NONE": _("No supplier known")}


@strawberry.enum(description="Where a suggested price comes from.")
class SuggestedPriceSource(Enum):
    LAST_PRICE = suggestions.FROM_LAST_PRICE
    STANDARD_PRICE = suggestions.FROM_STANDARD_PRICE

    __labels__ = {"LAST_PRICE": _("The last price from this supplier"),
                  "STANDARD_PRICE": _("The product's standard price")}


@strawberry.type(description="What to buy of a product for a warehouse: on hand + incoming "
                             "− reserved against safety stock + forecast demand over the "
                             "lead time.")
class PurchaseSuggestion:
    on_hand: Decimal = strawberry.field(description="In the warehouse's stock and bins.")
    reserved: Decimal
    incoming: Decimal = strawberry.field(
        description="Still open on approved and partly received purchase orders.")
    draft_quantity: Decimal = strawberry.field(
        description="On draft purchase orders (not counted as incoming).")
    available: Decimal = strawberry.field(description="On hand + incoming − reserved.")
    safety_stock: Decimal
    lead_time_days: int
    demand: Decimal = strawberry.field(description="Forecast sales over the lead time.")
    forecast_method: ForecastMethod
    quantity: Decimal = strawberry.field(description="Suggested quantity, whole units.")
    supplier_source: SuggestedSupplierSource
    price_source: SuggestedPriceSource
    product_id: strawberry.Private[int]
    warehouse_id: strawberry.Private[int]
    supplier_id: strawberry.Private[int | None]
    _unit_price: strawberry.Private[Decimal]
    _amount: strawberry.Private[Decimal]

    @field(permission="catalog.price.read", description="Tax-exclusive.")
    def unit_price(self) -> Decimal | None:
        return self._unit_price

    @field(permission="catalog.price.read", description="Quantity × unit price, tax-exclusive.")
    def amount(self) -> Decimal | None:
        return self._amount

    @strawberry.field
    async def product(self, info: Info[Any, Any]) -> Product | None:
        return await load_products(info).load(self.product_id)  # type: ignore[no-any-return]

    @strawberry.field
    async def warehouse(self, info: Info[Any, Any]) -> Warehouse | None:
        return await load_warehouses(info).load(  # type: ignore[no-any-return]
            self.warehouse_id)

    @strawberry.field(description="Null when no supplier is known.")
    async def supplier(self, info: Info[Any, Any]) -> Partner | None:
        if self.supplier_id is None:
            return None
        return await load_partners(info).load(self.supplier_id)  # type: ignore[no-any-return]

    @classmethod
    def of(cls, s: suggestions.Suggestion) -> PurchaseSuggestion:
        return cls(on_hand=s.on_hand, reserved=s.reserved, incoming=s.incoming,
                   draft_quantity=s.draft_quantity, available=s.available,
                   safety_stock=s.safety_stock, lead_time_days=s.lead_time_days,
                   demand=s.demand, forecast_method=ForecastMethod(s.method),
                   quantity=s.quantity,
                   supplier_source=SuggestedSupplierSource(s.supplier_source),
                   _unit_price=s.unit_price,
                   price_source=SuggestedPriceSource(s.price_source),
                   _amount=s.amount, product_id=s.product_id, warehouse_id=s.warehouse_id,
                   supplier_id=s.supplier_id)


def purchase_suggestions(
        info: Info[Any, Any], warehouse_id: strawberry.ID,
        product_ids: Annotated[list[strawberry.ID] | None, strawberry.argument(
            description="Only these products.")] = None,
        include_sufficient: Annotated[bool, strawberry.argument(
            description="Also the products with nothing to buy.")] = False,
        first: int | None = None, after: str | None = None, last: int | None = None,
        before: str | None = None,
) -> Connection[PurchaseSuggestion]:
    wid = _warehouse_id(info, warehouse_id)
    assert wid is not None
    ids = pks_of(product_ids, "Product", "productIds") if product_ids is not None else None
    session = get_session(info)

    def compute() -> list[suggestions.Suggestion]:
        errors: list[Any] = []
        services.check_warehouse(session, wid, errors)
        if errors:
            raise ValidationFailed(errors)
        return suggestions.purchase_suggestions(session, wid, product_ids=ids,
                                                include_sufficient=include_sufficient)

    return paginate_items(checked(info, compute), key=lambda s: (s.product_code, s.product_id),
                          list_name="purchaseSuggestions", first=first, after=after,
                          last=last, before=before, to_node=PurchaseSuggestion.of, info=info)


# -- supplier scores ------------------------------------------------------------------------

@strawberry.enum(description="A at 85 points or more, B at 70 or more, else C.")
class SupplierGrade(Enum):
    A = "A"
    B = "B"
    C = "C"

    __labels__ = {"A": _("A (85 or more)"), "B": _("B (70 to 85)"), "C": _("C (below 70)")}


def _grade(value: str | None) -> SupplierGrade | None:
    return SupplierGrade(value) if value is not None else None


@strawberry.interface(description="A supplier's score 0–100 and its parts; a part is null "
                                  "without data and the score weights the others.")
class SupplierScoring:
    score: Decimal | None
    grade: SupplierGrade | None
    quality: Decimal | None = strawberry.field(
        description="35%: 100 × (accepted − returned) ÷ received.")
    price: Decimal | None = strawberry.field(
        description="25%: 100 × min(1, market cost ÷ the supplier's cost).")
    on_time: Decimal | None = strawberry.field(
        description="20%: receipt lines on or before their due date, in %.")
    service: Decimal | None = strawberry.field(
        description="20%: 20 × the users' average rating (1–5).")


def _parts(scored: Scored) -> dict[str, Any]:
    return {"score": scored.score, "grade": _grade(scored.grade),
            "quality": scored.rounded("quality"), "price": scored.rounded("price"),
            "on_time": scored.rounded("on_time"), "service": scored.rounded("service")}


@strawberry.type(description="A supplier's score in one month with transactions.")
class SupplierScorePeriod(SupplierScoring):
    month: str = strawberry.field(description="YYYY-MM.")
    received_quantity: Decimal = strawberry.field(description="Accepted + rejected.")
    accepted_quantity: Decimal
    returned_quantity: Decimal = strawberry.field(
        description="Sent back by purchase returns (including returns of later months "
                    "without receipts).")
    receipt_lines_on_time: int
    receipt_lines_due: int = strawberry.field(
        description="Receipt lines whose order (line) had an expected date.")
    ratings: int

    @classmethod
    def of(cls, p: PeriodScore) -> SupplierScorePeriod:
        return cls(month=p.label, received_quantity=p.received_quantity,
                   accepted_quantity=p.accepted_quantity,
                   returned_quantity=p.returned_quantity,
                   receipt_lines_on_time=p.receipt_lines_on_time,
                   receipt_lines_due=p.receipt_lines_due, ratings=p.ratings, **_parts(p))


@strawberry.type(description="A supplier's evaluation over a period: each part is the "
                             "average of its months (months without transactions do not "
                             "count).")
class SupplierScore(SupplierScoring):
    periods: list[SupplierScorePeriod]
    supplier_id: strawberry.Private[int]

    @strawberry.field
    async def supplier(self, info: Info[Any, Any]) -> Partner | None:
        return await load_partners(info).load(self.supplier_id)  # type: ignore[no-any-return]

    @classmethod
    def of(cls, s: scores.SupplierScore) -> SupplierScore:
        return cls(periods=[SupplierScorePeriod.of(p) for p in s.periods],
                   supplier_id=s.supplier_id, **_parts(s))


def supplier_scores(info: Info[Any, Any],
                    date_from: Annotated[date, strawberry.argument(name="from")],
                    date_to: Annotated[date, strawberry.argument(name="to")],
                    supplier_ids: list[strawberry.ID] | None = None,
                    first: int | None = None, after: str | None = None,
                    last: int | None = None, before: str | None = None,
                    ) -> Connection[SupplierScore]:
    if date_to < date_from:
        raise BadUserInput(translate(_("The end comes before the start").msgid,
                                     getattr(info.context, "locale", None)),
                           extensions={"field": ["to"]})
    months = (date_to.year - date_from.year) * 12 + date_to.month - date_from.month + 1
    if months > MAX_SCORE_MONTHS:
        raise BadUserInput(translate(_("At most {count} months at a time").msgid,
                                     getattr(info.context, "locale", None),
                                     count=MAX_SCORE_MONTHS), extensions={"field": ["to"]})
    ids = pks_of(supplier_ids, "Partner", "supplierIds") if supplier_ids is not None else None
    found = scores.supplier_scores(get_session(info), date_from, date_to, supplier_ids=ids)
    # Best first (a supplier without a score last), then by supplier.
    return paginate_items(found, key=lambda s: (-(s.score or Decimal(-1)), s.supplier_id),
                          list_name="supplierScores", first=first, after=after, last=last,
                          before=before, to_node=SupplierScore.of, info=info)


def contribution() -> Contribution:
    from .mutations import mutations, types

    return Contribution(
        types=[ForecastMethod, MonthlyQuantity, SalesForecast, SuggestedSupplierSource,
               SuggestedPriceSource, PurchaseSuggestion, SupplierGrade, SupplierScoring,
               SupplierScorePeriod, SupplierScore, *types()],
        queries=[
            field(sales_forecast, permission=FORECAST, name="salesForecast",
                  description="Monthly sales forecast of products, in a warehouse or all "
                              "of them."),
            field(purchase_suggestions, permission=SUGGESTIONS, name="purchaseSuggestions",
                  description="What to buy for a warehouse, by product code."),
            field(supplier_scores, permission=SCORES, name="supplierScores",
                  description="Suppliers' scores and grades over a period, best first."),
        ],
        mutations=mutations(),
    )
