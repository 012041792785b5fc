"""Subscriptions over WebSocket (graphql-transport-ws): who may connect, and how many.

A connection is authenticated once, by the ``connection_init`` payload; each operation
on it then gets its own context (its own session), and a connection holds at most
``Settings.max_subscriptions_per_connection`` operations at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.websockets import WebSocketDisconnect
from test_app_support import TestClient, add_user, build_test_schema, kernel_env

from openjxc.core.config import Settings
from openjxc.core.env import Environment
from openjxc.core.models import utcnow
from openjxc.core.security import revoke_token
from openjxc.graphql import app as app_module
from openjxc.graphql.app import TransportWSHandler, create_app

PROTOCOL = ["graphql-transport-ws"]


@pytest.fixture
def env(tmp_path: Path) -> Environment:
    return kernel_env(f"sqlite:///{tmp_path / 'ws.db'}")


@pytest.fixture
def token(env: Environment) -> str:
    return add_user(env, "carol")


def serve(env: Environment, **settings: Any) -> TestClient:
    return TestClient(create_app(env, Settings(**settings), schema_builder=build_test_schema))


@pytest.fixture
def client(env: Environment) -> Iterator[TestClient]:
    with serve(env, max_subscriptions_per_connection=2) as client:
        yield client


def subscribe(ws: Any, op_id: str, query: str) -> None:
    ws.send_json({"id": op_id, "type": "subscribe", "payload": {"query": query}})


def closed_with(client: TestClient, payload: dict[str, Any] | None) -> int:
    """Open a connection, send ``connection_init`` and return the close code."""
    with client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws:
        message: dict[str, Any] = {"type": "connection_init"}
        if payload is not None:
            message["payload"] = payload
        ws.send_json(message)
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    return closed.value.code


def test_an_anonymous_connection_is_refused(client: TestClient) -> None:
    assert closed_with(client, None) == 4403
    assert closed_with(client, {}) == 4403


def test_an_invalid_token_is_refused(client: TestClient) -> None:
    assert closed_with(client, {"authorization": "Bearer ojt_forged"}) == 4403
    assert closed_with(client, {"authorization": "Basic YWxhZGRpbjpvcGVu"}) == 4403


def test_subscribing_before_connection_init_is_refused(client: TestClient) -> None:
    with client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws:
        subscribe(ws, "1", "subscription { ticks }")
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    assert closed.value.code == 4401


def test_the_legacy_protocol_is_not_spoken(client: TestClient) -> None:
    with client.websocket_connect("/graphql", subprotocols=["graphql-ws"]) as ws, \
            pytest.raises(WebSocketDisconnect) as closed:
        ws.receive_json()
    assert closed.value.code == 4406


@pytest.fixture
def ws(client: TestClient, token: str) -> Iterator[Any]:
    with client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        assert ws.receive_json() == {"type": "connection_ack"}
        yield ws


def test_an_authenticated_connection_streams_a_subscription(ws: Any) -> None:
    subscribe(ws, "t", "subscription { ticks(count: 3) }")
    received = [ws.receive_json() for _ in range(4)]
    assert [m["payload"]["data"]["ticks"] for m in received[:3]] == [0, 1, 2]
    assert received[3] == {"id": "t", "type": "complete"}


def test_a_subscription_knows_its_caller_and_reads_the_database(ws: Any) -> None:
    subscribe(ws, "w", "subscription { whoami }")
    assert ws.receive_json()["payload"] == {"data": {"whoami": "carol 0"}}


def test_queries_run_over_the_connection_too(ws: Any) -> None:
    subscribe(ws, "q", "{ me notes { totalCount } }")
    assert ws.receive_json()["payload"] == {"data": {"me": "carol", "notes": {"totalCount": 0}}}


def test_a_connection_holds_at_most_the_configured_number_of_subscriptions(ws: Any) -> None:
    subscribe(ws, "a", "subscription { forever }")
    subscribe(ws, "b", "subscription { forever }")
    subscribe(ws, "c", "subscription { forever }")
    refused = None
    for _ in range(50):
        message = ws.receive_json()
        if message["type"] == "error":
            refused = message
            break
    assert refused is not None and refused["id"] == "c"
    assert refused["payload"][0]["extensions"] == {"code": "TOO_MANY_SUBSCRIPTIONS",
                                                   "maxSubscriptions": 2}
    # Completing one frees a place.
    ws.send_json({"id": "a", "type": "complete"})
    subscribe(ws, "d", "subscription { ticks(count: 1) }")
    for _ in range(100):
        message = ws.receive_json()
        if message["id"] == "d":
            assert message["type"] == "next"
            break
    else:
        pytest.fail("the subscription after a completed one never answered")


def test_a_hostile_subscription_is_refused_by_the_limits(ws: Any) -> None:
    aliases = " ".join(f"t{i}: ticks(count: 1)" for i in range(31))
    subscribe(ws, "h", "subscription { " + aliases + " }")
    message = ws.receive_json()
    assert message["type"] == "error"
    assert message["payload"][0]["extensions"]["code"] == "TOO_MANY_ALIASES"


def test_a_masked_error_names_the_connection_and_the_operation(client: TestClient,
                                                               token: str) -> None:
    with client.websocket_connect("/graphql", subprotocols=PROTOCOL,
                                  headers={"x-request-id": "tablet-3"}) as ws:
        ws.send_json({"type": "connection_init",
                      "payload": {"authorization": f"Bearer {token}"}})
        ws.receive_json()
        subscribe(ws, "x", "{ boom }")
        error = ws.receive_json()["payload"]["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] == "tablet-3:x"


def test_a_subscription_over_plain_http_is_refused(client: TestClient, token: str) -> None:
    for accept in ("application/json", "text/event-stream"):
        body = client.post("/graphql", json={"query": "subscription { ticks }"},
                           headers={"authorization": f"Bearer {token}", "accept": accept}).json()
        assert body["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
        assert "WebSocket" in body["errors"][0]["message"]


# -- a credential that lapses while it streams ------------------------------------------------

def stream_until_closed(ws: Any, limit: int = 200) -> tuple[int, int]:
    """Read ``next`` messages until the server closes; (how many, the close code)."""
    received = 0
    with pytest.raises(WebSocketDisconnect) as closed:
        for _ in range(limit):
            message = ws.receive_json()
            assert message["type"] == "next"
            received += 1
    return received, closed.value.code


def test_a_revoked_token_ends_its_subscriptions(env: Environment, client: TestClient,
                                                token: str, monkeypatch: pytest.MonkeyPatch,
                                                ) -> None:
    monkeypatch.setattr(TransportWSHandler, "credential_recheck_seconds", 0.0)
    with client.websocket_connect("/graphql", subprotocols=PROTOCOL) as ws:
        ws.send_json({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        assert ws.receive_json() == {"type": "connection_ack"}
        subscribe(ws, "f", "subscription { forever }")
        assert ws.receive_json()["type"] == "next"
        with env.unit_of_work() as session:
            assert revoke_token(session, token)
        received, code = stream_until_closed(ws)
    assert code == 4401
    assert received <= 2  # at most what was under way when the token was revoked


def test_an_expired_token_ends_its_subscriptions(ws: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    subscribe(ws, "f", "subscription { forever }")
    assert ws.receive_json()["type"] == "next"
    later = utcnow() + timedelta(days=30)
    monkeypatch.setattr(app_module, "utcnow", lambda: later)
    received, code = stream_until_closed(ws)
    assert code == 4401
    assert received <= 2


def test_a_live_token_keeps_streaming_across_rechecks(ws: Any,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TransportWSHandler, "credential_recheck_seconds", 0.0)
    subscribe(ws, "t", "subscription { ticks(count: 5) }")
    received = [ws.receive_json() for _ in range(6)]
    assert [m["payload"]["data"]["ticks"] for m in received[:5]] == [0, 1, 2, 3, 4]
    assert received[5] == {"id": "t", "type": "complete"}
