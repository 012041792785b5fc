"""Credentials authenticated a moment ago, so that the next request with one runs no SQL.

    cache = PrincipalCache.for_environment(env)
    principal = cache.get(bearer)                  # None: not remembered (or stale)
    if principal is None:                          # the database, then remembered
        principal = cache.load(bearer, lambda: authenticate(session, env, bearer))

Each environment (so each worker process) keeps its own cache of at most
``Settings.auth_cache_size`` principals, each trusted for ``Settings.auth_cache_seconds``
(``0`` turns the cache off), keyed by the SHA-256 digest of the credential (a memory dump
shows no usable token).  What stays exact:

* **expiry** — a principal is never served at or after its credential's ``expires_at``,
  whatever is left of its cache time;
* **revocation in this process** — revoking a token or an API key, changing a password,
  a user's roles or scopes, or a role's permissions calls :func:`invalidate`, which forgets
  the principals concerned at once and again when the change commits (so a request that
  read the old rows meanwhile cannot put them back; see :meth:`PrincipalCache.stamp`).

What is bounded by ``auth_cache_seconds`` instead: such a change made by *another* process
(another uvicorn worker, the CLI, SQL by hand, deactivating a user by updating its row) —
there, a revoked token may keep authenticating for at most that long.  And
``last_used_at`` is written on a cache miss only (still at most once a minute), so it may
lag by the cache time as well.

When a remembered credential goes stale while many requests use it at once (an
integration's API key, a busy till), one of them reads the database and the others wait
for its answer (:meth:`PrincipalCache.load`), rather than all of them reading at once.

:func:`invalidate` reaches the caches of every environment of the process: the services
that revoke know a session, not an environment.  A user id of another tenant's database
is evicted too, which costs that tenant one authentication, never a wrong answer.
"""

from __future__ import annotations

import hashlib
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import event
from sqlalchemy.orm import Session

from openjxc.core.models import utcnow

if TYPE_CHECKING:
    from openjxc.core.env import Environment
    from openjxc.core.security.principal import Principal, Via

_CACHE_KEY = "openjxc.core.security.principal_cache"
#: Every cache alive in this process, so that :func:`invalidate` reaches them all.
_LIVE: weakref.WeakSet[PrincipalCache] = weakref.WeakSet()
_LIVE_LOCK = threading.Lock()


def credential_text(bearer: str) -> str:
    """The credential of a bearer value, without a leading ``Bearer`` and blanks."""
    credential = bearer.strip()
    if credential[:7].lower() == "bearer ":
        credential = credential[7:].strip()
    return credential


def credential_key(bearer: str) -> str:
    """What a credential is remembered under: the SHA-256 hex digest of its text."""
    return hashlib.sha256(credential_text(bearer).encode("utf-8")).hexdigest()


class _Entry(NamedTuple):
    principal: Principal
    #: ``time.monotonic()`` after which the entry is no longer trusted.
    fresh_until: float


