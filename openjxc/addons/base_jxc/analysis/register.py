"""What this chapter contributes to the addon's hooks (see ``base_jxc/__init__.py``)."""

from __future__ import annotations

from typing import Any

from openjxc.core.security import Permission, RoleTemplate


def models() -> list[type]:
    # Importing the module attaches the chapter's indexes to the ledger's table.
    from .models import MODELS

    return MODELS


def permissions() -> list[Permission]:
    return [
        Permission("analysis.kpi.read", "See the KPIs: turnover, stockouts, on-time delivery, "
                                        "accuracy, approval time, sales trend"),
        Permission("analysis.dead_stock.read", "See dead and slow-moving stock"),
    ]


def roles() -> list[RoleTemplate]:
    return [
        RoleTemplate("analyst",
                     ("analysis.kpi.read", "analysis.dead_stock.read", "stock.cost.read",
                      "catalog.product.read", "catalog.category.read",
                      "stock.warehouse.read", "stock.level.read"),
                     "Read the business analysis: KPIs, dead stock and stock values"),
    ]


def contribution() -> Any:
    from .api import contribution

    return contribution()
