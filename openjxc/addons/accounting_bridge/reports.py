"""The trial balance (科目余额表) of a month from the balances kept at posting: each
account's opening balance, the month's debits and credits and its closing balance,
parents summing their sub-accounts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from .ledger import ZERO, month_start
from .models import Account, AccountBalance


@dataclass
class TrialRow:
    code: str
    name: str
    level: int
    opening: Decimal
    debit: Decimal
    credit: Decimal

    @property
    def closing(self) -> Decimal:
        return self.opening + self.debit - self.credit


def trial_balance(session: Session, period: date, *, with_zero: bool = False,
                  ) -> list[TrialRow]:
    """Every account with a balance or movement (all of them with ``with_zero``), by
    code; amounts debit-positive."""
    period = month_start(period)
    before = AccountBalance.period < period
    current = AccountBalance.period == period
    moved = {account_id: (opening, debit, credit) for account_id, opening, debit, credit in
             session.execute(
                 select(AccountBalance.account_id,
                        func.sum(case((before, AccountBalance.debit - AccountBalance.credit),
                                      else_=0)),
                        func.sum(case((current, AccountBalance.debit), else_=0)),
                        func.sum(case((current, AccountBalance.credit), else_=0)))
                 .where(AccountBalance.period <= period)
                 .group_by(AccountBalance.account_id))}
    accounts = list(session.scalars(select(Account).order_by(Account.code)))
    by_id = {a.id: a for a in accounts}
    rows = {a.code: TrialRow(a.code, a.name, a.level, ZERO, ZERO, ZERO) for a in accounts}
    for account_id, (opening, debit, credit) in moved.items():
        account = by_id.get(account_id)
        while account is not None:
            row = rows[account.code]
            row.opening += Decimal(opening or 0)
            row.debit += Decimal(debit or 0)
            row.credit += Decimal(credit or 0)
            account = by_id.get(account.parent_id) if account.parent_id else None
    return [r for r in rows.values()
            if with_zero or r.opening or r.debit or r.credit]
