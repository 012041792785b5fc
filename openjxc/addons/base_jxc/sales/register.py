"""What this chapter contributes to the addon's hooks (see ``base_jxc/__init__.py``)."""

from __future__ import annotations

from typing import Any

from openjxc.core.security import Permission, RoleTemplate


def models() -> list[type]:
    from .models import MODELS

    return MODELS


def permissions() -> list[Permission]:
    return [
        Permission("sales.quotation.read", "See quotations"),
        Permission("sales.quotation.create",
                   "Make, send, reject quotations and turn them into orders"),
        Permission("sales.order.read", "See sales orders and deliveries"),
        Permission("sales.order.create", "Create, change and copy sales orders"),
        Permission("sales.order.confirm",
                   "Confirm sales orders (credit check, stock reservation) and reopen them"),
        Permission("sales.order.approve",
                   "Let sales orders through above the customer's credit limit"),
        Permission("sales.order.deliver", "Deliver sales orders (stock leaves)"),
        Permission("sales.order.cancel", "Cancel and close sales orders"),
        Permission("sales.invoice.create", "Invoice what sales orders delivered"),
        Permission("sales.margin.read", "See costs of goods sold and margins of sales"),
    ]


_SALESPERSON = ("sales.quotation.read", "sales.quotation.create", "sales.order.read",
                "sales.order.create", "sales.order.confirm", "sales.order.cancel",
                "partner.partner.read", "catalog.product.read", "stock.level.read",
                "stock.warehouse.read")


def roles() -> list[RoleTemplate]:
    return [
        RoleTemplate("salesperson", _SALESPERSON,
                     "Quote, take and confirm orders; follow them to delivery (销售员)"),
        RoleTemplate("sales_manager",
                     (*_SALESPERSON, "sales.order.approve", "sales.order.deliver",
                      "sales.invoice.create", "sales.margin.read", "partner.credit.read"),
                     "Approve orders above credit limits, see margins (销售经理)"),
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
