"""The kernel's identity tables: users, roles, grants, scopes, tokens, API keys, failures.

Secrets are never stored: passwords as Argon2id hashes, tokens and API keys as SHA-256
digests of high-entropy random strings (a slow hash adds nothing there, and a fast one
keeps authentication to a single indexed look-up).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openjxc.core.models import Base, UTCDateTime, utcnow


class User(Base):
    """A person (or an integration's owner) who signs in.

    ``username`` keeps the spelling the user chose; ``username_key`` is its lowercase form,
    unique, so that ``Wang.Li`` and ``wang.li`` are the same login on every backend.
    """

    __tablename__ = "core_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64))
    username_key: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(128), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: The user's language (``zh_CN``, ``en``); None means the deployment default.
    locale: Mapped[str | None] = mapped_column(String(16), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class UserScope(Base):
    """One scope value a user is limited to, e.g. ``("warehouse", "3")``.

    The kernel knows no warehouses: an addon names a kind and stores its own ids as text.
    A user with no row of a kind is unrestricted for that kind.
    """

    __tablename__ = "core_user_scope"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)


class Role(Base):
    """A named set of permissions.  ``is_admin`` marks the built-in role that holds them all."""

    __tablename__ = "core_role"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RolePermission(Base):
    """A permission granted to a role, by name (permissions are declared in code)."""

    __tablename__ = "core_role_permission"

    role_id: Mapped[int] = mapped_column(
        ForeignKey("core_role.id", ondelete="CASCADE"), primary_key=True
    )
    permission: Mapped[str] = mapped_column(String(128), primary_key=True)


class UserRole(Base):
    __tablename__ = "core_user_role"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("core_user.id", ondelete="CASCADE"), primary_key=True
    )
    role_id: Mapped[int] = mapped_column(
        ForeignKey("core_role.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class AccessToken(Base):
    """A session token issued by ``tokenCreate``; only its SHA-256 digest is kept."""

    __tablename__ = "core_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("core_user.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: Refreshed at most once a minute, so that authenticating is not a write per request.
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    #: The client address the token was issued to, for the user's session list.
    client: Mapped[str | None] = mapped_column(String(255), nullable=True)


class ApiKey(Base):
    """A long-lived credential for an integration, acting as its owner with fewer rights.

    Shown once as ``ojk_<prefix>_<secret>``; ``prefix`` is kept in clear so people can tell
    their keys apart and so the key is found by an indexed look-up; ``key_hash`` is the
    SHA-256 of the whole key.  ``scopes`` lists the permissions the key may use; the key
    gets their intersection with its owner's current permissions.
    """

    __tablename__ = "core_api_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("core_user.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class LoginFailure(Base):
    """A refused login, counted per username and per client over a sliding window.

    Rows older than the window are useless and are purged whenever a failure is recorded.
    """

    __tablename__ = "core_login_failure"
    __table_args__ = (
        Index("ix_core_login_failure_username_key_failed_at", "username_key", "failed_at"),
        Index("ix_core_login_failure_client_failed_at", "client", "failed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: The lowercase username as submitted (it may name no user at all).
    username_key: Mapped[str] = mapped_column(String(255))
    client: Mapped[str | None] = mapped_column(String(255), nullable=True)
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


SECURITY_MODELS: tuple[type[Base], ...] = (
    User,
    UserScope,
    Role,
    RolePermission,
    UserRole,
    AccessToken,
    ApiKey,
    LoginFailure,
)
