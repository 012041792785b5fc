"""Importing products, partners and opening stock from .xlsx and .csv files.

The files are made in the tests (``xlsx_file`` / ``csv_file``), the way Excel would save
them; other exchange tests import these helpers.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from stock_support import StockWorld, build_world

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.exchange.report import ImportLimits, ImportResult, format_report
from openjxc.addons.base_jxc.exchange.services import import_file
from openjxc.addons.base_jxc.partners.models import Partner, PartnerContact
from openjxc.addons.base_jxc.stock.models import Batch, SerialNumber, StockMove

Rows = Sequence[Sequence[object]]


def xlsx_file(rows: Rows) -> bytes:
    """An .xlsx workbook whose first sheet holds ``rows`` (``None`` = an empty cell)."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_file(rows: Rows, encoding: str = "gbk") -> bytes:
    """A CSV file as Chinese Excel saves it (GBK), or ``utf-8-sig`` with a BOM."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["" if v is None else v for v in row] for row in rows])
    return buffer.getvalue().encode(encoding)


def run(world: StockWorld, kind: str, name: str, content: bytes, **kwargs: object,
        ) -> ImportResult:
    with world.uow() as session:
        return import_file(session, kind, name, content, **kwargs)  # type: ignore[arg-type]


def report(result: ImportResult) -> set[tuple[int | None, str | None, str]]:
    return {(e.row, e.column, e.code) for e in result.errors}


PRODUCT_ROWS: Rows = [
    ("编码", "名称", "分类", "型号", "规格", "品牌", "单位", "条码", "跟踪方式", "税率",
     "标准价", "售价"),
    ("YE3-7.5-4", "三相异步电动机 7.5kW", "DJ", "YE3-132M-4", "7.5kW 4极", "皖南", "台",
     6901234567890, "序列号", "13%", 2100, "2680.50"),
    ("PJ-001", "联轴器", "电机", None, None, None, "个", None, "无", 0.13, None, 35),
    ("YZ-1", "润滑脂", "DJ", None, "1kg", None, "桶", None, "批次", 13, None, None),
]


@pytest.fixture
def world(database_url: str) -> StockWorld:
    return build_world(database_url)


def products(world: StockWorld) -> dict[str, Product]:
    with world.uow() as session:
        rows = session.scalars(select(Product).where(Product.code.not_in(
            ("PLAIN", "PLAIN2", "SER", "SER2", "BAT"))))
        found = {p.code: p for p in rows}
        session.expunge_all()
        return found


def test_products_from_xlsx_with_chinese_headers(world: StockWorld) -> None:
    result = run(world, "products", "产品.xlsx", xlsx_file(PRODUCT_ROWS))
    assert result.errors == []
    assert (result.rows, result.imported) == (3, 3)
    found = products(world)
    motor = found["YE3-7.5-4"]
    assert (motor.tracking, motor.barcode, motor.tax_rate, motor.list_price,
            motor.standard_price, motor.brand) == (
        "serial", "6901234567890", Decimal("0.13"), Decimal("2680.50"), Decimal("2100.00"),
        "皖南")
    assert found["PJ-001"].tracking == "none"  # category given by its name 电机
    assert found["YZ-1"].tracking == "batch"
    assert found["YZ-1"].tax_rate == Decimal("0.13")


def test_products_from_gbk_csv_with_english_headers(world: StockWorld) -> None:
    rows = [("Code", "Name", "Category", "Unit", "Tracking", "Tax rate", "List price"),
            ("QB-1", "离心泵 清水型", "DJ", "台", "serial", "9%", "1,280.00"),
            (None, None, None, None, None, None, None),
            ("QB-2", "管道泵", "DJ", "台", "none", None, "860")]
    content = csv_file(rows, "gbk")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    result = run(world, "products", "products.csv", content)
    assert result.errors == []
    assert result.imported == 2
    found = products(world)
    assert found["QB-1"].name == "离心泵 清水型"
    assert found["QB-1"].tax_rate == Decimal("0.09")
    assert found["QB-1"].list_price == Decimal("1280.00")


def test_one_bad_row_imports_nothing_and_names_row_and_column(world: StockWorld) -> None:
    rows = [*PRODUCT_ROWS,
            ("PJ-001", "重复编码", "DJ", None, None, None, "个", None, "无", None, None, None),
            ("X-1", "坏税率", "DJ", None, None, None, "个", None, "周期", "abc", None, None),
            ("X-2", "未知分类", "NOPE", None, None, None, "个", None, None, None, None, None)]
    result = run(world, "products", "产品.xlsx", xlsx_file(rows))
    assert result.imported == 0
    assert report(result) == {(5, "编码", "DUPLICATE_CODE"), (6, "跟踪方式", "INVALID"),
                              (6, "税率", "INVALID"), (7, "分类", "NOT_FOUND")}
    assert products(world) == {}
    lines = format_report(result.errors, "zh_CN")
    assert lines[0].startswith("第 5 行 [编码]") or "5" in lines[0]


def test_header_problems_are_reported_once(world: StockWorld) -> None:
    rows = [("编码", "名称", "颜色", "名称"), ("A", "a", "红", "b")]
    result = run(world, "products", "p.csv", csv_file(rows, "utf-8-sig"))
    assert report(result) == {(1, "颜色", "UNKNOWN_COLUMN"), (1, "名称", "DUPLICATE_COLUMN"),
                              (1, "分类", "MISSING_COLUMN")}


def test_file_level_refusals(world: StockWorld) -> None:
    many = [("编码", "名称", "分类")] + [(f"P{i}", "p", "DJ") for i in range(5)]
    limits = ImportLimits(max_bytes=10_000, max_rows=3)
    assert report(run(world, "products", "p.xlsx", xlsx_file(many), limits=limits)) == {
        (None, None, "TOO_MANY_ROWS")}
    small = ImportLimits(max_bytes=50, max_rows=100)
    assert report(run(world, "products", "p.csv", csv_file(many), limits=small)) == {
        (None, None, "FILE_TOO_LARGE")}
    assert report(run(world, "products", "p.xls", b"\xd0\xcf\x11\xe0")) == {
        (None, None, "UNSUPPORTED_FORMAT")}
    assert report(run(world, "products", "p.xlsx", b"not a zip")) == {
        (None, None, "UNREADABLE_FILE")}
    assert report(run(world, "products", "p.csv", b"\r\n\r\n")) == {(None, None, "EMPTY_FILE")}
    assert products(world) == {}


def test_empty_lines_are_skipped_but_keep_their_row_numbers(world: StockWorld) -> None:
    rows = [(None, None, None), ("编码", "名称", "分类"), (None, None, None),
            ("A-1", "a", "DJ"), (None, None, None), ("A-2", "", "DJ")]
    result = run(world, "products", "p.xlsx", xlsx_file(rows))
    assert report(result) == {(6, "名称", "REQUIRED")}


def test_dry_run_checks_everything_and_keeps_nothing(world: StockWorld) -> None:
    result = run(world, "products", "产品.xlsx", xlsx_file(PRODUCT_ROWS), dry_run=True)
    assert (result.errors, result.imported, result.dry_run) == ([], 3, True)
    assert products(world) == {}


def test_partners_from_utf8_csv(world: StockWorld) -> None:
    rows = [("编码", "名称", "类型", "统一社会信用代码", "账期", "联系人", "手机", "地址"),
            ("C001", "福州闽江机电有限公司", "客户", "91350100M000100Y43", 30, "林工",
             "13800000000", "福州市鼓楼区"),
            ("S001", "皖南电机", "供应商", None, None, None, None, None),
            ("B001", "两用单位", "both", None, None, None, None, None)]
    result = run(world, "partners", "往来单位.csv", csv_file(rows, "utf-8-sig"))
    assert result.errors == []
    with world.uow() as session:
        found = {p.code: (p.is_customer, p.is_supplier, p.payment_terms_days)
                 for p in session.scalars(select(Partner))}
        contact = session.scalar(select(PartnerContact.name))
    assert found == {"C001": (True, False, 30), "S001": (False, True, 0),
                     "B001": (True, True, 0)}
    assert contact == "林工"


def test_partner_service_errors_come_back_at_their_columns(world: StockWorld) -> None:
    rows = [("code", "name", "kind", "credit code", "email", "contact", "credit limit"),
            ("C1", "a", "customer", "91350100M000100Y44", None, None, None),
            ("C2", "b", "supplier", None, "not-an-email", "王工", None),
            ("C3", "c", "customer", None, None, None, "5000")]
    with world.uow() as session:
        result = import_file(session, "partners", "p.csv", csv_file(rows),
                             may_manage_credit=False)
    assert report(result) == {(2, "credit code", "INVALID_CREDIT_CODE"),
                              (3, "email", "INVALID"), (4, "credit limit", "PERMISSION_DENIED")}
    with world.uow() as session:
        assert session.scalar(select(func.count()).select_from(Partner)) == 0


OPENING = [("仓库", "库位", "产品编码", "数量", "单位成本", "批次", "生产日期", "有效期至",
            "序列号"),
           ("WH1", None, "PLAIN", 10, "12.50", None, None, None, None),
           ("WH1", "A-01", "SER", None, 3100, None, None, None,
            "YE3-2026-0001..0003, YE3-2026-0010"),
           ("WH1", "WH1/A-02", "BAT", 20, 8, "B2026-01", date(2026, 1, 5), "2027-01-04", None),
           ("WH2", None, "SER2", 2, 900, None, None, None, "SN-A\nSN-B")]


def test_opening_stock_with_serial_ranges_and_batches(world: StockWorld) -> None:
    result = run(world, "opening_stock", "期初库存.xlsx", xlsx_file(OPENING),
                 move_date=date(2026, 1, 1))
    assert result.errors == []
    assert (result.imported, result.serials) == (4, 6)
    assert world.balance("WH1/STOCK", "PLAIN") == Decimal(10)
    assert world.balance("WH1/A-01", "SER") == Decimal(4)
    batch = world.batch_id("BAT", "B2026-01")
    assert world.balance("WH1/A-02", "BAT", batch) == Decimal(20)
    assert world.valuation("PLAIN") == (Decimal(10), Decimal("125.00"))
    assert world.serial_location("SER", "YE3-2026-0002") == world.locations["WH1/A-01"]
    assert world.serial_location("SER", "YE3-2026-0010") == world.locations["WH1/A-01"]
    assert world.serial_location("SER2", "SN-B") == world.locations["WH2/STOCK"]
    with world.uow() as session:
        batch_row = session.get(Batch, batch)
        assert batch_row is not None
        assert (batch_row.manufactured_on, batch_row.expires_on) == (
            date(2026, 1, 5), date(2027, 1, 4))
        moves = list(session.scalars(select(StockMove)))
        assert {m.origin_type for m in moves} == {"opening"}
        assert {m.from_location_id for m in moves} == {world.locations["adjustment"]}
        assert {m.move_date for m in moves} == {date(2026, 1, 1)}
        assert session.scalar(select(SerialNumber.unit_cost)
                              .where(SerialNumber.number == "SN-A")) == Decimal("900.00")


def test_opening_stock_errors_map_to_rows_and_nothing_is_posted(world: StockWorld) -> None:
    before = world.counts()
    rows = [OPENING[0],
            ("WH1", None, "PLAIN", 5, 10, None, None, None, None),
            ("WH9", None, "PLAIN", 1, 1, None, None, None, None),
            ("WH1", "Z-99", "NOPE", -1, None, None, None, None, None),
            ("WH1", None, "SER", 3, 100, None, None, None, "S1..S2"),
            ("WH1", None, "BAT", 1, 1, None, None, None, None),
            ("WH1", None, "SER2", None, 1, None, None, None, "X-9..X-1")]
    result = run(world, "opening_stock", "期初.csv", csv_file(rows))
    assert report(result) == {
        (3, "仓库", "NOT_FOUND"), (4, "库位", "NOT_FOUND"), (4, "产品编码", "NOT_FOUND"),
        (4, "数量", "INVALID"), (4, "单位成本", "REQUIRED"),
        (7, "序列号", "INVALID_SERIAL_RANGE"), (7, "数量", "REQUIRED")}
    # The rows that read well are then refused by the stock engine, row by row.
    rows = [OPENING[0], rows[1], rows[4], rows[5]]
    result = run(world, "opening_stock", "期初.csv", csv_file(rows))
    assert report(result) == {(3, "序列号", "SERIAL_COUNT_MISMATCH"),
                              (4, "批次", "BATCH_REQUIRED")}
    assert world.counts() == before
