"""Query protection: each hostile request is refused before it reaches the database.

The first half sends hostile requests through the real app and counts the SQL statements
the engine runs meanwhile: zero.  The second half pins the cost model down on the parsed
document (page sizes multiply, fragments count per spread, introspection is free).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from graphql import FragmentDefinitionNode, OperationDefinitionNode, parse, specified_rules
from strawberry.schema import schema as strawberry_schema
from test_app_support import TestClient, build_test_schema, counting_statements, kernel_env

from openjxc.core.config import Settings
from openjxc.core.env import Environment
from openjxc.graphql import limits
from openjxc.graphql.app import create_app
from openjxc.graphql.limits import DocumentCache, measure_document

# -- through the app: refused, and not one SQL statement ------------------------------------


@pytest.fixture
def env(tmp_path: Path) -> Environment:
    return kernel_env(f"sqlite:///{tmp_path / 'limits.db'}")


def served(env: Environment, **settings: Any) -> TestClient:
    return TestClient(create_app(env, Settings(**settings), schema_builder=build_test_schema))


@pytest.fixture
def client(env: Environment) -> Iterator[TestClient]:
    with served(env) as client:
        yield client


def refused(client: TestClient, env: Environment, query: str, code: str,
            variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """POST ``query``; assert it was refused with ``code`` and that no SQL ran."""
    with counting_statements(env.database.engine) as statements:
        response = client.post("/graphql", json={"query": query, "variables": variables})
    body = response.json()
    assert body.get("data") is None, body
    codes = [e["extensions"]["code"] for e in body["errors"]]
    assert code in codes, body
    assert statements == []
    return body


def nested(depth: int) -> str:
    """``notes { edges { node { replies { edges { node { … } } } } } }``: 3 levels a turn."""
    query, closing = "", ""
    field = "notes"
    while depth > 1:
        query += f"{field}(first: 1) {{ edges {{ node {{ "
        closing += "} } } "
        field = "replies"
        depth -= 3
    return "{ " + query + "id " + closing + "}"


def test_a_query_within_the_limits_reaches_the_database(client: TestClient,
                                                        env: Environment) -> None:
    with counting_statements(env.database.engine) as statements:
        response = client.post("/graphql", json={"query": nested(10)})
    assert response.json() == {"data": {"notes": {"edges": []}}}
    assert statements  # the limits let it through, so it read


def test_a_too_deep_query_is_refused_before_any_sql(client: TestClient, env: Environment) -> None:
    body = refused(client, env, nested(16), "QUERY_TOO_DEEP")
    error = body["errors"][0]
    assert error["extensions"]["maxDepth"] == 12
    assert error["extensions"]["depth"] > 12


def test_too_many_aliases_are_refused_before_any_sql(client: TestClient, env: Environment) -> None:
    aliases = " ".join(f"n{i}: notes(first: 1) {{ totalCount }}" for i in range(31))
    refused(client, env, "{ " + aliases + " }", "TOO_MANY_ALIASES")


def test_too_many_tokens_are_refused_before_any_sql(client: TestClient, env: Environment) -> None:
    refused(client, env, "{ " + "hello " * 5_001 + "}", "TOO_MANY_TOKENS")


def test_a_comment_flood_is_refused_like_tokens(client: TestClient, env: Environment) -> None:
    refused(client, env, "#\n" * 5_001 + "{ hello }", "TOO_MANY_TOKENS")


def test_a_costly_query_is_refused_before_any_sql(client: TestClient, env: Environment) -> None:
    query = ("{ notes(first: 100) { edges { node { replies(first: 100) { edges { node {"
             " replies(first: 100) { totalCount } } } } } } } }")
    body = refused(client, env, query, "QUERY_TOO_COMPLEX")
    assert body["errors"][0]["extensions"]["cost"] > 50_000


def test_a_page_above_the_cap_is_refused_before_any_sql(client: TestClient,
                                                        env: Environment) -> None:
    body = refused(client, env, "{ notes(first: 101) { totalCount } }", "PAGE_SIZE_TOO_LARGE")
    assert body["errors"][0]["extensions"]["maxPageSize"] == 100


def test_a_page_size_in_a_variable_is_capped_too(client: TestClient, env: Environment) -> None:
    query = "query Q($n: Int) { notes(last: $n) { totalCount } }"
    refused(client, env, query, "PAGE_SIZE_TOO_LARGE", variables={"n": 1_000})
    refused(client, env, "query Q($n: Int = 500) { notes(first: $n) { totalCount } }",
            "PAGE_SIZE_TOO_LARGE")
    ok = client.post("/graphql", json={"query": query, "variables": {"n": 5}}).json()
    assert ok == {"data": {"notes": {"totalCount": 0}}}


def test_introspection_can_be_switched_off(env: Environment) -> None:
    with served(env, introspection=False) as client:
        refused(client, env, "{ __schema { queryType { name } } }", "INTROSPECTION_DISABLED")
        refused(client, env, '{ __type(name: "Note") { name } }', "INTROSPECTION_DISABLED")
        assert client.post("/graphql", json={"query": "{ __typename }"}).json() == {
            "data": {"__typename": "Query"}}


def test_introspection_is_on_by_default_and_not_limited_by_depth(client: TestClient) -> None:
    of_type = "name " + "ofType { name " * 12 + "}" * 12
    query = "{ __schema { types { name fields { name type { " + of_type + " } } } } }"
    body = client.post("/graphql", json={"query": query}).json()
    assert "errors" not in body
    assert any(t["name"] == "Note" for t in body["data"]["__schema"]["types"])


def test_a_body_above_the_limit_is_refused_with_413(env: Environment) -> None:
    with served(env, max_body_bytes=2_000) as client, \
            counting_statements(env.database.engine) as statements:
        response = client.post("/graphql", json={"query": "{ hello }", "x": "y" * 2_000})
        assert response.status_code == 413
        assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TOO_LARGE"
        assert response.headers["x-request-id"]
    assert statements == []


def test_a_chunked_body_is_cut_off_at_the_limit(env: Environment) -> None:
    sent: list[int] = []

    def chunks() -> Iterator[bytes]:
        for _ in range(100):
            sent.append(1)
            yield b" " * 500

    with served(env, max_body_bytes=2_000) as client:
        response = client.post("/graphql", content=chunks(),
                               headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_a_chunked_body_within_the_limit_is_served(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"query": '
        yield b'"{ hello }"}'

    response = client.post("/graphql", content=chunks(),
                           headers={"content-type": "application/json"})
    assert response.json() == {"data": {"hello": "hello"}}


def test_a_long_query_string_is_refused_with_413(env: Environment) -> None:
    with served(env, max_body_bytes=500) as client:
        response = client.get("/graphql", params={"query": "{ hello " + " " * 600 + "}"})
    assert response.status_code == 413


# -- parsed and validated once per text, measured on every request -------------------------


class Calls:
    """Counts calls of a module function, and still calls it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, module: Any, name: str) -> None:
        self.count = 0
        original = getattr(module, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)


