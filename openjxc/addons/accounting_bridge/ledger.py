"""Posting vouchers (记账凭证) into monthly periods.

A voucher balances (Σ debit = Σ credit, each line on one side only) or is refused; it is
numbered ``记-0001`` within its month from a per-month sequence row taken in the posting
transaction (a rolled-back posting leaves no gap); it is never changed — a correction is a
red voucher with the same lines negated; nothing posts into a closed month, nor before
the month the book opens (a posting waits for a close or an opening in flight:
:func:`hold_postings`).  Balances per account and month are kept in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import bindparam, select, text, update
from sqlalchemy.orm import Session

from openjxc.addons.depreciation import settings as depreciation_settings
from openjxc.core.db import upsert
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.models import utcnow

from . import cash_flow, mapping
from .models import (
    WORD,
    Account,
    AccountBalance,
    AccountBook,
    AccountingPeriod,
    Voucher,
    VoucherLine,
    VoucherSequence,
)

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_before(period: date) -> date:
    return month_start(period - timedelta(days=1))


def parse_period(text: str, at: str = "period") -> date:
    """``2026-11`` → 2026-11-01; anything else is refused."""
    found = _PERIOD.match(text.strip()) if text else None
    if found is not None and 1 <= int(found.group(2)) <= 12 and int(found.group(1)) >= 1900:
        return date(int(found.group(1)), int(found.group(2)), 1)
    raise ValidationFailed(FieldError("INVALID", _("A period is written YYYY-MM, e.g. "
                                                   "2026-11"), field=at))


# -- periods -------------------------------------------------------------------------------

def period_row(session: Session, period: date) -> AccountingPeriod:
    row = session.get(AccountingPeriod, month_start(period))
    if row is None:
        row = AccountingPeriod(period=month_start(period), closed=False)
        session.add(row)
        session.flush()
    return row


def is_closed(session: Session, day: date) -> bool:
    return bool(session.scalar(select(AccountingPeriod.closed).where(
        AccountingPeriod.period == month_start(day))))


def _lock_numbers(session: Session, mode: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"LOCK TABLE {VoucherSequence.__tablename__} IN {mode} MODE"))


def hold_postings(session: Session) -> None:
    """Wait for the postings in flight and keep new ones waiting until this transaction
    ends, so that opening the book or closing a month judges every voucher (PostgreSQL: a
    lock on the voucher numbers' table that a posting takes before :func:`refuse_closed`
    reads; SQLite serialises writers with ``BEGIN IMMEDIATE``)."""
    _lock_numbers(session, "SHARE ROW EXCLUSIVE")


def refuse_closed(session: Session, day: date, at: str = "date") -> None:
    """Refuse ``day`` when its month is closed or lies before the month the book opens
    (its opening balances stand for everything before): one statement, read after any
    close or opening in flight has committed (:func:`hold_postings`)."""
    _lock_numbers(session, "ROW EXCLUSIVE")
    month = month_start(day)
    closed, opens_on = session.execute(select(
        select(AccountingPeriod.closed).where(AccountingPeriod.period == month)
        .scalar_subquery(),
        select(AccountBook.opens_on).order_by(AccountBook.id).limit(1).scalar_subquery(),
    )).one()
    if closed:
        raise ValidationFailed(FieldError("PERIOD_CLOSED", _("Accounting period {period} is "
                                                             "closed"), field=at,
                                          period=f"{day:%Y-%m}"))
    if opens_on is not None and month < opens_on:
        raise ValidationFailed(FieldError(
            "PERIOD_CLOSED", _("{period} lies before the book opens ({opens}): its opening "
                               "balances stand for it"), field=at, period=f"{day:%Y-%m}",
            opens=f"{opens_on:%Y-%m}"))


def close_period(session: Session, period: date, *, user_id: int | None = None,
                 ) -> AccountingPeriod:
    """Close a month of the ledger and of depreciation: nothing posts into it any more."""
    hold_postings(session)  # a posting in flight is in the month before it closes
    row = period_row(session, period)
    session.refresh(row, with_for_update=True)  # a close racing a reopen waits for it
    if row.closed:
        raise ValidationFailed(FieldError("PERIOD_CLOSED", _("Accounting period {period} is "
                                                             "closed"), field="period",
                                          period=f"{row.period:%Y-%m}"))
    if not depreciation_settings.is_closed(session, row.period):
        depreciation_settings.close_period(session, row.period, user_id=user_id)
    row.closed = True
    row.closed_at = utcnow()
    row.closed_by_id = user_id
    session.flush()
    return row


# -- vouchers ------------------------------------------------------------------------------

@dataclass
class Entry:
    """One line to post: an account code and one side's amount (negative: red)."""

    account_code: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    summary: str = ""
    customer_id: int | None = None
    supplier_id: int | None = None
    department: str = ""
    project: str = ""
    #: 现金流量项目 of a cash line; None: the voucher's source type decides (:mod:`.cash_flow`).
    cash_flow_item: str | None = None


