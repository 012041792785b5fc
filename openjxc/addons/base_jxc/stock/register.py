"""What the stock chapter contributes to the addon's hooks (see ``base_jxc/__init__.py``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from openjxc.core.security import Permission, RoleTemplate


def models() -> list[type]:
    from .models import MODELS
    from .period_totals import MODELS as PERIOD_TOTALS

    return MODELS + PERIOD_TOTALS


def permissions() -> list[Permission]:
    return [
        Permission("stock.warehouse.read", "See warehouses and locations"),
        Permission("stock.warehouse.create", "Create warehouses and bins"),
        Permission("stock.level.read", "See stock levels and serial numbers"),
        Permission("stock.move.read", "See the stock ledger"),
        Permission("stock.move.create", "Post stock moves (receipts, issues, adjustments)"),
        Permission("stock.move.reverse", "Reverse posted stock moves"),
        Permission("stock.cost.read", "See unit costs and stock values"),
        Permission("stock.period.close", "Close stock months"),
        Permission("stock.batch.deliver_expired", "Deliver goods from an expired batch"),
    ]


def roles() -> list[RoleTemplate]:
    return [
        RoleTemplate("warehouse_clerk",
                     ("catalog.product.read", "catalog.category.read", "stock.warehouse.read",
                      "stock.level.read", "stock.move.read", "stock.move.create",
                      "stock.count.read", "stock.count.record", "stock.transfer.read",
                      # the warehouse side of the trading documents
                      "purchase.order.read", "purchase.order.receive", "sales.order.read",
                      "sales.order.deliver", "sales.return.read", "sales.return.receive"),
                     "Receive, move and count stock; receive purchase orders, deliver sales "
                     "orders, take returned goods in"),
        RoleTemplate("stock_controller",
                     ("catalog.product.read", "catalog.category.read", "stock.warehouse.read",
                      "stock.warehouse.create", "stock.level.read", "stock.move.read",
                      "stock.move.create", "stock.move.reverse", "stock.cost.read",
                      "stock.period.close", "stock.count.read", "stock.count.start",
                      "stock.count.record", "stock.count.post", "stock.transfer.read"),
                     "Run the stock ledger, costs and month-end"),
    ]


def on_install(session: Session, env: Any) -> None:
    from .warehouses import create_company_locations

    create_company_locations(session)


def contribution() -> Any:
    from .api import contribution

    return contribution()


def alert_rules() -> list[Any]:
    from .alerts import alert_rules

    return alert_rules()


def checks() -> list[Any]:
    from .audit import CHECKS

    return list(CHECKS)
