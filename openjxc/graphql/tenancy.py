"""Several tenants behind one server: the app of each is chosen by the Host header.

    openjxc serve --tenants tenants.toml            # the file: openjxc.core.tenants

    app = serve_tenants(load_tenants("tenants.toml"))   # an ASGI app

Each tenant is a complete :func:`~openjxc.graphql.app.create_app` of its own environment
(engine and pool, schema, translator, credential cache, alert broadcaster), so a request
only ever reaches the database of the tenant its host names.  The Host header is matched
exactly, without its port and case-insensitively; a host no tenant lists goes to the
file's ``default`` tenant if it names one, else is refused — ``421 Misdirected Request``
with a JSON error (``MISDIRECTED_REQUEST``) over HTTP, close code 4421 over WebSocket —
and never reaches a tenant.  ``GET /healthz`` answers for any host (it reads no database);
``/readyz`` is each tenant's own.

Startup runs every tenant's lifespan and shutdown closes every tenant's connections; a
tenant whose database is missing or behind stops the server from starting, naming the
tenant (:class:`~openjxc.core.tenants.TenantError`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.types import Receive, Scope, Send

from openjxc.core.config import Settings
from openjxc.core.env import Environment
from openjxc.core.errors import ConfigError
from openjxc.core.i18n import _
from openjxc.core.locales import negotiate_locale
from openjxc.core.tenants import (
    TENANTS_FILE_VARIABLE,
    TenantsFile,
    close_all,
    load_tenants,
    normalize_host,
    open_tenants,
)
from openjxc.graphql.app import SchemaBuilder, create_app
from openjxc.graphql.context import REQUEST_ID_HEADER, request_id_from
from openjxc.graphql.http import healthz
from openjxc.graphql.masking import error_response

__all__ = [
    "MISDIRECTED_REQUEST",
    "ServedTenant",
    "TenancyApp",
    "serve_tenants",
    "tenants_app_factory",
]

log = logging.getLogger("openjxc.graphql")

MISDIRECTED_REQUEST = "MISDIRECTED_REQUEST"
#: The WebSocket close code of a connection to a host no tenant serves.
MISDIRECTED_CLOSE_CODE = 4421
UNKNOWN_HOST = _("This server does not serve the host {host}")


@dataclass(frozen=True)
class ServedTenant:
    """One tenant being served: its name, host names, environment and app."""

    name: str
    hosts: tuple[str, ...]
    env: Environment
    app: Starlette


class TenancyApp:
    """The ASGI app routing each request to its tenant's app by the Host header."""

    def __init__(self, tenants: Sequence[ServedTenant], default: str | None = None, *,
                 settings: Settings | None = None, owns_databases: bool = True) -> None:
        self.tenants: dict[str, ServedTenant] = {t.name: t for t in tenants}
        self._by_host: dict[str, ServedTenant] = {}
        for tenant in tenants:
            for host in tenant.hosts:
                key = normalize_host(host)
                if key in self._by_host:
                    raise ConfigError(f"the host {key!r} is given to tenants "
                                      f"{self._by_host[key].name!r} and {tenant.name!r}")
                self._by_host[key] = tenant
        if default is not None and default not in self.tenants:
            raise ConfigError(f"default {default!r} is not one of the tenants")
        self.default = self.tenants[default] if default is not None else None
        self.settings = settings or Settings.from_env()
        self._owns = owns_databases

    def tenant_for(self, host: str | None) -> ServedTenant | None:
        """The tenant a Host header names (the default one for any other), or None."""
        tenant = self._by_host.get(normalize_host(host or ""))
        return tenant if tenant is not None else self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        headers = _headers(scope)
        hosts = [v for k, v in scope.get("headers") or () if k.lower() == b"host"]
        # Two Host headers are an attempt to be read one way here and another elsewhere.
        tenant = self.tenant_for(headers.get("host")) if len(hosts) < 2 else None
        if tenant is not None:
            await tenant.app(scope, receive, send)
            return
        if scope["type"] == "http" and scope.get("path") == "/healthz":
            # The process answers whatever host the probe uses; no database is read.
            await (await healthz(Request(scope, receive)))(scope, receive, send)
            return
        await self._refuse(scope, receive, send, headers)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send,
                      headers: Mapping[str, str]) -> None:
        host = headers.get("host", "")
        log.info("refused a request for the unknown host %r", host[:255])
        if scope["type"] == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": MISDIRECTED_CLOSE_CODE,
                        "reason": "Misdirected Request"})
            return
        if scope["type"] != "http":
            return
        locale = negotiate_locale(None, headers.get("accept-language"),
                                  default=self.settings.default_locale)
        request_id = request_id_from(headers.get(REQUEST_ID_HEADER))
        response = error_response(421, MISDIRECTED_REQUEST,
                                  _(UNKNOWN_HOST.msgid, host=host[:255]).resolve(locale),
                                  request_id, headers={"X-Request-Id": request_id})
        await response(scope, receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        await receive()  # lifespan.startup
        stack = AsyncExitStack()
        starting = ""
        try:
            for tenant in self.tenants.values():
                starting = tenant.name
                await stack.enter_async_context(tenant.app.router.lifespan_context(tenant.app))
        except BaseException as exc:
            log.exception("starting tenant %s failed", starting)
            await stack.aclose()
            await send({"type": "lifespan.startup.failed",
                        "message": f"tenant {starting!r}: {exc}"})
            return
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        try:
            await stack.aclose()
        finally:
            self.close()
        await send({"type": "lifespan.shutdown.complete"})

    def close(self) -> None:
        """Close every tenant's connections (when this app opened them)."""
        if self._owns:
            close_all(t.env for t in self.tenants.values())


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1")
            for k, v in scope.get("headers") or ()}


def serve_tenants(tenants: TenantsFile, base: Settings | None = None, *,
                  schema_builder: SchemaBuilder | None = None) -> TenancyApp:
    """Open every tenant (refusing one whose database is missing or behind, by name) and
    route requests to them."""
    base = base or Settings.from_env()
    envs = open_tenants(tenants, base)
    try:
        served = [ServedTenant(spec.name, spec.hosts, envs[spec.name],
                               create_app(envs[spec.name], envs[spec.name].settings,
                                          schema_builder=schema_builder))
                  for spec in tenants.tenants]
        return TenancyApp(served, tenants.default, settings=base)
    except BaseException:
        close_all(envs.values())
        raise


def tenants_app_factory() -> TenancyApp:
    """For ``uvicorn --factory openjxc.graphql.tenancy:tenants_app_factory`` (several
    workers): the tenants file comes from ``OPENJXC_TENANTS_FILE``."""
    path = os.environ.get(TENANTS_FILE_VARIABLE)
    if not path:
        raise ConfigError(f"{TENANTS_FILE_VARIABLE} is not set")
    return serve_tenants(load_tenants(path))
