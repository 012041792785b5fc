"""depreciation through GraphQL: the promised names, a month run twice with one key,
the payload errors, the reports and their .xlsx, the statement count of the asset list,
and the demo data."""

from __future__ import annotations

import base64
import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from depreciation_support import World, build_world
from openpyxl import load_workbook
from sqlalchemy import event, select

from openjxc.addons.depreciation import models
from openjxc.addons.depreciation.demo import load as load_demo
from openjxc.testing.graphql import GraphQLTester

D = Decimal

CREATE = """mutation($input: AssetCreateInput!) { assetCreate(input: $input) {
  asset { code startsOn cost residualValue lifeMonths method taxTreatment category { code } }
  errors { field code message } } }"""
RUN = """mutation($period: String!, $key: String) {
  depreciationRun(input: {period: $period, idempotencyKey: $key}) {
    result { period postedLines assets bookTotal taxTotal } errors { code message } } }"""
CLOSE = """mutation($period: String!) { depreciationPeriodClose(input: {period: $period}) {
  period { period closed } errors { code } } }"""


@pytest.fixture
def world(database_url: str) -> World:
    return build_world(database_url)


def create(api: GraphQLTester, **input: Any) -> Any:
    return api.ok(CREATE, {"input": input})["assetCreate"]


def test_a_month_through_the_api(world: World) -> None:
    api = GraphQLTester(world.env, locale="en")
    made = create(api, name="叉车", categoryCode="VEHICLES", cost="96000",
                  acquiredOn="2026-03-08", code="FA-1", department="仓储部",
                  method="DOUBLE_DECLINING", taxTreatment="ONE_TIME")
    assert made["errors"] == []
    assert made["asset"] == {"code": "FA-1", "startsOn": "2026-04-01", "cost": "96000.00",
                             "residualValue": "4800.00", "lifeMonths": 48,
                             "method": "DOUBLE_DECLINING", "taxTreatment": "ONE_TIME",
                             "category": {"code": "VEHICLES"}}
    bad = create(api, name="x", categoryCode="NOPE", cost="1")
    assert [e["code"] for e in bad["errors"]] == ["NOT_FOUND"]
    first = api.ok(RUN, {"period": "2026-04", "key": "k1"})["depreciationRun"]
    # 96,000 × 2/4 = 48,000 in the first service year: 4,000.00 a month.
    assert first["result"] == {"period": "2026-04", "postedLines": 2, "assets": 1,
                               "bookTotal": "4000.00", "taxTotal": "96000.00"}
    assert api.ok(RUN, {"period": "2026-04", "key": "k1"})["depreciationRun"] == first
    again = api.ok(RUN, {"period": "2026-04"})["depreciationRun"]["result"]
    assert again["postedLines"] == 0
    reused = api.ok(RUN, {"period": "2026-05", "key": "k1"})["depreciationRun"]
    assert [e["code"] for e in reused["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    not_run = api.ok(CLOSE, {"period": "2026-05"})["depreciationPeriodClose"]
    assert (not_run["period"], [e["code"] for e in not_run["errors"]]) == (
        None, ["DEPRECIATION_NOT_RUN"])                         # 计提折旧 before 结账
    assert api.ok(CLOSE, {"period": "2026-04"})["depreciationPeriodClose"]["period"] == {
        "period": "2026-04", "closed": True}
    closed = api.ok(RUN, {"period": "2026-04"})["depreciationRun"]
    assert closed["result"] is None
    assert [e["code"] for e in closed["errors"]] == ["PERIOD_CLOSED"]

    data = api.ok("""{ assets(first: 10) { edges { node { code accumulatedDepreciation
        tax: accumulatedDepreciation(book: TAX) netBookValue } } }
      depreciationSchedule(assetCode: "FA-1") { period amount accumulated posted }
      tax: depreciationSchedule(assetCode: "FA-1", book: TAX) { period amount }
      assetRegister(period: "2026-04") { code accumulatedDepreciation netBookValue
        taxAccumulatedDepreciation state }
      depreciationSummary(period: "2026-04", groupBy: DEPARTMENT) { key assets amount
        taxAmount } }""")
    assert data["assets"]["edges"][0]["node"] == {
        "code": "FA-1", "accumulatedDepreciation": "4000.00", "tax": "96000.00",
        "netBookValue": "92000.00"}
    schedule = data["depreciationSchedule"]
    assert len(schedule) == 48 and schedule[0] == {"period": "2026-04", "amount": "4000.00",
                                                   "accumulated": "4000.00", "posted": True}
    assert schedule[-1]["accumulated"] == "91200.00"          # 96,000 − 4,800
    assert data["tax"] == [{"period": "2026-04", "amount": "96000.00"}]
    assert data["assetRegister"] == [{"code": "FA-1", "accumulatedDepreciation": "4000.00",
                                      "netBookValue": "92000.00",
                                      "taxAccumulatedDepreciation": "96000.00",
                                      "state": "ACTIVE"}]
    assert data["depreciationSummary"] == [{"key": "仓储部", "assets": 1,
                                            "amount": "4000.00", "taxAmount": "96000.00"}]

    exported = api.ok("""{ depreciationExport(report: SUMMARY, period: "2026-04") {
        filename rowCount contentBase64 } }""")["depreciationExport"]
    sheet = load_workbook(io.BytesIO(base64.b64decode(exported["contentBase64"]))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert exported["rowCount"] == 1 and rows[0][0] == "Department"
    assert rows[1][0] == "仓储部" and D(str(rows[1][3])) == D(4000)


def test_disposal_and_capitalisation_through_the_api(world: World) -> None:
    api = GraphQLTester(world.env, locale="zh_CN")
    made = api.ok("""mutation { assetCapitalizeSerial(input: {serialNumber: "M-001",
        name: "样机", categoryCode: "MACHINERY", acquiredOn: "2026-03-01",
        idempotencyKey: "cap-1"}) { asset { code cost serialNumber product { code } }
        errors { code } } }""")["assetCapitalizeSerial"]
    assert made["errors"] == [] and made["asset"]["cost"] == "3100.00"
    assert made["asset"]["serialNumber"] == "M-001"
    assert made["asset"]["product"] == {"code": "MOTOR"}
    code = made["asset"]["code"]
    disposed = api.ok("""mutation($code: String!) { assetDispose(input: {assetCode: $code,
        kind: SCRAP, disposedOn: "2026-04-30", costs: "20"}) { asset { state gainLoss
        disposalNetValue } errors { code } } }""", {"code": code})["assetDispose"]
    # 3,100 × 95 % ÷ 120 = 24.54 for April: net 3,075.46, scrapped for nothing.
    assert disposed["asset"] == {"state": "DISPOSED", "gainLoss": "-3095.46",
                                 "disposalNetValue": "3075.46"}
    unknown = api.ok("""mutation { assetDispose(input: {assetCode: "NOPE", kind: SALE,
        disposedOn: "2026-04-30"}) { errors { code message } } }""")["assetDispose"]
    assert unknown["errors"][0]["code"] == "NOT_FOUND"
    assert "NOPE" in unknown["errors"][0]["message"]


def test_the_asset_list_costs_the_same_statements_for_more_assets(world: World) -> None:
    api = GraphQLTester(world.env)
    query = """{ assets(first: 50) { edges { node { code category { name } product { code }
        serialNumber accumulatedDepreciation tax: accumulatedDepreciation(book: TAX) } } } }"""

    def count() -> int:
        seen: list[str] = []

        def record(*args: Any) -> None:
            seen.append(args[2])

        engine = world.env.database.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            api.ok(query)
        finally:
            event.remove(engine, "before_cursor_execute", record)
        return len([s for s in seen if not s.lstrip().upper().startswith(
            ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"))])

    world.asset(date(2026, 3, 1), code="A1")
    few = count()
    for i in range(2, 8):
        world.asset(date(2026, 3, 1), code=f"A{i}", category_code="TOOLS")
    assert count() == few


def test_the_demo_data_loads_with_assets_of_every_method(world: World) -> None:
    with world.uow() as session:
        load_demo(session, world.env)
    with world.uow(readonly=True) as session:
        methods = set(session.scalars(select(models.Asset.method)))
        posted = session.scalar(select(models.DepreciationLine.id).limit(1))
        states = set(session.scalars(select(models.Asset.state)))
        capitalised = session.scalar(select(models.Asset.serial_id).where(
            models.Asset.serial_id.is_not(None)))
    assert methods == {"straight_line", "units_of_production", "double_declining",
                       "sum_of_years"}
    assert posted is not None and states == {"active", "disposed"}
    assert capitalised is not None


def test_categories_and_the_tax_policy_are_configurable(world: World) -> None:
    api = GraphQLTester(world.env, locale="zh_CN")
    seeded = api.ok("{ assetCategories { code lifeMonths taxLifeMonths residualRate } }")
    assert {c["code"]: c["lifeMonths"] for c in seeded["assetCategories"]} == {
        "BUILDINGS": 240, "ELECTRONICS": 36, "MACHINERY": 120, "TOOLS": 60, "VEHICLES": 48}
    save = """mutation($input: AssetCategorySaveInput!) { assetCategorySave(input: $input) {
        category { code lifeMonths method } errors { field code message } } }"""
    refused = api.ok(save, {"input": {"code": "MOULDS", "name": "模具", "lifeMonths": 30,
                                      "method": "DOUBLE_DECLINING"}})["assetCategorySave"]
    assert refused["errors"] == [{"field": ["lifeMonths"], "code": "INVALID",
                                  "message": "该折旧方法要求使用年限为整年"}]
    saved = api.ok(save, {"input": {"code": "MOULDS", "name": "模具", "lifeMonths": 36,
                                    "method": "DOUBLE_DECLINING"}})["assetCategorySave"]
    assert saved["category"] == {"code": "MOULDS", "lifeMonths": 36,
                                 "method": "DOUBLE_DECLINING"}
    policy = api.ok("""mutation { depreciationTaxPolicySet(input: {oneTimeEnabled: true,
        oneTimeFrom: "2024-01-01", oneTimeTo: "2030-12-31", oneTimeLimit: "5000000"}) {
        policy { oneTimeTo oneTimeLimit } errors { code } } }""")["depreciationTaxPolicySet"]
    assert policy["policy"] == {"oneTimeTo": "2030-12-31", "oneTimeLimit": "5000000.00"}
    assert api.ok("{ depreciationTaxPolicy { oneTimeTo } }")["depreciationTaxPolicy"] == {
        "oneTimeTo": "2030-12-31"}
