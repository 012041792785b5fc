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

import dataclasses
import logging
from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from strawberry.types import Info
from strawberry.types.unset import UNSET

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import KernelMessages, translate
from openjxc.graphql.context import get_session
from openjxc.graphql.user_errors import error_code_enum

T = TypeVar("T")
log = logging.getLogger(__name__)


def user_errors(errors: list[FieldError], error_type: Any, locale: str | None = None,
                ) -> list[Any]:
    """``<Domain>Error`` objects for refused input, messages in ``locale``.

    The domain's enum is the API's promise to clients, so it should name every code its
    mutations give.  A refusal can still come from elsewhere: an addon's in-transaction
    event handler (a ledger refusing a closed period inside a delivery) raises its own
    code into another domain's mutation.  A code the enum lacks is then given as
    ``INVALID`` — its message intact, nothing changed — and logged, rather than turned
    into an internal error; a domain without ``INVALID`` raises.
    """
    codes: type[Enum] = error_code_enum(error_type)
    known = codes.__members__
    found = []
    for error in errors:
        code = error.code if error.code in known else "INVALID"
        if code != error.code:
            log.warning("%s lacks the code %s (given as INVALID): %s", codes.__name__,
                        error.code, error.message)
        found.append(error_type(field=list(error.field) or None, code=codes(code),
                                message=translate(error.message, locale, **error.params)))
    return found


def run_service(info: Info[Any, Any], action: Callable[[Session], T], error_type: Any,
                ) -> tuple[T | None, list[Any]]:
    """``(result, [])`` on success; ``(None, errors)`` with every change undone otherwise.

    A unique constraint that fires although the service checked first means a concurrent
    transaction committed the same value in between: the service runs once more, and its
    check now sees that row and refuses with its own clear error.
    """
    session = get_session(info)
    for attempt in (1, 2):
        try:
            with session.begin_nested():
                return action(session), []
        except ValidationFailed as exc:
            locale = getattr(info.context, "locale", None)
            return None, user_errors(exc.errors, error_type, locale)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def run_posting(info: Info[Any, Any], action: Callable[[Session], T], error_type: Any, *,
                scope: str, idempotency_key: str | None, request: Any,
                encode: Callable[[T], Any], decode: Callable[[Session, Any], T],
                ) -> tuple[T | None, list[Any]]:
    """:func:`run_service` for posting mutations that accept ``idempotencyKey`` (API.md).

    The same key with the same input (from the same user) returns the first answer —
    ``decode(session, stored)`` rebuilds it from what ``encode(result)`` stored — and
    changes nothing; the same key with other input is refused with
    ``IDEMPOTENCY_KEY_REUSED`` (which the domain's error enum must declare).  A refused
    operation stores no key, so a corrected retry with the same key runs.

    As in :func:`run_service`, a unique constraint firing although the service checked
    first (a concurrent transaction committed the same value in between) runs the
    operation once more, so that its own check refuses with a clear error — or, for a
    concurrent request with the same key, the first answer is returned.
    """
    from openjxc.core.idempotency import IdempotencyKeyReused, run_idempotent

    principal = getattr(info.context, "principal", None)
    user = getattr(principal, "user_id", None)
    session = get_session(info)
    locale = getattr(info.context, "locale", None)
    for attempt in (1, 2):
        try:
            with session.begin_nested():
                result = run_idempotent(
                    session, scope=f"{scope}:{user}", key=idempotency_key,
                    request={"input": _plain(request)}, action=lambda: action(session),
                    encode=encode, decode=lambda stored: decode(session, stored))
                return result, []
        except ValidationFailed as exc:
            return None, user_errors(exc.errors, error_type, locale)
        except IdempotencyKeyReused:
            reused = FieldError("IDEMPOTENCY_KEY_REUSED",
                                KernelMessages.IDEMPOTENCY_KEY_REUSED, field="idempotencyKey")
            return None, user_errors([reused], error_type, locale)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _plain(value: Any) -> Any:
    """A strawberry input as plain data (unset fields left out), for hashing."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if getattr(value, f.name) is not UNSET}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
