"""Exports through GraphQL: ``voucherExport`` in both modes with an idempotency key, the
batches (newest first, downloaded again byte for byte), push targets, and the EXPORT
permission on all of it."""

from __future__ import annotations

import base64
import hashlib
from decimal import Decimal
from pathlib import Path

import pytest
from accounting_support import World, build_world

from openjxc.addons.accounting_bridge import EXPORT, ledger
from openjxc.testing.graphql import GraphQLTester

D = Decimal

EXPORT_NEW = """mutation($key: String, $f: VoucherExportFormat!, $e: ExportEncoding) {
  voucherExport(input: {format: $f, mode: NEW, encoding: $e, idempotencyKey: $key}) {
    file { filename contentType contentBase64 vouchers rows }
    batch { id mode period checksum vouchers targetName }
    errors { code field message } } }"""
BATCHES = """{ voucherExportBatches(first: 10) { totalCount edges { node {
  id format mode period filename vouchers } } } }"""
BATCH = """query($id: ID!) { voucherExportBatch(id: $id) { filename checksum
  file { contentBase64 contentType } } }"""
TARGET_SET = """mutation($input: VoucherExportTargetSetInput!) {
  voucherExportTargetSet(input: $input) {
    target { name format kind location encoding hour active lastStatus }
    errors { code field message } } }"""


@pytest.fixture
def world(database_url: str) -> World:
    world = build_world(database_url)
    world.run(lambda s: world.receive(s, D(10), D("8.50")))
    world.run(lambda s: world.invoice(s, "receivable", D(2), D("100")))
    return world


def test_exports_and_their_batches_through_the_api(world: World) -> None:
    api = GraphQLTester(world.env, locale="en")
    month = api.ok("""mutation { voucherExport(input: {period: "2026-03", format: U8_TXT}) {
        file { filename vouchers } batch { mode period } errors { code } } }""")
    assert month["voucherExport"] == {
        "file": {"filename": "vouchers-2026-03-u8.txt", "vouchers": 2},
        "batch": {"mode": "PERIOD", "period": "2026-03"}, "errors": []}

    made = api.ok(EXPORT_NEW, {"key": "push-1", "f": "GENERIC_CSV"})["voucherExport"]
    content = base64.b64decode(made["file"]["contentBase64"])
    assert content.startswith(b"\xef\xbb\xbf") and made["errors"] == []
    assert made["file"]["contentType"] == "text/csv; charset=utf-8"
    assert made["batch"]["checksum"] == hashlib.sha256(content).hexdigest()
    assert made["batch"]["mode"] == "NEW" and made["batch"]["targetName"] is None
    assert api.ok(EXPORT_NEW, {"key": "push-1", "f": "GENERIC_CSV"})["voucherExport"] == made
    reused = api.ok(EXPORT_NEW, {"key": "push-1", "f": "GENERIC_CSV", "e": "GBK"})[
        "voucherExport"]
    assert reused["file"] is None and [e["code"] for e in reused["errors"]] == [
        "IDEMPOTENCY_KEY_REUSED"]
    nothing = api.ok(EXPORT_NEW, {"f": "GENERIC_CSV"})["voucherExport"]
    assert nothing["batch"] is None and nothing["errors"] == [{
        "code": "NOTHING_TO_EXPORT", "field": ["mode"],
        "message": "Nothing to export: every voucher is already in an export of this "
                   "format"}]
    red = world.run(lambda s: ledger.reverse_voucher(s, 2))
    again = api.ok(EXPORT_NEW, {"f": "GENERIC_CSV"})["voucherExport"]
    assert again["file"]["vouchers"] == 1 and red.number.startswith("记-")

    listed = api.ok(BATCHES)["voucherExportBatches"]
    assert listed["totalCount"] == 3
    nodes = [e["node"] for e in listed["edges"]]
    assert [n["mode"] for n in nodes] == ["NEW", "NEW", "PERIOD"]  # newest first
    assert nodes[1]["id"] == made["batch"]["id"]
    fetched = api.ok(BATCH, {"id": made["batch"]["id"]})["voucherExportBatch"]
    assert base64.b64decode(fetched["file"]["contentBase64"]) == content
    assert fetched["checksum"] == made["batch"]["checksum"]
    assert api.ok(BATCH, {"id": "bm90IGFuIGlk"})["voucherExportBatch"] is None


def test_a_month_export_still_wants_its_month_and_zh_messages(world: World) -> None:
    api = GraphQLTester(world.env)
    refused = api.ok("""mutation { voucherExport(input: {format: U8_TXT}) {
        file { filename } errors { code field message } } }""")["voucherExport"]
    assert refused["file"] is None
    assert refused["errors"][0]["code"] == "REQUIRED"
    assert refused["errors"][0]["message"] == "请给出要导出的月份"


