"""Reservations: stock promised to an order stays on hand but is no longer available."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import case, update
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _

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
