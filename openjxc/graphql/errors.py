"""Top-level GraphQL errors the API raises on purpose, each with a stable ``extensions.code``.

API.md promises that authentication and permission failures are top-level errors with
``extensions.code`` ``UNAUTHENTICATED`` / ``FORBIDDEN``, and that unexpected failures are
masked.  Everything raised deliberately derives from :class:`ApiError`, so the masking
extension (added by the HTTP layer through ``build_schema(env, extensions=...)``) can let
these through and hide the rest — :func:`is_expected_error` is that test.

Business rule violations of a mutation are *not* raised: they are returned as payload
``errors`` (see :mod:`openjxc.graphql.user_errors`).
"""

from __future__ import annotations

from typing import Any, ClassVar

from graphql import GraphQLError


class ApiError(GraphQLError):
    """An error meant for the client: its message and code are shown, never masked."""

    code: ClassVar[str] = "BAD_REQUEST"

    def __init__(self, message: str, *, extensions: dict[str, Any] | None = None) -> None:
        super().__init__(message, extensions={"code": self.code, **(extensions or {})})


class Unauthenticated(ApiError):
    """No valid credentials came with a request for a field that needs them."""

    code = "UNAUTHENTICATED"


class Forbidden(ApiError):
    """The caller is known but lacks the permission the field declares."""

    code = "FORBIDDEN"


class BadUserInput(ApiError):
    """An argument is malformed in a way the GraphQL type system cannot see
    (an unknown cursor, a malformed global ID, a page size above the cap)."""

    code = "BAD_USER_INPUT"


def is_expected_error(error: GraphQLError) -> bool:
    """Whether an error in a result should reach the client unmasked.

    Errors without a path come from parsing, validation or variable coercion (the
    client's document or variables are wrong, and the message says how); errors whose
    cause is an :class:`ApiError` were raised on purpose.  Anything else raised while
    executing is a bug or an outage and should be masked as ``INTERNAL_SERVER_ERROR``.
    """
    if isinstance(error, ApiError) or isinstance(error.original_error, ApiError):
        return True
    return error.path is None
