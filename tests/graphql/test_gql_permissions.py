"""Access: every root field declares a permission; refusals carry stable error codes."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import strawberry
from gql_support import Ctx, FakeEnv, Grant, codes, execute

from openjxc.core.errors import BootError
from openjxc.graphql import AUTHENTICATED, field_permissions, schema_permissions

LIST = "{ products(first: 2) { edges { node { code cost } } } }"


def test_anonymous_callers_are_unauthenticated(shop_schema, shop_db) -> None:
    result = execute(shop_schema, LIST, session=shop_db[0])
    assert codes(result) == ["UNAUTHENTICATED"]
    assert result.data is None or result.data["products"] is None
    assert result.errors[0].path == ["products"]


def test_callers_without_the_permission_are_forbidden(shop_schema, shop_db) -> None:
    result = execute(shop_schema, LIST, principal=Grant("catalog.category.read"),
                     session=shop_db[0])
    assert codes(result) == ["FORBIDDEN"]
    assert result.errors[0].path == ["products"]
    assert "catalog.product.read" in result.errors[0].message


def test_a_hidden_field_is_null_with_forbidden_at_its_path(shop_schema, shop_db) -> None:
    result = execute(shop_schema, LIST, principal=Grant("catalog.product.read"),
                     session=shop_db[0])
    edges = result.data["products"]["edges"]
    assert [e["node"]["cost"] for e in edges] == [None, None]
    assert all(e["node"]["code"] for e in edges)
    assert codes(result) == ["FORBIDDEN", "FORBIDDEN"]
    assert sorted(e.path for e in result.errors) == [
        ["products", "edges", i, "node", "cost"] for i in (0, 1)]


def test_the_permission_reveals_the_field(shop_schema, shop_db) -> None:
    result = execute(shop_schema, LIST,
                     principal=Grant("catalog.product.read", "stock.cost.read"),
                     session=shop_db[0])
    assert result.errors is None
    # The first two by name are N00: products 40 and 80.
    assert [e["node"]["cost"] for e in result.data["products"]["edges"]] == ["5.00", "10.00"]


def test_a_decorated_resolver_field_is_hidden_the_same_way(shop_schema, shop_db) -> None:
    query = '{ product(code: "P0001") { category { name stockValue } } }'
    hidden = execute(shop_schema, query, session=shop_db[0],
                     principal=Grant("catalog.product.read"))
    assert hidden.data == {"product": {"category": {"name": "Category 2", "stockValue": None}}}
    assert codes(hidden) == ["FORBIDDEN"]
    assert hidden.errors[0].path == ["product", "category", "stockValue"]
    shown = execute(shop_schema, query, session=shop_db[0],
                    principal=Grant("catalog.product.read", "stock.cost.read"))
    assert shown.data["product"]["category"]["stockValue"] == "100.00"


def test_an_extension_field_checks_its_own_permission(shop_schema, shop_db) -> None:
    result = execute(shop_schema, '{ product(code: "P0003") { code warranty { months } } }',
                     principal=Grant("catalog.product.read"), session=shop_db[0])
    assert result.data == {"product": {"code": "P0003", "warranty": None}}
    assert codes(result) == ["FORBIDDEN"]
    assert result.errors[0].path == ["product", "warranty"]


def test_a_public_field_needs_no_caller(shop_schema) -> None:
    assert execute(shop_schema, "{ catalogVersion }").data == {"catalogVersion": "1.0"}


def test_mutations_check_their_permission(shop_schema, shop_db) -> None:
    mutation = """mutation { productRename(input: {code: "NOPE", name: "x"}) {
        product { code } errors { field code message } } }"""
    anonymous = execute(shop_schema, mutation, session=shop_db[0])
    assert codes(anonymous) == ["UNAUTHENTICATED"]
    reader = execute(shop_schema, mutation, principal=Grant("catalog.product.read"),
                     session=shop_db[0])
    assert codes(reader) == ["FORBIDDEN"]
    editor = execute(shop_schema, mutation, principal=Grant("catalog.product.update"),
                     session=shop_db[0])
    assert editor.errors is None
    assert editor.data["productRename"] == {"product": None, "errors": [
        {"field": ["code"], "code": "NOT_FOUND", "message": "No such product."}]}


async def _first_events(schema: Any, principal: Grant | None) -> list[Any]:
    stream = await schema.subscribe("subscription { priceChanges }",
                                    context_value=Ctx(env=None, principal=principal))
    if not hasattr(stream, "__aiter__"):
        return [stream]
    return [result async for result in stream]


def test_subscriptions_check_their_permission(shop_schema) -> None:
    refused = asyncio.run(_first_events(shop_schema, None))
    assert [codes(r) for r in refused] == [["UNAUTHENTICATED"]]
    allowed = asyncio.run(_first_events(shop_schema, Grant("catalog.product.read")))
    assert [r.data for r in allowed] == [{"priceChanges": "1.50"}, {"priceChanges": "2"}]


def test_schema_permissions_lists_every_root_field(shop_env) -> None:
    kernel_only = schema_permissions(FakeEnv())
    assert schema_permissions(shop_env) == kernel_only | {
        "Query.node": AUTHENTICATED,
        "Query.nodes": AUTHENTICATED,
        "Query.products": "catalog.product.read",
        "Query.product": "catalog.product.read",
        "Query.catalogVersion": None,
        "Mutation.productRename": "catalog.product.update",
        "Subscription.priceChanges": "catalog.product.read",
    }


def test_every_root_field_of_the_composed_schema_declares_access(shop_schema) -> None:
    permissions = schema_permissions(shop_schema)  # raises on any field lacking one
    public = sorted(name for name, permission in permissions.items() if permission is None)
    assert public == ["Mutation.tokenCreate", "Query.catalogVersion"]


def test_field_permissions_lists_what_hides_below_the_root(shop_env) -> None:
    kernel_only = field_permissions(FakeEnv())
    assert field_permissions(shop_env) == kernel_only | {
        "Category.stockValue": "stock.cost.read",
        "Product.cost": "stock.cost.read",
        "Product.warranty": "warranty.policy.read",
        "node(Category)": "catalog.category.read",
        "node(Product)": "catalog.product.read",
    }


def test_the_walk_catches_a_schema_built_around_the_composer() -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def secrets(self) -> str:
            return "all of them"

    with pytest.raises(BootError, match=r"root fields without a permission: Query.secrets"):
        schema_permissions(strawberry.Schema(query=Query))


def test_node_needs_a_signed_in_caller(shop_schema) -> None:
    result = execute(shop_schema, '{ node(id: "UHJvZHVjdDox") { id } }')
    assert codes(result) == ["UNAUTHENTICATED"]
