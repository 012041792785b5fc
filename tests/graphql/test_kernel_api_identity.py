"""Signing in and out through GraphQL, and ``me``: the kernel's promised ``tokenCreate``,
``tokenRevoke`` and ``me``, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select
from test_app_support import TestClient, counting_statements
from test_kernel_api_support import (
    PASSWORD,
    SETTINGS,
    SIGN_IN,
    add_user,
    basic_shop,
    caller,
    cheap_hashing,
    sign_in,
    signed_in,
    still_authenticates,
)

from openjxc.core.env import Environment
from openjxc.core.security import LoginFailure, User, create_api_key, invalidate
from openjxc.graphql import RequestContext, build_schema
from openjxc.graphql.app import create_app
from openjxc.testing.graphql import GraphQLTester

REVOKE = """
mutation($input: TokenRevokeInput!) { tokenRevoke(input: $input) { errors { field code message } } }
"""
ME = "{ me { username fullName locale isActive roles { name isAdmin } permissions " \
     "scopes { kind values } } }"


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap_hashing(monkeypatch)


@pytest.fixture
def env(database_url: str) -> Iterator[Environment]:
    yield from basic_shop(database_url)


def codes(result: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in result.get("errors", [])]


def failures(env: Environment) -> int:
    with env.unit_of_work() as session:
        return int(session.scalar(select(func.count()).select_from(LoginFailure)) or 0)


# -- tokenCreate --------------------------------------------------------------------------

def test_signing_in_returns_a_token_that_authenticates(env: Environment) -> None:
    add_user(env, "wang.li", permissions=["core.alert.read"])
    payload = sign_in(env, "Wang.Li")  # usernames are case-insensitive
    assert payload["errors"] == []
    assert payload["token"].startswith("ojt_")
    assert payload["expiresAt"].endswith("+00:00")
    assert payload["user"] == {"username": "wang.li", "permissions": ["core.alert.read"]}
    assert payload["retryAfterSeconds"] is None
    assert still_authenticates(env, payload["token"])


def test_an_unknown_user_and_a_wrong_password_get_the_same_answer(env: Environment) -> None:
    add_user(env, "wang.li")
    wrong_password = sign_in(env, "wang.li", "not-the-password")
    unknown_user = sign_in(env, "nobody", PASSWORD)
    for payload in (wrong_password, unknown_user):
        assert payload["token"] is None and payload["user"] is None
        assert payload["errors"] == [
            {"field": None, "code": "INVALID_CREDENTIALS", "message": "用户名或密码错误"}]
    english = GraphQLTester(env, locale="en").anonymous().ok(
        SIGN_IN, {"input": {"username": "nobody", "password": "x"}})
    assert english["tokenCreate"]["errors"][0]["message"] == "Invalid username or password"


def test_after_the_allowed_failures_even_the_right_password_waits(env: Environment) -> None:
    add_user(env, "wang.li")
    for _ in range(3):  # SETTINGS.login_max_failures
        assert sign_in(env, "wang.li", "guess-1234")["errors"][0]["code"] == \
            "INVALID_CREDENTIALS"
    throttled = sign_in(env, "wang.li", PASSWORD)
    assert throttled["token"] is None
    assert throttled["errors"] == [{"field": None, "code": "TOO_MANY_ATTEMPTS",
                                    "message": "登录失败次数过多，请稍后再试"}]
    assert 0 < throttled["retryAfterSeconds"] <= 300


def test_a_refused_login_counts_although_its_operation_rolls_back(env: Environment) -> None:
    add_user(env, "wang.li")
    # The second field fails (anonymous), so the operation's unit of work rolls back.
    document = """mutation { tokenCreate(input: {username: "wang.li", password: "guess-1234"})
                  { errors { code } }
                  alertAcknowledge(input: {id: "QWxlcnQ6MQ=="}) { errors { code } } }"""
    anonymous = GraphQLTester(env).anonymous()
    for attempt in range(1, 4):
        result = anonymous.execute(document)
        assert codes(result) == ["UNAUTHENTICATED"]
        assert result["data"] is None  # alertAcknowledge is non-null: the whole answer
        assert failures(env) == attempt
    assert sign_in(env, "wang.li")["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"


@pytest.fixture
def pg_env(pg_database_url: str) -> Iterator[Environment]:
    yield from basic_shop(pg_database_url)


def test_a_refused_login_commits_nothing_else_of_its_operation(pg_env: Environment) -> None:
    """The login's failure is committed on its own; the category written before it in the
    same document is not.  (PostgreSQL only: on SQLite that earlier write holds the lock
    the login's unit of work would wait for — see ``kernel_api.tokens``.)"""
    add_user(pg_env, "wang.li")
    api = GraphQLTester(pg_env, permissions={"catalog.category.create",
                                             "catalog.category.read"})
    result = api.execute("""mutation {
        categoryCreate(input: {code: "DJ", name: "电机"}) { errors { code } }
        tokenCreate(input: {username: "wang.li", password: "guess-1234"}) { errors { code } }
        alertAcknowledge(input: {id: "QWxlcnQ6MQ=="}) { errors { code } } }""")
    assert codes(result) == ["FORBIDDEN"]
    assert failures(pg_env) == 1
    assert api.ok("{ categories { totalCount } }")["categories"]["totalCount"] == 0


def _sign_in_from(env: Environment, address: str, username: str, password: str,
                  ) -> dict[str, Any]:
    """``tokenCreate`` as the HTTP layer runs it: a request with a client address."""
    request = SimpleNamespace(client=SimpleNamespace(host=address))
    context = RequestContext(env, locale="en", request=request)
    try:
        result = asyncio.run(build_schema(env).execute(
            SIGN_IN, variable_values={"input": {"username": username, "password": password}},
            context_value=context))
    finally:
        context.close()
    assert result.errors is None
    assert result.data is not None
    return dict(result.data["tokenCreate"])


def test_failures_also_count_per_client_address(env: Environment) -> None:
    add_user(env, "wang.li")
    for name in ("a.guess", "b.guess", "c.guess"):  # one failure each: no username throttled
        _sign_in_from(env, "203.0.113.5", name, "guess-1234")
    refused = _sign_in_from(env, "203.0.113.5", "wang.li", PASSWORD)
    assert refused["errors"][0]["code"] == "TOO_MANY_ATTEMPTS"
    elsewhere = _sign_in_from(env, "198.51.100.1", "wang.li", PASSWORD)
    assert elsewhere["errors"] == [] and elsewhere["token"].startswith("ojt_")


def test_signing_in_and_out_over_http(env: Environment) -> None:
    add_user(env, "wang.li")
    with TestClient(create_app(env, SETTINGS)) as client:
        def post(query: str, variables: dict[str, Any], token: str | None = None,
                 ) -> dict[str, Any]:
            headers = {"authorization": f"Bearer {token}"} if token else {}
            response = client.post("/graphql", json={"query": query, "variables": variables},
                                   headers=headers)
            return dict(response.json())

        credentials = {"input": {"username": "wang.li", "password": PASSWORD}}
        wrong = {"input": {"username": "wang.li", "password": "guess-1234"}}
        assert post(SIGN_IN, wrong)["data"]["tokenCreate"]["errors"][0]["code"] == \
            "INVALID_CREDENTIALS"
        with env.unit_of_work() as session:  # the address came from the HTTP request
            assert list(session.scalars(select(LoginFailure.client))) == ["testclient"]
        token = post(SIGN_IN, credentials)["data"]["tokenCreate"]["token"]
        assert post("{ me { username } }", {}, token) == {"data": {"me": {"username": "wang.li"}}}
        assert post(REVOKE, {"input": {}}, token) == {"data": {"tokenRevoke": {"errors": []}}}
        after = post("{ me { username } }", {}, token)
        assert codes(after) == ["UNAUTHENTICATED"]


# -- tokenRevoke --------------------------------------------------------------------------

def test_revoking_without_a_token_signs_the_caller_out(env: Environment) -> None:
    add_user(env, "wang.li")
    payload = sign_in(env, "wang.li")
    api = caller(env, payload["token"])
    assert api.ok(REVOKE, {"input": {}})["tokenRevoke"]["errors"] == []
    assert not still_authenticates(env, payload["token"])
    again = api.ok(REVOKE, {"input": {}})["tokenRevoke"]["errors"]
    assert [(e["field"], e["code"]) for e in again] == [(["token"], "NOT_FOUND")]


def test_a_named_token_is_revoked_and_only_that_one(env: Environment) -> None:
    add_user(env, "wang.li")
    phone, desk = sign_in(env, "wang.li")["token"], sign_in(env, "wang.li")["token"]
    api = caller(env, desk)
    assert api.ok(REVOKE, {"input": {"token": phone}})["tokenRevoke"]["errors"] == []
    assert not still_authenticates(env, phone)
    assert still_authenticates(env, desk)
    unknown = api.ok(REVOKE, {"input": {"token": "ojt_nothing"}})["tokenRevoke"]["errors"]
    assert unknown == [{"field": ["token"], "code": "NOT_FOUND",
                        "message": "此令牌不存在或已被撤销"}]


def test_revoking_needs_a_signed_in_caller(env: Environment) -> None:
    result = GraphQLTester(env).anonymous().execute(REVOKE, {"input": {}})
    assert codes(result) == ["UNAUTHENTICATED"]


def test_a_caller_signed_with_an_api_key_must_name_the_token(env: Environment) -> None:
    add_user(env, "wang.li", roles=["admin"])
    with env.unit_of_work() as session:
        key = create_api_key(session, env, "wang.li", "sync", ["core.alert.read"]).key
    errors = caller(env, key).ok(REVOKE, {"input": {}})["tokenRevoke"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [(["token"], "INVALID")]
    assert still_authenticates(env, key)


# -- me -----------------------------------------------------------------------------------

def test_me_says_who_is_calling_and_what_they_may_do(env: Environment) -> None:
    add_user(env, "wang.li", permissions=["core.alert.read", "core.addon.read"],
             scopes={"warehouse": [3, 1]}, locale="en")
    assert signed_in(env, "wang.li").ok(ME)["me"] == {
        "username": "wang.li", "fullName": "Wang.Li", "locale": "en", "isActive": True,
        "roles": [{"name": "wang_li_role", "isAdmin": False}],
        "permissions": ["core.addon.read", "core.alert.read"],
        "scopes": [{"kind": "warehouse", "values": ["1", "3"]}],
    }


def test_an_administrator_holds_every_declared_permission(env: Environment) -> None:
    add_user(env, "boss", roles=["admin"])
    me = signed_in(env, "boss").ok(ME)["me"]
    assert me["permissions"] == sorted(env.permissions.names)
    assert "catalog.product.read" in me["permissions"]
    assert me["roles"] == [{"name": "admin", "isAdmin": True}]
    assert me["locale"] == "zh_CN"  # no setting of their own: the deployment's
    assert me["scopes"] == []


def test_me_through_an_api_key_shows_the_keys_permissions(env: Environment) -> None:
    add_user(env, "boss", roles=["admin"])
    with env.unit_of_work() as session:
        key = create_api_key(session, env, "boss", "sync", ["core.alert.read"]).key
    me = caller(env, key).ok(ME)["me"]
    assert me["username"] == "boss"
    assert me["permissions"] == ["core.alert.read"]


def test_me_needs_a_signed_in_caller(env: Environment) -> None:
    result = GraphQLTester(env).anonymous().execute(ME)
    assert codes(result) == ["UNAUTHENTICATED"]
    assert result["data"] == {"me": None}


def test_other_users_are_read_by_id_with_core_user_read(env: Environment) -> None:
    add_user(env, "boss", roles=["admin"])
    add_user(env, "wang.li", permissions=["core.alert.read"])
    clerk = signed_in(env, "wang.li")
    user_id = clerk.ok("{ me { id } }")["me"]["id"]
    query = "query($id: ID!) { node(id: $id) { ... on User { username permissions } } }"
    refused = clerk.execute(query, {"id": user_id})
    assert codes(refused) == ["FORBIDDEN"]
    assert signed_in(env, "boss").ok(query, {"id": user_id})["node"] == {
        "username": "wang.li", "permissions": ["core.alert.read"]}


# -- me: what it costs ----------------------------------------------------------------------

class Http:
    """``/graphql`` of a real app, signed in as ``username`` with a real token."""

    def __init__(self, env: Environment, client: TestClient, user_id: int,
                 username: str) -> None:
        self.env = env
        self.client = client
        self.user_id = user_id
        self.token = sign_in(env, username)["token"]

    def post(self, query: str) -> tuple[dict[str, Any], list[str]]:
        """The answer, and every SQL statement run meanwhile except SQLite's ``BEGIN``."""
        with counting_statements(self.env.database.engine) as statements:
            response = self.client.post("/graphql", json={"query": query}, headers={
                "authorization": f"Bearer {self.token}"})
        return dict(response.json()), [s for s in statements if not s.startswith("BEGIN")]


@pytest.fixture
def http(env: Environment) -> Iterator[Http]:
    user_id = add_user(env, "wang.li", permissions=["core.alert.read"],
                       scopes={"warehouse": [3]}, locale="en")
    with TestClient(create_app(env, SETTINGS)) as client:
        yield Http(env, client, user_id, "wang.li")


def test_me_from_what_authentication_knows_costs_no_sql(http: Http) -> None:
    query = "{ me { __typename id username locale permissions scopes { kind values } } }"
    first, statements = http.post(query)
    assert statements  # the token is new to this process: authenticated from the database
    again, statements = http.post(query)
    assert again == first
    assert again["data"]["me"]["username"] == "wang.li"
    assert again["data"]["me"]["permissions"] == ["core.alert.read"]
    assert again["data"]["me"]["scopes"] == [{"kind": "warehouse", "values": ["3"]}]
    assert statements == []


def test_me_reads_name_state_and_roles_in_one_statement(http: Http) -> None:
    http.post("{ me { username } }")  # the token is known from now on
    answer, statements = http.post("{ me { username fullName isActive roles { name } } }")
    assert answer == {"data": {"me": {"username": "wang.li", "fullName": "Wang.Li",
                                      "isActive": True, "roles": [{"name": "wang_li_role"}]}}}
    assert len(statements) == 1
    aliased, statements = http.post("{ a: me { fullName } b: me { roles { name } } }")
    assert aliased["data"] == {"a": {"fullName": "Wang.Li"},
                               "b": {"roles": [{"name": "wang_li_role"}]}}
    assert len(statements) == 1


def test_me_sees_fields_asked_through_fragments(http: Http) -> None:
    http.post("{ me { username } }")
    for query in ("{ me { ...Who } } fragment Who on User { username ...Name }"
                  " fragment Name on User { fullName }",
                  "{ me { ... on User { isActive } } }"):
        answer, statements = http.post(query)
        assert "errors" not in answer, answer
        assert len(statements) == 1
    named, _ = http.post("{ me { ...W } } fragment W on User { ... { fullName } }")
    assert named == {"data": {"me": {"fullName": "Wang.Li"}}}


def test_me_is_null_once_the_user_is_gone_if_the_database_is_asked(http: Http) -> None:
    http.post("{ me { username } }")
    with http.env.unit_of_work() as session:
        session.delete(session.get(User, http.user_id))
    # Deleting a user takes its tokens with it; this process learns it within the cache
    # time, or at once when told.
    answer, _ = http.post("{ me { fullName } }")
    assert answer == {"data": {"me": None}}
    invalidate(user_id=http.user_id)
    answer, _ = http.post("{ me { username } }")
    assert codes(answer) == ["UNAUTHENTICATED"]
