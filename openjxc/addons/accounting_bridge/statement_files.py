"""The four statements of a month as files: .xlsx and PDF, laid out as a Chinese
accountant expects them.

Each file has the title (科目余额表, 资产负债表 会小企01表/会企01表, 利润表, 现金流量表), the
preparing company (编制单位, base_jxc's ``company.name``), the period, ``单位：元``, the
statement's columns and its totals; amounts are right-aligned with two decimals and
thousands separators, negative ones with a minus.  Labels are in the reader's language.

* trial balance: code, name, opening / period / closing balances, each debit and credit
  (a balance on the side it sits on), and the total of the first-level accounts;
* balance sheet: assets beside liabilities and equity, each with 期末余额 and 年初余额
  (the balance sheet of the previous December, or the opening balances when the book
  opened later in the year);
* income statement: 本月金额 and 本年累计金额;
* cash flow: the month (and the year to date when the statement gives it).

A statement is first a :class:`Sheet` (texts resolved, amounts Decimal), then written as
.xlsx (deterministic: fixed document and archive timestamps, so the same ledger gives the
same bytes) or as PDF through the kernel's report templates (CJK fonts embedded).  The PDFs
are also served at ``/reports/{statement}/{YYYYMM}.pdf`` (:func:`reports_offered`).
"""

from __future__ import annotations

import calendar
import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from babel.dates import format_skeleton
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.documents.blocks import company
from openjxc.core.i18n import LazyString, Translator, _, current_locale, format_date, format_decimal
from openjxc.core.pdf import html_to_pdf
from openjxc.core.reports import CJKFontMissing, Report, ReportRegistry, cjk_font_available
from openjxc.core.security import Principal

from . import READ, cash_flow, reports, statements
from .ledger import ZERO, month_before, month_start
from .models import ENTERPRISE, SMALL

TRIAL_BALANCE = "trial_balance"
BALANCE_SHEET = "balance_sheet"
INCOME_STATEMENT = "income_statement"
CASH_FLOW = "cash_flow"
KINDS = (TRIAL_BALANCE, BALANCE_SHEET, INCOME_STATEMENT, CASH_FLOW)
XLSX = "xlsx"
PDF = "pdf"
CONTENT_TYPES = {XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 PDF: "application/pdf"}
OWNER = "accounting_bridge"
TEMPLATE = "statements/statement.html"
TITLES: dict[str, LazyString] = {
    TRIAL_BALANCE: _("Trial balance"), BALANCE_SHEET: _("Balance sheet"),
    INCOME_STATEMENT: _("Income statement"), CASH_FLOW: _("Cash flow statement")}
#: The statement forms of the two standards (the trial balance is no statement form).
FORMS = {SMALL: {BALANCE_SHEET: "会小企01", INCOME_STATEMENT: "会小企02", CASH_FLOW: "会小企03"},
         ENTERPRISE: {BALANCE_SHEET: "会企01", INCOME_STATEMENT: "会企02", CASH_FLOW: "会企03"}}
#: Rows printed bold besides the ``total…``/``net_…`` ones.
TOTAL_KEYS = {"operating_profit", "profit_before_tax", "net_profit", "ending_cash"}
AMOUNT_FORMAT = "#,##0.00;-#,##0.00"
#: Landscape for the wide statements.
LANDSCAPE = {TRIAL_BALANCE, BALANCE_SHEET}
WIDTHS = {TRIAL_BALANCE: [12, 26, 15, 15, 15, 15, 15, 15],
          BALANCE_SHEET: [26, 16, 16, 30, 16, 16]}
ARCHIVE_TIME = (1980, 1, 1, 0, 0, 0)

Amount = Decimal | None


@dataclass
class Head:
    """A column title spanning ``cols`` columns and ``rows`` header rows."""

    text: str
    cols: int = 1
    rows: int = 1


@dataclass
class Line:
    cells: list[str | Decimal | None]
    total: bool = False
    indent: int = 0
    #: Columns (from 0) printed bold on a line that is not a total: a subtotal beside
    #: an ordinary line of the other side of the balance sheet.
    strong: frozenset[int] = frozenset()


