"""What ``openjxc check`` audits in sales: each delivery entirely posted."""

from __future__ import annotations

from sqlalchemy import true
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.stock.audit_documents import Link, half_posted
from openjxc.core.checks import Check, Violation

from .delivery import ORIGIN
from .models import SalesDelivery, SalesDeliveryLine


def half_posted_deliveries(session: Session) -> list[Violation]:
    """Each delivery line's goods left by the move it names; no delivery move outside its
    delivery's lines."""
    line = SalesDeliveryLine
    return half_posted(
        session, origin=ORIGIN, header=SalesDelivery, line=line,
        line_header=line.delivery_id, line_product=line.product_id, what="delivery",
        links=[Link(line.move_id, line.quantity, true())])


CHECKS = (Check("sales.deliveries", "Each sales delivery is entirely posted (all its lines "
                "and stock moves, nothing else)", half_posted_deliveries),)
