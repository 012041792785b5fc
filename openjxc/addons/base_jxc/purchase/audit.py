"""What ``openjxc check`` audits in purchasing: each receipt entirely posted."""

from __future__ import annotations

from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.stock.audit_documents import Link, half_posted
from openjxc.core.checks import Check, Violation

from .models import REJECT_TO_QUARANTINE, PurchaseReceipt, PurchaseReceiptLine
from .receiving import ORIGIN


def half_posted_receipts(session: Session) -> list[Violation]:
    """Accepted goods moved into stock and goods rejected to quarantine moved there, each by
    the move its receipt line names; no receipt move outside its receipt's lines."""
    line = PurchaseReceiptLine
    return half_posted(
        session, origin=ORIGIN, header=PurchaseReceipt, line=line,
        line_header=line.receipt_id, line_product=line.product_id, what="receipt",
        links=[Link(line.accepted_move_id, line.accepted_quantity, line.accepted_quantity > 0),
               Link(line.rejected_move_id, line.rejected_quantity,
                    (line.rejected_quantity > 0) & (line.rejected_to == REJECT_TO_QUARANTINE))])


CHECKS = (Check("purchase.receipts", "Each purchase receipt is entirely posted (all its "
                "lines and stock moves, nothing else)", half_posted_receipts),)
