"""Reading an uploaded table: .xlsx (first sheet) or .csv, into a header and its rows.

CSV files come as Excel saves them: UTF-8 with or without a BOM, or GBK (Chinese Excel's
"CSV (逗号分隔)"), read as GB18030, its superset; comma, semicolon or tab separated.  The
first non-empty line is the header; empty lines are skipped but keep counting, so row
numbers are the ones the user sees in Excel.  A file that is too big, has too many rows
or cannot be read is refused as a whole with a :class:`FileRefused`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from openjxc.core.i18n import _

from .report import ImportLimits, RowError

#: Columns beyond this are ignored (a stray value in column XFD must not cost memory).
MAX_COLUMNS = 100


@dataclass
class Sheet:
    """The header (as written in the file) and the non-empty rows after it, each with
    its row number in the file."""

    header_row: int
    headers: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


class FileRefused(Exception):
    """The file as a whole cannot be imported."""

    def __init__(self, error: RowError) -> None:
        super().__init__(error.code)
        self.error = error


def _refuse(code: str, message: Any, **params: object) -> FileRefused:
    return FileRefused(RowError(None, None, code, message.msgid, {**message.params, **params}))


def read_sheet(filename: str, content: bytes, limits: ImportLimits | None = None) -> Sheet:
    """The table in ``content``, chosen by the extension of ``filename``."""
    limits = limits or ImportLimits()
    if len(content) > limits.max_bytes:
        raise _refuse("FILE_TOO_LARGE", _("The file is larger than {max} bytes"),
                      max=limits.max_bytes)
    if not content:
        raise _refuse("EMPTY_FILE", _("The file is empty"))
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension == "xlsx":
        lines = _xlsx_rows(content)
    elif extension in ("csv", "txt"):
        lines = _csv_rows(content)
    elif extension == "xls":
        raise _refuse("UNSUPPORTED_FORMAT", _("Old .xls files cannot be read: save the file "
                                              "as .xlsx or .csv"))
    else:
        raise _refuse("UNSUPPORTED_FORMAT", _("Only .xlsx and .csv files can be imported"))
    return _collect(lines, limits)


def _collect(lines: Iterator[tuple[int, list[Any]]], limits: ImportLimits) -> Sheet:
    sheet: Sheet | None = None
    for number, values in lines:
        values = [_clean(v) for v in values[:MAX_COLUMNS]]
        while values and values[-1] is None:
            values.pop()
        if not values:
            continue
        if sheet is None:
            sheet = Sheet(number, ["" if v is None else str(v).strip() for v in values])
            continue
        if len(sheet.rows) >= limits.max_rows:
            raise _refuse("TOO_MANY_ROWS", _("The file has more than {max} rows; split it"),
                          max=limits.max_rows)
        sheet.rows.append((number, values))
    if sheet is None:
        raise _refuse("EMPTY_FILE", _("The file is empty"))
    return sheet


def _clean(value: Any) -> Any:
    """``None`` for blank cells; text stripped."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _xlsx_rows(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # any failure of an untrusted upload means "unreadable"
        raise _refuse("UNREADABLE_FILE", _("The file is not a readable .xlsx workbook")) \
            from exc
    return _sheet_rows(book)


def _sheet_rows(book: Any) -> Iterator[tuple[int, list[Any]]]:
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True,
                                                     max_col=MAX_COLUMNS), start=1):
            yield number, list(row)
    except FileRefused:
        raise
    except Exception as exc:
        raise _refuse("UNREADABLE_FILE",
                      _("The file is not a readable .xlsx workbook")) from exc
    finally:
        book.close()


def decode_text(content: bytes) -> str:
    """The text of a CSV file: UTF-8 (BOM or not), UTF-16 with a BOM, else GB18030."""
    if content.startswith(b"\xef\xbb\xbf"):
        encodings: Sequence[str] = ("utf-8-sig",)
    elif content.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _refuse("UNREADABLE_FILE", _("The file's text is neither UTF-8 nor GBK"))


def _csv_rows(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    text = decode_text(content)
    if "\x00" in text:
        raise _refuse("UNREADABLE_FILE", _("The file is not a text (CSV) file"))
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, row in enumerate(reader, start=1):
            yield number, list(row)
    except csv.Error as exc:
        raise _refuse("UNREADABLE_FILE", _("The CSV file is malformed: {reason}"),
                      reason=str(exc)) from exc
