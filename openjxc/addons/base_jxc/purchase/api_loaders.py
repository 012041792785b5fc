"""Per-request DataLoaders of the purchase API: each nested list or reference of a page of
documents costs one statement, whatever the number of documents."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from strawberry.types import Info

from openjxc.core.security.models import User
from openjxc.graphql import get_session
from openjxc.graphql.scoping import restrict

from ..partners.api import Partner
from ..stock.models import SerialNumber, StockMoveSerial, table_of


def in_scope(info: Info[Any, Any], stmt: Any, document: Any) -> Any:
    """``stmt`` narrowed to the rows of ``document`` (a model with ``warehouse_id``, in the
    statement) of the caller's warehouses: all when unrestricted."""
    return restrict(info, stmt, "warehouse", table_of(document).c.warehouse_id)


def load_partners(info: Info[Any, Any]) -> Any:
    return info.context.loaders.get("purchase.partner",
                                    lambda ids: Partner.get_nodes(info, ids))


def load_usernames(info: Info[Any, Any]) -> Any:
    def batch(ids: list[int]) -> list[str | None]:
        names = dict(get_session(info).execute(
            select(User.id, User.username).where(User.id.in_(set(ids)))).all())
        return [names.get(i) for i in ids]

    return info.context.loaders.get("purchase.username", batch)


async def username(info: Info[Any, Any], user_id: int | None) -> str | None:
    if user_id is None:
        return None
    return await load_usernames(info).load(user_id)  # type: ignore[no-any-return]


def load_children(info: Info[Any, Any], key: str, column: Any, order_by: Sequence[Any],
                  to_node: Callable[[Any], Any]) -> Any:
    """A loader of ``parent id → [child nodes]`` over ``column`` (the child's parent key),
    in ``order_by``: one statement per page of parents."""
    entity = column.class_

    def batch(ids: list[int]) -> list[list[Any]]:
        found: dict[int, list[Any]] = defaultdict(list)
        rows = get_session(info).scalars(select(entity).where(column.in_(set(ids)))
                                         .order_by(*order_by))
        for row in rows:
            found[getattr(row, column.key)].append(to_node(row))
        return [found[i] for i in ids]

    return info.context.loaders.get(key, batch)


def load_move_serials(info: Info[Any, Any]) -> Any:
    """``move id → [serial numbers]`` the move carried, in number order."""
    def batch(ids: list[int]) -> list[list[str]]:
        found: dict[int, list[str]] = defaultdict(list)
        for move_id, number in get_session(info).execute(
                select(StockMoveSerial.move_id, SerialNumber.number)
                .join(SerialNumber, SerialNumber.id == StockMoveSerial.serial_id)
                .where(StockMoveSerial.move_id.in_(set(ids)))
                .order_by(SerialNumber.number)):
            found[move_id].append(number)
        return [found[i] for i in ids]

    return info.context.loaders.get("purchase.move_serials", batch)


async def move_serials(info: Info[Any, Any], move_id: int | None) -> list[str]:
    if move_id is None:
        return []
    return await load_move_serials(info).load(move_id)  # type: ignore[no-any-return]
