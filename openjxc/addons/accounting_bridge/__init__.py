"""Chart of accounts, vouchers and exports to 用友/金蝶 (enterprise edition).

The chapters of this addon:

* :mod:`.charts` — the two charts (小企业会计准则, the default, and 企业会计准则) with the VAT
  sub-accounts under 2221;
* :mod:`.models` (+ :mod:`.models_books`, :mod:`.models_exchange`) — the book, accounts,
  periods and their reopenings, vouchers and their lines, balances, rules, opening
  balances, cash-flow rules, export batches and push targets;
* :mod:`.books` — set-up (the standard, locked after the first posting), sub-accounts;
* :mod:`.opening` (+ :mod:`.opening_suggestions`, :mod:`.opening_catch_up`) — the book's
  first month and its opening balances (期初余额), suggested from stock, partners and
  assets; documents of that month made before the addon arrived are posted once;
* :mod:`.ledger` — periods (close also closes depreciation's month), balanced, numbered,
  immutable vouchers, red reversals; :mod:`.periods` — reopening a closed month (反结账);
* :mod:`.mapping` — which account each role of a document posts to (editable);
* :mod:`.cash_flow` — the 现金流量项目 of each standard and the rules that tag cash lines;
* :mod:`.postings` — vouchers made in the transaction of base_jxc's and depreciation's
  events (stock moves, invoices, payments, depreciation, asset acquisition and disposal);
* :mod:`.reports` — the trial balance; :mod:`.statements` — balance sheet, income
  statement, cash flow by 现金流量项目; :mod:`.statement_files` — them as .xlsx and PDF;
* :mod:`.exports` (+ :mod:`.exports_json`, :mod:`.exports_batches`) — vouchers for 用友
  T3/U8 (text), 金蝶 KIS/K3 (Excel), generic Excel, CSV and JSON, every export kept as a
  repeatable batch; :mod:`.push` (+ :mod:`.push_delivery`) — the daily push of new vouchers
  to a folder or a webhook (a scheduled job of ``openjxc worker``);
* :mod:`.demo` — the enterprise demo's book;
* :mod:`.api` (+ :mod:`.api_enums`, :mod:`.api_types`, :mod:`.api_mutations` and one module
  per chapter: :mod:`.api_books`, :mod:`.api_cash_flow`, :mod:`.api_exchange`,
  :mod:`.api_statements`).
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
        RoleTemplate("chief_accountant", (READ, POST, SETTINGS, CLOSE, REOPEN, EXPORT,
                                          "depreciation.asset.read",
                                          "depreciation.period.close",
                                          "invoicing.invoice.read", "stock.level.read"),
                     "Everything a ledger accountant does, and reopen closed months "
                     "(会计主管)"),
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
def register_reports() -> Sequence[Any]:
    from .statement_files import reports_offered

    return reports_offered()


@hookimpl
def register_scheduled_jobs() -> Sequence[Any]:
    from openjxc.core.jobs import ScheduledJob

    return [ScheduledJob("accounting.voucher_push", _push_due, every_seconds=3600)]


def _push_due(env: Environment, now: Any) -> str:
    from .push import push_due

    return push_due(env, now)


@hookimpl
def register_cli_commands() -> Sequence[Any]:
    from .push import cli_commands

    return cli_commands()


@hookimpl
def on_install(session: Session, env: Environment) -> None:
    from .books import seed_defaults

    seed_defaults(session)


@hookimpl
def load_demo_data(session: Session, env: Environment) -> None:
    from .demo import load_demo

    load_demo(session, env)


@hookimpl
def register_checks() -> Sequence[Any]:
    from .checks import CHECKS

    return list(CHECKS)
