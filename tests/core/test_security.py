"""Users, signing in and tokens, on SQLite and PostgreSQL.

Password hashing uses cheap Argon2id parameters here (the format and the real parameters
are tested in test_security_registry.py); the clock is injected through ``now=``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import func, select

from openjxc.core.config import Settings
from openjxc.core.db import Database, create_database_engine
from openjxc.core.env import Environment
from openjxc.core.models import Base
from openjxc.core.security import (
    AccessToken,
    AuthenticationFailed,
    InvalidLocale,
    InvalidUsername,
    LoginFailure,
    Role,
    RolePermission,
    TooManyAttempts,
    UnknownRole,
    User,
    UsernameTaken,
    WeakPassword,
    authenticate,
    create_token,
    create_user,
    ensure_role,
    find_user,
    passwords,
    revoke_token,
    revoke_user_tokens,
    set_password,
    sync_role_templates,
)
from openjxc.core.security import tokens as tokens_module
from openjxc.core.security.tokens import digest

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
FAST = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
SETTINGS = Settings(login_max_failures=3, login_window_seconds=300, token_ttl_seconds=3600)


class CountingHasher(PasswordHasher):
    """The cheap hasher, counting verifications (to see the dummy one happen)."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID)
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified += 1
        return super().verify(hash, password)


@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    hasher = CountingHasher()
    monkeypatch.setattr(passwords, "HASHER", hasher)
    return hasher


@pytest.fixture
def env(database_url: str) -> Iterator[Environment]:
    env = Environment([], database=Database(database_url), settings=SETTINGS)
    Base.metadata.create_all(env.database.engine, tables=env.tables)
    yield env
    env.database.dispose()


@pytest.fixture
def wang(env: Environment) -> str:
    with env.unit_of_work() as session:
        create_user(session, env, "Wang.Li", "s3cret-pass", roles=["admin"])
    return "Wang.Li"


def login(env: Environment, username: str, password: str, client: str | None = None,
          now: datetime = T0) -> str:
    with env.unit_of_work() as session:
        return create_token(session, env, username, password, client, now=now).token


def refused(env: Environment, username: str, password: str, client: str | None = None,
            now: datetime = T0) -> str:
    """Attempt a login that must fail; return the error code."""
    errors = (AuthenticationFailed, TooManyAttempts)
    with pytest.raises(errors) as caught, env.unit_of_work() as session:
        create_token(session, env, username, password, client, now=now)
    return caught.value.code


# -- users ------------------------------------------------------------------------------


def test_a_user_gets_an_argon2id_hash_never_the_password(env: Environment) -> None:
    with env.unit_of_work() as session:
        create_user(session, env, "wang.li", "s3cret-pass", locale="en", full_name="王立")
    with env.unit_of_work() as session:
        user = session.scalars(select(User)).one()
        assert user.password_hash.startswith("$argon2id$")
        assert "s3cret-pass" not in user.password_hash
        assert (user.username, user.full_name, user.locale, user.active) == (
            "wang.li", "王立", "en", True)


def test_usernames_are_unique_and_found_whatever_their_case(env: Environment) -> None:
    with env.unit_of_work() as session:
        create_user(session, env, "Wang.Li", "s3cret-pass")
    with env.unit_of_work() as session:
        found = find_user(session, "WANG.LI")
        assert found is not None and found.username == "Wang.Li"
        with pytest.raises(UsernameTaken) as caught:
            create_user(session, env, "wang.li", "other-pass")
        assert caught.value.code == "USERNAME_TAKEN"
        assert caught.value.field == "username"
    assert login(env, "WANG.li", "s3cret-pass").startswith("ojt_")


