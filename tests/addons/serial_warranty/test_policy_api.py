"""serial_warranty extends base_jxc's Product and ProductFilter without touching base_jxc,
and an upgraded basic database gains the feature with its data intact."""

from __future__ import annotations

from sqlalchemy import event

from openjxc.addons.base_jxc.catalog.services import ProductInput, create_category, create_product
from openjxc.core.env import Environment
from openjxc.core.migrate import create_database, install_addons
from openjxc.testing.graphql import GraphQLTester

POLICY = """
mutation($input: WarrantyPolicyCreateInput!) {
  warrantyPolicyCreate(input: $input) {
    warrantyPolicy { months startsOn }
    errors { field code message }
  }
}
"""


def test_basic_database_upgraded_to_pro_through_the_api(database_url: str) -> None:
    basic = Environment.for_edition("basic", database_url=database_url)
    try:
        create_database(basic)
        with basic.unit_of_work() as session:
            create_category(session, code="DJ", name="电机")
            create_category(session, code="SB", name="水泵")
            for i in range(30):
                create_product(session, ProductInput(
                    code=f"P{i:02d}", name=f"设备 {i}", category_code="DJ" if i % 2 else "SB"))
        basic_api = GraphQLTester(basic)
        failed = basic_api.execute("{ products { edges { node { warrantyPolicy { months } } } } }")
        assert "Cannot query field 'warrantyPolicy'" in failed["errors"][0]["message"]

        pro = install_addons(basic, ["serial_warranty"])
        api = GraphQLTester(pro)
        assert api.ok("{ products { totalCount } }")["products"]["totalCount"] == 30

        made = api.ok(POLICY, {"input": {"months": 18, "categoryCode": "DJ"}})
        assert made["warrantyPolicyCreate"] == {
            "warrantyPolicy": {"months": 18, "startsOn": "DELIVERY"}, "errors": []}
        made = api.ok(POLICY, {"input": {"months": 36, "productCode": "P04",
                                         "startsOn": "INSTALLATION"}})
        assert made["warrantyPolicyCreate"]["errors"] == []

        statements: list[str] = []

        def record(*args: object) -> None:
            statements.append(str(args[2]))

        event.listen(pro.database.engine, "before_cursor_execute", record)
        data = api.ok("{ products(first: 30) { edges { node { code "
                      "warrantyPolicy { months } } } } }")
        event.remove(pro.database.engine, "before_cursor_execute", record)
        months = {e["node"]["code"]: (e["node"]["warrantyPolicy"] or {}).get("months")
                  for e in data["products"]["edges"]}
        assert months["P01"] == 18 and months["P04"] == 36 and months["P02"] is None
        policy_queries = [s for s in statements if "sw_warranty_policy" in s]
        assert len(policy_queries) == 1, "one batched query for all 30 products"

        covered = api.ok("{ products(filter: {hasWarrantyPolicy: true}) { totalCount } }")
        assert covered["products"]["totalCount"] == 16  # 15 motors + P04
        uncovered = api.ok("{ products(filter: {hasWarrantyPolicy: false, search: \"P0\"}) "
                           "{ edges { node { code } } } }")
        assert [e["node"]["code"] for e in uncovered["products"]["edges"]] == [
            "P00", "P02", "P06", "P08"]
    finally:
        basic.database.dispose()


def test_policy_errors_change_nothing(database_url: str) -> None:
    env = Environment.for_edition("pro", database_url=database_url)
    try:
        create_database(env)
        api = GraphQLTester(env, locale="en")
        result = api.ok(POLICY, {"input": {"months": 0, "productCode": "NOPE",
                                           "categoryCode": "DJ"}})
        codes = {e["code"] for e in result["warrantyPolicyCreate"]["errors"]}
        assert codes == {"INVALID", "NOT_FOUND"}
        assert api.ok("{ warrantyPolicies { totalCount } }")["warrantyPolicies"][
            "totalCount"] == 0
    finally:
        env.database.dispose()


def test_a_nul_in_a_code_is_refused_before_it_runs_on_both_backends(
        database_url: str) -> None:
    env = Environment.for_edition("pro", database_url=database_url)
    try:
        create_database(env)
        api = GraphQLTester(env, locale="en")
        result = api.execute(POLICY, {"input": {"months": 12, "productCode": "P\x001"}})
        assert result["data"] is None
        assert [(e["extensions"]["code"], e["message"]) for e in result["errors"]] == [
            ("NUL_CHARACTER", "Text cannot contain the NUL character (\\u0000)")]
        assert api.ok("{ warrantyPolicies { totalCount } }")["warrantyPolicies"][
            "totalCount"] == 0
    finally:
        env.database.dispose()
