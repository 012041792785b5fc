"""How purchase states read inside messages ("Order CG-… is partly received: …")."""

from __future__ import annotations

from openjxc.core.i18n import _

from .models import (
    APPROVED,
    CANCELLED,
    CLOSED,
    DRAFT,
    PARTLY_RECEIVED,
    RECEIVED,
    REQ_APPROVED,
    REQ_CANCELLED,
    REQ_ORDERED,
    REQ_REJECTED,
    REQ_SUBMITTED,
)

ORDER_STATES = {
    DRAFT: _("draft"), APPROVED: _("approved"), PARTLY_RECEIVED: _("partly received"),
    RECEIVED: _("received"), CLOSED: _("closed"), CANCELLED: _("cancelled"),
}

REQUISITION_STATES = {
    REQ_SUBMITTED: _("submitted"), REQ_APPROVED: _("approved"), REQ_REJECTED: _("rejected"),
    REQ_ORDERED: _("ordered"), REQ_CANCELLED: _("cancelled"),
}


def order_state(state: str) -> object:
    """The order state in the reader's words (the code itself if unknown)."""
    return ORDER_STATES.get(state, state)


def requisition_state(state: str) -> object:
    return REQUISITION_STATES.get(state, state)