@dataclass
class Sheet:
    """A statement ready to be written: every text in the reader's language."""

    kind: str
    period: date
    title: str
    form: str
    company: str
    period_text: str
    unit: str
    head: list[list[Head]]
    lines: list[Line] = field(default_factory=list)

    @property
    def columns(self) -> int:
        return sum(h.cols for h in self.head[0])

    @property
    def widths(self) -> list[int]:
        return WIDTHS.get(self.kind, [44] + [18] * (self.columns - 1))


@dataclass
class StatementFile:
    filename: str
    content_type: str
    content: bytes
    rows: int


def _is_total(key: str) -> bool:
    return key in TOTAL_KEYS or key.startswith(("total", "net_"))


def _sides(balance: Decimal) -> tuple[Amount, Amount]:
    """A debit-positive balance as (debit, credit): on the side it sits on."""
    if balance > 0:
        return balance, None
    if balance < 0:
        return None, -balance
    return None, None


class _Words:
    def __init__(self, locale: str, translator: Translator | None) -> None:
        self.locale, self.translator = locale, translator

    def __call__(self, message: LazyString) -> str:
        return message.resolve(self.locale, self.translator)


def _trial_balance(session: Session, period: date, t: _Words) -> tuple[list[list[Head]],
                                                                         list[Line]]:
    debit, credit = t(_("Debit")), t(_("Credit"))
    head = [[Head(t(_("Account code")), rows=2), Head(t(_("Account name")), rows=2),
             Head(t(_("Opening balance")), cols=2), Head(t(_("Movements of the period")),
                                                         cols=2),
             Head(t(_("Closing balance")), cols=2)],
            [Head(debit), Head(credit)] * 3]
    lines: list[Line] = []
    totals = [ZERO] * 6
    for r in reports.trial_balance(session, period):
        values = [*_sides(r.opening), r.debit, r.credit, *_sides(r.closing)]
        lines.append(Line([r.code, r.name, *values], indent=r.level - 1))
        if r.level == 1:
            totals = [t_ + (v or ZERO) for t_, v in zip(totals, values, strict=True)]
    lines.append(Line([t(_("Total")), "", *totals], total=True))
    return head, lines


def _balance_sheet(session: Session, period: date, t: _Words) -> tuple[list[list[Head]],
                                                                         list[Line]]:
    closing, opening = t(_("Closing balance")), t(_("Beginning of year"))
    head = [[Head(t(_("Asset items"))), Head(closing), Head(opening),
             Head(t(_("Liabilities and owners' equity"))), Head(closing), Head(opening)]]
    rows = statements.balance_sheet(session, period)
    start = {r.key: r.amount for r in statements.balance_sheet(
        session, month_before(statements.year_start(session, period)))}
    split = next((i + 1 for i, r in enumerate(rows) if r.key == "total_assets"), len(rows))

    def side(found: list[statements.StatementRow]) -> tuple[list[statements.StatementRow],
                                                            statements.StatementRow | None]:
        if found and _is_total(found[-1].key):
            return found[:-1], found[-1]
        return found, None

    def cells(row: statements.StatementRow | None) -> list[str | Decimal | None]:
        if row is None:
            return ["", None, None]
        return [t(row.label), row.amount, start.get(row.key, ZERO)]

    def strong(row: statements.StatementRow | None, first: int) -> set[int]:
        return {first, first + 1, first + 2} if row is not None and _is_total(row.key) else set()

    (assets, assets_total), (claims, claims_total) = side(rows[:split]), side(rows[split:])
    pairs = [(assets[i] if i < len(assets) else None, claims[i] if i < len(claims) else None)
             for i in range(max(len(assets), len(claims)))]
    lines = [Line(cells(left) + cells(right),
                  strong=frozenset(strong(left, 0) | strong(right, 3))) for left, right in pairs]
    lines.append(Line(cells(assets_total) + cells(claims_total), total=True))
    return head, lines


def _flows(rows: list[statements.StatementRow], t: _Words, month: str,
           ) -> tuple[list[list[Head]], list[Line]]:
    year = any(r.year_to_date is not None for r in rows)
    head = [[Head(t(_("Item"))), Head(month)]
            + ([Head(t(_("Year to date")))] if year else [])]
    return head, [Line([t(r.label), r.amount, *([r.year_to_date] if year else [])],
                       total=_is_total(r.key)) for r in rows]