@pytest.mark.parametrize(("username", "password", "roles", "locale", "error", "code"), [
    ("wl", "s3cret-pass", [], None, InvalidUsername, "INVALID_USERNAME"),
    ("x" * 65, "s3cret-pass", [], None, InvalidUsername, "INVALID_USERNAME"),
    ("wang li", "s3cret-pass", [], None, InvalidUsername, "INVALID_USERNAME"),
    ("wang@li", "s3cret-pass", [], None, InvalidUsername, "INVALID_USERNAME"),
    ("wang.li", "short7!", [], None, WeakPassword, "WEAK_PASSWORD"),
    ("wang.li", "WANG.LI", [], None, WeakPassword, "WEAK_PASSWORD"),
    ("wang.li", "s3cret-pass", ["admin", "janitor"], None, UnknownRole, "UNKNOWN_ROLE"),
    ("wang.li", "s3cret-pass", [], "xx_YY_bogus", InvalidLocale, "INVALID_LOCALE"),
])
def test_invalid_users_are_refused_with_a_stable_code_and_nothing_written(
        env: Environment, username: str, password: str, roles: list[str],
        locale: str | None, error: type[Exception], code: str) -> None:
    with env.unit_of_work() as session:
        with pytest.raises(error) as caught:
            create_user(session, env, username, password, roles=roles, locale=locale)
        assert getattr(caught.value, "code", None) == code
        assert session.scalar(select(func.count()).select_from(User)) == 0
        assert session.scalar(select(func.count()).select_from(Role)) == 0


def test_good_usernames_and_eight_character_passwords_are_accepted(env: Environment) -> None:
    with env.unit_of_work() as session:
        for name in ("abc", "Li_Na-2.ops", "x" * 64):
            create_user(session, env, name, "8-chars!", locale="zh_CN")
        assert session.scalar(select(func.count()).select_from(User)) == 3


def test_admin_and_template_roles_are_created_when_first_granted(env: Environment) -> None:
    with env.unit_of_work() as session:
        create_user(session, env, "boss", "s3cret-pass", roles=["admin"])
        create_user(session, env, "boss2", "s3cret-pass", roles=["admin"])
        admin = session.scalars(select(Role)).one()
        assert (admin.name, admin.is_admin) == ("admin", True)
        # Admin's permissions are computed, never stored.
        assert session.scalar(select(func.count()).select_from(RolePermission)) == 0


def test_ensure_role_adds_permissions_and_never_removes_any(env: Environment) -> None:
    with env.unit_of_work() as session:
        ensure_role(session, "auditor", ["core.user.read"], env=env)
        ensure_role(session, "auditor", ["core.addon.read"], env=env)
        ensure_role(session, "auditor", [], env=env)
        held = set(session.scalars(select(RolePermission.permission)))
        assert held == {"core.user.read", "core.addon.read"}
        assert session.scalar(select(func.count()).select_from(Role)) == 1


def test_sync_role_templates_creates_admin_once(env: Environment) -> None:
    with env.unit_of_work() as session:
        sync_role_templates(session, env)
        sync_role_templates(session, env)
        assert list(session.scalars(select(Role.name))) == ["admin"]


# -- signing in -------------------------------------------------------------------------


def test_a_login_issues_a_token_stored_only_as_its_digest(env: Environment, wang: str) -> None:
    with env.unit_of_work() as session:
        token, expires_at = create_token(session, env, wang, "s3cret-pass", "10.0.0.7",
                                         now=T0)
    assert token.startswith("ojt_") and len(token) == 4 + 43
    assert expires_at == T0 + timedelta(seconds=3600)
    with env.database.engine.connect() as connection:
        rows = connection.execute(AccessToken.__table__.select()).mappings().all()
    assert len(rows) == 1
    stored = " ".join(str(value) for value in rows[0].values())
    assert token not in stored and token[4:] not in stored
    assert rows[0]["token_hash"] == digest(token)
    assert rows[0]["client"] == "10.0.0.7"


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(
        env: Environment, wang: str, fast_hashing: CountingHasher) -> None:
    answers = []
    for username, password in ((wang, "wrong-pass"), ("nobody", "s3cret-pass")):
        before = fast_hashing.verified
        with pytest.raises(AuthenticationFailed) as caught, env.unit_of_work() as session:
            create_token(session, env, username, password, now=T0)
        answers.append((caught.value.code, caught.value.message))
        # An unknown user costs a (dummy) verification too: timing does not tell.
        assert fast_hashing.verified == before + 1
    assert answers == [("INVALID_CREDENTIALS", "Invalid username or password")] * 2


