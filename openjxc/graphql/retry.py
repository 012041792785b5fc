"""A GraphQL operation hit by a transient database failure is run again, as a whole.

A serialization failure (PostgreSQL 40001), a deadlock (40P01) or SQLite's "database is
locked" says nothing about the request: run again a moment later, the same operation
succeeds.  :meth:`Environment.run <openjxc.core.env.Environment.run>` retries services
this way; here the unit of work is the GraphQL operation (:class:`UnitOfWorkExtension
<openjxc.graphql.context.UnitOfWorkExtension>`), so the operation is what runs again:

* its session rolled back — and with it every row, event, outbox message and
  idempotency key the failed attempt wrote (all in the one transaction);
* a fresh session and fresh DataLoaders (no ORM object of the rolled-back session
  survives), the same caller (the principal is a plain value, authenticated in a unit
  of work of its own) and the same parsed request (file variables are rewound);
* after a jittered exponential pause, at most
  :data:`~openjxc.core.db.TRANSIENT_ATTEMPTS` runs in all (the policy of
  :func:`~openjxc.core.db.retry_transient`);
* still failing, the client gets ``TRY_AGAIN`` (localised, with the request id) instead of
  ``INTERNAL_SERVER_ERROR``: nothing was saved and the same request may be sent again.

Where a transient error surfaces does not matter: raised by a resolver (however wrapped,
through ``__cause__``/``__context__``), by a flush, or at commit, where the unit of work
turns it into an internal error; the engine's ``handle_error`` event notes every one of
the attempt's database errors as it happens (:class:`Attempt`), so even one a resolver
swallowed counts.  An operation that committed is never run again, and one refused for a
clear reason (a domain error, a missing permission) keeps its answer.

HTTP runs each query and mutation through :func:`execute_with_retry`; a WebSocket
connection's queries and mutations through :class:`RetryingStreams`; subscriptions are
not retried (their results are already on their way).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError
from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionResult
from strawberry.types.graphql import OperationType

from openjxc.core.db import (
    TRANSIENT_ATTEMPTS,
    TRANSIENT_BASE_DELAY,
    is_transient,
    transient_backoff,
)
from openjxc.core.i18n import KernelMessages
from openjxc.graphql.context import Loaders, RequestContext, should_commit
from openjxc.graphql.masking import is_expected

__all__ = ["TRY_AGAIN", "Attempt", "RetryingStreams", "TransientErrorWatch",
           "execute_with_retry", "transient_cause"]

log = logging.getLogger("openjxc.graphql")

TRY_AGAIN = "TRY_AGAIN"


@dataclass
class Attempt:
    """What one run of an operation met: the transient errors and whether the failure
    had a clear, client-visible reason besides."""

    #: Transient errors among the operation's own errors (resolvers, flushes).
    in_result: bool = False
    #: A transient error of the database, wherever it surfaced (or was swallowed).
    noted: BaseException | None = None
    #: An error the client may see as it is, not caused by a transient one.
    clear_refusal: bool = False
    operation_type: OperationType | None = None

    def worth_retrying(self, result: Any, writable: bool) -> bool:
        """Whether this run failed transiently and left nothing behind."""
        if self.operation_type is OperationType.SUBSCRIPTION:
            return False
        errors = getattr(result, "errors", None)
        if not errors or (writable and should_commit(errors)):
            return False  # it succeeded (and, a mutation, committed)
        return self.in_result or (self.noted is not None and not self.clear_refusal)


_ATTEMPT: ContextVar[Attempt | None] = ContextVar("openjxc_graphql_attempt", default=None)


def transient_cause(error: BaseException | None) -> BaseException | None:
    """The transient database error ``error`` is or was caused by, if any."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if is_transient(error):
            return error
        error = error.__cause__ or error.__context__
    return None


def _on_database_error(context: ExceptionContext) -> None:
    attempt = _ATTEMPT.get()
    error = context.sqlalchemy_exception
    if attempt is not None and error is not None and is_transient(error):
        attempt.noted = error


def watch_engine(engine: Engine) -> None:
    """Note the transient errors of an engine in the attempt running (once per engine)."""
    if not event.contains(engine, "handle_error", _on_database_error):
        event.listen(engine, "handle_error", _on_database_error)


def _watch(context: RequestContext) -> None:
    try:
        engine = context.env.database.engine
    except Exception:  # an environment without a database (tests): nothing to watch
        return
    if isinstance(engine, Engine):
        watch_engine(engine)


class TransientErrorWatch(SchemaExtension):
    """Reads the operation's errors as they come out of execution, before masking hides
    their cause, into the :class:`Attempt` running (if any)."""

    def on_execute(self) -> Iterator[None]:
        attempt = _ATTEMPT.get()
        if attempt is not None:
            attempt.operation_type = self.execution_context.operation_type
        yield
        result = self.execution_context.result
        if attempt is None or result is None:
            return
        for error in getattr(result, "errors", None) or ():
            cause = transient_cause(error.original_error)
            if cause is not None:
                attempt.in_result = True
                attempt.noted = attempt.noted or cause
            elif is_expected(error):
                attempt.clear_refusal = True


