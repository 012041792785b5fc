"""What this chapter contributes to the addon's hooks (see ``base_jxc/__init__.py``)."""

from __future__ import annotations

from typing import Any

from openjxc.core.security import Permission, RoleTemplate


def models() -> list[type]:
    from .models import MODELS

    return MODELS


def permissions() -> list[Permission]:
    return [
        Permission("stock.count.read", "See stock counts and inventory accuracy"),
        Permission("stock.count.start", "Start stock counts"),
        Permission("stock.count.record", "Record counted quantities (scan)"),
        Permission("stock.count.post", "Post or cancel stock counts (adjusts stock)"),
    ]


def roles() -> list[RoleTemplate]:
    return [
        RoleTemplate("stock_counter",
                     ("catalog.product.read", "stock.warehouse.read", "stock.count.read",
                      "stock.count.record"),
                     "Scan shelves during a stock count"),
        RoleTemplate("count_supervisor",
                     ("catalog.product.read", "stock.warehouse.read", "stock.count.read",
                      "stock.count.start", "stock.count.record", "stock.count.post",
                      "stock.cost.read"),
                     "Run stock counts and post their variances"),
    ]


def contribution() -> Any:
    from .api import contribution

    return contribution()
