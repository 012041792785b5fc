"""Payload errors per domain, abstract types over template instances, API errors."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import pytest
import strawberry
from gql_fakes import CatalogError, Category, Product, catalog_contribution
from gql_support import FakeEnv, Grant, execute
from graphql import GraphQLError, located_error

from openjxc.graphql import (
    Contribution,
    CoreError,
    CoreErrorCode,
    Forbidden,
    UserError,
    build_schema,
    field,
    is_expected_error,
    make_user_error_type,
    print_sdl,
)
from openjxc.graphql.user_errors import error_code_enum

Scannable = Annotated[Product | Category, strawberry.union("Scannable")]


def scan(info: strawberry.Info, code: str) -> Scannable | None:  # type: ignore[valid-type]
    if code.startswith("C"):
        return Category(pk=1, name="Pumps")
    return Product(pk=2, code=code, name="Pump", price=1)  # type: ignore[arg-type]


class StockErrorCode(Enum):
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"


StockError = make_user_error_type("Stock", StockErrorCode)


def stock_problem() -> list[StockError]:  # type: ignore[valid-type]
    return [StockError(field=["lines", "0", "quantity"], message="Only 3 left.",
                       code=StockErrorCode.INSUFFICIENT_STOCK)]


SCHEMA = build_schema(FakeEnv(
    ("catalog", catalog_contribution()),
    ("scanner", Contribution(queries=[field(scan, permission="catalog.product.read"),
                                      field(stock_problem, public=True)])),
))
READER = Grant("catalog.product.read")


def test_each_domain_declares_its_error_type() -> None:
    sdl = print_sdl(FakeEnv(("catalog", catalog_contribution())))
    assert "type CatalogError implements UserError" in sdl
    assert "code: CatalogErrorCode!" in sdl
    assert "enum CatalogErrorCode" in sdl
    assert issubclass(CatalogError, UserError)
    assert CatalogError.__name__ == "CatalogError"


def test_a_plain_enum_is_named_after_its_domain() -> None:
    result = execute(SCHEMA, """{ stockProblem { __typename field message code
        ... on UserError { message } } }""")
    assert result.errors is None
    assert result.data == {"stockProblem": [{
        "__typename": "StockError", "field": ["lines", "0", "quantity"],
        "message": "Only 3 left.", "code": "INSUFFICIENT_STOCK"}]}
    assert "enum StockErrorCode" in SCHEMA.as_str()


def test_the_code_enum_of_an_error_type_is_found_however_declared() -> None:
    assert error_code_enum(StockError) is StockErrorCode
    assert error_code_enum(CoreError) is CoreErrorCode
    with pytest.raises(TypeError):
        error_code_enum(Product)


def test_the_kernel_error_codes() -> None:
    names = {code.name for code in CoreErrorCode}
    assert {"INVALID", "NOT_FOUND", "IDEMPOTENCY_KEY_REUSED", "FORBIDDEN"} <= names
    assert "type CoreError implements UserError" in SCHEMA.as_str()


def test_unions_resolve_template_instances_to_the_editions_types() -> None:
    query = """query($code: String!) { scan(code: $code) { __typename
        ... on Product { code } ... on Category { name } } }"""
    product = execute(SCHEMA, query, principal=READER, variables={"code": "P1"})
    category = execute(SCHEMA, query, principal=READER, variables={"code": "C1"})
    assert product.data == {"scan": {"__typename": "Product", "code": "P1"}}
    assert category.data == {"scan": {"__typename": "Category", "name": "Pumps"}}


def test_expected_errors_are_told_apart_from_bugs() -> None:
    assert is_expected_error(located_error(Forbidden("no"), path=["products"]))
    assert not is_expected_error(located_error(RuntimeError("boom"), path=["products"]))
    assert is_expected_error(GraphQLError("Cannot query field 'x' on type 'Query'."))
    assert Forbidden("no").extensions == {"code": "FORBIDDEN"}
