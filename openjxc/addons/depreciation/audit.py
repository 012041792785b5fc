"""What ``openjxc check`` audits in fixed assets: depreciation never goes past the
depreciable amount — cost − residual value, or the whole cost in the tax book of an asset
taking the one-time deduction (设备器具一次性税前扣除 deducts all of it)."""

from __future__ import annotations

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from openjxc.core.checks import REPORT_LIMIT, Check, Violation, limited

from .models import TAX, TAX_ONE_TIME, Asset, DepreciationLine


def over_depreciated(session: Session) -> list[Violation]:
    """Σ posted depreciation per asset and book ≤ its depreciable amount (and ≥ 0)."""
    total = func.sum(DepreciationLine.amount)
    whole_cost = and_(DepreciationLine.book == TAX, Asset.tax_treatment == TAX_ONE_TIME)
    limit = case((whole_cost, Asset.cost), else_=Asset.cost - Asset.residual_value)
    rows = session.execute(
        select(Asset.code, DepreciationLine.book, Asset.cost, Asset.residual_value,
               limit.label("limit"), total.label("accumulated"))
        .join(Asset, Asset.id == DepreciationLine.asset_id)
        .group_by(Asset.id, Asset.code, DepreciationLine.book, Asset.cost,
                  Asset.residual_value, Asset.tax_treatment)
        .having((total > limit) | (total < 0))
        .limit(REPORT_LIMIT + 1)).all()
    return limited([Violation(
        f"{r.accumulated} depreciated in the {r.book} book, but only {r.limit} may be "
        f"(cost {r.cost}, residual {r.residual_value})",
        subject=f"asset {r.code}",
        details={"accumulated": r.accumulated, "cost": r.cost, "residual": r.residual_value})
        for r in rows], "assets")


CHECKS = (Check("depreciation.accumulated", "Accumulated depreciation never exceeds the "
                "depreciable amount (cost − residual value)", over_depreciated),)
