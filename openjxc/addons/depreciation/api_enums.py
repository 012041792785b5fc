"""depreciation's GraphQL enums and its payload error type."""

from __future__ import annotations

from enum import Enum

import strawberry

from openjxc.core.i18n import _
from openjxc.graphql import make_user_error_type


@strawberry.enum(description="How an asset depreciates (准则4号 第十七条).")
class DepreciationMethod(Enum):
    STRAIGHT_LINE = "straight_line"
    UNITS_OF_PRODUCTION = "units_of_production"
    DOUBLE_DECLINING = "double_declining"
    SUM_OF_YEARS = "sum_of_years"

    __labels__ = {"STRAIGHT_LINE": _("Straight line"),
                  "UNITS_OF_PRODUCTION": _("Units of production"),
                  "DOUBLE_DECLINING": _("Double-declining balance"),
                  "SUM_OF_YEARS": _("Sum of the years' digits")}


@strawberry.enum(description="How the tax book depreciates.")
class TaxTreatment(Enum):
    SAME = "same"
    STRAIGHT_LINE = "straight_line"
    ONE_TIME = "one_time"

    __labels__ = {"SAME": _("Same as the books"),
                  "STRAIGHT_LINE": _("Straight line over the tax life"),
                  "ONE_TIME": _("One-time deduction")}


@strawberry.enum(description="The accounts, or the income tax return.")
class DepreciationBook(Enum):
    BOOK = "book"
    TAX = "tax"

    __labels__ = {"BOOK": _("Accounting book"), "TAX": _("Tax book")}


@strawberry.enum(description="Where an asset is in its life.")
class AssetState(Enum):
    ACTIVE = "active"
    DISPOSED = "disposed"

    __labels__ = {"ACTIVE": _("In use"), "DISPOSED": _("Disposed of")}


@strawberry.enum(description="How an asset left the company.")
class DisposalKind(Enum):
    SALE = "sale"
    SCRAP = "scrap"

    __labels__ = {"SALE": _("Sale"), "SCRAP": _("Scrapping")}


@strawberry.enum(description="How the monthly summary is grouped.")
class DepreciationGroup(Enum):
    DEPARTMENT = "department"
    CATEGORY = "category"

    __labels__ = {"DEPARTMENT": _("By department"), "CATEGORY": _("By category")}


@strawberry.enum(description="A depreciation report to export.")
class DepreciationReport(Enum):
    REGISTER = "register"
    SCHEDULE = "schedule"
    SUMMARY = "summary"

    __labels__ = {"REGISTER": _("Asset register"), "SCHEDULE": _("Depreciation schedule"),
                  "SUMMARY": _("Depreciation summary")}


@strawberry.enum
class DepreciationErrorCode(Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE_CODE = "DUPLICATE_CODE"
    PERIOD_CLOSED = "PERIOD_CLOSED"
    DEPRECIATION_NOT_RUN = "DEPRECIATION_NOT_RUN"
    NOT_ELIGIBLE = "NOT_ELIGIBLE"
    ALREADY_DISPOSED = "ALREADY_DISPOSED"
    ALREADY_POSTED = "ALREADY_POSTED"
    ALREADY_CAPITALIZED = "ALREADY_CAPITALIZED"
    SERIAL_NOT_IN_STOCK = "SERIAL_NOT_IN_STOCK"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    # Passed through from the stock engine when a unit is capitalised.
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    SERIAL_NOT_IN_LOCATION = "SERIAL_NOT_IN_LOCATION"
    SERIAL_COUNT_MISMATCH = "SERIAL_COUNT_MISMATCH"
    SERIAL_DUPLICATED = "SERIAL_DUPLICATED"
    SERIAL_NOT_TRACKED = "SERIAL_NOT_TRACKED"
    SERIAL_ALREADY_EXISTS = "SERIAL_ALREADY_EXISTS"
    INVALID_SERIAL_RANGE = "INVALID_SERIAL_RANGE"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    BATCH_REQUIRED = "BATCH_REQUIRED"
    BATCH_NOT_TRACKED = "BATCH_NOT_TRACKED"
    BATCH_EXPIRED = "BATCH_EXPIRED"
    SAME_LOCATION = "SAME_LOCATION"
    INVALID_LOCATION = "INVALID_LOCATION"
    STOCK_PERIOD_CLOSED = "STOCK_PERIOD_CLOSED"


DepreciationError = make_user_error_type("Depreciation", DepreciationErrorCode)
