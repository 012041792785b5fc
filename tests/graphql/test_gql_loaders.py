"""Per-request DataLoaders: nested fields batch, so statements do not grow with rows."""

from __future__ import annotations

import asyncio

import pytest
from gql_support import Grant, execute

from openjxc.graphql import Loaders, align

READER = Grant("catalog.product.read", "warranty.policy.read")
NESTED = """query($first: Int) { products(first: $first) {
  edges { node { code category { name } warranty { months } } } } }"""


@pytest.mark.parametrize("first", [5, 50, 100])
def test_nested_fields_cost_one_query_each_whatever_the_page(shop_schema, shop_db,
                                                             first: int) -> None:
    session, log = shop_db
    log.clear()
    result = execute(shop_schema, NESTED, principal=READER, session=session,
                     variables={"first": first})
    assert result.errors is None
    nodes = [e["node"] for e in result.data["products"]["edges"]]
    assert len(nodes) == first
    assert all(n["category"]["name"].startswith("Category ") for n in nodes)
    # The page, every category at once, every warranty at once.
    assert len(log) == 3
    assert sum("t_category" in s for s in log.statements) == 1


def test_a_loader_lives_for_one_request() -> None:
    calls: list[list[int]] = []

    def batch(keys: list[int]) -> list[int]:
        calls.append(keys)
        return [k * 10 for k in keys]

    async def request(loaders: Loaders) -> list[int]:
        loader = loaders.get("tens", batch)
        assert loaders.get("tens", batch) is loader
        return list(await asyncio.gather(*(loader.load(k) for k in (1, 2, 2, 3))))

    first, second = Loaders(), Loaders()
    assert asyncio.run(request(first)) == [10, 20, 20, 30]
    assert asyncio.run(request(second)) == [10, 20, 20, 30]
    assert calls == [[1, 2, 3], [1, 2, 3]]  # batched and de-duplicated, never shared
    assert "tens" in first and "other" not in first


def test_batch_functions_may_be_coroutines() -> None:
    async def batch(keys: list[str]) -> list[str]:
        return [k.upper() for k in keys]

    async def request() -> list[str]:
        loader = Loaders().get("upper", batch)
        return list(await asyncio.gather(loader.load("a"), loader.load("b")))

    assert asyncio.run(request()) == ["A", "B"]


def test_align_orders_rows_like_the_keys() -> None:
    rows = [{"id": 3}, {"id": 1}]
    assert align([1, 2, 3], rows, key=lambda r: r["id"]) == [{"id": 1}, None, {"id": 3}]
