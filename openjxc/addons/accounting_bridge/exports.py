"""Vouchers out to the accounting software: one neutral row per 分录, then an adapter per
target (reference: docs china-accounting §2).

* ``u8_txt`` — 用友 T3/通/U8 总账工具 (Pzinsert) text: a ``填制凭证,V800`` line, then one
  comma-separated line per 分录 (制单日期, 凭证类别字, 凭证号, 附单据数, 摘要, 科目编码, 借方,
  贷方, …, 部门, 个人, 客户, 供应商, 业务员, 项目).  Encoding GBK by default (VERIFY with a
  real T3: configurable).
* ``kis_xlsx`` — 金蝶 KIS 专业版/K3 凭证引入 (37 columns), 核算项目 as
  ``客户---C001---名称``, account codes dotted (``2221.01.01``), the line's 现金流量项目 in
  the 现金流量 column.
* ``generic_xlsx`` and ``generic_csv`` — the user-mappable preset for 精斗云/柠檬云/…
  (日期, 凭证字, 凭证号 …, then 现金流量项目); the CSV is UTF-8 with a BOM by default (Excel
  opens it right), or the encoding asked for.
* ``generic_json`` — vouchers with their lines nested, amounts as strings, auxiliaries,
  the cash-flow item and the voucher a red voucher reverses (:mod:`.exports_json`).

Account codes: 用友 concatenates (our 4-2-2 codes as they are), 金蝶 dots the levels;
the codes remembered per format (:func:`set_export_code`) and ``code_map`` override single
accounts (the target's own 科目编码).  Red vouchers keep
negative amounts on the same side.  Amounts are two-decimal strings.

Spreadsheet formulas never get in: a text cell of the Excel files is stored as text even
when it starts with ``=`` (a summary or a partner's name could be ``=HYPERLINK(…)``), and
in the generic CSV a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading ``'`` (amounts are numbers and keep their sign).

Encodings: a character GBK lacks (an emoji, a rare character of a name) becomes ``?`` in a
GBK file — the file is still made, the rest of the text intact; UTF-8 carries everything.

Every file is a function of its vouchers only: the same vouchers give the same bytes
(the Excel files carry fixed document and zip timestamps), so a repeated export can be
compared, and checksummed, byte for byte.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, aliased

from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _

from .models import WORD, Account, ExportCode, Voucher, VoucherLine

U8_TXT = "u8_txt"
KIS_XLSX = "kis_xlsx"
GENERIC_XLSX = "generic_xlsx"
GENERIC_CSV = "generic_csv"
GENERIC_JSON = "generic_json"
FORMATS = (U8_TXT, KIS_XLSX, GENERIC_XLSX, GENERIC_CSV, GENERIC_JSON)
GBK = "gbk"
UTF8 = "utf-8"
UTF8_BOM = "utf-8-sig"
ENCODINGS = (GBK, UTF8, UTF8_BOM)
#: The encoding of a text format when none is asked for (JSON is always UTF-8).
DEFAULT_ENCODING = {U8_TXT: GBK, GENERIC_CSV: UTF8_BOM}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT = "text/plain"
CSV = "text/csv"
JSON = "application/json"
#: The trailing flag fields public T3 generators write after 项目编码.
U8_TAIL = ",0,,0,,,,,,,,,0,0,0,0,0,,0,0,0,0"
KIS_HEADER = ("凭证日期", "会计年度", "会计期间", "凭证字", "凭证号", "科目代码", "科目名称",
              "币别代码", "币别名称", "原币金额", "借方", "贷方", "制单", "审核", "核准", "出纳",
              "经办", "结算方式", "结算号", "凭证摘要", "数量", "数量单位", "单价", "参考信息",
              "业务日期", "往来业务编号", "附件数", "序号", "系统模块", "业务描述", "汇率类型",
              "汇率", "分录序号", "核算项目", "过账", "机制凭证", "现金流量")
GENERIC_HEADER = ("日期", "凭证字", "凭证号", "附单据数", "摘要", "科目编码", "科目名称",
                  "借方金额", "贷方金额", "辅助核算类别", "辅助核算编码", "辅助核算名称", "数量",
                  "单价", "制单人", "现金流量项目")
#: Zip entries and document properties of an Excel file carry this moment, not "now".
FIXED_ZIP_TIME = (2000, 1, 1, 0, 0, 0)
FIXED_DOC_TIME = "2000-01-01T00:00:00Z"
_DOC_TIMES = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


@dataclass
class ExportRow:
    voucher_date: date
    number: int
    entry: int
    summary: str
    account_code: str
    account_name: str
    debit: Decimal
    credit: Decimal
    department: str
    project: str
    customer: tuple[str, str] | None
    supplier: tuple[str, str] | None
    voucher_id: int = 0
    cash_flow_item: str = ""


@dataclass
class ExportFile:
    filename: str
    content_type: str
    content: bytes
    vouchers: int
    rows: int
    voucher_ids: tuple[int, ...] = ()


def export_rows(session: Session, period: date | None = None, *,
                only: ColumnElement[bool] | None = None) -> list[ExportRow]:
    """The 分录 of a month's vouchers (or of those ``only`` selects), in voucher order."""
    customer, supplier = aliased(Partner), aliased(Partner)
    stmt = (select(Voucher.voucher_date, Voucher.number, VoucherLine.sequence,
                   VoucherLine.summary, Account.code, Account.name, VoucherLine.debit,
                   VoucherLine.credit, VoucherLine.department, VoucherLine.project,
                   customer.code, customer.name, supplier.code, supplier.name, Voucher.id,
                   VoucherLine.cash_flow_item)
            .join(VoucherLine, VoucherLine.voucher_id == Voucher.id)
            .join(Account, Account.id == VoucherLine.account_id)
            .outerjoin(customer, customer.id == VoucherLine.customer_id)
            .outerjoin(supplier, supplier.id == VoucherLine.supplier_id)
            .order_by(Voucher.period, Voucher.number, VoucherLine.sequence))
    if period is not None:
        stmt = stmt.where(Voucher.period == period)
    if only is not None:
        stmt = stmt.where(only)
    return [ExportRow(day, int(number.rsplit("-", 1)[-1]), seq, summary, code, name, debit,
                      credit, department, project,
                      (ccode, cname) if ccode else None, (scode, sname) if scode else None,
                      voucher_id, cash_flow or "")
            for (day, number, seq, summary, code, name, debit, credit, department, project,
                 ccode, cname, scode, sname, voucher_id, cash_flow) in session.execute(stmt)]


