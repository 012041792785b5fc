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
    NOTHING_TO_EXPORT = "NOTHING_TO_EXPORT"
    EXPORT_TARGET_IN_USE = "EXPORT_TARGET_IN_USE"
    OPENING_UNBALANCED = "OPENING_UNBALANCED"
    OPENING_AFTER_VOUCHERS = "OPENING_AFTER_VOUCHERS"
    PERIOD_NOT_CLOSED = "PERIOD_NOT_CLOSED"
    LATER_PERIOD_CLOSED = "LATER_PERIOD_CLOSED"
    DEPRECIATION_NOT_RUN = "DEPRECIATION_NOT_RUN"
    VOUCHER_FROM_DOCUMENT = "VOUCHER_FROM_DOCUMENT"


AccountingError = make_user_error_type("Accounting", AccountingErrorCode)


@strawberry.enum(description="The accounting software a voucher file is made for.")
class VoucherExportFormat(Enum):
    U8_TXT = "u8_txt"
    KIS_XLSX = "kis_xlsx"
    GENERIC_XLSX = "generic_xlsx"
    GENERIC_CSV = "generic_csv"
    GENERIC_JSON = "generic_json"

    __labels__ = {"U8_TXT": _("UFIDA T3/U8 text (voucher import tool)"),
                  "KIS_XLSX": _("Kingdee KIS/K3 Excel"),
                  "GENERIC_XLSX": _("Generic Excel"),
                  "GENERIC_CSV": _("Generic CSV"),
                  "GENERIC_JSON": _("Generic JSON")}


@strawberry.enum(description="The character set of a text export.")
class ExportEncoding(Enum):
    GBK = "gbk"
    UTF8 = "utf-8"
    UTF8_BOM = "utf-8-sig"

    __labels__ = {"GBK": _("GBK (Windows Chinese)"), "UTF8": _("UTF-8"),
                  "UTF8_BOM": _("UTF-8 with a byte order mark (Excel)")}


@strawberry.enum(description="Which vouchers an export carries.")
class VoucherExportMode(Enum):
    PERIOD = "period"
    NEW = "new"

    __labels__ = {"PERIOD": _("The month's vouchers"),
                  "NEW": _("Every voucher not exported yet in this format")}


@strawberry.enum(description="Where a push target delivers.")
class ExportTargetKind(Enum):
    FOLDER = "folder"
    WEBHOOK = "webhook"

    __labels__ = {"FOLDER": _("A folder on the server"), "WEBHOOK": _("A webhook (HTTPS)")}


@strawberry.enum(description="How a push target's last run ended.")
class ExportPushStatus(Enum):
    OK = "ok"
    NOTHING = "nothing"
    FAILED = "failed"
    PUSHING = "pushing"

    __labels__ = {"OK": _("Pushed"), "NOTHING": _("Nothing new to push"),
                  "FAILED": _("Push failed"), "PUSHING": _("Being pushed")}


@strawberry.enum(description="A statement of a month to print or download.")
class AccountingStatement(Enum):
    TRIAL_BALANCE = "trial_balance"
    BALANCE_SHEET = "balance_sheet"
    INCOME_STATEMENT = "income_statement"
    CASH_FLOW = "cash_flow"

    __labels__ = {"TRIAL_BALANCE": _("Trial balance"), "BALANCE_SHEET": _("Balance sheet"),
                  "INCOME_STATEMENT": _("Income statement"),
                  "CASH_FLOW": _("Cash flow statement")}


@strawberry.enum(description="The file a statement is made as.")
class AccountingStatementFormat(Enum):
    XLSX = "xlsx"
    PDF = "pdf"

    __labels__ = {"XLSX": _("Excel (.xlsx)"), "PDF": _("PDF")}
