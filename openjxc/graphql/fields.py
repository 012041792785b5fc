"""Fields with a declared access rule: ``field``, ``mutation``, ``subscription``.

API.md: every query field and mutation states the permission it needs, and fields such
as costs resolve to ``null`` with a ``FORBIDDEN`` error for users without theirs.  So
the access rule is part of the field's declaration, where a reviewer sees it::

    products = field(list_products, permission="catalog.product.read")
    token_create = mutation(create_token, public=True)

    @strawberry.type
    class Product(Node):
        code: str
        cost: Decimal | None = field(permission="stock.cost.read")

A root field may also be public *when the deployment opts in*: it declares the
permission it needs otherwise and names a feature, which ``Settings.public_features``
lists to open it (the warranty check a customer uses without an account)::

    warranty_check = field(check_warranty, permission="warranty.warranty.read",
                           public_feature="warrantyCheck")

The kernel refuses to build a schema with a root field that declares neither a
permission nor ``public=True`` (see :mod:`openjxc.graphql.compose`), so forgetting one
fails at boot instead of opening data to everyone.  A field-level permission hides the
value behind ``null``, so such a field must be declared ``Optional`` — the kernel does
not widen it silently (the Python annotation and the SDL stay the same thing), it
refuses to boot instead.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.extensions.field_extension import FieldExtension
from strawberry.types import Info
from strawberry.types.field import StrawberryField

from openjxc.core.errors import BootError
from openjxc.core.i18n import KernelMessages, translate
from openjxc.graphql.errors import Forbidden, Unauthenticated

#: The pseudo-permission of fields any signed-in caller may use (``me``, ``node``).
AUTHENTICATED = "authenticated"
#: Where a field's :class:`Access` is kept in ``StrawberryField.metadata``.
ACCESS_KEY = "openjxc.access"

_PERMISSION = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Access:
    """The access rule of one field: a permission, or public.  ``public_feature`` names
    the opt-in (``Settings.public_features``) that makes a field with a permission public
    in a deployment; :meth:`opened` is the rule there."""

    permission: str | None = None
    public: bool = False
    public_feature: str | None = None

    def opened(self) -> Access:
        """The rule of a deployment that opted into :attr:`public_feature`: public."""
        return Access(public=True, public_feature=self.public_feature)

    def describe(self) -> str | None:
        """The permission as ``schema_permissions`` reports it (``None`` when public)."""
        return None if self.public else self.permission


def access_of(field: StrawberryField) -> Access | None:
    """The access rule a field was declared with, or ``None`` for a plain strawberry field."""
    access = field.metadata.get(ACCESS_KEY) if field.metadata else None
    return access if isinstance(access, Access) else None


def check_access(info: Info[Any, Any], permission: str) -> None:
    """Raise ``UNAUTHENTICATED`` for an anonymous caller and ``FORBIDDEN`` for one
    without ``permission``; return quietly otherwise."""
    principal = getattr(info.context, "principal", None)
    if principal is None:
        raise Unauthenticated(str(KernelMessages.AUTHENTICATION_REQUIRED))
    if permission != AUTHENTICATED and not principal.has(permission):
        raise Forbidden(  # in the current locale
            translate(KernelMessages.PERMISSION_REQUIRED.msgid, permission=permission),
            extensions={"permission": permission},
        )


class PermissionExtension(FieldExtension):
    """Checks the caller's permission before the resolver runs.

    Raising here makes graphql-core put ``null`` at the field's path and a located
    error in ``errors``: for a root field that is the top-level ``FORBIDDEN`` error,
    for an object field the field-level ``null`` + ``FORBIDDEN`` of API.md.  The
    extension holds no state, so one instance can serve every edition's copy of a field.
    """

    def __init__(self, permission: str) -> None:
        self.permission = permission

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info[Any, Any],
                **kwargs: Any) -> Any:
        check_access(info, self.permission)
        return next_(source, info, **kwargs)

    async def resolve_async(self, next_: Callable[..., Any], source: Any,
                            info: Info[Any, Any], **kwargs: Any) -> Any:
        check_access(info, self.permission)
        result = next_(source, info, **kwargs)
        # Subscription resolvers return an async generator, not an awaitable.
        if inspect.isawaitable(result):
            return await result
        return result


def field(
    resolver: Callable[..., Any] | None = None,
    *,
    permission: str | None = None,
    public: bool = False,
    public_feature: str | None = None,
    name: str | None = None,
    description: str | None = None,
    deprecation_reason: str | None = None,
    default: Any = dataclasses.MISSING,
    default_factory: Callable[[], Any] | object = dataclasses.MISSING,
    graphql_type: Any | None = None,
    is_subscription: bool = False,
) -> Any:
    """A strawberry field with an access rule.

    ``permission="area.object.action"`` (or :data:`AUTHENTICATED`) makes the field check
    the caller first; ``public=True`` states on purpose that anyone may call it (root
    fields only: ``tokenCreate``); ``public_feature`` with a permission makes a root field
    public where ``Settings.public_features`` names the feature (the opt-in warranty
    check) and keeps the permission elsewhere.  Works with a resolver, as a decorator
    (``@field(permission=...)``) and for plain attributes.
    """
    access = _access(permission, public, name or getattr(resolver, "__name__", None),
                     public_feature)
    extensions: list[FieldExtension] = []
    if access.permission is not None:
        extensions.append(PermissionExtension(access.permission))
    kwargs: dict[str, Any] = {
        "name": name,
        "description": description,
        "deprecation_reason": deprecation_reason,
        "default": default,
        "default_factory": default_factory,
        "graphql_type": graphql_type,
        "is_subscription": is_subscription,
        "metadata": {ACCESS_KEY: access},
        "extensions": extensions,
    }
    if resolver is not None:
        return strawberry.field(resolver=resolver, **kwargs)
    return strawberry.field(**kwargs)


def mutation(resolver: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
    """A root mutation field; same arguments as :func:`field`.  (Placement is decided
    by the ``Contribution`` list it is put in; this name only reads better.)"""
    return field(resolver, **kwargs)


def subscription(resolver: Callable[..., Any] | None = None, **kwargs: Any) -> Any:
    """A root subscription field (an async generator resolver); see :func:`field`."""
    return field(resolver, is_subscription=True, **kwargs)


def validate_permission(permission: str, where: str) -> None:
    """Permissions are named ``<area>.<object>.<action>`` (API.md); a typo is a boot error."""
    if permission != AUTHENTICATED and not _PERMISSION.match(permission):
        raise BootError(f"{where}: permission {permission!r} is not of the form "
                        f"'area.object.action' (e.g. 'stock.move.create')")


def _access(permission: str | None, public: bool, where: str | None,
            public_feature: str | None = None) -> Access:
    label = f"field {where!r}" if where else "a field"
    if public_feature is not None and (permission is None or public):
        raise BootError(f"{label} opens with public_feature={public_feature!r}, so it "
                        f"declares the permission it needs where the deployment does not "
                        f"opt in (and not public=True)")
    if permission is not None and public:
        raise BootError(f"{label} is declared both public and with permission {permission!r}; "
                        f"choose one")
    if permission is not None:
        validate_permission(permission, label)
    return Access(permission=permission, public=public, public_feature=public_feature)
