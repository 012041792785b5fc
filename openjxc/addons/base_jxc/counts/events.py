"""Facts the counts chapter publishes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from openjxc.core.events import Event


@dataclass(frozen=True)
class StockCountPosted(Event):
    """Fires when a count is posted (``post_count``, ``stockCountPost``), in the posting
    transaction: its variances are the ``move_ids`` (origin ``count``), empty when
    nothing differed."""

    name: ClassVar[str] = "stock.count.posted"
    added_in: ClassVar[str] = "0.1"
    count_id: int
    number: str
    warehouse_id: int
    move_ids: tuple[int, ...]
