"""Through GraphQL: base_jxc's Product shows the grade, its filter finds products by grade,
gas group and expiring certificate, and a page of products costs a constant number of
statements."""

from __future__ import annotations

from explosion_proof_support import build_env, in_days, rate
from sqlalchemy import event

from openjxc.testing.graphql import GraphQLTester

SET = """
mutation($input: ProductExplosionProofSetInput!) {
  productExplosionProofSet(input: $input) {
    product { code explosionProofGrade }
    errors { field code message }
  }
}
"""
CLEAR = """
mutation($code: String!) {
  productExplosionProofClear(input: {productCode: $code}) {
    product { code explosionProofGrade } errors { code }
  }
}
"""


def _codes(api: GraphQLTester, filter_: str) -> list[str]:
    data = api.ok(f"{{ products(filter: {{{filter_}}}) {{ edges {{ node {{ code }} }} }} }}")
    return [e["node"]["code"] for e in data["products"]["edges"]]


def test_fields_and_filters_on_base_jxcs_product(database_url: str) -> None:
    env = build_env(database_url, [(f"M0{i}", "") for i in range(1, 7)])
    try:
        rate(env, "M01", "Ex d IIB T4 Gb", expires_in=400)
        rate(env, "M02", "Ex db eb IIC T6 Gb", expires_in=10)
        rate(env, "M03", "Ex d IIA T3", expires_in=-5)
        rate(env, "M04", "Ex e II T3 Gc", expires_in=60, alert_days=90)
        rate(env, "M05", "Ex tb IIIC T135°C Db", expires_in=700)
        api = GraphQLTester(env, locale="en")
        data = api.ok('{ product(code: "M02") { explosionProofGrade explosionProof { '
                      "grade protectionTypes equipmentGroup temperatureClass epl "
                      "certificateNumber certificateIssuer certificateExpiresOn "
                      "certificateStatus alertDays } } }")
        assert data["product"] == {"explosionProofGrade": "Ex db eb IIC T6 Gb",
                                   "explosionProof": {
                                       "grade": "Ex db eb IIC T6 Gb",
                                       "protectionTypes": ["db", "eb"],
                                       "equipmentGroup": "IIC", "temperatureClass": "T6",
                                       "epl": "Gb", "certificateNumber": "CNExM02",
                                       "certificateIssuer": "CQST",
                                       "certificateExpiresOn": in_days(10).isoformat(),
                                       "certificateStatus": "EXPIRING", "alertDays": 30}}
        statuses = api.ok("{ products { edges { node { code explosionProof { "
                          "certificateStatus } } } } }")["products"]["edges"]
        assert {e["node"]["code"]: (e["node"]["explosionProof"] or {}).get(
            "certificateStatus") for e in statuses} == {
            "M01": "VALID", "M02": "EXPIRING", "M03": "EXPIRED", "M04": "EXPIRING",
            "M05": "VALID", "M06": None}

        assert _codes(api, 'explosionProofGrade: "Ex d"') == ["M01", "M03"]
        assert _codes(api, 'explosionProofGrade: "Ex d IIB T4 Gb"') == ["M01"]
        assert _codes(api, 'explosionProofGrade: "Ex db"') == ["M02"]
        assert _codes(api, 'explosionProofGrade: "Ex d IIB T4 G"') == []
        assert _codes(api, "gasGroup: IIC") == ["M02", "M04"]  # II serves every gas group
        assert _codes(api, "gasGroup: IIB") == ["M01", "M02", "M04"]
        assert _codes(api, "gasGroup: IIA") == ["M01", "M02", "M03", "M04"]
        assert _codes(api, "certificateExpiringWithinDays: 30") == ["M02", "M03"]
        assert _codes(api, "certificateExpiringWithinDays: 60, gasGroup: IIC") == [
            "M02", "M04"]
        assert _codes(api, 'certificateExpiringWithinDays: 0, search: "M0"') == ["M03"]
        refused = api.refused("{ products(filter: {certificateExpiringWithinDays: -1}) "
                              "{ totalCount } }", code="BAD_USER_INPUT")
        assert "between 0 and 365" in refused[0]["message"]
    finally:
        env.database.dispose()