def test_a_document_is_parsed_and_validated_once_per_text(
        client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = Calls(monkeypatch, strawberry_schema, "parse")
    validated = Calls(monkeypatch, limits, "validate_document")
    measured = Calls(monkeypatch, limits, "measure_document")
    for _ in range(3):
        assert client.post("/graphql", json={"query": "{ hello }"}).json() == {
            "data": {"hello": "hello"}}
    assert (parsed.count, validated.count, measured.count) == (1, 1, 3)
    client.post("/graphql", json={"query": "{ hello notes { totalCount } }"})
    assert (parsed.count, validated.count, measured.count) == (2, 2, 4)


def test_a_remembered_document_is_measured_with_each_requests_variables(
        client: TestClient, env: Environment) -> None:
    query = "query Q($n: Int) { notes(first: $n) { totalCount } }"
    ok = client.post("/graphql", json={"query": query, "variables": {"n": 5}}).json()
    assert ok == {"data": {"notes": {"totalCount": 0}}}
    refused(client, env, query, "PAGE_SIZE_TOO_LARGE", variables={"n": 1_000})
    again = client.post("/graphql", json={"query": query, "variables": {"n": 5}}).json()
    assert again == ok


def test_a_hostile_document_is_refused_before_any_sql_every_time(client: TestClient,
                                                                 env: Environment) -> None:
    for _ in range(2):
        refused(client, env, nested(16), "QUERY_TOO_DEEP")


def test_introspection_off_holds_for_a_document_another_app_accepted(
        env: Environment) -> None:
    query = "{ __schema { queryType { name } } }"
    with served(env) as open_client:
        assert "errors" not in open_client.post("/graphql", json={"query": query}).json()
    with served(env, introspection=False) as client:
        for _ in range(2):
            refused(client, env, query, "INTROSPECTION_DISABLED")


def test_a_remembered_invalid_document_is_answered_alike_every_time(
        client: TestClient) -> None:
    answers = [client.post("/graphql", json={"query": "{ nope }"}).json() for _ in range(3)]
    assert answers[0] == answers[1] == answers[2]
    assert [e["extensions"]["code"] for e in answers[0]["errors"]] == [
        "GRAPHQL_VALIDATION_FAILED"]


def test_the_document_cache_is_bounded() -> None:
    cache = DocumentCache(max_entries=2, max_length=20)
    for text in ("{ a }", "{ b }", "{ c }"):
        cache.remember(text, parse(text))
    assert len(cache) == 2
    assert cache.document("{ a }") is None and cache.document("{ c }") is not None
    long = "{ " + "a " * 20 + "}"
    cache.remember(long, parse(long))
    assert cache.document(long) is None


# -- the cost model on the document --------------------------------------------------------

SCHEMA = build_test_schema(None, [])._schema  # type: ignore[arg-type]


def codes(query: str, variables: dict[str, Any] | None = None, **settings: Any) -> list[str]:
    document = parse(query)
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    errors = measure_document(SCHEMA, operations, fragments, Settings(**settings), variables)
    return [e.extensions["code"] for e in errors]  # type: ignore[index]


PAGE = "{ notes(first: 10) { edges { node { id } } } }"  # 1 + 10 * (edges 1 + node 1 + id 1)


def test_a_page_multiplies_the_cost_of_its_selection() -> None:
    assert codes(PAGE, max_cost=31) == []
    assert codes(PAGE, max_cost=30) == ["QUERY_TOO_COMPLEX"]


def test_without_first_the_default_page_size_counts() -> None:
    query = "{ notes { edges { node { id } } } }"
    assert codes(query, max_cost=61, default_page_size=20) == []
    assert codes(query, max_cost=60, default_page_size=20) == ["QUERY_TOO_COMPLEX"]


def test_fragments_and_inline_fragments_count_per_spread() -> None:
    with_fragment = ("{ notes(first: 10) { ...Page } } "
                     "fragment Page on NoteConnection { edges { node { id } } }")
    assert codes(with_fragment, max_cost=31) == []
    assert codes(with_fragment, max_cost=30) == ["QUERY_TOO_COMPLEX"]
    inline = "{ notes(first: 10) { ... on NoteConnection { edges { node { id } } } } }"
    assert codes(inline, max_cost=30) == ["QUERY_TOO_COMPLEX"]
    twice = ("{ a: notes(first: 10) { ...Page } b: notes(first: 10) { ...Page } } "
             "fragment Page on NoteConnection { edges { node { id } } }")
    assert codes(twice, max_cost=62) == []
    assert codes(twice, max_cost=61) == ["QUERY_TOO_COMPLEX"]


def test_a_list_argument_counts_its_length() -> None:
    query = "{ notesById(ids: [1, 2, 3, 4]) { id body } }"  # 1 + 4 * 2
    assert codes(query, max_cost=9) == []
    assert codes(query, max_cost=8) == ["QUERY_TOO_COMPLEX"]
    variable = "query Q($ids: [Int!]!) { notesById(ids: $ids) { id body } }"
    assert codes(variable, {"ids": list(range(4))}, max_cost=8) == ["QUERY_TOO_COMPLEX"]


def test_introspection_costs_nothing() -> None:
    assert codes("{ __typename __schema { types { name } } }", max_cost=0) == []


def test_aliases_inside_fragments_count_per_spread() -> None:
    query = "{ ...A ...B } fragment A on Query { x: hello y: hello } fragment B on Query { ...A }"
    assert codes(query, max_aliases=4) == []
    assert codes(query, max_aliases=3) == ["TOO_MANY_ALIASES"]


def test_depth_counts_through_fragments() -> None:
    query = "{ notes { ...E } } fragment E on NoteConnection { edges { node { id } } }"
    assert codes(query, max_depth=4) == []
    assert codes(query, max_depth=3) == ["QUERY_TOO_DEEP"]


def test_a_fragment_bomb_is_measured_in_linear_time() -> None:
    # Each fragment spreads the next twice: 2**60 fields once expanded, a walk that would
    # never end; measured once per fragment, it takes 61 steps.
    fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} ...F{i + 1} }}"
                         for i in range(60))
    query = "{ ...F0 } " + fragments + " fragment F60 on Query { notes { totalCount } }"
    assert codes(query) == ["QUERY_TOO_COMPLEX"]


def test_a_page_size_error_is_reported_once_per_field() -> None:
    query = ("{ ...A ...A } fragment A on Query { notes(first: 1000) { totalCount } }")
    assert codes(query).count("PAGE_SIZE_TOO_LARGE") == 1


def test_remembered_validation_errors_are_handed_out_as_copies() -> None:
    """The error masking rewrites the errors it is given: a remembered one must not
    carry one request's rewriting into the next answer."""
    cache = DocumentCache()
    text = "{ nope }"
    document = parse(text)
    cache.remember(text, document)
    rules = tuple(specified_rules)
    first = cache.validate(SCHEMA, text, document, rules)
    assert first[0].message.startswith("Cannot query field 'nope'")
    first[0].extensions = {"code": "REWRITTEN"}
    second = cache.validate(SCHEMA, text, document, rules)
    assert second[0] is not first[0]
    assert second[0].message == first[0].message
    assert (second[0].extensions or {}).get("code") != "REWRITTEN"
