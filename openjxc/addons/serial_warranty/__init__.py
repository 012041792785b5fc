"""Warranties and the device archive per serial number (pro edition, docs/pro.md).

Policies per product or category; a warranty per delivered serial unit (issued in the
delivery's transaction from base_jxc's ``SalesDelivered``, voided by ``ReturnReceived``);
extensions (续保) billed through base_jxc's invoicing; host ↔ accessory fitments; the
"warranty expiring" alert; the device archive; the warranty card.  The modules:
``policies``, ``warranties``, ``extensions``, ``fitments``, ``archive`` (services, all
re-exported by ``services``), ``alerts``, ``documents``, and ``api`` (GraphQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from openjxc.core.env import Environment
from openjxc.core.hookspecs import hookimpl
from openjxc.core.security import Permission, RoleTemplate


@hookimpl
def register_models() -> Sequence[type]:
    from .models import MODELS

    return MODELS


@hookimpl
def register_permissions() -> Sequence[Permission]:
    return [
        Permission("warranty.policy.read", "Read warranty policies"),
        Permission("warranty.policy.create", "Create warranty policies"),
        Permission("warranty.warranty.read",
                   "See warranties, their extensions and the device archive"),
        Permission("warranty.warranty.extend", "Sell warranty extensions (bills the customer)"),
        Permission("warranty.fitment.manage", "Fit accessory units to host units and remove "
                                              "them"),
    ]


_AFTER_SALES = ("warranty.warranty.read", "warranty.policy.read", "catalog.product.read",
                "partner.partner.read", "stock.level.read", "stock.move.read",
                "sales.order.read", "sales.return.read")


@hookimpl
def register_roles() -> Sequence[RoleTemplate]:
    return [
        RoleTemplate("warranty_clerk", (*_AFTER_SALES, "warranty.fitment.manage"),
                     "Look up warranties and device archives, record fitments (售后文员)"),
        RoleTemplate("warranty_manager",
                     (*_AFTER_SALES, "warranty.fitment.manage", "warranty.warranty.extend",
                      "warranty.policy.create", "invoicing.invoice.read",
                      "purchase.order.read"),
                     "Set warranty policies and sell extensions (售后主管)"),
    ]


@hookimpl
def register_event_handlers() -> Sequence[Any]:
    from openjxc.addons.base_jxc.returns.events import ReturnReceived
    from openjxc.addons.base_jxc.sales.events import SalesDelivered
    from openjxc.addons.base_jxc.stock.events import StockMovesPosted
    from openjxc.core.events import Subscription

    from .warranties import on_moves_posted, on_return_received, on_sales_delivered

    return [Subscription(SalesDelivered, on_sales_delivered, phase="transaction"),
            Subscription(ReturnReceived, on_return_received, phase="transaction"),
            Subscription(StockMovesPosted, on_moves_posted, phase="transaction")]


@hookimpl
def register_alert_rules() -> Sequence[Any]:
    from .alerts import warranty_expiring_rule

    return [warranty_expiring_rule()]


@hookimpl
def register_reports() -> Sequence[Any]:
    from .documents import reports

    return reports()


@hookimpl
def register_graphql() -> object:
    from .api import contribution

    return contribution()


@hookimpl
def register_checks() -> Sequence[Any]:
    from .audit import CHECKS

    return list(CHECKS)


@hookimpl
def on_install(session: Session, env: Environment) -> None:
    """Back-fill (documented in ``warranties``): units a sales delivery left at a customer
    get a warranty under the policy that applies now — none on a first install, as there
    are no policies yet; creating a policy back-fills its units then."""
    from .warranties import backfill_warranties

    backfill_warranties(session)


@hookimpl
def load_demo_data(session: Session, env: Environment) -> None:
    from .services import backfill_warranties, create_policy

    create_policy(session, months=18, category_code="DJ")
    create_policy(session, months=12, category_code="SB", starts_on="installation")
    backfill_warranties(session)
