"""What this chapter contributes to the addon's hooks (see ``base_jxc/__init__.py``)."""

from __future__ import annotations

from typing import Any

from openjxc.core.security import Permission, RoleTemplate


def models() -> list[type]:
    from .models import MODELS

    return MODELS


def permissions() -> list[Permission]:
    return [
        Permission("sales.forecast.read", "See sales forecasts of products"),
        Permission("purchase.suggestion.read", "See purchase suggestions of warehouses"),
        Permission("purchase.suggestion.order",
                   "Turn purchase suggestions into draft purchase orders"),
        Permission("purchase.supplier_score.read", "See suppliers' scores and grades"),
        Permission("purchase.supplier.rate", "Rate suppliers' service (1-5, monthly)"),
    ]


def roles() -> list[RoleTemplate]:
    return [
        RoleTemplate("planner",
                     ("sales.forecast.read", "purchase.suggestion.read",
                      "purchase.suggestion.order", "purchase.supplier_score.read",
                      "purchase.supplier.rate", "purchase.order.read",
                      "purchase.order.create", "catalog.product.read",
                      "partner.partner.read", "stock.warehouse.read", "stock.level.read"),
                     "Plan purchases: forecasts, suggestions, supplier scores"),
    ]


def contribution() -> Any:
    from .api import contribution

    return contribution()
