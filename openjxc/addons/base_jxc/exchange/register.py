"""What this chapter contributes to the addon's hooks (see ``base_jxc/__init__.py``)."""

from __future__ import annotations

from typing import Any

from openjxc.core.security import Permission, RoleTemplate


def permissions() -> list[Permission]:
    return [
        Permission("exchange.file.import", "Import products, partners and opening stock from "
                                           "files (also needs the right to create them)"),
        Permission("exchange.file.export", "Export stock levels to Excel"),
    ]


def roles() -> list[RoleTemplate]:
    return [
        RoleTemplate("data_importer",
                     ("exchange.file.import", "exchange.file.export", "catalog.product.create",
                      "catalog.category.read", "catalog.product.read",
                      "partner.partner.create", "partner.partner.read",
                      "stock.warehouse.read", "stock.level.read", "stock.move.create"),
                     "Load the product master, partners and opening stock from files"),
    ]


def contribution() -> Any:
    from .api import contribution

    return contribution()


def cli_commands() -> list[Any]:
    from .cli import export_command, import_command

    return [import_command, export_command]
