"""What an import answers: the row-by-row report, and the limits it works within.

A :class:`RowError` names the row as the user sees it in Excel (the header is row 1 when
it is the first line) and the column by the header the file itself uses, so the report
can be read next to the file::

    第 7 行 “数量”: 至少为 0 (INVALID)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from openjxc.core.errors import FieldError, OpenJXCError
from openjxc.core.i18n import _, translate

#: Importable kinds: the CLI's argument and (upper-cased) the GraphQL enum.
KINDS = ("products", "partners", "opening_stock")
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 20_000


@dataclass(frozen=True)
class ImportLimits:
    """How big a file may be; ``OPENJXC_IMPORT_MAX_BYTES`` / ``OPENJXC_IMPORT_MAX_ROWS``
    change the defaults (10 MiB, 20,000 data rows)."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_rows: int = DEFAULT_MAX_ROWS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ImportLimits:
        environ = os.environ if environ is None else environ

        def number(name: str, default: int) -> int:
            raw = environ.get(name, "").strip()
            if not raw:
                return default
            if not raw.isdigit() or int(raw) <= 0:
                raise OpenJXCError(f"{name} must be a positive whole number, not {raw!r}",
                                   code="CONFIG_ERROR")
            return int(raw)

        return cls(max_bytes=number("OPENJXC_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES),
                   max_rows=number("OPENJXC_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


@dataclass(frozen=True)
class RowError:
    """One refusal: ``row`` and ``column`` are ``None`` when the file as a whole is at
    fault; ``message`` is a catalogue msgid filled from ``params`` when rendered."""

    row: int | None
    column: str | None
    code: str
    message: str
    params: Mapping[str, object] = field(default_factory=dict)

    @classmethod
    def of(cls, row: int | None, column: str | None, error: FieldError) -> RowError:
        return cls(row, column, error.code, error.message, dict(error.params))

    def text(self, locale: str | None = None) -> str:
        """The message in ``locale`` (default: the current one)."""
        return translate(self.message, locale, **self.params)


@dataclass
class ImportResult:
    """The outcome of one file: nothing was kept when ``errors`` is not empty or when it
    was a ``dry_run`` (then ``imported`` says what would have been)."""

    kind: str
    dry_run: bool = False
    rows: int = 0
    imported: int = 0
    serials: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def format_report(errors: Iterable[RowError], locale: str | None = None) -> list[str]:
    """One line per error, in file order, for the CLI and logs."""
    lines = []
    for error in sorted(errors, key=lambda e: (e.row or 0, e.column or "")):
        where = []
        if error.row is not None:
            where.append(_("Row {row}", row=error.row).resolve(locale))
        if error.column:
            where.append(f"[{error.column}]")
        prefix = " ".join(where) or _("File").resolve(locale)
        lines.append(f"{prefix}: {error.text(locale)} ({error.code})")
    return lines
