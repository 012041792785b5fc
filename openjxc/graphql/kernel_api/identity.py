"""Who is who: the ``User`` type (with its roles, permissions and scopes) and ``me``.

A frontend needs, right after signing in, to know whose screen it draws and what to show:
``me { username locale permissions scopes { kind values } }`` answers that in one round
trip, so menus can hide what the user may not use (the server still checks every field).

``me`` describes the *caller*: signed in with an API key, its ``permissions`` are the
key's (the owner's, narrowed to the key's scopes), not all the owner's.  Other users are
read through ``node(id:)``, which needs ``core.user.read``.

``me`` is on every screen, so it reads as little as it can: ``id``, ``username``,
``locale``, ``permissions`` and ``scopes`` are what authentication established (the
principal), no SQL; ``fullName``, ``isActive`` and ``roles`` are read when asked for, in
one statement (a DataLoader, so aliases of ``me`` share it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar, NamedTuple, cast

import strawberry
from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)
from sqlalchemy import select
from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.core.security import models as security
from openjxc.graphql.context import align, get_session
from openjxc.graphql.fields import AUTHENTICATED, field
from openjxc.graphql.relay import Node


@strawberry.type(description="A named set of permissions granted to users.")
class Role:
    name: str
    description: str
    is_admin: bool = strawberry.field(description="The built-in role that holds every "
                                                  "permission, those of addons installed "
                                                  "later included.")


@strawberry.type(description="A limit on what a user sees and moves, e.g. only some "
                             "warehouses.  A kind absent from a user's scopes is "
                             "unrestricted.")
class UserScope:
    kind: str = strawberry.field(description="What is limited, e.g. \"warehouse\".")
    values: list[str] = strawberry.field(description="The keys of the records the user is "
                                                     "limited to.")


@strawberry.type(description="Someone who signs in, or the owner of an integration's "
                             "API key.")
class User(Node):
    node_permission: ClassVar[str] = "core.user.read"

    username: str
    full_name: str
    locale: str = strawberry.field(description="The language the user reads the API in "
                                               "(their own setting, else the deployment's).")
    is_active: bool
    roles: list[Role]
    permissions: list[str] = strawberry.field(description="Every permission the user holds "
                                                          "(for `me`: those of this sign-in), "
                                                          "sorted.")
    scopes: list[UserScope]

    @classmethod
    def get_nodes(cls, info: Info[Any, Any], pks: Sequence[int]) -> list[User | None]:
        return load_users(get_session(info), info.context.env, pks)


def load_users(session: Session, env: Any, ids: Sequence[int]) -> list[User | None]:
    """Users by id, in the order of ``ids`` (None where none exists): four statements for
    any number of users, whether ``node``, ``nodes`` or a DataLoader asks."""
    wanted = sorted({int(i) for i in ids})
    if not wanted:
        return [None for _ in ids]
    rows = list(session.scalars(select(security.User).where(security.User.id.in_(wanted))))
    roles: dict[int, list[security.Role]] = {}
    for user_id, role in session.execute(
            select(security.UserRole.user_id, security.Role)
            .join(security.Role, security.Role.id == security.UserRole.role_id)
            .where(security.UserRole.user_id.in_(wanted)).order_by(security.Role.name)):
        roles.setdefault(user_id, []).append(role)
    granted: dict[int, set[str]] = {}
    for user_id, permission in session.execute(
            select(security.UserRole.user_id, security.RolePermission.permission)
            .join(security.RolePermission,
                  security.RolePermission.role_id == security.UserRole.role_id)
            .where(security.UserRole.user_id.in_(wanted))):
        granted.setdefault(user_id, set()).add(permission)
    scopes: dict[int, dict[str, set[str]]] = {}
    for scope in session.scalars(select(security.UserScope)
                                 .where(security.UserScope.user_id.in_(wanted))):
        scopes.setdefault(scope.user_id, {}).setdefault(scope.kind, set()).add(scope.value)
    declared: frozenset[str] = env.permissions.names
    default_locale: str = env.settings.default_locale
    users = []
    for row in rows:
        held = roles.get(row.id, [])
        # As authentication computes it: admin holds everything declared today; a grant
        # of a permission no installed addon declares any more counts for nothing.
        permissions = declared if any(r.is_admin for r in held) else (
            declared & granted.get(row.id, set()))
        users.append(User(
            pk=row.id, username=row.username, full_name=row.full_name,
            locale=row.locale or default_locale, is_active=row.active,
            roles=[Role(name=r.name, description=r.description, is_admin=r.is_admin)
                   for r in held],
            permissions=sorted(permissions),
            scopes=scope_list(scopes.get(row.id, {}).items()),
        ))
    return align([int(i) for i in ids], users, key=lambda u: cast(int, u.pk))


def scope_list(scopes: Iterable[tuple[str, Iterable[str]]]) -> list[UserScope]:
    """Scopes as the API shows them: by kind, values sorted, so answers are stable."""
    return [UserScope(kind=kind, values=sorted(values)) for kind, values in sorted(scopes)]


def user_loader(info: Info[Any, Any]) -> Any:
    """The operation's DataLoader of users by id (for ``acknowledgedBy`` and the like)."""
    def batch(ids: list[int]) -> list[User | None]:
        return load_users(get_session(info), info.context.env, ids)

    return info.context.loaders.get("core.user", batch)


