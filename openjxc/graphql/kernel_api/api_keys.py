"""API keys for integrations: ``apiKeys``, ``apiKeyCreate``, ``apiKeyRevoke``.

A key acts as its owner narrowed to its permissions, and its full text is shown once, to
whoever issued it.  Two rules keep issuing keys from becoming a way up:

* a key never gets a permission its issuer does not hold *in this request* — otherwise a
  key limited to ``core.apikey.manage`` could mint its owner a key that does everything
  (and a key issued by an expiring key expires with it) — both enforced by the service,
  :func:`~openjxc.core.security.create_api_key`, given the caller as ``issuer``;
* issuing a key in another user's name also needs ``core.user.manage``: the issuer walks
  away able to act as that user, which only someone who may already set that user's
  password and roles should be able to do.

Listing and revoking need only ``core.apikey.manage``: neither hands anyone an identity.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar, cast

import strawberry
from sqlalchemy import Select, select
from strawberry.types import Info

from openjxc.core.i18n import KernelMessages, LazyString, _
from openjxc.core.models import utcnow
from openjxc.core.security import ApiKey as ApiKeyRow
from openjxc.core.security import (
    ApiKeyOutlivesIssuer,
    PermissionNotHeld,
    SecurityError,
    create_api_key,
    revoke_api_key,
)
from openjxc.core.security import User as UserRow
from openjxc.core.security.users import username_key
from openjxc.graphql.context import align, get_session
from openjxc.graphql.fields import check_access, field, mutation
from openjxc.graphql.pagination import Connection, paginate
from openjxc.graphql.relay import Node, from_global_id

from .errors import AccountError, AccountErrorCode, Messages, payload_error

MANAGE = "core.apikey.manage"


@strawberry.type(description="A long-lived credential for an integration; it acts as its "
                             "owner, with only the permissions it was given.")
class ApiKey(Node):
    node_permission: ClassVar[str] = MANAGE

    name: str
    prefix: str = strawberry.field(description="The public start of the key "
                                               "(`ojk_<prefix>_…`), to tell keys apart.")
    username: str = strawberry.field(description="The owner's username.")
    permissions: list[str] = strawberry.field(description="What the key may do, at most: "
                                                          "the owner must still hold them.")
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def from_row(cls, row: ApiKeyRow, username: str) -> ApiKey:
        return cls(pk=row.id, name=row.name, prefix=row.prefix, username=username,
                   permissions=sorted(row.scopes or ()), created_at=row.created_at,
                   expires_at=row.expires_at, revoked_at=row.revoked_at,
                   last_used_at=row.last_used_at)

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[ApiKey | None]:
        rows = get_session(info).execute(_keys().where(ApiKeyRow.id.in_(pks)))
        return align(pks, [cls.from_row(*r) for r in rows], key=lambda k: k.pk)


def _keys() -> Select[Any]:
    """API keys with their owner's username."""
    stmt = select(ApiKeyRow, UserRow.username).join(UserRow, UserRow.id == ApiKeyRow.user_id)
    return cast("Select[Any]", stmt)  # SQLAlchemy 2.0 and 2.1 spell row types differently


@strawberry.input(description="Narrow the API key list; all given conditions must hold.")
class ApiKeyFilter:
    username: str | None = strawberry.field(default=None, description="Only this owner's.")
    revoked: bool | None = strawberry.field(default=None, description="Only revoked (true) "
                                                                      "or live (false) keys.")


def api_keys(info: Info[Any, Any], filter: ApiKeyFilter | None = None,
             first: int | None = None, after: str | None = None, last: int | None = None,
             before: str | None = None) -> Connection[ApiKey]:
    stmt = _keys()
    if filter is not None:
        if filter.username is not None:
            stmt = stmt.where(UserRow.username_key == username_key(filter.username))
        if filter.revoked is not None:
            revoked = ApiKeyRow.revoked_at.is_not(None)
            stmt = stmt.where(revoked if filter.revoked else ~revoked)
    return paginate(get_session(info), stmt, first=first, after=after, last=last,
                    before=before, sort_keys=[ApiKeyRow.created_at.desc()],
                    to_node=lambda found: ApiKey.from_row(*found), info=info)


@strawberry.input(description="A new API key.")
class ApiKeyCreateInput:
    name: str = strawberry.field(description="What the key is for, e.g. \"WMS sync\".")
    permissions: list[str]
    expires_at: datetime | None = None
    username: str | None = strawberry.field(
        default=None, description="The owner; leave it out for yourself.  Another user "
                                  "needs `core.user.manage` as well.")


@strawberry.type(description="The new API key and, this once, its full text.")
class ApiKeyCreatePayload:
    api_key: ApiKey | None = None
    key: str | None = strawberry.field(default=None, description="The key itself: store it "
                                                                 "now, it is never shown "
                                                                 "again.")
    errors: list[AccountError]


