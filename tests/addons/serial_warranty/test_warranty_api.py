"""serial_warranty through GraphQL: base_jxc's ``SerialNumber`` gains ``warranty`` and
``archive`` (the device's whole life in a constant number of statements), the
``warranties`` list, the opt-in public ``warrantyCheck``, the warranty card, and nothing
for a user without ``warranty.warranty.read``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event
from warranty_support import WarrantyWorld, build_world

from openjxc.addons.serial_warranty import services
from openjxc.core.config import Settings
from openjxc.core.env import Environment
from openjxc.core.reports import ReportRegistry
from openjxc.graphql import build_schema, schema_permissions
from openjxc.testing.conformance import PUBLIC_ROOT_FIELDS
from openjxc.testing.graphql import GraphQLTester

ARCHIVE = """
query($number: String!) {
  serialNumber(number: $number) {
    number
    warranty { status(on: "2026-12-01") endDate customer { code } }
    archive {
      purchases { receiptNumber supplierCode receivedOn unitCost }
      moves { originType moveDate toLocation { code } }
      sales { orderNumber deliveryNumber customerCode deliveredOn }
      returns { code customerCode receivedOn reason disposition }
      warranties { status(on: "2026-12-01") startDate endDate voidReason
                   serialNumber { number }
                   extensions { months newEndDate invoice { number } } }
      fitments { role hostSerialNumber accessorySerialNumber fittedOn removedOn
                 accessory { number } }
    }
  }
}
"""
LIST = """
{ serialNumbers(first: 50, filter: {productCode: "MOTOR"}) { edges { node {
    number warranty { endDate }
    archive { moves { originType } sales { customerCode } purchases { supplierCode }
              returns { code } warranties { extensions { months } } fitments { fittedOn }
} } } } }
"""
CHECK = """query($n: String!) { warrantyCheck(serialNumber: $n) { status endDate } }"""


@contextmanager
def counting(world: WarrantyWorld) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    engine = world.env.database.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _history(world: WarrantyWorld) -> None:
    """M-1 has a long life (three sales, two returns, an extension, a fitment); M-2 a
    shorter one of every kind (one sale, one return, an extension, a fitment, sold again)."""
    world.call(services.create_policy, months=12, category_code="DJ")
    world.buy("MOTOR", ["M-1", "M-2"], date(2026, 1, 10))
    world.buy("DRIVE", ["D-1", "D-2"], date(2026, 1, 10))
    m1, m2 = world.serial("M-1"), world.serial("M-2")
    order_id, _ = world.sell("MOTOR", ["M-1"], date(2026, 1, 31))
    world.call(services.fit_accessory, m1, world.serial("D-1"), on=date(2026, 2, 1))
    world.call(services.extend_warranty, m1, 6, Decimal("300"), None, on=date(2026, 3, 1))
    world.take_back("MOTOR", ["M-1"], order_id, restock=True)
    order_id, _ = world.sell("MOTOR", ["M-1"], date(2026, 6, 1), customer="C2")
    world.take_back("MOTOR", ["M-1"], order_id, customer="C2", restock=True)
    world.sell("MOTOR", ["M-1"], date(2026, 9, 1))

    order_id, _ = world.sell("MOTOR", ["M-2"], date(2026, 2, 15))
    world.call(services.fit_accessory, m2, world.serial("D-2"), on=date(2026, 2, 16))
    world.call(services.extend_warranty, m2, 3, Decimal("150"), None, on=date(2026, 3, 1))
    world.take_back("MOTOR", ["M-2"], order_id, restock=True)
    world.sell("MOTOR", ["M-2"], date(2026, 9, 1))


def test_the_archive_tells_the_whole_life_in_constant_statements(database_url: str) -> None:
    world = build_world(database_url)
    try:
        _history(world)
        api = GraphQLTester(world.env)
        with counting(world) as long_life:
            data = api.ok(ARCHIVE, {"number": "M-1"})["serialNumber"]
        archive = data["archive"]
        assert data["warranty"] == {"status": "ACTIVE", "endDate": "2027-08-31",
                                    "customer": {"code": "C1"}}
        assert archive["purchases"] == [{"receiptNumber": archive["purchases"][0][
            "receiptNumber"], "supplierCode": "S1", "receivedOn": "2026-01-10",
            "unitCost": "2000.000000"}]
        # Oldest first by date (the sales were back-dated; the returns are today's).
        assert sorted(m["originType"] for m in archive["moves"]) == sorted(
            ["purchase.receipt", *["sales.delivery"] * 3, *["sales.return"] * 2,
             *["sales.return.inspection"] * 2])
        assert [m["moveDate"] for m in archive["moves"]] == sorted(
            m["moveDate"] for m in archive["moves"])
        assert [(s["customerCode"], s["deliveredOn"]) for s in archive["sales"]] == [
            ("C1", "2026-01-31"), ("C2", "2026-06-01"), ("C1", "2026-09-01")]
        assert [(r["customerCode"], r["reason"], r["disposition"])
                for r in archive["returns"]] == [("C1", "不转", "restock"),
                                                 ("C2", "不转", "restock")]
        first, second, third = archive["warranties"]
        assert (first["status"], first["voidReason"], first["endDate"]) == (
            "VOID", "returned", "2027-07-30")
        assert [e["months"] for e in first["extensions"]] == [6]
        assert first["extensions"][0]["invoice"]["number"].startswith("XSFP-")
        assert second["status"] == "VOID" and third["status"] == "ACTIVE"
        assert third["serialNumber"] == {"number": "M-1"}
        assert archive["fitments"] == [{
            "role": "HOST", "hostSerialNumber": "M-1", "accessorySerialNumber": "D-1",
            "fittedOn": "2026-02-01", "removedOn": None, "accessory": {"number": "D-1"}}]

        with counting(world) as short_life:
            short = api.ok(ARCHIVE, {"number": "M-2"})["serialNumber"]["archive"]
        assert len(short["moves"]) == 5 and len(short["returns"]) == 1
        assert len(long_life) == len(short_life), (long_life, short_life)
        archive_statements = [s for s in long_life if "jxc_stock_move_serial" in s
                              or "sw_" in s or "jxc_return" in s]
        assert len(archive_statements) <= 9

        with counting(world) as listed:
            units = api.ok(LIST)["serialNumbers"]["edges"]
        assert [u["node"]["number"] for u in units] == ["M-1", "M-2"]
        with counting(world) as one:
            assert len(api.ok(LIST.replace("first: 50", "first: 1"))["serialNumbers"][
                "edges"]) == 1
        assert len(listed) == len(one), "no statement per unit"
    finally:
        world.env.database.dispose()


def test_a_user_without_warranty_read_sees_nothing(database_url: str) -> None:
    world = build_world(database_url)
    try:
        _history(world)
        stock_only = GraphQLTester(world.env, permissions={"stock.level.read",
                                                           "stock.move.read"})
        result = stock_only.execute(ARCHIVE, {"number": "M-1"})
        assert result["data"]["serialNumber"] == {"number": "M-1", "warranty": None,
                                                  "archive": None}
        codes = {e["extensions"]["code"] for e in result["errors"]}
        assert codes == {"FORBIDDEN"}
        stock_only.refused("{ warranties { totalCount } }", code="FORBIDDEN")
        stock_only.refused(CHECK, {"n": "M-1"}, code="FORBIDDEN")
        stock_only.anonymous().refused(CHECK, {"n": "M-1"}, code="UNAUTHENTICATED")
        # Sections follow the permissions of their documents: no cost without stock.cost.read.
        reader = GraphQLTester(world.env, permissions={
            "stock.level.read", "warranty.warranty.read", "purchase.order.read"})
        partial = reader.execute(ARCHIVE, {"number": "M-1"})
        archive = partial["data"]["serialNumber"]["archive"]
        assert archive["purchases"][0]["unitCost"] is None
        assert archive["moves"] is None and archive["sales"] is None
        assert len(archive["warranties"]) == 3
    finally:
        world.env.database.dispose()


def test_the_warranty_list_filters_by_status_customer_and_end(database_url: str) -> None:
    world = build_world(database_url)
    try:
        _history(world)
        api = GraphQLTester(world.env)

        def numbers(filter_: str) -> list[str]:
            data = api.ok("{ warranties(filter: {" + filter_ + "}, sort: END_DATE) { "
                          "totalCount edges { node { serialNumber { number } endDate } } } }")
            return [e["node"]["serialNumber"]["number"] for e in data["warranties"]["edges"]]

        assert numbers("") == ["M-2", "M-1", "M-1", "M-1", "M-2"]
        assert numbers('status: VOID, on: "2026-12-01"') == ["M-2", "M-1", "M-1"]
        assert numbers('status: ACTIVE, on: "2026-12-01"') == ["M-1", "M-2"]
        assert numbers('status: EXPIRING, on: "2027-08-20"') == ["M-1", "M-2"]
        assert numbers('status: EXPIRED, on: "2027-09-01"') == ["M-1", "M-2"]
        assert numbers('customerCode: "C2"') == ["M-1"]
        assert numbers('serialNumber: "M-2"') == ["M-2", "M-2"]
        assert numbers('endsFrom: "2027-08-01", endsTo: "2027-08-31"') == ["M-1", "M-2"]
        first = api.ok("{ warranties(first: 1) { edges { node { id endDate } } } }")[
            "warranties"]["edges"][0]["node"]
        again = api.ok("query($id: ID!) { node(id: $id) { ... on Warranty { endDate } } }",
                       {"id": first["id"]})
        assert again == {"node": {"endDate": first["endDate"]}}
    finally:
        world.env.database.dispose()


def test_warranty_check_is_public_only_where_the_deployment_opts_in(
        database_url: str) -> None:
    world = build_world(database_url)
    try:
        _history(world)
        closed = GraphQLTester(world.env).anonymous()
        closed.refused(CHECK, {"n": "M-1"}, code="UNAUTHENTICATED")
        assert schema_permissions(world.env)["Query.warrantyCheck"] == "warranty.warranty.read"

        opened_env = Environment.for_addons(
            ["serial_warranty"], database=world.env.database,
            settings=world.env.settings.with_(public_features=frozenset({"warrantyCheck"})))
        public = GraphQLTester(opened_env).anonymous()
        assert public.ok(CHECK, {"n": "M-1"}) == {"warrantyCheck": {
            "status": "ACTIVE", "endDate": "2027-08-31"}}
        assert public.ok(CHECK, {"n": "NOPE"}) == {"warrantyCheck": None}
        # Only status and end date: anything else is not even in the type.
        probe = public.execute('{ warrantyCheck(serialNumber: "M-1") { customer { code } } }')
        assert "Cannot query field 'customer'" in probe["errors"][0]["message"]
        public.refused("{ warranties { totalCount } }", code="UNAUTHENTICATED")
        permissions = schema_permissions(build_schema(opened_env))
        assert permissions["Query.warrantyCheck"] is None
        assert {f for f, p in permissions.items() if p is None} <= PUBLIC_ROOT_FIELDS
        # The addon's template is untouched: an edition composed afterwards is closed.
        later = Environment.for_addons(["serial_warranty"], settings=Settings())
        assert schema_permissions(later)["Query.warrantyCheck"] == "warranty.warranty.read"
    finally:
        world.env.database.dispose()


def test_public_feature_needs_a_permission_to_fall_back_to() -> None:
    from openjxc.core.errors import BootError
    from openjxc.graphql import field
    from openjxc.graphql.composition_checks import check_field_access

    with pytest.raises(BootError, match="public_feature"):
        field(lambda: None, public_feature="warrantyCheck", name="x")
    with pytest.raises(BootError, match="public_feature"):
        field(lambda: None, public=True, public_feature="warrantyCheck", name="x")
    nested = field(lambda: None, permission="warranty.warranty.read",
                   public_feature="warrantyCheck", name="x", graphql_type=int | None)
    with pytest.raises(BootError, match="public_feature only applies to root fields"):
        check_field_access(nested, "Product.x", False)
    assert Settings.from_env({"OPENJXC_PUBLIC_FEATURES": "warrantyCheck, other"}
                             ).public_features == frozenset({"warrantyCheck", "other"})


def test_the_warranty_card_prints_in_both_languages(database_url: str) -> None:
    world = build_world(database_url)
    try:
        _history(world)
        warranty_id = world.live("M-1").id  # type: ignore[union-attr]
        registry = ReportRegistry.for_environment(world.env)
        assert registry.get("warranty_card").permission == "warranty.warranty.read"
        with world.uow() as session:
            zh = registry.render_html("warranty_card", warranty_id, session, "zh_CN")
            en = registry.render_html("warranty_card", warranty_id, session, "en")
        for html in (zh, en):
            assert "M-1" in html and "杭州甲机电有限公司" in html and "MOTOR" in html
        assert 'lang="en"' in en and 'lang="zh-CN"' in zh
    finally:
        world.env.database.dispose()
