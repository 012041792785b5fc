"""Users and roles: creating them, granting roles and limiting users to scopes.

    with env.unit_of_work() as session:
        create_user(session, env, "wang.li", "s3cret-pass", roles=["warehouse_clerk"],
                    locale="zh_CN", scopes={"warehouse": [1, 3]})

Every failure is a :class:`~openjxc.core.security.errors.SecurityError` with a stable code
(``INVALID_USERNAME``, ``USERNAME_TAKEN``, ``WEAK_PASSWORD``, ``UNKNOWN_ROLE`` …) and is
raised before anything is written, so a refused call leaves the session as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from babel import Locale, UnknownLocaleError
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from openjxc.core.models import utcnow
from openjxc.core.security.cache import invalidate
from openjxc.core.security.errors import (
    InvalidLocale,
    InvalidRoleName,
    InvalidScope,
    InvalidUsername,
    UnknownPermission,
    UnknownRole,
    UnknownUser,
    UsernameTaken,
    WeakPassword,
)
from openjxc.core.security.models import (
    AccessToken,
    Role,
    RolePermission,
    User,
    UserRole,
    UserScope,
)
from openjxc.core.security.passwords import hash_password
from openjxc.core.security.permissions import (
    ADMIN_ROLE,
    ROLE_NAME,
    PermissionRegistry,
    is_permission_name,
)

if TYPE_CHECKING:
    from openjxc.core.env import Environment

USERNAME = re.compile(r"^[A-Za-z0-9._-]{3,64}$")
MIN_PASSWORD_LENGTH = 8
ScopeValue = str | int


def username_key(username: str) -> str:
    """The form usernames are compared in (case-insensitive)."""
    return username.strip().lower()


def find_user(session: Session, username: str) -> User | None:
    """The user named ``username``, whatever its case."""
    return session.scalar(select(User).where(User.username_key == username_key(username)))


def create_user(
    session: Session,
    env: Environment,
    username: str,
    password: str,
    roles: Iterable[str] = (),
    locale: str | None = None,
    *,
    full_name: str = "",
    scopes: Mapping[str, Iterable[ScopeValue]] | None = None,
    active: bool = True,
) -> User:
    """Create a user with an Argon2id-hashed password, roles and scopes.

    A role named here that the database does not hold yet but the environment knows (the
    built-in ``admin`` or an addon's template) is created on the way, so the first user of
    a fresh database can be an administrator.  ``scopes`` limits the user per kind, e.g.
    ``{"warehouse": [1, 3]}``; no entry for a kind means unrestricted for that kind.
    """
    if not isinstance(username, str) or not USERNAME.match(username):
        raise InvalidUsername(
            "a username has 3 to 64 characters: letters, digits, '.', '_' or '-'"
        )
    check_password_strength(password, username=username)
    locale = check_locale(locale)
    checked_scopes = _check_scopes(scopes or {})
    if find_user(session, username) is not None:
        raise UsernameTaken(f"the username {username!r} is taken")
    role_rows = _resolve_roles(session, env, roles)
    user = User(
        username=username,
        username_key=username_key(username),
        full_name=full_name,
        password_hash=hash_password(password),
        active=active,
        locale=locale,
    )
    session.add(user)
    session.flush()
    session.add_all(UserRole(user_id=user.id, role_id=role.id) for role in role_rows)
    session.add_all(
        UserScope(user_id=user.id, kind=kind, value=value)
        for kind, values in checked_scopes.items()
        for value in values
    )
    session.flush()
    return user


def check_password_strength(password: str, *, username: str | None = None) -> None:
    """Refuse passwords an attacker guesses first: short ones and the username itself."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"a password has at least {MIN_PASSWORD_LENGTH} characters")
    if username is not None and password.strip().lower() == username_key(username):
        raise WeakPassword("the password must not be the username")


def check_locale(locale: str | None) -> str | None:
    """A locale Babel knows (``zh_CN``, ``en``), or None for the deployment default."""
    if locale is None:
        return None
    try:
        Locale.parse(locale)
    except (ValueError, TypeError, UnknownLocaleError):
        raise InvalidLocale(f"unknown locale {locale!r}; use e.g. 'zh_CN' or 'en'") from None
    if len(locale) > 16:
        raise InvalidLocale(f"locale {locale!r} is too long")
    return locale


def set_password(session: Session, user: User, password: str, *,
                 now: datetime | None = None) -> None:
    """Change a password and revoke the user's tokens (a changed password ends sessions)."""
    check_password_strength(password, username=user.username)
    now = now or utcnow()
    user.password_hash = hash_password(password)
    user.password_changed_at = now
    invalidate(session, user_id=user.id)
    session.execute(
        update(AccessToken)
        .where(AccessToken.user_id == user.id, AccessToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    session.flush()


def set_user_roles(session: Session, env: Environment, user: User,
                   roles: Iterable[str]) -> None:
    """Replace the user's roles with ``roles`` (names)."""
    role_rows = _resolve_roles(session, env, roles)
    invalidate(session, user_id=user.id)
    session.execute(delete(UserRole).where(UserRole.user_id == user.id))
    session.add_all(UserRole(user_id=user.id, role_id=role.id) for role in role_rows)
    session.flush()


def set_user_scopes(session: Session, user: User, kind: str,
                    values: Iterable[ScopeValue] | None) -> None:
    """Limit ``user`` to ``values`` of ``kind``; None (or nothing) lifts the limit."""
    checked = _check_scopes({kind: values or ()})
    invalidate(session, user_id=user.id)
    session.execute(delete(UserScope).where(UserScope.user_id == user.id, UserScope.kind == kind))
    session.add_all(UserScope(user_id=user.id, kind=kind, value=v) for v in checked[kind])
    session.flush()


def ensure_role(
    session: Session,
    name: str,
    permissions: Iterable[str] = (),
    *,
    description: str = "",
    env: Environment | None = None,
) -> Role:
    """The role ``name``, created if missing, holding at least ``permissions``.

    Never removes a permission: an administrator's additions to a template role survive
    re-installs.  ``admin`` is always the built-in all-permissions role, whatever
    ``permissions`` says.  With ``env``, permission names the environment does not declare
    are refused (``UNKNOWN_PERMISSION``); without it only their form is checked.
    """
    if not isinstance(name, str) or not ROLE_NAME.match(name):
        raise InvalidRoleName(
            f"invalid role name {name!r}: 2-64 lowercase letters, digits and underscores"
        )
    wanted = set(permissions)
    malformed = sorted(p for p in wanted if not is_permission_name(p))
    if malformed:
        raise UnknownPermission(f"invalid permission names: {', '.join(malformed)}")
    if env is not None:
        unknown = PermissionRegistry.for_environment(env).unknown(wanted)
        if unknown:
            raise UnknownPermission(f"unknown permissions: {', '.join(unknown)}")
    is_admin = name == ADMIN_ROLE
    role = session.scalar(select(Role).where(Role.name == name))
    created = role is None
    if role is None:
        role = Role(name=name, description=description, is_admin=is_admin)
        session.add(role)
        session.flush()
    elif is_admin and not role.is_admin:
        role.is_admin = True
        invalidate(session, everything=True)  # whoever holds it now holds everything
    if is_admin:
        return role
    held = set(session.scalars(
        select(RolePermission.permission).where(RolePermission.role_id == role.id)
    ))
    added = sorted(wanted - held)
    if added and not created:
        # Every holder of the role gains them: cheaper to forget all than to find them.
        invalidate(session, everything=True)
    session.add_all(RolePermission(role_id=role.id, permission=p) for p in added)
    session.flush()
    return role


def sync_role_templates(session: Session, env: Environment) -> list[Role]:
    """Create ``admin`` and every role template of the environment (idempotent).

    Run at install and after an addon is added, so its template roles appear.
    """
    registry = PermissionRegistry.for_environment(env)
    roles = [ensure_role(session, ADMIN_ROLE, description="Every permission")]
    for template in registry.roles.values():
        roles.append(ensure_role(session, template.name, template.permissions,
                                 description=template.description))
    return roles


def get_user(session: Session, username: str) -> User:
    """Like :func:`find_user`, but an unknown username is an ``UNKNOWN_USER`` error."""
    user = find_user(session, username)
    if user is None:
        raise UnknownUser(f"no user named {username!r}")
    return user


def _resolve_roles(session: Session, env: Environment, names: Iterable[str]) -> list[Role]:
    if isinstance(names, str):
        raise TypeError("roles is a list of role names, not one string")
    wanted = list(dict.fromkeys(names))
    found = {r.name: r for r in session.scalars(select(Role).where(Role.name.in_(wanted)))}
    registry = PermissionRegistry.for_environment(env)
    templates = registry.roles
    unknown = [n for n in wanted if n not in found and n != ADMIN_ROLE and n not in templates]
    if unknown:
        raise UnknownRole(f"unknown roles: {', '.join(unknown)}")
    for name in wanted:
        if name not in found:
            template = templates.get(name)
            found[name] = ensure_role(
                session, name, template.permissions if template else (),
                description=template.description if template else "Every permission",
            )
    return [found[n] for n in wanted]


def _check_scopes(scopes: Mapping[str, Iterable[ScopeValue]]) -> dict[str, set[str]]:
    checked: dict[str, set[str]] = {}
    for kind, values in scopes.items():
        if not isinstance(kind, str) or not 0 < len(kind) <= 32:
            raise InvalidScope(f"invalid scope kind {kind!r}")
        if isinstance(values, str | int):
            raise InvalidScope(f"scope {kind!r}: give a list of values")
        texts = {str(v) for v in values}
        if any(not 0 < len(t) <= 64 for t in texts):
            raise InvalidScope(f"scope {kind!r}: values have 1 to 64 characters")
        checked[kind] = texts
    return checked