class UserDetails(NamedTuple):
    """What the principal does not know of a user: read from the database."""

    full_name: str
    is_active: bool
    roles: list[Role]


def load_user_details(session: Session, ids: Sequence[int]) -> list[UserDetails | None]:
    """Name, state and roles of users by id, in the order of ``ids`` (None where none
    exists): one statement for any number of users."""
    wanted = sorted({int(i) for i in ids})
    found: dict[int, UserDetails] = {}
    if wanted:
        rows = session.execute(
            select(security.User.id, security.User.full_name, security.User.active,
                   security.Role.name, security.Role.description, security.Role.is_admin)
            .outerjoin(security.UserRole, security.UserRole.user_id == security.User.id)
            .outerjoin(security.Role, security.Role.id == security.UserRole.role_id)
            .where(security.User.id.in_(wanted))
            .order_by(security.User.id, security.Role.name))
        for user_id, full_name, active, role, description, is_admin in rows:
            details = found.setdefault(user_id, UserDetails(full_name, active, []))
            if role is not None:
                details.roles.append(Role(name=role, description=description,
                                          is_admin=is_admin))
    return [found.get(int(i)) for i in ids]


#: The fields of ``User`` that ``me`` answers from the principal, without SQL.
PRINCIPAL_FIELDS = frozenset({"__typename", "id", "username", "locale", "permissions",
                              "scopes"})


def asks_beyond(selection: SelectionSetNode | None,
                fragments: Mapping[str, FragmentDefinitionNode],
                known: frozenset[str], _seen: frozenset[str] = frozenset()) -> bool:
    """Whether ``selection`` (fragments followed) names a field outside ``known``.
    Anything it cannot tell counts as beyond: at worst a statement too many."""
    for node in selection.selections if selection is not None else ():
        if isinstance(node, FieldNode):
            if node.name.value not in known:
                return True
        elif isinstance(node, InlineFragmentNode):
            if asks_beyond(node.selection_set, fragments, known, _seen):
                return True
        elif isinstance(node, FragmentSpreadNode):
            name = node.name.value
            fragment = fragments.get(name)
            if fragment is None:
                return True
            if name not in _seen and asks_beyond(fragment.selection_set, fragments, known,
                                                 _seen | {name}):
                return True
        else:  # pragma: no cover - graphql-core has no other selection kinds
            return True
    return False


def details_loader(info: Info[Any, Any]) -> Any:
    """The operation's DataLoader of :class:`UserDetails` by user id."""
    def batch(ids: list[int]) -> list[UserDetails | None]:
        return load_user_details(get_session(info), ids)

    return info.context.loaders.get("core.user.details", batch)


async def me(info: Info[Any, Any]) -> User | None:
    """The caller as this sign-in sees itself; null if the user was deleted meanwhile
    (known when a field the database answers is asked for)."""
    principal = info.context.principal
    raw = info._raw_info
    # Stand-ins for fields the document does not ask for: never resolved, never seen.
    details = UserDetails(full_name="", is_active=True, roles=[])
    if any(asks_beyond(node.selection_set, raw.fragments, PRINCIPAL_FIELDS)
           for node in raw.field_nodes):
        loaded = await details_loader(info).load(principal.user_id)
        if loaded is None:
            return None
        details = loaded
    return User(pk=principal.user_id, username=principal.username, locale=principal.locale,
                full_name=details.full_name, is_active=details.is_active, roles=details.roles,
                permissions=sorted(principal.permissions),
                scopes=scope_list(principal.scopes.items()))


me_field = field(me, permission=AUTHENTICATED, name="me",
                 description="The signed-in user: who they are and what they may do.")
