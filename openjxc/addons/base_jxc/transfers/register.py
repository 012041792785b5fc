"""What this chapter contributes to the addon's hooks (see ``base_jxc/__init__.py``)."""

from __future__ import annotations

from typing import Any

from openjxc.core.security import Permission, RoleTemplate


def models() -> list[type]:
    from .models import MODELS

    return MODELS


def permissions() -> list[Permission]:
    return [
        Permission("stock.transfer.read", "See transfers between warehouses"),
        Permission("stock.transfer.create", "Prepare and cancel draft transfers"),
        Permission("stock.transfer.ship", "Ship transfers (stock goes in transit)"),
        Permission("stock.transfer.receive", "Receive transfers and record what was lost"),
    ]


def roles() -> list[RoleTemplate]:
    return [
        RoleTemplate("transfer_clerk",
                     ("stock.transfer.read", "stock.transfer.create", "stock.transfer.ship",
                      "stock.transfer.receive", "stock.warehouse.read", "stock.level.read",
                      "catalog.product.read"),
                     "Send and receive goods between warehouses"),
    ]


def alert_rules() -> list[Any]:
    from .alerts import transfer_not_received_rule

    return [transfer_not_received_rule()]


def contribution() -> Any:
    from .api import contribution

    return contribution()
