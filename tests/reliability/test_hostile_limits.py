"""Hostile input (issue #9, item 4): documents and bodies built to exhaust the server.

Through the real ASGI app on the enterprise edition, on both backends: depth, alias, cost,
token and introspection bombs, fragment cycles and spread bombs, page sizes out of range,
bodies above ``max_body_bytes`` (declared, chunked, in the query string), 10 MB strings,
and text that is not Unicode.  Each is refused with a stable code and a message in the
caller's language (``zh_CN`` and ``en``), before any SQL where the protection layer refuses
it, changes nothing in any table, and shows nothing of the server's insides.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from hostile_support import (
    Api,
    Shop,
    StatementCounter,
    assert_no_leak,
    cheap_hashing,
    codes_of,
    shared_shop,
    snapshot,
)

from openjxc.graphql.limits import MAX_JSON_DEPTH
from openjxc.testing.fixtures import BACKENDS

__all__ = ["cheap_hashing"]


@pytest.fixture(scope="module", params=BACKENDS)
def shop(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Shop:
    return shared_shop(request, tmp_path_factory)


@pytest.fixture
def unchanged(shop: Shop) -> Iterator[None]:
    """Every table is exactly as it was when the test is over."""
    for user in ("admin.en", "admin.zh"):  # their tokens' first use is recorded now
        shop.api(user).ok("{ me { username } }")
    before = snapshot(shop.env)
    yield
    assert snapshot(shop.env) == before


def _has_cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def refused_in_both_languages(shop: Shop, query: str, variables: dict[str, Any] | None,
                              code: str, *, sql: bool = False) -> None:
    """Refused with ``code`` for an English and a Chinese reader, worded for each, with
    nothing leaked, and (unless ``sql``) before a single SQL statement ran."""
    messages = {}
    for user in ("admin.en", "admin.zh"):
        api = shop.api(user)
        with StatementCounter(shop.env.database.engine) as statements:
            errors = api.refused(query, variables, code=code)
        if not sql:
            assert statements.count == 0, (query[:80], statements.count)
        messages[user] = next(e["message"] for e in errors
                              if e["extensions"]["code"] == code)
    assert not _has_cjk(messages["admin.en"]), messages
    assert _has_cjk(messages["admin.zh"]), messages


# -- documents -------------------------------------------------------------------------------

def _nested(depth: int) -> str:
    inner = "code"
    for _ in range(depth):
        inner = f"kitComponents {{ product {{ {inner} }} }}"
    return f"{{ products(first: 1) {{ edges {{ node {{ {inner} }} }} }} }}"


_FIELDS = "id code name model spec brand unit barcode taxRate listPrice"
_WIDE = " ".join(["...P"] * 12)
_FRAGMENT_BOMB = "query { ...F0 }\n" + "\n".join(
    f"fragment F{i} on Query {{ a{i}: __typename ...F{i + 1} ...F{i + 1} }}"
    for i in range(24)) + "\nfragment F24 on Query { __typename }"
_INTROSPECTION_BOMBS = (
    # Every type's fields' types' fields: seconds of CPU within every other limit.
    "{ " + " ".join(f"a{i}: __schema {{ types {{ fields {{ type {{ fields {{ name }} "
                    f"ofType {{ fields {{ name }} }} }} }} }} }}" for i in range(29)) + " }",
    # The schema's types listed again under every alias.
    "{ " + " ".join(f"a{i}: __schema {{ types {{ fields {{ name }} }} }}"
                    for i in range(29)) + " }",
    # Through fragments, nested.
    "{ __type(name: \"Query\") { ...T } } fragment T on __Type { fields { type "
    "{ ofType { ...U } } } } fragment U on __Type { fields { name } }",
)
BOMBS = [
    ("depth", _nested(8), None, "QUERY_TOO_DEEP"),
    ("aliases", "{ " + " ".join(f"a{i}: me {{ username }}" for i in range(40)) + " }", None,
     "TOO_MANY_ALIASES"),
    ("cost", "fragment P on Product { " + _FIELDS + " } { " + " ".join(
        f"p{i}: products(first: 100) {{ edges {{ node {{ {_WIDE} }} }} }}" for i in range(5))
     + " }", None, "QUERY_TOO_COMPLEX"),
    ("cost in a variable", "query($n: Int) { products(first: $n) { edges { node { "
     + _WIDE * 5 + " } } } } fragment P on Product { " + _FIELDS + " }", {"n": 100},
     "QUERY_TOO_COMPLEX"),
    ("fragment spread bomb", _FRAGMENT_BOMB, None, "TOO_MANY_ALIASES"),
    ("tokens", "{ " + "__typename " * 6000 + "}", None, "TOO_MANY_TOKENS"),
    ("comments", "{ __typename " + "#\n" * 6000 + "}", None, "TOO_MANY_TOKENS"),
    *[(f"introspection bomb {i}", bomb, None, "QUERY_TOO_COMPLEX")
      for i, bomb in enumerate(_INTROSPECTION_BOMBS)],
    ("page of a million", "{ products(first: 1000000) { totalCount } }", None,
     "PAGE_SIZE_TOO_LARGE"),
    ("page of a million in a variable", "query($n: Int) { stockMoves(last: $n) "
     "{ totalCount } }", {"n": 1_000_000}, "PAGE_SIZE_TOO_LARGE"),
]


@pytest.mark.parametrize(("name", "query", "variables", "code"), BOMBS,
                         ids=[b[0] for b in BOMBS])
def test_a_bomb_is_refused_before_any_sql_in_the_readers_language(
        shop: Shop, unchanged: None, name: str, query: str, variables: dict[str, Any] | None,
        code: str) -> None:
    refused_in_both_languages(shop, query, variables, code)


def test_the_introspection_every_client_sends_is_still_served(shop: Shop) -> None:
    from graphql import get_introspection_query

    data = shop.api().ok(get_introspection_query(
        descriptions=True, specified_by_url=True, directive_is_repeatable=True,
        input_value_deprecation=True))
    assert len(data["__schema"]["types"]) > 100


def test_a_fragment_cycle_is_refused_cleanly(shop: Shop, unchanged: None) -> None:
    api = shop.api()
    for query in ("query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }",
                  "query { ...A } fragment A on Query { me { username } ...A }"):
        api.refused(query, code="GRAPHQL_VALIDATION_FAILED")


def test_negative_pages_are_refused_clearly(shop: Shop, unchanged: None) -> None:
    api = shop.api()
    for query, variables in (("{ products(first: -1) { totalCount } }", None),
                             ("query($n: Int) { stockLevels(last: $n) { totalCount } }",
                              {"n": -5}),
                             ("{ partners(first: 2147483648) { totalCount } }", None)):
        errors = api.execute(query, variables).get("errors") or []
        assert set(codes_of({"errors": errors})) <= {
            "BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED", "PAGE_SIZE_TOO_LARGE",
            "QUERY_TOO_COMPLEX"}, errors
        assert errors, query
        assert_no_leak(errors)


def test_too_many_ids_at_once_are_refused(shop: Shop, unchanged: None) -> None:
    ids = [f"UHJvZHVjdDo{i}" for i in range(5000)]
    api = shop.api()
    payload = api.execute("query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": ids})
    assert set(codes_of(payload)) & {"BAD_USER_INPUT", "QUERY_TOO_COMPLEX"}, payload
    assert_no_leak(payload)


# -- bodies ----------------------------------------------------------------------------------

def _too_large(response: Any, language: str) -> str:
    assert response.status_code == 413, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "REQUEST_TOO_LARGE"
    assert_no_leak(response.json())
    assert _has_cjk(error["message"]) == (language == "zh-CN")
    return str(error["message"])


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_a_body_above_the_limit_is_refused_unread(shop: Shop, unchanged: None,
                                                  language: str) -> None:
    api = shop.api(language=language)
    ten_mb = "x" * (10 * 1024 * 1024)
    with StatementCounter(shop.env.database.engine) as statements:
        # Declared with Content-Length: a 10 MB string in the variables ...
        _too_large(api.post("query($s: String) { products(filter: {search: $s}) "
                            "{ totalCount } }", {"s": ten_mb}), language)
        # ... and in a mutation's input.
        _too_large(api.post('mutation { categoryCreate(input: {code: "X", name: "'
                            + ten_mb + '"}) { errors { code } } }'), language)

        # Chunked, without a length: cut off as soon as it passes the limit.
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"query": "{ __typename }", "variables": {"s": "'
            for _ in range(40):
                yield b"x" * 65536
            yield b'"}}'

        _too_large(api.send("POST", content=chunks(), headers=api.headers(
            **{"content-type": "application/json"})), language)
        # (A query string above the limit: tests/graphql/test_limits.py; httpx cannot send
        # one that long.)
    assert statements.count == 0


def test_a_long_string_under_the_limit_meets_the_field_limits(shop: Shop,
                                                              unchanged: None) -> None:
    long = "长" * 70_000  # twice, 840 KB of JSON: under the body limit
    for user, chinese in (("admin.en", False), ("admin.zh", True)):
        api = shop.api(user)
        result = api.ok("mutation($c: String!, $n: String!) { categoryCreate(input: "
                        "{code: $c, name: $n}) { category { id } errors { code field "
                        "message } } }", {"c": long, "n": long})["categoryCreate"]
        assert result["category"] is None
        assert {e["code"] for e in result["errors"]} == {"INVALID"}, result
        assert {tuple(e["field"]) for e in result["errors"]} == {("code",), ("name",)}
        assert all(_has_cjk(e["message"]) == chinese for e in result["errors"]), result
        found = api.ok("query($s: String) { products(filter: {search: $s}) { totalCount } }",
                       {"s": long})
        assert found["products"]["totalCount"] == 0


# -- text that is not Unicode ----------------------------------------------------------------

_SEARCH = b'{"query": "query($s: String) { products(filter: {search: $s}) { totalCount } }", '
NOT_UNICODE = [
    ("lone surrogate in a variable", _SEARCH + b'"variables": {"s": "\\ud800"}}'),
    ("lone low surrogate in a key", _SEARCH + b'"variables": {"s": "a", "\\udc00": 1}}'),
    ("lone surrogate in the operation name",
     b'{"query": "{ __typename }", "operationName": "\\udfff"}'),
    ("encoded surrogate bytes", _SEARCH + b'"variables": {"s": "\xed\xa0\x80"}}'),
    ("invalid UTF-8", _SEARCH + b'"variables": {"s": "\xff\xfe"}}'),
    ("overlong slash", b'{"query": "{ __typename \xc0\xaf }"}'),
    ("overlong NUL", _SEARCH + b'"variables": {"s": "\xc0\x80"}}'),
    ("truncated sequence", _SEARCH + b'"variables": {"s": "\xe4\xb8"}}'),
    ("deep nesting", b'{"query": "{ __typename }", "variables": {"a": '
     + b"[" * 100_000 + b"]" * 100_000 + b"}}"),
    ("nesting just past the limit", b'{"query": "{ __typename }", "variables": {"a": '
     + b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH + b"}}"),
]


@pytest.mark.parametrize(("name", "body"), NOT_UNICODE, ids=[n for n, _ in NOT_UNICODE])
def test_a_body_that_is_not_unicode_is_a_bad_request(shop: Shop, unchanged: None, name: str,
                                                     body: bytes) -> None:
    messages = []
    for user in ("admin.en", "admin.zh"):
        with StatementCounter(shop.env.database.engine) as statements:
            response = shop.api(user).raw(body)
        assert response.status_code == 400, (name, response.text)
        payload = response.json()
        assert codes_of(payload) == ["BAD_REQUEST"]
        assert_no_leak(payload)
        assert statements.count == 0
        messages.append(payload["errors"][0]["message"])
    assert not _has_cjk(messages[0]) and _has_cjk(messages[1]), messages


def test_paired_surrogates_and_chinese_text_are_served(shop: Shop) -> None:
    response = shop.api().raw(
        _SEARCH + b'"variables": {"s": "\\ud83d\\ude00 \xe7\x94\xb5\xe6\x9c\xba"}}')
    assert response.status_code == 200
    assert response.json() == {"data": {"products": {"totalCount": 0}}}
    nested = b"[" * (MAX_JSON_DEPTH - 2) + b"1" + b"]" * (MAX_JSON_DEPTH - 2)
    response = shop.api().raw(b'{"query": "{ __typename }", "variables": {"a": '
                              + nested + b"}}")
    assert response.json() == {"data": {"__typename": "Query"}}


def test_a_lone_surrogate_is_refused_off_http_too(shop: Shop, unchanged: None) -> None:
    """The protection layer refuses it for every transport (WebSocket, in-process)."""
    from openjxc.testing.graphql import GraphQLTester

    for locale in ("en", "zh_CN"):
        errors = GraphQLTester(shop.env, locale=locale).refused(
            "query($s: String) { products(filter: {search: $s}) { totalCount } }",
            {"s": "a\udc80b"}, code="BAD_REQUEST")
        assert _has_cjk(errors[0]["message"]) == (locale == "zh_CN")


def test_the_api_helper_sends_what_it_is_given(shop: Shop) -> None:
    """The check of the checks: a valid request through the same helper is served."""
    api: Api = shop.api()
    assert api.ok("{ me { username } }") == {"me": {"username": "admin.en"}}


@pytest.mark.parametrize("message", [
    '{"type": "connection_init", "payload": {"authorization": "\\ud800"}}',
    '{"type": "connection_init", "payload": ' + "[" * 5000 + "]" * 5000 + "}",
], ids=["lone surrogate", "deep nesting"])
def test_a_websocket_message_that_is_not_unicode_closes_cleanly(
        shop: Shop, unchanged: None, message: str) -> None:
    from starlette.websockets import WebSocketDisconnect

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Starlette asks for its httpx fork
        from starlette.testclient import TestClient

    with TestClient(shop.api().app) as client, client.websocket_connect(
            "/graphql", subprotocols=["graphql-transport-ws"]) as ws:
        ws.send_text(message)
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4400  # "invalid message", as for any unreadable JSON
