"""Fixed assets and depreciation under Chinese rules (enterprise edition).

The chapters of this addon:

* :mod:`.schedule` — the arithmetic of the four methods (and the tax book's one-time
  deduction), plain ``Decimal``, no database;
* :mod:`.models` — asset cards, categories, usage, posted lines, periods, tax policy;
* :mod:`.settings` — categories (seeded from the tax minimum lives: machinery 120 months,
  tools and furniture 60, vehicles 48, electronics 36, buildings 240), the one-time
  deduction policy (≤ 5,000,000 CNY, 2018-01-01 to 2027-12-31, editable), periods
  (close / reopen — accounting_bridge closes through :func:`.settings.close_period`);
* :mod:`.assets` — create, capitalise a serial unit from stock, usage, schedules;
* :mod:`.runs` — the monthly run; :mod:`.disposal` — sale or scrap with gain or loss;
* :mod:`.reports` — register, schedule, summary (rows and .xlsx);
* :mod:`.events` — ``AssetAcquired``, ``AssetCapitalized``, ``DepreciationPosted``,
  ``AssetDisposed``, published in the transaction;
* :mod:`.api` (+ :mod:`.api_types`, :mod:`.api_mutations`), :mod:`.demo`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from openjxc.core.env import Environment
from openjxc.core.hookspecs import hookimpl
from openjxc.core.security import Permission, RoleTemplate

READ = "depreciation.asset.read"


@hookimpl
def register_models() -> Sequence[type]:
    from .models import MODELS

    return MODELS


@hookimpl
def register_permissions() -> Sequence[Permission]:
    return [
        Permission(READ, "See fixed assets, their schedules and the depreciation reports"),
        Permission("depreciation.asset.create",
                   "Create assets, capitalise stock units and record usage"),
        Permission("depreciation.asset.dispose", "Dispose of assets (sale or scrap)"),
        Permission("depreciation.run.post", "Run the monthly depreciation"),
        Permission("depreciation.period.close", "Close and reopen depreciation periods"),
        Permission("depreciation.settings.manage",
                   "Change asset categories and the tax policy"),
    ]


@hookimpl
def register_roles() -> Sequence[RoleTemplate]:
    return [
        RoleTemplate("asset_accountant",
                     (READ, "depreciation.asset.create", "depreciation.asset.dispose",
                      "depreciation.run.post", "depreciation.period.close",
                      "depreciation.settings.manage", "catalog.product.read",
                      "stock.level.read", "stock.warehouse.read"),
                     "Keep the fixed-asset cards and run depreciation (固定资产会计)"),
    ]


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
    from .settings import seed_defaults

    seed_defaults(session)


@hookimpl
def load_demo_data(session: Session, env: Environment) -> None:
    from .demo import load

    load(session, env)


