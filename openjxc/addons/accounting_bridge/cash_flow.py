"""现金流量项目: the cash-flow statement's line items, and the tag each cash line gets when
it is posted.

The items are the official lines of the two statements (小企业会计准则 会小企03表, 企业会计准则
会企03表), grouped by activity, each with its direction.  An item has one short code in
both standards where the two statements have the same line (``CF01`` is 销售产成品、商品、
提供劳务收到的现金 in one and 销售商品、提供劳务收到的现金 in the other), so a rule survives a
change of standard made before the first posting; lines only one statement has belong to
that standard only.

When a voucher is posted (:func:`.ledger.post_voucher`), every line on a cash account
(库存现金, 银行存款, 其他货币资金 and their sub-accounts) gets the item of the voucher's
source type — the override in ``acc_cash_flow_rule`` if there is one, the built-in default
otherwise — or the item given on the line; other lines stay ``""``.  A voucher that only
moves money between cash accounts is no cash flow and gets no tag.  ``""`` on a cash line
is an unclassified movement (manual vouchers by default).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.orm import Session

from openjxc.core.errors import FieldError, ValidationFailed
from openjxc.core.i18n import LazyString, _

from . import charts, mapping
from .models import ENTERPRISE, SMALL, STANDARDS, AccountBook
from .models_books import CashFlowRule

OPERATING = "operating"
INVESTING = "investing"
FINANCING = "financing"
#: 汇率变动对现金及现金等价物的影响 (企业会计准则 only): neither in nor out.
EXCHANGE_RATE = "exchange_rate"
ACTIVITIES = (OPERATING, INVESTING, FINANCING, EXCHANGE_RATE)
IN = "in"
OUT = "out"
MANUAL = "manual"
#: The first-level accounts that hold cash (货币资金).
CASH_ACCOUNTS = ("库存现金", "银行存款", "其他货币资金")


@dataclass(frozen=True)
class Item:
    """A 现金流量项目 of one standard."""

    code: str
    name: LazyString
    activity: str
    direction: str

    @property
    def sign(self) -> int:
        """+1 when the item shows cash coming in (debit on the cash account), −1 out."""
        return -1 if self.direction == OUT else 1


_O, _I, _F = OPERATING, INVESTING, FINANCING

#: code, activity, direction, name under 小企业会计准则 (None: not on that statement),
#: name under 企业会计准则 — in the statements' order.
_ITEMS: tuple[tuple[str, str, str, LazyString | None, LazyString | None], ...] = (
    ("CF01", _O, IN, _("Cash received from sales of products and goods and from services"),
     _("Cash received from sales of goods and rendering of services")),
    ("CF02", _O, IN, None, _("Refunds of taxes and levies")),
    ("CF03", _O, IN, _("Other cash received relating to operating activities"),
     _("Other cash received relating to operating activities")),
    ("CF04", _O, OUT, _("Cash paid for raw materials, goods and services"),
     _("Cash paid for goods and services")),
    ("CF05", _O, OUT, _("Cash paid for employee compensation"),
     _("Cash paid to and on behalf of employees")),
    ("CF06", _O, OUT, _("Cash paid for taxes"), _("Payments of all types of taxes")),
    ("CF07", _O, OUT, _("Other cash paid relating to operating activities"),
     _("Other cash paid relating to operating activities")),
    ("CF11", _I, IN, _("Cash received from recovery of short-term investments, long-term "
                       "bond investments and long-term equity investments"),
     _("Cash received from disposal of investments")),
    ("CF12", _I, IN, _("Cash received from returns on investments"),
     _("Cash received from returns on investments")),
    ("CF13", _I, IN, _("Net cash received from disposal of fixed assets, intangible assets "
                       "and other non-current assets"),
     _("Net cash received from disposal of fixed assets, intangible assets and other "
       "long-term assets")),
    ("CF14", _I, IN, None, _("Net cash received from disposal of subsidiaries and other "
                             "business units")),
    ("CF15", _I, IN, None, _("Other cash received relating to investing activities")),
    ("CF16", _I, OUT, _("Cash paid to acquire and construct fixed assets, intangible assets "
                        "and other non-current assets"),
     _("Cash paid to acquire and construct fixed assets, intangible assets and other "
       "long-term assets")),
    ("CF17", _I, OUT, _("Cash paid for short-term investments, long-term bond investments "
                        "and long-term equity investments"),
     _("Cash paid to acquire investments")),
    ("CF18", _I, OUT, None, _("Net cash paid to acquire subsidiaries and other business "
                              "units")),
    ("CF19", _I, OUT, None, _("Other cash paid relating to investing activities")),
    ("CF21", _F, IN, _("Cash received from investors"),
     _("Cash received from capital contributions")),
    ("CF22", _F, IN, _("Cash received from borrowings"), _("Cash received from borrowings")),
    ("CF23", _F, IN, None, _("Other cash received relating to financing activities")),
    ("CF24", _F, OUT, _("Cash paid to repay loan principal"),
     _("Cash repayments of borrowings")),
    ("CF25", _F, OUT, _("Cash paid for loan interest"), None),
    ("CF26", _F, OUT, _("Cash paid for distribution of profits"),
     _("Cash paid for distribution of dividends or profits or for interest expenses")),
    ("CF27", _F, OUT, None, _("Other cash paid relating to financing activities")),
    ("CF31", EXCHANGE_RATE, IN, None,
     _("Effect of foreign exchange rate changes on cash and cash equivalents")),
)


#: 会小企03表 lists investments paid before fixed assets bought (第八十五条) and borrowings
#: before investors' money (第八十六条), unlike 会企03表.
_SMALL_ORDER = ("CF01", "CF03", "CF04", "CF05", "CF06", "CF07", "CF11", "CF12", "CF13",
                "CF17", "CF16", "CF22", "CF21", "CF24", "CF25", "CF26")


@cache
def items(standard: str) -> tuple[Item, ...]:
    """The items of ``standard``'s statement, in its order."""
    if standard not in STANDARDS:
        raise ValueError(standard)
    found = [Item(code, name, activity, direction)
             for code, activity, direction, small, enterprise in _ITEMS
             if (name := small if standard == SMALL else enterprise) is not None]
    if standard == SMALL:
        found.sort(key=lambda i: _SMALL_ORDER.index(i.code))
    return tuple(found)