def build_sheet(session: Session, kind: str, period: date, locale: str,
                translator: Translator | None = None) -> Sheet:
    """``kind`` (:data:`KINDS`) of the month ``period`` in ``locale``."""
    period = month_start(period)
    t = _Words(locale, translator)
    form = FORMS.get(cash_flow.book_standard(session), FORMS[SMALL]).get(kind)
    if kind == BALANCE_SHEET:
        last = calendar.monthrange(period.year, period.month)[1]
        shown = format_date(period.replace(day=last), locale)
    else:
        shown = format_skeleton("yMMMM", period, locale=locale)
    sheet = Sheet(kind=kind, period=period, title=t(TITLES[kind]),
                  form=t(_("Form {code}", code=form)) if form else "",
                  company=t(_("Prepared by: {company}", company=company(session).name)),
                  period_text=shown, unit=t(_("Unit: yuan")), head=[])
    if kind == TRIAL_BALANCE:
        sheet.head, sheet.lines = _trial_balance(session, period, t)
    elif kind == BALANCE_SHEET:
        sheet.head, sheet.lines = _balance_sheet(session, period, t)
    elif kind == INCOME_STATEMENT:
        sheet.head, sheet.lines = _flows(statements.income_statement(session, period), t,
                                         t(_("This month")))
    elif kind == CASH_FLOW:
        sheet.head, sheet.lines = _flows(statements.cash_flow_statement(session, period), t,
                                         t(_("This month")))
    else:
        raise ValueError(f"unknown statement {kind!r}")
    return sheet


# -- .xlsx ---------------------------------------------------------------------------------

def to_xlsx(sheet: Sheet) -> bytes:
    """The sheet as an .xlsx; the same sheet always gives the same bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = sheet.title[:31]
    n = sheet.columns
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    bold = Font(bold=True)

    def put(row: int, col: int, value: object, *, cols: int = 1, rows: int = 1,
            align: str = "left", font: Font | None = None, border: bool = False) -> None:
        cell = ws.cell(row=row, column=col, value=value)  # type: ignore[arg-type]
        _as_text(cell, value)
        cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=True)
        if font is not None:
            cell.font = font
        if cols > 1 or rows > 1:
            ws.merge_cells(start_row=row, start_column=col, end_row=row + rows - 1,
                           end_column=col + cols - 1)
        if border:
            for r in range(row, row + rows):
                for c in range(col, col + cols):
                    ws.cell(row=r, column=c).border = box

    put(1, 1, sheet.title, cols=n, align="center", font=Font(bold=True, size=16))
    side = max(1, n // 3)
    put(2, n - side + 1, sheet.form, cols=side, align="right")
    put(3, 1, sheet.company, cols=side)
    put(3, side + 1, sheet.period_text, cols=n - 2 * side, align="center")
    put(3, n - side + 1, sheet.unit, cols=side, align="right")
    top = 4
    taken: set[tuple[int, int]] = set()
    for i, heads in enumerate(sheet.head):
        col = 1
        for h in heads:
            while (top + i, col) in taken:
                col += 1
            put(top + i, col, h.text, cols=h.cols, rows=h.rows, align="center", font=bold,
                border=True)
            taken.update((top + i + r, col + c) for r in range(h.rows) for c in range(h.cols))
            col += h.cols
    first = top + len(sheet.head)
    for i, line in enumerate(sheet.lines):
        for col, value in enumerate(line.cells, start=1):
            cell = ws.cell(row=first + i, column=col, value=value)
            _as_text(cell, value)
            cell.border = box
            if isinstance(value, Decimal):
                cell.number_format = AMOUNT_FORMAT
                cell.alignment = Alignment(horizontal="right")
            elif col == 2 and line.indent:
                cell.alignment = Alignment(indent=line.indent)
            if line.total or col - 1 in line.strong:
                cell.font = bold
    for col, width in enumerate(sheet.widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.freeze_panes = ws.cell(row=first, column=1)
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = "landscape" if sheet.kind in LANDSCAPE else "portrait"
    ws.print_title_rows = f"{top}:{first - 1}"
    stamp = datetime.combine(sheet.period, time())
    book.properties.creator = "OpenJXC"
    book.properties.title = sheet.title
    book.properties.created = book.properties.modified = stamp
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(book, archive).save()
    return _fixed_archive(raw.getvalue())


def _as_text(cell: Any, value: object) -> None:
    """A text stays text: openpyxl would store an account or company name starting with
    "=" as a formula, which the spreadsheet would run when the file is opened."""
    if isinstance(value, str):
        cell.data_type = "s"


def _fixed_archive(raw: bytes) -> bytes:
    """The zip again with every member dated 1980-01-01 (zipfile stamps the clock)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=ARCHIVE_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            target.writestr(member, source.read(info.filename))
    return out.getvalue()


