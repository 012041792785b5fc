"""Facts serial_warranty publishes (in the transaction that caused them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import ClassVar

from openjxc.core.events import Event


@dataclass(frozen=True)
class WarrantyExtended(Event):
    """Fires when an extension (续保) is sold and billed (``warrantyExtend``): the
    warranty now ends on ``end_date``."""

    name: ClassVar[str] = "warranty.extended"
    added_in: ClassVar[str] = "0.1"
    warranty_id: int
    serial_id: int
    extension_id: int
    invoice_id: int
    end_date: date
