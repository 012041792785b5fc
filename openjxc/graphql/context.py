"""What a resolver sees as ``info.context``, and the one unit of work of each operation.

Every GraphQL operation gets a context with these attributes (:class:`GraphQLContext`);
resolvers, the permission check, the DataLoaders and the pagination helper read nothing
else, so tests may pass a :class:`RequestContext` of their own::

    context = RequestContext(env=env, session=session, principal=user)
    await schema.execute(query, context_value=context)

``env``          the :class:`~openjxc.core.env.Environment` of the database being served;
``principal``    who is calling (:class:`~openjxc.core.security.Principal`), or None when
                 anonymous: resolvers decide between UNAUTHENTICATED and FORBIDDEN;
``locale``       ``zh_CN`` or ``en``: the user's own setting, else Accept-Language;
``session``      the SQLAlchemy session of this operation, opened on first use;
``loaders``      the operation's DataLoaders (:class:`Loaders`);
``request_id``   the id in the ``X-Request-Id`` header and in every log line of the request.

Why the session is lazy and decided late: SQLite write transactions begin ``IMMEDIATE``
and so queue behind each other, which a query must not do.  The operation type is known
only once the document is parsed, so :class:`UnitOfWorkExtension` marks mutations
``writable`` before execution; everything else reads in a deferred transaction, and a
request that never touches the database (a refused query, ``__typename``) opens none.

One unit of work per operation: a mutation commits when it ends without errors (a
``FORBIDDEN`` that only hides a field of its payload does not undo the write); any other
error rolls everything back, and a query never commits.  The session is finished before
the client sees the result, so "ok" always means "saved".  A subscription finishes its
session after each event, so it holds no transaction while it waits.
"""

from __future__ import annotations

import inspect
import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from graphql import GraphQLError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from strawberry.dataloader import DataLoader
from strawberry.extensions import SchemaExtension
from strawberry.types import Info
from strawberry.types.graphql import OperationType

from openjxc.core.config import Settings
from openjxc.core.i18n import KernelMessages, negotiate_locale
from openjxc.core.security import Identified, PrincipalCache, identify, record_use
from openjxc.core.security import Principal as SecurityPrincipal
from openjxc.graphql.bearer_throttle import BearerThrottle

if TYPE_CHECKING:
    from openjxc.core.env import Environment

K = TypeVar("K")
T = TypeVar("T")

BatchFn = Callable[[list[K]], Awaitable[Sequence[T]] | Sequence[T]]

log = logging.getLogger("openjxc.graphql")

INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
REQUEST_ID_HEADER = "x-request-id"
REQUEST_ID_SCOPE_KEY = "openjxc.request_id"
#: What a client-supplied request id may look like; anything else is replaced, so that a
#: header can never inject text into log lines.
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


class Principal(Protocol):
    """Who is calling: a user or an API key.  Only ``has`` matters to the GraphQL layer
    (:class:`openjxc.core.security.Principal` is the real one)."""

    def has(self, permission: str) -> bool:
        """Whether this principal holds ``permission`` (``area.object.action``)."""
        ...


class GraphQLContext(Protocol):
    """The attributes every resolver may read from ``info.context``."""

    @property
    def principal(self) -> Principal | None:
        """``None`` for an anonymous request."""
        ...

    @property
    def env(self) -> Any:
        """The :class:`~openjxc.core.env.Environment` of the tenant's database."""
        ...

    @property
    def session(self) -> Session | Callable[[], Session]:
        """The operation's SQLAlchemy session, or a callable opening it on first use;
        read it through :func:`get_session`."""
        ...

    @property
    def locale(self) -> str:
        """The locale payload messages are written in (``zh_CN``, ``en``)."""
        ...

    @property
    def loaders(self) -> Loaders:
        """Per-operation DataLoaders (see :class:`Loaders`)."""
        ...

    @property
    def request_id(self) -> str:
        """Logged with every error so a masked error can be found in the logs."""
        ...


class Loaders:
    """The DataLoaders of one operation, created on first use and shared by every field.

    A DataLoader must live exactly one operation: longer, and it would serve one user's
    rows to another and never see updates.  So loaders are kept here, on the context,
    keyed by a name the addon chooses::

        async def category(root: Product, info: Info) -> Category | None:
            loader = info.context.loaders.get("catalog.category", load_categories)
            return await loader.load(root.category_id)

    ``batch_fn(keys)`` receives every key requested in one tick and returns the values
    in the same order (``None`` where nothing exists; :func:`align` helps).  It may be
    synchronous (a plain SQLAlchemy query) or a coroutine function.
    """

    def __init__(self) -> None:
        self._loaders: dict[Hashable, DataLoader[Any, Any]] = {}

    def get(self, key: Hashable, batch_fn: BatchFn[K, T], *,
            max_batch_size: int | None = None) -> DataLoader[K, T]:
        loader = self._loaders.get(key)
        if loader is None:
            loader = DataLoader(load_fn=_as_async(batch_fn), max_batch_size=max_batch_size)
            self._loaders[key] = loader
        return cast("DataLoader[K, T]", loader)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._loaders


