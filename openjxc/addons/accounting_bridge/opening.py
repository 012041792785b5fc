"""Opening balances (期初余额): where the book starts.

The book opens on the first day of a month (``AccountBook.opens_on``); its opening balances
are one set, replaced as a whole (one replacement at a time: the book's row is locked),
that balances (Σ debit = Σ credit), one line per account and auxiliaries.  They are written as
the balances (``acc_balance``) of the month *before* the opening month, so the trial
balance shows them as the first month's opening and every statement includes them — no
report reads them separately.  That month holds no voucher (the book opens no later than
its first voucher), so the rows are the openings alone.

From the opening month on, events post vouchers; an asset acquired before it was part of
the openings (cost and the depreciation its schedule ran before the opening month) and
posts nothing, as does depreciation of a month before it (see :mod:`.postings`).

What the business data says the openings are — stock by the stock accounts, what each
customer owes and each supplier is owed, goods received and not yet invoiced, fixed assets
and their depreciation — is
:func:`.opening_suggestions.suggestions`.  Documents dated in the opening month or later
but made before the ledger was installed are posted when the book is opened
(:mod:`.opening_catch_up`), so the ledger misses no business.

    set_opening_balances(session, date(2026, 11, 1), [
        OpeningLine("1002", debit=Decimal("500000")),
        OpeningLine("3001", credit=Decimal("500000"))])
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _
from openjxc.core.validation import LIMITS, check_text

from .books import book
from .ledger import CENT, ZERO, _keep_balances, hold_postings, month_before, month_start
from .models import (
    CUSTOMER,
    DEPARTMENT,
    PROJECT,
    SUPPLIER,
    Account,
    AccountBook,
    AccountingPeriod,
    Voucher,
)
from .models_books import OpeningBalance

MAX_LINES = 5000
#: No amount, nor the set's total, reaches this: both backends store it exactly.
LIMIT = LIMITS[2]


@dataclass
class OpeningLine:
    """One account's opening balance (per auxiliary dimension where it keeps them)."""

    account_code: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    customer_code: str | None = None
    supplier_code: str | None = None
    department: str = ""
    project: str = ""


def opens_on(session: Session) -> date | None:
    """The book's first month, or None before the openings are set."""
    found = session.get(AccountBook, 1)
    return found.opens_on if found is not None else None


def before_opening(session: Session, day: date) -> bool:
    """Whether ``day`` falls before the book's first month (its business is in the
    openings, not in vouchers)."""
    first = opens_on(session)
    return first is not None and day < first


def _check_amounts(line: OpeningLine, at: tuple[str, str]) -> list[FieldError]:
    """Finite, below the storable limit, one side, positive, yuan and fen."""
    for side, value in (("debit", line.debit), ("credit", line.credit)):
        if not isinstance(value, Decimal) or not value.is_finite() or abs(value) >= LIMIT:
            return [FieldError("INVALID", _("Must be smaller than {limit}"), field=(*at, side),
                               limit=f"{LIMIT:,.0f}")]
    if line.debit < 0 or line.credit < 0:
        return [FieldError("INVALID", _("The amount cannot be negative"), field=at)]
    errors: list[FieldError] = []
    if line.debit and line.credit:
        errors.append(FieldError("INVALID", _("A line is either a debit or a credit"),
                                 field=at))
    elif not line.debit and not line.credit:
        errors.append(FieldError("INVALID", _("An opening balance line needs an amount"),
                                 field=at))
    if line.debit != line.debit.quantize(CENT) or line.credit != line.credit.quantize(CENT):
        errors.append(FieldError("INVALID", _("Amounts are in yuan and fen (two "
                                              "decimals)"), field=at))
    return errors


def _texts(line: OpeningLine, at: tuple[str, str], errors: list[FieldError],
           ) -> dict[str, str]:
    """The line's codes and dimensions, stripped; NUL characters and overlong values are
    refused (they would reach the database otherwise)."""
    return {
        "accountCode": check_text(errors, line.account_code, (*at, "accountCode"),
                                  max_length=32, required=True),
        CUSTOMER: check_text(errors, line.customer_code, (*at, "customerCode"),
                             max_length=64),
        SUPPLIER: check_text(errors, line.supplier_code, (*at, "supplierCode"),
                             max_length=64),
        DEPARTMENT: check_text(errors, line.department, (*at, DEPARTMENT), max_length=64),
        PROJECT: check_text(errors, line.project, (*at, PROJECT), max_length=64)}


