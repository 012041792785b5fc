"""The HTTP face of one database: GraphQL, subscriptions, health, readiness and PDFs.

    app = create_app(Environment.open("sqlite:///shop.db"))     # or: openjxc serve

Routes (API.md "Transport"):

``/graphql``               POST (and GET for queries) and GraphiQL when enabled; WebSocket
                           subscriptions with ``graphql-transport-ws``, authenticated by
                           the ``connection_init`` payload ``{"authorization": "Bearer …"}``;
``GET /healthz``           the process answers;
``GET /readyz``            the database answers and its migrations are at head (else 503);
``GET /reports/{name}/{id}.pdf``  a printable document, with the same bearer token.

Every response carries ``X-Request-Id`` (the client's when it sent a sane one), and every
unexpected failure is answered ``INTERNAL_SERVER_ERROR`` with that id while the trace goes
to the log under the same id: a user's screenshot finds the log line.

The app refuses to start on a database whose migrations are behind the code, saying what
to run: a server that half-works on an old schema corrupts data quietly.

This module serves ``/graphql`` and assembles the app; the other endpoints live in
:mod:`openjxc.graphql.http` and the error masking in :mod:`openjxc.graphql.masking`
(their public names are re-exported here).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import timedelta
from json import JSONDecodeError
from typing import Any, cast

import strawberry
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from graphql import GraphQLError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.extensions import SchemaExtension
from strawberry.http import GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
    Operation,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType
from strawberry.types.unset import UNSET, UnsetType

from openjxc.core.config import Settings
from openjxc.core.env import Environment, installed_addons
from openjxc.core.errors import MigrationError
from openjxc.core.i18n import Translator
from openjxc.core.migrate import check_up_to_date
from openjxc.core.models import utcnow
from openjxc.core.security.errors import TooManyAttempts
from openjxc.graphql.bearer_throttle import client_of, throttled_response
from openjxc.graphql.context import (
    RequestContext,
    RequestIdMiddleware,
    UnitOfWorkExtension,
    authenticate_bearer,
    bearer_of,
    locale_for,
    request_id_of,
)
from openjxc.graphql.http import healthz, readyz_endpoint, report_endpoint
from openjxc.graphql.limits import (
    BodySizeLimit,
    decode_message_json,
    decode_request_json,
    protection_extensions,
)
from openjxc.graphql.masking import (
    ErrorMasking,
    error_response,
    internal_response,
    is_expected,
)
from openjxc.graphql.retry import RetryingStreams, TransientErrorWatch, execute_with_retry

__all__ = [
    "TOO_MANY_SUBSCRIPTIONS",
    "EnvironmentSource",
    "ErrorMasking",
    "GraphQLView",
    "SchemaBuilder",
    "SubscriptionsOverWebSocket",
    "TransportWSHandler",
    "app_extensions",
    "app_factory",
    "create_app",
    "ensure_database_ready",
    "healthz",
    "is_expected",
]

TOO_MANY_SUBSCRIPTIONS = "TOO_MANY_SUBSCRIPTIONS"
log = logging.getLogger("openjxc.graphql")

EnvironmentSource = Environment | Callable[[], Environment]
SchemaBuilder = Callable[[Environment, Sequence[Any]], strawberry.Schema]


# -- schema extensions -----------------------------------------------------------------------


class SubscriptionsOverWebSocket(SchemaExtension):
    """Refuses a subscription that came over plain HTTP: subscriptions are authenticated
    and capped per WebSocket connection, and a POST cannot carry a stream of results."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context.context
        if (self.execution_context.operation_type == OperationType.SUBSCRIPTION
                and not isinstance(getattr(context, "request", None), WebSocket)):
            raise GraphQLError(
                "Subscriptions are served over WebSocket (graphql-transport-ws) only",
                extensions={"code": "BAD_REQUEST"})
        yield


