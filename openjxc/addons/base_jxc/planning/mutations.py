"""The planning mutations: ``purchaseSuggestionsOrder`` (suggestions → draft purchase
orders, one per supplier) and ``supplierRate`` (a user's monthly service rating)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from openjxc.graphql import make_user_error_type, mutation
from openjxc.graphql.payloads import run_service
from openjxc.graphql.scoping import require_scope

from ..partners.api import Partner
from ..purchase.api_types import PurchaseOrder
from . import models
from .api import load_partners
from .ids import maybe_pk
from .ordering import SuggestedLine, order_suggestions
from .ratings import rate_supplier


@strawberry.enum
class PlanningErrorCode(Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    NOT_SUPPLIER = "NOT_SUPPLIER"
    # Passed through from purchase.create_purchase_order.
    INVALID_QUANTITY = "INVALID_QUANTITY"
    INVALID_STATE = "INVALID_STATE"
    REQUISITION_NOT_APPROVED = "REQUISITION_NOT_APPROVED"
    ALREADY_ORDERED = "ALREADY_ORDERED"


PlanningError = make_user_error_type("Planning", PlanningErrorCode)


def _user_id(info: Info[Any, Any]) -> int | None:
    return getattr(getattr(info.context, "principal", None), "user_id", None)


@strawberry.input(description="One product to order; its supplier defaults to the "
                              "suggested one.")
class PurchaseSuggestionLineInput:
    product_id: strawberry.ID
    quantity: Decimal
    supplier_id: strawberry.ID | None = None


@strawberry.input
class PurchaseSuggestionsOrderInput:
    warehouse_id: strawberry.ID
    lines: list[PurchaseSuggestionLineInput] | None = strawberry.field(
        default=None, description="Empty: every current suggestion of the warehouse.")


@strawberry.type
class PurchaseSuggestionsOrderPayload:
    purchase_orders: list[PurchaseOrder] = strawberry.field(
        description="The draft orders made, one per supplier.")
    errors: list[PlanningError]  # type: ignore[valid-type]


def purchase_suggestions_order(info: Info[Any, Any], input: PurchaseSuggestionsOrderInput,
                               ) -> PurchaseSuggestionsOrderPayload:
    warehouse_id = maybe_pk(input.warehouse_id, "Warehouse")
    if warehouse_id is not None:
        require_scope(info, "warehouse", warehouse_id)
    # A malformed supplier ID is an unknown supplier (-1), not "no supplier given".
    lines = None if input.lines is None else [
        SuggestedLine(product_id=maybe_pk(line.product_id, "Product"),
                      quantity=line.quantity,
                      supplier_id=(maybe_pk(line.supplier_id, "Partner") or -1)
                      if line.supplier_id else None)
        for line in input.lines]
    orders, errors = run_service(
        info, lambda s: order_suggestions(s, warehouse_id, lines, user_id=_user_id(info)),
        PlanningError)
    return PurchaseSuggestionsOrderPayload(
        purchase_orders=[PurchaseOrder.from_row(o) for o in orders or []], errors=errors)


@strawberry.type(description="A user's rating (1–5) of a supplier's service in a month.")
class SupplierServiceRating:
    period: str = strawberry.field(description="YYYY-MM.")
    score: int
    comment: str
    rated_at: datetime
    supplier_id: strawberry.Private[int]

    @strawberry.field
    async def supplier(self, info: Info[Any, Any]) -> Partner | None:
        return await load_partners(info).load(self.supplier_id)  # type: ignore[no-any-return]

    @classmethod
    def from_row(cls, row: models.SupplierServiceRating) -> SupplierServiceRating:
        return cls(period=row.period, score=row.score, comment=row.comment,
                   rated_at=row.rated_at, supplier_id=row.supplier_id)


@strawberry.input(description="Rating again in the same month replaces your rating.")
class SupplierRateInput:
    supplier_id: strawberry.ID
    score: int = strawberry.field(description="1 (poor) to 5 (excellent).")
    period: str | None = strawberry.field(default=None,
                                          description="YYYY-MM; empty: this month.")
    comment: str = ""


@strawberry.type
class SupplierRatePayload:
    rating: SupplierServiceRating | None
    errors: list[PlanningError]  # type: ignore[valid-type]


def supplier_rate(info: Info[Any, Any], input: SupplierRateInput) -> SupplierRatePayload:
    rating, errors = run_service(
        info, lambda s: rate_supplier(s, supplier_id=maybe_pk(input.supplier_id, "Partner"),
                                      score=input.score, period=input.period,
                                      comment=input.comment, user_id=_user_id(info)),
        PlanningError)
    return SupplierRatePayload(
        rating=SupplierServiceRating.from_row(rating) if rating is not None else None,
        errors=errors)


def types() -> list[type]:
    return [PlanningError, PurchaseSuggestionLineInput, PurchaseSuggestionsOrderInput,
            PurchaseSuggestionsOrderPayload, SupplierServiceRating, SupplierRateInput,
            SupplierRatePayload]


def mutations() -> list[Any]:
    return [
        mutation(purchase_suggestions_order, permission="purchase.suggestion.order",
                 name="purchaseSuggestionsOrder",
                 description="Turn purchase suggestions into draft purchase orders, one "
                             "per supplier."),
        mutation(supplier_rate, permission="purchase.supplier.rate", name="supplierRate",
                 description="Rate a supplier's service for a month (1–5)."),
    ]
