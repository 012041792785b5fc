"""What this chapter contributes to the addon's hooks (see ``base_jxc/__init__.py``)."""

from __future__ import annotations

from typing import Any

from openjxc.core.security import Permission, RoleTemplate

_READING = ("catalog.product.read", "catalog.category.read", "partner.partner.read",
            "stock.warehouse.read", "stock.level.read")


def models() -> list[type]:
    from .models import MODELS

    return MODELS


def permissions() -> list[Permission]:
    return [
        Permission("purchase.requisition.read", "See purchase requisitions"),
        Permission("purchase.requisition.create", "Ask to buy (create requisitions)"),
        Permission("purchase.requisition.approve", "Approve or reject requisitions"),
        Permission("purchase.order.read", "See purchase orders and their receipts"),
        Permission("purchase.order.create", "Prepare purchase orders"),
        Permission("purchase.order.approve", "Approve purchase orders"),
        Permission("purchase.order.receive", "Receive and inspect goods against orders"),
        Permission("purchase.order.cancel", "Cancel orders nothing arrived on"),
        Permission("purchase.order.close", "Close orders no more goods will arrive on"),
        Permission("purchase.return.read", "See purchase returns"),
        Permission("purchase.return.create", "Send goods back to suppliers"),
        Permission("purchase.invoice.create", "Post suppliers' invoices for orders"),
    ]


def roles() -> list[RoleTemplate]:
    return [
        RoleTemplate("purchaser",
                     (*_READING, "purchase.requisition.read", "purchase.requisition.create",
                      "purchase.order.read", "purchase.order.create", "purchase.order.receive",
                      "purchase.return.read", "purchase.return.create"),
                     "Buy from suppliers: requisitions, orders, receipts and returns"),
        RoleTemplate("purchase_manager",
                     (*_READING, "purchase.requisition.read", "purchase.requisition.create",
                      "purchase.requisition.approve", "purchase.order.read",
                      "purchase.order.create", "purchase.order.approve",
                      "purchase.order.receive", "purchase.order.cancel",
                      "purchase.order.close", "purchase.return.read", "purchase.return.create",
                      "purchase.invoice.create", "catalog.price.read", "stock.cost.read"),
                     "Approve requisitions and orders, close and cancel orders, bill them"),
    ]


def event_handlers() -> list[Any]:
    from openjxc.core.events import Subscription

    from ..invoicing.events import InvoicePosted
    from .billing import on_invoice_posted

    return [Subscription(InvoicePosted, on_invoice_posted, phase="transaction")]


def contribution() -> Any:
    from .api import contribution

    return contribution()


def checks() -> list[Any]:
    from .audit import CHECKS

    return list(CHECKS)
