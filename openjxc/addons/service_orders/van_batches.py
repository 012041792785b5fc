"""Which batches a batch-tracked part comes out of the van from.

A technician on site takes a filter cartridge out of the van; nobody reads a batch
number off it.  So a part line of a batch-tracked product is split over the van's
batches, earliest expiry first (FEFO), then oldest; expired batches are never fitted.
When the van holds too little of unexpired stock the record is refused
(``INSUFFICIENT_STOCK``) and nothing is posted.  Other products are one piece each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.stock.models import Batch, StockBalance
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _


@dataclass(frozen=True)
class Piece:
    """Part of a part line: ``quantity`` of it from batch ``batch_id`` (None: no batch)."""

    part: int
    quantity: Decimal
    batch_id: int | None = None


def split_by_batch(session: Session, van_id: int, lines: Sequence[tuple[int, Decimal]],
                   products: dict[int, Product], today: date) -> list[Piece]:
    """``lines`` are ``(product id, quantity)`` per part; the pieces to post, in part
    order (one statement for the batch-tracked products of the lines)."""
    batch_products = {p for p, _q in lines if products[p].tracking == "batch"}
    stock: dict[int, list[tuple[int, Decimal]]] = {p: [] for p in batch_products}
    if batch_products:
        for product_id, batch_id, available in session.execute(
                select(StockBalance.product_id, StockBalance.batch_id,
                       StockBalance.quantity - StockBalance.reserved)
                .join(Batch, Batch.id == StockBalance.batch_id)
                .where(StockBalance.location_id == van_id,
                       StockBalance.product_id.in_(batch_products),
                       StockBalance.quantity - StockBalance.reserved > 0,
                       or_(Batch.expires_on.is_(None), Batch.expires_on >= today))
                .order_by(StockBalance.product_id, Batch.expires_on.is_(None),
                          Batch.expires_on, Batch.created_at, Batch.id)):
            stock[product_id].append((batch_id, Decimal(available)))
    pieces: list[Piece] = []
    errors: list[FieldError] = []
    for i, (product_id, quantity) in enumerate(lines):
        if product_id not in batch_products:
            pieces.append(Piece(i, quantity))
            continue
        left, batches = quantity, stock[product_id]
        while left > 0 and batches:
            batch_id, available = batches[0]
            take = min(left, available)
            pieces.append(Piece(i, take, batch_id))
            left -= take
            if take == available:
                batches.pop(0)
            else:
                batches[0] = (batch_id, available - take)
        if left > 0:
            errors.append(FieldError(
                "INSUFFICIENT_STOCK",
                _("The van holds only {available} of {product} in batches not expired"),
                field=("parts", str(i), "quantity"), product=products[product_id].code,
                available=f"{(quantity - left).normalize():f}"))
    if errors:
        raise ValidationFailed(errors)
    return pieces


def at_part(error: FieldError, pieces: Sequence[Piece]) -> FieldError:
    """An engine error at ``parts.<piece>.<attr>`` said at the part line it came from."""
    path = list(error.field)
    if len(path) >= 2 and path[0] == "parts" and path[1].isdigit() \
            and int(path[1]) < len(pieces):
        return FieldError(error.code, error.message,
                          field=("parts", str(pieces[int(path[1])].part), *path[2:]),
                          **error.params)
    return error
