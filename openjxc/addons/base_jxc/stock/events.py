"""Facts the stock engine publishes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from openjxc.core.events import Event


@dataclass(frozen=True)
class StockMovesPosted(Event):
    """Fires whenever moves enter the ledger (``post_moves``: receipts, deliveries,
    transfers, counts, returns …), in the posting transaction.

    ``move_ids`` in posting order; ``origin_type``/``origin_id`` name the document that
    caused them (``transfer``, ``count``, ``purchase.receipt`` …) when there is one."""

    name: ClassVar[str] = "stock.moves.posted"
    added_in: ClassVar[str] = "0.1"
    move_ids: tuple[int, ...]
    origin_type: str
    origin_id: int | None