@dataclass
class Draft:
    voucher_date: date
    summary: str
    entries: list[Entry] = field(default_factory=list)
    source_type: str = "manual"
    source_id: int | None = None
    reference: str = ""

    def add(self, code: str, *, debit: Decimal = ZERO, credit: Decimal = ZERO,
            **aux: Any) -> None:
        if debit or credit:
            self.entries.append(Entry(code, debit=debit, credit=credit, **aux))


def _merged(entries: list[Entry]) -> list[Entry]:
    """Lines on the same account, side and dimensions are summed (one 分录 each)."""
    merged: dict[tuple[Any, ...], Entry] = {}
    for e in entries:
        side = "d" if e.debit else "c"
        key = (e.account_code, side, e.customer_id, e.supplier_id, e.department, e.project,
               e.summary, e.cash_flow_item)
        found = merged.get(key)
        if found is None:
            merged[key] = Entry(**{**e.__dict__})
        else:
            found.debit += e.debit
            found.credit += e.credit
    return [e for e in merged.values() if e.debit or e.credit]


def post_voucher(session: Session, draft: Draft, *, user_id: int | None = None,
                 reversal_of_id: int | None = None,
                 known: dict[str, tuple[int, bool]] | None = None) -> Voucher:
    """Post ``draft`` as one voucher, or refuse it (nothing changed).  ``known`` maps
    account codes already read to ``(id, leaf)``."""
    entries = _merged(draft.entries)
    errors: list[FieldError] = []
    if not entries:
        errors.append(FieldError("EMPTY_VOUCHER", _("A voucher needs at least one line"),
                                 field="lines"))
    accounts = {code: found for code, found in (known or {}).items()}
    wanted = {e.account_code for e in entries} - set(accounts)
    if wanted:
        accounts.update((code, (account_id, leaf)) for code, account_id, leaf in session.execute(
            select(Account.code, Account.id, Account.leaf).where(Account.code.in_(wanted))))
    for i, e in enumerate(entries):
        account = accounts.get(e.account_code)
        if account is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown account {code}"),
                                     field=("lines", str(i), "accountCode"),
                                     code=e.account_code[:32]))
        elif not account[1]:
            errors.append(FieldError("NOT_LEAF", _("Account {code} has sub-accounts: post to "
                                                   "one of them"),
                                     field=("lines", str(i), "accountCode"),
                                     code=e.account_code))
        if e.debit and e.credit:
            errors.append(FieldError("INVALID", _("A line is either a debit or a credit"),
                                     field=("lines", str(i))))
        if e.debit != e.debit.quantize(CENT) or e.credit != e.credit.quantize(CENT):
            errors.append(FieldError("INVALID", _("Amounts are in yuan and fen (two "
                                                  "decimals)"), field=("lines", str(i))))
    debit = sum((e.debit for e in entries), ZERO)
    credit = sum((e.credit for e in entries), ZERO)
    if debit != credit:
        errors.append(FieldError("UNBALANCED", _("The voucher does not balance: debits "
                                                 "{debit}, credits {credit}"), field="lines",
                                 debit=str(debit), credit=str(credit)))
    refuse_closed(session, draft.voucher_date)
    if errors:
        raise ValidationFailed(errors)
    tags = cash_flow.tags(session, draft.source_type,
                          [(e.account_code, e.cash_flow_item) for e in entries])
    period = month_start(draft.voucher_date)
    voucher = Voucher(period=period, number=f"{WORD}-{_take_number(session, period):04d}",
                      voucher_date=draft.voucher_date, summary=draft.summary[:120],
                      source_type=draft.source_type[:32], source_id=draft.source_id,
                      reference=draft.reference[:64], total=debit,
                      reversal_of_id=reversal_of_id, created_by_id=user_id)
    session.add(voucher)
    session.flush()
    session.add_all(VoucherLine(voucher_id=voucher.id, sequence=i + 1,
                                account_id=accounts[e.account_code][0],
                                summary=(e.summary or draft.summary)[:120], debit=e.debit,
                                credit=e.credit, customer_id=e.customer_id,
                                supplier_id=e.supplier_id, department=e.department[:64],
                                project=e.project[:64], cash_flow_item=tags[i])
                    for i, e in enumerate(entries))
    _keep_balances(session, period, [(accounts[e.account_code][0], e.debit, e.credit)
                                     for e in entries])
    session.flush()
    return voucher


def _take_number(session: Session, period: date) -> int:
    taken = session.connection().execute(_take(), {"p": period}).scalar()
    if taken is None:
        table = VoucherSequence.__table__
        taken = session.execute(
            upsert(session, table).values(period=period, last=1)  # type: ignore[arg-type]
            .on_conflict_do_update(index_elements=["period"],
                                   set_={"last": table.c.last + 1})
            .returning(table.c.last)).scalar_one()
    return int(taken)