def test_an_inactive_user_can_neither_log_in_nor_use_a_token(
        env: Environment, wang: str) -> None:
    token = login(env, wang, "s3cret-pass")
    with env.unit_of_work() as session:
        user = find_user(session, wang)
        assert user is not None
        user.active = False
    assert refused(env, wang, "s3cret-pass") == "INVALID_CREDENTIALS"
    with env.unit_of_work() as session:
        assert authenticate(session, env, token, now=T0) is None


def test_a_password_hashed_with_old_parameters_is_rehashed_at_login(
        env: Environment, wang: str, monkeypatch: pytest.MonkeyPatch) -> None:
    stronger = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1, type=Type.ID)
    monkeypatch.setattr(passwords, "HASHER", stronger)
    login(env, wang, "s3cret-pass")
    with env.unit_of_work() as session:
        user = find_user(session, wang)
        assert user is not None
        assert "$m=2048,t=2,p=1$" in user.password_hash
        assert passwords.verify_password("s3cret-pass", user.password_hash)


# -- throttling -------------------------------------------------------------------------


def test_after_n_failures_a_username_is_throttled_until_the_window_passes(
        env: Environment, wang: str) -> None:
    for minute in range(3):
        assert refused(env, wang, "wrong-pass", now=T0 + timedelta(minutes=minute)) == (
            "INVALID_CREDENTIALS")
    # Even the right password is refused now, and from another client.
    later = T0 + timedelta(minutes=3)
    with pytest.raises(TooManyAttempts) as caught, env.unit_of_work() as session:
        create_token(session, env, "WANG.LI", "s3cret-pass", "10.9.9.9", now=later)
    assert caught.value.code == "TOO_MANY_ATTEMPTS"
    # The oldest failure (T0) leaves the 5-minute window at T0 + 5 min.
    assert caught.value.retry_after_seconds == 120
    assert refused(env, wang, "s3cret-pass", now=T0 + timedelta(seconds=299)) == (
        "TOO_MANY_ATTEMPTS")
    assert login(env, wang, "s3cret-pass", now=T0 + timedelta(seconds=301)).startswith("ojt_")


