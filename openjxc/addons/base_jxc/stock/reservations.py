"""Reservations: stock promised to an order stays on hand but is no longer available."""

from __future__ import annotations

import json
from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, text, update
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.models import Quantity

from .models import StockBalance, table_of


def reserve(session: Session, *, product_id: int, location_id: int, quantity: Decimal,
            batch_id: int = 0, field: str = "quantity") -> None:
    """Reserve ``quantity`` if that much is available — one guarded atomic increment."""
    if quantity <= 0:
        raise ValidationFailed(FieldError("INVALID_QUANTITY",
                                          _("Quantity must be greater than zero"), field=field))
    table = table_of(StockBalance)
    done = session.execute(update(table).where(
        table.c.location_id == location_id, table.c.product_id == product_id,
        table.c.batch_id == batch_id, table.c.quantity - table.c.reserved >= quantity,
    ).values(reserved=table.c.reserved + quantity))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise ValidationFailed(FieldError("INSUFFICIENT_STOCK",
                                          _("Not enough stock available to reserve"),
                                          field=field))


def release(session: Session, *, product_id: int, location_id: int, quantity: Decimal,
            batch_id: int = 0) -> None:
    """Give back (part of) a reservation; never below zero."""
    table = table_of(StockBalance)
    session.execute(update(table).where(
        table.c.location_id == location_id, table.c.product_id == product_id,
        table.c.batch_id == batch_id,
    ).values(reserved=case((table.c.reserved >= quantity, table.c.reserved - quantity),
                           else_=table.c.reserved - table.c.reserved)))


#: (product id, location id, batch id, quantity) of one place.
Item = tuple[int, int, int, Decimal]


@cache
def _reserve_place() -> Any:
    """:func:`reserve`'s guarded increment with bound parameters, built once."""
    table = table_of(StockBalance)
    quantity = bindparam("qty", type_=Quantity())
    return update(table).where(
        table.c.location_id == bindparam("loc"), table.c.product_id == bindparam("pid"),
        table.c.batch_id == bindparam("bid"), table.c.quantity - table.c.reserved >= quantity,
    ).values(reserved=table.c.reserved + quantity)


@cache
def _release_place() -> Any:
    """:func:`release`'s decrement with bound parameters, built once."""
    table = table_of(StockBalance)
    quantity = bindparam("qty", type_=Quantity())
    return update(table).where(
        table.c.location_id == bindparam("loc"), table.c.product_id == bindparam("pid"),
        table.c.batch_id == bindparam("bid"),
    ).values(reserved=case((table.c.reserved >= quantity, table.c.reserved - quantity),
                           else_=table.c.reserved - table.c.reserved))


def _params(items: Sequence[Item]) -> list[dict[str, Any]]:
    return [{"pid": p, "loc": loc, "bid": b, "qty": q} for p, loc, b, q in items]


@cache
def _reserve_all(dialect: str) -> Any:
    """:func:`reserve`'s guarded increment of many places in one statement, returning the
    places it reserved at: PostgreSQL takes the places as arrays, SQLite as JSON (each
    quantity as the column stores it)."""
    if dialect == "postgresql":
        return text(
            "UPDATE jxc_stock_balance AS b SET reserved = b.reserved + v.qty "
            "FROM unnest(CAST(:pids AS integer[]), CAST(:locs AS integer[]), "
            "CAST(:bids AS integer[]), CAST(:qtys AS numeric[])) AS v(pid, loc, bid, qty) "
            "WHERE b.location_id = v.loc AND b.product_id = v.pid AND b.batch_id = v.bid "
            "AND b.quantity - b.reserved >= v.qty "
            "RETURNING b.product_id, b.location_id, b.batch_id")
    return text(
        "UPDATE jxc_stock_balance SET reserved = reserved + v.qty "
        "FROM (SELECT json_extract(value, '$[0]') AS pid, json_extract(value, '$[1]') AS loc, "
        "json_extract(value, '$[2]') AS bid, json_extract(value, '$[3]') AS qty "
        "FROM json_each(:items)) AS v "
        "WHERE jxc_stock_balance.location_id = v.loc AND jxc_stock_balance.product_id = v.pid "
        "AND jxc_stock_balance.batch_id = v.bid "
        "AND jxc_stock_balance.quantity - jxc_stock_balance.reserved >= v.qty "
        "RETURNING product_id, location_id, batch_id")


def reserve_many(session: Session, items: Sequence[Item]) -> bool:
    """:func:`reserve` every item, all or none: False (nothing reserved) when one of them
    is not available any more.  One statement (a place named twice is reserved its sum);
    when some place fell short, what the others took is given back at once."""
    if not items:
        return True
    wanted: dict[tuple[int, int, int], Decimal] = {}
    for p, loc, b, q in items:
        wanted[(p, loc, b)] = wanted.get((p, loc, b), Decimal(0)) + q
    connection = session.connection()
    dialect = connection.dialect.name
    stored = {key: _QUANTITY.process_bind_param(q, connection.dialect)
              for key, q in wanted.items()}  # as the column stores it
    if dialect == "postgresql":
        keys = list(wanted)
        params: dict[str, Any] = {"pids": [k[0] for k in keys], "locs": [k[1] for k in keys],
                                  "bids": [k[2] for k in keys],
                                  "qtys": [stored[k] for k in keys]}
    else:
        params = {"items": json.dumps([[p, loc, b, stored[(p, loc, b)]]
                                       for p, loc, b in wanted])}
    done = {tuple(row) for row in connection.execute(_reserve_all(dialect), params)}
    if len(done) == len(wanted):
        return True
    release_many(session, [(*key, wanted[key]) for key in wanted if key in done])
    return False


_QUANTITY = Quantity()


def release_many(session: Session, items: Sequence[Item]) -> None:
    """:func:`release` every item in one statement."""
    if items:
        session.execute(_release_place(), _params(items))