@cache
def _take() -> Any:
    table = VoucherSequence.__table__
    return (update(table).where(table.c.period == bindparam("p"))  # type: ignore[arg-type]
            .values(last=table.c.last + 1).returning(table.c.last))


def _keep_balances(session: Session, period: date,
                   moved: list[tuple[int, Decimal, Decimal]]) -> None:
    totals: dict[int, tuple[Decimal, Decimal]] = {}
    for account_id, debit, credit in moved:
        d, c = totals.get(account_id, (ZERO, ZERO))
        totals[account_id] = (d + debit, c + credit)
    session.execute(_add_to_balance(session.get_bind().dialect.name),
                    [{"a": account_id, "p": period, "d": d, "c": c}
                     for account_id, (d, c) in sorted(totals.items())])


@cache
def _add_to_balance(dialect: str) -> Any:
    """Add ``:d``/``:c`` to account ``:a``'s month ``:p`` (built once per backend)."""
    from sqlalchemy.dialects import postgresql, sqlite

    table = AccountBalance.__table__
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(table).values(account_id=bindparam("a"),  # type: ignore[arg-type]
                                period=bindparam("p"), debit=bindparam("d"),
                                credit=bindparam("c"))
    return stmt.on_conflict_do_update(
        index_elements=["account_id", "period"],
        set_={"debit": table.c.debit + stmt.excluded.debit,
              "credit": table.c.credit + stmt.excluded.credit})


#: Sources whose own ledger the books must match (the stock ledger, the asset cards): their
#: vouchers are corrected through the document, never reversed alone.
FROM_STOCK = (mapping.STOCK,)
FROM_ASSETS = (mapping.DEPRECIATION, mapping.ASSET_ACQUIRED, mapping.ASSET_DISPOSED)


def refuse_from_document(voucher: Voucher) -> None:
    """Refuse reversing a voucher of a stock document, an asset or a depreciation run: a
    red voucher alone would put 1405 (1601, 1602) out of line with the stock ledger (the
    asset cards), so the document is corrected instead (``VOUCHER_FROM_DOCUMENT``)."""
    if voucher.source_type in FROM_STOCK:
        message = _("Voucher {number} comes from a stock document: correct it through its "
                    "document (reverse the stock move)")
    elif voucher.source_type in FROM_ASSETS:
        message = _("Voucher {number} comes from the fixed assets: correct it through its "
                    "document (the asset card, the disposal or the depreciation run)")
    else:
        return
    raise ValidationFailed(FieldError("VOUCHER_FROM_DOCUMENT", message, field="voucher",
                                      number=voucher.number))


def reverse_voucher(session: Session, voucher_id: int, *, on: date | None = None,
                    user_id: int | None = None) -> Voucher:
    """The red voucher (红字冲销) of ``voucher_id``: its lines negated, dated ``on`` (the
    original's date by default; a closed month's voucher is reversed in an open one).
    A voucher of a stock document, an asset or a depreciation run is refused
    (:func:`refuse_from_document`)."""
    original = session.get(Voucher, voucher_id)
    if original is None:
        raise ValidationFailed(FieldError("NOT_FOUND", _("Unknown voucher"), field="voucher"))
    if session.scalar(select(Voucher.id).where(Voucher.reversal_of_id == voucher_id)):
        raise ValidationFailed(FieldError("ALREADY_REVERSED", _("Voucher {number} is already "
                                                                "reversed"), field="voucher",
                                          number=original.number))
    if original.reversal_of_id is not None:
        raise ValidationFailed(FieldError("ALREADY_REVERSED", _("Voucher {number} is a "
                                                                "reversal"), field="voucher",
                                          number=original.number))
    refuse_from_document(original)
    rows = session.execute(select(VoucherLine, Account.code).join(
        Account, Account.id == VoucherLine.account_id).where(
        VoucherLine.voucher_id == voucher_id).order_by(VoucherLine.sequence)).all()
    draft = Draft(voucher_date=on or original.voucher_date,
                  summary=f"冲销 {original.number} {original.summary}",
                  source_type=original.source_type, source_id=original.source_id,
                  reference=original.reference)
    for line, code in rows:
        draft.add(code, debit=-line.debit, credit=-line.credit, summary=line.summary,
                  customer_id=line.customer_id, supplier_id=line.supplier_id,
                  department=line.department, project=line.project,
                  cash_flow_item=line.cash_flow_item)
    return post_voucher(session, draft, user_id=user_id, reversal_of_id=voucher_id)


def account_balance(session: Session, code: str, *, through: date | None = None) -> Decimal:
    """Debit minus credit of ``code`` and its sub-accounts, all months (to ``through``)."""
    from sqlalchemy import func

    stmt = (select(func.coalesce(func.sum(AccountBalance.debit - AccountBalance.credit), 0))
            .join(Account, Account.id == AccountBalance.account_id)
            .where(Account.code.like(f"{code}%")))
    if through is not None:
        stmt = stmt.where(AccountBalance.period <= month_start(through))
    return Decimal(session.scalar(stmt) or 0).quantize(CENT)