def find(standard: str, code: str) -> Item | None:
    return next((i for i in items(standard) if i.code == code), None)


#: Source type → built-in item ("": unclassified).  A cash sale or purchase (an invoice
#: mapped to a cash account) counts as a receipt or a payment.
DEFAULTS: dict[str, str] = {
    mapping.RECEIPT: "CF01",
    mapping.SALES_INVOICE: "CF01",
    mapping.PAYMENT: "CF04",
    mapping.PURCHASE_INVOICE: "CF04",
    mapping.ASSET_ACQUIRED: "CF16",
    mapping.ASSET_DISPOSED: "CF13",
    mapping.STOCK: "",
    mapping.DEPRECIATION: "",
    MANUAL: "",
}
SOURCE_TYPES = tuple(sorted(DEFAULTS))


@cache
def cash_codes(standard: str) -> frozenset[str]:
    """The first-level codes of the cash accounts in ``standard``'s chart."""
    return frozenset(code for t in charts.FIRST_LEVEL
                     if t.name in CASH_ACCOUNTS and (code := t.code(standard)) is not None)


#: Cash in either chart: a voucher with none of these (or only these) needs no look-up.
_ANY_CASH = cash_codes(SMALL) | cash_codes(ENTERPRISE)


@cache
def _lookup() -> Any:
    """The book's standard and the override of source type ``:s``, in one statement."""
    return select(
        select(AccountBook.standard).where(AccountBook.id == 1).scalar_subquery(),
        select(CashFlowRule.item_code).where(CashFlowRule.source_type == bindparam("s"))
        .scalar_subquery())


