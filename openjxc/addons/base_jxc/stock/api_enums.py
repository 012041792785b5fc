"""The stock API's enums and its payload error type (``StockError`` with ``StockErrorCode``)."""

from __future__ import annotations

from enum import Enum

import strawberry

from openjxc.core.i18n import _
from openjxc.graphql import make_user_error_type


@strawberry.enum
class StockErrorCode(Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE_CODE = "DUPLICATE_CODE"
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
    INVALID_QUANTITY = "INVALID_QUANTITY"
    SAME_LOCATION = "SAME_LOCATION"
    INVALID_LOCATION = "INVALID_LOCATION"
    STOCK_PERIOD_CLOSED = "STOCK_PERIOD_CLOSED"
    PERIOD_NOT_OVER = "PERIOD_NOT_OVER"
    ALREADY_REVERSED = "ALREADY_REVERSED"
    IS_REVERSAL = "IS_REVERSAL"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    # Passed through from an accounting addon: the document's date lies in a closed
    # accounting period.
    PERIOD_CLOSED = "PERIOD_CLOSED"


StockError = make_user_error_type("Stock", StockErrorCode)


@strawberry.enum(description="What a warehouse is.")
class WarehouseKind(Enum):
    HQ = "hq"
    BRANCH = "branch"
    STORE = "store"
    VAN = "van"

    __labels__ = {"HQ": _("Head office"), "BRANCH": _("Branch"), "STORE": _("Store"),
                  "VAN": _("Van")}


@strawberry.enum(description="What a location stands for; the first four hold counted "
                             "stock, the others stand for the outside world.")
class LocationKind(Enum):
    INTERNAL = "internal"
    TRANSIT = "transit"
    QUARANTINE = "quarantine"
    SCRAP = "scrap"
    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    ADJUSTMENT = "adjustment"
    LOSS = "loss"

    __labels__ = {"INTERNAL": _("Stock"), "TRANSIT": _("In transit"),
                  "QUARANTINE": _("Quarantine"), "SCRAP": _("Scrap"),
                  "SUPPLIER": _("Suppliers"), "CUSTOMER": _("Customers"),
                  "ADJUSTMENT": _("Inventory adjustment"), "LOSS": _("Loss")}


@strawberry.enum(description="Where a serial unit stands, from the kind of its location.")
class SerialState(Enum):
    IN_STOCK = "internal"
    IN_TRANSIT = "transit"
    QUARANTINE = "quarantine"
    SCRAPPED = "scrap"
    DELIVERED = "customer"
    RETURNED_TO_SUPPLIER = "supplier"
    ADJUSTED_OUT = "adjustment"
    LOST = "loss"

    __labels__ = {"IN_STOCK": _("In stock"), "IN_TRANSIT": _("In transit"),
                  "QUARANTINE": _("In quarantine"), "SCRAPPED": _("Scrapped"),
                  "DELIVERED": _("Delivered"), "RETURNED_TO_SUPPLIER": _("Returned to supplier"),
                  "ADJUSTED_OUT": _("Adjusted out"), "LOST": _("Lost")}
