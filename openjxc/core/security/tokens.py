"""Signing in: session tokens, and the brute-force throttle in front of them.

    with env.unit_of_work() as session:
        token, expires_at = create_token(session, env, "wang.li", "s3cret-pass",
                                         client="10.0.0.7")

A token reads ``ojt_<43 url-safe characters>`` (``secrets.token_urlsafe(32)``); the prefix
tells tokens from API keys (``ojk_``) without a look-up and lets secret scanners spot a
leaked one.  Only its SHA-256 digest is stored.

Refused logins are counted per username and per client address over a sliding window
(``Settings.login_window_seconds``); after ``Settings.login_max_failures`` of either, every
attempt is refused with ``TOO_MANY_ATTEMPTS`` — before any password is checked, so the
throttle also keeps an attacker from making the server hash passwords for nothing.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import ColumnElement, CursorResult, case, delete, func, or_, select, text, update
from sqlalchemy.orm import Session

from openjxc.core.models import utcnow
from openjxc.core.security.cache import invalidate
from openjxc.core.security.errors import AuthenticationFailed, TooManyAttempts
from openjxc.core.security.models import AccessToken, LoginFailure, User
from openjxc.core.security.passwords import (
    hash_password,
    needs_rehash,
    verify_dummy,
    verify_password,
)
from openjxc.core.security.users import username_key

if TYPE_CHECKING:
    from openjxc.core.config import Settings
    from openjxc.core.env import Environment

TOKEN_PREFIX = "ojt_"
_MAX_KEY = 255


class IssuedToken(NamedTuple):
    """A new token: the plaintext (shown once, never stored) and when it expires."""

    token: str
    expires_at: datetime


def digest(secret: str) -> str:
    """The SHA-256 hex digest under which a token or API key is stored and looked up."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_token(
    session: Session,
    env: Environment,
    username: str,
    password: str,
    client: str | None = None,
    *,
    now: datetime | None = None,
) -> IssuedToken:
    """Check a username and password and issue a token valid ``Settings.token_ttl_seconds``.

    Raises ``AuthenticationFailed`` (``INVALID_CREDENTIALS``) with the same message, and
    after the same Argon2 work, whether the user is unknown, inactive or the password
    wrong; raises ``TooManyAttempts`` while the username or the client is throttled.

    A refused login is recorded and **the session is committed** before raising: the
    caller's unit of work rolls back on the exception, and a failure rolled back would
    never count.  Call it in a unit of work of its own.
    """
    now = now or utcnow()
    settings = env.settings
    key = username_key(username)[:_MAX_KEY] if isinstance(username, str) else ""
    client = client[:_MAX_KEY] if client else None
    serialise_attempts(session, key, client)
    check_throttle(session, settings, key, client, now=now)

    user = session.scalar(select(User).where(User.username_key == key)) if key else None
    if user is None:
        accepted = verify_dummy(str(password))
    else:
        accepted = verify_password(str(password), user.password_hash) and user.active
    if user is None or not accepted:
        record_failure(session, settings, key, client, now=now)
        session.commit()
        raise AuthenticationFailed()

    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    # The user proved who they are: their earlier typos no longer count against them.
    session.execute(delete(LoginFailure).where(LoginFailure.username_key == key))
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = now + timedelta(seconds=settings.token_ttl_seconds)
    session.add(AccessToken(
        user_id=user.id, token_hash=digest(plaintext), created_at=now,
        expires_at=expires_at, client=client,
    ))
    session.flush()
    return IssuedToken(plaintext, expires_at)


def revoke_token(session: Session, token: str, *, now: datetime | None = None) -> bool:
    """Revoke a token given in plaintext; False if it is unknown or already revoked."""
    if not isinstance(token, str) or not token.startswith(TOKEN_PREFIX):
        return False
    invalidate(session, bearer=token)
    result = session.execute(
        update(AccessToken)
        .where(AccessToken.token_hash == digest(token), AccessToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount > 0


def revoke_user_tokens(session: Session, user_id: int, *, now: datetime | None = None) -> int:
    """Revoke every live token of a user (sign out everywhere); returns how many."""
    invalidate(session, user_id=user_id)
    result = session.execute(
        update(AccessToken)
        .where(AccessToken.user_id == user_id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount


#: Advisory-lock classes (the first key of PostgreSQL's two-key form), so that a username
#: and a client address with the same hash never share a lock.
_LOCK_USERNAME = 0x6F6A7531  # "oju1"
_LOCK_CLIENT = 0x6F6A6331  # "ojc1"


def serialise_attempts(session: Session, key: str, client: str | None) -> None:
    """Make concurrent attempts on one username (or from one client) take turns.

    Counting the failures and recording a new one are two statements with an Argon2 check
    between them: without this, twenty parallel wrong passwords all count the same few
    failures, all pass the throttle and all get a password checked.  On PostgreSQL a
    transaction-scoped advisory lock per username and per client, taken before counting,
    is held until the attempt's failure is committed (or the token issued), so the next
    attempt counts it.  The username's lock is always taken before the client's, so two
    attempts never wait for each other in a cycle.  SQLite needs nothing: its write
    transactions (``BEGIN IMMEDIATE``) already run one at a time.

    Relies on READ COMMITTED (PostgreSQL's default and the kernel's): each later
    statement of the transaction sees what the previous lock holder committed.
    """
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return
    lock = text("SELECT pg_advisory_xact_lock(:cls, hashtext(:key))")
    session.execute(lock, {"cls": _LOCK_USERNAME, "key": key})
    if client is not None:
        session.execute(lock, {"cls": _LOCK_CLIENT, "key": client})


def check_throttle(session: Session, settings: Settings, key: str, client: str | None, *,
                   now: datetime) -> None:
    """Raise ``TooManyAttempts`` if ``key`` or ``client`` failed too often lately.

    One statement counts both, each with its oldest failure in the window, which is when
    the count drops again (the wait given in ``retry_after_seconds``).
    """
    window = timedelta(seconds=settings.login_window_seconds)
    limit = settings.login_max_failures
    by_user: ColumnElement[bool] = LoginFailure.username_key == key
    conditions = [by_user]
    columns: list[ColumnElement[Any]] = [
        func.count(case((by_user, 1))),
        func.min(case((by_user, LoginFailure.failed_at))),
    ]
    if client is not None:
        by_client: ColumnElement[bool] = LoginFailure.client == client
        conditions.append(by_client)
        columns += [func.count(case((by_client, 1))),
                    func.min(case((by_client, LoginFailure.failed_at)))]
    row = session.execute(
        select(*columns).where(LoginFailure.failed_at > now - window, or_(*conditions))
    ).one()
    for count, oldest in zip(row[0::2], row[1::2], strict=True):
        if count >= limit:
            wait = (oldest + window - now).total_seconds()
            raise TooManyAttempts(max(1, math.ceil(wait)))


def record_failure(session: Session, settings: Settings, key: str, client: str | None, *,
                   now: datetime) -> None:
    """Count one refused login, and forget the failures that left the window."""
    window = timedelta(seconds=settings.login_window_seconds)
    session.execute(delete(LoginFailure).where(LoginFailure.failed_at <= now - window))
    session.add(LoginFailure(username_key=key, client=client, failed_at=now))
    session.flush()

