"""Shared fixtures of the kernel API tests: a basic shop on each backend, its people, and
callers who signed in for real (``tokenCreate`` → ``authenticate``), so that what ``me``,
``tokenRevoke`` and the API key rules see is what a request would see."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher, Type

from openjxc.core.alerts import Alert
from openjxc.core.config import Settings
from openjxc.core.env import Environment
from openjxc.core.security import authenticate, create_user, ensure_role, passwords
from openjxc.testing.fixtures import create_test_database
from openjxc.testing.graphql import GraphQLTester

SETTINGS = Settings(login_max_failures=3, login_window_seconds=300, token_ttl_seconds=3600)
PASSWORD = "s3cret-pass"
T0 = datetime(2030, 3, 1, 8, 0, tzinfo=UTC)

SIGN_IN = """
mutation($input: TokenCreateInput!) {
  tokenCreate(input: $input) {
    token expiresAt retryAfterSeconds
    user { username permissions }
    errors { field code message }
  }
}
"""


def cheap_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with toy parameters: these tests are about the API, not the hash's cost.
    (Each test module wraps this and :func:`basic_shop` in fixtures of its own.)"""
    monkeypatch.setattr(passwords, "HASHER", PasswordHasher(
        time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID))


def basic_shop(database_url: str) -> Iterator[Environment]:
    """A basic-edition database with every table, the kernel's included."""
    env = Environment.for_edition("basic", database_url=database_url, settings=SETTINGS)
    create_test_database(env)
    yield env
    env.database.dispose()


def add_user(env: Environment, username: str, *, roles: Iterable[str] = (),
             permissions: Iterable[str] = (), scopes: Mapping[str, Iterable[int]] | None = None,
             locale: str | None = None) -> int:
    """A user holding ``roles`` plus a role of their own with ``permissions``."""
    with env.unit_of_work() as session:
        names = list(roles)
        wanted = list(permissions)
        if wanted:
            own = f"{username.replace('.', '_')}_role"
            ensure_role(session, own, wanted, description="Test role", env=env)
            names.append(own)
        user = create_user(session, env, username, PASSWORD, roles=names, locale=locale,
                           full_name=username.title(), scopes=scopes)
        return user.id


def sign_in(env: Environment, username: str, password: str = PASSWORD) -> dict[str, Any]:
    """The ``tokenCreate`` payload of an anonymous caller."""
    anonymous = GraphQLTester(env).anonymous()
    data = anonymous.ok(SIGN_IN, {"input": {"username": username, "password": password}})
    return dict(data["tokenCreate"])


def caller(env: Environment, bearer: str, *, locale: str = "zh_CN") -> GraphQLTester:
    """A tester acting as whoever ``bearer`` (a token or an API key) authenticates."""
    with env.unit_of_work() as session:
        principal = authenticate(session, env, bearer)
    assert principal is not None, "the credential does not authenticate"
    api = GraphQLTester(env, locale=locale)
    api.principal = principal
    return api


def signed_in(env: Environment, username: str, **kw: Any) -> GraphQLTester:
    payload = sign_in(env, username)
    assert payload["errors"] == [], payload["errors"]
    return caller(env, payload["token"], **kw)


def still_authenticates(env: Environment, bearer: str) -> bool:
    with env.unit_of_work() as session:
        return authenticate(session, env, bearer) is not None


def add_alert(env: Environment, condition: str, *, rule_key: str = "stock.below_safety",
              severity: str = "warning", status: str = "open", minutes: int = 0,
              owner: str = "base_jxc") -> int:
    """An alert row as an evaluation would have left it (the kernel knows no business, so
    no rule of the basic edition is needed to read alerts).  Its title and message are
    msgids that the kernel's and base_jxc's catalogues translate, as a rule's would be."""
    seen = T0 + timedelta(minutes=minutes)
    with env.unit_of_work() as session:
        alert = Alert(rule_key=rule_key, condition_key=condition, owner=owner, status=status,
                      severity=severity, title="Warning",
                      message="Code {code} already exists", params={"code": condition},
                      subject={"product": 42, "warehouse": 3}, first_seen=seen,
                      last_seen=seen + timedelta(minutes=5),
                      resolved_at=seen if status == "resolved" else None)
        session.add(alert)
        session.flush()
        return alert.id
