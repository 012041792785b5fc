"""Facts the returns chapter publishes (in the transaction that caused them)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from openjxc.core.events import Event


@dataclass(frozen=True)
class ReturnReceived(Event):
    """Fires when a customer's goods arrive in the warehouse's quarantine location
    (``returnReceive``).

    ``lines`` holds ``(sales_order_line_id, quantity, value)`` per return line (the order
    line None for goods returned without one); ``value`` is the cost the goods came back
    at, which the sales chapter has already taken off the order line's cost of goods sold."""

    name: ClassVar[str] = "returns.received"
    added_in: ClassVar[str] = "0.1"
    return_id: int
    code: str
    customer_id: int
    sales_order_id: int | None
    move_ids: tuple[int, ...]
    serial_ids: tuple[int, ...]
    lines: tuple[tuple[int | None, Decimal, Decimal], ...]


@dataclass(frozen=True)
class ReturnInspected(Event):
    """Fires when inspection decides what becomes of the returned goods
    (``returnInspect``): back to stock, scrapped or sent back to the supplier
    (``*_serial_ids`` name the serial units of each)."""

    name: ClassVar[str] = "returns.inspected"
    added_in: ClassVar[str] = "0.1"
    return_id: int
    code: str
    warehouse_id: int
    move_ids: tuple[int, ...]
    restocked_serial_ids: tuple[int, ...]
    scrapped_serial_ids: tuple[int, ...]
    to_supplier_serial_ids: tuple[int, ...]


@dataclass(frozen=True)
class ReturnClosed(Event):
    """Fires when a return is settled with the customer by a credit note (红字发票) or a
    refund (``returnClose``); ``amount`` is what was credited or refunded, tax included."""

    name: ClassVar[str] = "returns.closed"
    added_in: ClassVar[str] = "0.1"
    return_id: int
    code: str
    customer_id: int
    closed_with: str
    amount: Decimal
    credit_note_id: int | None
    refund_payment_id: int | None
