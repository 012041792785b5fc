"""The principal cache: a credential authenticated a moment ago costs no SQL, while expiry
stays exact and every revocation made in this process is seen at once — on SQLite and
PostgreSQL.  Clocks are injected; nothing here waits."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import event, update

from openjxc.core.config import Settings
from openjxc.core.db import Database
from openjxc.core.env import Environment
from openjxc.core.models import Base, utcnow
from openjxc.core.security import (
    AccessToken,
    Principal,
    PrincipalCache,
    create_api_key,
    create_token,
    create_user,
    ensure_role,
    find_user,
    invalidate,
    passwords,
    revoke_api_key,
    revoke_token,
    revoke_user_tokens,
    set_password,
    set_user_roles,
    set_user_scopes,
)
from openjxc.core.security.cache import credential_key
from openjxc.graphql.context import authenticate_bearer

T0 = datetime(2030, 3, 1, 9, 0, tzinfo=UTC)
PASSWORD = "s3cret-pass"


class Clocks:
    """A wall clock and a monotonic clock that move only when told to."""

    def __init__(self) -> None:
        self.now = T0
        self.seconds = 1_000.0

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.seconds += seconds

    def cache(self, ttl: float = 5.0, size: int = 10_000) -> PrincipalCache:
        return PrincipalCache(ttl, size, clock=lambda: self.now,
                              monotonic=lambda: self.seconds)


def principal(user_id: int = 1, credential_id: int = 10, *, via: str = "token",
              expires_at: datetime | None = T0 + timedelta(hours=1)) -> Principal:
    return Principal(user_id=user_id, username=f"user{user_id}",
                     permissions=frozenset({"core.alert.read"}), via=via,  # type: ignore[arg-type]
                     credential_id=credential_id, expires_at=expires_at)


# -- the cache on its own ----------------------------------------------------------------

def test_a_remembered_credential_is_answered_until_its_time_is_up() -> None:
    clocks = Clocks()
    cache = clocks.cache(ttl=5)
    cache.put("ojt_a", principal(), cache.stamp())
    assert cache.get("ojt_a") == principal()
    assert cache.get("Bearer  ojt_a ") == principal()  # the same credential, spelt loosely
    assert cache.get("ojt_b") is None
    clocks.advance(4.9)
    assert cache.get("ojt_a") is not None
    clocks.advance(0.1)
    assert cache.get("ojt_a") is None
    assert len(cache) == 0


def test_a_principal_is_never_served_at_or_after_its_credential_expires() -> None:
    clocks = Clocks()
    cache = clocks.cache(ttl=3600)
    cache.put("ojt_a", principal(expires_at=T0 + timedelta(seconds=2)), cache.stamp())
    clocks.now += timedelta(seconds=1)  # only the wall clock moves: the TTL is far off
    assert cache.get("ojt_a") is not None
    clocks.now += timedelta(seconds=1)
    assert cache.get("ojt_a") is None


def test_an_expired_principal_is_not_remembered() -> None:
    clocks = Clocks()
    cache = clocks.cache()
    cache.put("ojt_a", principal(expires_at=T0), cache.stamp())
    assert len(cache) == 0
    cache.put("ojk_b", principal(via="api_key", expires_at=None), cache.stamp())
    assert cache.get("ojk_b") is not None  # a key without expiry lives its TTL


def test_a_ttl_of_zero_turns_the_cache_off() -> None:
    cache = Clocks().cache(ttl=0)
    assert not cache.enabled
    cache.put("ojt_a", principal(), cache.stamp())
    assert cache.get("ojt_a") is None and len(cache) == 0


def test_the_cache_keeps_at_most_its_size_dropping_the_least_recently_used() -> None:
    cache = Clocks().cache(size=2)
    for i, bearer in enumerate(("ojt_a", "ojt_b"), start=1):
        cache.put(bearer, principal(user_id=i), cache.stamp())
    assert cache.get("ojt_a") is not None  # a is now the most recently used
    cache.put("ojt_c", principal(user_id=3), cache.stamp())
    assert len(cache) == 2
    assert cache.get("ojt_b") is None
    assert cache.get("ojt_a") is not None and cache.get("ojt_c") is not None


def test_only_digests_are_kept() -> None:
    cache = Clocks().cache()
    cache.put("ojt_secret", principal(), cache.stamp())
    assert list(cache._entries) == [credential_key("ojt_secret")]
    assert "ojt_secret" not in repr(cache._entries)


def test_what_was_read_before_an_invalidation_is_not_remembered_after_it() -> None:
    cache = Clocks().cache()
    stamp = cache.stamp()  # a request starts reading the credential's rows ...
    invalidate(user_id=99)  # ... meanwhile something is revoked (whoever it concerns)
    cache.put("ojt_a", principal(), stamp)
    assert cache.get("ojt_a") is None
    cache.put("ojt_a", principal(), cache.stamp())
    assert cache.get("ojt_a") is not None


def test_invalidate_forgets_by_credential_user_key_or_everything() -> None:
    cache = Clocks().cache()

    def fill() -> None:
        cache.evict(everything=True)
        cache.put("ojt_a", principal(user_id=1, credential_id=10), cache.stamp())
        cache.put("ojt_b", principal(user_id=1, credential_id=11), cache.stamp())
        cache.put("ojk_c", principal(user_id=2, credential_id=10, via="api_key"), cache.stamp())

    def remembered() -> set[str]:
        return {b for b in ("ojt_a", "ojt_b", "ojk_c") if cache.get(b) is not None}

    fill()
    invalidate(bearer="Bearer ojt_a")
    assert remembered() == {"ojt_b", "ojk_c"}
    fill()
    invalidate(credential=("token", 10))  # not the API key with the same row id
    assert remembered() == {"ojt_b", "ojk_c"}
    fill()
    invalidate(user_id=1)
    assert remembered() == {"ojk_c"}
    fill()
    invalidate(everything=True)
    assert remembered() == set()


class SlowAuthentication:
    """An ``authenticate()`` that holds until released, counting its calls."""

    def __init__(self, answer: Principal | None) -> None:
        self.answer = answer
        self.calls = 0
        self.started = threading.Event()
        self.release = threading.Event()

    def __call__(self) -> Principal | None:
        self.calls += 1
        self.started.set()
        assert self.release.wait(10)
        return self.answer


def load_in_threads(cache: PrincipalCache, auth: SlowAuthentication,
                    count: int) -> tuple[list[threading.Thread], list[Principal | None]]:
    answers: list[Principal | None] = []
    threads = [threading.Thread(target=lambda: answers.append(cache.load("ojt_a", auth)))
               for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, answers


def test_concurrent_misses_of_one_credential_read_the_database_once() -> None:
    cache = Clocks().cache()
    auth = SlowAuthentication(principal())
    threads, answers = load_in_threads(cache, auth, 8)
    assert auth.started.wait(10)
    time.sleep(0.2)  # let the other seven arrive (they would all read, were it not shared)
    auth.release.set()
    for thread in threads:
        thread.join(10)
    assert answers == [principal()] * 8
    assert auth.calls == 1
    assert cache.get("ojt_a") == principal()


def test_after_an_invalidation_the_next_miss_reads_anew() -> None:
    cache = Clocks().cache()
    stale = SlowAuthentication(principal())
    threads, answers = load_in_threads(cache, stale, 1)
    assert stale.started.wait(10)
    invalidate(bearer="ojt_a")  # revoked while that read is under way
    fresh = SlowAuthentication(None)
    fresh.release.set()
    assert cache.load("ojt_a", fresh) is None  # did not wait for the stale read
    stale.release.set()
    threads[0].join(10)
    assert answers == [principal()]
    assert cache.get("ojt_a") is None  # and the stale answer was not remembered


def test_a_failed_read_fails_its_waiters_and_is_not_remembered() -> None:
    cache = Clocks().cache()

    def down() -> Principal | None:
        raise ConnectionError("database down")

    with pytest.raises(ConnectionError):
        cache.load("ojt_a", down)
    assert cache.load("ojt_a", lambda: principal()) == principal()


# -- through a database: what authenticating costs, what revoking does --------------------

@pytest.fixture(autouse=True)
def fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "HASHER", PasswordHasher(
        time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID))


def environment(database_url: str, **settings: object) -> Environment:
    env = Environment([], database=Database(database_url),
                      settings=Settings(token_ttl_seconds=3600, **settings))
    Base.metadata.create_all(env.database.engine, tables=env.tables)
    with env.unit_of_work() as session:
        ensure_role(session, "reader", ["core.alert.read"], env=env)
        ensure_role(session, "auditor", ["core.addon.read"], env=env)
        create_user(session, env, "wang.li", PASSWORD, roles=["reader"])
    return env


@pytest.fixture
def env(database_url: str) -> Iterator[Environment]:
    env = environment(database_url)
    yield env
    env.database.dispose()


def sign_in(env: Environment) -> str:
    with env.unit_of_work() as session:
        return create_token(session, env, "wang.li", PASSWORD).token


def who(env: Environment, bearer: str) -> Principal | None:
    """What the HTTP layer makes of ``Authorization: Bearer <bearer>``."""
    return asyncio.run(authenticate_bearer(env, bearer))


class Statements:
    def __init__(self, env: Environment) -> None:
        self.seen: list[str] = []
        event.listen(env.database.engine, "before_cursor_execute", self.record)

    def record(self, _conn: object, _cursor: object, statement: str, *_args: object) -> None:
        self.seen.append(statement)

    def count(self) -> int:
        seen, self.seen = len(self.seen), []
        return seen


def test_a_credential_seen_a_moment_ago_costs_no_sql(env: Environment) -> None:
    token = sign_in(env)
    statements = Statements(env)
    first = who(env, token)
    assert first is not None and statements.count() > 0
    again = who(env, token)
    assert again == first
    assert statements.count() == 0


def test_an_unknown_credential_is_asked_for_every_time(env: Environment) -> None:
    statements = Statements(env)
    for _ in range(2):
        assert who(env, "ojt_" + "x" * 43) is None
        assert statements.count() > 0


def test_with_a_ttl_of_zero_every_request_authenticates(database_url: str) -> None:
    env = environment(database_url, auth_cache_seconds=0.0)
    try:
        token = sign_in(env)
        statements = Statements(env)
        for _ in range(2):
            assert who(env, token) is not None
            assert statements.count() > 0
    finally:
        env.database.dispose()


def test_a_cached_token_expires_exactly_when_its_row_says(env: Environment) -> None:
    token = sign_in(env)
    clock = [utcnow()]
    cache = PrincipalCache(3600, clock=lambda: clock[0])
    env.extensions["openjxc.core.security.principal_cache"] = cache
    assert PrincipalCache.for_environment(env) is cache
    found = who(env, token)
    assert found is not None and found.expires_at is not None
    clock[0] = found.expires_at - timedelta(microseconds=1)
    assert cache.get(token) == found
    clock[0] = found.expires_at
    assert cache.get(token) is None


def test_revoking_a_token_is_seen_by_the_next_request(env: Environment) -> None:
    token, other = sign_in(env), sign_in(env)
    assert who(env, token) is not None and who(env, other) is not None
    with env.unit_of_work() as session:
        assert revoke_token(session, token)
    assert who(env, token) is None
    assert who(env, other) is not None


def test_a_revocation_is_forgotten_again_when_it_commits(env: Environment) -> None:
    """A request that read the rows between the revocation and its commit must not keep
    the old answer: the commit forgets it once more."""
    token = sign_in(env)
    assert who(env, token) is not None
    cache = PrincipalCache.for_environment(env)
    with env.unit_of_work() as session:
        revoke_token(session, token)
        stale = who(env, token)  # another connection: it still sees the token live
        assert stale is not None
        assert cache.get(token) == stale  # ... and remembered it
    assert cache.get(token) is None
    assert who(env, token) is None


def test_signing_out_everywhere_and_changing_the_password_are_seen_at_once(
        env: Environment) -> None:
    token = sign_in(env)
    assert who(env, token) is not None
    with env.unit_of_work() as session:
        revoke_user_tokens(session, find_user(session, "wang.li").id)
    assert who(env, token) is None
    token = sign_in(env)
    assert who(env, token) is not None
    with env.unit_of_work() as session:
        set_password(session, find_user(session, "wang.li"), "n3w-secret-pass")
    assert who(env, token) is None


def test_new_roles_scopes_and_role_grants_are_seen_at_once(env: Environment) -> None:
    token = sign_in(env)
    assert who(env, token).permissions == {"core.alert.read"}
    with env.unit_of_work() as session:
        set_user_roles(session, env, find_user(session, "wang.li"), ["auditor"])
    assert who(env, token).permissions == {"core.addon.read"}
    with env.unit_of_work() as session:
        set_user_scopes(session, find_user(session, "wang.li"), "warehouse", [3])
    assert who(env, token).scope("warehouse") == {"3"}
    with env.unit_of_work() as session:  # the role itself gains a permission
        ensure_role(session, "auditor", ["core.alert.read"], env=env)
    assert who(env, token).permissions == {
        "core.addon.read", "core.alert.read"}


def test_revoking_an_api_key_is_seen_at_once(env: Environment) -> None:
    with env.unit_of_work() as session:
        issued = create_api_key(session, env, "wang.li", "sync", ["core.alert.read"])
    assert who(env, issued.key) is not None
    with env.unit_of_work() as session:
        revoke_api_key(session, issued.id)
    assert who(env, issued.key) is None


def test_a_change_by_hand_waits_for_the_ttl_unless_invalidated(env: Environment) -> None:
    """What another process (or raw SQL) does is seen within the TTL; ``invalidate``
    makes it immediate."""
    token = sign_in(env)
    assert who(env, token) is not None
    with env.unit_of_work() as session:
        session.execute(update(AccessToken).values(revoked_at=utcnow()))
    assert who(env, token) is not None  # remembered: at most auth_cache_seconds
    invalidate(bearer=token)
    assert who(env, token) is None
