"""Voucher exports: the generic CSV and JSON files, the cash-flow item in 金蝶's and the
generic columns, byte-identical files for the same vouchers, and batches — a month's or
every voucher not yet exported (reversals included), repeatable by idempotency key."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from accounting_support import DAY, World, build_world
from openpyxl import load_workbook
from sqlalchemy import func, select, update

from openjxc.addons.accounting_bridge import ledger
from openjxc.addons.accounting_bridge.exports import (
    FORMATS,
    GENERIC_CSV,
    GENERIC_JSON,
    GENERIC_XLSX,
    KIS_XLSX,
    U8_TXT,
    export_vouchers,
)
from openjxc.addons.accounting_bridge.exports_batches import (
    NEW,
    PERIOD,
    ExportRequest,
    batch_voucher_ids,
    create_batch,
)
from openjxc.addons.accounting_bridge.models import Account, Voucher, VoucherLine
from openjxc.addons.accounting_bridge.models_exchange import ExportBatch
from openjxc.core.errors import ValidationFailed

D = Decimal
MARCH = date(2026, 3, 1)
APRIL_DAY = date(2026, 4, 2)


@pytest.fixture
def world(database_url: str) -> World:
    world = build_world(database_url)
    world.run(lambda s: world.receive(s, D(10), D("8.50")))
    world.run(lambda s: world.invoice(s, "receivable", D(2), D("100")))
    world.run(lambda s: world.pay(s, "receivable", D("226")))
    with world.uow() as s:  # what the cash-flow tagging puts on the bank line
        bank = select(Account.id).where(Account.code == "1002").scalar_subquery()
        s.execute(update(VoucherLine).where(VoucherLine.account_id == bank)
                  .values(cash_flow_item="CF01"))
    return world


def voucher_ids(world: World) -> list[int]:
    with world.uow(readonly=True) as s:
        return list(s.scalars(select(Voucher.id).order_by(Voucher.period, Voucher.number)))


def export(world: World, fmt: str, **kw: object) -> bytes:
    with world.uow(readonly=True) as s:
        return export_vouchers(s, MARCH, fmt, **kw).content  # type: ignore[arg-type]


def batch(world: World, request: ExportRequest, **kw: object) -> tuple[int, bytes, list[int]]:
    with world.uow() as s:
        made = create_batch(s, request, **kw)  # type: ignore[arg-type]
        return made.id, made.content, batch_voucher_ids(s, made.id)


def batch_count(world: World) -> int:
    with world.uow(readonly=True) as s:
        return s.scalar(select(func.count()).select_from(ExportBatch)) or 0


def test_the_generic_csv_is_utf8_with_a_bom_unless_told_otherwise(world: World) -> None:
    content = export(world, GENERIC_CSV)
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["日期", "凭证字", "凭证号"] and rows[0][-1] == "现金流量项目"
    bank = [r for r in rows[1:] if r[5] == "1002"]
    assert bank and all(r[-1] == "CF01" and r[7] == "226.00" for r in bank)
    assert any(r[9:12] == ["客户", "C1", "客户"] for r in rows[1:])
    gbk = export(world, GENERIC_CSV, encoding="gbk")
    assert not gbk.startswith(b"\xef\xbb\xbf") and gbk.decode("gbk").startswith("日期,")
    assert export(world, GENERIC_CSV, encoding="utf-8").decode("utf-8").startswith("日期,")


def test_the_json_nests_lines_with_string_amounts_auxiliaries_and_reversals(
        world: World) -> None:
    first = voucher_ids(world)[1]  # the sales invoice
    world.run(lambda s: ledger.reverse_voucher(s, first))
    document = json.loads(export(world, GENERIC_JSON).decode("utf-8"))
    assert (document["format"], document["version"]) == ("openjxc.vouchers", 1)
    vouchers = {v["id"]: v for v in document["vouchers"]}
    invoice, red = vouchers[first], document["vouchers"][-1]
    assert invoice["reversalOf"] is None and invoice["total"] == "226.00"
    assert red["reversalOf"] == {"id": first, "number": invoice["number"],
                                 "period": "2026-03"}
    receivable = next(line for line in invoice["lines"] if line["accountCode"] == "1122")
    assert receivable["debit"] == "226.00" and receivable["credit"] == "0.00"
    assert receivable["auxiliaries"]["customer"] == {"code": "C1", "name": "客户"}
    assert any(line["debit"] == "-226.00" for line in red["lines"])
    cash = [line for v in document["vouchers"] for line in v["lines"]
            if line["ledgerAccountCode"] == "1002"]
    assert cash and {line["cashFlowItem"] for line in cash} == {"CF01"}


def test_kingdee_carries_the_cash_flow_item(world: World) -> None:
    rows = list(load_workbook(io.BytesIO(export(world, KIS_XLSX))).active.iter_rows(
        values_only=True))
    assert rows[0][36] == "现金流量"
    assert {r[36] for r in rows[1:] if r[5] == "1002"} == {"CF01"}
    assert {r[36] for r in rows[1:] if r[5] != "1002"} <= {None, ""}
    generic = list(load_workbook(io.BytesIO(export(world, GENERIC_XLSX))).active.iter_rows(
        values_only=True))
    assert {r[15] for r in generic[1:] if r[5] == "1002"} == {"CF01"}


def test_the_same_vouchers_give_the_same_bytes(world: World) -> None:
    first = {fmt: export(world, fmt) for fmt in FORMATS}
    time.sleep(2.1)  # an Excel writer stamping "now" would differ by now
    assert {fmt: export(world, fmt) for fmt in FORMATS} == first


def test_new_exports_carry_what_no_batch_of_the_format_carried_reversals_included(
        world: World) -> None:
    world.run(lambda s: world.receive(s, D(1), D("8.50"), day=APRIL_DAY))
    everything = voucher_ids(world)
    _id, content, carried = batch(world, ExportRequest(U8_TXT, mode=NEW))
    assert carried == sorted(everything)  # March and April
    assert content.decode("gbk").count("\r\n2026-04-02,") == 2
    before = batch_count(world)
    assert [c for c, _ in world.refusal(lambda s: create_batch(
        s, ExportRequest(U8_TXT, mode=NEW)))] == ["NOTHING_TO_EXPORT"]
    assert batch_count(world) == before  # no empty file recorded

    red = world.run(lambda s: ledger.reverse_voucher(s, everything[1]))
    _id, content, carried = batch(world, ExportRequest(U8_TXT, mode=NEW))
    assert carried == [red.id]
    assert ",1122,-226.00,0.00," in content.decode("gbk")
    # Another format has its own history: it gets everything, the red voucher too.
    _id, _content, carried = batch(world, ExportRequest(GENERIC_JSON, mode=NEW))
    assert carried == sorted([*everything, red.id])


def test_a_month_export_is_a_batch_and_counts_as_exported(world: World) -> None:
    batch_id, content, carried = batch(world, ExportRequest(KIS_XLSX, period=MARCH))
    assert carried == voucher_ids(world)
    with world.uow(readonly=True) as s:
        row = s.get_one(ExportBatch, batch_id)
        assert (row.mode, row.period, row.vouchers, row.target_id) == (PERIOD, MARCH, 3, None)
        assert row.checksum == hashlib.sha256(content).hexdigest()
        assert row.filename == "vouchers-2026-03-kis.xlsx"
    assert [c for c, _ in world.refusal(lambda s: create_batch(
        s, ExportRequest(KIS_XLSX, mode=NEW)))] == ["NOTHING_TO_EXPORT"]


def test_an_idempotency_key_gives_the_same_batch_back(world: World) -> None:
    request = ExportRequest(GENERIC_CSV, mode=NEW)
    first = batch(world, request, idempotency_key="k-1", user_id=7)
    world.run(lambda s: world.receive(s, D(1), D("8.50")))  # new since, yet the key replays
    assert batch(world, request, idempotency_key="k-1", user_id=7) == first
    assert batch_count(world) == 1
    assert world.refusal(lambda s: create_batch(
        s, ExportRequest(GENERIC_CSV, mode=NEW, encoding="gbk"), idempotency_key="k-1",
        user_id=7)) == [("IDEMPOTENCY_KEY_REUSED", ("idempotencyKey",))]
    # Another user's key is another key.
    assert batch(world, request, idempotency_key="k-1", user_id=8)[0] != first[0]


def test_a_refused_export_keeps_no_key(world: World) -> None:
    batch(world, ExportRequest(U8_TXT, mode=NEW))
    request = ExportRequest(U8_TXT, mode=NEW)
    assert [c for c, _ in world.refusal(lambda s: create_batch(
        s, request, idempotency_key="later"))] == ["NOTHING_TO_EXPORT"]
    world.run(lambda s: world.receive(s, D(1), D("8.50"), day=DAY))
    _id, _content, carried = batch(world, request, idempotency_key="later")
    assert len(carried) == 1


@pytest.mark.parametrize(("request_", "expected"), [
    (ExportRequest(U8_TXT), [("REQUIRED", ("period",))]),
    (ExportRequest(U8_TXT, mode=NEW, period=MARCH), [("INVALID", ("period",))]),
    (ExportRequest(U8_TXT, mode="all"), [("INVALID", ("mode",))]),
    (ExportRequest("xml", period=MARCH, encoding="latin-1"),
     [("INVALID", ("format",)), ("INVALID", ("encoding",))]),
])
def test_what_a_batch_refuses(world: World, request_: ExportRequest,
                              expected: list[tuple[str, tuple[str, ...]]]) -> None:
    assert world.refusal(lambda s: create_batch(s, request_)) == expected
    assert batch_count(world) == 0


def test_two_exports_of_new_vouchers_at_once_never_carry_a_voucher_twice(
        world: World) -> None:
    first_made, results = threading.Event(), list[object]()

    def slow() -> None:
        with world.uow() as s:
            results.append(create_batch(s, ExportRequest(U8_TXT, mode=NEW)).vouchers)
            first_made.set()
            time.sleep(0.8)  # the second export starts meanwhile and must wait

    def second() -> None:
        first_made.wait(10)
        try:
            with world.uow() as s:
                results.append(create_batch(s, ExportRequest(U8_TXT, mode=NEW)).vouchers)
        except ValidationFailed as exc:
            results.append(exc.errors[0].code)

    threads = [threading.Thread(target=slow), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == [3, "NOTHING_TO_EXPORT"]
