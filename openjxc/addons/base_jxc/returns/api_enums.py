"""The returns chapter's GraphQL enums and its payload error type."""

from __future__ import annotations

from enum import Enum

import strawberry

from openjxc.core.i18n import _
from openjxc.graphql import make_user_error_type


@strawberry.enum(description="Where a customer return is in its life.")
class ReturnState(Enum):
    REQUESTED = "requested"
    RECEIVED = "received"
    INSPECTED = "inspected"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    __labels__ = {"REQUESTED": _("Requested"), "RECEIVED": _("In quarantine"),
                  "INSPECTED": _("Inspected"), "CLOSED": _("Closed"),
                  "CANCELLED": _("Cancelled")}


@strawberry.enum(description="What inspection decided for returned goods.")
class ReturnDisposition(Enum):
    RESTOCK = "restock"
    SCRAP = "scrap"
    SUPPLIER = "supplier"

    __labels__ = {"RESTOCK": _("Back to stock"), "SCRAP": _("Scrapped"),
                  "SUPPLIER": _("Back to the supplier")}


@strawberry.enum(description="How a return was settled with the customer.")
class ReturnSettlement(Enum):
    CREDIT_NOTE = "credit_note"
    REFUND = "refund"

    __labels__ = {"CREDIT_NOTE": _("Credit note (红字发票)"), "REFUND": _("Refund")}


@strawberry.enum(description="Orders of the return list.")
class ReturnSort(Enum):
    NEWEST = "newest"
    CODE = "code"

    __labels__ = {"NEWEST": _("Newest first"), "CODE": _("By return code")}


@strawberry.enum
class ReturnErrorCode(Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    INVALID_STATE = "INVALID_STATE"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    INVALID_LOCATION = "INVALID_LOCATION"
    OVER_RETURN = "OVER_RETURN"
    OVER_REFUND = "OVER_REFUND"
    QUANTITY_MISMATCH = "QUANTITY_MISMATCH"
    SERIAL_NOT_DELIVERED = "SERIAL_NOT_DELIVERED"
    SERIAL_NOT_RETURNED = "SERIAL_NOT_RETURNED"
    ALREADY_RETURNED = "ALREADY_RETURNED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    # Passed through from the stock engine when receiving or inspecting.
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    SERIAL_ALREADY_EXISTS = "SERIAL_ALREADY_EXISTS"
    SERIAL_NOT_IN_LOCATION = "SERIAL_NOT_IN_LOCATION"
    SERIAL_COUNT_MISMATCH = "SERIAL_COUNT_MISMATCH"
    SERIAL_DUPLICATED = "SERIAL_DUPLICATED"
    SERIAL_NOT_TRACKED = "SERIAL_NOT_TRACKED"
    INVALID_SERIAL_RANGE = "INVALID_SERIAL_RANGE"
    BATCH_REQUIRED = "BATCH_REQUIRED"
    BATCH_NOT_TRACKED = "BATCH_NOT_TRACKED"
    BATCH_EXPIRED = "BATCH_EXPIRED"
    SAME_LOCATION = "SAME_LOCATION"
    STOCK_PERIOD_CLOSED = "STOCK_PERIOD_CLOSED"
    # Passed through from invoicing when closing.
    OVER_INVOICED = "OVER_INVOICED"
    OVER_ALLOCATED = "OVER_ALLOCATED"
    # Passed through from an accounting addon: the document's date lies in a closed
    # accounting period.
    PERIOD_CLOSED = "PERIOD_CLOSED"


ReturnError = make_user_error_type("Return", ReturnErrorCode)
