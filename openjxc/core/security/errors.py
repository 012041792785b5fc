"""The errors of identity and access, each with a stable code.

Codes are part of the API (GraphQL payload errors and ``extensions.code``), so they never
change once released; messages may be reworded and are localised by the API layer.
``field`` names the input a user error is about, for the payload's ``UserError.field``.
"""

from __future__ import annotations

from datetime import datetime

from openjxc.core.errors import OpenJXCError


class SecurityError(OpenJXCError):
    """Base of every identity-and-access error."""

    code = "SECURITY_ERROR"
    #: The input field this error is about, when there is one.
    field: str | None = None


class AuthenticationFailed(SecurityError):
    """Wrong username or password.  The message never says which of the two was wrong."""

    code = "INVALID_CREDENTIALS"
    #: Worded as ``KernelMessages.INVALID_CREDENTIALS``, whose catalogue entry translates it.
    MESSAGE = "Invalid username or password"

    def __init__(self, message: str = MESSAGE) -> None:
        super().__init__(message)


class TooManyAttempts(SecurityError):
    """Too many failed logins for this username or client address: try again later."""

    code = "TOO_MANY_ATTEMPTS"
    #: Worded as ``KernelMessages.TOO_MANY_LOGIN_ATTEMPTS``, whose catalogue entry translates it.
    MESSAGE = "Too many failed login attempts; try again later"

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(self.MESSAGE)
        #: Seconds until one more attempt is allowed (for a ``Retry-After`` header).
        self.retry_after_seconds = retry_after_seconds


class PermissionDenied(SecurityError):
    """The principal lacks the permission an operation needs."""

    code = "FORBIDDEN"

    def __init__(self, permission: str, message: str | None = None) -> None:
        super().__init__(message or f"permission {permission!r} is required")
        self.permission = permission


class InvalidUsername(SecurityError):
    code = "INVALID_USERNAME"
    field = "username"


class UsernameTaken(SecurityError):
    code = "USERNAME_TAKEN"
    field = "username"


class WeakPassword(SecurityError):
    code = "WEAK_PASSWORD"
    field = "password"


class InvalidLocale(SecurityError):
    code = "INVALID_LOCALE"
    field = "locale"


class UnknownUser(SecurityError):
    code = "UNKNOWN_USER"
    field = "username"


class UnknownRole(SecurityError):
    code = "UNKNOWN_ROLE"
    field = "roles"


class InvalidRoleName(SecurityError):
    code = "INVALID_ROLE_NAME"
    field = "name"


class UnknownPermission(SecurityError):
    code = "UNKNOWN_PERMISSION"
    field = "permissions"


class InvalidScope(SecurityError):
    """A scope kind or value that cannot be stored (empty or too long)."""

    code = "INVALID_SCOPE"
    field = "scopes"


class InvalidApiKey(SecurityError):
    """An API key that cannot be issued as asked (no name, no permissions, past expiry)."""

    code = "INVALID_API_KEY"


class PermissionNotHeld(SecurityError):
    """Granting (to an API key) a permission the issuer does not hold themselves."""

    code = "OUT_OF_SCOPE_PERMISSION"
    field = "permissions"

    def __init__(self, names: list[str]) -> None:
        super().__init__(f"cannot grant permissions the issuer does not hold: "
                         f"{', '.join(names)}")
        self.names = names


class ApiKeyOutlivesIssuer(InvalidApiKey):
    """An API key asked to stay valid longer than the API key that issues it."""

    field = "expires_at"

    def __init__(self, limit: datetime) -> None:
        super().__init__(f"the API key must expire by {limit.isoformat()}, when the key "
                         f"that issues it does")
        self.limit = limit
