"""Facts the partners chapter publishes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from openjxc.core.events import Event


@dataclass(frozen=True)
class PartnerCreated(Event):
    """Fires when a customer or supplier is added (``create_partner``, ``partnerCreate``,
    imports), in the creating transaction."""

    name: ClassVar[str] = "partner.created"
    added_in: ClassVar[str] = "0.1"
    partner_id: int
    code: str
    is_customer: bool
    is_supplier: bool