def _check_lines(session: Session, lines: list[OpeningLine],
                 ) -> tuple[list[FieldError], list[OpeningBalance]]:
    errors: list[FieldError] = []
    rows: list[OpeningBalance] = []
    faults: list[list[FieldError]] = [[] for _line in lines]
    texts = [_texts(line, ("lines", str(i)), faults[i]) for i, line in enumerate(lines)]
    codes = {t["accountCode"] for t in texts if t["accountCode"]}
    accounts = {a.code: a for a in session.scalars(select(Account).where(
        Account.code.in_(codes)))} if codes else {}
    partner_codes = {t[k] for t in texts for k in (CUSTOMER, SUPPLIER) if t[k]}
    partners = dict(session.execute(select(Partner.code, Partner.id).where(
        Partner.code.in_(partner_codes))).all()) if partner_codes else {}
    seen: set[tuple[int, int | None, int | None, str, str]] = set()
    for i, (line, given) in enumerate(zip(lines, texts, strict=True)):
        at = ("lines", str(i))
        errors += faults[i]
        code = given.pop("accountCode")
        account = accounts.get(code)
        if code and account is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown account {code}"),
                                     field=(*at, "accountCode"), code=code))
        elif account is not None and not account.leaf:
            errors.append(FieldError("NOT_LEAF", _("Account {code} has sub-accounts: post to "
                                                   "one of them"),
                                     field=(*at, "accountCode"), code=code))
        amount_errors = _check_amounts(line, at)
        errors += amount_errors
        if account is None or not account.leaf or amount_errors or faults[i]:
            continue
        keeps = {a for a in account.auxiliaries.split(",") if a}
        ids: dict[str, int | None] = {CUSTOMER: None, SUPPLIER: None}
        for name, value in given.items():
            where = (*at, f"{name}Code" if name in ids else name)
            if name in keeps and not value:
                errors.append(FieldError("REQUIRED", _("Account {code} keeps {dimension}: "
                                                       "give it"), field=where, code=code,
                                         dimension=name))
            elif value and name not in keeps:
                errors.append(FieldError("INVALID", _("Account {code} does not keep "
                                                      "{dimension}"), field=where,
                                         code=code, dimension=name))
            elif value and name in ids:
                ids[name] = partners.get(value)
                if ids[name] is None:
                    errors.append(FieldError("NOT_FOUND", _("Unknown partner {code}"),
                                             field=where, code=value))
        key = (account.id, ids[CUSTOMER], ids[SUPPLIER], given[DEPARTMENT], given[PROJECT])
        if key in seen:  # one balance per account and auxiliaries: which one would count?
            errors.append(FieldError("INVALID", _("Account {code} is given twice with the "
                                                  "same auxiliaries: give one line"),
                                     field=at, code=code))
        seen.add(key)
        rows.append(OpeningBalance(account_id=account.id, customer_id=ids[CUSTOMER],
                                   supplier_id=ids[SUPPLIER], department=given[DEPARTMENT],
                                   project=given[PROJECT], debit=line.debit,
                                   credit=line.credit))
    return errors, rows


def set_opening_balances(session: Session, first_month: date, lines: list[OpeningLine],
                         ) -> AccountBook:
    """Open the book on ``first_month`` with ``lines`` (replacing any earlier set), or
    refuse with nothing changed.  An empty set only opens the book (assets taken on can
    then be entered; the balances follow)."""
    first_month = month_start(first_month)
    if len(lines) > MAX_LINES:
        raise ValidationFailed(FieldError("INVALID", _("At most {count} lines"),
                                          field="lines", count=MAX_LINES))
    errors, rows = _check_lines(session, lines)
    if not errors:
        debit = sum((line.debit for line in lines), ZERO)
        credit = sum((line.credit for line in lines), ZERO)
        if max(debit, credit) >= LIMIT:
            errors.append(FieldError("INVALID", _("The opening balances add up to "
                                                  "{limit} or more"), field="lines",
                                     limit=f"{LIMIT:,.0f}"))
        elif debit != credit:
            errors.append(FieldError("OPENING_UNBALANCED", _(
                "The opening balances do not balance: debits {debit}, credits {credit} "
                "(difference {difference})"), field="lines", debit=str(debit),
                credit=str(credit), difference=str(debit - credit)))
    # The vouchers in flight are committed before the earliest is read, and none posts
    # until the book has opened (it would not see where the book opens).
    hold_postings(session)
    # One set at a time: the book's row is locked before the set it replaces is read (two
    # sets at once would each subtract the old set and add theirs — twice the balances).
    current = book(session)
    session.refresh(current, with_for_update=True)
    # The openings are every later month's opening: not once one of them is closed.
    previous = current.opens_on
    since = min(first_month, previous) if previous is not None else first_month
    closed = session.scalar(select(func.min(AccountingPeriod.period)).where(
        AccountingPeriod.closed.is_(True), AccountingPeriod.period >= since))
    if closed is not None:
        errors.append(FieldError("PERIOD_CLOSED", _("Accounting period {period} is closed"),
                                 field="opensOn", period=f"{closed:%Y-%m}"))
    earliest = session.scalar(select(func.min(Voucher.period)))
    if earliest is not None and first_month > earliest:
        errors.append(FieldError("OPENING_AFTER_VOUCHERS", _(
            "The book cannot open after {period}: vouchers are posted in that month"),
            field="opensOn", period=f"{earliest:%Y-%m}"))
    if errors:
        raise ValidationFailed(errors)
    if previous is not None:
        old = [(r.account_id, -r.debit, -r.credit) for r in session.scalars(
            select(OpeningBalance))]
        if old:
            _keep_balances(session, month_before(previous), old)
    session.execute(delete(OpeningBalance))
    session.add_all(rows)
    if rows:
        _keep_balances(session, month_before(first_month),
                       [(r.account_id, r.debit, r.credit) for r in rows])
    current.opens_on = first_month
    session.flush()
    if previous is None or first_month < previous:
        from .opening_catch_up import post_uncovered

        post_uncovered(session, first_month, previous)
    return current


@dataclass(frozen=True)
class OpeningRow:
    account_code: str
    account_name: str
    debit: Decimal
    credit: Decimal
    customer_id: int | None
    supplier_id: int | None
    department: str
    project: str


def opening_balances(session: Session) -> tuple[date | None, list[OpeningRow]]:
    """The book's first month and its opening balances, by account code."""
    rows = [OpeningRow(code, name, r.debit, r.credit, r.customer_id, r.supplier_id,
                       r.department, r.project)
            for r, code, name in session.execute(
                select(OpeningBalance, Account.code, Account.name)
                .join(Account, Account.id == OpeningBalance.account_id)
                .order_by(Account.code, OpeningBalance.id))]
    return opens_on(session), rows