def _as_async(batch_fn: BatchFn[K, T]) -> Callable[[list[K]], Awaitable[Sequence[T]]]:
    async def load(keys: list[K]) -> Sequence[T]:
        result = batch_fn(keys)
        if inspect.isawaitable(result):
            result = await result
        return cast("Sequence[T]", result)

    return load


def align(keys: Iterable[K], rows: Iterable[T], key: Callable[[T], K]) -> list[T | None]:
    """Order ``rows`` like ``keys`` (``None`` for a key without a row), as batch
    functions and node loaders must answer."""
    by_key = {key(row): row for row in rows}
    return [by_key.get(k) for k in keys]


def get_session(info: Info[Any, Any]) -> Session:
    """The operation's session, opening it on first use when the context holds a factory."""
    session = info.context.session
    if session is None:
        raise RuntimeError("this request context has no database session")
    if isinstance(session, Session):
        return session
    return cast("Session", session())


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from(header: str | None) -> str:
    """The client's request id if it is sane, else a new one."""
    if header and _SANE_REQUEST_ID.match(header):
        return header
    return new_request_id()


def request_id_of(scope: Scope) -> str:
    """The id :class:`RequestIdMiddleware` gave this request (a new one outside the app)."""
    request_id = scope.get(REQUEST_ID_SCOPE_KEY)
    return request_id if isinstance(request_id, str) else new_request_id()


class RequestIdMiddleware:
    """Gives every request an id (the client's ``X-Request-Id`` when sane) and echoes it in
    the response headers, WebSocket handshakes included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        given = dict(scope.get("headers") or ()).get(REQUEST_ID_HEADER.encode())
        request_id = request_id_from(given.decode("latin-1") if given else None)
        scope[REQUEST_ID_SCOPE_KEY] = request_id
        header = (REQUEST_ID_HEADER.encode(), request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        await self.app(scope, receive, send_with_id)


def bearer_of(header: str | None) -> str | None:
    """The credential of an ``Authorization: Bearer …`` header (other schemes: None)."""
    scheme, _, credential = (header or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        return None
    return credential.strip()


async def authenticate_bearer(env: Environment, bearer: str | None,
                             client: str | None = None) -> SecurityPrincipal | None:
    """The principal of a bearer credential, or None.

    With the ``client`` address, a credential refused counts towards that client's
    :class:`~openjxc.graphql.bearer_throttle.BearerThrottle`, and while the client is
    throttled a credential not already cached raises ``TooManyAttempts`` unlooked-at.

    A credential this process authenticated a moment ago is answered from the
    environment's :class:`~openjxc.core.security.PrincipalCache`, without SQL; any other
    is authenticated in a read-only unit of work (retried if SQLite is busy), off the
    event loop, and remembered (concurrent requests with it share that one read).

    Recording ``last_used_at`` (at most once a minute) is bookkeeping, done afterwards
    in a short write transaction of its own that gives up when the write lock is busy:
    a long writer elsewhere never makes authentication fail or wait.
    """
    if not bearer:
        return None
    cache = PrincipalCache.for_environment(env)
    principal = cache.get(bearer)
    if principal is not None:
        return principal
    throttle = BearerThrottle.for_environment(env) if client is not None else None
    if throttle is not None:
        throttle.check(client)

    def work(session: Session) -> Identified | None:
        return identify(session, env, bearer)

    def load() -> SecurityPrincipal | None:
        identified = env.database.run(work, readonly=True)
        if identified is None:
            return None
        if identified.use_due:
            record_use(env.database, identified.principal)
        return identified.principal

    principal = await run_in_threadpool(cache.load, bearer, load)
    if principal is None and throttle is not None:
        throttle.record_failure(client)
    return principal


def locale_for(principal: SecurityPrincipal | None, accept_language: str | None,
               settings: Settings) -> str:
    """The user's own language, else the browser's, else the deployment's."""
    chosen = principal is not None and principal.locale_chosen
    return negotiate_locale(principal.locale if principal is not None and chosen else None,
                            accept_language, default=settings.default_locale)