@pytest.mark.parametrize("same_client", [False, True])
def test_parallel_wrong_passwords_on_postgresql_check_at_most_the_limit(
        pg_database_url: str, monkeypatch: pytest.MonkeyPatch, same_client: bool) -> None:
    """Counting failures and recording one are apart by an Argon2 check: parallel attempts
    must take turns, or all of them count the same few failures and get a password checked.
    Throttled per username (each from its own client) and per client (other usernames)."""
    env = Environment([], database=Database(engine=create_database_engine(
        pg_database_url, pool_size=25, max_overflow=0)), settings=SETTINGS)
    Base.metadata.create_all(env.database.engine, tables=env.tables)
    try:
        with env.unit_of_work() as session:
            create_user(session, env, "wang.li", "s3cret-pass")
            for n in range(20):
                create_user(session, env, f"user{n}", "s3cret-pass")
        verified: list[int] = []
        lock = threading.Lock()

        def counting_verify(password: str, password_hash: str) -> bool:
            with lock:
                verified.append(1)
            time.sleep(0.05)  # widen the window between counting and recording
            return passwords.verify_password(password, password_hash)

        monkeypatch.setattr(tokens_module, "verify_password", counting_verify)
        barrier = threading.Barrier(20)
        codes: list[str] = []

        def attempt(n: int) -> None:
            username = f"user{n}" if same_client else "wang.li"
            client = "203.0.113.5" if same_client else f"10.0.0.{n}"
            barrier.wait(timeout=10)
            try:
                with env.unit_of_work() as session:
                    create_token(session, env, username, "wrong-pass", client)
            except (AuthenticationFailed, TooManyAttempts) as exc:
                with lock:
                    codes.append(exc.code)

        threads = [threading.Thread(target=attempt, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(verified) <= SETTINGS.login_max_failures
        assert sorted(codes) == sorted(
            ["INVALID_CREDENTIALS"] * len(verified)
            + ["TOO_MANY_ATTEMPTS"] * (20 - len(verified)))
        assert codes.count("INVALID_CREDENTIALS") == SETTINGS.login_max_failures
    finally:
        env.database.dispose()


def test_a_client_is_throttled_across_usernames(env: Environment, wang: str) -> None:
    for name in ("alice", "bob", "carol"):
        refused(env, name, "guess-1234", client="203.0.113.5")
    assert refused(env, wang, "s3cret-pass", client="203.0.113.5") == "TOO_MANY_ATTEMPTS"
    assert login(env, wang, "s3cret-pass", client="198.51.100.1").startswith("ojt_")


def test_failures_count_although_the_callers_transaction_rolls_back(
        env: Environment, wang: str) -> None:
    for _ in range(3):
        with pytest.raises(AuthenticationFailed), env.unit_of_work() as session:
            create_token(session, env, wang, "wrong-pass", now=T0)
    with env.unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(LoginFailure)) == 3
    assert refused(env, wang, "s3cret-pass") == "TOO_MANY_ATTEMPTS"


def test_a_successful_login_forgets_the_users_earlier_failures(
        env: Environment, wang: str) -> None:
    refused(env, wang, "wrong-pass")
    refused(env, wang, "wrong-pass")
    login(env, wang, "s3cret-pass")
    refused(env, wang, "wrong-pass")
    refused(env, wang, "wrong-pass")
    assert login(env, wang, "s3cret-pass").startswith("ojt_")


def test_failures_older_than_the_window_are_purged(env: Environment, wang: str) -> None:
    refused(env, "ghost", "guess-1234", now=T0)
    refused(env, "ghost", "guess-1234", now=T0 + timedelta(minutes=10))
    with env.unit_of_work() as session:
        assert list(session.scalars(select(LoginFailure.failed_at))) == [
            T0 + timedelta(minutes=10)]


# -- tokens -----------------------------------------------------------------------------


def test_a_token_authenticates_until_it_expires(env: Environment, wang: str) -> None:
    token = login(env, wang, "s3cret-pass")
    with env.unit_of_work() as session:
        principal = authenticate(session, env, token, now=T0 + timedelta(minutes=59))
        assert principal is not None
        assert (principal.username, principal.via) == ("Wang.Li", "token")
        assert authenticate(session, env, f"Bearer {token}", now=T0) is not None
        assert authenticate(session, env, token, now=T0 + timedelta(hours=1)) is None


def test_a_revoked_token_is_refused(env: Environment, wang: str) -> None:
    token = login(env, wang, "s3cret-pass")
    other = login(env, wang, "s3cret-pass")
    with env.unit_of_work() as session:
        assert revoke_token(session, token, now=T0) is True
        assert revoke_token(session, token, now=T0) is False
        assert revoke_token(session, "ojt_unknown", now=T0) is False
    with env.unit_of_work() as session:
        assert authenticate(session, env, token, now=T0) is None
        assert authenticate(session, env, other, now=T0) is not None


def test_signing_out_everywhere_and_changing_the_password_revoke_tokens(
        env: Environment, wang: str) -> None:
    first = login(env, wang, "s3cret-pass")
    with env.unit_of_work() as session:
        user = find_user(session, wang)
        assert user is not None
        assert revoke_user_tokens(session, user.id, now=T0) == 1
    second = login(env, wang, "s3cret-pass")
    with env.unit_of_work() as session:
        user = find_user(session, wang)
        assert user is not None
        with pytest.raises(WeakPassword):
            set_password(session, user, "short")
        set_password(session, user, "n3w-secret-pass", now=T0)
    with env.unit_of_work() as session:
        assert authenticate(session, env, first, now=T0) is None
        assert authenticate(session, env, second, now=T0) is None
    assert refused(env, wang, "s3cret-pass") == "INVALID_CREDENTIALS"
    assert login(env, wang, "n3w-secret-pass").startswith("ojt_")


@pytest.mark.parametrize("bearer", [
    "", "Bearer ", "ojt_", "ojt_forged-token-value", "ojk_", "ojk_abc", "ojk_abc_",
    "ojk_0123456789ab_forged", "something-else",
])
def test_garbage_never_authenticates(env: Environment, wang: str, bearer: str) -> None:
    login(env, wang, "s3cret-pass")
    with env.unit_of_work() as session:
        assert authenticate(session, env, bearer, now=T0) is None
