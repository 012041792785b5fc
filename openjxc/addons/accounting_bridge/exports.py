"""Vouchers out to the accounting software: one neutral row per 分录, then an adapter per
target (reference: docs china-accounting §2).

* ``u8_txt`` — 用友 T3/通/U8 总账工具 (Pzinsert) text: a ``填制凭证,V800`` line, then one
  comma-separated line per 分录 (制单日期, 凭证类别字, 凭证号, 附单据数, 摘要, 科目编码, 借方,
  贷方, …, 部门, 个人, 客户, 供应商, 业务员, 项目).  Encoding GBK by default (VERIFY with a
  real T3: configurable).
* ``kis_xlsx`` — 金蝶 KIS 专业版/K3 凭证引入 (37 columns), 核算项目 as
  ``客户---C001---名称``, account codes dotted (``2221.01.01``).
* ``generic_xlsx`` — the user-mappable preset for 精斗云/柠檬云/… (日期, 凭证字, 凭证号 …).

Account codes: 用友 concatenates (our 4-2-2 codes as they are), 金蝶 dots the levels;
the codes remembered per format (:func:`set_export_code`) and ``code_map`` override single
accounts (the target's own 科目编码).  Red vouchers keep
negative amounts on the same side.  Amounts are two-decimal strings.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _

from .models import WORD, Account, ExportCode, Voucher, VoucherLine

U8_TXT = "u8_txt"
KIS_XLSX = "kis_xlsx"
GENERIC_XLSX = "generic_xlsx"
FORMATS = (U8_TXT, KIS_XLSX, GENERIC_XLSX)
ENCODINGS = ("gbk", "utf-8")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT = "text/plain"
#: The trailing flag fields public T3 generators write after 项目编码.
U8_TAIL = ",0,,0,,,,,,,,,0,0,0,0,0,,0,0,0,0"
KIS_HEADER = ("凭证日期", "会计年度", "会计期间", "凭证字", "凭证号", "科目代码", "科目名称",
              "币别代码", "币别名称", "原币金额", "借方", "贷方", "制单", "审核", "核准", "出纳",
              "经办", "结算方式", "结算号", "凭证摘要", "数量", "数量单位", "单价", "参考信息",
              "业务日期", "往来业务编号", "附件数", "序号", "系统模块", "业务描述", "汇率类型",
              "汇率", "分录序号", "核算项目", "过账", "机制凭证", "现金流量")
GENERIC_HEADER = ("日期", "凭证字", "凭证号", "附单据数", "摘要", "科目编码", "科目名称",
                  "借方金额", "贷方金额", "辅助核算类别", "辅助核算编码", "辅助核算名称", "数量",
                  "单价", "制单人")


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


@dataclass
class ExportFile:
    filename: str
    content_type: str
    content: bytes
    vouchers: int
    rows: int


def export_rows(session: Session, period: date) -> list[ExportRow]:
    customer, supplier = aliased(Partner), aliased(Partner)
    rows = session.execute(
        select(Voucher.voucher_date, Voucher.number, VoucherLine.sequence,
               VoucherLine.summary, Account.code, Account.name, VoucherLine.debit,
               VoucherLine.credit, VoucherLine.department, VoucherLine.project,
               customer.code, customer.name, supplier.code, supplier.name)
        .join(VoucherLine, VoucherLine.voucher_id == Voucher.id)
        .join(Account, Account.id == VoucherLine.account_id)
        .outerjoin(customer, customer.id == VoucherLine.customer_id)
        .outerjoin(supplier, supplier.id == VoucherLine.supplier_id)
        .where(Voucher.period == period)
        .order_by(Voucher.number, VoucherLine.sequence)).all()
    return [ExportRow(day, int(number.rsplit("-", 1)[-1]), seq, summary, code, name, debit,
                      credit, department, project,
                      (ccode, cname) if ccode else None, (scode, sname) if scode else None)
            for (day, number, seq, summary, code, name, debit, credit, department, project,
                 ccode, cname, scode, sname) in rows]


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


def export_vouchers(session: Session, period: date, fmt: str, *, encoding: str = "gbk",
                    word: str = WORD, code_map: dict[str, str] | None = None) -> ExportFile:
    """The month's vouchers as a file for ``fmt`` (one of :data:`FORMATS`)."""
    errors: list[FieldError] = []
    if fmt not in FORMATS:
        errors.append(FieldError("INVALID", _("Unknown export format {format}"),
                                 field="format", format=fmt[:32]))
    if encoding not in ENCODINGS:
        errors.append(FieldError("INVALID", _("Unknown encoding {encoding}"),
                                 field="encoding", encoding=encoding[:32]))
    if not word.strip() or len(word.strip()) > 4:
        errors.append(FieldError("INVALID", _("The voucher word has one to four characters"),
                                 field="word"))
    if errors:
        raise ValidationFailed(errors)
    word = word.strip()
    overrides: dict[str, str] = {
        code: target for code, target in session.execute(
            select(ExportCode.account_code, ExportCode.target_code)
            .where(ExportCode.format == fmt))}
    overrides.update(code_map or {})
    rows = export_rows(session, period)
    vouchers = len({r.number for r in rows})
    stem = f"vouchers-{period:%Y-%m}-{fmt.split('_')[0]}"
    if fmt == U8_TXT:
        lines = ["填制凭证,V800"]
        for r in rows:
            code = overrides.get(r.account_code, r.account_code)
            lines.append(",".join([
                f"{r.voucher_date:%Y-%m-%d}", word, str(r.number), "0", _clean(r.summary)[:60],
                code, _money(r.debit), _money(r.credit), "", "", "", "", "", "", "",
                _clean(r.department), "", r.customer[0] if r.customer else "",
                r.supplier[0] if r.supplier else "", "", _clean(r.project)]) + U8_TAIL)
        content = ("\r\n".join(lines) + "\r\n").encode(encoding, errors="replace")
        return ExportFile(f"{stem}.txt", TEXT, content, vouchers, len(rows))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    if fmt == KIS_XLSX:
        sheet.append(KIS_HEADER)
        for r in rows:
            code = overrides.get(r.account_code, _dotted(r.account_code))
            aux = (f"客户---{r.customer[0]}---{r.customer[1]}" if r.customer else
                   f"供应商---{r.supplier[0]}---{r.supplier[1]}" if r.supplier else
                   f"部门---{r.department}---{r.department}" if r.department else "")
            amount = r.debit or r.credit
            sheet.append([r.voucher_date.isoformat(), r.voucher_date.year,
                          r.voucher_date.month, word, r.number, code, r.account_name, "RMB",
                          "人民币", amount, r.debit, r.credit, "", "", "",
                          "", "", "", "", r.summary, 0, "", 0, "", r.voucher_date.isoformat(),
                          "", 0, r.entry, "", "", "公司汇率", 1, r.entry - 1, aux, 0, 0, ""])
    else:
        sheet.append(GENERIC_HEADER)
        for r in rows:
            code = overrides.get(r.account_code, r.account_code)
            kind, aux_code, aux_name = (
                ("客户", *r.customer) if r.customer else ("供应商", *r.supplier) if r.supplier
                else ("部门", r.department, r.department) if r.department else ("", "", ""))
            sheet.append([r.voucher_date.isoformat(), word, f"{word}-{r.number}", 0, r.summary,
                          code, r.account_name, r.debit, r.credit, kind,
                          aux_code, aux_name, "", "", ""])
    out = io.BytesIO()
    book.save(out)
    return ExportFile(f"{stem}.xlsx", XLSX, out.getvalue(), vouchers, len(rows))
