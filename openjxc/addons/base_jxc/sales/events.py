"""Facts the sales chapter publishes, in the transaction that caused them (Pro addons hang
warranties on :class:`SalesDelivered`, so a delivery and its warranties commit together)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from openjxc.core.events import Event


@dataclass(frozen=True)
class SalesOrderConfirmed(Event):
    """Fires when an order passes the credit check (``salesOrderConfirm``) or is approved
    past it (``salesOrderApprove``), once its stock is reserved."""

    name: ClassVar[str] = "sales.order.confirmed"
    added_in: ClassVar[str] = "0.1"
    order_id: int
    number: str
    customer_id: int


@dataclass(frozen=True)
class SalesDelivered(Event):
    """Fires when goods leave for the customer (``salesOrderDeliver``): ``move_ids`` took
    them from the warehouse to the customer location (``origin_type="sales.delivery"``),
    ``serial_ids`` are the units delivered, ``product_ids`` the products (each once)."""

    name: ClassVar[str] = "sales.delivered"
    added_in: ClassVar[str] = "0.1"
    delivery_id: int
    number: str
    order_id: int
    customer_id: int
    address_id: int | None
    move_ids: tuple[int, ...]
    serial_ids: tuple[int, ...]
    product_ids: tuple[int, ...]


@dataclass(frozen=True)
class SalesOrderCancelled(Event):
    """Fires when an order is cancelled (``salesOrderCancel``), after its reservations
    were released."""

    name: ClassVar[str] = "sales.order.cancelled"
    added_in: ClassVar[str] = "0.1"
    order_id: int


@dataclass(frozen=True)
class CreditLimitOverridden(Event):
    """Fires when a user approves an order although it exceeds the customer's credit
    (``salesOrderApprove``; audited in ``SalesCreditApproval``)."""

    name: ClassVar[str] = "sales.credit.overridden"
    added_in: ClassVar[str] = "0.1"
    order_id: int
    user_id: int
    exposure: Decimal
    credit_limit: Decimal