# -- PDF -----------------------------------------------------------------------------------

def pdf_context(sheet: Sheet, locale: str) -> dict[str, Any]:
    """The template's context: amounts formatted for ``locale``, ``num`` marks them."""
    lines = [{"total": line.total, "indent": line.indent, "cells": [
        {"num": True, "strong": i in line.strong,
         "text": "" if value is None else format_decimal(value, locale, places=2)}
        if isinstance(value, Decimal) or (value is None)
        else {"num": False, "strong": i in line.strong, "text": value}
        for i, value in enumerate(line.cells)]} for line in sheet.lines]
    total = sum(sheet.widths)
    return {"title": sheet.title, "sheet": sheet, "lines": lines,
            "landscape": sheet.kind in LANDSCAPE,
            # The columns' shares of the page, as wide as in the .xlsx: a long account
            # name wraps within its column instead of pushing the amounts off the page.
            "widths": [f"{100 * w / total:.2f}" for w in sheet.widths]}


def to_pdf(sheet: Sheet, env: Any, locale: str) -> bytes:
    """The sheet as an A4 PDF with the Chinese font embedded (refused without one)."""
    if not cjk_font_available():
        raise CJKFontMissing("no Chinese (CJK) font is installed, the PDF would show empty "
                             "boxes; install one, e.g. `apt-get install fonts-wqy-microhei`")
    registry = ReportRegistry.for_environment(env)
    html = registry.jinja(OWNER).get_template(TEMPLATE).render(
        {**pdf_context(sheet, locale), "locale": locale})
    return html_to_pdf(html, registry.template_dirs(OWNER))


def statement_file(session: Session, env: Any, kind: str, period: date, fmt: str, *,
                   locale: str) -> StatementFile:
    """``kind`` of ``period`` as an ``xlsx`` or ``pdf`` file in ``locale``."""
    sheet = build_sheet(session, kind, period, locale, Translator.for_environment(env))
    content = to_xlsx(sheet) if fmt == XLSX else to_pdf(sheet, env, locale)
    name = f"{kind.replace('_', '-')}-{sheet.period:%Y-%m}.{fmt}"
    return StatementFile(name, CONTENT_TYPES[fmt], content, len(sheet.lines))


# -- /reports/{statement}/{YYYYMM}.pdf -----------------------------------------------------

def period_of_key(key: int) -> date | None:
    """``202603`` → 2026-03-01; None for anything else."""
    year, month = divmod(key, 100)
    return date(year, month, 1) if 1900 <= year <= 9999 and 1 <= month <= 12 else None


def _loader(kind: str) -> Any:
    def load(session: Session, id: int, env: Any, principal: Principal | None = None,
             ) -> Mapping[str, Any] | None:
        # Whoever renders with a principal is refused without the ledger's read
        # permission, as a document loader refuses (no principal: a trusted caller).
        if principal is not None:
            principal.require(READ)
        period = period_of_key(id)
        if period is None:
            return None
        locale = current_locale()
        return pdf_context(build_sheet(session, kind, period, locale,
                                       Translator.for_environment(env)), locale)

    return load


def reports_offered() -> list[Report]:
    """The statements as printable documents: ``/reports/balance_sheet/202603.pdf``."""
    return [Report(kind, TEMPLATE, READ, load=_loader(kind), title=kind) for kind in KINDS]
