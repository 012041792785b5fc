"""The book (账套) and its chart: the standard chosen at set-up (小企业会计准则 by default),
locked after the first voucher; sub-accounts under any account that has no posting yet."""

from __future__ import annotations

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import _

from . import charts, mapping
from .models import (
    AUXILIARIES,
    SMALL,
    STANDARDS,
    Account,
    AccountBalance,
    AccountBook,
    MappingRule,
    VoucherLine,
)
from .models_books import OpeningBalance

MAX_SUB_ACCOUNTS = 99


def book(session: Session) -> AccountBook:
    row = session.get(AccountBook, 1)
    if row is None:
        row = AccountBook(id=1, standard=SMALL)
        session.add(row)
        session.flush()
    return row


def seed_defaults(session: Session) -> None:
    """A new book of 小企业会计准则 with its chart and mapping rules (once)."""
    current = book(session)
    if session.scalar(select(Account.id).limit(1)) is None:
        _seed_chart(session, current.standard)
        mapping.seed_rules(session, current.standard)


def _seed_chart(session: Session, standard: str) -> None:
    ids: dict[str, int] = {}
    parents = {row.parent for row in charts.chart(standard) if row.parent}
    for row in charts.chart(standard):
        account = Account(code=row.code, name=row.name, category=row.category,
                          direction=row.direction, auxiliaries=row.auxiliaries,
                          parent_id=ids.get(row.parent) if row.parent else None,
                          level=1 + (len(row.code) - 4) // 2, leaf=row.code not in parents)
        session.add(account)
        session.flush()
        ids[row.code] = account.id


def choose_standard(session: Session, standard: str) -> AccountBook:
    """Set the book up under ``standard`` (``small`` or ``enterprise``): the chart and the
    general mapping rules are replaced; refused once a voucher is posted."""
    if standard not in STANDARDS:
        raise ValidationFailed(FieldError("INVALID", _("Unknown accounting standard "
                                                       "{standard}"), field="standard",
                                          standard=standard[:32]))
    current = book(session)
    if is_locked(session):
        raise ValidationFailed(FieldError("CHART_LOCKED", _("The accounting standard cannot "
                                                            "change after the first posting "
                                                            "or once opening balances are "
                                                            "set"),
                                          field="standard"))
    if current.standard == standard and session.scalar(select(Account.id).limit(1)):
        return current
    session.execute(delete(MappingRule))
    session.execute(delete(AccountBalance))  # only zeros: openings set and cleared again
    session.execute(delete(Account).where(Account.parent_id.is_not(None)))
    session.execute(delete(Account))
    current.standard = standard
    _seed_chart(session, standard)
    mapping.seed_rules(session, standard)
    return current


def is_locked(session: Session) -> bool:
    """Whether a voucher was posted or opening balances are set (the standard can no
    longer change)."""
    return bool(session.scalar(select(exists().select_from(VoucherLine)))
                or session.scalar(select(exists().select_from(OpeningBalance))))


def account_by_code(session: Session, code: str) -> Account | None:
    return session.scalar(select(Account).where(Account.code == code.strip()[:32]))


def add_sub_account(session: Session, parent_code: str, name: str, *,
                    auxiliaries: tuple[str, ...] = ()) -> Account:
    """A sub-account (明细科目) of ``parent_code`` with the next two-digit code; refused
    under an account that already has postings (they would no longer be on a leaf)."""
    errors: list[FieldError] = []
    parent = account_by_code(session, parent_code)
    if parent is None:
        errors.append(FieldError("NOT_FOUND", _("Unknown account {code}"), field="parentCode",
                                 code=parent_code.strip()[:32]))
    if not name.strip():
        errors.append(FieldError("REQUIRED", _("This field is required"), field="name"))
    unknown = [a for a in auxiliaries if a not in AUXILIARIES]
    if unknown:
        errors.append(FieldError("INVALID", _("Unknown auxiliary dimension {name}"),
                                 field="auxiliaries", name=unknown[0][:32]))
    if errors:
        raise ValidationFailed(errors)
    assert parent is not None
    if (session.scalar(select(exists().where(VoucherLine.account_id == parent.id)))
            or session.scalar(select(exists().where(OpeningBalance.account_id == parent.id)))):
        raise ValidationFailed(FieldError("ACCOUNT_IN_USE", _("Account {code} has postings "
                                                              "or an opening balance: it "
                                                              "cannot get sub-accounts"),
                                          field="parentCode", code=parent.code))
    siblings = list(session.scalars(select(Account.code).where(
        Account.parent_id == parent.id)))
    numbers = [int(c[len(parent.code):]) for c in siblings if c[len(parent.code):].isdigit()]
    following = max(numbers, default=0) + 1
    if following > MAX_SUB_ACCOUNTS:
        raise ValidationFailed(FieldError("INVALID", _("Account {code} has no free "
                                                       "sub-account code"),
                                          field="parentCode", code=parent.code))
    account = Account(code=f"{parent.code}{following:02d}", name=name.strip()[:128],
                      parent_id=parent.id, level=parent.level + 1, category=parent.category,
                      direction=parent.direction,
                      auxiliaries=",".join(auxiliaries) or parent.auxiliaries)
    parent.leaf = False
    session.add(account)
    session.flush()
    # Rules that pointed at the parent now point at its first child, so postings stay on
    # leaves.
    if not siblings:
        for rule in session.scalars(select(MappingRule).where(
                MappingRule.account_code == parent.code)):
            rule.account_code = account.code
        session.flush()
    return account
