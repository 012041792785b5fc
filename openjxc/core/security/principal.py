"""Who is calling: authenticating a bearer credential into a :class:`Principal`.

    principal = authenticate(session, env, "ojt_…")      # or "ojk_<prefix>_<secret>"
    if principal is None: ...                              # UNAUTHENTICATED
    principal.require("stock.move.create")                 # or PermissionDenied (FORBIDDEN)
    if not principal.allowed("warehouse", warehouse_id): ...

Authentication costs two statements: one finds the credential with its user, one reads
the user's grants (role permissions, the admin flag and scopes, as one ``UNION ALL``).
``last_used_at`` is written at most once a minute per credential, not on every request.
``authenticate`` always asks the database; the HTTP layer puts a
:class:`~openjxc.core.security.cache.PrincipalCache` in front of it, so that a credential
seen a few seconds ago costs no SQL at all.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from sqlalchemy import (
    String,
    cast,
    literal_column,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy import text as sql_text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from openjxc.core.db import SQLITE_BUSY_TIMEOUT_MS
from openjxc.core.models import utcnow
from openjxc.core.security.api_keys import API_KEY_PREFIX, api_key_prefix
from openjxc.core.security.cache import credential_text
from openjxc.core.security.errors import PermissionDenied
from openjxc.core.security.models import (
    AccessToken,
    ApiKey,
    Role,
    RolePermission,
    User,
    UserRole,
    UserScope,
)
from openjxc.core.security.permissions import PermissionRegistry
from openjxc.core.security.tokens import TOKEN_PREFIX, digest

if TYPE_CHECKING:
    from openjxc.core.db import Database
    from openjxc.core.env import Environment

log = logging.getLogger("openjxc.security")

Via = Literal["token", "api_key"]
#: How stale ``last_used_at`` may get before authenticating writes it again.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    """An authenticated user (through a token or an API key) and what they may do.

    ``scopes`` maps a scope kind to the values the user is limited to; a kind that is
    absent is unrestricted (so an empty mapping means unrestricted everywhere).
    """

    user_id: int
    username: str
    permissions: frozenset[str]
    scopes: Mapping[str, frozenset[str]] = field(default_factory=dict, hash=False)
    locale: str = "zh_CN"
    #: Whether ``locale`` is the user's own choice; when not (the deployment's default
    #: stands in), a request's Accept-Language may choose instead.
    locale_chosen: bool = True
    via: Via = "token"
    #: The id of the token or API key row used, e.g. to revoke the current session.
    credential_id: int | None = None
    #: When that credential stops authenticating (None: an API key without expiry).
    expires_at: datetime | None = None

    def __post_init__(self) -> None:
        frozen = {kind: frozenset(values) for kind, values in self.scopes.items()}
        object.__setattr__(self, "scopes", MappingProxyType(frozen))

    def has(self, permission: str) -> bool:
        return permission in self.permissions

    def require(self, permission: str) -> None:
        """Raise ``PermissionDenied`` (code ``FORBIDDEN``) unless the principal has it."""
        if permission not in self.permissions:
            raise PermissionDenied(permission)

    def allowed(self, kind: str, value: str | int) -> bool:
        """Whether the principal may act on ``value`` of scope ``kind`` (e.g. a warehouse)."""
        limit = self.scopes.get(kind)
        return limit is None or str(value) in limit

    def scope(self, kind: str) -> frozenset[str] | None:
        """The values of ``kind`` the principal is limited to, or None if unrestricted —
        for queries that filter lists rather than check one row."""
        return self.scopes.get(kind)


@dataclass(frozen=True)
class _Credential:
    via: Via
    id: int
    last_used_at: datetime | None
    user_id: int
    username: str
    locale: str | None
    expires_at: datetime | None
    key_scopes: frozenset[str] | None = None


def authenticate(session: Session, env: Environment, bearer: str, *,
                 now: datetime | None = None) -> Principal | None:
    """The principal a bearer token or API key stands for, or None.

    None for anything that does not authenticate: malformed, unknown, expired, revoked,
    or belonging to an inactive user — the caller answers ``UNAUTHENTICATED`` alike.
    A leading ``Bearer`` is tolerated.

    Run it in a write unit of work (or one of its own): about once a minute it records
    ``last_used_at``, and on SQLite a read-only (``DEFERRED``) transaction can fail to
    upgrade to a writer when another connection is writing.  A caller that reads in a
    read-only unit of work uses :func:`identify` and then :func:`record_use` instead.
    """
    now = now or utcnow()
    identified = identify(session, env, bearer, now=now)
    if identified is None:
        return None
    if identified.use_due:
        session.execute(_use_statement(identified.principal, now)
                        .execution_options(synchronize_session=False))
    return identified.principal


class Identified(NamedTuple):
    """A principal, and whether its credential's ``last_used_at`` is due to be written."""

    principal: Principal
    use_due: bool


def identify(session: Session, env: Environment, bearer: str, *,
             now: datetime | None = None) -> Identified | None:
    """:func:`authenticate` without writing anything: safe in a read-only unit of work.
    Pass the principal to :func:`record_use` afterwards when ``use_due``."""
    if not isinstance(bearer, str):
        return None
    credential = credential_text(bearer)
    now = now or utcnow()
    if credential.startswith(TOKEN_PREFIX):
        found = _find_token(session, credential, now)
    elif credential.startswith(API_KEY_PREFIX):
        found = _find_api_key(session, credential, now)
    else:
        return None
    if found is None:
        return None
    due = found.last_used_at is None or now - found.last_used_at >= LAST_USED_RESOLUTION
    return Identified(_principal(session, env, found), due)


