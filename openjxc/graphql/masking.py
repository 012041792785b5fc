"""What a client may see of a failure: GraphQL error masking and the HTTP error answers.

A client sees its own mistakes (a syntax error, a missing permission, a domain rule it broke)
as they are, each with a stable ``extensions.code``.  Everything else (a database outage, a
bug, a misconfiguration) is answered ``INTERNAL_SERVER_ERROR`` with the request id, in the
reader's language, while the trace goes to the log under the same id: a user's screenshot
finds the log line.

:class:`ErrorMasking` does this for GraphQL results (the app adds it to every schema);
:func:`error_response` and :func:`internal_response` for answers outside GraphQL (a request
strawberry refuses, a PDF that cannot be printed).  Both are re-exported by
:mod:`openjxc.graphql.app`.
"""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLError, GraphQLSyntaxError
from starlette.responses import JSONResponse, Response
from strawberry.extensions import MaskErrors

from openjxc.core.errors import BootError, ConfigError, MigrationError, OpenJXCError
from openjxc.core.i18n import KernelMessages, LazyString, _
from openjxc.graphql.context import INTERNAL_SERVER_ERROR, internal_error, log
from openjxc.graphql.scalars import ScalarInputError

#: Errors of the server's own making: never shown to a client, whatever their class says.
_SERVER_FAULTS = (BootError, ConfigError, MigrationError)


# -- GraphQL results -------------------------------------------------------------------------

def is_expected(error: GraphQLError) -> bool:
    """Whether a client may see this error as it is.

    Expected: graphql-core's own (syntax, validation, variable coercion, the protection
    limits), errors raised on purpose as GraphQL errors (``ApiError``: UNAUTHENTICATED,
    FORBIDDEN …) and the kernel's domain errors (each has a stable code).  Everything else
    (a database outage, a bug, a misconfiguration) is masked.
    """
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return True
    if isinstance(original, OpenJXCError):
        return not isinstance(original, _SERVER_FAULTS)
    # Before execution (no path), a scalar refusing a variable's value is the client's
    # mistake, and graphql-core names the variable in the message.
    return error.path is None and isinstance(original, ValueError | TypeError)


def _code_for(error: GraphQLError) -> str:
    original = error.original_error
    if isinstance(original, OpenJXCError):
        return original.code
    if isinstance(error, GraphQLSyntaxError):
        return "GRAPHQL_PARSE_FAILED"
    return "GRAPHQL_VALIDATION_FAILED" if error.path is None else "BAD_USER_INPUT"


#: graphql-core's words for a variable's value a scalar refused: the variable and where in it.
_VARIABLE = re.compile(r"^Variable '\$(?P<name>\w+)' has invalid value(?: at (?P<at>[^:]+))?:")
_VARIABLE_AT = _("Variable ${name}, at {at}: {detail}")
_VARIABLE_ONLY = _("Variable ${name}: {detail}")


def _scalar_refusal(error: GraphQLError) -> ScalarInputError | None:
    cause: BaseException | None = error.original_error
    for _depth in range(3):
        if isinstance(cause, ScalarInputError):
            return cause
        cause = getattr(cause, "original_error", None)
    return None


def localise_scalar_refusal(error: GraphQLError, locale: str | None) -> None:
    """A value a scalar refused (``"1e400"`` as a Decimal, ``"2026-02-30"`` as a Date),
    said in the reader's language: which variable, where in it, and why."""
    refusal = _scalar_refusal(error)
    if refusal is None:
        return
    detail = refusal.message.resolve(locale)
    found = _VARIABLE.match(error.message)
    if found is None:
        error.message = detail  # a literal in the query: its location is in ``locations``
    elif found["at"]:
        error.message = LazyString(_VARIABLE_AT.msgid, {
            "name": found["name"], "at": found["at"].lstrip("."), "detail": detail,
        }).resolve(locale)
    else:
        error.message = LazyString(_VARIABLE_ONLY.msgid, {
            "name": found["name"], "detail": detail}).resolve(locale)


class ErrorMasking(MaskErrors):
    """Masks unexpected errors (see :func:`is_expected`) and gives every error a code.

    A masked error becomes the localised "Internal server error" with
    ``INTERNAL_SERVER_ERROR`` and ``requestId``; its trace is logged with the request id.
    """

    def __init__(self) -> None:
        super().__init__(should_mask_error=lambda error: not is_expected(error))

    def _process_errors(self, errors: list[GraphQLError]) -> list[GraphQLError]:
        context = self.execution_context.context
        processed: list[GraphQLError] = []
        for error in errors:
            if not is_expected(error):
                processed.append(internal_error(error.original_error, context, source=error))
                continue
            if not (error.extensions or {}).get("code"):
                error.extensions = {**(error.extensions or {}), "code": _code_for(error)}
            localise_scalar_refusal(error, getattr(context, "locale", None))
            processed.append(error)
        return processed


# -- HTTP answers ----------------------------------------------------------------------------

def _error_body(code: str, message: str, request_id: str | None, **extra: Any) -> dict[str, Any]:
    extensions = {"code": code, **extra}
    if request_id:
        extensions["requestId"] = request_id
    return {"errors": [{"message": message, "extensions": extensions}]}


def error_response(status: int, code: str, message: str, request_id: str | None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """A GraphQL-shaped error body (``errors[0].extensions.code``) outside GraphQL."""
    return JSONResponse(_error_body(code, message, request_id), status_code=status,
                        headers=headers)


def internal_response(exc: BaseException, request_id: str, locale: str | None) -> Response:
    """The masked 500 answer to an unexpected failure; the trace goes to the log."""
    log.error("request %s: unexpected error: %s", request_id, exc,
              exc_info=(type(exc), exc, exc.__traceback__))
    return error_response(500, INTERNAL_SERVER_ERROR,
                          KernelMessages.INTERNAL_ERROR.resolve(locale), request_id)
