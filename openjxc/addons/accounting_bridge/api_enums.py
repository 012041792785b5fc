"""accounting_bridge's GraphQL enums and its payload error type."""

from __future__ import annotations

from enum import Enum

import strawberry

from openjxc.core.i18n import _
from openjxc.graphql import make_user_error_type


@strawberry.enum(description="The accounting standard of the book.")
class AccountingStandard(Enum):
    SMALL = "small"
    ENTERPRISE = "enterprise"

    __labels__ = {"SMALL": _("Accounting Standards for Small Enterprises"),
                  "ENTERPRISE": _("Accounting Standards for Business Enterprises")}


@strawberry.enum(description="The side an account's balance normally sits on.")
class BalanceDirection(Enum):
    DEBIT = "debit"
    CREDIT = "credit"

    __labels__ = {"DEBIT": _("Debit"), "CREDIT": _("Credit")}


@strawberry.enum
class AccountingErrorCode(Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    NOT_LEAF = "NOT_LEAF"
    PERIOD_CLOSED = "PERIOD_CLOSED"
    UNBALANCED = "UNBALANCED"
    EMPTY_VOUCHER = "EMPTY_VOUCHER"
    CHART_LOCKED = "CHART_LOCKED"
    ACCOUNT_IN_USE = "ACCOUNT_IN_USE"
    ALREADY_REVERSED = "ALREADY_REVERSED"
    MAPPING_MISSING = "MAPPING_MISSING"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"


AccountingError = make_user_error_type("Accounting", AccountingErrorCode)


@strawberry.enum(description="The accounting software a voucher file is made for.")
class VoucherExportFormat(Enum):
    U8_TXT = "u8_txt"
    KIS_XLSX = "kis_xlsx"
    GENERIC_XLSX = "generic_xlsx"

    __labels__ = {"U8_TXT": _("UFIDA T3/U8 text (voucher import tool)"),
                  "KIS_XLSX": _("Kingdee KIS/K3 Excel"),
                  "GENERIC_XLSX": _("Generic Excel")}


@strawberry.enum(description="The character set of a text export.")
class ExportEncoding(Enum):
    GBK = "gbk"
    UTF8 = "utf-8"

    __labels__ = {"GBK": _("GBK (Windows Chinese)"), "UTF8": _("UTF-8")}
