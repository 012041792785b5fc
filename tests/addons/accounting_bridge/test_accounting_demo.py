"""The enterprise demo's ledger (``openjxc demo --edition enterprise``): the demo's events
post their vouchers as they are loaded; the book opens in the month of the first voucher
with the owners' capital in the bank and nothing else (no double counting), and then

* the trial balance balances, openings included, and so does the balance sheet;
* the ledger agrees with the business: 库存商品 = base_jxc's stock valuation, 固定资产 = the
  cost of the assets kept, 累计折旧 = their posted depreciation;
* the export codes the demo remembers are there.

The demo takes a while to load: one test per backend, on a copy of the run's enterprise
demo (:func:`create_test_demo`).
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openjxc.addons.accounting_bridge import ledger, opening, reports, statements
from openjxc.addons.accounting_bridge.demo import CAPITAL
from openjxc.addons.accounting_bridge.models import AccountBalance, ExportCode, Voucher
from openjxc.addons.base_jxc.stock.models import Location
from openjxc.addons.base_jxc.stock.posting import business_today
from openjxc.addons.base_jxc.stock.queries import stock_as_of
from openjxc.addons.depreciation.models import ACTIVE, BOOK, Asset, DepreciationLine
from openjxc.core.env import Environment
from openjxc.testing.fixtures import create_test_demo

D = Decimal
STOCK_KINDS = ("internal", "transit", "quarantine")


def test_the_enterprise_demo_keeps_a_consistent_ledger(database_url: str) -> None:
    create_test_demo(database_url, "enterprise")  # what `openjxc demo` makes
    env = Environment.for_edition("enterprise", database_url=database_url)
    try:
        with env.unit_of_work(readonly=True) as session:
            _opens_with_capital_only(session)
            _reports_balance(session)
            _ledger_agrees_with_the_business(session)
            assert {(c.format, c.account_code, c.target_code)
                    for c in session.scalars(select(ExportCode))} == {
                ("u8_txt", "1002", "100201"), ("kis_xlsx", "1002", "1002.01")}
    finally:
        env.database.dispose()


def _opens_with_capital_only(session: Session) -> None:
    first, rows = opening.opening_balances(session)
    assert first == session.scalar(select(func.min(Voucher.period)))
    assert [(r.account_code, r.debit, r.credit) for r in rows] == [
        ("1002", CAPITAL, D(0)), ("3001", D(0), CAPITAL)]
    assert first is not None
    # Written as the month before's balances: the first month's trial balance opens with
    # them and nothing else.
    assert session.scalar(select(func.count()).select_from(AccountBalance).where(
        AccountBalance.period < first)) == 2
    trial = {r.code: r for r in reports.trial_balance(session, first)}
    assert (trial["1002"].opening, trial["3001"].opening) == (CAPITAL, -CAPITAL)
    assert all(r.opening == 0 for code, r in trial.items() if code not in ("1002", "3001"))


def _reports_balance(session: Session) -> None:
    today = business_today(session)
    top = [r for r in reports.trial_balance(session, today) if r.level == 1]
    assert top and sum((r.opening for r in top), D(0)) == 0
    assert sum((r.debit for r in top), D(0)) == sum((r.credit for r in top), D(0))
    assert sum((r.closing for r in top), D(0)) == 0
    sheet = {r.key: r.amount for r in statements.balance_sheet(session, today)}
    assert sheet["total_assets"] == sheet["total_liabilities_equity"] != 0
    assert sheet["capital"] == CAPITAL and sheet["cash"] > 0


def _ledger_agrees_with_the_business(session: Session) -> None:
    today = business_today(session)
    kinds = {i: k for i, k in session.execute(select(Location.id, Location.kind))}
    stock = sum((r.value for r in stock_as_of(session, today)
                 if kinds[r.location_id] in STOCK_KINDS), D("0.00"))
    assert stock > 0 and ledger.account_balance(session, "1405") == stock
    kept = list(session.scalars(select(Asset).where(Asset.state == ACTIVE)))
    assert ledger.account_balance(session, "1601") == sum((a.cost for a in kept), D(0))
    posted = session.scalar(select(func.sum(DepreciationLine.amount)).where(
        DepreciationLine.book == BOOK, DepreciationLine.asset_id.in_([a.id for a in kept])))
    assert ledger.account_balance(session, "1602") == -D(posted or 0)
