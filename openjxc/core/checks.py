"""Audits of what must always hold (``openjxc check``): after a crash, a restore or a
hand-edited row, is every invariant of the ledger intact?

Addons contribute :class:`Check` objects through the ``register_checks`` hook; the kernel
runs them all in one read-only transaction (one consistent snapshot) and reports each
:class:`Violation` found::

    from openjxc.core.checks import REPORT_LIMIT, Check, Violation, limited

    def negative_balances(session):
        rows = session.execute(select(StockBalance.id, StockBalance.quantity)
                               .where(StockBalance.quantity < 0).limit(REPORT_LIMIT + 1))
        return limited([Violation(f"balance {r.id} is {r.quantity}") for r in rows],
                       "balances")

    @hookimpl
    def register_checks():
        return [Check("stock.negative", "No balance below zero", negative_balances)]

A check reads set-based (one statement, or a few, whatever the ledger's size) and reports
at most :data:`REPORT_LIMIT` violations (more only say that there are more): the command
runs on databases of millions of moves (the base checks take about two seconds on a
million, on either backend).  Typed columns, not raw SQL text, where amounts are read:
on SQLite they are scaled integers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from openjxc.core.errors import BootError

if TYPE_CHECKING:
    from openjxc.core.env import Environment

#: Violations a check reports at most (it asks its statement for one more, to say "more").
REPORT_LIMIT = 20


@dataclass(frozen=True)
class Violation:
    """One broken promise, said so that an operator can find the rows: ``subject`` names
    them (``receipt RK-202611-0001``), ``details`` holds the numbers."""

    message: str
    subject: str = ""
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Check:
    """An invariant: ``run(session)`` returns what breaks it (empty when it holds)."""

    key: str
    description: str
    run: Callable[[Session], list[Violation]]


@dataclass(frozen=True)
class CheckResult:
    owner: str
    check: Check
    violations: list[Violation]

    @property
    def ok(self) -> bool:
        return not self.violations

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.check.key, "owner": self.owner,
                "description": self.check.description, "ok": self.ok,
                "violations": [{"message": v.message, "subject": v.subject,
                                "details": {k: str(x) for k, x in v.details.items()}}
                               for v in self.violations]}


def collect_checks(env: Environment) -> list[tuple[str, Check]]:
    """``(owner, check)`` of every addon, in dependency order; a key twice is a boot error."""
    found: list[tuple[str, Check]] = []
    owners: dict[str, str] = {}
    for owner, checks in env.contributions("register_checks"):
        for check in checks:
            if not isinstance(check, Check):
                raise BootError(f"{owner}: register_checks returned {check!r}, not a Check")
            if check.key in owners:
                raise BootError(f"the check {check.key!r} is contributed twice "
                                f"({owners[check.key]} and {owner})")
            owners[check.key] = owner
            found.append((owner, check))
    return found


def run_checks(env: Environment, *, only: Iterable[str] = ()) -> list[CheckResult]:
    """Run every check (or those whose key starts with one of ``only``) in one read-only
    transaction, so that they all see the same snapshot (SQLite's deferred read
    transaction; PostgreSQL's ``REPEATABLE READ``) while postings go on."""
    prefixes = tuple(only)
    checks = [(owner, check) for owner, check in collect_checks(env)
              if not prefixes or check.key.startswith(prefixes)]
    with env.unit_of_work(readonly=True) as session:
        if env.database.dialect == "postgresql":
            # One snapshot for every statement (READ COMMITTED takes one per statement: a
            # posting committed between a check's two reads would look like a drift).
            session.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        return [CheckResult(owner, check, list(check.run(session)))
                for owner, check in checks]


def limited(violations: Sequence[Violation], what: str) -> list[Violation]:
    """At most :data:`REPORT_LIMIT` of ``violations``; a last line says there are more
    (a check asks its statement for ``REPORT_LIMIT + 1`` rows)."""
    if len(violations) <= REPORT_LIMIT:
        return list(violations)
    return [*violations[:REPORT_LIMIT],
            Violation(f"… and more {what} (only the first {REPORT_LIMIT} are listed)")]


def report(results: Sequence[CheckResult]) -> str:
    """The human-readable report of :func:`run_checks`."""
    lines = []
    for result in results:
        mark = "ok  " if result.ok else "FAIL"
        lines.append(f"{mark} {result.check.key} — {result.check.description}")
        for violation in result.violations:
            subject = f"{violation.subject}: " if violation.subject else ""
            lines.append(f"       {subject}{violation.message}")
    failed = sum(1 for r in results if not r.ok)
    lines.append(f"{len(results)} checks, {failed} failed" if failed
                 else f"{len(results)} checks, every invariant intact")
    return "\n".join(lines)
