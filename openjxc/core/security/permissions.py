"""Permissions and role templates: what addons declare, collected per environment.

Permissions live in code, not in a table: each addon declares its own through the
``register_permissions`` hook, so the set an environment knows is exactly what its
addons declare (a permission of an uninstalled addon simply stops existing, while roles
that were granted it keep the row — deactivation keeps data).  Names read
``<area>.<object>.<action>``::

    Permission("stock.move.create", "Post stock moves")
    RoleTemplate("warehouse_clerk", ("stock.move.create", "stock.level.read"),
                 "Receives, moves and counts stock")

The built-in role ``admin`` is not a template: it holds every permission of the
environment, computed at authentication, so a newly installed addon's permissions reach
administrators without a data migration.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from openjxc.core.errors import BootError

if TYPE_CHECKING:
    from openjxc.core.env import Environment

#: The role that holds every permission of the environment.
ADMIN_ROLE = "admin"
#: The owner name (and permission area) of the kernel's own contributions.
KERNEL_OWNER = "core"

_SEGMENT = r"[a-z][a-z0-9_]*"
PERMISSION_NAME = re.compile(rf"^{_SEGMENT}\.{_SEGMENT}\.{_SEGMENT}$")
ROLE_NAME = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
MAX_PERMISSION_LENGTH = 128
_CACHE_KEY = "openjxc.core.security.registry"

T = TypeVar("T")


def is_permission_name(name: object) -> bool:
    """Whether ``name`` reads ``<area>.<object>.<action>`` (lowercase, digits, ``_``)."""
    return (
        isinstance(name, str)
        and len(name) <= MAX_PERMISSION_LENGTH
        and PERMISSION_NAME.match(name) is not None
    )


@dataclass(frozen=True)
class Permission:
    """A right an addon declares, e.g. ``Permission("sales.order.approve", "Approve …")``.

    A malformed name fails at construction, which happens while the environment boots.
    """

    name: str
    description: str = ""

    def __post_init__(self) -> None:
        if not is_permission_name(self.name):
            raise BootError(
                f"invalid permission name {self.name!r}: use <area>.<object>.<action> in "
                f"lowercase letters, digits and underscores (e.g. 'stock.move.create')"
            )

    @property
    def area(self) -> str:
        return self.name.split(".", 1)[0]


@dataclass(frozen=True)
class RoleTemplate:
    """A role an addon proposes (created in each database at install, editable later)."""

    name: str
    permissions: tuple[str, ...] = ()
    description: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not ROLE_NAME.match(self.name):
            raise BootError(
                f"invalid role name {self.name!r}: 2-64 lowercase letters, digits and "
                f"underscores, starting with a letter"
            )
        if self.name == ADMIN_ROLE:
            raise BootError(f"role {ADMIN_ROLE!r} is built in; an addon cannot declare it")
        # A list is accepted for convenience; frozen means the tuple is what is kept.
        object.__setattr__(self, "permissions", tuple(self.permissions))


class PermissionRegistry:
    """The permissions and role templates of one environment, with their owners.

    Built once per environment (cached in ``env.extensions``) and read-only afterwards.
    Inconsistencies are boot errors: a malformed name, a permission declared twice (by the
    same or by two owners), an addon declaring a kernel (``core.``) permission, a role
    template declared twice or naming a permission nobody declares.
    """

    def __init__(
        self,
        permissions: Iterable[tuple[str, Iterable[Permission]]],
        roles: Iterable[tuple[str, Iterable[RoleTemplate]]] = (),
    ) -> None:
        self._permissions: dict[str, Permission] = {}
        self._owners: dict[str, str] = {}
        for owner, declared in permissions:
            for permission in _items(owner, declared, Permission, "register_permissions"):
                self._add_permission(owner, permission)
        self.names: frozenset[str] = frozenset(self._permissions)
        self._roles: dict[str, RoleTemplate] = {}
        self._role_owners: dict[str, str] = {}
        for owner, templates in roles:
            for template in _items(owner, templates, RoleTemplate, "register_roles"):
                self._add_role(owner, template)

    @classmethod
    def for_environment(cls, env: Environment) -> PermissionRegistry:
        """The registry of ``env``, built from its hooks on first use."""
        registry = env.extensions.get(_CACHE_KEY)
        if registry is None:
            registry = cls(
                env.contributions("register_permissions"), env.contributions("register_roles")
            )
            env.extensions[_CACHE_KEY] = registry
        return registry  # type: ignore[no-any-return]

    def _add_permission(self, owner: str, permission: Permission) -> None:
        name = permission.name
        if name in self._owners:
            raise BootError(
                f"permission {name!r} declared twice ({self._owners[name]} and {owner})"
            )
        if permission.area == KERNEL_OWNER and owner != KERNEL_OWNER:
            raise BootError(
                f"{owner}: permission {name!r} is in the kernel's area 'core'; "
                f"name it after your addon's area"
            )
        self._permissions[name] = permission
        self._owners[name] = owner

    def _add_role(self, owner: str, template: RoleTemplate) -> None:
        if template.name in self._role_owners:
            raise BootError(
                f"role template {template.name!r} declared twice "
                f"({self._role_owners[template.name]} and {owner})"
            )
        unknown = [p for p in template.permissions if p not in self._permissions]
        if unknown:
            raise BootError(
                f"{owner}: role template {template.name!r} names unknown permissions: "
                f"{', '.join(sorted(unknown))}"
            )
        self._roles[template.name] = template
        self._role_owners[template.name] = owner

    # -- reading ------------------------------------------------------------------------

    def __contains__(self, name: object) -> bool:
        return name in self._permissions

    def __iter__(self) -> Iterator[Permission]:
        return iter(self._permissions.values())

    def __len__(self) -> int:
        return len(self._permissions)

    def get(self, name: str) -> Permission | None:
        return self._permissions.get(name)

    def owner(self, name: str) -> str:
        """The addon (or ``core``) that declares permission ``name``; KeyError if none."""
        return self._owners[name]

    def declared_by(self, owner: str) -> tuple[Permission, ...]:
        return tuple(p for p in self if self._owners[p.name] == owner)

    @property
    def roles(self) -> Mapping[str, RoleTemplate]:
        """The role templates addons declare, by name (``admin`` is not among them)."""
        return dict(self._roles)

    def role_owner(self, role: str) -> str:
        return self._role_owners[role]

    def role_permissions(self, role: str) -> frozenset[str]:
        """What a template role holds; for ``admin``, every permission of the environment."""
        if role == ADMIN_ROLE:
            return self.names
        return frozenset(self._roles[role].permissions)

    def unknown(self, names: Iterable[str]) -> list[str]:
        """The names among ``names`` that this environment does not declare, sorted."""
        return sorted({n for n in names if n not in self._permissions})


def _items(owner: str, declared: Iterable[object], kind: type[T], hook: str) -> Iterator[T]:
    if isinstance(declared, str | bytes) or not isinstance(declared, Iterable):
        raise BootError(f"{owner}: {hook} must return a sequence of {kind.__name__}")
    for item in declared:
        if not isinstance(item, kind):
            raise BootError(f"{owner}: {hook} returned {item!r}, not a {kind.__name__}")
        yield item
