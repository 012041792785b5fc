"""The catalog through GraphQL: create, list, filter, errors in the caller's language."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from openjxc.core.env import Environment
from openjxc.testing.fixtures import create_test_database
from openjxc.testing.graphql import GraphQLTester

CREATE = """
mutation($input: ProductCreateInput!) {
  productCreate(input: $input) {
    product { code name tracking listPrice category { code } }
    errors { field code message }
  }
}
"""


@pytest.fixture
def env(database_url: str) -> Iterator[Environment]:
    env = Environment.for_edition("basic", database_url=database_url)
    create_test_database(env)
    yield env
    env.database.dispose()


@pytest.fixture
def api(env: Environment) -> GraphQLTester:
    api = GraphQLTester(env)
    result = api.ok('mutation { categoryCreate(input: {code: "DJ", name: "电机"}) '
                    "{ errors { code } } }")
    assert result["categoryCreate"]["errors"] == []
    return api


def test_create_and_read_a_product(api: GraphQLTester) -> None:
    data = api.ok(CREATE, {"input": {"code": "DJ-Y2-11", "name": "电机 11kW",
                                     "categoryCode": "DJ", "tracking": "SERIAL",
                                     "listPrice": "4280.00"}})
    assert data["productCreate"] == {
        "product": {"code": "DJ-Y2-11", "name": "电机 11kW", "tracking": "SERIAL",
                    "listPrice": "4280.00", "category": {"code": "DJ"}},
        "errors": [],
    }
    listed = api.ok('{ products(filter: {search: "Y2"}) { totalCount '
                    "edges { node { code } } } }")
    assert listed["products"]["totalCount"] == 1


def test_refused_input_changes_nothing_and_speaks_chinese(api: GraphQLTester) -> None:
    api.ok(CREATE, {"input": {"code": "DJ-1", "name": "a", "categoryCode": "DJ"}})
    data = api.ok(CREATE, {"input": {"code": "DJ-1", "name": "", "categoryCode": "XX",
                                     "listPrice": "-1"}})
    errors = data["productCreate"]["errors"]
    assert data["productCreate"]["product"] is None
    assert {(tuple(e["field"]), e["code"]) for e in errors} == {
        (("code",), "DUPLICATE_CODE"), (("name",), "REQUIRED"),
        (("categoryCode",), "NOT_FOUND"), (("listPrice",), "INVALID")}
    messages = {e["code"]: e["message"] for e in errors}
    assert messages["DUPLICATE_CODE"] == "编码 DJ-1 已存在"
    english = api.execute(CREATE, {"input": {"code": "DJ-1", "name": "b",
                                             "categoryCode": "DJ"}}, locale="en")
    assert english["data"]["productCreate"]["errors"][0]["message"] == "Code DJ-1 already exists"
    total = api.ok("{ products { totalCount } }")["products"]["totalCount"]
    assert total == 1


def test_a_float_price_is_refused_by_the_scalar(api: GraphQLTester) -> None:
    errors = api.refused(CREATE, {"input": {"code": "X", "name": "x", "categoryCode": "DJ",
                                            "listPrice": 12.5}})
    # in the reader's language (the deployment's Chinese here), naming the field
    assert errors[0]["message"] == ("变量 $input 的 listPrice："
                                    "请以字符串发送数字 12.5（\"12.5\"）：浮点数不精确")


def test_list_price_needs_its_permission(env: Environment, api: GraphQLTester) -> None:
    api.ok(CREATE, {"input": {"code": "DJ-2", "name": "b", "categoryCode": "DJ",
                              "listPrice": "10"}})
    clerk = GraphQLTester(env, permissions={"catalog.product.read"})
    result = clerk.execute('{ product(code: "DJ-2") { code listPrice } }')
    assert result["data"]["product"] == {"code": "DJ-2", "listPrice": None}
    assert result["errors"][0]["path"] == ["product", "listPrice"]
    assert result["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    anonymous = api.anonymous().execute('{ product(code: "DJ-2") { code } }')
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
