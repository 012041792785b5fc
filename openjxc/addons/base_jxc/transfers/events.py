"""Facts the transfers chapter publishes (in the transaction that caused them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from openjxc.core.events import Event


@dataclass(frozen=True)
class TransferShipped(Event):
    """Fires when a transfer leaves its warehouse (``stockTransferShip``): its goods are
    in the source warehouse's in-transit."""

    name: ClassVar[str] = "stock.transfer.shipped"
    added_in: ClassVar[str] = "0.1"
    transfer_id: int
    number: str
    from_warehouse_id: int
    to_warehouse_id: int
    move_ids: tuple[int, ...]


@dataclass(frozen=True)
class TransferReceived(Event):
    """Fires when a transfer arrives (``stockTransferReceive``).  ``complete`` is false
    when something was lost on the way (``lost_move_ids`` took it from in-transit to the
    loss location)."""

    name: ClassVar[str] = "stock.transfer.received"
    added_in: ClassVar[str] = "0.1"
    transfer_id: int
    number: str
    from_warehouse_id: int
    to_warehouse_id: int
    complete: bool
    move_ids: tuple[int, ...]
    lost_move_ids: tuple[int, ...]
