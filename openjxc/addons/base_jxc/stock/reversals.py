"""Corrections are reversals: a mirror move, never an edit of the ledger."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.validation import check_text

from .models import SerialNumber, StockMove, StockMoveSerial
from .posting import MoveLine, PostingResult, post_moves


def reverse_moves(session: Session, move_ids: Sequence[int], *, reason: str,
                  user_id: int | None = None, move_date: date | None = None) -> PostingResult:
    """Post the mirror image of ``move_ids``: same quantities, batches, serials and values,
    from where they went back to where they came from.

    A move is reversed at most once (``ALREADY_REVERSED``) and a reversal is not reversed
    again (``IS_REVERSAL``: post a new move instead).  The mirror moves are checked like any
    other: reversing a receipt whose goods are gone is ``INSUFFICIENT_STOCK``.
    """
    errors: list[FieldError] = []
    reason = check_text(errors, reason, "reason", max_length=400, required=True)
    if not move_ids:
        errors.append(FieldError("REQUIRED", _("At least one move is required"), field="moves"))
    moves = {m.id: m for m in session.scalars(select(StockMove)
                                              .where(StockMove.id.in_(set(move_ids))))}
    reversed_ids = set(session.scalars(select(StockMove.reversal_of_id)
                                       .where(StockMove.reversal_of_id.in_(set(move_ids)))))
    for i, move_id in enumerate(move_ids):
        at = ("moves", str(i))
        move = moves.get(move_id)
        if move is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown stock move"), field=at))
        elif move_id in reversed_ids:
            errors.append(FieldError("ALREADY_REVERSED", _("This move is already reversed"),
                                     field=at))
        elif move.reversal_of_id is not None:
            errors.append(FieldError("IS_REVERSAL",
                                     _("A reversal cannot be reversed; post a new move"),
                                     field=at))
    if len(set(move_ids)) != len(move_ids):
        errors.append(FieldError("INVALID", _("A move is listed twice"), field="moves"))
    if errors:
        raise ValidationFailed(errors)
    serials: dict[int, list[str]] = {}
    for move_id, number in session.execute(
            select(StockMoveSerial.move_id, SerialNumber.number)
            .join(SerialNumber, SerialNumber.id == StockMoveSerial.serial_id)
            .where(StockMoveSerial.move_id.in_(set(move_ids)))):
        serials.setdefault(move_id, []).append(number)
    lines = [MoveLine(product_id=m.product_id, quantity=m.quantity,
                      from_location_id=m.to_location_id, to_location_id=m.from_location_id,
                      batch_id=m.batch_id or None, serials=sorted(serials.get(m.id, [])),
                      value=m.value, note=reason, reversal_of_id=m.id)
             for m in (moves[i] for i in move_ids)]
    return post_moves(session, lines, move_date=move_date, origin_type="reversal",
                      user_id=user_id, allow_expired=True, field="moves")
