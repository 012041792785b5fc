"""Columns of an import file: headers in Chinese or English, cells read into typed values.

Each importer declares its columns once::

    COLUMNS = Columns([Column("code", "编码", ("code", "产品编码"), required=True), ...])

Headers match whatever the case, spaces, ``*`` marks of required columns or a unit in
brackets (``税率(%)``).  Cell readers record a :class:`RowError` at the row and the
file's own header and return ``None``, so one pass reports every bad cell.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from openjxc.core.errors import FieldError
from openjxc.core.i18n import _

from .readers import Sheet
from .report import RowError

_NOISE = re.compile(r"[\s*_\-:：]|[(（][^)）]*[)）]")
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def normalise(header: str) -> str:
    """The comparable form of a header: ``" 税率 (%) * "`` → ``"税率"``."""
    return _NOISE.sub("", header).casefold()


@dataclass(frozen=True)
class Column:
    """A column an importer understands: ``key`` for the code, ``label`` as the template
    file and the reports name it, ``aliases`` the other headers accepted."""

    key: str
    label: str
    aliases: tuple[str, ...] = ()
    required: bool = False


@dataclass
class Layout:
    """Where each known column is in one file, and its header there."""

    header_row: int
    index: dict[str, int] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    #: ``属性:power_kw`` / ``attr:power_kw`` columns: attribute key → position.
    attributes: dict[str, int] = field(default_factory=dict)


class Columns:
    def __init__(self, columns: Sequence[Column], *, attributes: bool = False) -> None:
        self.columns = list(columns)
        self.attributes = attributes
        self._by_name: dict[str, Column] = {}
        for column in self.columns:
            for name in (column.key, column.label, *column.aliases):
                self._by_name[normalise(name)] = column

    def label(self, key: str) -> str:
        return next(c.label for c in self.columns if c.key == key)

    def layout(self, sheet: Sheet, errors: list[RowError]) -> Layout:
        """The file's columns, or errors for unknown, repeated and missing ones."""
        layout = Layout(sheet.header_row)
        for position, header in enumerate(sheet.headers):
            if not header:
                continue
            attribute = self._attribute_key(header)
            column = self._by_name.get(normalise(header))
            if attribute is not None:
                key, target = attribute, layout.attributes
            elif column is not None:
                key, target = column.key, layout.index
            else:
                errors.append(RowError.of(sheet.header_row, header, FieldError(
                    "UNKNOWN_COLUMN", _("Unknown column {column}"), column=header)))
                continue
            if key in target:
                errors.append(RowError.of(sheet.header_row, header, FieldError(
                    "DUPLICATE_COLUMN", _("The column {column} appears twice"),
                    column=header)))
                continue
            target[key] = position
            if column is not None and attribute is None:
                layout.headers[key] = header
        for column in self.columns:
            if column.required and column.key not in layout.index:
                errors.append(RowError.of(sheet.header_row, column.label, FieldError(
                    "MISSING_COLUMN", _("The column {column} is missing"),
                    column=column.label)))
        return layout

    def _attribute_key(self, header: str) -> str | None:
        if not self.attributes:
            return None
        for prefix in ("属性:", "属性：", "attr:", "attribute:"):
            if header.casefold().startswith(prefix):
                return header[len(prefix):].strip()
        return None


class Row:
    """One data row: typed cell readers that record errors at this row and column."""

    def __init__(self, number: int, values: Sequence[Any], layout: Layout, columns: Columns,
                 errors: list[RowError]) -> None:
        self.number = number
        self.values = values
        self.layout = layout
        self.columns = columns
        self.errors = errors

    # -- errors ---------------------------------------------------------------------------

    def header(self, key: str) -> str:
        return self.layout.headers.get(key) or self.columns.label(key)

    def fail(self, key: str | None, error: FieldError) -> None:
        self.errors.append(RowError.of(self.number, self.header(key) if key else None, error))

    def service_errors(self, errors: Sequence[FieldError], fields: Mapping[str, str]) -> None:
        """A service's errors at this row: the first field name picks the column through
        ``fields`` (``{"taxRate": "tax_rate", "contacts.0.email": "email"}``, the longest
        path first); attributes map to their own columns."""
        for error in errors:
            name = error.field[0] if error.field else ""
            if name == "attributes" and len(error.field) > 1:
                self.errors.append(RowError.of(self.number, f"属性:{error.field[1]}", error))
                continue
            path = list(error.field)
            key = None
            while path and key is None:
                key = fields.get(".".join(path))
                path.pop()
            self.fail(key, error)

    # -- cells ----------------------------------------------------------------------------

    def raw(self, key: str) -> Any:
        position = self.layout.index.get(key)
        if position is None or position >= len(self.values):
            return None
        return self.values[position]

    def given(self, key: str) -> bool:
        return self.raw(key) is not None

    def text(self, key: str, default: str = "") -> str:
        """The cell as text; a whole number typed into Excel (a barcode) without ``.0``."""
        value = self.raw(key)
        if value is None:
            return default
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        if isinstance(value, datetime):
            return value.date().isoformat()
        return str(value).strip()

    def decimal(self, key: str, default: Decimal | None = None, *,
                percent: bool = False) -> Decimal | None:
        """The cell as an exact number (``"1,280.00"`` and ``¥`` accepted); with
        ``percent``, ``13``, ``"13%"`` and ``0.13`` all mean 0.13."""
        value = self.raw(key)
        if value is None:
            return default
        number: Decimal | None
        is_percent = False
        if isinstance(value, bool):
            number = None
        elif isinstance(value, int):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(repr(value))
        elif isinstance(value, Decimal):
            number = value
        else:
            text = str(value).replace(",", "").replace("，", "").replace("¥", "").strip()
            if percent and text.endswith("%"):
                text, is_percent = text[:-1].strip(), True
            try:
                number = Decimal(text)
            except InvalidOperation:
                number = None
            if number is not None and not number.is_finite():
                number = None
        if number is None:
            self.fail(key, FieldError("INVALID", _("Must be a number")))
            return None
        if percent and (is_percent or number >= 1):
            number = number / 100
        return number

    def integer(self, key: str, default: int | None = None) -> int | None:
        number = self.decimal(key)
        if number is None:
            return default if not self.given(key) else None
        if number != number.to_integral():
            self.fail(key, FieldError("INVALID", _("Must be a whole number")))
            return None
        return int(number)

    def date(self, key: str) -> date | None:
        """The cell as a date: an Excel date, ``2026-01-31``, ``2026/1/31``, ``2026年1月31日``."""
        value = self.raw(key)
        if value is None:
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        match = _DATE.match(str(value).strip())
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                pass
        self.fail(key, FieldError("INVALID", _("Must be a date such as 2026-01-31")))
        return None

    def choice(self, key: str, choices: Mapping[str, str], default: str) -> str | None:
        """The cell's meaning among ``choices`` (normalised text → value)."""
        if not self.given(key):
            return default
        found = choices.get(normalise(self.text(key)))
        if found is None:
            self.fail(key, FieldError("INVALID", _("Must be one of {choices}"),
                                      choices=" / ".join(dict.fromkeys(choices))))
        return found

    def attributes(self) -> dict[str, object]:
        """Attribute columns' values (key → text), blanks left out."""
        found: dict[str, object] = {}
        for key, position in self.layout.attributes.items():
            value = self.values[position] if position < len(self.values) else None
            if value is None:
                continue
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            found[key] = str(value)
        return found


def rows(sheet: Sheet, layout: Layout, columns: Columns, errors: list[RowError]) -> list[Row]:
    return [Row(number, values, layout, columns, errors) for number, values in sheet.rows]
