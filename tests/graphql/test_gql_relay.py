"""Object identification: opaque global IDs, ``node`` and ``nodes`` through the edition's
Node registry, batched per type."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import ClassVar

import pytest
import strawberry
from gql_fakes import catalog_contribution
from gql_support import FakeEnv, Grant, codes, execute
from strawberry.types import Info

from openjxc.core.config import Settings
from openjxc.graphql import (
    BadUserInput,
    Contribution,
    Node,
    build_schema,
    compose,
    from_global_id,
    to_global_id,
)

READER = Grant("catalog.product.read", "catalog.category.read")
NODES = """query($ids: [ID!]!) { nodes(ids: $ids) {
    __typename id ... on Product { code } ... on Category { name } } }"""


def test_global_ids_are_base64_of_type_and_key() -> None:
    assert to_global_id("Product", 42) == base64.b64encode(b"Product:42").decode()
    assert from_global_id(to_global_id("Product", 42)) == ("Product", "42")


@pytest.mark.parametrize("bad", ["not an id", "UHJvZHVjdA==", base64.b64encode(b":1").decode(),
                                 base64.b64encode(b"\xff\xfe").decode(), ""])
def test_malformed_global_ids_are_refused(bad: str) -> None:
    with pytest.raises(BadUserInput):
        from_global_id(bad)


def test_node_returns_what_the_list_returned(shop_schema, shop_db) -> None:
    session, _ = shop_db
    listed = execute(shop_schema, "{ products(first: 1) { edges { node { id code } } } }",
                     principal=READER, session=session)
    product = listed.data["products"]["edges"][0]["node"]
    fetched = execute(shop_schema, """query($id: ID!) { node(id: $id) {
        __typename id ... on Product { code category { id name } } } }""",
                      principal=READER, session=session, variables={"id": product["id"]})
    assert fetched.errors is None
    node = fetched.data["node"]
    assert (node["__typename"], node["id"], node["code"]) == ("Product", product["id"],
                                                              product["code"])
    category = execute(shop_schema, NODES, principal=READER, session=session,
                       variables={"ids": [node["category"]["id"]]})
    assert category.data["nodes"] == [{"__typename": "Category", "id": node["category"]["id"],
                                       "name": node["category"]["name"]}]


def test_nodes_keeps_order_and_batches_per_type(shop_schema, shop_db) -> None:
    session, log = shop_db
    ids = [to_global_id("Product", 7), to_global_id("Category", 2), to_global_id("Product", 9),
           to_global_id("Product", 999_999), to_global_id("Asset", 1),
           to_global_id("Warranty", 1), to_global_id("Product", 7)]
    log.clear()
    result = execute(shop_schema, NODES, principal=READER, session=session,
                     variables={"ids": ids})
    assert result.errors is None
    assert [n and (n["__typename"], n["id"]) for n in result.data["nodes"]] == [
        ("Product", ids[0]), ("Category", ids[1]), ("Product", ids[2]),
        None,  # no such product
        None,  # a type this edition lacks
        None,  # a type that is not a Node
        ("Product", ids[0]),
    ]
    assert len(log) == 2  # one query for the products, one for the categories


@pytest.mark.parametrize("bad", ["not an id", to_global_id("Product", "abc")])
def test_a_malformed_id_is_a_clear_error(shop_schema, shop_db, bad: str) -> None:
    result = execute(shop_schema, "query($id: ID!) { node(id: $id) { id } }",
                     principal=READER, session=shop_db[0], variables={"id": bad})
    assert codes(result) == ["BAD_USER_INPUT"]
    assert "is not a valid ID" in result.errors[0].message


def test_node_checks_the_types_read_permission(shop_schema, shop_db) -> None:
    result = execute(shop_schema, "query($id: ID!) { node(id: $id) { id } }",
                     principal=Grant("catalog.category.read"), session=shop_db[0],
                     variables={"id": to_global_id("Product", 1)})
    assert codes(result) == ["FORBIDDEN"]
    assert result.data == {"node": None}


def test_nodes_takes_no_more_ids_than_a_page(shop_db) -> None:
    env = FakeEnv(("catalog", catalog_contribution()), settings=Settings(max_page_size=3))
    result = execute(build_schema(env), NODES, principal=READER, session=shop_db[0],
                     variables={"ids": [to_global_id("Product", i) for i in range(1, 5)]})
    assert codes(result) == ["BAD_USER_INPUT"]


def test_the_node_registry_lists_the_editions_node_types(shop_env) -> None:
    registry = compose(shop_env).nodes
    kernel_only = set(compose(FakeEnv()).nodes)
    assert kernel_only == {"Alert", "ApiKey", "User"}
    assert sorted(set(registry) - kernel_only) == ["Category", "Product"]
    assert registry["Product"].permission == "catalog.product.read"


@strawberry.type
class Serial(Node):
    """A Node keyed by text, not by an integer."""

    node_permission: ClassVar[str] = "stock.serial.read"
    number: str

    @classmethod
    def parse_pk(cls, raw: str) -> str:
        return raw

    @classmethod
    def get_nodes(cls, info: Info, pks: Sequence[str]) -> list[Serial | None]:
        return [Serial(pk=p, number=p) if p.startswith("SN") else None for p in pks]


class BinRow:
    """Not a strawberry type: what a resolver returning ORM rows hands back."""

    def __init__(self, pk: int) -> None:
        self.pk = pk
        self.label = f"Bin {pk}"


@strawberry.type
class Bin(Node):
    node_permission: ClassVar[str] = "stock.bin.read"
    label: str

    @classmethod
    def is_type_of(cls, obj: object, info: object) -> bool:
        return isinstance(obj, BinRow | cls)

    @classmethod
    def get_nodes(cls, info: Info, pks: Sequence[int]) -> list[BinRow]:
        return [BinRow(pk) for pk in pks]


@strawberry.type
class Broken(Node):
    node_permission: ClassVar[str] = "stock.broken.read"
    name: str

    @classmethod
    def get_nodes(cls, info: Info, pks: Sequence[int]) -> list[Broken]:
        return []


STOCK = build_schema(FakeEnv(("stock", Contribution(types=[Serial, Bin, Broken]))))
STOCK_READER = Grant("stock.serial.read", "stock.bin.read", "stock.broken.read")


def test_text_keys_and_rows_with_their_own_type_test() -> None:
    ids = [to_global_id("Serial", "SN-001"), to_global_id("Serial", "XX"),
           to_global_id("Bin", 7)]
    result = execute(STOCK, """query($ids: [ID!]!) { nodes(ids: $ids) { __typename id
        ... on Serial { number } ... on Bin { label } } }""",
                     principal=STOCK_READER, variables={"ids": ids})
    assert result.errors is None
    assert result.data["nodes"] == [
        {"__typename": "Serial", "id": ids[0], "number": "SN-001"}, None,
        {"__typename": "Bin", "id": ids[2], "label": "Bin 7"}]


def test_a_loader_answering_the_wrong_number_of_objects_is_a_bug() -> None:
    result = execute(STOCK, "query($id: ID!) { node(id: $id) { id } }",
                     principal=STOCK_READER, variables={"id": to_global_id("Broken", 1)})
    assert result.errors and "returned 0 objects for 1 keys" in result.errors[0].message


@pytest.mark.parametrize("raw", [" 1", "01", "١", "²", "9" * 20, "-1", "0", "1.0"])
def test_only_canonical_keys_make_an_id(raw: str) -> None:
    with pytest.raises(ValueError):
        Node.parse_pk(raw)
    assert Node.parse_pk("42") == 42
