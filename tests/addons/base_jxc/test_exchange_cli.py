"""``openjxc import KIND FILE`` and ``openjxc export stock FILE`` round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import func, select
from stock_support import StockWorld, build_world
from test_exchange_import import OPENING, PRODUCT_ROWS, csv_file, xlsx_file

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.core.cli import cli


@pytest.fixture
def world(database_url: str) -> StockWorld:
    return build_world(database_url)


def url_of(world: StockWorld) -> str:
    return world.env.database.engine.url.render_as_string(hide_password=False)


def product_count(world: StockWorld) -> int:
    with world.uow() as session:
        return int(session.scalar(select(func.count()).select_from(Product)) or 0)


def test_import_export_round_trip(world: StockWorld, tmp_path: Path) -> None:
    runner = CliRunner()
    database = ["--database", url_of(world)]
    products = tmp_path / "产品.xlsx"
    products.write_bytes(xlsx_file(PRODUCT_ROWS))

    dry = runner.invoke(cli, ["import", "products", str(products), "--dry-run", *database])
    assert dry.exit_code == 0, dry.output
    assert product_count(world) == 5

    done = runner.invoke(cli, ["import", "products", str(products), *database])
    assert done.exit_code == 0, done.output
    assert "3" in done.output
    assert product_count(world) == 8

    opening = tmp_path / "期初库存.csv"
    opening.write_bytes(csv_file(OPENING, "gbk"))
    posted = runner.invoke(cli, ["import", "opening-stock", str(opening), "--date",
                                 "2026-01-01", *database])
    assert posted.exit_code == 0, posted.output

    target = tmp_path / "库存.xlsx"
    exported = runner.invoke(cli, ["export", "stock", str(target), "--warehouse", "WH1",
                                   *database])
    assert exported.exit_code == 0, exported.output
    sheet = load_workbook(target, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 4  # header + PLAIN, SER, BAT in WH1
    assert {r[2] for r in rows[1:]} == {"PLAIN", "SER", "BAT"}


def test_a_refused_file_prints_the_report_and_exits_1(world: StockWorld,
                                                      tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file([("编码", "名称", "分类"), ("A-1", "a", "DJ"),
                              ("A-2", "b", "NOPE")], "utf-8-sig"))
    result = CliRunner().invoke(cli, ["import", "products", str(bad),
                                      "--database", url_of(world)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "[分类]" in result.output and "NOT_FOUND" in result.output and "3" in result.output
    assert product_count(world) == 5


def test_an_unknown_kind_or_missing_file_is_a_usage_error(world: StockWorld,
                                                          tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(cli, ["import", "products", str(tmp_path / "none.xlsx"),
                                  "--database", url_of(world)])
    assert missing.exit_code == 2 and "Traceback" not in missing.output
    unknown = runner.invoke(cli, ["import", "widgets", str(tmp_path)])
    assert unknown.exit_code == 2
