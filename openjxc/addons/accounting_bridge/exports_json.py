"""The generic JSON export: one object per voucher with its lines nested.

::

    {"format": "openjxc.vouchers", "version": 1, "vouchers": [
      {"id": 7, "number": "记-0003", "word": "记", "sequence": 3, "period": "2026-03",
       "date": "2026-03-10", "summary": "…", "sourceType": "sales.invoice",
       "reference": "INV-1", "total": "226.00",
       "reversalOf": null | {"id": 5, "number": "记-0001", "period": "2026-03"},
       "lines": [{"sequence": 1, "summary": "…", "accountCode": "1122",
                  "ledgerAccountCode": "1122", "accountName": "应收账款",
                  "debit": "226.00", "credit": "0.00", "cashFlowItem": "",
                  "auxiliaries": {"customer": {"code": "C1", "name": "…"},
                                  "supplier": null, "department": "", "project": ""}}]}]}

Amounts are strings with two decimals (no float rounding on the way); ``accountCode`` is
the target's code (the export code table applies), ``ledgerAccountCode`` ours.  No
timestamp of the export itself is written, so the same vouchers give the same bytes.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from .exports import ExportRow
from .models import Voucher

_CHUNK = 500


def _money(value: Any) -> str:
    return f"{value:.2f}"


def json_file(session: Session, rows: list[ExportRow], overrides: dict[str, str],
              word: str) -> bytes:
    ids = list(dict.fromkeys(r.voucher_id for r in rows))
    heads: dict[int, tuple[Voucher, Voucher | None]] = {}
    original = aliased(Voucher)
    for start in range(0, len(ids), _CHUNK):
        for voucher, reversed_voucher in session.execute(
                select(Voucher, original)
                .outerjoin(original, original.id == Voucher.reversal_of_id)
                .where(Voucher.id.in_(ids[start:start + _CHUNK]))):
            heads[voucher.id] = (voucher, reversed_voucher)
    lines: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for r in rows:
        lines[r.voucher_id].append({
            "sequence": r.entry, "summary": r.summary,
            "accountCode": overrides.get(r.account_code, r.account_code),
            "ledgerAccountCode": r.account_code, "accountName": r.account_name,
            "debit": _money(r.debit), "credit": _money(r.credit),
            "cashFlowItem": r.cash_flow_item,
            "auxiliaries": {
                "customer": {"code": r.customer[0], "name": r.customer[1]}
                if r.customer else None,
                "supplier": {"code": r.supplier[0], "name": r.supplier[1]}
                if r.supplier else None,
                "department": r.department, "project": r.project}})
    vouchers = []
    for voucher_id in ids:
        voucher, original_of = heads[voucher_id]
        vouchers.append({
            "id": voucher.id, "number": voucher.number, "word": word,
            "sequence": int(voucher.number.rsplit("-", 1)[-1]),
            "period": f"{voucher.period:%Y-%m}", "date": voucher.voucher_date.isoformat(),
            "summary": voucher.summary, "sourceType": voucher.source_type,
            "reference": voucher.reference, "total": _money(voucher.total),
            "reversalOf": {"id": original_of.id, "number": original_of.number,
                           "period": f"{original_of.period:%Y-%m}"} if original_of else None,
            "lines": lines[voucher_id]})
    document = {"format": "openjxc.vouchers", "version": 1, "vouchers": vouchers}
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