def _use_statement(principal: Principal, now: datetime) -> Any:
    model = AccessToken if principal.via == "token" else ApiKey
    return (update(model)
            .where(model.id == principal.credential_id,
                   or_(model.last_used_at.is_(None),
                       model.last_used_at <= now - LAST_USED_RESOLUTION))
            .values(last_used_at=now))


#: How long :func:`record_use` waits for a lock before giving up on the bookkeeping.
RECORD_USE_WAIT_MS = 100


def record_use(database: Database, principal: Principal, *, now: datetime | None = None,
               wait_ms: int = RECORD_USE_WAIT_MS) -> bool:
    """Write the credential's ``last_used_at``, best effort; False if it was not written.

    Its own short write transaction, waiting at most ``wait_ms`` for a lock (SQLite's
    write lock, a row lock on PostgreSQL): bookkeeping must never make an authenticated
    request fail or wait behind a long writer, so a lock it cannot get (or any database
    error) is logged and ignored.  A use missed now is recorded by a later one.
    """
    if principal.credential_id is None:
        return False
    now = now or utcnow()
    engine = database.engine
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                # Before BEGIN IMMEDIATE, which otherwise waits the full busy timeout.
                raw: Any = connection.connection.driver_connection
                raw.execute(f"PRAGMA busy_timeout={int(wait_ms)}")
            try:
                with connection.begin():
                    if engine.dialect.name == "postgresql":
                        connection.execute(sql_text(f"SET LOCAL lock_timeout = {int(wait_ms)}"))
                    connection.execute(_use_statement(principal, now))
            finally:
                if engine.dialect.name == "sqlite":
                    raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    except DBAPIError as exc:
        log.info("last_used_at of %s %s not recorded: %s", principal.via,
                 principal.credential_id, exc.orig)
        return False
    return True


def _find_token(session: Session, token: str, now: datetime) -> _Credential | None:
    row = session.execute(
        select(AccessToken.id, AccessToken.last_used_at, User.id, User.username, User.locale,
               AccessToken.expires_at)
        .join(User, User.id == AccessToken.user_id)
        .where(
            AccessToken.token_hash == digest(token),
            AccessToken.revoked_at.is_(None),
            AccessToken.expires_at > now,
            User.active.is_(True),
        )
    ).one_or_none()
    if row is None:
        return None
    return _Credential("token", row[0], row[1], row[2], row[3], row[4], row[5])


def _find_api_key(session: Session, key: str, now: datetime) -> _Credential | None:
    prefix = api_key_prefix(key)
    if prefix is None:
        return None
    row = session.execute(
        select(ApiKey.id, ApiKey.last_used_at, User.id, User.username, User.locale,
               ApiKey.expires_at, ApiKey.key_hash, ApiKey.scopes)
        .join(User, User.id == ApiKey.user_id)
        .where(
            ApiKey.prefix == prefix,
            ApiKey.revoked_at.is_(None),
            or_(ApiKey.expires_at.is_(None), ApiKey.expires_at > now),
            User.active.is_(True),
        )
    ).one_or_none()
    # The prefix is public: the secret part is what must match, in constant time.
    if row is None or not hmac.compare_digest(row[6], digest(key)):
        return None
    return _Credential("api_key", row[0], row[1], row[2], row[3], row[4], row[5],
                       key_scopes=frozenset(row[7] or ()))


def grants_statement(user_id: int) -> Any:
    """One statement for everything a user is granted: ``(kind, a, b)`` rows where kind is
    ``p`` (permission ``a``), ``a`` (holds the admin role) or ``s`` (scope ``a`` = ``b``)."""
    text = String(128)
    nothing = cast(null(), text)
    permissions = (
        select(literal_column("'p'", text), cast(RolePermission.permission, text), nothing)
        .join(UserRole, UserRole.role_id == RolePermission.role_id)
        .where(UserRole.user_id == user_id)
    )
    admin = (
        select(literal_column("'a'", text), nothing, nothing)
        .select_from(UserRole)
        .join(Role, Role.id == UserRole.role_id)
        .where(UserRole.user_id == user_id, Role.is_admin.is_(True))
    )
    scopes = select(
        literal_column("'s'", text), cast(UserScope.kind, text), cast(UserScope.value, text)
    ).where(UserScope.user_id == user_id)
    return union_all(permissions, admin, scopes)


def _principal(session: Session, env: Environment, found: _Credential) -> Principal:
    registry = PermissionRegistry.for_environment(env)
    granted: set[str] = set()
    scopes: dict[str, set[str]] = {}
    admin = False
    for kind, a, b in session.execute(grants_statement(found.user_id)):
        if kind == "p":
            granted.add(a)
        elif kind == "a":
            admin = True
        else:
            scopes.setdefault(a, set()).add(b)
    # Admin is computed, so an addon installed later reaches administrators at once;
    # a grant of a permission no addon declares any more (uninstalled) is ignored.
    permissions = registry.names if admin else registry.names & granted
    if found.key_scopes is not None:
        permissions = permissions & found.key_scopes
    return Principal(
        user_id=found.user_id,
        username=found.username,
        permissions=frozenset(permissions),
        scopes={kind: frozenset(values) for kind, values in scopes.items()},
        locale=found.locale or env.settings.default_locale,
        locale_chosen=bool(found.locale),
        via=found.via,
        credential_id=found.id,
        expires_at=found.expires_at,
    )
