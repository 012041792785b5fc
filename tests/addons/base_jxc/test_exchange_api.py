"""``importFile`` and ``stockLevelsExport`` through GraphQL."""

from __future__ import annotations

import base64
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from stock_support import StockWorld, build_world
from test_exchange_import import OPENING, PRODUCT_ROWS, csv_file, xlsx_file

from openjxc.testing.graphql import GraphQLTester

IMPORT = """
mutation($input: ImportFileInput!) {
  importFile(input: $input) {
    kind dryRun rowCount importedCount serialCount
    rows { row column code message }
    errors { field code message }
  }
}
"""
EXPORT = "{ stockLevelsExport { filename contentType contentBase64 rowCount includesValue } }"
PRODUCT_COUNT = "{ products { totalCount } }"


@pytest.fixture
def world(database_url: str) -> StockWorld:
    return build_world(database_url)


def upload(kind: str, name: str, content: bytes, **extra: object) -> dict[str, object]:
    return {"input": {"kind": kind, "filename": name,
                      "contentBase64": base64.b64encode(content).decode(), **extra}}


def test_dry_run_changes_nothing_then_the_import_does(world: StockWorld) -> None:
    api = GraphQLTester(world.env)
    before = api.ok(PRODUCT_COUNT)["products"]["totalCount"]
    dry = api.ok(IMPORT, upload("PRODUCTS", "产品.xlsx", xlsx_file(PRODUCT_ROWS), dryRun=True))
    assert dry["importFile"] == {"kind": "PRODUCTS", "dryRun": True, "rowCount": 3,
                                 "importedCount": 3, "serialCount": 0, "rows": [],
                                 "errors": []}
    assert api.ok(PRODUCT_COUNT)["products"]["totalCount"] == before
    done = api.ok(IMPORT, upload("PRODUCTS", "产品.xlsx", xlsx_file(PRODUCT_ROWS)))
    assert done["importFile"]["importedCount"] == 3
    assert api.ok(PRODUCT_COUNT)["products"]["totalCount"] == before + 3


def test_a_refused_file_reports_rows_in_the_callers_language(world: StockWorld) -> None:
    api = GraphQLTester(world.env)
    rows = [("编码", "名称", "分类"), ("A-1", "好", "DJ"), ("A-2", "", "DJ")]
    data = api.ok(IMPORT, upload("PRODUCTS", "p.csv", csv_file(rows)))["importFile"]
    assert data["importedCount"] == 0
    assert [(r["row"], r["column"], r["code"]) for r in data["rows"]] == [(3, "名称", "REQUIRED")]
    assert data["errors"][0]["field"] == ["3", "名称"]
    english = api.execute(IMPORT, upload("PRODUCTS", "p.csv", csv_file(rows)), locale="en")
    assert english["data"]["importFile"]["rows"][0]["message"] == "This field is required"
    assert api.ok(PRODUCT_COUNT)["products"]["totalCount"] == 5


def test_bad_base64_is_a_payload_error(world: StockWorld) -> None:
    api = GraphQLTester(world.env)
    data = api.ok(IMPORT, {"input": {"kind": "PARTNERS", "filename": "p.csv",
                                     "contentBase64": "@@not base64@@"}})["importFile"]
    assert [(e["field"], e["code"]) for e in data["errors"]] == [(["contentBase64"], "INVALID")]


def test_import_needs_the_permission_to_create_what_the_file_holds(world: StockWorld) -> None:
    api = GraphQLTester(world.env, permissions={"exchange.file.import", "catalog.product.read"})
    result = api.execute(IMPORT, upload("PRODUCTS", "p.xlsx", xlsx_file(PRODUCT_ROWS)))
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    nobody = GraphQLTester(world.env, permissions={"catalog.product.create"})
    result = nobody.execute(IMPORT, upload("PRODUCTS", "p.xlsx", xlsx_file(PRODUCT_ROWS)))
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_opening_stock_then_export_with_and_without_values(world: StockWorld) -> None:
    api = GraphQLTester(world.env)
    data = api.ok(IMPORT, upload("OPENING_STOCK", "期初.xlsx", xlsx_file(OPENING),
                                 openingDate="2026-01-01"))["importFile"]
    assert (data["errors"], data["importedCount"], data["serialCount"]) == ([], 4, 6)

    exported = api.ok(EXPORT)["stockLevelsExport"]
    assert exported["rowCount"] == 4 and exported["includesValue"] is True
    sheet = load_workbook(io.BytesIO(base64.b64decode(exported["contentBase64"])),
                          read_only=True).worksheets[0]
    rows = [tuple(r) for r in sheet.iter_rows(values_only=True)]
    assert len(rows[0]) == 10  # headers in the caller's language (catalogues by the lead)
    by_key = {(r[1], r[2]): r for r in rows[1:]}
    plain = by_key[("WH1/STOCK", "PLAIN")]
    assert (Decimal(str(plain[6])), Decimal(str(plain[8])), Decimal(str(plain[9]))) == (
        Decimal(10), Decimal(10), Decimal("125"))
    assert Decimal(str(by_key[("WH1/A-01", "SER")][9])) == Decimal(12400)
    assert by_key[("WH1/A-02", "BAT")][5] == "B2026-01"

    clerk = GraphQLTester(world.env, permissions={"exchange.file.export", "stock.level.read"})
    hidden = clerk.ok(EXPORT)["stockLevelsExport"]
    assert hidden["includesValue"] is False
    sheet = load_workbook(io.BytesIO(base64.b64decode(hidden["contentBase64"])),
                          read_only=True).worksheets[0]
    assert all(len(r) == 9 for r in sheet.iter_rows(values_only=True))
