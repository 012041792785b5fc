"""Hostile input never reaches the database as a driver error: NUL characters are refused
by the kernel before the query runs, control characters and absurd lengths are field errors
in the payload, filter values that can match nothing match nothing, and a contradictory
marking says what contradicts what."""

from __future__ import annotations

from typing import Any

from explosion_proof.models import ExplosionProofRating
from explosion_proof.services import rate_existing_products
from explosion_proof_support import build_env, in_days, rate
from sqlalchemy import delete, event

from openjxc.addons.base_jxc.catalog.services import ProductInput, create_product
from openjxc.testing.fixtures import DatabaseFactory
from openjxc.testing.graphql import GraphQLTester

SET = """
mutation($input: ProductExplosionProofSetInput!) {
  productExplosionProofSet(input: $input) {
    product { code explosionProofGrade }
    errors { field code message }
  }
}
"""
GOOD = {"productCode": "M01", "grade": "Ex d IIB T4 Gb", "certificateNumber": "CNEx1",
        "certificateIssuer": "CQST"}


def _codes(api: GraphQLTester, filter_: dict[str, str]) -> list[str]:
    data = api.ok("query($f: ProductFilter) { products(filter: $f) { edges { node { code } } } }",
                  {"f": filter_})
    return [e["node"]["code"] for e in data["products"]["edges"]]


def _refused_for_nul(api: GraphQLTester, query: str, variables: dict[str, Any]) -> None:
    """Refused before it runs (the kernel's NUL rule): no data, only NUL_CHARACTER."""
    result = api.execute(query, variables)
    assert result["data"] is None, variables
    assert [e["extensions"]["code"] for e in result["errors"]] == ["NUL_CHARACTER"], variables


def _errors(api: GraphQLTester, **changes: Any) -> list[tuple[str, str]]:
    data = {**GOOD, "certificateExpiresOn": in_days(300).isoformat(), **changes}
    payload = api.ok(SET, {"input": data})["productExplosionProofSet"]
    assert payload["product"] is None or payload["errors"] == []
    return [(e["field"][-1], e["code"]) for e in payload["errors"]]


def test_nul_is_refused_before_it_runs_and_control_characters_are_field_errors(
        database_url: str) -> None:
    env = build_env(database_url, [("M01", "")])
    try:
        api = GraphQLTester(env, locale="en")
        for nul in ({"productCode": "M0\x001"}, {"certificateNumber": "CN\x00Ex"},
                    {"grade": "Ex d IIB T4 Gb\x00"}):
            _refused_for_nul(api, SET, {"input": {
                **GOOD, "certificateExpiresOn": in_days(300).isoformat(), **nul}})
        assert api.ok('{ product(code: "M01") { explosionProofGrade } }') == {
            "product": {"explosionProofGrade": None}}
        assert _errors(api, productCode="P" * 10_000) == [("productCode", "INVALID")]
        assert _errors(api, certificateIssuer="CQ\nST") == [("certificateIssuer", "INVALID")]
        assert _errors(api, certificateNumber="'; DROP TABLE jxc_product; --") == []
        assert api.ok('{ product(code: "M01") { explosionProof { certificateNumber } } }') == {
            "product": {"explosionProof": {"certificateNumber": "'; DROP TABLE jxc_product; --"}}}
    finally:
        env.database.dispose()


def test_a_contradictory_marking_says_which_part_contradicts(database_url: str) -> None:
    env = build_env(database_url, [("M01", "")])
    try:
        for locale, dust, zone0 in (
                ("en", "tb is not a type of protection for group IIC equipment",
                 "the type of protection d does not reach the protection level Ga"),
                ("zh_CN", "tb 不是 IIC 类设备的防爆型式", "防爆型式 d 达不到设备保护级别 Ga")):
            api = GraphQLTester(env, locale=locale)
            for grade, expected in (("Ex tb IIC T4 Gb", dust), ("Ex d IIB T4 Ga", zone0)):
                payload = api.ok(SET, {"input": {
                    **GOOD, "grade": grade,
                    "certificateExpiresOn": in_days(300).isoformat()}})
                [error] = payload["productExplosionProofSet"]["errors"]
                assert error["code"] == "INVALID_GRADE" and expected in error["message"], error
    finally:
        env.database.dispose()


def test_filters_take_any_spelling_and_never_fail_on_odd_values(database_url: str) -> None:
    """Odd values match nothing; a NUL character is refused before the query runs."""
    env = build_env(database_url, [("M01", ""), ("M02", ""), ("M03", ""), ("M04", "")])
    try:
        rate(env, "M01", "Ex d IIB T4 Gb")
        rate(env, "M02", "Ex tb IIIC T135°C Db")
        rate(env, "M03", "Ex ia IIIB T135°C Da")
        api = GraphQLTester(env)
        assert _codes(api, {"explosionProofGrade": "Ex d ⅡB"}) == ["M01"]
        assert _codes(api, {"explosionProofGrade": "  Ex   d  "}) == ["M01"]
        assert _codes(api, {"explosionProofGrade": ""}) == ["M01", "M02", "M03", "M04"]
        _refused_for_nul(api, "query($f: ProductFilter) { products(filter: $f) { totalCount } }",
                         {"f": {"explosionProofGrade": "Ex d\x00"}})
        assert _codes(api, {"explosionProofGrade": "Ex d%"}) == []
        assert _codes(api, {"explosionProofGrade": "Ex " * 100_000}) == []
        # IIIC (conductive dust) equipment serves IIIB and IIIA areas too, not the reverse
        assert _codes(api, {"dustGroup": "IIIC"}) == ["M02"]
        assert _codes(api, {"dustGroup": "IIIA"}) == ["M02", "M03"]
        assert _codes(api, {"dustGroup": "IIIB", "gasGroup": "IIB"}) == []
    finally:
        env.database.dispose()


def test_grading_existing_products_costs_the_same_for_any_catalogue(
        databases: DatabaseFactory) -> None:
    counts = []
    for plain in (3, 30):
        env = build_env(databases.new(), [(f"P{i:02d}", "IP55") for i in range(plain)])
        try:
            with env.unit_of_work() as session:
                create_product(session, ProductInput(code="EX1", name="隔爆电机",
                                                     category_code="DJ",
                                                     spec="Ex d IIB T4 Gb"))
            with env.unit_of_work() as session:  # as before the install
                session.execute(delete(ExplosionProofRating))
            statements: list[str] = []

            def record(*args: object, into: list[str] = statements) -> None:
                into.append(str(args[2]))

            event.listen(env.database.engine, "before_cursor_execute", record)
            try:
                with env.unit_of_work() as session:
                    assert rate_existing_products(session) == 1
            finally:
                event.remove(env.database.engine, "before_cursor_execute", record)
            counts.append(len(statements))
        finally:
            env.database.dispose()
    assert counts[0] == counts[1], f"statements grow with the catalogue: {counts}"
