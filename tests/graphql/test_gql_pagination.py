"""Connections: keyset paging both ways without duplicates or gaps, the page-size cap, and
``totalCount`` counted only when a client asks for it."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from gql_fakes import ProductRow
from gql_support import Grant, codes, execute
from sqlalchemy import select

from openjxc.graphql import BadUserInput, build_schema, from_global_id, paginate
from openjxc.graphql.pagination import _Key, _signature, decode_cursor, encode_cursor

READER = Grant("catalog.product.read")
PAGE = """query($sort: ProductSort, $first: Int, $after: String, $last: Int, $before: String) {
  products(sort: $sort, first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}"""

EXPECTED = {
    "NAME": sorted(range(1, 251), key=lambda i: (f"N{i % 40:02d}", i)),
    "NAME_DESC": sorted(range(1, 251), key=lambda i: (-(i % 40), i)),
    "PRICE": sorted(range(1, 251), key=lambda i: (Decimal(i % 17) / 4, i)),
}


def page(schema: Any, session: Any, **variables: Any) -> dict[str, Any]:
    result = execute(schema, PAGE, principal=READER, session=session, variables=variables)
    assert result.errors is None, result.errors
    return result.data["products"]


def pks(connection: dict[str, Any]) -> list[int]:
    return [int(from_global_id(e["node"]["id"])[1]) for e in connection["edges"]]


@pytest.mark.parametrize("sort", sorted(EXPECTED))
def test_paging_forward_visits_every_row_once(shop_schema, shop_db, sort: str) -> None:
    session, _ = shop_db
    seen: list[int] = []
    after = None
    for number in range(1, 100):
        connection = page(shop_schema, session, sort=sort, first=40, after=after)
        info = connection["pageInfo"]
        assert info["hasPreviousPage"] is (number > 1)
        assert info["endCursor"] == connection["edges"][-1]["cursor"]
        seen += pks(connection)
        if not info["hasNextPage"]:
            break
        after = info["endCursor"]
    assert number == 7  # 6 pages of 40 and one of 10
    assert seen == EXPECTED[sort]


@pytest.mark.parametrize("sort", sorted(EXPECTED))
def test_paging_backward_visits_every_row_once(shop_schema, shop_db, sort: str) -> None:
    session, _ = shop_db
    pages: list[list[int]] = []
    before = None
    while True:
        connection = page(shop_schema, session, sort=sort, last=40, before=before)
        info = connection["pageInfo"]
        assert info["hasNextPage"] is bool(pages)
        assert info["startCursor"] == connection["edges"][0]["cursor"]
        pages.insert(0, pks(connection))
        if not info["hasPreviousPage"]:
            break
        before = info["startCursor"]
    assert [len(p) for p in pages] == [10] + [40] * 6
    assert [pk for p in pages for pk in p] == EXPECTED[sort]


def test_turning_back_returns_the_rows_before_the_cursor(shop_schema, shop_db) -> None:
    session, _ = shop_db
    first = page(shop_schema, session, first=30)
    second = page(shop_schema, session, first=30, after=first["pageInfo"]["endCursor"])
    back = page(shop_schema, session, last=30, before=second["pageInfo"]["startCursor"])
    assert pks(back) == pks(first)
    between = page(shop_schema, session, first=100, after=first["edges"][4]["cursor"],
                   before=first["edges"][10]["cursor"])
    assert pks(between) == pks(first)[5:10]


def test_pages_use_keyset_conditions_not_offset(shop_schema, shop_db) -> None:
    session, log = shop_db
    first = page(shop_schema, session, first=40)
    log.clear()
    page(shop_schema, session, first=40, after=first["pageInfo"]["endCursor"])
    (statement,) = log.statements
    (parameters,) = log.parameters
    # SQLite's dialect always renders "LIMIT ? OFFSET ?"; the offset it binds is 0.
    assert "OFFSET" not in statement.upper() or tuple(parameters)[-1] == 0
    assert "LIMIT" in statement.upper()
    assert "t_product.name >" in statement  # rows after the cursor's sort key


def test_the_default_page_size_comes_from_settings(shop_schema, shop_db) -> None:
    assert len(page(shop_schema, shop_db[0])["edges"]) == 20


@pytest.mark.parametrize("variables", [{"first": 101}, {"last": 101}, {"first": -1},
                                       {"first": 5, "last": 5}])
def test_page_sizes_beyond_the_rules_are_refused(shop_schema, shop_db, variables) -> None:
    result = execute(shop_schema, PAGE, principal=READER, session=shop_db[0],
                     variables=variables)
    assert codes(result) == ["BAD_USER_INPUT"]
    assert result.data is None  # the connection is non-null, so the null reaches the root


def test_the_maximum_page_size_is_allowed(shop_schema, shop_db) -> None:
    assert len(page(shop_schema, shop_db[0], first=100)["edges"]) == 100


def test_a_cursor_of_another_order_is_refused(shop_schema, shop_db) -> None:
    session, _ = shop_db
    by_name = page(shop_schema, session, first=5)
    for cursor in (by_name["pageInfo"]["endCursor"], "garbage", "W10="):
        result = execute(shop_schema, PAGE, principal=READER, session=session,
                         variables={"sort": "PRICE", "after": cursor})
        assert codes(result) == ["BAD_USER_INPUT"], cursor


COUNTED = """query { products(first: 5, filter: {codePrefix: "P01"}) {
  total: totalCount edges { node { id } } } }"""
UNCOUNTED = """query { products(first: 5, filter: {codePrefix: "P01"}) {
  edges { node { id } } } }"""


def test_total_count_runs_one_count_only_when_selected(shop_schema, shop_db) -> None:
    session, log = shop_db
    log.clear()
    execute(shop_schema, UNCOUNTED, principal=READER, session=session)
    assert len(log) == 1
    assert "count(" not in log.statements[0].lower()

    log.clear()
    counted = execute(shop_schema, COUNTED, principal=READER, session=session)
    assert counted.data["products"]["total"] == 100  # P0100 .. P0199
    assert len(log) == 2
    assert "count(" in log.statements[1].lower()


def test_an_empty_list_has_no_cursors(shop_schema, shop_db) -> None:
    result = execute(shop_schema, """{ products(filter: {codePrefix: "Z"}) {
        totalCount edges { cursor } pageInfo { hasNextPage hasPreviousPage startCursor
        endCursor } } }""", principal=READER, session=shop_db[0])
    assert result.data == {"products": {"totalCount": 0, "edges": [], "pageInfo": {
        "hasNextPage": False, "hasPreviousPage": False, "startCursor": None,
        "endCursor": None}}}


def test_a_statement_of_several_columns_pages_as_rows(basic_env, shop_db) -> None:
    session, _ = shop_db
    info: Any = SimpleNamespace(schema=build_schema(basic_env))
    stmt = select(ProductRow.id, ProductRow.code)
    first = paginate(session, stmt, first=3, sort_keys=[ProductRow.code.desc()],
                     to_node=tuple, info=info)
    assert [e.node for e in first.edges] == [(250, "P0250"), (249, "P0249"), (248, "P0248")]
    rest = paginate(session, stmt, first=2, after=first.page_info.end_cursor,
                    sort_keys=[ProductRow.code.desc()], to_node=tuple, info=info)
    assert [e.node for e in rest.edges] == [(247, "P0247"), (246, "P0246")]
    assert rest.total_count() == 250


SECRET = "test-secret"


def test_cursors_keep_the_types_of_their_keys() -> None:
    keys = [_Key(ProductRow.name, False), _Key(ProductRow.price, True), _Key(ProductRow.id, False)]
    signature = _signature(keys)
    for values in [("N01", Decimal("12.50"), 7),
                   (dt.datetime(2024, 5, 1, 8, tzinfo=dt.UTC), dt.date(2024, 5, 1),
                    uuid.UUID(int=5)),
                   (True, 2.5, "x")]:
        cursor = encode_cursor(signature, values, keys, SECRET)
        assert decode_cursor(cursor, signature, 3, SECRET) == list(values)
    with pytest.raises(BadUserInput):
        decode_cursor(encode_cursor(signature, ("N01", Decimal(1), 7), keys, SECRET), "other", 3,
                      SECRET)


@pytest.mark.parametrize("values", [
    ["N01", {"d": "abc"}, 7], ["N01", {"d": "1"}, 10**40], ["N01", {"f": "nan"}, "7"],
    ["N01", {"d": "12.50"}, 8],
])
def test_a_forged_cursor_is_refused_before_any_sql(values: list[object]) -> None:
    """Cursors are signed: an edited value (even a well-formed one) is a clear error."""
    keys = [_Key(ProductRow.name, False), _Key(ProductRow.price, True), _Key(ProductRow.id, False)]
    signature = _signature(keys)
    raw = json.dumps([signature, values], separators=(",", ":"))
    forged = base64.urlsafe_b64encode(json.dumps([raw, "0" * 20]).encode()).decode()
    with pytest.raises(BadUserInput, match="is not a cursor of this list"):
        decode_cursor(forged, signature, 3, SECRET)
    with pytest.raises(BadUserInput):
        decode_cursor(encode_cursor(signature, ("N01", Decimal(1), 7), keys, SECRET), signature,
                      3, "another deployment's secret")


def test_a_null_sort_key_is_a_programming_error() -> None:
    keys = [_Key(ProductRow.name, False)]
    with pytest.raises(ValueError, match="is NULL; keyset pagination needs non-null sort keys"):
        encode_cursor(_signature(keys), (None,), keys, SECRET)
