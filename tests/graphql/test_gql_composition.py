"""Composition: each edition gets its own classes; extensions reach only their edition."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from gql_fakes import Product, ProductFilter, ProductRow, catalog_contribution
from gql_support import FakeEnv, Grant, execute
from sqlalchemy import select
from strawberry.types.base import StrawberryOptional

from openjxc.core.config import Settings
from openjxc.core.env import Environment
from openjxc.graphql import (
    Contribution,
    apply_filter_extensions,
    build_schema,
    compose,
    composition_of,
    field,
    from_global_id,
    print_sdl,
)
from openjxc.graphql.schema import COMPOSITION_KEY, SCHEMA_KEY

PRODUCT_FIELDS = ["pk", "id", "code", "name", "price", "category_id", "cost", "category"]


def graphql_fields(schema: object, type_name: str) -> list[str]:
    return list(schema._schema.type_map[type_name].fields)  # type: ignore[attr-defined]


def test_an_extension_field_follows_the_owners_fields(shop_schema) -> None:
    assert graphql_fields(shop_schema, "Product") == [
        "id", "code", "name", "price", "cost", "category", "warranty"]
    assert graphql_fields(shop_schema, "ProductFilter") == ["codePrefix", "underWarranty"]


def test_two_editions_in_one_process_are_isolated(shop_env, basic_env) -> None:
    template_definition = Product.__strawberry_definition__
    shop, basic = build_schema(shop_env), build_schema(basic_env)

    assert "warranty" in graphql_fields(shop, "Product")
    assert "warranty" not in graphql_fields(basic, "Product")
    assert "underWarranty" not in graphql_fields(basic, "ProductFilter")
    # The templates are untouched: same definition object, same fields.
    assert Product.__strawberry_definition__ is template_definition
    assert [f.python_name for f in template_definition.fields] == PRODUCT_FIELDS
    assert [f.python_name for f in ProductFilter.__strawberry_definition__.fields] == [
        "code_prefix"]
    # Each edition has classes of its own, subclasses of the template.
    shop_product = compose(shop_env).edition_of[Product]
    basic_product = compose(basic_env).edition_of[Product]
    assert shop_product is not basic_product
    assert issubclass(shop_product, Product) and issubclass(basic_product, Product)
    assert "warranty" not in print_sdl(basic_env)
    assert "warranty: Warranty" in print_sdl(shop_env)


def test_the_basic_edition_refuses_the_extension_field(basic_env, everyone) -> None:
    result = execute(build_schema(basic_env),
                     "{ products { edges { node { warranty { months } } } } }",
                     principal=everyone)
    assert result.errors and "Cannot query field 'warranty'" in result.errors[0].message


def test_the_schema_is_built_once_per_environment(shop_env) -> None:
    assert build_schema(shop_env) is build_schema(shop_env)
    assert shop_env.extensions[COMPOSITION_KEY] is compose(shop_env)
    assert shop_env.extensions[SCHEMA_KEY][()] is build_schema(shop_env)


def test_an_extension_filter_narrows_the_owners_list(shop_schema, shop_db, everyone) -> None:
    session, _ = shop_db
    query = """query($w: Boolean) {
      products(filter: {codePrefix: "P00", underWarranty: $w}, first: 100) {
        edges { node { id code warranty { months } } }
      }
    }"""
    covered = execute(shop_schema, query, principal=everyone, session=session,
                      variables={"w": True})
    assert covered.errors is None
    nodes = [e["node"] for e in covered.data["products"]["edges"]]
    pks = sorted(int(from_global_id(n["id"])[1]) for n in nodes)
    assert pks == [i for i in range(3, 100, 3)]
    assert all(n["warranty"] is not None for n in nodes)

    uncovered = execute(shop_schema, query, principal=everyone, session=session,
                        variables={"w": False})
    pks = sorted(int(from_global_id(e["node"]["id"])[1])
                 for e in uncovered.data["products"]["edges"])
    assert pks == [i for i in range(1, 100) if i % 3]

    unfiltered = execute(shop_schema, query, principal=everyone, session=session,
                         variables={"w": None})
    assert len(unfiltered.data["products"]["edges"]) == 99


def test_the_owner_receives_the_editions_input_class(shop_env) -> None:
    composition = compose(shop_env)
    edition_filter = composition.edition_of[ProductFilter]
    value = edition_filter(code_prefix="P", under_warranty=True)
    assert isinstance(value, ProductFilter)
    assert (value.code_prefix, value.under_warranty) == ("P", True)  # type: ignore[attr-defined]
    assert edition_filter(code_prefix="P").under_warranty is None  # type: ignore[attr-defined]
    assert composition.filters["ProductFilter"][0][0] == "warranty"


def test_a_real_environment_composes_its_contributions(monkeypatch) -> None:
    env = Environment([], settings=Settings())
    monkeypatch.setattr(env, "contributions",
                        lambda hook, **kw: [("catalog", catalog_contribution())])
    schema = build_schema(env)
    assert "products" in graphql_fields(schema, "Query")
    assert env.extensions[SCHEMA_KEY][()] is schema


def test_extension_fields_resolve_with_the_owners_object(shop_schema, shop_db) -> None:
    session, _ = shop_db
    result = execute(shop_schema, '{ product(code: "P0003") { code warranty { months } } }',
                     principal=Grant("catalog.product.read", "warranty.policy.read"),
                     session=session)
    assert result.errors is None
    assert result.data == {"product": {"code": "P0003", "warranty": {"months": 12}}}


def test_kernel_types_are_in_every_edition(basic_env) -> None:
    sdl = print_sdl(basic_env)
    for name in ("interface Node", "type PageInfo", "interface UserError",
                 "type CoreError implements UserError", "enum CoreErrorCode"):
        assert name in sdl


def test_types_reached_only_through_fields_are_composed_too(basic_env) -> None:
    composition = compose(basic_env)
    assert composition.owners["ProductRenamePayload"] == "catalog"
    assert composition.owners["ProductConnection"] == "catalog"
    assert composition.owners["PageInfo"] == "core"


@pytest.mark.parametrize("name", ["ProductConnection", "ProductEdge"])
def test_generic_connections_are_named_after_their_node(shop_schema, name) -> None:
    assert name in shop_schema._schema.type_map


def test_an_addon_may_list_no_types_at_all() -> None:
    def hello() -> str:
        return "hi"

    env = FakeEnv(("tiny", Contribution(queries=[field(hello, public=True)])))
    assert execute(build_schema(env), "{ hello }").data == {"hello": "hi"}


def test_the_page_size_of_an_edition_comes_from_its_settings(shop_db, everyone) -> None:
    session, _ = shop_db
    small = FakeEnv(("catalog", catalog_contribution()),
                    settings=Settings(default_page_size=3, max_page_size=5))
    result = execute(build_schema(small), "{ products { edges { cursor } } }",
                     principal=everyone, session=session)
    assert len(result.data["products"]["edges"]) == 3


def test_field_level_permission_fields_are_nullable_in_the_schema(shop_env) -> None:
    edition_product = compose(shop_env).edition_of[Product]
    cost = next(f for f in edition_product.__strawberry_definition__.fields
                if f.python_name == "cost")
    assert isinstance(cost.type, StrawberryOptional)



def test_extension_filters_apply_only_to_known_inputs(shop_schema) -> None:
    info: Any = SimpleNamespace(schema=shop_schema)
    stmt = select(ProductRow)
    assert apply_filter_extensions(info, "ProductFilter", stmt, None) is stmt
    with pytest.raises(LookupError, match="'ProdutFilter' is not an input type"):
        apply_filter_extensions(info, "ProdutFilter", stmt, None)


def test_registries_are_found_only_through_an_edition_schema() -> None:
    info: Any = SimpleNamespace(schema=object())
    with pytest.raises(RuntimeError, match="not built by openjxc.graphql.build_schema"):
        composition_of(info)
