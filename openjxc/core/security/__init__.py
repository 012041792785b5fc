"""Identity and access: users, roles, permissions, tokens, API keys and principals.

The parts, each in its own module:

* :mod:`.permissions` — ``Permission`` and ``RoleTemplate`` (what addons declare through
  the ``register_permissions`` / ``register_roles`` hooks) and the per-environment
  ``PermissionRegistry``, which fails the boot on malformed or duplicate declarations;
* :mod:`.models` — the kernel's ``core_`` tables;
* :mod:`.passwords` — Argon2id hashing;
* :mod:`.users` — creating users and roles, granting roles and scopes;
* :mod:`.tokens` and :mod:`.api_keys` — issuing and revoking credentials, with the
  brute-force throttle in front of the password check;
* :mod:`.principal` — ``authenticate`` a bearer credential into a ``Principal``;
* :mod:`.cache` — ``PrincipalCache``, the credentials a worker authenticated a moment ago,
  and ``invalidate``, which the services above call when they revoke or change a grant.

Everything public is importable from ``openjxc.core.security`` directly.
"""

from openjxc.core.security.api_keys import (
    API_KEY_PREFIX,
    IssuedApiKey,
    create_api_key,
    revoke_api_key,
)
from openjxc.core.security.cache import PrincipalCache, invalidate
from openjxc.core.security.errors import (
    ApiKeyOutlivesIssuer,
    AuthenticationFailed,
    InvalidApiKey,
    InvalidLocale,
    InvalidRoleName,
    InvalidScope,
    InvalidUsername,
    PermissionDenied,
    PermissionNotHeld,
    SecurityError,
    TooManyAttempts,
    UnknownPermission,
    UnknownRole,
    UnknownUser,
    UsernameTaken,
    WeakPassword,
)
from openjxc.core.security.models import (
    SECURITY_MODELS,
    AccessToken,
    ApiKey,
    LoginFailure,
    Role,
    RolePermission,
    User,
    UserRole,
    UserScope,
)
from openjxc.core.security.passwords import hash_password, needs_rehash, verify_password
from openjxc.core.security.permissions import (
    ADMIN_ROLE,
    Permission,
    PermissionRegistry,
    RoleTemplate,
    is_permission_name,
)
from openjxc.core.security.principal import (
    Identified,
    Principal,
    authenticate,
    identify,
    record_use,
)
from openjxc.core.security.tokens import (
    TOKEN_PREFIX,
    IssuedToken,
    create_token,
    revoke_token,
    revoke_user_tokens,
)
from openjxc.core.security.users import (
    create_user,
    ensure_role,
    find_user,
    get_user,
    set_password,
    set_user_roles,
    set_user_scopes,
    sync_role_templates,
)

__all__ = [
    "ADMIN_ROLE",
    "API_KEY_PREFIX",
    "SECURITY_MODELS",
    "TOKEN_PREFIX",
    "AccessToken",
    "ApiKey",
    "ApiKeyOutlivesIssuer",
    "AuthenticationFailed",
    "Identified",
    "InvalidApiKey",
    "InvalidLocale",
    "InvalidRoleName",
    "InvalidScope",
    "InvalidUsername",
    "IssuedApiKey",
    "IssuedToken",
    "LoginFailure",
    "Permission",
    "PermissionDenied",
    "PermissionNotHeld",
    "PermissionRegistry",
    "Principal",
    "PrincipalCache",
    "Role",
    "RolePermission",
    "RoleTemplate",
    "SecurityError",
    "TooManyAttempts",
    "UnknownPermission",
    "UnknownRole",
    "UnknownUser",
    "User",
    "UserRole",
    "UserScope",
    "UsernameTaken",
    "WeakPassword",
    "authenticate",
    "create_api_key",
    "create_token",
    "create_user",
    "ensure_role",
    "find_user",
    "get_user",
    "hash_password",
    "identify",
    "invalidate",
    "is_permission_name",
    "needs_rehash",
    "record_use",
    "revoke_api_key",
    "revoke_token",
    "revoke_user_tokens",
    "set_password",
    "set_user_roles",
    "set_user_scopes",
    "sync_role_templates",
    "verify_password",
]
