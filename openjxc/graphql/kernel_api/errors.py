"""The payload errors of the kernel's own mutations: ``AccountError`` and ``AlertError``.

The security and alert services raise English exceptions for logs and the CLI; clients
get a stable enum code and a message in their own language (API.md).  So the codes are
declared here, as the API's promise, and each message is a catalogue msgid rendered in
the caller's locale when the payload is built.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any, TypeVar

import strawberry
from strawberry.types import Info

from openjxc.core.i18n import LazyString, _
from openjxc.graphql.user_errors import UserError

E = TypeVar("E", bound=UserError)


@strawberry.enum(description="Reasons sign-in, token and API key mutations give.")
class AccountErrorCode(Enum):
    #: Unknown user, inactive user or wrong password: deliberately one code and one message.
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    TOO_MANY_ATTEMPTS = "TOO_MANY_ATTEMPTS"
    NOT_FOUND = "NOT_FOUND"
    REQUIRED = "REQUIRED"
    INVALID = "INVALID"
    UNKNOWN_PERMISSION = "UNKNOWN_PERMISSION"
    #: A credential may never be given a permission its issuer does not hold right now.
    OUT_OF_SCOPE_PERMISSION = "OUT_OF_SCOPE_PERMISSION"


@strawberry.type(description="A problem with the input of a sign-in, token or API key "
                             "mutation; nothing was changed.")
class AccountError(UserError):
    code: AccountErrorCode = strawberry.field(description="Stable, machine-readable reason.")


@strawberry.enum(description="Reasons alert mutations give.")
class AlertErrorCode(Enum):
    NOT_FOUND = "NOT_FOUND"
    #: Its condition went away before anyone acknowledged it.
    ALREADY_RESOLVED = "ALREADY_RESOLVED"


@strawberry.type(description="A problem with the input of an alert mutation; nothing was "
                             "changed.")
class AlertError(UserError):
    code: AlertErrorCode = strawberry.field(description="Stable, machine-readable reason.")


class Messages:
    """The kernel API's own payload messages (sign-in messages are ``KernelMessages``)."""

    USER_NOT_FOUND = _("No user has this username")
    TOKEN_NOT_FOUND = _("This token is unknown or already revoked")
    SIGNED_IN_WITH_API_KEY = _("This request was signed with an API key, not a token; name "
                               "the token to revoke, or revoke the key with apiKeyRevoke")
    API_KEY_NOT_FOUND = _("No API key has this ID")
    API_KEY_NAME = _("Give the API key a name of 1 to 128 characters")
    API_KEY_PERMISSIONS_REQUIRED = _("Give the API key at least one permission")
    API_KEY_EXPIRY_PAST = _("The expiry date of an API key must be in the future")
    ALERT_NOT_FOUND = _("No alert has this ID")
    ALERT_RESOLVED = _("This alert is already resolved: its condition went away")


def payload_error(info: Info[Any, Any], error_type: type[E], code: Enum, message: LazyString,
                  field: Sequence[str] = ()) -> E:
    """One ``<Domain>Error`` with ``message`` rendered in the caller's locale; ``field`` is
    the path of the input at fault in the API's own spelling (``["expiresAt"]``)."""
    locale = getattr(info.context, "locale", None)
    return error_type(field=list(field) or None, code=code,  # type: ignore[call-arg]
                      message=message.resolve(locale))
