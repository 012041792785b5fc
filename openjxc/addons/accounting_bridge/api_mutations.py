"""The accounting_bridge mutations: ``accountMappingSet``, ``periodClose``,
``accountingStandardSet``, ``accountCreate`` (a sub-account), ``voucherExport`` and
``voucherReverse``
(posting: accepts ``idempotencyKey``)."""

from __future__ import annotations

import base64
from typing import Any

import strawberry
from sqlalchemy import select
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.graphql import mutation
from openjxc.graphql.payloads import run_posting, run_service
from openjxc.graphql.relay import from_global_id

from . import (
    CLOSE,
    EXPORT,
    POST,
    SETTINGS,
    books,
    exports,
    exports_batches,
    ledger,
    mapping,
    models,
    models_exchange,
)
from .api_enums import (
    AccountingError,
    AccountingStandard,
    ExportEncoding,
    VoucherExportFormat,
    VoucherExportMode,
)
from .api_exchange import VoucherExportBatch, VoucherFile
from .api_types import (
    Account,
    AccountingBook,
    AccountingPeriod,
    AccountMapping,
    Voucher,
    VoucherExportCode,
)


def _user_id(info: Info[Any, Any]) -> int | None:
    return getattr(getattr(info.context, "principal", None), "user_id", None)


# -- accountMappingSet ---------------------------------------------------------------------

@strawberry.input
class AccountMappingSetInput:
    document: str = strawberry.field(description="sales.invoice, purchase.receipt, stock …")
    role: str = strawberry.field(description="revenue, counterpart, internal …")
    account_code: str
    category_code: str | None = None
    warehouse_code: str | None = None
    partner_code: str | None = None


@strawberry.type
class AccountMappingSetPayload:
    mapping: AccountMapping | None
    errors: list[AccountingError]  # type: ignore[valid-type]


def account_mapping_set(info: Info[Any, Any], input: AccountMappingSetInput,
                        ) -> AccountMappingSetPayload:
    row, errors = run_service(info, lambda s: mapping.set_rule(s, mapping.RuleInput(
        document=input.document, role=input.role, account_code=input.account_code,
        category_code=input.category_code, warehouse_code=input.warehouse_code,
        partner_code=input.partner_code)), AccountingError)
    return AccountMappingSetPayload(
        mapping=AccountMapping.from_row(row) if row is not None else None, errors=errors)


# -- periodClose ---------------------------------------------------------------------------

@strawberry.input
class PeriodCloseInput:
    period: str = strawberry.field(description="YYYY-MM.")


@strawberry.type
class PeriodClosePayload:
    period: AccountingPeriod | None
    errors: list[AccountingError]  # type: ignore[valid-type]


def period_close(info: Info[Any, Any], input: PeriodCloseInput) -> PeriodClosePayload:
    row, errors = run_service(info, lambda s: ledger.close_period(
        s, ledger.parse_period(input.period), user_id=_user_id(info)), AccountingError)
    return PeriodClosePayload(
        period=AccountingPeriod(period=f"{row.period:%Y-%m}", closed=row.closed)
        if row is not None else None, errors=errors)


# -- accountingStandardSet -----------------------------------------------------------------

@strawberry.input
class AccountingStandardSetInput:
    standard: AccountingStandard


@strawberry.type
class AccountingStandardSetPayload:
    book: AccountingBook | None
    errors: list[AccountingError]  # type: ignore[valid-type]


def accounting_standard_set(info: Info[Any, Any], input: AccountingStandardSetInput,
                            ) -> AccountingStandardSetPayload:
    row, errors = run_service(info, lambda s: books.choose_standard(s, input.standard.value),
                              AccountingError)
    return AccountingStandardSetPayload(
        book=AccountingBook(standard=AccountingStandard(row.standard), locked=False)
        if row is not None else None,
        errors=errors)


# -- accountCreate -------------------------------------------------------------------------

@strawberry.input
class AccountCreateInput:
    parent_code: str
    name: str
    auxiliaries: list[str] = strawberry.field(
        default_factory=list, description="customer, supplier, department, project.")


@strawberry.type
class AccountCreatePayload:
    account: Account | None
    errors: list[AccountingError]  # type: ignore[valid-type]


def account_create(info: Info[Any, Any], input: AccountCreateInput) -> AccountCreatePayload:
    row, errors = run_service(info, lambda s: books.add_sub_account(
        s, input.parent_code, input.name, auxiliaries=tuple(input.auxiliaries)),
        AccountingError)
    return AccountCreatePayload(account=Account.from_row(row) if row is not None else None,
                                errors=errors)


# -- voucherReverse ------------------------------------------------------------------------

@strawberry.input
class VoucherReverseInput:
    voucher_id: strawberry.ID
    idempotency_key: str | None = None


@strawberry.type
class VoucherReversePayload:
    voucher: Voucher | None
    errors: list[AccountingError]  # type: ignore[valid-type]


def _voucher_pk(session: Session, global_id: str) -> int:
    try:
        type_name, raw = from_global_id(global_id)
        pk = Voucher.parse_pk(raw)
    except (TypeError, ValueError):
        type_name, pk = "", None
    if type_name != "Voucher" or pk is None or session.scalar(
            select(models.Voucher.id).where(models.Voucher.id == pk)) is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown voucher"),
                                          field="voucherId"))
    return int(pk)