def set_export_code(session: Session, fmt: str, account_code: str,
                    target_code: str) -> ExportCode | None:
    """Remember that ``account_code`` is ``target_code`` in ``fmt``'s software (an empty
    target code forgets it)."""
    errors: list[FieldError] = []
    if fmt not in FORMATS:
        errors.append(FieldError("INVALID", _("Unknown export format {format}"),
                                 field="format", format=fmt[:32]))
    code = account_code.strip()
    if session.scalar(select(Account.id).where(Account.code == code)) is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown account {code}"),
                                 field="accountCode", code=code[:32]))
    target = target_code.strip()
    if len(target) > 32 or "," in target:
        errors.append(FieldError("INVALID", _("A target code has up to 32 characters and no "
                                              "comma"), field="targetCode"))
    if errors:
        raise ValidationFailed(errors)
    row = session.scalar(select(ExportCode).where(ExportCode.format == fmt,
                                                  ExportCode.account_code == code))
    if not target:
        if row is not None:
            session.delete(row)
            session.flush()
        return None
    if row is None:
        row = ExportCode(format=fmt, account_code=code)
        session.add(row)
    row.target_code = target
    session.flush()
    return row


def _dotted(code: str) -> str:
    return ".".join([code[:4]] + [code[i:i + 2] for i in range(4, len(code), 2)])


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _clean(text: str) -> str:
    # A comma or a line break would cut a T3 line in two.
    return text.replace(",", "，").replace("\r", " ").replace("\n", " ")


def check_options(fmt: str, encoding: str | None, word: str) -> tuple[str, str]:
    """The encoding (the format's default when None) and the voucher word, checked."""
    errors: list[FieldError] = []
    if fmt not in FORMATS:
        errors.append(FieldError("INVALID", _("Unknown export format {format}"),
                                 field="format", format=fmt[:32]))
    chosen = encoding or DEFAULT_ENCODING.get(fmt, UTF8)
    if chosen not in ENCODINGS:
        errors.append(FieldError("INVALID", _("Unknown encoding {encoding}"),
                                 field="encoding", encoding=chosen[:32]))
    if not word.strip() or len(word.strip()) > 4:
        errors.append(FieldError("INVALID", _("The voucher word has one to four characters"),
                                 field="word"))
    if errors:
        raise ValidationFailed(errors)
    return chosen, word.strip()


def code_overrides(session: Session, fmt: str,
                   code_map: dict[str, str] | None = None) -> dict[str, str]:
    """Our account code → the target's, remembered for ``fmt`` then ``code_map``."""
    found: dict[str, str] = {
        code: target for code, target in session.execute(
            select(ExportCode.account_code, ExportCode.target_code)
            .where(ExportCode.format == fmt))}
    found.update(code_map or {})
    return found


