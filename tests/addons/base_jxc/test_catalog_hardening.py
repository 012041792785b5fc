"""Hostile and careless input to the catalog: each refused with a field error (a NUL
character before the mutation runs), nothing stored, the same on SQLite and PostgreSQL —
and a concurrent duplicate is a clear error."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.catalog.services import ProductInput, create_category, create_product
from openjxc.core.env import Environment
from openjxc.testing.fixtures import create_test_database
from openjxc.testing.graphql import GraphQLTester

CREATE = """mutation($input: ProductCreateInput!) {
  productCreate(input: $input) { product { code listPrice taxRate } errors { field code } } }"""


@pytest.fixture
def env(database_url: str) -> Iterator[Environment]:
    env = Environment.for_edition("basic", database_url=database_url)
    create_test_database(env)
    with env.unit_of_work() as session:
        create_category(session, code="DJ", name="电机")
    yield env
    env.database.dispose()


def _refused(env: Environment, overrides: dict[str, object]) -> list[dict[str, object]]:
    api = GraphQLTester(env)
    data = api.ok(CREATE, {"input": {"code": "P1", "name": "电机", "categoryCode": "DJ",
                                     **overrides}})
    assert data["productCreate"]["product"] is None
    with env.unit_of_work(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(Product)) == 0
    return list(data["productCreate"]["errors"])


@pytest.mark.parametrize(("overrides", "field"), [
    ({"name": "长" * 201}, "name"),
    ({"unit": "x" * 17}, "unit"),
    ({"code": "C" * 65}, "code"),
    ({"listPrice": "0.005"}, "listPrice"),
    ({"listPrice": "99999999999999999999999999"}, "listPrice"),
    ({"listPrice": "-0.01"}, "listPrice"),
    ({"taxRate": "0.9999999"}, "taxRate"),
    ({"taxRate": "1"}, "taxRate"),
    ({"description": "d" * 4001}, "description"),
])
def test_bad_values_are_field_errors_on_both_backends(
        env: Environment, overrides: dict[str, object], field: str) -> None:
    errors = _refused(env, overrides)
    assert [e["field"] for e in errors] == [[field]]
    assert errors[0]["code"] in ("INVALID", "REQUIRED")


def test_a_nul_in_a_name_is_refused_before_it_runs_on_both_backends(
        env: Environment) -> None:
    result = GraphQLTester(env).execute(CREATE, {"input": {
        "code": "P1", "name": "bad\x00name", "categoryCode": "DJ"}})
    assert result["data"] is None
    assert [e["extensions"]["code"] for e in result["errors"]] == ["NUL_CHARACTER"]
    with env.unit_of_work(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(Product)) == 0


def test_stored_values_are_what_the_payload_shows(env: Environment) -> None:
    data = GraphQLTester(env).ok(CREATE, {"input": {
        "code": "P2", "name": "x", "categoryCode": "DJ", "listPrice": "1e5",
        "taxRate": "0.09"}})
    assert data["productCreate"]["product"] == {"code": "P2", "listPrice": "100000.00",
                                                "taxRate": "0.090000"}


def test_search_treats_wildcards_as_text(env: Environment) -> None:
    with env.unit_of_work() as session:
        create_product(session, ProductInput(code="A_1", name="含100%铜", category_code="DJ"))
        create_product(session, ProductInput(code="B1", name="普通", category_code="DJ"))
    api = GraphQLTester(env)
    for term, expected in (("%", ["A_1"]), ("_", ["A_1"]), ("x" * 10_000, [])):
        found = api.ok("query($s: String) { products(filter: {search: $s}) "
                       "{ edges { node { code } } } }", {"s": term})
        assert [e["node"]["code"] for e in found["products"]["edges"]] == expected


def test_a_concurrent_duplicate_is_a_clear_error(pg_database_url: str) -> None:
    env = Environment.for_edition("basic", database_url=pg_database_url)
    create_test_database(env)
    with env.unit_of_work() as session:
        create_category(session, code="DJ", name="电机")
    holding = threading.Event()
    results: list[object] = []

    def first_writer() -> None:
        with env.unit_of_work() as session:
            create_product(session, ProductInput(code="SAME", name="a", category_code="DJ",
                                                 list_price=Decimal(1)))
            holding.set()
            time.sleep(0.5)  # the second writer checks, finds nothing, and blocks on insert

    writer = threading.Thread(target=first_writer)
    writer.start()
    holding.wait(5)
    try:
        data = GraphQLTester(env).ok(CREATE, {"input": {"code": "SAME", "name": "b",
                                                        "categoryCode": "DJ"}})
        results.append(data)
    finally:
        writer.join()
        env.database.dispose()
    assert results[0]["productCreate"]["errors"] == [  # type: ignore[index]
        {"field": ["code"], "code": "DUPLICATE_CODE"}]
