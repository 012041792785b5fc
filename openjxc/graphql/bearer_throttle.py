"""The brute-force throttle in front of bearer credentials: failures counted per client.

A request whose ``Authorization: Bearer …`` holds no valid token or API key is served as
anonymous (the same answer whatever was wrong: unknown, revoked, expired, of a deactivated
user, malformed — so a guess never tells whether a user or a credential exists).  Each such
request counts as a failure of its client address; after ``Settings.bearer_max_failures``
of them within ``Settings.bearer_window_seconds``, a request from that address with a
credential this process does not already trust is answered ``429 TOO_MANY_ATTEMPTS`` (with
``Retry-After``) before the credential is looked up — guessing costs the server nothing.

    throttle = BearerThrottle.for_environment(env)
    throttle.check("10.0.0.7")            # raises TooManyAttempts while throttled
    throttle.record_failure("10.0.0.7")

The counts live in the memory of each server process (a failed guess writes nothing to the
database, so the throttle cannot be turned into a write load): with ``serve --workers N`` a
client gets at most N times the budget.  A credential a process trusts already (its
principal cache, :mod:`openjxc.core.security.cache`) is served without asking the throttle,
so the users behind an address that is throttled keep working with their current tokens.
The addresses are those the HTTP server reports (behind a reverse proxy, run uvicorn with
``--proxy-headers``, as for the login throttle).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from openjxc.core.i18n import KernelMessages
from openjxc.core.security.errors import TooManyAttempts

if TYPE_CHECKING:
    from starlette.requests import HTTPConnection
    from starlette.responses import Response

_THROTTLE_KEY = "openjxc.graphql.bearer_throttle"
#: How many client addresses one process keeps counts for (least recent go first).
MAX_CLIENTS = 10_000


class BearerThrottle:
    """Failed bearer authentications per client over a sliding window (thread-safe)."""

    def __init__(self, max_failures: int, window_seconds: float, *,
                 max_clients: int = MAX_CLIENTS,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = int(max_failures)
        self.window_seconds = float(window_seconds)
        self.max_clients = int(max_clients)
        self._monotonic = monotonic
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def for_environment(cls, env: Any) -> BearerThrottle:
        """The throttle of ``env`` (made on first use from its settings)."""
        throttle = env.extensions.get(_THROTTLE_KEY)
        if throttle is None:
            settings = env.settings
            throttle = env.extensions.setdefault(_THROTTLE_KEY, cls(
                settings.bearer_max_failures, settings.bearer_window_seconds))
        return throttle  # type: ignore[no-any-return]

    @property
    def enabled(self) -> bool:
        return self.max_failures > 0 and self.window_seconds > 0

    def _recent(self, client: str, now: float) -> deque[float] | None:
        failures = self._failures.get(client)
        if failures is None:
            return None
        while failures and failures[0] <= now - self.window_seconds:
            failures.popleft()
        if not failures:
            del self._failures[client]
            return None
        return failures

    def check(self, client: str | None) -> None:
        """Raise ``TooManyAttempts`` (with the wait) while ``client`` is throttled."""
        if client is None or not self.enabled:
            return
        now = self._monotonic()
        with self._lock:
            failures = self._recent(client, now)
            if failures is None or len(failures) < self.max_failures:
                return
            wait = failures[0] + self.window_seconds - now
        raise TooManyAttempts(max(1, math.ceil(wait)))

    def record_failure(self, client: str | None) -> None:
        """Count one request of ``client`` whose credential was refused."""
        if client is None or not self.enabled:
            return
        now = self._monotonic()
        with self._lock:
            failures = self._recent(client, now)
            if failures is None:
                failures = self._failures[client] = deque()
            failures.append(now)
            # Only the last max_failures matter for the verdict.
            while len(failures) > self.max_failures:
                failures.popleft()
            self._failures.move_to_end(client)
            while len(self._failures) > self.max_clients:
                self._failures.popitem(last=False)


def client_of(connection: HTTPConnection) -> str | None:
    """The address of an HTTP request or WebSocket, as the server reports it."""
    client = connection.client
    host = client.host if client is not None else None
    return host if isinstance(host, str) and host else None


def throttled_response(exc: TooManyAttempts, request_id: str | None,
                       locale: str | None) -> Response:
    """The ``429 TOO_MANY_ATTEMPTS`` answer, with ``Retry-After``."""
    from openjxc.graphql.masking import error_response

    return error_response(
        429, exc.code, KernelMessages.TOO_MANY_BEARER_FAILURES.resolve(locale), request_id,
        headers={"Retry-After": str(exc.retry_after_seconds)})
