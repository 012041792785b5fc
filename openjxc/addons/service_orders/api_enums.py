"""service_orders' GraphQL enums and its payload error type."""

from __future__ import annotations

from enum import Enum

import strawberry

from openjxc.core.i18n import _
from openjxc.graphql import make_user_error_type


@strawberry.enum(description="What kind of work an order is.")
class ServiceOrderType(Enum):
    INSTALLATION = "installation"
    REPAIR = "repair"
    MAINTENANCE = "maintenance"
    INSPECTION = "inspection"

    __labels__ = {"INSTALLATION": _("Installation"), "REPAIR": _("Repair"),
                  "MAINTENANCE": _("Maintenance"), "INSPECTION": _("Inspection")}


@strawberry.enum(description="How urgent an order is; with the type it sets the SLA.")
class ServicePriority(Enum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    __labels__ = {"LOW": _("Low"), "NORMAL": _("Normal"), "HIGH": _("High"),
                  "URGENT": _("Urgent")}


@strawberry.enum(description="Who asked for the work.")
class ServiceSource(Enum):
    STAFF = "staff"
    CUSTOMER = "customer"
    DELIVERY = "delivery"

    __labels__ = {"STAFF": _("Staff"), "CUSTOMER": _("Customer request"),
                  "DELIVERY": _("Delivery needing installation")}


@strawberry.enum(description="Where a service order is in its life.")
class ServiceOrderState(Enum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CLOSED = "closed"
    CANCELLED = "cancelled"

    __labels__ = {"NEW": _("New"), "ASSIGNED": _("Assigned"), "IN_PROGRESS": _("In progress"),
                  "DONE": _("Done"), "CLOSED": _("Closed"), "CANCELLED": _("Cancelled")}


@strawberry.enum(description="Orders of the service order list.")
class ServiceOrderSort(Enum):
    NEWEST = "newest"
    DUE = "due"
    NUMBER = "number"

    __labels__ = {"NEWEST": _("Newest first"), "DUE": _("By SLA due time"),
                  "NUMBER": _("By number")}


@strawberry.enum
class ServiceErrorCode(Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE_CODE = "DUPLICATE_CODE"
    ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    INVALID_URL = "INVALID_URL"
    NO_VAN = "NO_VAN"
    SERIAL_NOT_AT_CUSTOMER = "SERIAL_NOT_AT_CUSTOMER"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    # Passed through from the stock engine when parts are posted.
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
    # Passed through from invoicing when completing.
    OVER_INVOICED = "OVER_INVOICED"
    # Passed through from an accounting addon: the document's date lies in a closed
    # accounting period.
    PERIOD_CLOSED = "PERIOD_CLOSED"


ServiceError = make_user_error_type("Service", ServiceErrorCode)