def export_vouchers(session: Session, period: date | None, fmt: str, *,
                    encoding: str | None = None, word: str = WORD,
                    code_map: dict[str, str] | None = None,
                    only: ColumnElement[bool] | None = None,
                    stem: str | None = None) -> ExportFile:
    """The month's vouchers (or those ``only`` selects) as a file for ``fmt`` (one of
    :data:`FORMATS`); ``encoding`` defaults to the format's (GBK for 用友, UTF-8 with a
    BOM for CSV)."""
    encoding, word = check_options(fmt, encoding, word)
    overrides = code_overrides(session, fmt, code_map)
    rows = export_rows(session, period, only=only)
    ids = tuple(dict.fromkeys(r.voucher_id for r in rows))
    label = f"{period:%Y-%m}" if period is not None else "new"
    stem = stem or f"vouchers-{label}-{fmt.split('_')[0]}"
    if fmt == GENERIC_JSON:
        from .exports_json import json_file

        content = json_file(session, rows, overrides, word)
        return ExportFile(f"{stem}.json", JSON, content, len(ids), len(rows), ids)
    if fmt == U8_TXT:
        lines = ["填制凭证,V800", *(_u8_line(r, overrides, word) for r in rows)]
        content = ("\r\n".join(lines) + "\r\n").encode(encoding, errors="replace")
        return ExportFile(f"{stem}.txt", f"{TEXT}; charset={encoding.removesuffix('-sig')}",
                          content, len(ids), len(rows), ids)
    if fmt == GENERIC_CSV:
        text = io.StringIO()
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow(GENERIC_HEADER)
        writer.writerows([_csv_cell(c) for c in _generic_cells(r, overrides, word)]
                         for r in rows)
        return ExportFile(f"{stem}.csv", f"{CSV}; charset={encoding.removesuffix('-sig')}",
                          text.getvalue().encode(encoding, errors="replace"), len(ids),
                          len(rows), ids)
    header, cells = ((KIS_HEADER, _kis_cells) if fmt == KIS_XLSX
                     else (GENERIC_HEADER, _generic_cells))
    content = xlsx_bytes(header, (cells(r, overrides, word) for r in rows))
    return ExportFile(f"{stem}.xlsx", XLSX, content, len(ids), len(rows), ids)


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> str:
    """A CSV cell Excel will not run: text that could start a formula gets a ``'``."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return str(value)


def _u8_line(r: ExportRow, overrides: dict[str, str], word: str) -> str:
    code = overrides.get(r.account_code, r.account_code)
    return ",".join([
        f"{r.voucher_date:%Y-%m-%d}", word, str(r.number), "0", _clean(r.summary)[:60],
        _clean(code), _money(r.debit), _money(r.credit), "", "", "", "", "", "", "",
        _clean(r.department), "", _clean(r.customer[0]) if r.customer else "",
        _clean(r.supplier[0]) if r.supplier else "", "", _clean(r.project)]) + U8_TAIL


def _kis_cells(r: ExportRow, overrides: dict[str, str], word: str) -> list[object]:
    code = overrides.get(r.account_code, _dotted(r.account_code))
    aux = (f"客户---{r.customer[0]}---{r.customer[1]}" if r.customer else
           f"供应商---{r.supplier[0]}---{r.supplier[1]}" if r.supplier else
           f"部门---{r.department}---{r.department}" if r.department else "")
    amount = r.debit or r.credit
    return [r.voucher_date.isoformat(), r.voucher_date.year, r.voucher_date.month, word,
            r.number, code, r.account_name, "RMB", "人民币", amount, r.debit, r.credit, "", "",
            "", "", "", "", "", r.summary, 0, "", 0, "", r.voucher_date.isoformat(), "", 0,
            r.entry, "", "", "公司汇率", 1, r.entry - 1, aux, 0, 0, r.cash_flow_item]


def _generic_cells(r: ExportRow, overrides: dict[str, str], word: str) -> list[object]:
    code = overrides.get(r.account_code, r.account_code)
    kind, aux_code, aux_name = (
        ("客户", *r.customer) if r.customer else ("供应商", *r.supplier) if r.supplier
        else ("部门", r.department, r.department) if r.department else ("", "", ""))
    return [r.voucher_date.isoformat(), word, f"{word}-{r.number}", 0, r.summary, code,
            r.account_name, r.debit, r.credit, kind, aux_code, aux_name, "", "", "",
            r.cash_flow_item]


def xlsx_bytes(header: tuple[str, ...], rows: Iterable[list[object]]) -> bytes:
    """A one-sheet workbook whose bytes depend on its cells only (fixed timestamps)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":  # text that looks like a formula stays text
                cell.data_type = "s"
    out = io.BytesIO()
    book.save(out)
    return stable_zip(out.getvalue(), lambda name, data: _DOC_TIMES.sub(
        rb"\g<1>" + FIXED_DOC_TIME.encode() + rb"\g<2>", data)
        if name == "docProps/core.xml" else data)


def stable_zip(content: bytes, rewrite: Callable[[str, bytes], bytes]) -> bytes:
    """``content`` (a zip) again, entries in the same order, each with a fixed time."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = info.external_attr
            target.writestr(entry, rewrite(info.filename, source.read(info.filename)))
    return out.getvalue()