def tags(session: Session, source_type: str,
         lines: Sequence[tuple[str, str | None]]) -> list[str]:
    """The item of each line ``(account code, item given or None)`` of a voucher of
    ``source_type``; refused (nothing changed) when a given item is unknown in the book's
    standard or sits on a line that is not on a cash account.  A voucher without cash lines
    or only with cash lines costs no statement; others one."""
    candidates = [code[:4] in _ANY_CASH for code, _item in lines]
    given = any(item for _code, item in lines)
    if not given and (not any(candidates) or all(candidates)):
        return [""] * len(lines)
    standard, override = session.execute(_lookup(), {"s": source_type}).one()
    standard = standard or SMALL
    cash = [code[:4] in cash_codes(standard) for code, _item in lines]
    errors: list[FieldError] = []
    for i, ((_code, item), is_cash) in enumerate(zip(lines, cash, strict=True)):
        if not item:
            continue
        if not is_cash:
            errors.append(FieldError("INVALID", _("Only a line on a cash account carries a "
                                                  "cash-flow item"),
                                     field=("lines", str(i), "cashFlowItem")))
        elif find(standard, item) is None:
            errors.append(FieldError("NOT_FOUND", _("Unknown cash-flow item {code}"),
                                     field=("lines", str(i), "cashFlowItem"), code=item[:8]))
    if errors:
        raise ValidationFailed(errors)
    if all(cash):
        return [""] * len(lines)
    default = (override if override and find(standard, override) is not None
               else DEFAULTS.get(source_type, ""))
    return [(item if item is not None else default) if is_cash else ""
            for (_code, item), is_cash in zip(lines, cash, strict=True)]


# -- rules ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    """The item a source type's cash lines get; ``overridden`` when the user set it."""

    source_type: str
    item_code: str
    overridden: bool


def book_standard(session: Session) -> str:
    """The book's accounting standard, without creating the book (small before it is)."""
    row = session.get(AccountBook, 1)
    return row.standard if row is not None else SMALL


def rules(session: Session) -> list[Rule]:
    """Every source type with the item it tags now (built-in unless overridden)."""
    standard = book_standard(session)
    stored = {source_type: code for source_type, code in session.execute(
        select(CashFlowRule.source_type, CashFlowRule.item_code))}
    found: list[Rule] = []
    for source_type in SOURCE_TYPES:
        code = stored.get(source_type)
        if code and find(standard, code) is not None:
            found.append(Rule(source_type, code, True))
        else:
            found.append(Rule(source_type, DEFAULTS[source_type], False))
    return found


def set_rule(session: Session, source_type: str, item_code: str) -> Rule:
    """Tag the cash lines of ``source_type``'s vouchers posted from now on with
    ``item_code`` (an item of the book's standard); ``""`` goes back to the built-in."""
    errors: list[FieldError] = []
    source_type, code = source_type.strip(), item_code.strip().upper()
    standard = book_standard(session)
    if source_type not in DEFAULTS:
        errors.append(FieldError("NOT_FOUND", _("Unknown source type {name}"),
                                 field="sourceType", name=source_type[:32]))
    if code and find(standard, code) is None:
        other = ENTERPRISE if standard == SMALL else SMALL
        if find(other, code) is not None:
            errors.append(FieldError("INVALID", _("Cash-flow item {code} is not on the "
                                                  "statement of the book's accounting "
                                                  "standard"), field="itemCode", code=code))
        else:
            errors.append(FieldError("NOT_FOUND", _("Unknown cash-flow item {code}"),
                                     field="itemCode", code=code[:8]))
    if errors:
        raise ValidationFailed(errors)
    if not code:
        session.execute(delete(CashFlowRule).where(CashFlowRule.source_type == source_type))
        session.flush()
        return Rule(source_type, DEFAULTS[source_type], False)
    row = session.scalar(select(CashFlowRule).where(CashFlowRule.source_type == source_type))
    if row is None:
        row = CashFlowRule(source_type=source_type, item_code=code)
        session.add(row)
    row.item_code = code
    session.flush()
    return Rule(source_type, code, True)