def app_extensions(settings: Settings) -> list[type[SchemaExtension]]:
    """What the app adds to the schema: the query limits, error masking and the unit of
    work (an extension listed later finishes first, so the session ends before masking)."""
    return [*protection_extensions(settings), SubscriptionsOverWebSocket, ErrorMasking,
            UnitOfWorkExtension, TransientErrorWatch]


# -- GraphQL over HTTP and WebSocket ---------------------------------------------------------

_OPERATION_CONTEXT: ContextVar[RequestContext | None] = ContextVar(
    "openjxc_ws_operation_context", default=None)


class _CredentialLapsed(BaseException):
    """Ends an operation whose connection's credential no longer holds (the socket is
    closed already).  A BaseException, so that strawberry's catch-all for a failing
    operation (which logs it as a crash) lets it through to :meth:`run_operation`."""


class TransportWSHandler(BaseGraphQLTransportWSHandler[RequestContext, None]):
    """graphql-transport-ws with one context per operation and a coded subscription cap.

    strawberry gives all operations of a connection the connection's context; ours run
    concurrently, so each gets its own (own session, own DataLoaders) through a context
    variable set in the operation's task.

    A connection is authenticated once, at ``connection_init``, but its subscriptions may
    run for days: before each result is sent, the credential is checked again — its
    expiry every time, its revocation (or its user's deactivation) by authenticating it
    anew at most every :attr:`credential_recheck_seconds` (through the principal cache,
    which a revocation in this process empties at once).  When it no longer holds, the
    connection is closed with 4401 Unauthorized and every operation on it ends.
    """

    #: How often a connection's credential is authenticated again while it streams.
    credential_recheck_seconds: float = 5.0
    _next_recheck: float = 0.0
    _lapsed: bool = False

    @property  # type: ignore[override]
    def context(self) -> RequestContext:
        return _OPERATION_CONTEXT.get() or self._connection_context

    @context.setter
    def context(self, value: RequestContext) -> None:
        self._connection_context = value

    @property  # type: ignore[override]
    def schema(self) -> Any:
        """The view's schema, its queries and mutations run again when they fail
        transiently (:mod:`openjxc.graphql.retry`)."""
        return self._retrying_schema

    @schema.setter
    def schema(self, value: Any) -> None:
        self._retrying_schema = (value if isinstance(value, RetryingStreams)
                                 else RetryingStreams(value))

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        cap = self.max_subscriptions_per_connection
        if (self.connection_acknowledged and cap is not None
                and message["id"] not in self.operations and len(self.operations) >= cap):
            error = GraphQLError(
                f"This connection already holds {cap} subscriptions, the maximum",
                extensions={"code": TOO_MANY_SUBSCRIPTIONS, "maxSubscriptions": cap})
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": [error.formatted]})
            return
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[RequestContext, None]) -> None:
        # Runs in the operation's own task: the context variable stays in it.
        context = self._connection_context.for_operation(operation.id)
        _OPERATION_CONTEXT.set(context)
        translator = cast("GraphQLView", self.view).translator
        try:
            with translator.activate(context.locale):
                await super().run_operation(operation)
        except _CredentialLapsed:
            self.operations.pop(operation.id, None)
        finally:
            context.close()

    async def send_message(self, message: Any) -> None:
        if message.get("type") == "next" and not await self._credential_holds():
            if not self._lapsed:
                self._lapsed = True
                # The same close as for a subscribe before connection_init: the client
                # must authenticate (again) on a new connection.
                await self.websocket.close(code=4401, reason="Unauthorized")
            raise _CredentialLapsed
        await super().send_message(message)

    async def _credential_holds(self) -> bool:
        if self._lapsed:
            return False
        connection = self._connection_context
        principal = connection.principal
        if principal is None:
            return False
        expires_at = getattr(principal, "expires_at", None)
        if expires_at is not None and expires_at <= utcnow():
            return False
        now = time.monotonic()
        if now < self._next_recheck:
            return True
        self._next_recheck = now + self.credential_recheck_seconds
        try:
            fresh = await authenticate_bearer(connection.env, connection.bearer)
        except Exception:
            # The database did not answer: keep streaming (the expiry still applies)
            # and ask again at the next recheck rather than drop every subscriber.
            log.warning("could not re-authenticate WebSocket connection %s",
                        connection.request_id, exc_info=True)
            return True
        return fresh is not None and fresh.credential_id == getattr(
            principal, "credential_id", None)


