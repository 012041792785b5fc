"""What ``openjxc check`` audits in the ledger: balanced vouchers, and stock accounts that
agree with the stock ledger.

The stock accounts are those the mapping books goods held in the company's locations to
(``stock`` / ``internal``, ``transit``, ``quarantine``: 库存商品 by default), leaving out any
also used as a counterpart (待处理财产损溢 is scrap *and* a count's counterpart).  Since the
book's first month, every move that changes which account holds goods books its recorded
value (:mod:`.postings`), so the vouchers on those accounts add up to the value the moves
brought into those locations less the value they took out; what was there before is in
the opening balances, which this leaves out on both sides.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.stock.models import Location, StockMove
from openjxc.core.checks import REPORT_LIMIT, Check, Violation, limited

from .mapping import STOCK
from .models import Account, AccountBook, MappingRule, Voucher, VoucherLine

#: Location kinds whose goods the stock accounts hold.
HELD = ("internal", "transit", "quarantine")
CENT = Decimal("0.01")


def unbalanced_vouchers(session: Session) -> list[Violation]:
    """Σ debit = Σ credit = the voucher's total, and a voucher has lines."""
    debit = func.coalesce(func.sum(VoucherLine.debit), 0)
    credit = func.coalesce(func.sum(VoucherLine.credit), 0)
    lines = func.count(VoucherLine.id)
    rows = session.execute(
        select(Voucher.number, Voucher.period, Voucher.total, debit.label("debit"),
               credit.label("credit"), lines.label("lines"))
        .outerjoin(VoucherLine, VoucherLine.voucher_id == Voucher.id)
        .group_by(Voucher.id, Voucher.number, Voucher.period, Voucher.total)
        .having((lines == 0) | (debit != credit) | (debit != Voucher.total))
        .limit(REPORT_LIMIT + 1)).all()
    found = []
    for r in rows:
        if not r.lines:
            message = "has no lines"
        else:
            message = (f"debits {Decimal(r.debit)}, credits {Decimal(r.credit)}, total "
                       f"{r.total}")
        found.append(Violation(message, subject=f"voucher {r.period:%Y-%m} {r.number}"))
    return limited(found, "vouchers")


def stock_accounts(session: Session) -> list[str]:
    """Codes of the accounts that hold goods (see the module docstring)."""
    rules = session.execute(select(MappingRule.document, MappingRule.role,
                                   MappingRule.account_code)).all()
    held = {r.account_code for r in rules if r.document == STOCK and r.role in HELD}
    elsewhere = {r.account_code for r in rules if not (r.document == STOCK and r.role in HELD)}
    return sorted(held - elsewhere)


def stock_account_drift(session: Session) -> list[Violation]:
    """Vouchers on the stock accounts = value moved into held locations less out of them,
    both since the book's first month."""
    codes = stock_accounts(session)
    if not codes:
        return []
    first = session.scalar(select(AccountBook.opens_on).where(AccountBook.id == 1))
    booked = select(func.coalesce(func.sum(VoucherLine.debit - VoucherLine.credit), 0)).join(
        Account, Account.id == VoucherLine.account_id).where(Account.code.in_(codes))
    held = select(Location.id).where(Location.kind.in_(HELD))
    moved_in = case((StockMove.to_location_id.in_(held), StockMove.value), else_=literal(0))
    moved_out = case((StockMove.from_location_id.in_(held), StockMove.value),
                     else_=literal(0))
    ledger: Any = select(func.coalesce(func.sum(moved_in), 0)
                         - func.coalesce(func.sum(moved_out), 0))
    if first is not None:
        ledger = ledger.where(StockMove.move_date >= first)
    gl = _money(session, booked)
    stock = _money(session, ledger)
    if gl == stock:
        return []
    return [Violation(f"the stock accounts hold {gl} but the stock ledger's value is {stock}",
                      subject=", ".join(codes), details={"accounts": gl, "stock": stock})]


def _money(session: Session, statement: Any) -> Decimal:
    """A sum of Money columns (typed Money, so unscaled on SQLite too), to the cent."""
    return Decimal(session.scalar(statement) or 0).quantize(CENT)


CHECKS = (
    Check("accounting.vouchers", "Every voucher balances (debits = credits = its total)",
          unbalanced_vouchers),
    Check("accounting.stock_accounts", "The stock accounts equal the stock ledger's value "
          "since the book opened", stock_account_drift),
)
