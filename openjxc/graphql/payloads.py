"""Running a service from a mutation: nothing changed on a refusal, errors in the payload.

API.md: "a payload with errors means nothing was changed".  :func:`run_service` runs the
service inside a savepoint; a :class:`~openjxc.core.errors.ValidationFailed` rolls the
savepoint back and becomes the payload's ``errors``, each message rendered in the
caller's locale::

    def product_create(info: Info, input: ProductCreateInput) -> ProductCreatePayload:
        product, errors = run_service(info, lambda s: create_product(s, input.to_data()),
                                      CatalogError)
        return ProductCreatePayload(product=product and Product.from_row(product),
                                    errors=errors)
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy.orm import Session
from strawberry.types import Info

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import translate
from openjxc.graphql.context import get_session
from openjxc.graphql.user_errors import error_code_enum

T = TypeVar("T")


def user_errors(errors: list[FieldError], error_type: Any, locale: str | None = None,
                ) -> list[Any]:
    """``<Domain>Error`` objects for refused input, messages in ``locale``.

    A code the domain's enum lacks is a programming error (the enum is the API's promise
    to clients), so it raises instead of inventing a code.
    """
    codes: type[Enum] = error_code_enum(error_type)
    return [
        error_type(field=list(error.field) or None, code=codes(error.code),
                   message=translate(error.message, locale, **error.params))
        for error in errors
    ]


def run_service(info: Info[Any, Any], action: Callable[[Session], T], error_type: Any,
                ) -> tuple[T | None, list[Any]]:
    """``(result, [])`` on success; ``(None, errors)`` with every change undone otherwise."""
    session = get_session(info)
    try:
        with session.begin_nested():
            return action(session), []
    except ValidationFailed as exc:
        locale = getattr(info.context, "locale", None)
        return None, user_errors(exc.errors, error_type, locale)
