"""What the sales API types share: the order states, the error codes of every sales
mutation, and how revenue and margin rates are rounded."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from enum import Enum

import strawberry

from openjxc.core.i18n import _
from openjxc.graphql import make_user_error_type

RATE_PLACES = Decimal("0.0001")
CENT = Decimal("0.01")


@strawberry.enum(description="Where a sales order is in its life.")
class SalesOrderState(Enum):
    DRAFT = "draft"
    AWAITING_APPROVAL = "awaiting_approval"
    CONFIRMED = "confirmed"
    PARTLY_DELIVERED = "partly_delivered"
    DELIVERED = "delivered"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    __labels__ = {"DRAFT": _("Draft"), "AWAITING_APPROVAL": _("Awaiting credit approval"),
                  "CONFIRMED": _("Confirmed"), "PARTLY_DELIVERED": _("Partly delivered"),
                  "DELIVERED": _("Delivered"), "CLOSED": _("Closed"),
                  "CANCELLED": _("Cancelled")}


@strawberry.enum
class SalesErrorCode(Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    INVALID_STATE = "INVALID_STATE"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    INVALID_LOCATION = "INVALID_LOCATION"
    QUOTATION_EXPIRED = "QUOTATION_EXPIRED"
    CREDIT_LIMIT_EXCEEDED = "CREDIT_LIMIT_EXCEEDED"
    APPROVAL_REQUIRED = "APPROVAL_REQUIRED"
    ALREADY_APPROVED = "ALREADY_APPROVED"
    OVER_DELIVERY = "OVER_DELIVERY"
    OVER_INVOICED = "OVER_INVOICED"
    NOTHING_TO_INVOICE = "NOTHING_TO_INVOICE"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    # Passed through from the stock engine and from invoicing.
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    SERIAL_NOT_IN_LOCATION = "SERIAL_NOT_IN_LOCATION"
    SERIAL_COUNT_MISMATCH = "SERIAL_COUNT_MISMATCH"
    SERIAL_DUPLICATED = "SERIAL_DUPLICATED"
    SERIAL_NOT_TRACKED = "SERIAL_NOT_TRACKED"
    SERIAL_ALREADY_EXISTS = "SERIAL_ALREADY_EXISTS"
    INVALID_SERIAL_RANGE = "INVALID_SERIAL_RANGE"
    BATCH_REQUIRED = "BATCH_REQUIRED"
    BATCH_NOT_TRACKED = "BATCH_NOT_TRACKED"
    BATCH_EXPIRED = "BATCH_EXPIRED"
    SAME_LOCATION = "SAME_LOCATION"
    STOCK_PERIOD_CLOSED = "STOCK_PERIOD_CLOSED"
    DUPLICATE_CODE = "DUPLICATE_CODE"
    OVER_ALLOCATED = "OVER_ALLOCATED"
    # Passed through from an accounting addon: the document's date lies in a closed
    # accounting period.
    PERIOD_CLOSED = "PERIOD_CLOSED"


SalesError = make_user_error_type("Sales", SalesErrorCode)


def revenue_of(quantity: Decimal, unit_price: Decimal) -> Decimal:
    """Revenue (tax excluded) of a delivered quantity, to the cent."""
    return (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)


def rate_of(margin: Decimal, revenue: Decimal) -> Decimal | None:
    return (margin / revenue).quantize(RATE_PLACES, rounding=ROUND_HALF_UP) if revenue else None
