"""What this chapter contributes to the addon's hooks (see ``base_jxc/__init__.py``)."""

from __future__ import annotations

from typing import Any

from openjxc.core.security import Permission, RoleTemplate


def models() -> list[type]:
    from .models import MODELS

    return MODELS


def permissions() -> list[Permission]:
    return [
        Permission("invoicing.invoice.read", "See invoices and credit notes"),
        Permission("invoicing.invoice.create", "Post invoices and credit notes"),
        Permission("invoicing.payment.read", "See payments, refunds and their allocations"),
        Permission("invoicing.payment.create",
                   "Record payments and refunds, and allocate them or credit notes"),
        Permission("invoicing.aging.read", "See partner balances and the ageing"),
    ]


def roles() -> list[RoleTemplate]:
    return [
        RoleTemplate("accountant",
                     ("invoicing.invoice.read", "invoicing.invoice.create",
                      "invoicing.payment.read", "invoicing.payment.create",
                      "invoicing.aging.read", "partner.partner.read",
                      "catalog.product.read",
                      # bill the orders: sales and supplier invoices from the documents
                      "sales.order.read", "sales.invoice.create", "purchase.order.read",
                      "purchase.invoice.create"),
                     "Keep receivables and payables: invoices, payments, balances, ageing "
                     "(财务)"),
    ]


def alert_rules() -> list[Any]:
    from .alerts import invoice_overdue_rule

    return [invoice_overdue_rule()]


def contribution() -> Any:
    from .api import contribution

    return contribution()
