"""Facts the purchase chapter publishes (in the transaction that caused them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from openjxc.core.events import Event


@dataclass(frozen=True)
class PurchaseOrderApproved(Event):
    """Fires when an order receives its last required approval
    (``purchaseOrderApprove``): it may now be received."""

    name: ClassVar[str] = "purchase.order.approved"
    added_in: ClassVar[str] = "0.1"
    order_id: int
    number: str


@dataclass(frozen=True)
class PurchaseReceived(Event):
    """Fires when goods arrive against an order (``purchaseOrderReceive``): ``move_ids``
    took the accepted ones to stock and the rejected ones to quarantine (goods refused at
    the door move nowhere)."""

    name: ClassVar[str] = "purchase.received"
    added_in: ClassVar[str] = "0.1"
    receipt_id: int
    order_id: int
    supplier_id: int
    move_ids: tuple[int, ...]


@dataclass(frozen=True)
class PurchaseReturned(Event):
    """Fires when goods go back to a supplier (``purchaseReturnCreate``; ``move_ids`` to
    the supplier location, at cost)."""

    name: ClassVar[str] = "purchase.returned"
    added_in: ClassVar[str] = "0.1"
    return_id: int
    supplier_id: int
    move_ids: tuple[int, ...]
