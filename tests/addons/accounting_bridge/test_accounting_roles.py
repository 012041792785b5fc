"""Who may do what in the ledger: the accountant keeps it, only the chief accountant (or an
admin) opens a closed month again."""

from __future__ import annotations

from openjxc.addons.accounting_bridge import CLOSE, EXPORT, POST, READ, REOPEN, SETTINGS
from openjxc.core.env import Environment


def test_only_the_chief_accountant_reopens_months() -> None:
    env = Environment.for_edition("enterprise")
    accountant = env.permissions.role_permissions("ledger_accountant")
    chief = env.permissions.role_permissions("chief_accountant")
    assert {READ, POST, SETTINGS, CLOSE, EXPORT} <= accountant and REOPEN not in accountant
    assert chief == accountant | {REOPEN}
