"""The catalog's coding rules, defaults, relations and BOMs through GraphQL: round trips
and refusals in the payload (zh_CN caller; codes asserted, not texts)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal

import pytest

from openjxc.addons.base_jxc.catalog import api_structure
from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.core.env import Environment
from openjxc.testing.fixtures import create_test_database
from openjxc.testing.graphql import GraphQLTester

CATEGORY = """mutation($input: CategoryCreateInput!) { categoryCreate(input: $input) {
  category { code codeTemplate attributes { key type required unit } }
  errors { field code } } }"""
CREATE = """mutation($input: ProductCreateInput!) { productCreate(input: $input) {
  product { code standardPrice safetyStock defaultSupplierCode attributes { key value } }
  errors { field code message } } }"""
UPDATE = """mutation($input: ProductUpdateInput!) { productUpdate(input: $input) {
  product { code tracking listPrice shelfLifeDays barcode } errors { field code } } }"""
BOM_LINE = """mutation($input: BomLineSetInput!) { bomLineSet(input: $input) {
  bomLine { quantity parent { code } component { code } } errors { field code } } }"""


@pytest.fixture
def env(database_url: str) -> Iterator[Environment]:
    env = Environment.for_edition("basic", database_url=database_url)
    create_test_database(env)
    with env.unit_of_work() as session:
        session.add(Partner(code="S1", name="供应商", is_supplier=True))
    yield env
    env.database.dispose()


@pytest.fixture
def api(env: Environment) -> GraphQLTester:
    api = GraphQLTester(env)
    data = api.ok(CATEGORY, {"input": {
        "code": "DJ", "name": "电机", "codeTemplate": "DJ-{model}-{power_kw}-{poles}",
        "attributes": [{"key": "power_kw", "label": "功率", "type": "DECIMAL",
                        "required": True, "unit": "kW"},
                       {"key": "poles", "label": "极数", "type": "INTEGER", "required": True}]}})
    assert data["categoryCreate"]["errors"] == []
    assert data["categoryCreate"]["category"]["attributes"][0] == {
        "key": "power_kw", "type": "DECIMAL", "required": True, "unit": "kW"}
    return api


def motor(power: str, poles: str, **extra: object) -> dict[str, object]:
    return {"input": {"name": "电机", "categoryCode": "DJ", "model": "YE3",
                      "attributes": [{"key": "power_kw", "value": power},
                                     {"key": "poles", "value": poles}], **extra}}


def test_generated_code_and_refusals(api: GraphQLTester) -> None:
    data = api.ok(CREATE, motor("11.0", "2", standardPrice="2400", safetyStock="3",
                                defaultSupplierCode="S1"))["productCreate"]
    assert data["errors"] == []
    assert data["product"] == {
        "code": "DJ-YE3-11-2", "standardPrice": "2400.00", "safetyStock": "3.0000",
        "defaultSupplierCode": "S1",
        "attributes": [{"key": "power_kw", "value": "11"}, {"key": "poles", "value": "2"}]}
    refused = api.ok(CREATE, motor("x", "2", code="DJ-1"))["productCreate"]
    assert refused["product"] is None
    assert {(tuple(e["field"]), e["code"]) for e in refused["errors"]} == {
        (("attributes", "power_kw"), "INVALID")}
    mismatch = api.ok(CREATE, motor("5.5", "4", code="DJ-YE3-5.5-2"))["productCreate"]
    assert [(e["field"], e["code"]) for e in mismatch["errors"]] == [
        (["code"], "CODE_TEMPLATE_MISMATCH")]
    assert mismatch["errors"][0]["message"]
    duplicate = api.ok(CREATE, motor("11", "2"))["productCreate"]
    assert [e["code"] for e in duplicate["errors"]] == ["DUPLICATE_CODE"]


def test_update_and_defaults(env: Environment, api: GraphQLTester) -> None:
    api.ok(CREATE, motor("5.5", "4", listPrice="3000"))
    data = api.ok(UPDATE, {"input": {"code": "DJ-YE3-5.5-4", "tracking": "SERIAL",
                                     "listPrice": "3100", "shelfLifeDays": 365,
                                     "barcode": "690123"}})["productUpdate"]
    assert data == {"product": {"code": "DJ-YE3-5.5-4", "tracking": "SERIAL",
                                "listPrice": "3100.00", "shelfLifeDays": 365,
                                "barcode": "690123"}, "errors": []}
    cleared = api.ok(UPDATE, {"input": {"code": "DJ-YE3-5.5-4", "barcode": None,
                                        "shelfLifeDays": None}})["productUpdate"]
    assert (cleared["product"]["barcode"], cleared["product"]["shelfLifeDays"]) == (None, None)
    refused = api.ok(UPDATE, {"input": {"code": "DJ-YE3-5.5-4", "newCode": "DJ-X",
                                        "listPrice": "-1"}})["productUpdate"]
    assert refused["product"] is None
    assert {(tuple(e["field"]), e["code"]) for e in refused["errors"]} == {
        (("newCode",), "CODE_TEMPLATE_MISMATCH"), (("listPrice",), "INVALID")}
    unknown = api.ok(UPDATE, {"input": {"code": "NOPE", "name": "x"}})["productUpdate"]
    assert [e["code"] for e in unknown["errors"]] == ["NOT_FOUND"]
    query = """query($p: String!, $partner: String) { productDefaults(productCode: $p,
      partnerCode: $partner) { productCode unit model listPrice standardPrice taxRate
      safetyStock defaultSupplierCode leadTimeDays tracking shelfLifeDays } }"""
    defaults = api.ok(query, {"p": "DJ-YE3-5.5-4", "partner": "S1"})["productDefaults"]
    assert defaults == {"productCode": "DJ-YE3-5.5-4", "unit": "台", "model": "YE3",
                        "listPrice": "3100.00", "standardPrice": "0.00",
                        "taxRate": "0.130000", "safetyStock": "0.0000",
                        "defaultSupplierCode": None, "leadTimeDays": 0,
                        "tracking": "SERIAL", "shelfLifeDays": None}
    assert api.ok(query, {"p": "NOPE"})["productDefaults"] is None
    api.refused(query, {"p": "DJ-YE3-5.5-4", "partner": "NOPE"}, code="BAD_USER_INPUT")
    clerk = GraphQLTester(env, permissions={"catalog.product.read"})
    hidden = clerk.execute(query, {"p": "DJ-YE3-5.5-4"})
    assert hidden["data"]["productDefaults"]["standardPrice"] is None
    assert {e["extensions"]["code"] for e in hidden["errors"]} == {"FORBIDDEN"}


def fake_availability(levels: Mapping[str, str]) -> object:
    def make(session: object, warehouse_id: int | None) -> object:
        from sqlalchemy import select

        from openjxc.addons.base_jxc.catalog.models import Product

        def available(ids: Sequence[int]) -> dict[int, Decimal]:
            codes = dict(session.execute(  # type: ignore[attr-defined]
                select(Product.id, Product.code).where(Product.id.in_(ids))).all())
            return {pk: Decimal(levels[code]) for pk, code in codes.items() if code in levels}

        return available

    return make


def test_bom_relations_and_cycles(api: GraphQLTester, monkeypatch: pytest.MonkeyPatch) -> None:
    api.ok(CATEGORY, {"input": {"code": "LJ", "name": "零件"}})
    for code in ("SET", "MOTOR", "BEARING", "FAN"):
        api.ok(CREATE, {"input": {"code": code, "name": code, "categoryCode": "LJ"}})
    for parent, component, quantity in (("SET", "MOTOR", "2"), ("MOTOR", "BEARING", "2")):
        line = api.ok(BOM_LINE, {"input": {"parentCode": parent, "componentCode": component,
                                           "quantity": quantity}})["bomLineSet"]
        assert line["errors"] == []
    cycle = api.ok(BOM_LINE, {"input": {"parentCode": "BEARING", "componentCode": "SET",
                                        "quantity": "1"}})["bomLineSet"]
    assert cycle == {"bomLine": None, "errors": [{"field": ["componentCode"],
                                                  "code": "BOM_CYCLE"}]}
    monkeypatch.setattr(api_structure, "stock_availability",
                        fake_availability({"BEARING": "5"}))
    explosion = api.ok("""{ bomExplosion(productCode: "SET", quantity: "3") { quantity
      requirements { product { code } level quantity isLeaf onHand shortage } } }""")
    assert explosion["bomExplosion"] == {"quantity": "3.0000", "requirements": [
        {"product": {"code": "MOTOR"}, "level": 1, "quantity": "6.0000", "isLeaf": False,
         "onHand": "0.0000", "shortage": "6.0000"},
        {"product": {"code": "BEARING"}, "level": 2, "quantity": "12.0000", "isLeaf": True,
         "onHand": "5.0000", "shortage": "7.0000"}]}
    api.refused('{ bomExplosion(productCode: "SET", quantity: "-1") { quantity } }',
                code="BAD_USER_INPUT")
    used = api.ok('{ whereUsed(productCode: "BEARING") { usages { product { code } level '
                  "quantity path } truncated } }")["whereUsed"]
    assert used == {"truncated": False, "usages": [
        {"product": {"code": "MOTOR"}, "level": 1, "quantity": "2.0000",
         "path": ["MOTOR", "BEARING"]},
        {"product": {"code": "SET"}, "level": 2, "quantity": "4.0000",
         "path": ["SET", "MOTOR", "BEARING"]}]}
    relation = """mutation($input: ProductRelationInput!) { productRelationCreate(input: $input)
      { productRelation { kind product { code } related { code } } errors { field code } } }"""
    created = api.ok(relation, {"input": {"kind": "REPLACES", "productCode": "MOTOR",
                                          "relatedCode": "FAN"}})["productRelationCreate"]
    assert created["errors"] == []
    again = api.ok(relation, {"input": {"kind": "REPLACES", "productCode": "FAN",
                                        "relatedCode": "MOTOR"}})["productRelationCreate"]
    assert [e["code"] for e in again["errors"]] == ["DUPLICATE_RELATION"]
    for code, other in (("MOTOR", "FAN"), ("FAN", "MOTOR")):
        found = api.ok('query($c: String!) { compatibleProducts(productCode: $c) '
                       '{ kind direction product { code } } }', {"c": code})
        assert found["compatibleProducts"] == [
            {"kind": "REPLACES", "direction": "BOTH", "product": {"code": other}}]
    kit = api.ok("""mutation { productKitSet(input: {productCode: "FAN", components:
      [{productCode: "BEARING", quantity: "2"}]}) { product { code kitComponents
      { product { code } quantity } bomLines { quantity } } errors { code } } }""")
    assert kit["productKitSet"]["product"]["kitComponents"] == [
        {"product": {"code": "BEARING"}, "quantity": "2.0000"}]


def test_bom_explosion_against_real_stock(api: GraphQLTester) -> None:
    pytest.importorskip("openjxc.addons.base_jxc.stock.queries")
    api.ok(CATEGORY, {"input": {"code": "LJ", "name": "零件"}})
    for code in ("SET", "MOTOR"):
        api.ok(CREATE, {"input": {"code": code, "name": code, "categoryCode": "LJ"}})
    api.ok(BOM_LINE, {"input": {"parentCode": "SET", "componentCode": "MOTOR",
                                "quantity": "2"}})
    explosion = api.ok('{ bomExplosion(productCode: "SET", quantity: "1") '
                       "{ requirements { onHand shortage } } }")
    assert explosion["bomExplosion"]["requirements"][0]["shortage"] == "2.0000"
