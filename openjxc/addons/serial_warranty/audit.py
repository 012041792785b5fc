"""What ``openjxc check`` audits in warranties: one live warranty per serial unit."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.stock.models import SerialNumber
from openjxc.core.checks import REPORT_LIMIT, Check, Violation, limited

from .models import Warranty


def several_live(session: Session) -> list[Violation]:
    """At most one warranty not voided per unit (a unique index promises it; this proves
    it on a database restored or edited by hand, or an index lost)."""
    count = func.count(Warranty.id)
    rows = session.execute(
        select(Product.code, SerialNumber.number, count.label("live"))
        .join(SerialNumber, SerialNumber.id == Warranty.serial_id)
        .join(Product, Product.id == SerialNumber.product_id)
        .where(Warranty.voided_on.is_(None))
        .group_by(Warranty.serial_id, Product.code, SerialNumber.number)
        .having(count > 1).limit(REPORT_LIMIT + 1)).all()
    return limited([Violation(f"{r.live} live warranties", subject=f"{r.code} {r.number}",
                              details={"live": r.live}) for r in rows], "serial units")


CHECKS = (Check("warranty.live", "One live warranty per serial unit", several_live),)
