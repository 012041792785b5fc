"""API keys: long-lived credentials for integrations, limited to some permissions.

    with env.unit_of_work() as session:
        issued = create_api_key(session, env, "wang.li", "WMS sync",
                                scopes=["stock.level.read", "stock.move.create"])
    # issued.key == "ojk_3f9a1c0b7d2e_…" — shown once; only its digest is stored

A key acts as its owner, but only with the permissions in ``scopes`` that the owner still
holds (the intersection, computed at each authentication: demoting the owner demotes the
key).  The owner's warehouse (and other) scopes apply to the key too.

Given the ``issuer`` (the principal issuing the key), two more rules keep issuing keys
from becoming a way up: the key gets no permission the issuer does not hold, and a key
issued *by an API key* with an expiry expires no later than that key — a key that runs
out could otherwise mint a successor that never does.  (A token's expiry ends a sign-in
session, not what its user may do: signing in again gives a new one, so a key issued
from a session may outlive it.)
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from openjxc.core.models import utcnow
from openjxc.core.security.cache import invalidate
from openjxc.core.security.errors import (
    ApiKeyOutlivesIssuer,
    InvalidApiKey,
    PermissionNotHeld,
    UnknownPermission,
)
from openjxc.core.security.models import ApiKey, User
from openjxc.core.security.permissions import PermissionRegistry
from openjxc.core.security.tokens import digest
from openjxc.core.security.users import get_user

if TYPE_CHECKING:
    from openjxc.core.env import Environment
    from openjxc.core.security.principal import Principal

API_KEY_PREFIX = "ojk_"


class IssuedApiKey(NamedTuple):
    """A new API key: the full key (shown once), its public prefix, its row id, expiry."""

    key: str
    prefix: str
    id: int
    expires_at: datetime | None


def create_api_key(
    session: Session,
    env: Environment,
    user: User | str,
    name: str,
    scopes: Iterable[str],
    *,
    expires_at: datetime | None = None,
    issuer: Principal | None = None,
    now: datetime | None = None,
) -> IssuedApiKey:
    """Issue a key for ``user`` (a User or a username) that may use ``scopes``.

    ``scopes`` must name permissions the environment declares (``UNKNOWN_PERMISSION``
    otherwise) and may not be empty: a key that can do nothing is a mistake.  With an
    ``issuer``, they must be permissions the issuer holds (``PermissionNotHeld``), and
    an issuer that is an expiring API key limits ``expires_at`` to its own expiry
    (``ApiKeyOutlivesIssuer``; no expiry at all is refused too).  Leave ``issuer`` out
    only for trusted callers (the command line, migrations).
    """
    now = now or utcnow()
    owner = user if isinstance(user, User) else get_user(session, user)
    name = (name or "").strip()
    if not 0 < len(name) <= 128:
        raise InvalidApiKey("an API key needs a name of 1 to 128 characters")
    if isinstance(scopes, str):
        raise TypeError("scopes is a list of permission names, not one string")
    wanted = sorted(set(scopes))
    if not wanted:
        raise InvalidApiKey("an API key needs at least one permission")
    unknown = PermissionRegistry.for_environment(env).unknown(wanted)
    if unknown:
        raise UnknownPermission(f"unknown permissions: {', '.join(unknown)}")
    if expires_at is not None and expires_at <= now:
        raise InvalidApiKey("the expiry date of an API key must be in the future")
    if issuer is not None:
        beyond = sorted(set(wanted) - issuer.permissions)
        if beyond:
            raise PermissionNotHeld(beyond)
        limit = issuer.expires_at if issuer.via == "api_key" else None
        if limit is not None and (expires_at is None or expires_at > limit):
            raise ApiKeyOutlivesIssuer(limit)
    # 12 hex digits never contain the "_" that separates the parts of the key.
    prefix = secrets.token_hex(6)
    key = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(
        user_id=owner.id, name=name, prefix=prefix, key_hash=digest(key), scopes=wanted,
        created_at=now, expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return IssuedApiKey(key, prefix, row.id, expires_at)


def revoke_api_key(session: Session, key_id: int, *, now: datetime | None = None) -> bool:
    """Revoke an API key by id; False if it is unknown or already revoked."""
    invalidate(session, credential=("api_key", key_id))
    result = session.execute(
        update(ApiKey)
        .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return cast(CursorResult[Any], result).rowcount > 0


def api_key_prefix(key: str) -> str | None:
    """The public prefix of a key formatted ``ojk_<prefix>_<secret>``, or None."""
    if not key.startswith(API_KEY_PREFIX):
        return None
    prefix, sep, secret = key[len(API_KEY_PREFIX):].partition("_")
    if not sep or not secret or not 0 < len(prefix) <= 16:
        return None
    return prefix
