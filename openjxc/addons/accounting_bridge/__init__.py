"""Chart of accounts, vouchers and exports to 用友/金蝶 (enterprise edition).

The chapters of this addon:

* :mod:`.charts` — the two charts (小企业会计准则, the default, and 企业会计准则) with the VAT
  sub-accounts under 2221;
* :mod:`.models` — the book, accounts, periods, vouchers and their lines, balances, rules;
* :mod:`.books` — set-up (the standard, locked after the first posting), sub-accounts;
* :mod:`.ledger` — periods (close also closes depreciation's month), balanced, numbered,
  immutable vouchers, red reversals;
* :mod:`.mapping` — which account each role of a document posts to (editable);
* :mod:`.postings` — vouchers made in the transaction of base_jxc's and depreciation's
  events (stock moves, invoices, payments, depreciation, asset acquisition and disposal);
* :mod:`.reports` — the trial balance; :mod:`.statements` — balance sheet, income
  statement, cash flow (simplified direct method);
* :mod:`.exports` — vouchers for 用友 T3/U8 (text), 金蝶 KIS/K3 (Excel) and a generic Excel;
* :mod:`.api` (+ :mod:`.api_enums`, :mod:`.api_types`, :mod:`.api_mutations`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from openjxc.core.env import Environment
from openjxc.core.hookspecs import hookimpl
from openjxc.core.security import Permission, RoleTemplate

READ = "accounting.voucher.read"
POST = "accounting.voucher.post"
SETTINGS = "accounting.settings.manage"
CLOSE = "accounting.period.close"
EXPORT = "accounting.voucher.export"
REOPEN = "accounting.period.reopen"


@hookimpl
def register_models() -> Sequence[type]:
    from .models import all_models

    return all_models()


@hookimpl
def register_permissions() -> Sequence[Permission]:
    return [
        Permission(READ, "See the chart of accounts, vouchers and ledger reports"),
        Permission(POST, "Reverse vouchers"),
        Permission(SETTINGS, "Set up the book, sub-accounts and the account mapping"),
        Permission(CLOSE, "Close accounting periods"),
        Permission(EXPORT, "Export vouchers to accounting software"),
        Permission(REOPEN, "Reopen a closed accounting period"),
    ]


@hookimpl
def register_roles() -> Sequence[RoleTemplate]:
    return [
        RoleTemplate("ledger_accountant", (READ, POST, SETTINGS, CLOSE, EXPORT,
                                    "depreciation.asset.read", "depreciation.period.close",
                                    "invoicing.invoice.read", "stock.level.read"),
                     "Keep the ledger, close months and export vouchers (会计)"),
    ]


@hookimpl
def register_event_handlers() -> Sequence[Any]:
    from .postings import subscriptions

    return subscriptions()


@hookimpl
def register_graphql() -> object:
    from .api import contribution

    return contribution()


@hookimpl
def on_install(session: Session, env: Environment) -> None:
    from .books import seed_defaults

    seed_defaults(session)


@hookimpl
def load_demo_data(session: Session, env: Environment) -> None:
    from .demo import load_demo

    load_demo(session, env)
