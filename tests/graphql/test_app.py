"""The HTTP app: health, readiness, request ids, the unit of work and error masking.

Served with the small schema of ``test_app_support`` on a real kernel database, so that
what is tested is the transport, not what addons contribute.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from sqlalchemy import func, select
from test_app_support import (
    SECRET,
    TestClient,
    add_user,
    build_test_schema,
    counting_statements,
    kernel_env,
    notes,
)

from openjxc.core.config import Settings
from openjxc.core.db import Database
from openjxc.core.env import Environment
from openjxc.core.errors import DatabaseBehindError, MigrationError
from openjxc.core.migrate import alembic_config
from openjxc.core.security import AccessToken, invalidate
from openjxc.graphql.app import create_app


@pytest.fixture
def env(tmp_path: Path) -> Environment:
    return kernel_env(f"sqlite:///{tmp_path / 'app.db'}")


def serve(env: Environment, **settings: Any) -> TestClient:
    return TestClient(create_app(env, Settings(**settings), schema_builder=build_test_schema))


@pytest.fixture
def client(env: Environment) -> Iterator[TestClient]:
    with serve(env) as client:
        yield client


def post(client: TestClient, query: str, token: str | None = None,
         **headers: str) -> dict[str, Any]:
    if token:
        headers["authorization"] = f"Bearer {token}"
    return dict(client.post("/graphql", json={"query": query}, headers=headers).json())


def count_notes(env: Environment) -> int:
    with env.unit_of_work(readonly=True) as session:
        return int(session.scalar(select(func.count()).select_from(notes)) or 0)


def behind(env: Environment) -> None:
    """Make the database look as if its migrations had never run."""
    with env.database.engine.begin() as connection:
        command.stamp(alembic_config(env, connection), "base", purge=True)


# -- health and readiness ---------------------------------------------------------------------

def test_healthz_says_the_process_is_alive_without_touching_the_database(
        client: TestClient, env: Environment) -> None:
    with counting_statements(env.database.engine) as statements:
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert statements == []


def test_readyz_is_ready_on_a_database_at_head(client: TestClient) -> None:
    response = client.get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ready"})


def test_readyz_is_unavailable_when_migrations_fall_behind(client: TestClient,
                                                           env: Environment) -> None:
    behind(env)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert "openjxc migrate" in response.json()["reason"]


def test_readyz_is_unavailable_when_the_database_does_not_answer() -> None:
    unreachable = Environment([], database=Database("postgresql://nobody@127.0.0.1:1/none"),
                              settings=Settings())
    app = create_app(unreachable, check_migrations=False, schema_builder=build_test_schema)
    with TestClient(app) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["reason"].startswith("database unreachable")
        assert client.get("/healthz").status_code == 200


def test_the_app_refuses_to_start_on_a_database_that_is_behind(env: Environment) -> None:
    behind(env)
    with pytest.raises(DatabaseBehindError, match="openjxc migrate"):
        create_app(env, schema_builder=build_test_schema)


def test_the_app_refuses_to_start_on_an_empty_database(tmp_path: Path) -> None:
    empty = Environment([], database=Database(f"sqlite:///{tmp_path / 'empty.db'}"),
                        settings=Settings())
    with pytest.raises(MigrationError, match="openjxc init"):
        create_app(empty, schema_builder=build_test_schema)


def test_an_environment_factory_is_checked_at_startup(env: Environment) -> None:
    behind(env)
    app = create_app(lambda: env, Settings(), schema_builder=build_test_schema)
    with pytest.raises(DatabaseBehindError), TestClient(app):
        pass


# -- request ids ------------------------------------------------------------------------------

def test_every_response_carries_a_request_id(client: TestClient) -> None:
    generated = client.get("/healthz").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    assert client.get("/healthz").headers["x-request-id"] != generated
    echoed = client.post("/graphql", json={"query": "{ hello }"},
                         headers={"x-request-id": "pda-7:retry-2"})
    assert echoed.headers["x-request-id"] == "pda-7:retry-2"


@pytest.mark.parametrize("given", ["has spaces", "x" * 200, "<script>", "-leading-dash"])
def test_an_unsafe_request_id_is_replaced(client: TestClient, given: str) -> None:
    answered = client.get("/healthz", headers={"x-request-id": given}).headers["x-request-id"]
    assert answered != given
    assert re.fullmatch(r"[0-9a-f]{32}", answered)


# -- GET and POST ---------------------------------------------------------------------------

def test_a_query_may_come_over_get(client: TestClient) -> None:
    response = client.get("/graphql", params={"query": "{ hello }"})
    assert response.json() == {"data": {"hello": "hello"}}


def test_a_mutation_over_get_is_refused_and_changes_nothing(client: TestClient,
                                                            env: Environment) -> None:
    with counting_statements(env.database.engine) as statements:
        response = client.get("/graphql", params={"query": 'mutation { noteAdd(body: "x") }'})
    assert response.status_code == 400
    assert "mutations are not allowed" in response.json()["errors"][0]["message"]
    assert statements == []
    assert count_notes(env) == 0


def test_graphiql_follows_the_settings(env: Environment) -> None:
    browser = {"accept": "text/html"}
    with serve(env, graphiql=True) as client:
        page = client.get("/graphql", headers=browser)
        assert page.status_code == 200
        assert "graphiql" in page.text.lower()
    with serve(env, graphiql=False) as client:
        assert client.get("/graphql", headers=browser).status_code == 404


# -- one unit of work per request ---------------------------------------------------------------

@pytest.fixture
def any_env(database_url: str) -> Iterator[Environment]:
    """A kernel database on each backend (SQLite and PostgreSQL)."""
    env = kernel_env(database_url)
    yield env
    env.database.dispose()


def test_a_mutation_commits_at_the_end_of_the_request(any_env: Environment) -> None:
    with serve(any_env) as client:
        body = post(client, 'mutation { a: noteAdd(body: "one") b: noteAdd(body: "two") }')
    assert "errors" not in body
    assert count_notes(any_env) == 2


def test_an_error_in_a_mutation_rolls_the_whole_request_back(any_env: Environment) -> None:
    with serve(any_env) as client:
        body = post(client, 'mutation { a: noteAdd(body: "one") '
                            'b: noteAdd(body: "two", fail: true) }')
    assert body["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert count_notes(any_env) == 0


def test_a_commit_that_fails_is_an_internal_error_and_saves_nothing(
        any_env: Environment, caplog: pytest.LogCaptureFixture) -> None:
    with serve(any_env) as client, caplog.at_level(logging.ERROR):
        body = post(client, 'mutation { noteReply(parent: 999, body: "orphan") }')
    assert body["data"] is None
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] in caplog.text
    assert count_notes(any_env) == 0


def test_a_hidden_field_does_not_undo_the_mutation(any_env: Environment) -> None:
    with serve(any_env) as client:
        body = post(client, 'mutation { noteCreate(body: "kept") { id secret } }')
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert body["errors"][0]["path"] == ["noteCreate", "secret"]
    assert count_notes(any_env) == 1


def test_a_query_reads_without_taking_the_write_lock(client: TestClient,
                                                     env: Environment) -> None:
    with counting_statements(env.database.engine) as statements:
        post(client, "{ notes { totalCount } }")
    begins = [s for s in statements if s.startswith("BEGIN")]
    assert begins == ["BEGIN DEFERRED"]
    with counting_statements(env.database.engine) as statements:
        post(client, 'mutation { noteAdd(body: "x") }')
    assert [s for s in statements if s.startswith("BEGIN")] == ["BEGIN IMMEDIATE"]


def test_a_request_that_needs_no_data_opens_no_transaction(client: TestClient,
                                                           env: Environment) -> None:
    with counting_statements(env.database.engine) as statements:
        assert post(client, "{ hello __typename }") == {
            "data": {"hello": "hello", "__typename": "Query"}}
    assert statements == []


# -- errors -------------------------------------------------------------------------------------

def test_an_unexpected_error_is_masked_and_logged_with_the_request_id(
        client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        response = client.post("/graphql", json={"query": "{ boom }"},
                               headers={"accept-language": "en"})
    request_id = response.headers["x-request-id"]
    error = response.json()["errors"][0]
    assert error["message"] == "Internal server error"
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert error["path"] == ["boom"]
    assert SECRET not in response.text
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert SECRET in caplog.text  # the trace is in the server's log, not in the answer


def test_the_masked_message_speaks_the_callers_language(client: TestClient) -> None:
    chinese = post(client, "{ boom }", **{"accept-language": "zh-CN,zh;q=0.9"})
    assert chinese["errors"][0]["message"] == "服务器内部错误"
    english = post(client, "{ boom }", **{"accept-language": "en-US"})
    assert english["errors"][0]["message"] == "Internal server error"


@pytest.mark.parametrize(("query", "code"), [
    ("{ forbidden }", "FORBIDDEN"),
    ("{ hello ", "GRAPHQL_PARSE_FAILED"),
    ("{ nothingHere }", "GRAPHQL_VALIDATION_FAILED"),
    ('{ notesById(ids: ["x"]) { id } }', "GRAPHQL_VALIDATION_FAILED"),
])
def test_expected_errors_are_shown_with_a_code(client: TestClient, query: str,
                                               code: str) -> None:
    error = post(client, query)["errors"][0]
    assert error["extensions"]["code"] == code
    assert error["message"] != "Internal server error"


# -- who is calling -------------------------------------------------------------------------------

def test_a_bearer_token_makes_the_caller_known(client: TestClient, env: Environment) -> None:
    token = add_user(env, "alice")
    assert post(client, "{ me }", token)["data"] == {"me": "alice"}
    assert post(client, "{ me }")["data"] == {"me": None}
    assert post(client, "{ me }", "ojt_not-a-real-token")["data"] == {"me": None}


def test_a_busy_write_lock_never_fails_authentication(client: TestClient,
                                                      env: Environment) -> None:
    """Recording ``last_used_at`` is bookkeeping: while another connection holds SQLite's
    write lock far longer than the retries last, a fresh (uncached, never used) token
    still authenticates, and its use is recorded by a later request."""
    token = add_user(env, "alice")
    path = env.database.engine.url.database
    assert path is not None
    writer = sqlite3.connect(path, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE core_user SET full_name = full_name")
        started = time.monotonic()
        assert post(client, "{ me }", token)["data"] == {"me": "alice"}
        assert time.monotonic() - started < 5
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    with env.unit_of_work(readonly=True) as session:
        assert session.scalar(select(AccessToken.last_used_at)) is None
    invalidate(bearer=token)
    assert post(client, "{ me }", token)["data"] == {"me": "alice"}
    with env.unit_of_work(readonly=True) as session:
        assert session.scalar(select(AccessToken.last_used_at)) is not None


def test_the_users_own_language_wins_over_the_browsers(client: TestClient,
                                                       env: Environment) -> None:
    english_user = add_user(env, "bob", locale="en")
    headers = {"accept-language": "zh-CN"}
    assert post(client, "{ locale }", english_user, **headers)["data"] == {"locale": "en"}
    assert post(client, "{ locale }", **headers)["data"] == {"locale": "zh_CN"}
    assert post(client, "{ locale }", **{"accept-language": "en"})["data"] == {"locale": "en"}


def test_a_user_without_a_language_of_their_own_gets_the_browsers(
        client: TestClient, env: Environment) -> None:
    someone = add_user(env, "carol")  # no locale of their own
    assert post(client, "{ locale }", someone, **{"accept-language": "en-US"})["data"] == {
        "locale": "en"}
    assert post(client, "{ locale }", someone, **{"accept-language": "zh-CN"})["data"] == {
        "locale": "zh_CN"}
    assert post(client, "{ locale }", someone)["data"] == {"locale": "zh_CN"}  # the default


@pytest.mark.anyio
async def test_a_factory_app_resolves_its_environment_on_first_use(env: Environment) -> None:
    made: list[Environment] = []

    def factory() -> Environment:
        made.append(env)
        return env

    app = create_app(factory, Settings(), schema_builder=build_test_schema)
    assert made == []  # importing or creating the app opens no database
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop") as client:
        answer = await client.post("/graphql", json={"query": "{ hello }"})
        assert answer.json() == {"data": {"hello": "hello"}}
        assert (await client.get("/readyz")).status_code == 200
    assert made == [env]
