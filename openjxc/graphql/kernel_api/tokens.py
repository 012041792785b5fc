"""Signing in and out: ``tokenCreate`` and ``tokenRevoke``.

``tokenCreate`` is the one public mutation.  Its refusals are payload errors, not
top-level ones, so a login form handles them like any other form error; an unknown user
and a wrong password get the same code and the same message (no probing for usernames).

A refused login must count towards the brute-force throttle even when the operation that
carried it is rolled back (another field of the same document failed, the client went
away).  So the password check runs in a unit of work of its own, which
:func:`~openjxc.core.security.create_token` commits itself when it refuses, and never in
the operation's session.  That work (Argon2, deliberately slow) runs off the event loop.
On SQLite a document that writes through another field *before* ``tokenCreate`` holds the
write lock that this unit of work then waits for; send ``tokenCreate`` on its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

import strawberry
from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from strawberry.types import Info

from openjxc.core.db import retry_transient
from openjxc.core.i18n import KernelMessages
from openjxc.core.models import utcnow
from openjxc.core.security import (
    AccessToken,
    AuthenticationFailed,
    IssuedToken,
    TooManyAttempts,
    create_token,
    find_user,
    invalidate,
    revoke_token,
)
from openjxc.graphql.context import get_session
from openjxc.graphql.fields import AUTHENTICATED, mutation

from .errors import AccountError, AccountErrorCode, Messages, payload_error
from .identity import User, load_users


@strawberry.input(description="A username and password to exchange for a token.")
class TokenCreateInput:
    username: str
    password: str


@strawberry.type(description="A new session token, or why none was issued.")
class TokenCreatePayload:
    token: str | None = strawberry.field(
        default=None, description="Send it as `Authorization: Bearer <token>`; it is shown "
                                  "this once (only its digest is stored).")
    expires_at: datetime | None = None
    user: User | None = None
    retry_after_seconds: int | None = strawberry.field(
        default=None, description="With TOO_MANY_ATTEMPTS: seconds until one more attempt "
                                  "is allowed.")
    errors: list[AccountError]


def client_address(info: Info[Any, Any]) -> str | None:
    """The caller's network address (brute-force limiting counts per address too), when
    the operation came over HTTP or WebSocket; None for in-process callers."""
    request = getattr(info.context, "request", None)
    client = getattr(request, "client", None)
    host = getattr(client, "host", None)
    return host if isinstance(host, str) and host else None


def sign_in(env: Any, username: str, password: str, client: str | None,
            ) -> tuple[IssuedToken, User | None]:
    """Issue a token in a unit of work of its own (see the module docstring)."""
    def attempt() -> tuple[IssuedToken, User | None]:
        with env.unit_of_work() as session:
            issued = create_token(session, env, username, password, client)
            user = find_user(session, username)
            found = load_users(session, env, [user.id])[0] if user is not None else None
            return issued, found

    return retry_transient(attempt)


async def token_create(info: Info[Any, Any], input: TokenCreateInput) -> TokenCreatePayload:
    try:
        issued, user = await run_in_threadpool(sign_in, info.context.env, input.username,
                                               input.password, client_address(info))
    except AuthenticationFailed:
        return TokenCreatePayload(errors=[payload_error(
            info, AccountError, AccountErrorCode.INVALID_CREDENTIALS,
            KernelMessages.INVALID_CREDENTIALS)])
    except TooManyAttempts as exc:
        return TokenCreatePayload(retry_after_seconds=exc.retry_after_seconds, errors=[
            payload_error(info, AccountError, AccountErrorCode.TOO_MANY_ATTEMPTS,
                          KernelMessages.TOO_MANY_LOGIN_ATTEMPTS)])
    return TokenCreatePayload(token=issued.token, expires_at=issued.expires_at, user=user,
                              errors=[])


@strawberry.input(description="Which token to revoke.")
class TokenRevokeInput:
    token: str | None = strawberry.field(
        default=None, description="The token to revoke; leave it out to sign out (revoke "
                                  "the token this request was signed with).")


@strawberry.type(description="The token no longer authenticates, or why it still does.")
class TokenRevokePayload:
    errors: list[AccountError]


def revoke_token_id(session: Session, token_id: int) -> bool:
    """Revoke a live token by its row id; False if it is unknown or already revoked."""
    invalidate(session, credential=("token", token_id))
    result = session.execute(
        update(AccessToken)
        .where(AccessToken.id == token_id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount > 0


def token_revoke(info: Info[Any, Any], input: TokenRevokeInput) -> TokenRevokePayload:
    # Holding a token's plaintext is what proves the right to revoke it (and whoever
    # holds it could use it anyway), so any signed-in caller may revoke a token it names.
    session = get_session(info)
    if input.token is not None:
        if revoke_token(session, input.token):
            return TokenRevokePayload(errors=[])
        return TokenRevokePayload(errors=[payload_error(
            info, AccountError, AccountErrorCode.NOT_FOUND, Messages.TOKEN_NOT_FOUND,
            ["token"])])
    principal = info.context.principal
    if getattr(principal, "via", "token") != "token":
        return TokenRevokePayload(errors=[payload_error(
            info, AccountError, AccountErrorCode.INVALID, Messages.SIGNED_IN_WITH_API_KEY,
            ["token"])])
    credential = getattr(principal, "credential_id", None)
    if credential is None or not revoke_token_id(session, credential):
        return TokenRevokePayload(errors=[payload_error(
            info, AccountError, AccountErrorCode.NOT_FOUND, Messages.TOKEN_NOT_FOUND,
            ["token"])])
    return TokenRevokePayload(errors=[])


token_create_field = mutation(token_create, public=True, name="tokenCreate",
                              description="Sign in: exchange a username and password for "
                                          "a bearer token.")
token_revoke_field = mutation(token_revoke, permission=AUTHENTICATED, name="tokenRevoke",
                              description="Sign out: revoke a token (by default the one "
                                          "this request was signed with).")
