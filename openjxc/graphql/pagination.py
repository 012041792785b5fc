"""Connections: ``Connection[T]`` / ``Edge[T]`` / ``PageInfo`` and keyset ``paginate``.

Every list of the API is a Relay connection.  ``Connection[Product]`` is named
``ProductConnection`` in the schema (and ``Edge[Product]`` ``ProductEdge``), and is
re-bound per edition like every other type.

``paginate`` pages with *keyset* cursors: a cursor holds the sort-key values of its row
(plus the primary key, so ties never repeat or skip rows), and the next page is "rows
after these values" — no ``OFFSET``, so page 500 costs what page 1 costs and rows
inserted meanwhile do not shift the pages.  Page sizes above ``max_page_size`` are
refused (as Saleor does) rather than silently clamped: a client asking for 500 rows
and getting 100 would believe it has them all.  ``totalCount`` is a resolver on the
connection, so its ``COUNT(*)`` runs only when a client selects it — under any alias,
fragment or directive, which a look at the selected field names would miss.

    def products(info: Info, first: int | None = None, after: str | None = None,
                 last: int | None = None, before: str | None = None,
                 ) -> Connection[Product]:
        return paginate(get_session(info), select(ProductRow), first=first, after=after,
                        last=last, before=before, sort_keys=[ProductRow.code],
                        to_node=Product.from_row, info=info)
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Generic, TypeVar

import strawberry
from sqlalchemy import Select, and_, func, inspect, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import ColumnElement, UnaryExpression
from strawberry.types import Info

from openjxc.graphql.edition import composition_of
from openjxc.graphql.errors import BadUserInput

NodeT = TypeVar("NodeT")


@strawberry.type(description="Where a page sits in its list.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None = None
    end_cursor: str | None = None


@strawberry.type(description="One item of a list, with the cursor to continue from it.")
class Edge(Generic[NodeT]):
    cursor: str
    node: NodeT


@strawberry.type(description="A page of a list: its items, where it sits, how many in all.")
class Connection(Generic[NodeT]):
    edges: list[Edge[NodeT]]
    page_info: PageInfo
    counter: strawberry.Private[Callable[[], int]]

    @strawberry.field(description="How many items the whole list has, across all pages.")
    def total_count(self) -> int:
        return self.counter()


@dataclass(frozen=True)
class _Key:
    expr: Any
    descending: bool

    def ordering(self, reverse: bool) -> Any:
        return self.expr.desc() if self.descending != reverse else self.expr.asc()


def paginate(session: Session, stmt: Select[Any], *, first: int | None = None,
             after: str | None = None, last: int | None = None, before: str | None = None,
             sort_keys: Sequence[Any], to_node: Callable[[Any], NodeT],
             info: Info[Any, Any]) -> Connection[NodeT]:
    """One page of ``stmt``, ordered by ``sort_keys`` then the primary key.

    ``sort_keys`` are columns, optionally ``.desc()``; they must not be NULL (wrap a
    nullable one in ``coalesce``).  The primary key of ``stmt``'s first entity is
    appended when missing; for a statement without an entity, the last key must be
    unique.  ``to_node`` turns each result (the entity, or the row when ``stmt`` selects
    several columns) into the GraphQL object.
    """
    settings = composition_of(info).settings
    limit, backward = _page_size(first, last, settings)
    keys = _keys(stmt, sort_keys)
    signature = _signature(keys)
    query = stmt
    if after is not None:
        query = query.where(_beyond(keys, decode_cursor(after, signature, len(keys),
                                                        settings.secret_key), True))
    if before is not None:
        query = query.where(_beyond(keys, decode_cursor(before, signature, len(keys),
                                                        settings.secret_key), False))
    width = len(stmt.column_descriptions)  # entities and columns, as rows hold them
    # Labelled, because SQLAlchemy folds a column selected twice into one result column.
    query = (query.add_columns(*(k.expr.label(f"openjxc_key_{i}") for i, k in enumerate(keys)))
             .order_by(None).order_by(*(k.ordering(backward) for k in keys))
             .limit(limit + 1))
    rows = list(session.execute(query).all())
    more = len(rows) > limit
    rows = rows[:limit]
    if backward:
        rows.reverse()
    edges = [
        Edge(cursor=encode_cursor(signature, tuple(row[width:]), keys, settings.secret_key),
             node=to_node(row[0] if width == 1 else tuple(row[:width])))
        for row in rows
    ]
    page_info = PageInfo(
        # Going forward, a cursor to start after means rows exist before it (and
        # symmetrically backward); asking the database would cost another query.
        has_next_page=before is not None if backward else more,
        has_previous_page=more if backward else after is not None,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
    )
    return Connection(edges=edges, page_info=page_info, counter=_Counter(session, stmt))


class _Counter:
    """``COUNT(*)`` of the unpaged statement, run at most once and only when asked."""

    def __init__(self, session: Session, stmt: Select[Any]) -> None:
        self._session = session
        self._stmt = stmt
        self._value: int | None = None

    def __call__(self) -> int:
        if self._value is None:
            count = select(func.count()).select_from(self._stmt.order_by(None).subquery())
            self._value = int(self._session.scalar(count) or 0)
        return self._value


def _page_size(first: int | None, last: int | None, settings: Any) -> tuple[int, bool]:
    if first is not None and last is not None:
        raise BadUserInput("Pass either first or last, not both.")
    backward = last is not None
    size = last if backward else first
    argument = "last" if backward else "first"
    if size is None:
        return int(settings.default_page_size), False
    if size < 0:
        raise BadUserInput(f"{argument} must not be negative.")
    if size > settings.max_page_size:
        raise BadUserInput(f"{argument}: {size} is above the page size limit of "
                           f"{settings.max_page_size}; page through the list with cursors.",
                           extensions={"maxPageSize": settings.max_page_size})
    return size, backward


def _keys(stmt: Select[Any], sort_keys: Sequence[Any]) -> list[_Key]:
    keys = []
    for spec in sort_keys:
        if isinstance(spec, UnaryExpression) and spec.modifier in (operators.desc_op,
                                                                   operators.asc_op):
            keys.append(_Key(spec.element, spec.modifier is operators.desc_op))
        else:
            keys.append(_Key(spec, False))
    entity = stmt.column_descriptions[0].get("entity") if stmt.column_descriptions else None
    if entity is not None:
        for pk in inspect(entity).primary_key:
            if not any(_same_column(k.expr, pk) for k in keys):
                keys.append(_Key(pk, False))
    if not keys:
        raise ValueError("paginate needs sort keys (or a statement over a mapped entity)")
    return keys


def _same_column(expr: Any, column: ColumnElement[Any]) -> bool:
    expr = getattr(expr, "expression", expr)
    return (getattr(expr, "table", None) is getattr(column, "table", None)
            and getattr(expr, "name", None) == getattr(column, "name", None))


def _beyond(keys: Sequence[_Key], values: Sequence[Any], after: bool) -> Any:
    """Rows strictly after (or before) ``values`` in the order of ``keys``:
    ``k1 > v1 OR (k1 = v1 AND k2 > v2) OR …`` with ``<`` for descending keys."""
    clauses = []
    for i, key in enumerate(keys):
        value = values[i]
        step = key.expr > value if after != key.descending else key.expr < value
        clauses.append(and_(*(keys[j].expr == values[j] for j in range(i)), step))
    return or_(*clauses)


def _signature(keys: Sequence[_Key]) -> str:
    # A cursor made for another sort order (or another list) must not be accepted.
    text = "|".join(f"{k.expr}{'-' if k.descending else '+'}" for k in keys)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def _mac(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()[:20]


def encode_cursor(signature: str, values: Sequence[Any], keys: Sequence[_Key],
                  secret: str) -> str:
    """An opaque cursor: the row's sort-key values, signed so that a client can only hand
    back cursors the server made (an edited value never reaches SQL)."""
    encoded = []
    for key, value in zip(keys, values, strict=True):
        if value is None:
            raise ValueError(f"sort key {key.expr} is NULL; keyset pagination needs non-null "
                             f"sort keys (wrap the column in coalesce())")
        encoded.append(_encode_value(value))
    raw = json.dumps([signature, encoded], separators=(",", ":"))
    signed = json.dumps([raw, _mac(secret, raw)], separators=(",", ":"))
    return base64.urlsafe_b64encode(signed.encode()).decode("ascii")


def decode_cursor(cursor: str, signature: str, width: int, secret: str) -> list[Any]:
    refused = BadUserInput(f"{cursor[:100]!r} is not a cursor of this list in this order")
    try:
        raw, mac = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        if not (isinstance(raw, str) and isinstance(mac, str)
                and hmac.compare_digest(mac, _mac(secret, raw))):
            raise refused
        found, values = json.loads(raw)
        if found != signature or len(values) != width:
            raise refused
        return [_decode_value(v) for v in values]
    except BadUserInput:
        raise
    except Exception:  # anything a forged or truncated cursor can raise while decoding
        raise refused from None


_TAGS: dict[str, Callable[[str], Any]] = {
    "d": Decimal,
    "t": dt.datetime.fromisoformat,
    "D": dt.date.fromisoformat,
    "u": uuid.UUID,
    "f": float,
}


def _encode_value(value: Any) -> Any:
    if isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Decimal):
        return {"d": str(value)}
    if isinstance(value, dt.datetime):
        return {"t": value.isoformat()}
    if isinstance(value, dt.date):
        return {"D": value.isoformat()}
    if isinstance(value, uuid.UUID):
        return {"u": str(value)}
    if isinstance(value, float):
        return {"f": repr(value)}
    raise TypeError(f"cannot put a {type(value).__name__} sort key into a cursor")


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        ((tag, text),) = value.items()
        return _TAGS[tag](text)
    if value is None or isinstance(value, list):
        raise ValueError(value)
    return value
