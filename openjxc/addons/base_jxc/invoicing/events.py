"""Facts the invoicing chapter publishes (in the transaction that caused them).

The chapters that own billed document lines keep their invoiced quantities by subscribing
to :class:`InvoicePosted` in the ``transaction`` phase and handling the lines whose
``source_type`` is theirs; raising ``ValidationFailed`` (``OVER_INVOICED``) refuses the
whole invoice::

    def on_invoice_posted(event: InvoicePosted, *, session, env):
        for line_id, source_type, source_id, quantity in event.lines:
            if source_type == "SalesOrderLine":
                ...  # invoiced_quantity += quantity (negative on a credit note)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from openjxc.core.events import Event


@dataclass(frozen=True)
class InvoicePosted(Event):
    """Fires when an invoice or credit note is posted (``invoiceCreate``, the sales and
    purchase order invoicing mutations).

    ``amount_total`` and each line's ``quantity`` are signed as stored: negative on a
    credit note.  ``lines`` holds ``(line_id, source_type, source_id, quantity)`` per line,
    ``source_type`` ``""`` and ``source_id`` None for a line that bills no document line."""

    name: ClassVar[str] = "invoicing.invoice.posted"
    added_in: ClassVar[str] = "0.1"
    invoice_id: int
    number: str
    direction: str
    kind: str
    partner_id: int
    amount_total: Decimal
    lines: tuple[tuple[int, str, int | None, Decimal], ...]


@dataclass(frozen=True)
class PaymentPosted(Event):
    """Fires when money is received, paid or refunded (``create_payment``,
    ``paymentCreate``); ``amount`` is always positive (what it settles is in its
    allocations)."""

    name: ClassVar[str] = "invoicing.payment.posted"
    added_in: ClassVar[str] = "0.1"
    payment_id: int
    number: str
    direction: str
    kind: str
    partner_id: int
    amount: Decimal


@dataclass(frozen=True)
class InvoiceSettled(Event):
    """Fires when allocations change what is settled of some invoices (a payment or a
    credit note is allocated: ``paymentCreate``, ``paymentAllocate``); ``invoice_ids``
    are the invoices touched."""

    name: ClassVar[str] = "invoicing.invoice.settled"
    added_in: ClassVar[str] = "0.1"
    invoice_ids: tuple[int, ...]
