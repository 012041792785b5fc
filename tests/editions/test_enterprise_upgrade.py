"""The edition upgrade to Enterprise (issue 7, "Both"): a Pro database full of the demo
dealer's data gets ``openjxc install depreciation accounting_bridge``, and

* nothing the Pro addons own changes (every ``jxc_``/``sw_``/``svc_``/``swo_`` row, byte for
  byte) — through the install and through the opening of the book;
* the book opens on the current month: the suggestions tie to the business data as of its
  first day (stock value by stock account, customers' and suppliers' balances, an old
  machine's cost and the depreciation its schedule ran before the month); the openings
  are set, balanced; the machine, acquired two years ago and "taken on", posts no
  acquisition voucher, nor does depreciation of a month before the book;
* the month's documents made before the install get their vouchers when the book opens,
  and new events post balanced vouchers: a receipt, a delivery, a sales invoice, a
  payment, a new asset, the month's depreciation run;
* the trial balance balances with the openings in it, the balance sheet balances, and the
  ledger agrees with the business: stock accounts = stock valuation, 应收账款/应付账款 =
  partners' balances, 固定资产/累计折旧 = the asset cards.

The demo takes a while to load: one test per backend, on a copy of the run's Pro demo
(:func:`create_test_demo`).
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import MetaData, func, inspect, select
from sqlalchemy.orm import Session

from openjxc.addons.accounting_bridge import ledger, reports, statements
from openjxc.addons.accounting_bridge.models import Voucher, VoucherLine
from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.invoicing.balances import partner_balances
from openjxc.addons.base_jxc.invoicing.payments import create_payment
from openjxc.addons.base_jxc.invoicing.services import InvoiceLineInput, create_invoice
from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.addons.base_jxc.stock.models import Location
from openjxc.addons.base_jxc.stock.posting import MoveLine, business_today, post_moves
from openjxc.addons.base_jxc.stock.queries import stock_as_of
from openjxc.addons.base_jxc.stock.warehouses import company_location
from openjxc.addons.depreciation.assets import AssetInput, create_asset
from openjxc.addons.depreciation.models import Asset
from openjxc.addons.depreciation.runs import run_depreciation
from openjxc.addons.depreciation.schedule import add_months
from openjxc.core.env import Environment
from openjxc.core.migrate import install_addons
from openjxc.testing.fixtures import create_test_demo
from openjxc.testing.graphql import GraphQLTester

D = Decimal
PRO_PREFIXES = ("jxc_", "sw_", "svc_", "swo_")
STOCK_KINDS = ("internal", "transit", "quarantine")
SUGGEST = """query($m: String!) { openingBalanceSuggestions(opensOn: $m) {
  opensOn difference totalDebit totalCredit
  lines { accountCode source debit credit customerCode supplierCode } } }"""
SET = """mutation($input: OpeningBalancesSetInput!) { openingBalancesSet(input: $input) {
  openingBalances { opensOn totalDebit totalCredit lines { accountCode debit credit } }
  errors { field code message } } }"""
TRIAL = """query($p: String!) { trialBalance(period: $p) {
  accountCode level opening debit credit closing } }"""


@pytest.mark.slow  # started first (tests/conftest.py)
def test_a_pro_demo_database_upgrades_to_enterprise(database_url: str) -> None:
    create_test_demo(database_url, "pro")  # what `openjxc demo --edition pro` makes
    pro = Environment.for_edition("pro", database_url=database_url)
    try:
        before = pro_tables(pro)
        assert before["jxc_stock_move"][0] > 0 and before["jxc_invoice"][0] > 0

        enterprise = install_addons(pro, ["depreciation", "accounting_bridge"])
        assert {"depreciation", "accounting_bridge"} <= set(enterprise.addon_names)
        assert pro_tables(enterprise) == before
        assert count(enterprise, Voucher) == 0  # nothing is posted by the install
        api = GraphQLTester(enterprise)
        _open_the_book(enterprise, api, before)
        _new_events_post_vouchers(enterprise)
        _the_ledger_agrees_with_the_business(enterprise, api)
    finally:
        pro.database.dispose()


def _open_the_book(env: Environment, api: GraphQLTester,
                   before: dict[str, tuple[int, str]]) -> None:
    with env.unit_of_work(readonly=True) as session:
        today = business_today(session)
    first = today.replace(day=1)
    month = f"{first:%Y-%m}"
    # The book opens first (an empty set), so the old machine entered next is taken on.
    opened = api.ok(SET, {"input": {"opensOn": month, "lines": []}})["openingBalancesSet"]
    assert opened["errors"] == [] and opened["openingBalances"]["opensOn"] == month
    # Opening the book posted the month's documents made before the install.
    caught_up = count(env, Voucher)
    assert caught_up > 0
    with env.unit_of_work(readonly=True) as session:
        assert session.scalar(select(func.min(Voucher.period))) == first
    assert pro_tables(env) == before

    with env.unit_of_work() as session:
        old = create_asset(session, AssetInput(
            code="GZ-OLD", name="旧数控车床", category_code="MACHINERY", cost=D("120000.00"),
            acquired_on=add_months(first, -24).replace(day=15), department="生产部"))
        assert old.starts_on == add_months(first, -23)
        # The depreciation module catches up last month: in the openings, no voucher.
        run_depreciation(session, add_months(first, -1))
    assert count(env, Voucher) == caught_up  # taken on: no acquisition, no depreciation

    found = api.ok(SUGGEST, {"m": month})["openingBalanceSuggestions"]
    by_source: dict[tuple[str, str], D] = {}
    for line in found["lines"]:
        key = (line["source"], line["accountCode"])
        by_source[key] = by_source.get(key, D(0)) + D(line["debit"]) - D(line["credit"])
    with env.unit_of_work(readonly=True) as session:
        assert by_source[("STOCK", "1405")] == stock_value(session, first - timedelta(days=1))
    # 23 months of straight line before the book: (120000 − 5%) ÷ 120 = 950.00 a month.
    assert by_source[("FIXED_ASSETS", "1601")] == D("120000.00")
    assert by_source[("DEPRECIATION", "1602")] == D("-21850.00")
    receivables = [line for line in found["lines"] if line["source"] == "RECEIVABLES"]
    assert receivables and all(line["customerCode"] for line in receivables)
    difference = D(found["difference"])
    assert difference == D(found["totalDebit"]) - D(found["totalCredit"])

    lines = [{k: v for k, v in line.items() if k != "source"} for line in found["lines"]]
    # Not balanced: refused, with the difference stated, nothing changed.
    refused = api.ok(SET, {"input": {"opensOn": month, "lines": lines}})["openingBalancesSet"]
    assert [e["code"] for e in refused["errors"]] == ["OPENING_UNBALANCED"]
    assert str(abs(difference)) in refused["errors"][0]["message"]
    # The rest is the owners' capital and the bank.
    capital = D("5000000.00")
    lines += [{"accountCode": "3001", "debit": "0", "credit": str(capital)},
              {"accountCode": "1002", "debit": str(capital - difference), "credit": "0"}]
    done = api.ok(SET, {"input": {"opensOn": month, "lines": lines}})["openingBalancesSet"]
    assert done["errors"] == []
    total = done["openingBalances"]["totalDebit"]
    assert total == done["openingBalances"]["totalCredit"] and D(total) > capital
    assert count(env, Voucher) == caught_up  # the second set posts nothing again
    assert pro_tables(env) == before

    trial = api.ok(TRIAL, {"p": month})["trialBalance"]
    opening = {r["accountCode"]: D(r["opening"]) for r in trial}
    assert opening["1405"] == by_source[("STOCK", "1405")]
    assert opening["1002"] == capital - difference and opening["3001"] == -capital
    assert sum(D(r["opening"]) for r in trial if r["level"] == 1) == 0


def _new_events_post_vouchers(env: Environment) -> None:
    with env.unit_of_work() as session:
        today = business_today(session)
        posted = count_in(session, Voucher)
        product = session.scalar(select(Product.id).where(Product.tracking == "none")
                                 .order_by(Product.id).limit(1))
        stock = session.scalar(select(Location.id).where(Location.kind == "internal")
                               .order_by(Location.id).limit(1))
        customer = session.scalar(select(Partner.id).where(Partner.is_customer.is_(True))
                                  .order_by(Partner.id).limit(1))
        assert product and stock and customer
        post_moves(session, [MoveLine(product_id=product, quantity=D(10),
                                      from_location_id=company_location(session, "supplier").id,
                                      to_location_id=stock, unit_cost=D("55.00"))],
                   move_date=today, origin_type="purchase.receipt", reference="UPG-IN")
        post_moves(session, [MoveLine(product_id=product, quantity=D(4),
                                      from_location_id=stock,
                                      to_location_id=company_location(session, "customer").id)],
                   move_date=today, origin_type="sales.delivery", reference="UPG-OUT")
        invoice = create_invoice(session, partner_id=customer, direction="receivable",
                                 invoice_date=today, lines=[InvoiceLineInput(
                                     product_id=product, description="升级后销售",
                                     quantity=D(4), unit_price=D("100.00"),
                                     tax_rate=D("0.13"))])
        create_payment(session, partner_id=customer, direction="receivable",
                       amount=D("452.00"), payment_date=today,
                       allocations=[(invoice.id, D("452.00"))])
        create_asset(session, AssetInput(code="GZ-NEW", name="新叉车", category_code="VEHICLES",
                                         cost=D("60000.00"), acquired_on=today,
                                         department="仓储部"))
        result = run_depreciation(session, today)
        assert result.book_total == D("950.00")  # the old machine; the new one starts later
        new = list(session.scalars(select(Voucher).where(Voucher.id > _max_id(
            session, posted)).order_by(Voucher.id)))
        assert [v.source_type for v in new] == [
            "stock", "stock", "sales.invoice", "payment.receipt", "asset.acquired",
            "depreciation"]
        for voucher in new:
            debit, credit = session.execute(
                select(func.sum(VoucherLine.debit), func.sum(VoucherLine.credit))
                .where(VoucherLine.voucher_id == voucher.id)).one()
            assert debit == credit == voucher.total and voucher.period == today.replace(day=1)


def _the_ledger_agrees_with_the_business(env: Environment, api: GraphQLTester) -> None:
    with env.unit_of_work(readonly=True) as session:
        today = business_today(session)
        month = f"{today:%Y-%m}"
        trial = reports.trial_balance(session, today)
        top = [r for r in trial if r.level == 1]
        assert sum(r.opening for r in top) == 0 and sum(r.closing for r in top) == 0
        assert sum(r.debit for r in top) == sum(r.credit for r in top)
        sheet = {r.key: r.amount for r in statements.balance_sheet(session, today)}
        assert sheet["total_assets"] == sheet["total_liabilities_equity"]

        assert ledger.account_balance(session, "1405") == stock_value(session, today)
        balances = partner_balances(session).values()
        assert ledger.account_balance(session, "1122") == sum(
            (b.receivable.balance for b in balances), D(0))
        assert ledger.account_balance(session, "2202") == -sum(
            (b.payable.balance for b in balances), D(0))
        assets = list(session.scalars(select(Asset)))
        assert ledger.account_balance(session, "1601") == sum((a.cost for a in assets), D(0))
        assert ledger.account_balance(session, "1602") == D("-22800.00")  # 24 × 950
    assert api.ok(TRIAL, {"p": month})["trialBalance"]


# -- what the test compares ----------------------------------------------------------------

def pro_tables(env: Environment) -> dict[str, tuple[int, str]]:
    """Every table of the Pro addons: its row count and a checksum of all its rows."""
    with env.database.engine.connect() as conn:
        names = sorted(n for n in inspect(conn).get_table_names()
                       if n.startswith(PRO_PREFIXES))
        metadata = MetaData()
        metadata.reflect(conn, only=names)
        found = {}
        for name in names:
            digest, rows = hashlib.sha256(), 0
            table = metadata.tables[name]
            order = list(table.primary_key.columns) or list(table.columns)
            for row in conn.execute(select(table).order_by(*order)):
                digest.update(repr(tuple(row)).encode())
                rows += 1
            found[name] = (rows, digest.hexdigest())
        return found


def stock_value(session: Session, day: date) -> D:
    """base_jxc's stock valuation at the end of ``day``, in the locations 库存商品 holds."""
    rows = stock_as_of(session, day)
    kinds = dict(session.execute(select(Location.id, Location.kind)).all())
    return sum((r.value for r in rows if kinds[r.location_id] in STOCK_KINDS), D("0.00"))


def _max_id(session: Session, posted: int) -> int:
    ids = list(session.scalars(select(Voucher.id).order_by(Voucher.id).limit(posted)))
    return ids[-1] if ids else 0


def count(env: Environment, model: type) -> int:
    with env.unit_of_work(readonly=True) as session:
        return count_in(session, model)


def count_in(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)
