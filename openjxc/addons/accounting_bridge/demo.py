"""The enterprise demo's ledger (``openjxc demo --edition enterprise``).

The demo installs every addon before any demo data is loaded, so base_jxc's and
depreciation's demo events already post their vouchers (stock from the first receipt,
assets from their acquisition, depreciation, invoices, payments).  What no voucher covers
is the money the company started with: the book opens in the month of the first voucher
with the owners' capital in the bank (实收资本 / 银行存款) — nothing else, so nothing is
counted twice.  The export codes show how our accounts map to a 用友/金蝶 chart.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.stock.posting import business_today
from openjxc.core.env import Environment

from . import exports
from .ledger import month_start
from .models import Voucher
from .opening import OpeningLine, set_opening_balances

CAPITAL = Decimal("3000000.00")
#: (format, our account, the target's code): the bank's sub-account in the target book.
EXPORT_CODES = (("u8_txt", "1002", "100201"), ("kis_xlsx", "1002", "1002.01"))


def load_demo(session: Session, env: Environment) -> None:
    """Open the demo book with its capital and remember a few export codes."""
    first = session.scalar(select(func.min(Voucher.period)))
    set_opening_balances(session, first or month_start(business_today(session)), [
        OpeningLine("1002", debit=CAPITAL), OpeningLine(_capital_code(session),
                                                        credit=CAPITAL)])
    for fmt, account_code, target_code in EXPORT_CODES:
        exports.set_export_code(session, fmt, account_code, target_code)


def _capital_code(session: Session) -> str:
    """实收资本: 3001 in 小企业会计准则, 4001 in 企业会计准则."""
    from .books import book

    return "3001" if book(session).standard == "small" else "4001"