def test_a_page_of_products_costs_a_constant_number_of_statements(database_url: str,
                                                                  ) -> None:
    env = build_env(database_url, [(f"P{i:02d}", "") for i in range(40)])
    try:
        for i in range(0, 40, 2):
            rate(env, f"P{i:02d}", "Ex d IIB T4 Gb")
        api = GraphQLTester(env)
        query = ("query($n: Int!) { products(first: $n) { edges { node { code "
                 "explosionProofGrade explosionProof { grade certificateStatus } } } } }")
        counts = []
        for size in (2, 40):
            statements: list[str] = []

            def record(*args: object, into: list[str] = statements) -> None:
                into.append(str(args[2]))

            event.listen(env.database.engine, "before_cursor_execute", record)
            try:
                data = api.ok(query, {"n": size})
            finally:
                event.remove(env.database.engine, "before_cursor_execute", record)
            assert len(data["products"]["edges"]) == size
            assert len([s for s in statements if "exp_product_rating" in s]) == 1
            counts.append(len(statements))
        assert counts[0] == counts[1], f"statements grow with the page: {counts}"
    finally:
        env.database.dispose()


def test_set_and_clear_through_the_api(database_url: str) -> None:
    env = build_env(database_url, [("M01", "")])
    try:
        api = GraphQLTester(env, locale="zh_CN")
        good = {"productCode": "M01", "grade": "Ex d ⅡB T4 Gb",
                "certificateNumber": "CNEx22.1234X", "certificateIssuer": "CQST",
                "certificateExpiresOn": in_days(900).isoformat()}
        result = api.ok(SET, {"input": good})["productExplosionProofSet"]
        assert result == {"product": {"code": "M01", "explosionProofGrade": "Ex d IIB T4 Gb"},
                          "errors": []}

        bad = {**good, "grade": "Ex d IIB T4 Gb", "certificateNumber": "",
               "certificateExpiresOn": "1999-12-31"}
        result = api.ok(SET, {"input": {**bad, "grade": "Exd IIB"}})["productExplosionProofSet"]
        assert result["product"] is None
        assert [(e["field"], e["code"]) for e in result["errors"]] == [
            (["grade"], "INVALID_GRADE"), (["certificateNumber"], "REQUIRED"),
            (["certificateExpiresOn"], "INVALID_DATE")]
        assert "不是有效的防爆标志" in result["errors"][0]["message"]
        after = api.ok('{ product(code: "M01") { explosionProof { grade '
                       "certificateNumber } } }")
        assert after["product"]["explosionProof"] == {"grade": "Ex d IIB T4 Gb",
                                                      "certificateNumber": "CNEx22.1234X"}

        reader = GraphQLTester(env, permissions={"catalog.product.read"})
        reader.refused(CLEAR, {"code": "M01"}, code="FORBIDDEN")
        cleared = api.ok(CLEAR, {"code": "M01"})["productExplosionProofClear"]
        assert cleared == {"product": {"code": "M01", "explosionProofGrade": None},
                           "errors": []}
        missing = api.ok(CLEAR, {"code": "NOPE"})["productExplosionProofClear"]
        assert missing["errors"] == [{"code": "NOT_FOUND"}]
    finally:
        env.database.dispose()


def test_a_new_product_with_a_marking_in_its_spec_gets_its_grade(database_url: str) -> None:
    env = build_env(database_url, [("M01", "YB3-132M-4 7.5kW Ex d IIB T4 Gb"),
                                   ("M02", "Y2-90L-4 1.5kW IP55")])
    try:
        api = GraphQLTester(env)
        data = api.ok("{ products { edges { node { code explosionProof { grade "
                      "certificateStatus } } } } }")
        assert {e["node"]["code"]: e["node"]["explosionProof"]
                for e in data["products"]["edges"]} == {
            "M01": {"grade": "Ex d IIB T4 Gb", "certificateStatus": "MISSING"},
            "M02": None}
    finally:
        env.database.dispose()


def test_filters_page_with_base_jxcs_cursors_and_count(database_url: str) -> None:
    env = build_env(database_url, [(f"M{i:02d}", "") for i in range(1, 8)])
    try:
        for i in range(1, 6):
            rate(env, f"M{i:02d}", "Ex d IIB T4 Gb", expires_in=10 * i)
        api = GraphQLTester(env, permissions={"catalog.product.read"})
        query = ("query($after: String) { products(first: 2, after: $after, filter: "
                 '{certificateExpiringWithinDays: 40, gasGroup: IIA, search: "M0"}) '
                 "{ totalCount pageInfo { hasNextPage endCursor } "
                 "edges { node { code explosionProof { certificateNumber } } } } }")
        pages, after = [], None
        while True:
            page = api.ok(query, {"after": after})["products"]
            assert page["totalCount"] == 4
            pages.append([e["node"]["code"] for e in page["edges"]])
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert pages == [["M01", "M02"], ["M03", "M04"]]
        # whoever may read products reads their certificates; nobody else sees products
        GraphQLTester(env, permissions=set()).refused(query, {"after": None},
                                                      code="FORBIDDEN")
    finally:
        env.database.dispose()
