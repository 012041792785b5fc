"""GraphQL for import and export: ``importFile`` and ``stockLevelsExport``.

Files travel as base64 in the JSON body (the request-size limit applies), so no multipart
upload is needed::

    mutation { importFile(input: {kind: PRODUCTS, filename: "产品.xlsx",
                                  contentBase64: "UEsDB…", dryRun: true}) {
        rowCount importedCount rows { row column code message } errors { code message } } }

Importing needs ``exchange.file.import`` and the permission to create what the file
holds (``catalog.product.create``, ``partner.partner.create``, ``stock.move.create``).
A payload with errors imported nothing; ``rows`` is the row-by-row report.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date
from enum import Enum
from typing import Any

import strawberry
from strawberry.types import Info

from openjxc.core.i18n import _, translate
from openjxc.graphql import (
    Contribution,
    UserError,
    check_access,
    field,
    get_session,
    mutation,
)

from . import services
from .export import CONTENT_TYPE, stock_levels_xlsx
from .report import ImportResult, RowError

IMPORT = "exchange.file.import"
EXPORT = "exchange.file.export"
COST_READ = "stock.cost.read"
CREDIT_MANAGE = "partner.credit.manage"


@strawberry.enum(description="What an import file holds.")
class ImportKind(Enum):
    PRODUCTS = "products"
    PARTNERS = "partners"
    OPENING_STOCK = "opening_stock"

    __labels__ = {"PRODUCTS": _("Products"), "PARTNERS": _("Customers and suppliers"),
                  "OPENING_STOCK": _("Opening stock")}


@strawberry.enum(description="Why an import refused a file or a row.")
class ExchangeErrorCode(Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE_CODE = "DUPLICATE_CODE"
    CODE_TEMPLATE_MISMATCH = "CODE_TEMPLATE_MISMATCH"
    INVALID_CREDIT_CODE = "INVALID_CREDIT_CODE"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    TOO_MANY_ROWS = "TOO_MANY_ROWS"
    EMPTY_FILE = "EMPTY_FILE"
    UNSUPPORTED_FORMAT = "UNSUPPORTED_FORMAT"
    UNREADABLE_FILE = "UNREADABLE_FILE"
    UNKNOWN_COLUMN = "UNKNOWN_COLUMN"
    DUPLICATE_COLUMN = "DUPLICATE_COLUMN"
    MISSING_COLUMN = "MISSING_COLUMN"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    INVALID_LOCATION = "INVALID_LOCATION"
    SAME_LOCATION = "SAME_LOCATION"
    SERIAL_ALREADY_EXISTS = "SERIAL_ALREADY_EXISTS"
    SERIAL_NOT_IN_LOCATION = "SERIAL_NOT_IN_LOCATION"
    SERIAL_COUNT_MISMATCH = "SERIAL_COUNT_MISMATCH"
    SERIAL_DUPLICATED = "SERIAL_DUPLICATED"
    SERIAL_NOT_TRACKED = "SERIAL_NOT_TRACKED"
    INVALID_SERIAL_RANGE = "INVALID_SERIAL_RANGE"
    BATCH_REQUIRED = "BATCH_REQUIRED"
    BATCH_NOT_TRACKED = "BATCH_NOT_TRACKED"
    BATCH_EXPIRED = "BATCH_EXPIRED"
    STOCK_PERIOD_CLOSED = "STOCK_PERIOD_CLOSED"
    # Passed through from an accounting addon: the document's date lies in a closed
    # accounting period.
    PERIOD_CLOSED = "PERIOD_CLOSED"


def _code(code: str) -> ExchangeErrorCode:
    """The API code of a service's error; one the enum does not know yet reads INVALID
    (the message still says what is wrong)."""
    try:
        return ExchangeErrorCode(code)
    except ValueError:
        return ExchangeErrorCode.INVALID


@strawberry.type(description="A problem with an import: field is the input field at "
                              "fault, or [row, column] of the file.")
class ExchangeError(UserError):
    code: ExchangeErrorCode = strawberry.field(description="Stable, machine-readable reason.")


@strawberry.type(description="One refused cell, row or file in an import report.")
class ImportRowError:
    row: int | None = strawberry.field(description="Row number as shown in Excel (the header "
                                                   "row counts); null for the whole file.")
    column: str | None = strawberry.field(description="The column's header in the file.")
    code: ExchangeErrorCode
    message: str


@strawberry.input(description="A file to import, base64-encoded.")
class ImportFileInput:
    kind: ImportKind
    filename: str = strawberry.field(description="Its name; .xlsx or .csv decides the format.")
    content_base64: str
    dry_run: bool = strawberry.field(default=False, description="Check every row, keep "
                                                               "nothing.")
    opening_date: date | None = strawberry.field(
        default=None, description="Date of opening stock moves (default: today).")


@strawberry.type
class ImportFilePayload:
    kind: ImportKind
    dry_run: bool
    row_count: int = strawberry.field(description="Data rows read from the file.")
    imported_count: int = strawberry.field(
        description="Rows imported (for a dry run: that would be); 0 when refused.")
    serial_count: int = strawberry.field(description="Serial numbers received (opening "
                                                     "stock).")
    rows: list[ImportRowError]
    errors: list[ExchangeError]


def _payload(kind: ImportKind, result: ImportResult, locale: str | None) -> ImportFilePayload:
    def row_error(e: RowError) -> ImportRowError:
        return ImportRowError(row=e.row, column=e.column, code=_code(e.code),
                              message=e.text(locale))

    def error(e: RowError) -> ExchangeError:
        where = [str(e.row)] if e.row is not None else []
        where += [e.column] if e.column else []
        return ExchangeError(field=where or None, code=_code(e.code), message=e.text(locale))

    return ImportFilePayload(kind=kind, dry_run=result.dry_run, row_count=result.rows,
                             imported_count=result.imported, serial_count=result.serials,
                             rows=[row_error(e) for e in result.errors],
                             errors=[error(e) for e in result.errors])


def import_file(info: Info[Any, Any], input: ImportFileInput) -> ImportFilePayload:
    kind = input.kind.value
    for permission in services.PERMISSIONS[kind]:
        check_access(info, permission)
    locale = getattr(info.context, "locale", None)
    principal = info.context.principal
    try:
        content = base64.b64decode(input.content_base64, validate=True)
    except (binascii.Error, ValueError):
        message = _("The content is not valid base64")
        return ImportFilePayload(
            kind=input.kind, dry_run=input.dry_run, row_count=0, imported_count=0,
            serial_count=0, rows=[], errors=[ExchangeError(
                field=["contentBase64"], code=ExchangeErrorCode.INVALID,
                message=translate(message.msgid, locale))])
    result = services.import_file(
        get_session(info), kind, input.filename, content, dry_run=input.dry_run,
        user_id=principal.user_id or None, may_manage_credit=principal.has(CREDIT_MANAGE),
        move_date=input.opening_date)
    return _payload(input.kind, result, locale)


@strawberry.type(description="A generated file, base64-encoded.")
class ExportedFile:
    filename: str
    content_type: str
    content_base64: str
    row_count: int
    includes_value: bool = strawberry.field(
        description="Whether the value column is there (needs stock.cost.read).")


def stock_levels_export(info: Info[Any, Any], warehouse_code: str | None = None,
                        ) -> ExportedFile:
    check_access(info, "stock.level.read")
    include_value = info.context.principal.has(COST_READ)
    content, count = stock_levels_xlsx(get_session(info), warehouse_code=warehouse_code,
                                       include_value=include_value)
    suffix = f"-{warehouse_code}" if warehouse_code else ""
    return ExportedFile(filename=f"stock-levels{suffix}.xlsx", content_type=CONTENT_TYPE,
                        content_base64=base64.b64encode(content).decode("ascii"),
                        row_count=count, includes_value=include_value)


def contribution() -> Contribution:
    return Contribution(
        types=[ImportKind, ExchangeErrorCode, ExchangeError, ImportRowError, ImportFileInput,
               ImportFilePayload, ExportedFile],
        queries=[field(stock_levels_export, permission=EXPORT, name="stockLevelsExport",
                       description="Stock levels as an .xlsx file (values only with "
                                   "stock.cost.read).")],
        mutations=[mutation(import_file, permission=IMPORT, name="importFile",
                            description="Import products, partners or opening stock from "
                                        ".xlsx/.csv: all rows or none.")],
    )
