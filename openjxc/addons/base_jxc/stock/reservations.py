"""Reservations: stock promised to an order stays on hand but is no longer available."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import bindparam, case, update
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


def reserve_many(session: Session, items: Sequence[Item]) -> bool:
    """:func:`reserve` every item in one statement, all or none: False (nothing reserved)
    when one of them is not available any more."""
    if not items:
        return True
    with session.begin_nested() as savepoint:
        done = session.execute(_reserve_place(), _params(items))
        if done.rowcount != len(items):  # type: ignore[attr-defined]
            savepoint.rollback()
            return False
    return True


def release_many(session: Session, items: Sequence[Item]) -> None:
    """:func:`release` every item in one statement."""
    if items:
        session.execute(_release_place(), _params(items))