class GraphQLView(GraphQL[RequestContext, None]):
    """strawberry's ASGI view with our context, authentication and error answers."""

    graphql_transport_ws_handler_class = TransportWSHandler

    def __init__(self, env: Environment, schema: strawberry.Schema, settings: Settings) -> None:
        super().__init__(
            schema,
            graphql_ide="graphiql" if settings.graphiql else None,
            allow_queries_via_get=True,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=15),
            max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
        )
        self.env = env
        self.settings = settings
        self.translator = Translator.for_environment(env)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope, receive)
        request_id = request_id_of(scope)
        context: RequestContext | None = None
        try:
            principal = await authenticate_bearer(
                self.env, bearer_of(request.headers.get("authorization")), client_of(request))
            context = RequestContext(
                self.env, settings=self.settings, principal=principal, request=request,
                locale=locale_for(principal, request.headers.get("accept-language"),
                                  self.settings),
                request_id=request_id)
            with self.translator.activate(context.locale):
                try:
                    response = await self.run(request, context=context)
                except HTTPException as exc:
                    response = error_response(exc.status_code, "BAD_REQUEST", exc.reason,
                                              request_id)
        except TooManyAttempts as exc:  # openjxc.graphql.bearer_throttle
            response = throttled_response(exc, request_id, locale_for(
                None, request.headers.get("accept-language"), self.settings))
        except Exception as exc:
            response = internal_response(exc, request_id,
                                         context.locale if context else None)
        finally:
            if context is not None:
                context.close()
        await response(scope, receive, send)

    async def execute_single(
            self, request: Request, request_adapter: AsyncHTTPRequestAdapter,
            sub_response: Response, context: RequestContext, root_value: None,
            request_data: GraphQLRequestData) -> ExecutionResult:
        # A query or mutation failing transiently runs again (openjxc.graphql.retry).
        run = super().execute_single
        result: ExecutionResult = await execute_with_retry(
            context, lambda: run(request, request_adapter, sub_response, context, root_value,
                                 request_data), variables=request_data.variables)
        return result

    def parse_json(self, data: str | bytes) -> object:
        # HTTP: invalid UTF-8, lone surrogates and deep nesting are a 400 (limits.py).
        try:
            return decode_request_json(data)
        except JSONDecodeError:
            raise HTTPException(400, "Unable to parse request body as JSON") from None

    def decode_json(self, data: str | bytes) -> object:
        return decode_message_json(data)  # WebSocket messages

    async def get_context(self, request: Request | WebSocket,
                          response: Response | WebSocket) -> RequestContext:
        # Called for WebSocket connections (HTTP requests come with theirs); the caller is
        # known once connection_init arrives (on_ws_connect).
        return RequestContext(
            self.env, settings=self.settings, request=request,
            locale=locale_for(None, request.headers.get("accept-language"), self.settings),
            request_id=request_id_of(request.scope))

    async def on_ws_connect(self, context: RequestContext) -> UnsetType | dict[str, object]:
        params = context.connection_params or {}
        header = params.get("authorization", params.get("Authorization"))
        try:
            principal = await authenticate_bearer(
                self.env, bearer_of(header) if isinstance(header, str) else None,
                client_of(context.request))
        except TooManyAttempts:
            principal = None
        if principal is None:
            # graphql-transport-ws: a refused connection_init closes with 4403 Forbidden.
            raise ConnectionRejectionError()
        context.principal = principal
        context.bearer = bearer_of(header) if isinstance(header, str) else None
        context.locale = locale_for(principal, context.request.headers.get("accept-language"),
                                    self.settings)
        return UNSET


