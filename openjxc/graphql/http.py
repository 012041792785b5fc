"""The plain HTTP endpoints beside GraphQL: health, readiness and printable documents.

``GET /healthz``                  the process answers (never touches the database);
``GET /readyz``                   the database answers and its migrations are at head
                                  (else 503, saying why);
``GET /reports/{name}/{id}.pdf``  a printable document, with the same bearer token as
                                  ``/graphql`` and the report's permission.

:func:`openjxc.graphql.app.create_app` mounts them; the endpoints that need the database
are made per app (:func:`readyz_endpoint`, :func:`report_endpoint`), around the app's
:class:`Served` environment.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import text
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from openjxc import KERNEL_VERSION
from openjxc.core.errors import OpenJXCError
from openjxc.core.i18n import KernelMessages, Translator
from openjxc.core.migrate import check_up_to_date
from openjxc.core.reports import ReportNotFound, ReportRegistry
from openjxc.core.security.errors import TooManyAttempts
from openjxc.graphql.bearer_throttle import client_of, throttled_response
from openjxc.graphql.context import authenticate_bearer, bearer_of, locale_for, log, request_id_of
from openjxc.graphql.masking import error_response, internal_response

if TYPE_CHECKING:
    from openjxc.core.config import Settings
    from openjxc.core.env import Environment

Endpoint = Callable[[Request], Awaitable[Response]]


class Served(Protocol):
    """What the endpoints read from the app: the environment served (resolved on first
    use, so a factory's database opens at startup) and the app's settings."""

    @property
    def env(self) -> Environment: ...

    @property
    def settings(self) -> Settings: ...


# -- health and readiness --------------------------------------------------------------------

async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok", "version": KERNEL_VERSION})


def readyz_endpoint(service: Served) -> Endpoint:
    """``/readyz`` for ``service``: 200 when ready, else 503 with the reason."""

    async def readyz(request: Request) -> Response:
        reason = await run_in_threadpool(_readiness, service)
        if reason is None:
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)

    return readyz


def _readiness(service: Served) -> str | None:
    """None when ready, else why not."""
    try:
        env = service.env
        with env.database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        check_up_to_date(env)
    except OpenJXCError as exc:
        return exc.message
    except Exception as exc:
        log.warning("readiness: database unreachable: %s", exc)
        return f"database unreachable ({type(exc).__name__})"
    return None


# -- reports ---------------------------------------------------------------------------------

def report_endpoint(service: Served) -> Endpoint:
    """``/reports/{name}/{id}.pdf`` for ``service``; any unexpected failure is masked."""

    async def report(request: Request) -> Response:
        request_id = request_id_of(request.scope)
        try:
            return await _render_report(service, request, request_id)
        except TooManyAttempts as exc:  # openjxc.graphql.bearer_throttle
            return throttled_response(exc, request_id, locale_for(
                None, request.headers.get("accept-language"), service.settings))
        except Exception as exc:
            return internal_response(exc, request_id, None)

    return report


async def _render_report(service: Served, request: Request, request_id: str) -> Response:
    env = service.env
    settings = service.settings
    accept_language = request.headers.get("accept-language")
    principal = await authenticate_bearer(env, bearer_of(request.headers.get("authorization")),
                                          client_of(request))
    locale = locale_for(principal, accept_language, settings)
    if principal is None:
        return error_response(401, "UNAUTHENTICATED",
                              KernelMessages.AUTHENTICATION_REQUIRED.resolve(locale),
                              request_id, headers={"WWW-Authenticate": "Bearer"})
    name: str = request.path_params["name"]
    record_id: int = request.path_params["id"]
    registry = ReportRegistry.for_environment(env)
    not_found = error_response(404, "NOT_FOUND", KernelMessages.NOT_FOUND.resolve(locale),
                               request_id)
    try:
        report = registry.get(name)
    except ReportNotFound:
        return not_found
    if not principal.has(report.permission):
        return error_response(403, "FORBIDDEN",
                              KernelMessages.PERMISSION_DENIED.resolve(locale), request_id)

    def render() -> bytes:
        with Translator.for_environment(env).activate(locale), \
                env.unit_of_work(readonly=True) as session:
            return registry.render_pdf(name, record_id, session, locale, principal=principal)

    try:
        pdf = await run_in_threadpool(render)
    except ReportNotFound:
        return not_found
    except Exception as exc:
        return internal_response(exc, request_id, locale)
    return Response(pdf, media_type="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{name}-{record_id}.pdf"',
        "Cache-Control": "private, no-store",
    })