class RequestContext:
    """The :class:`GraphQLContext` of one operation, as the HTTP layer builds it.

    Without ``session`` it opens its own unit of work on first use and
    :class:`UnitOfWorkExtension` ends it; a ``session`` given by a test (or a factory
    returning one) belongs to the caller, who commits or rolls it back.
    """

    def __init__(
        self,
        env: Environment | Any,
        *,
        session: Session | Callable[[], Session] | None = None,
        principal: Principal | None = None,
        locale: str | None = None,
        loaders: Loaders | None = None,
        request_id: str | None = None,
        request: Any = None,
        settings: Settings | None = None,
    ) -> None:
        self.env = env
        self.settings: Settings = settings or getattr(env, "settings", None) or Settings()
        self.principal = principal
        self.locale = locale or self.settings.default_locale
        self.loaders = loaders if loaders is not None else Loaders()
        self.request_id = request_id or new_request_id()
        #: The Starlette ``Request`` (or ``WebSocket``) this operation came with, if any.
        self.request = request
        #: The ``connection_init`` payload of a WebSocket connection (strawberry sets it).
        self.connection_params: dict[str, Any] = {}
        #: The credential a WebSocket connection authenticated with, to check it again.
        self.bearer: str | None = None
        #: True for a mutation: its session begins a write transaction.
        self.writable = False
        self._given = session
        self._unit: AbstractContextManager[Session] | None = None
        self._session: Session | None = None

    @property
    def session(self) -> Session:
        """This operation's session, in a transaction opened on first use."""
        if self._session is None:
            if self._given is not None:
                given = self._given
                self._session = given if isinstance(given, Session) else given()
            else:
                unit = self.env.unit_of_work(readonly=not self.writable)
                self._session = unit.__enter__()
                self._unit = unit
        return self._session

    @property
    def has_session(self) -> bool:
        """Whether this context opened a unit of work that is still running."""
        return self._unit is not None

    def finish(self, *, commit: bool) -> None:
        """End the unit of work: commit (may raise) or roll back.  The next use of
        :attr:`session` opens a new one.  A caller's own session is left alone."""
        unit, self._unit = self._unit, None
        if unit is None:
            return
        self._session = None
        if commit:
            unit.__exit__(None, None, None)
        else:
            unit.__exit__(_Rollback, _Rollback(), None)

    def close(self) -> None:
        """Roll back whatever is still open (the safety net at the end of a request)."""
        self.finish(commit=False)

    def for_operation(self, operation_id: str) -> RequestContext:
        """A context for one operation of a WebSocket connection: the same caller and
        locale, its own session and loaders (operations of a connection run concurrently).
        """
        child = RequestContext(self.env, settings=self.settings, principal=self.principal,
                               locale=self.locale, request_id=f"{self.request_id}:{operation_id}",
                               request=self.request)
        child.connection_params = self.connection_params
        return child

    def __repr__(self) -> str:
        who = getattr(self.principal, "username", None) or (
            "anonymous" if self.principal is None else "principal")
        return f"<RequestContext {self.request_id} {who} {self.locale}>"


class _Rollback(Exception):
    """Thrown into the unit of work to make it roll back."""


def internal_error(error: BaseException | None, context: Any, *,
                   source: GraphQLError | None = None) -> GraphQLError:
    """The masked stand-in for an unexpected failure: a localised "Internal server error"
    with ``INTERNAL_SERVER_ERROR`` and the request id; the trace goes to the log, with the
    same request id, for whoever reads the server's logs."""
    request_id = getattr(context, "request_id", None) or new_request_id()
    locale = getattr(context, "locale", None)
    where = ".".join(str(p) for p in source.path) if source is not None and source.path else "-"
    log.error("request %s: unexpected error at %s: %s", request_id, where,
              error if error is not None else source,
              exc_info=(type(error), error, error.__traceback__) if error is not None else None)
    return GraphQLError(
        KernelMessages.INTERNAL_ERROR.resolve(locale),
        nodes=source.nodes if source is not None else None,
        path=source.path if source is not None else None,
        extensions={"code": INTERNAL_SERVER_ERROR, "requestId": request_id},
    )


def is_visibility_refusal(error: GraphQLError) -> bool:
    """A ``FORBIDDEN`` below a root field: a hidden value, not a failed operation."""
    code = (error.extensions or {}).get("code") or getattr(error.original_error, "code", None)
    return code == "FORBIDDEN" and error.path is not None and len(error.path) > 1


def should_commit(errors: Sequence[GraphQLError] | None) -> bool:
    return all(is_visibility_refusal(e) for e in errors or ())


class UnitOfWorkExtension(SchemaExtension):
    """Opens mutations for writing and ends every operation's session before its result
    leaves the server (see the module docstring for the rules)."""

    def _context(self) -> RequestContext | None:
        context = self.execution_context.context
        return context if isinstance(context, RequestContext) else None

    def on_execute(self) -> Iterator[None]:
        context = self._context()
        if context is not None and not context.has_session:
            context.writable = self.execution_context.operation_type == OperationType.MUTATION
        yield

    def on_stream_result(self, result: Any) -> Iterator[None]:
        # Streams (WebSocket) send each result as soon as this hook returns.
        self._finish(result)
        yield

    def on_operation(self) -> Iterator[None]:
        try:
            yield
        except BaseException:
            context = self._context()
            if context is not None:
                context.finish(commit=False)
            raise
        self._finish(self.execution_context.result)

    def _finish(self, result: Any) -> None:
        context = self._context()
        if context is None or not context.has_session:
            return
        errors = getattr(result, "errors", None)
        if not context.writable or not should_commit(errors):
            context.finish(commit=False)
            return
        try:
            context.finish(commit=True)
        except Exception as exc:
            if result is not None:
                result.data = None
                result.errors = [internal_error(exc, context)]
            else:
                raise