# -- the service ----------------------------------------------------------------------------

class _Service:
    """The environment served, resolved once (now, or at startup for a factory); as an
    ASGI app it is ``/graphql`` (an object, which Starlette does not take for a request
    handler as it would a function)."""

    def __init__(self, source: EnvironmentSource, settings: Settings | None,
                 check_migrations: bool, builder: SchemaBuilder | None) -> None:
        self._source = source
        self._explicit = settings
        self._check = check_migrations
        self._builder = builder
        self._env: Environment | None = source if isinstance(source, Environment) else None
        self._view: GraphQLView | None = None
        self.owned = False

    @property
    def settings(self) -> Settings:
        if self._explicit is not None:
            return self._explicit
        assert self._env is not None  # create_app gives a factory explicit settings
        return self._env.settings

    def start(self) -> Environment:
        """Resolve the environment, refuse a database that is behind, build the schema."""
        if self._env is None:
            self._env = cast("Callable[[], Environment]", self._source)()
            self.owned = True
        if self._view is None:
            if self._check:
                ensure_database_ready(self._env)
            builder = self._builder or _default_builder
            schema = builder(self._env, app_extensions(self.settings))
            self._view = GraphQLView(self._env, schema, self.settings)
        return self._env

    @property
    def env(self) -> Environment:
        return self.start()

    @property
    def view(self) -> GraphQLView:
        self.start()
        assert self._view is not None
        return self._view

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.view(scope, receive, send)


def _default_builder(env: Environment, extensions: Sequence[Any]) -> strawberry.Schema:
    from openjxc.graphql import build_schema

    return build_schema(env, extensions=list(extensions))


def ensure_database_ready(env: Environment) -> None:
    """Raise (with what to run) unless the database is OpenJXC's and at head."""
    if installed_addons(env.database) is None:
        url = env.database.engine.url.render_as_string(hide_password=True)
        raise MigrationError(f"{url} is not an OpenJXC database; create it with: "
                             f"openjxc init --edition basic --database {url}")
    check_up_to_date(env)



# -- the app ---------------------------------------------------------------------------------

def create_app(env_or_factory: EnvironmentSource, settings: Settings | None = None, *,
               check_migrations: bool = True,
               schema_builder: SchemaBuilder | None = None) -> Starlette:
    """The ASGI app serving one environment.

    ``env_or_factory`` is an :class:`Environment`, or a callable making one at startup
    (so an import string never opens a database).  ``settings`` default to the
    environment's (``Settings.from_env()`` with a factory); the schema's own page cap reads
    the environment's, so give both the same.  With an environment, a database that is not
    at head is refused here (``DatabaseBehindError``, saying what to run); with a factory,
    at startup.  ``schema_builder(env, extensions)`` replaces
    :func:`openjxc.graphql.build_schema` (tests, embedding).
    """
    if settings is None and not isinstance(env_or_factory, Environment):
        settings = Settings.from_env()
    service = _Service(env_or_factory, settings, check_migrations, schema_builder)
    if isinstance(env_or_factory, Environment):
        service.start()
    resolved = service.settings

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        service.start()
        try:
            yield
        finally:
            if service.owned:
                service.env.database.dispose()

    return Starlette(
        routes=[
            Route("/graphql", service, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", service),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/readyz", readyz_endpoint(service), methods=["GET"]),
            Route("/reports/{name}/{id:int}.pdf", report_endpoint(service), methods=["GET"]),
        ],
        middleware=[
            Middleware(RequestIdMiddleware),
            Middleware(BodySizeLimit, max_bytes=resolved.max_body_bytes,
                       default_locale=resolved.default_locale),
        ],
        lifespan=lifespan,
    )


def app_factory() -> Starlette:
    """For ``uvicorn --factory openjxc.graphql.app:app_factory`` (several workers): the
    database comes from ``OPENJXC_DATABASE_URL``."""
    settings = Settings.from_env()
    env = Environment.open(settings.database_url, settings=settings)
    return create_app(env, settings)
