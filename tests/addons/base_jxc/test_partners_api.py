"""Partners through GraphQL: create with contacts and addresses, list and filter, partial
update, the credit limit behind its permission, refusals that change nothing, and a
constant statement count for a page of partners with their contacts and addresses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

from openjxc.core.env import Environment
from openjxc.testing.fixtures import create_test_database
from openjxc.testing.graphql import GraphQLTester

CREATE = """
mutation($input: PartnerCreateInput!) {
  partnerCreate(input: $input) {
    partner { id code name kind isCustomer isSupplier creditCode paymentTermsDays
              paymentTermsNote creditLimit creditTolerance currency active taxBank
              contacts { name mobile email position isPrimary }
              addresses { kind address province city district isPrimary } }
    errors { field code message }
  }
}
"""

UPDATE = """
mutation($input: PartnerUpdateInput!) {
  partnerUpdate(input: $input) {
    partner { code name kind paymentTermsDays paymentTermsNote creditLimit creditCode
              active note }
    errors { field code message }
  }
}
"""

MINJIANG = {
    "code": "C001", "name": "福州闽江机电有限公司", "kind": "BOTH",
    "creditCode": "９１３５０１００ｍ０００１００ｙ４３", "taxBank": "工行福州分行",
    "paymentTermsDays": 30, "paymentTermsNote": "月结30天", "creditLimit": "200000",
    "creditTolerance": "0.1",
    "contacts": [{"name": "林工", "mobile": "13800000000", "email": "lin@example.cn",
                  "position": "采购经理", "isPrimary": True}],
    "addresses": [{"kind": "SHIPPING", "address": "福州市仓山区建新镇工业园 3 号库"},
                  {"kind": "BILLING", "address": "福州市鼓楼区五四路1号", "province": "福建省",
                   "city": "福州市", "district": "鼓楼区", "isPrimary": True}],
}


@pytest.fixture
def env(database_url: str) -> Iterator[Environment]:
    env = Environment.for_edition("basic", database_url=database_url)
    create_test_database(env)
    yield env
    env.database.dispose()


@pytest.fixture
def api(env: Environment) -> GraphQLTester:
    return GraphQLTester(env)


def _create(api: GraphQLTester, **values: Any) -> dict[str, Any]:
    data = api.ok(CREATE, {"input": values})
    return dict(data["partnerCreate"])


def test_create_and_read_a_partner(api: GraphQLTester) -> None:
    created = _create(api, **MINJIANG)
    assert created["errors"] == []
    partner = created["partner"]
    assert {k: v for k, v in partner.items() if k not in ("id", "contacts", "addresses")} == {
        "code": "C001", "name": "福州闽江机电有限公司", "kind": "BOTH", "isCustomer": True,
        "isSupplier": True, "creditCode": "91350100M000100Y43", "paymentTermsDays": 30,
        "paymentTermsNote": "月结30天", "creditLimit": "200000.00",
        "creditTolerance": "0.100000", "currency": "CNY", "active": True,
        "taxBank": "工行福州分行"}
    assert partner["contacts"] == [{"name": "林工", "mobile": "13800000000",
                                    "email": "lin@example.cn", "position": "采购经理",
                                    "isPrimary": True}]
    assert [(a["kind"], a["isPrimary"]) for a in partner["addresses"]] == [
        ("BILLING", True), ("SHIPPING", False)]
    found = api.ok('{ partner(code: "C001") { code contacts { name } } }')
    assert found["partner"] == {"code": "C001", "contacts": [{"name": "林工"}]}
    node = api.ok("query($id: ID!) { node(id: $id) { ... on Partner { code } } }",
                  {"id": partner["id"]})
    assert node["node"] == {"code": "C001"}
    assert api.ok('{ partner(code: "NOPE") { code } }')["partner"] is None


def test_list_filters_and_sorts(api: GraphQLTester) -> None:
    _create(api, **MINJIANG)
    _create(api, code="S001", name="上海电机厂", kind="SUPPLIER")
    _create(api, code="C002", name="张三 (个人)", kind="CUSTOMER")
    api.ok(UPDATE, {"input": {"code": "C002", "active": False}})

    def codes(arguments: str) -> list[str]:
        data = api.ok(f"{{ partners{arguments} {{ totalCount edges {{ node {{ code }} }} }} }}")
        listed = [e["node"]["code"] for e in data["partners"]["edges"]]
        if "last:" not in arguments:
            assert data["partners"]["totalCount"] == len(listed)
        return listed

    assert codes("") == ["C001", "C002", "S001"]
    assert codes("(filter: {role: CUSTOMER})") == ["C001", "C002"]
    assert codes("(filter: {role: SUPPLIER})") == ["C001", "S001"]
    assert codes("(filter: {active: true, role: CUSTOMER})") == ["C001"]
    assert codes("(filter: {active: false})") == ["C002"]
    assert codes('(filter: {search: "机"})') == ["C001", "S001"]
    assert codes('(filter: {search: "m000100"})') == ["C001"]
    assert codes('(filter: {search: "%"})') == []
    assert codes("(sort: CREATED_AT)") == ["C001", "S001", "C002"]
    assert codes("(sort: CREATED_AT, last: 1)") == ["C002"]


def test_credit_limit_is_hidden_without_permission(env: Environment, api: GraphQLTester) -> None:
    _create(api, **MINJIANG)
    clerk = GraphQLTester(env, permissions={"partner.partner.read"})
    result = clerk.execute('{ partner(code: "C001") { code creditLimit creditTolerance } }')
    assert result["data"]["partner"] == {"code": "C001", "creditLimit": None,
                                         "creditTolerance": None}
    assert {tuple(e["path"]) for e in result["errors"]} == {
        ("partner", "creditLimit"), ("partner", "creditTolerance")}
    assert {e["extensions"]["code"] for e in result["errors"]} == {"FORBIDDEN"}
    listed = clerk.execute("{ partners { edges { node { code creditLimit } } } }")
    assert listed["data"]["partners"]["edges"] == [{"node": {"code": "C001",
                                                             "creditLimit": None}}]
    assert listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = api.anonymous().execute("{ partners { totalCount } }")
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    refused = clerk.execute(CREATE, {"input": {"code": "X", "name": "x", "kind": "CUSTOMER"}})
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


def test_setting_a_limit_needs_credit_manage(env: Environment, api: GraphQLTester) -> None:
    keeper = GraphQLTester(env, locale="en", permissions={
        "partner.partner.read", "partner.partner.create", "partner.partner.update",
        "partner.credit.read"})
    created = _create(keeper, code="C9", name="x", kind="CUSTOMER", creditLimit="100")
    assert created["partner"] is None
    assert created["errors"] == [{
        "field": ["creditLimit"], "code": "PERMISSION_DENIED",
        "message": "Setting a credit limit needs the permission partner.credit.manage"}]
    assert _create(keeper, code="C9", name="x", kind="CUSTOMER")["errors"] == []
    refused = keeper.ok(UPDATE, {"input": {"code": "C9", "creditLimit": "5000"}})
    assert refused["partnerUpdate"]["errors"][0]["code"] == "PERMISSION_DENIED"
    changed = api.ok(UPDATE, {"input": {"code": "C9", "creditLimit": "5000"}})
    assert changed["partnerUpdate"]["partner"]["creditLimit"] == "5000.00"


def test_partial_update(api: GraphQLTester) -> None:
    _create(api, **MINJIANG)
    data = api.ok(UPDATE, {"input": {"code": "C001", "paymentTermsDays": 60,
                                     "paymentTermsNote": "月结60天", "kind": "CUSTOMER",
                                     "creditLimit": None}})
    assert data["partnerUpdate"] == {"partner": {
        "code": "C001", "name": "福州闽江机电有限公司", "kind": "CUSTOMER",
        "paymentTermsDays": 60, "paymentTermsNote": "月结60天", "creditLimit": None,
        "creditCode": "91350100M000100Y43", "active": True, "note": ""}, "errors": []}
    cleared = api.ok(UPDATE, {"input": {"code": "C001", "creditCode": None, "note": "老客户"}})
    assert cleared["partnerUpdate"]["partner"]["creditCode"] is None
    assert cleared["partnerUpdate"]["partner"]["note"] == "老客户"
    refused = api.ok(UPDATE, {"input": {"code": "C001", "name": None,
                                        "paymentTermsDays": None}})
    assert {(tuple(e["field"]), e["code"]) for e in refused["partnerUpdate"]["errors"]} == {
        (("name",), "REQUIRED"), (("paymentTermsDays",), "INVALID")}
    missing = api.ok(UPDATE, {"input": {"code": "NOPE", "name": "x"}})
    assert missing["partnerUpdate"]["errors"][0]["code"] == "NOT_FOUND"


def test_refusals_change_nothing_and_speak_chinese(api: GraphQLTester) -> None:
    _create(api, **MINJIANG)
    refused = _create(api, **{**MINJIANG, "creditCode": "91350100M000100Y43"})
    assert refused["partner"] is None
    assert {(tuple(e["field"]), e["code"]) for e in refused["errors"]} == {
        (("code",), "DUPLICATE_CODE"), (("creditCode",), "DUPLICATE_CODE")}
    messages = {tuple(e["field"]): e["message"] for e in refused["errors"]}
    assert messages[("code",)] == "编码 C001 已存在"
    bad = _create(api, code="C002", name="x", kind="CUSTOMER",
                  creditCode="91350100M000100Y44", creditLimit="-1", paymentTermsDays=-30,
                  paymentTermsNote="长" * 101, creditTolerance="0.0000001",
                  contacts=[{"name": "a", "email": "a@b"}],
                  addresses=[{"kind": "SITE", "address": " "}])
    assert {(tuple(e["field"]), e["code"]) for e in bad["errors"]} == {
        (("creditCode",), "INVALID_CREDIT_CODE"), (("creditLimit",), "INVALID"),
        (("paymentTermsDays",), "INVALID"), (("paymentTermsNote",), "INVALID"),
        (("creditTolerance",), "INVALID"), (("contacts", "0", "email"), "INVALID"),
        (("addresses", "0", "address"), "REQUIRED")}
    english = api.execute(CREATE, {"input": {"code": "C3", "name": "x", "kind": "CUSTOMER",
                                             "creditCode": "91350100M000100Y44"}},
                          locale="en")
    assert english["data"]["partnerCreate"]["errors"][0]["message"] == (
        "Check digit of the credit code should be 3, not 4")
    data = api.ok("{ partners { totalCount } }")
    assert data["partners"]["totalCount"] == 1


def test_contacts_and_addresses_added_later(api: GraphQLTester) -> None:
    _create(api, **MINJIANG)
    added = api.ok("""mutation { partnerContactAdd(input: {partnerCode: "C001", name: "王总",
        mobile: "13900000000", isPrimary: true}) { partnerContact { name isPrimary }
        errors { code } } }""")
    assert added["partnerContactAdd"] == {"partnerContact": {"name": "王总", "isPrimary": True},
                                          "errors": []}
    added = api.ok("""mutation { partnerAddressAdd(input: {partnerCode: "C001", kind: SITE,
        address: "闽侯县泵站", isPrimary: true}) { partnerAddress { kind address }
        errors { code } } }""")
    assert added["partnerAddressAdd"]["partnerAddress"] == {"kind": "SITE",
                                                            "address": "闽侯县泵站"}
    found = api.ok('{ partner(code: "C001") { contacts { name isPrimary } '
                   "addresses { kind } } }")["partner"]
    assert found["contacts"] == [{"name": "王总", "isPrimary": True},
                                 {"name": "林工", "isPrimary": False}]
    assert [a["kind"] for a in found["addresses"]] == ["BILLING", "SHIPPING", "SITE"]
    refused = api.ok("""mutation { partnerContactAdd(input: {partnerCode: "NOPE", name: ""})
        { partnerContact { name } errors { field code } } }""")
    assert refused["partnerContactAdd"]["errors"] == [
        {"field": ["partnerCode"], "code": "NOT_FOUND"}]


def test_statement_count_does_not_grow_with_the_page(env: Environment,
                                                     api: GraphQLTester) -> None:
    query = ("query($n: Int) { partners(first: $n) { edges { node { code creditLimit "
             "contacts { name } addresses { kind } } } } }")

    def statements_for(page: int) -> int:
        statements: list[str] = []

        def record(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(env.database.engine, "before_cursor_execute", record)
        try:
            data = api.ok(query, {"n": page})
        finally:
            event.remove(env.database.engine, "before_cursor_execute", record)
        assert len(data["partners"]["edges"]) == page
        assert all(len(e["node"]["contacts"]) == 2 and len(e["node"]["addresses"]) == 1
                   for e in data["partners"]["edges"])
        return len(statements)

    for i in range(20):
        _create(api, code=f"C{i:03d}", name=f"客户 {i}", kind="CUSTOMER",
                contacts=[{"name": "甲", "isPrimary": True}, {"name": "乙"}],
                addresses=[{"kind": "SHIPPING", "address": f"仓库 {i}"}])
    assert statements_for(3) == statements_for(20)
