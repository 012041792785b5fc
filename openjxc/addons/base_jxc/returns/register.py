"""What this chapter contributes to the addon's hooks (see ``base_jxc/__init__.py``)."""

from __future__ import annotations

from typing import Any

from openjxc.core.security import Permission, RoleTemplate


def models() -> list[type]:
    from .models import MODELS

    return MODELS


def permissions() -> list[Permission]:
    return [
        Permission("sales.return.read", "See customer returns"),
        Permission("sales.return.create", "Register and cancel customer returns"),
        Permission("sales.return.receive", "Receive returned goods into quarantine"),
        Permission("sales.return.inspect",
                   "Inspect returned goods: restock, scrap or send back to the supplier"),
        Permission("sales.return.close", "Settle returns by a credit note or a refund"),
    ]


def roles() -> list[RoleTemplate]:
    return [
        RoleTemplate("return_clerk",
                     ("sales.return.read", "sales.return.create", "sales.return.receive",
                      "sales.return.inspect", "catalog.product.read", "partner.partner.read",
                      "stock.warehouse.read", "stock.level.read"),
                     "Take customer returns into quarantine and inspect them"),
        RoleTemplate("return_manager",
                     ("sales.return.read", "sales.return.create", "sales.return.receive",
                      "sales.return.inspect", "sales.return.close", "catalog.product.read",
                      "partner.partner.read", "stock.warehouse.read", "stock.level.read",
                      "stock.cost.read"),
                     "Handle customer returns end to end, credit notes and refunds included"),
    ]


def event_handlers() -> list[Any]:
    from openjxc.core.events import Subscription

    from ..invoicing.events import InvoicePosted
    from .closing import on_invoice_posted

    return [Subscription(InvoicePosted, on_invoice_posted, phase="transaction")]


def contribution() -> Any:
    from .api import contribution

    return contribution()
