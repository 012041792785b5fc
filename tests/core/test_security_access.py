"""What a principal may do: permissions from roles, admin, API keys, scopes, and the cost
of authenticating — on SQLite and PostgreSQL."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from openjxc.core import kernel
from openjxc.core.addons import AddonManifest, read_manifest
from openjxc.core.config import Settings
from openjxc.core.db import Database
from openjxc.core.env import Environment
from openjxc.core.models import Base
from openjxc.core.security import (
    AccessToken,
    ApiKey,
    ApiKeyOutlivesIssuer,
    InvalidApiKey,
    PermissionDenied,
    PermissionNotHeld,
    Principal,
    Role,
    RolePermission,
    UnknownPermission,
    UnknownUser,
    authenticate,
    create_api_key,
    create_token,
    create_user,
    ensure_role,
    find_user,
    passwords,
    revoke_api_key,
    set_user_roles,
    set_user_scopes,
    sync_role_templates,
)
from openjxc.core.security.tokens import digest

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
FAKE_ADDONS = Path(__file__).parent / "fake_addons"
KERNEL_PERMISSIONS = {p.name for p in kernel.KERNEL_PERMISSIONS}
WIDGET_PERMISSIONS = {"widget.item.read", "widget.item.create", "widget.cost.read"}


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
    monkeypatch.setattr(passwords, "HASHER", cheap)


@pytest.fixture
def perm_addon(monkeypatch: pytest.MonkeyPatch) -> Iterator[AddonManifest]:
    monkeypatch.syspath_prepend(str(FAKE_ADDONS))
    yield read_manifest("security_perm_addon")
    sys.modules.pop("security_perm_addon", None)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def environment(database: Database, *addons: AddonManifest) -> Environment:
    env = Environment(list(addons), database=database, settings=Settings())
    Base.metadata.create_all(database.engine, tables=env.tables)
    return env


@pytest.fixture
def env(database: Database, perm_addon: AddonManifest) -> Environment:
    return environment(database, perm_addon)


def token_for(env: Environment, username: str, password: str = "s3cret-pass") -> str:
    with env.unit_of_work() as session:
        return create_token(session, env, username, password, now=T0).token


def who(env: Environment, bearer: str, now: datetime = T0) -> Principal:
    with env.unit_of_work() as session:
        principal = authenticate(session, env, bearer, now=now)
    assert principal is not None
    return principal


# -- roles ------------------------------------------------------------------------------


def test_a_user_holds_the_permissions_of_their_roles(env: Environment) -> None:
    with env.unit_of_work() as session:
        ensure_role(session, "viewer", ["widget.item.read", "core.addon.read"], env=env)
        create_user(session, env, "clerk", "s3cret-pass", roles=["widget_clerk", "viewer"],
                    locale="en")
    principal = who(env, token_for(env, "clerk"))
    assert principal.permissions == {"widget.item.read", "widget.item.create",
                                     "core.addon.read"}
    assert principal.has("widget.item.create") and not principal.has("widget.cost.read")
    assert principal.locale == "en"
    principal.require("widget.item.read")
    with pytest.raises(PermissionDenied) as caught:
        principal.require("widget.cost.read")
    assert caught.value.code == "FORBIDDEN"
    assert caught.value.permission == "widget.cost.read"


def test_a_user_without_roles_may_do_nothing_and_speaks_the_default_locale(
        env: Environment) -> None:
    with env.unit_of_work() as session:
        create_user(session, env, "nobody", "s3cret-pass")
    principal = who(env, token_for(env, "nobody"))
    assert principal.permissions == frozenset()
    assert principal.locale == env.settings.default_locale


def test_changing_roles_changes_permissions_at_the_next_request(env: Environment) -> None:
    with env.unit_of_work() as session:
        create_user(session, env, "clerk", "s3cret-pass", roles=["widget_clerk"])
    token = token_for(env, "clerk")
    with env.unit_of_work() as session:
        user = find_user(session, "clerk")
        assert user is not None
        set_user_roles(session, env, user, ["admin"])
    assert who(env, token).permissions == KERNEL_PERMISSIONS | WIDGET_PERMISSIONS


def test_admin_gets_every_permission_including_a_newly_installed_addons(
        database: Database, perm_addon: AddonManifest) -> None:
    kernel_only = environment(database)
    with kernel_only.unit_of_work() as session:
        create_user(session, kernel_only, "boss", "s3cret-pass", roles=["admin"])
    token = token_for(kernel_only, "boss")
    assert who(kernel_only, token).permissions == KERNEL_PERMISSIONS
    # The same database, now with the addon: no data migration, admin holds its rights.
    with_addon = environment(database, perm_addon)
    assert who(with_addon, token).permissions == KERNEL_PERMISSIONS | WIDGET_PERMISSIONS


def test_grants_of_permissions_no_addon_declares_any_more_are_ignored(
        database: Database, perm_addon: AddonManifest) -> None:
    with_addon = environment(database, perm_addon)
    with with_addon.unit_of_work() as session:
        create_user(session, with_addon, "clerk", "s3cret-pass",
                    roles=["widget_clerk"])
        ensure_role(session, "widget_clerk", ["core.addon.read"])
    token = token_for(with_addon, "clerk")
    assert "widget.item.read" in who(with_addon, token).permissions
    # The addon is gone from the environment; its grants stay in the table (data kept)
    # but grant nothing.
    kernel_only = environment(database)
    assert who(kernel_only, token).permissions == {"core.addon.read"}


def test_syncing_role_templates_creates_admin_and_the_addons_roles(env: Environment) -> None:
    with env.unit_of_work() as session:
        sync_role_templates(session, env)
        sync_role_templates(session, env)
        roles = {r.name: r for r in session.scalars(select(Role))}
        assert set(roles) == {"admin", "widget_clerk"} and roles["admin"].is_admin
        held = set(session.scalars(select(RolePermission.permission).where(
            RolePermission.role_id == roles["widget_clerk"].id)))
        assert held == {"widget.item.read", "widget.item.create"}


def test_ensure_role_with_an_environment_refuses_unknown_permissions(
        env: Environment) -> None:
    with env.unit_of_work() as session:
        with pytest.raises(UnknownPermission) as caught:
            ensure_role(session, "dreamer", ["widget.item.fly"], env=env)
        assert caught.value.code == "UNKNOWN_PERMISSION"
        with pytest.raises(UnknownPermission):
            ensure_role(session, "dreamer", ["Not A Permission"])


# -- API keys ---------------------------------------------------------------------------


@pytest.fixture
def owner(env: Environment) -> str:
    with env.unit_of_work() as session:
        create_user(session, env, "clerk", "s3cret-pass", roles=["widget_clerk"],
                    scopes={"warehouse": [1, 2]})
    return "clerk"


def test_an_api_key_is_shown_once_and_stored_as_a_digest(
        env: Environment, owner: str) -> None:
    with env.unit_of_work() as session:
        issued = create_api_key(session, env, owner, "WMS sync", ["widget.item.read"],
                                now=T0)
    assert issued.key.startswith(f"ojk_{issued.prefix}_")
    assert len(issued.prefix) == 12
    with env.database.engine.connect() as connection:
        row = connection.execute(ApiKey.__table__.select()).mappings().one()
    assert issued.key not in " ".join(str(v) for v in row.values())
    assert issued.key.split("_", 2)[2] not in " ".join(str(v) for v in row.values())
    assert (row["prefix"], row["key_hash"], row["name"]) == (
        issued.prefix, digest(issued.key), "WMS sync")
    principal = who(env, issued.key)
    assert (principal.via, principal.username, principal.credential_id) == (
        "api_key", "clerk", issued.id)


def test_an_api_key_gets_the_intersection_of_its_scopes_and_its_owners_rights(
        env: Environment, owner: str) -> None:
    with env.unit_of_work() as session:
        issued = create_api_key(session, env, owner, "reader",
                                ["widget.item.read", "widget.cost.read"])
    principal = who(env, issued.key)
    # widget.cost.read is in the key's scopes but the owner lacks it.
    assert principal.permissions == {"widget.item.read"}
    # The owner's warehouse scopes bind the key as well.
    assert principal.scopes == {"warehouse": {"1", "2"}}
    with env.unit_of_work() as session:
        user = find_user(session, owner)
        assert user is not None
        set_user_roles(session, env, user, ["admin"])
    assert who(env, issued.key).permissions == {"widget.item.read", "widget.cost.read"}


def test_revoked_expired_and_forged_api_keys_are_refused(
        env: Environment, owner: str) -> None:
    with env.unit_of_work() as session:
        revoked = create_api_key(session, env, owner, "old", ["widget.item.read"])
        expiring = create_api_key(session, env, owner, "temp", ["widget.item.read"],
                                  expires_at=T0 + timedelta(days=1), now=T0)
        assert revoke_api_key(session, revoked.id) is True
        assert revoke_api_key(session, revoked.id) is False
    forged = expiring.key[:-4] + ("aaaa" if not expiring.key.endswith("aaaa") else "bbbb")
    with env.unit_of_work() as session:
        assert authenticate(session, env, revoked.key, now=T0) is None
        assert authenticate(session, env, forged, now=T0) is None
        assert authenticate(session, env, expiring.key, now=T0 + timedelta(hours=23)) is not None
        assert authenticate(session, env, expiring.key, now=T0 + timedelta(days=1)) is None


def test_api_keys_are_refused_when_asked_for_the_impossible(
        env: Environment, owner: str) -> None:
    with env.unit_of_work() as session:
        with pytest.raises(UnknownPermission):
            create_api_key(session, env, owner, "k", ["widget.item.fly"])
        with pytest.raises(InvalidApiKey) as caught:
            create_api_key(session, env, owner, "k", [])
        assert caught.value.code == "INVALID_API_KEY"
        with pytest.raises(InvalidApiKey):
            create_api_key(session, env, owner, "  ", ["widget.item.read"])
        with pytest.raises(InvalidApiKey):
            create_api_key(session, env, owner, "k", ["widget.item.read"],
                           expires_at=T0 - timedelta(seconds=1), now=T0)
        with pytest.raises(UnknownUser):
            create_api_key(session, env, "ghost", "k", ["widget.item.read"])
        assert session.scalars(select(ApiKey)).all() == []


# -- scopes -----------------------------------------------------------------------------


def test_scopes_limit_a_user_per_kind(env: Environment) -> None:
    with env.unit_of_work() as session:
        create_user(session, env, "branch", "s3cret-pass", scopes={"warehouse": [3, "7"]})
        create_user(session, env, "head.office", "s3cret-pass")
    branch = who(env, token_for(env, "branch"))
    assert branch.scopes == {"warehouse": {"3", "7"}}
    assert branch.allowed("warehouse", 3) and branch.allowed("warehouse", "7")
    assert not branch.allowed("warehouse", 4)
    assert branch.scope("warehouse") == {"3", "7"}
    # No scope of a kind: unrestricted for that kind.
    assert branch.allowed("region", "north") and branch.scope("region") is None
    hq = who(env, token_for(env, "head.office"))
    assert hq.scopes == {} and hq.allowed("warehouse", 4)


def test_scopes_can_be_changed_and_lifted(env: Environment) -> None:
    with env.unit_of_work() as session:
        create_user(session, env, "branch", "s3cret-pass", scopes={"warehouse": [3]})
    token = token_for(env, "branch")
    with env.unit_of_work() as session:
        user = find_user(session, "branch")
        assert user is not None
        set_user_scopes(session, user, "warehouse", [5, 6])
        set_user_scopes(session, user, "region", ["north"])
    assert who(env, token).scopes == {"warehouse": {"5", "6"}, "region": {"north"}}
    with env.unit_of_work() as session:
        user = find_user(session, "branch")
        assert user is not None
        set_user_scopes(session, user, "warehouse", None)
    assert who(env, token).scopes == {"region": {"north"}}


def test_a_principal_is_immutable() -> None:
    principal = Principal(1, "x", frozenset({"a.b.c"}), {"warehouse": frozenset({"1"})})
    with pytest.raises(AttributeError):
        principal.username = "y"  # type: ignore[misc]
    with pytest.raises(TypeError):
        principal.scopes["warehouse"] = frozenset()  # type: ignore[index]
    assert hash(principal) == hash(Principal(1, "x", frozenset({"a.b.c"}), {}))


# -- cost -------------------------------------------------------------------------------


class StatementLog:
    """The SQL statements a session runs after its transaction began."""

    def __init__(self, session: Session) -> None:
        session.connection()  # BEGIN (IMMEDIATE on SQLite) happens here, not counted
        self.engine = session.get_bind()
        self.statements: list[str] = []

    def __enter__(self) -> list[str]:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self.statements

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)


@pytest.fixture
def busy_user(env: Environment) -> str:
    """A user with many roles, permissions and scopes: the statement count must not grow."""
    with env.unit_of_work() as session:
        for i in range(5):
            ensure_role(session, f"role_{i}", ["widget.item.read", "core.user.read"], env=env)
        create_user(session, env, "busy", "s3cret-pass",
                    roles=[f"role_{i}" for i in range(5)] + ["widget_clerk", "admin"],
                    scopes={"warehouse": range(20), "region": ["north", "south"]})
    return "busy"


def test_authenticating_a_token_takes_two_statements(env: Environment, busy_user: str) -> None:
    token = token_for(env, busy_user)
    with env.unit_of_work() as session:
        assert authenticate(session, env, token, now=T0) is not None  # writes last_used_at
    with env.unit_of_work() as session, StatementLog(session) as statements:
        principal = authenticate(session, env, token, now=T0 + timedelta(seconds=30))
    assert principal is not None and len(principal.scopes["warehouse"]) == 20
    assert principal.permissions == KERNEL_PERMISSIONS | WIDGET_PERMISSIONS
    assert len(statements) == 2, statements
    assert all(s.lstrip().upper().startswith("SELECT") for s in statements)


def test_authenticating_an_api_key_takes_two_statements(
        env: Environment, busy_user: str) -> None:
    with env.unit_of_work() as session:
        issued = create_api_key(session, env, busy_user, "k", ["widget.cost.read"])
    with env.unit_of_work() as session:
        authenticate(session, env, issued.key, now=T0)
    with env.unit_of_work() as session, StatementLog(session) as statements:
        principal = authenticate(session, env, issued.key, now=T0 + timedelta(seconds=59))
    assert principal is not None and principal.permissions == {"widget.cost.read"}
    assert len(statements) == 2, statements


def test_last_used_at_is_written_at_most_once_a_minute(
        env: Environment, busy_user: str) -> None:
    token = token_for(env, busy_user)

    def use(at: datetime) -> int:
        with env.unit_of_work() as session, StatementLog(session) as statements:
            assert authenticate(session, env, token, now=at) is not None
        return sum(s.lstrip().upper().startswith("UPDATE") for s in statements)

    def last_used() -> datetime | None:
        with env.unit_of_work() as session:
            return session.scalar(select(AccessToken.last_used_at))

    assert use(T0) == 1 and last_used() == T0
    assert use(T0 + timedelta(seconds=59)) == 0 and last_used() == T0
    assert use(T0 + timedelta(seconds=60)) == 1
    assert last_used() == T0 + timedelta(seconds=60)


def test_an_api_key_never_gets_more_than_its_issuer_holds(
        env: Environment, owner: str) -> None:
    issuer = Principal(user_id=1, username="clerk", permissions=frozenset({"widget.item.read"}),
                       via="token", credential_id=1, expires_at=T0 + timedelta(hours=1))
    with env.unit_of_work() as session:
        with pytest.raises(PermissionNotHeld) as caught:
            create_api_key(session, env, owner, "k", ["widget.item.read", "widget.cost.read",
                                                      "widget.item.create"], issuer=issuer)
        assert caught.value.code == "OUT_OF_SCOPE_PERMISSION"
        assert caught.value.names == ["widget.cost.read", "widget.item.create"]
        assert session.scalars(select(ApiKey)).all() == []
        # A sign-in session's expiry ends the session, not the user's rights: a key
        # issued from one may outlive it (or never expire).
        create_api_key(session, env, owner, "k", ["widget.item.read"], issuer=issuer, now=T0)


def test_a_key_issued_by_an_expiring_key_expires_with_it(
        env: Environment, owner: str) -> None:
    limit = T0 + timedelta(days=7)
    issuer = Principal(user_id=1, username="clerk", permissions=frozenset({"widget.item.read"}),
                       via="api_key", credential_id=1, expires_at=limit)
    with env.unit_of_work() as session:
        for asked in (None, limit + timedelta(seconds=1)):
            with pytest.raises(ApiKeyOutlivesIssuer) as caught:
                create_api_key(session, env, owner, "k", ["widget.item.read"],
                               expires_at=asked, issuer=issuer, now=T0)
            assert caught.value.limit == limit
            assert isinstance(caught.value, InvalidApiKey)
        issued = create_api_key(session, env, owner, "k", ["widget.item.read"],
                                expires_at=limit, issuer=issuer, now=T0)
        assert issued.expires_at == limit
        never = Principal(user_id=1, username="clerk",
                          permissions=frozenset({"widget.item.read"}), via="api_key",
                          credential_id=2)
        assert create_api_key(session, env, owner, "k2", ["widget.item.read"],
                              issuer=never, now=T0).expires_at is None