def test_push_targets_through_the_api(world: World, tmp_path: Path) -> None:
    world.env.settings = world.env.settings.with_(export_dir=str(tmp_path))
    api = GraphQLTester(world.env, locale="en")
    made = api.ok(TARGET_SET, {"input": {"name": "T3 folder", "format": "U8_TXT",
                                         "kind": "FOLDER", "location": "t3", "hour": 3}})
    assert made["voucherExportTargetSet"] == {"target": {
        "name": "T3 folder", "format": "U8_TXT", "kind": "FOLDER", "location": "t3",
        "encoding": "GBK", "hour": 3, "active": True, "lastStatus": None}, "errors": []}
    changed = api.ok(TARGET_SET, {"input": {"name": "T3 folder", "format": "GENERIC_CSV",
                                            "kind": "FOLDER", "location": "t3/csv",
                                            "hour": 23, "active": False}})
    assert changed["voucherExportTargetSet"]["target"]["encoding"] == "UTF8_BOM"
    excel = api.ok(TARGET_SET, {"input": {"name": "KIS", "format": "KIS_XLSX",
                                          "kind": "FOLDER", "location": "kis"}})
    assert excel["voucherExportTargetSet"]["target"]["encoding"] is None
    bad = api.ok(TARGET_SET, {"input": {"name": "x", "format": "U8_TXT", "kind": "WEBHOOK",
                                        "location": "http://example.com/in", "hour": 24}})
    assert [(e["code"], e["field"]) for e in bad["voucherExportTargetSet"]["errors"]] == [
        ("INVALID", ["hour"]), ("INVALID", ["location"])]
    assert [t["name"] for t in api.ok("{ voucherExportTargets { name } }")[
        "voucherExportTargets"]] == ["KIS", "T3 folder"]
    deleted = api.ok("""mutation { voucherExportTargetDelete(input: {name: "T3 folder"}) {
        name errors { code } } }""")["voucherExportTargetDelete"]
    assert deleted == {"name": "T3 folder", "errors": []}
    assert api.ok("{ voucherExportTargets { name } }")["voucherExportTargets"] == [
        {"name": "KIS"}]


@pytest.mark.parametrize("operation", [
    BATCHES, "{ voucherExportTargets { name } }",
    """mutation { voucherExport(input: {format: U8_TXT, mode: NEW}) { errors { code } } }""",
    """mutation { voucherExportTargetDelete(input: {name: "x"}) { errors { code } } }""",
])
def test_everything_about_exports_needs_the_export_permission(world: World,
                                                              operation: str) -> None:
    reader = GraphQLTester(world.env, permissions={"accounting.voucher.read"})
    reader.refused(operation, code="FORBIDDEN")
    GraphQLTester(world.env, permissions={EXPORT}).ok(operation)


def test_owed_batches_and_a_target_being_pushed_show_through_the_api(
        world: World, tmp_path: Path) -> None:
    from openjxc.addons.accounting_bridge import push
    from openjxc.addons.accounting_bridge.exports_batches import ExportRequest, create_batch
    from openjxc.addons.accounting_bridge.models_exchange import ExportTarget

    world.env.settings = world.env.settings.with_(export_dir=str(tmp_path))
    api = GraphQLTester(world.env, locale="en")
    api.ok("""mutation { voucherExport(input: {period: "2026-03", format: U8_TXT}) {
        errors { code } } }""")
    with world.uow() as s:  # a push that took its batch and is delivering it
        t3 = push.set_target(s, world.env.settings, push.TargetInput(
            "t3", "u8_txt", push.FOLDER, "t3"))
        create_batch(s, ExportRequest("u8_txt", mode="new"), target_id=t3.id)
        s.get_one(ExportTarget, t3.id).last_status = push.PUSHING
    page = api.ok("""{ voucherExportBatches(first: 1) { totalCount
        pageInfo { hasNextPage endCursor } edges { node { targetName deliveredAt } } } }""")[
        "voucherExportBatches"]
    assert page["totalCount"] == 2 and page["pageInfo"]["hasNextPage"] is True
    assert page["edges"] == [{"node": {"targetName": "t3", "deliveredAt": None}}]  # owed
    rest = api.ok("""query($after: String) { voucherExportBatches(first: 1, after: $after) {
        pageInfo { hasNextPage } edges { node { targetName deliveredAt } } } }""",
                  {"after": page["pageInfo"]["endCursor"]})["voucherExportBatches"]
    [manual] = rest["edges"]
    assert manual["node"]["targetName"] is None and manual["node"]["deliveredAt"]
    assert rest["pageInfo"]["hasNextPage"] is False
    assert api.ok("{ voucherExportTargets { name lastStatus } }")[
        "voucherExportTargets"] == [{"name": "t3", "lastStatus": "PUSHING"}]