class PrincipalCache:
    """A bounded, thread-safe, least-recently-used map of credential digest → principal.

    ``clock`` (wall time, compared with ``expires_at``) and ``monotonic`` (the cache time)
    may be replaced, in tests.
    """

    def __init__(self, ttl_seconds: float, max_size: int = 10_000, *,
                 clock: Callable[[], datetime] = utcnow,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl_seconds = float(ttl_seconds)
        self.max_size = int(max_size)
        self._clock = clock
        self._monotonic = monotonic
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        #: Authentications under way, by key, that other callers may wait for.
        self._pending: dict[str, Future[Principal | None]] = {}
        self._lock = threading.Lock()
        self._generation = 0
        with _LIVE_LOCK:
            _LIVE.add(self)

    @classmethod
    def for_environment(cls, env: Environment | Any) -> PrincipalCache:
        """The cache of ``env`` (made on first use from its settings)."""
        cache = env.extensions.get(_CACHE_KEY)
        if cache is None:
            settings = env.settings
            cache = env.extensions.setdefault(_CACHE_KEY, cls(
                settings.auth_cache_seconds, settings.auth_cache_size))
        return cache  # type: ignore[no-any-return]

    @property
    def enabled(self) -> bool:
        return self.ttl_seconds > 0 and self.max_size > 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, bearer: str) -> Principal | None:
        """The principal remembered for ``bearer``, or None (unknown, stale or expired)."""
        if not self.enabled or not isinstance(bearer, str):
            return None
        key = credential_key(bearer)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires_at = entry.principal.expires_at
            if self._monotonic() >= entry.fresh_until or (
                    expires_at is not None and self._clock() >= expires_at):
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry.principal

    def stamp(self) -> int:
        """Take before reading a principal from the database, give to :meth:`put`: an
        invalidation in between makes ``put`` drop what may have been read before it."""
        return self._generation

    def put(self, bearer: str, principal: Principal, stamp: int) -> None:
        """Remember ``principal`` for ``bearer`` (unless something was invalidated since
        ``stamp``, or the credential has expired already)."""
        if not self.enabled:
            return
        expires_at = principal.expires_at
        if expires_at is not None and self._clock() >= expires_at:
            return
        key = credential_key(bearer)
        entry = _Entry(principal, self._monotonic() + self.ttl_seconds)
        with self._lock:
            if stamp != self._generation:
                return
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_size:
                self._entries.popitem(last=False)

    def load(self, bearer: str, authenticate: Callable[[], Principal | None],
             ) -> Principal | None:
        """The principal remembered for ``bearer``, else ``authenticate()``'s answer,
        remembered.  Blocking: call it off the event loop.

        Callers that miss the same credential at the same time share one
        ``authenticate()`` (its answer or its exception); a caller arriving after an
        invalidation starts a read of its own.
        """
        found = self.get(bearer)
        if found is not None or not self.enabled:
            return found if found is not None else authenticate()
        key = credential_key(bearer)
        with self._lock:
            pending = self._pending.get(key)
            leader = pending is None
            if pending is None:
                pending = self._pending[key] = Future()
            stamp = self._generation
        if not leader:
            return pending.result()
        try:
            principal = authenticate()
        except BaseException as exc:
            self._settle(key, pending)
            pending.set_exception(exc)
            raise
        if principal is not None:
            self.put(bearer, principal, stamp)
        self._settle(key, pending)
        pending.set_result(principal)
        return principal

    def _settle(self, key: str, pending: Future[Principal | None]) -> None:
        with self._lock:
            if self._pending.get(key) is pending:
                del self._pending[key]

    def evict(self, *, keys: Iterable[str] = (), user_ids: Iterable[int] = (),
              credentials: Iterable[tuple[Via, int]] = (), everything: bool = False) -> int:
        """Forget the principals matching any of the criteria; how many were forgotten.

        Always counts as an invalidation for :meth:`stamp`, even if nothing matched.
        """
        keys, users, creds = set(keys), set(user_ids), set(credentials)
        with self._lock:
            self._generation += 1
            # A read under way may predate the change: whoever comes next reads anew.
            self._pending.clear()
            if everything:
                count = len(self._entries)
                self._entries.clear()
                return count
            doomed = [
                key for key, entry in self._entries.items()
                if key in keys or entry.principal.user_id in users
                or (entry.principal.via, entry.principal.credential_id) in creds
            ]
            for key in doomed:
                del self._entries[key]
            return len(doomed)


def invalidate(session: Session | None = None, *, bearer: str | None = None,
               user_id: int | None = None, credential: tuple[Via, int] | None = None,
               everything: bool = False) -> None:
    """Forget cached principals in every environment of this process: the one of
    ``bearer`` (a token or key in plaintext), those of ``user_id``, the one signed in with
    ``credential`` (``("token", id)`` or ``("api_key", id)``), or all of them.

    With ``session``, forgets them again when that session's transaction commits: until
    then another request can still read the old rows and would remember them anew.  The
    security services call it themselves; call it after changing identity tables by other
    means (e.g. deactivating a user with an ``UPDATE``).
    """
    keys = [credential_key(bearer)] if isinstance(bearer, str) else []
    users = [user_id] if user_id is not None else []
    credentials = [credential] if credential is not None else []

    def evict(*_args: Any) -> None:
        with _LIVE_LOCK:
            caches = list(_LIVE)
        for cache in caches:
            cache.evict(keys=keys, user_ids=users, credentials=credentials,
                        everything=everything)

    evict()
    if session is not None:
        event.listen(session, "after_commit", evict, once=True)
