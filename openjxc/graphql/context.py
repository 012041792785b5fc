"""What a resolver may rely on in ``info.context``: the request context protocol.

The HTTP layer builds one context per request; resolvers, the permission check, the
DataLoaders and the pagination helper read only the attributes below, so tests can
pass a :class:`RequestContext` of their own and the app can pass any object with the
same attributes::

    context = RequestContext(env=env, session=session, principal=user)
    await schema.execute(query, context_value=context)
"""

from __future__ import annotations

import inspect
import uuid
from collections.abc import Awaitable, Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy.orm import Session
from strawberry.dataloader import DataLoader
from strawberry.types import Info

K = TypeVar("K")
T = TypeVar("T")

BatchFn = Callable[[list[K]], Awaitable[Sequence[T]] | Sequence[T]]


class Principal(Protocol):
    """Who is calling: a user or an API key.  Only ``has`` matters to the GraphQL layer."""

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
        """The request's SQLAlchemy session, or a callable opening it on first use (so
        requests that never touch the database never open a transaction); the callable
        returns the same session on every call."""
        ...

    @property
    def locale(self) -> str:
        """The locale payload messages are written in (``zh_CN``, ``en``)."""
        ...

    @property
    def loaders(self) -> Loaders:
        """Per-request DataLoaders (see :class:`Loaders`)."""
        ...

    @property
    def request_id(self) -> str:
        """Logged with every error so a masked error can be found in the logs."""
        ...


class Loaders:
    """The DataLoaders of one request, created on first use and shared by every field.

    A DataLoader must live exactly one request: longer, and it would serve one user's
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


@dataclass
class RequestContext:
    """A ready-made :class:`GraphQLContext`, for tests and for the HTTP layer."""

    env: Any
    session: Session | Callable[[], Session] | None = None
    principal: Principal | None = None
    locale: str = "zh_CN"
    loaders: Loaders = field(default_factory=Loaders)
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    #: The transport's request object, when there is one (Starlette's ``Request``).
    request: Any = None


def get_session(info: Info[Any, Any]) -> Session:
    """The request's session, opening it on first use when the context holds a factory."""
    session = info.context.session
    if session is None:
        raise RuntimeError("this request context has no database session")
    if isinstance(session, Session):
        return session
    return session()