def _refusals(info: Info[Any, Any], input: ApiKeyCreateInput) -> list[AccountError]:
    """What is wrong with the input, each with its field (the service would only say
    "invalid"), in one answer rather than one per attempt."""
    problems: list[tuple[AccountErrorCode, LazyString, str]] = []
    if not 0 < len(input.name.strip()) <= 128:
        problems.append((AccountErrorCode.INVALID, Messages.API_KEY_NAME, "name"))
    wanted = sorted(set(input.permissions))
    unknown = info.context.env.permissions.unknown(wanted)
    if not wanted:
        problems.append((AccountErrorCode.REQUIRED, Messages.API_KEY_PERMISSIONS_REQUIRED,
                         "permissions"))
    if unknown:
        problems.append((AccountErrorCode.UNKNOWN_PERMISSION,
                         _("Unknown permissions: {names}", names=", ".join(unknown)),
                         "permissions"))
    if input.expires_at is not None and input.expires_at <= utcnow():
        problems.append((AccountErrorCode.INVALID, Messages.API_KEY_EXPIRY_PAST, "expiresAt"))
    return [payload_error(info, AccountError, code, message, [where])
            for code, message, where in problems]


def api_key_create(info: Info[Any, Any], input: ApiKeyCreateInput) -> ApiKeyCreatePayload:
    principal = info.context.principal
    session = get_session(info)
    if input.username is None or username_key(input.username) == username_key(
            principal.username):
        owner = session.get(UserRow, principal.user_id)
    else:
        check_access(info, "core.user.manage")
        owner = session.scalar(select(UserRow).where(
            UserRow.username_key == username_key(input.username)))
    errors = _refusals(info, input)
    if owner is None:
        errors.insert(0, payload_error(info, AccountError, AccountErrorCode.NOT_FOUND,
                                       Messages.USER_NOT_FOUND, ["username"]))
    if owner is None or errors:
        return ApiKeyCreatePayload(errors=errors)
    try:
        with session.begin_nested():
            issued = create_api_key(session, info.context.env, owner, input.name,
                                    input.permissions, expires_at=input.expires_at,
                                    issuer=principal)
    except PermissionNotHeld as exc:
        return ApiKeyCreatePayload(errors=[payload_error(
            info, AccountError, AccountErrorCode.OUT_OF_SCOPE_PERMISSION,
            _("You cannot grant permissions you do not hold: {names}",
              names=", ".join(exc.names)), ["permissions"])])
    except ApiKeyOutlivesIssuer as exc:
        return ApiKeyCreatePayload(errors=[payload_error(
            info, AccountError, AccountErrorCode.INVALID,
            _("A key issued by an API key must expire by {limit}, when that key does",
              limit=exc.limit.isoformat()), ["expiresAt"])])
    except SecurityError:
        # Every rule the service applies is checked above with its field; this is the
        # net for one it may gain later, so that the answer is still a payload error.
        return ApiKeyCreatePayload(errors=[payload_error(
            info, AccountError, AccountErrorCode.INVALID, KernelMessages.INVALID_INPUT)])
    row = session.execute(_keys().where(ApiKeyRow.id == issued.id)).one()
    return ApiKeyCreatePayload(api_key=ApiKey.from_row(*row), key=issued.key, errors=[])


@strawberry.input(description="The API key to revoke.")
class ApiKeyRevokeInput:
    id: strawberry.ID


@strawberry.type(description="The revoked API key, or why it was not revoked.")
class ApiKeyRevokePayload:
    api_key: ApiKey | None = None
    errors: list[AccountError]


def _key_pk(global_id: str) -> int | None:
    # The shared canonical parser: ``"²"`` or a key past 64 bits is no key's ID (an
    # answer of NOT_FOUND), never an INTERNAL_SERVER_ERROR from ``int()`` or the driver.
    type_name, raw = from_global_id(global_id)
    if type_name != "ApiKey":
        return None
    try:
        return cast(int, ApiKey.parse_pk(raw))
    except (TypeError, ValueError):
        return None


def api_key_revoke(info: Info[Any, Any], input: ApiKeyRevokeInput) -> ApiKeyRevokePayload:
    session = get_session(info)
    pk = _key_pk(input.id)
    if pk is None or session.get(ApiKeyRow, pk) is None:
        return ApiKeyRevokePayload(errors=[payload_error(
            info, AccountError, AccountErrorCode.NOT_FOUND, Messages.API_KEY_NOT_FOUND,
            ["id"])])
    # Revoking a revoked key changes nothing and is no error: the caller's wish holds.
    revoke_api_key(session, pk)
    row = session.execute(_keys().where(ApiKeyRow.id == pk)
                          .execution_options(populate_existing=True)).one()
    return ApiKeyRevokePayload(api_key=ApiKey.from_row(*row), errors=[])


api_keys_field = field(api_keys, permission=MANAGE, name="apiKeys",
                       description="API keys, newest first (never their secret part).")
api_key_create_field = mutation(api_key_create, permission=MANAGE, name="apiKeyCreate",
                                description="Issue an API key for an integration.")
api_key_revoke_field = mutation(api_key_revoke, permission=MANAGE, name="apiKeyRevoke",
                                description="Revoke an API key: it stops authenticating "
                                            "at once.")