def voucher_reverse(info: Info[Any, Any], input: VoucherReverseInput) -> VoucherReversePayload:
    row, errors = run_posting(
        info, lambda s: ledger.reverse_voucher(s, _voucher_pk(s, str(input.voucher_id)),
                                               user_id=_user_id(info)),
        AccountingError, scope="voucherReverse", idempotency_key=input.idempotency_key,
        request=input, encode=lambda v: v.id if v is not None else None,
        decode=lambda s, stored: s.get_one(models.Voucher, stored))
    return VoucherReversePayload(voucher=Voucher.from_row(row) if row is not None else None,
                                 errors=errors)


# -- voucherExport -------------------------------------------------------------------------

@strawberry.input(description="Our account code and the target software's code for it.")
class AccountCodeMapInput:
    account_code: str
    target_code: str


@strawberry.input
class VoucherExportInput:
    format: VoucherExportFormat
    mode: VoucherExportMode = strawberry.field(
        default=VoucherExportMode.PERIOD,
        description="PERIOD: the month's vouchers; NEW: every voucher no export of this "
                    "format has carried yet (any month; reversals included), at most "
                    "2000 a file: export again for the rest.")
    period: str | None = strawberry.field(default=None,
                                          description="YYYY-MM (PERIOD mode only).")
    encoding: ExportEncoding | None = strawberry.field(
        default=None, description="For the text formats; default GBK for 用友, UTF-8 with "
                                  "a BOM for CSV (JSON is always UTF-8).")
    word: str = strawberry.field(default="记", description="凭证字 in the target's book.")
    code_map: list[AccountCodeMapInput] = strawberry.field(
        default_factory=list, description="Accounts whose code differs in the target.")
    idempotency_key: str | None = strawberry.field(
        default=None, description="The same key and input give the same batch back, byte "
                                  "for byte, and export nothing new.")


@strawberry.type
class VoucherExportPayload:
    file: VoucherFile | None
    batch: VoucherExportBatch | None = strawberry.field(
        description="The recorded export (download it again with voucherExportBatch).")
    errors: list[AccountingError]  # type: ignore[valid-type]


def voucher_export(info: Info[Any, Any], input: VoucherExportInput) -> VoucherExportPayload:
    def export(session: Session) -> models_exchange.ExportBatch:
        period = (ledger.parse_period(input.period) if input.period is not None
                  else None)
        return exports_batches.create_batch(session, exports_batches.ExportRequest(
            format=input.format.value, mode=input.mode.value, period=period,
            encoding=input.encoding.value if input.encoding is not None else None,
            word=input.word, code_map=tuple(sorted(
                (m.account_code.strip(), m.target_code.strip())
                for m in input.code_map[:1000]))),
            user_id=_user_id(info), idempotency_key=input.idempotency_key)

    found, errors = run_service(info, export, AccountingError)
    if found is None:
        return VoucherExportPayload(file=None, batch=None, errors=errors)
    return VoucherExportPayload(file=VoucherFile(
        filename=found.filename, content_type=found.content_type,
        content_base64=base64.b64encode(found.content).decode("ascii"),
        vouchers=found.vouchers, rows=found.rows),
        batch=VoucherExportBatch.from_row(found),  # made by hand: no push target
        errors=errors)


@strawberry.input
class VoucherExportCodeSetInput:
    format: VoucherExportFormat
    account_code: str
    target_code: str = strawberry.field(description="Empty: forget the account's code.")


@strawberry.type
class VoucherExportCodeSetPayload:
    code: VoucherExportCode | None
    errors: list[AccountingError]  # type: ignore[valid-type]


def voucher_export_code_set(info: Info[Any, Any], input: VoucherExportCodeSetInput,
                            ) -> VoucherExportCodeSetPayload:
    row, errors = run_service(info, lambda s: exports.set_export_code(
        s, input.format.value, input.account_code, input.target_code), AccountingError)
    return VoucherExportCodeSetPayload(code=VoucherExportCode(
        format=VoucherExportFormat(row.format), account_code=row.account_code,
        target_code=row.target_code) if row is not None else None, errors=errors)


def types() -> list[type]:
    return [AccountMappingSetInput, AccountMappingSetPayload, PeriodCloseInput,
            PeriodClosePayload, AccountingStandardSetInput, AccountingStandardSetPayload,
            AccountCreateInput, AccountCreatePayload, VoucherReverseInput,
            VoucherReversePayload, AccountCodeMapInput, VoucherExportInput, VoucherFile,
            VoucherExportPayload, VoucherExportCodeSetInput, VoucherExportCodeSetPayload]


def mutations() -> list[Any]:
    return [
        mutation(account_mapping_set, permission=SETTINGS, name="accountMappingSet",
                 description="Set the account a role of a document posts to (optionally "
                             "for a category, a warehouse or a partner)."),
        mutation(period_close, permission=CLOSE, name="periodClose",
                 description="Close a month of the ledger (and of depreciation)."),
        mutation(accounting_standard_set, permission=SETTINGS, name="accountingStandardSet",
                 description="Set the book up under a standard (before the first posting)."),
        mutation(account_create, permission=SETTINGS, name="accountCreate",
                 description="Add a sub-account (明细科目) with the next code."),
        mutation(voucher_export, permission=EXPORT, name="voucherExport",
                 description="Vouchers as a file for 用友 or 金蝶 (or generic Excel, CSV, "
                             "JSON): a month's, or every one not exported yet; recorded as "
                             "a batch."),
        mutation(voucher_export_code_set, permission=EXPORT, name="voucherExportCodeSet",
                 description="Remember an account's code in the target software."),
        mutation(voucher_reverse, permission=POST, name="voucherReverse",
                 description="Post the red voucher (红字冲销) of a voucher."),
    ]
