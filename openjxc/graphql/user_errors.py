"""Payload errors of mutations: ``UserError`` and one ``<Domain>Error`` type per domain.

API.md: a mutation returns ``errors: [UserError!]!`` where ``code`` is a stable enum of
its domain (``INSUFFICIENT_STOCK``, ``DUPLICATE_CODE`` …) and ``message`` is localised;
a payload with errors means nothing changed.  Each domain declares its codes and gets
its error type in one line, Saleor style::

    @strawberry.enum
    class CatalogErrorCode(Enum):
        DUPLICATE_CODE = "DUPLICATE_CODE"
        NOT_FOUND = "NOT_FOUND"

    CatalogError = make_user_error_type("Catalog", CatalogErrorCode)

mypy cannot see through a class made at run time (``list[CatalogError]`` is then "a
variable, not a type"), so typed code spells the same thing as a class — which is all
``make_user_error_type`` does::

    @strawberry.type(description="A problem with the input of a catalog mutation.")
    class CatalogError(UserError):
        code: CatalogErrorCode

    @strawberry.type
    class ProductCreatePayload:
        product: Product | None
        errors: list[CatalogError]

All ``<Domain>Error`` types implement the ``UserError`` interface (``field`` and
``message``), so a client can render any payload's errors with one fragment.
"""

from __future__ import annotations

import sys
import types
from enum import Enum
from typing import Any, cast

import strawberry
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition


@strawberry.interface(description="A problem with a mutation's input; nothing was changed.")
class UserError:
    field: list[str] | None = strawberry.field(
        default=None,
        description="Path to the input field at fault (e.g. [\"lines\", \"2\", \"quantity\"]); "
                    "null when the input as a whole is at fault.",
    )
    message: str = strawberry.field(description="What went wrong, in the caller's language.")


def make_user_error_type(domain: str, codes: type[Enum], *,
                         description: str | None = None) -> type[Any]:
    """The ``<domain>Error`` type: ``field``, ``message`` and ``code: <codes>!``.

    ``codes`` should be a ``@strawberry.enum`` named ``<domain>ErrorCode``; a plain
    ``Enum`` is given that name.  Build it at module level, next to the codes.
    """
    if not has_enum_definition(codes):
        codes = strawberry.enum(codes, name=f"{domain}ErrorCode")
    namespace: dict[str, Any] = {
        "__annotations__": {"code": codes},
        "__doc__": description or f"A problem with the input of a {domain.lower()} mutation.",
        "code": strawberry.field(description="Stable, machine-readable reason."),
        # The defining module, so tracebacks and strawberry's type identity point there.
        "__module__": sys._getframe(1).f_globals.get("__name__", __name__),
    }
    cls = types.new_class(f"{domain}Error", (UserError,), {},
                          lambda ns: ns.update(namespace))
    return strawberry.type(cls, name=f"{domain}Error", description=namespace["__doc__"])


def error_code_enum(error_type: type[Any]) -> type[Enum]:
    """The code enum of a ``<Domain>Error`` type, however it was declared (reading
    ``__annotations__`` gives a string in modules with postponed annotations)."""
    code = error_type.__strawberry_definition__.get_field("code")
    if code is None or not isinstance(code.type, StrawberryEnumDefinition):
        raise TypeError(f"{error_type!r} is not a <Domain>Error type with an enum code")
    return cast("type[Enum]", code.type.wrapped_cls)


@strawberry.enum(description="Reasons the kernel itself gives in payload errors.")
class CoreErrorCode(Enum):
    GRAPHQL_ERROR = "GRAPHQL_ERROR"
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    UNIQUE = "UNIQUE"
    FORBIDDEN = "FORBIDDEN"
    CONFLICT = "CONFLICT"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"


@strawberry.type(description="A problem with the input of a core mutation.")
class CoreError(UserError):
    code: CoreErrorCode = strawberry.field(description="Stable, machine-readable reason.")