def _fresh(context: RequestContext) -> None:
    """Ready a context for another run: no session, no loaders, not yet writable."""
    context.close()
    context.loaders = Loaders()
    context.writable = False


def _rewind(value: Any) -> None:
    """Seek every file among the variables back to its start (an upload read by the
    failed run is read again from its first byte)."""
    if isinstance(value, dict):
        for item in value.values():
            _rewind(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _rewind(item)
    else:
        file = getattr(value, "file", value)
        seek = getattr(file, "seek", None)
        if callable(seek) and not asyncio.iscoroutinefunction(seek):
            seek(0)


def try_again(context: RequestContext) -> ExecutionResult:
    """The answer of an operation that failed transiently every time: nothing saved."""
    return ExecutionResult(data=None, errors=[GraphQLError(
        KernelMessages.TRY_AGAIN.resolve(context.locale),
        extensions={"code": TRY_AGAIN, "requestId": context.request_id})])


async def _run_attempt(run: Callable[[], Awaitable[Any]], attempt: Attempt) -> Any:
    token = _ATTEMPT.set(attempt)
    try:
        return await run()
    finally:
        _ATTEMPT.reset(token)


def _give_up(context: RequestContext, attempt: Attempt, runs: int) -> ExecutionResult:
    log.warning("request %s: transient database error in each of %s runs, answered %s: %s",
                context.request_id, runs, TRY_AGAIN, attempt.noted)
    return try_again(context)


async def execute_with_retry(context: Any, run: Callable[[], Awaitable[Any]], *,
                             variables: Any = None, attempts: int = TRANSIENT_ATTEMPTS,
                             base_delay: float = TRANSIENT_BASE_DELAY) -> Any:
    """``await run()`` (one execution of the operation with ``context``), run again while
    it fails transiently (see the module docstring)."""
    if not isinstance(context, RequestContext):
        return await run()
    _watch(context)
    for number in range(1, attempts + 1):
        attempt = Attempt()
        result = await _run_attempt(run, attempt)
        if not attempt.worth_retrying(result, context.writable):
            return result
        _fresh(context)
        if number == attempts:
            return _give_up(context, attempt, number)
        log.info("request %s: transient database error (run %s), running it again: %s",
                 context.request_id, number, attempt.noted)
        await asyncio.sleep(transient_backoff(number, base_delay))
        _rewind(variables)
    raise AssertionError("unreachable")


class RetryingStreams:
    """A schema whose :meth:`stream` runs queries and mutations again while they fail
    transiently (what a WebSocket connection executes); everything else is the schema's."""

    def __init__(self, schema: Any, *, attempts: int = TRANSIENT_ATTEMPTS,
                 base_delay: float = TRANSIENT_BASE_DELAY) -> None:
        self.schema = schema
        self.attempts = attempts
        self.base_delay = base_delay

    def __getattr__(self, name: str) -> Any:
        return getattr(self.schema, name)

    async def stream(self, query: str | None, variable_values: dict[str, Any] | None = None,
                     context_value: Any | None = None, root_value: Any | None = None,
                     operation_name: str | None = None,
                     operation_extensions: dict[str, Any] | None = None,
                     allowed_operation_types: Any = None) -> AsyncGenerator[Any, None]:
        kwargs = {"variable_values": variable_values, "context_value": context_value,
                  "root_value": root_value, "operation_name": operation_name,
                  "operation_extensions": operation_extensions,
                  "allowed_operation_types": allowed_operation_types}
        if not isinstance(context_value, RequestContext):
            source: AsyncGenerator[Any, None] = await self.schema.stream(query, **kwargs)
            return source
        return self._retrying(query, context_value, kwargs)

    async def _retrying(self, query: str | None, context: RequestContext,
                        kwargs: dict[str, Any]) -> AsyncGenerator[Any, None]:
        _watch(context)
        for number in range(1, self.attempts + 1):
            attempt = Attempt()
            source = await self.schema.stream(query, **kwargs)
            try:
                first = await _run_attempt(lambda: anext(source), attempt)  # noqa: B023
            except StopAsyncIteration:
                return
            if attempt.operation_type in (None, OperationType.SUBSCRIPTION):
                # A subscription (or a refused document): its results as they come.
                try:
                    yield first
                    async for result in source:
                        yield result
                finally:
                    await source.aclose()
                return
            rest = [result async for result in source]
            if not attempt.worth_retrying(first, context.writable):
                for result in (first, *rest):
                    yield result
                return
            _fresh(context)
            if number == self.attempts:
                yield _give_up(context, attempt, number)
                return
            log.info("request %s: transient database error (run %s), running it again: %s",
                     context.request_id, number, attempt.noted)
            await asyncio.sleep(transient_backoff(number, self.base_delay))
            _rewind(kwargs["variable_values"])
        raise AssertionError("unreachable")
