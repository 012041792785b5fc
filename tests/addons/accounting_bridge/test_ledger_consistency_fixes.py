"""Three holes the ledger invariant suite found between the books and their documents'
own ledgers, closed on SQLite and PostgreSQL:

* a month closes only after its depreciation run (计提折旧 before 结账), and a disposal
  takes the depreciation the books hold, so 累计折旧 (1602) leaves with the asset;
* a voucher of a stock document, an asset or a depreciation run is not reversed alone
  (1405, 1601, 1602 would leave the stock ledger and the asset cards);
* a stock move of no value is refused in a closed month like any other.

Every refusal is localised and changes nothing.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from accounting_support import World, build_world
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from openjxc.addons.accounting_bridge import ledger
from openjxc.addons.accounting_bridge.models import AccountingPeriod, Voucher
from openjxc.addons.accounting_bridge.opening import set_opening_balances
from openjxc.addons.base_jxc.stock.models import StockMove
from openjxc.addons.depreciation import settings as depreciation_settings
from openjxc.addons.depreciation.assets import AssetInput, create_asset
from openjxc.addons.depreciation.disposal import dispose_asset
from openjxc.addons.depreciation.models import DepreciationLine, DepreciationPeriod
from openjxc.addons.depreciation.runs import run_depreciation
from openjxc.graphql.relay import to_global_id
from openjxc.testing.graphql import GraphQLTester

D = Decimal
MARCH, APRIL, MAY = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)
CLOSE = """mutation($p: String!) { periodClose(input: {period: $p}) {
  period { closed } errors { code field message } } }"""
REVERSE = """mutation($id: ID!) { voucherReverse(input: {voucherId: $id}) {
  voucher { number } errors { code field message } } }"""


@pytest.fixture
def world(database_url: str) -> World:
    return build_world(database_url)


def asset(world: World) -> int:
    """1,200 over three months, no residual: 400.00 a month from April."""
    return int(world.run(lambda s: create_asset(s, AssetInput(
        name="打包机", category_code="MACHINERY", cost=D("1200"), acquired_on=date(2026, 3, 15),
        life_months=3, residual_rate=D(0)))).id)


def closed(world: World, period: date) -> tuple[bool, bool]:
    with world.uow(readonly=True) as s:
        return ledger.is_closed(s, period), depreciation_settings.is_closed(s, period)


def counts(world: World) -> tuple[int, int, int]:
    with world.uow(readonly=True) as s:
        return (s.scalar(select(func.count()).select_from(Voucher)) or 0,
                s.scalar(select(func.count()).select_from(StockMove)) or 0,
                s.scalar(select(func.count()).select_from(DepreciationLine)) or 0)


def test_a_month_closes_only_after_its_depreciation_run(world: World) -> None:
    asset_id = asset(world)
    before = counts(world)
    refused = GraphQLTester(world.env, locale="zh_CN").ok(CLOSE, {"p": "2026-04"})
    assert refused["periodClose"] == {"period": None, "errors": [
        {"code": "DEPRECIATION_NOT_RUN", "field": ["period"],
         "message": "请先计提 2026-04 的折旧再结账"}]}
    english = GraphQLTester(world.env, locale="en").ok(CLOSE, {"p": "2026-04"})
    assert english["periodClose"]["errors"][0]["message"] == (
        "Run the depreciation of 2026-04 before closing it")
    assert world.refusal(lambda s: depreciation_settings.close_period(s, APRIL)) == [
        ("DEPRECIATION_NOT_RUN", ("period",))]
    assert closed(world, APRIL) == (False, False) and counts(world) == before
    world.run(lambda s: ledger.close_period(s, MARCH))         # nothing due in March

    world.run(lambda s: run_depreciation(s, APRIL))
    world.run(lambda s: ledger.close_period(s, APRIL))
    assert closed(world, APRIL) == (True, True)
    scrapped = world.run(lambda s: dispose_asset(s, asset_id, kind="scrap",
                                                 disposed_on=date(2026, 5, 20)))
    assert (scrapped.disposal_depreciation, scrapped.gain_loss) == (D("800.00"),
                                                                    D("-400.00"))
    world.run(lambda s: run_depreciation(s, MAY))               # 当月减少的当月照提
    assert (world.balance("1601"), world.balance("1602")) == (D(0), D(0))
    assert world.unbalanced() == []


def test_a_disposal_takes_the_depreciation_the_books_hold(world: World) -> None:
    # April closed without its run before the rule (data from an older release):
    # nothing of April is in 1602, so the disposal takes off only what was posted.
    asset_id = asset(world)

    def close_april_unrun(s: Session) -> None:
        s.add(AccountingPeriod(period=APRIL, closed=True))
        s.add(DepreciationPeriod(period=APRIL, closed=True))

    world.run(close_april_unrun)
    scrapped = world.run(lambda s: dispose_asset(s, asset_id, kind="scrap",
                                                 disposed_on=date(2026, 5, 20)))
    assert (scrapped.disposal_depreciation, scrapped.disposal_net_value,
            scrapped.gain_loss) == (D("400.00"), D("800.00"), D("-800.00"))
    world.run(lambda s: run_depreciation(s, MAY))
    assert (world.balance("1601"), world.balance("1602")) == (D(0), D(0))


def test_an_open_month_not_yet_run_counts_as_it_will_be_run(world: World) -> None:
    asset_id = asset(world)
    scrapped = world.run(lambda s: dispose_asset(s, asset_id, kind="scrap",
                                                 disposed_on=date(2026, 5, 20)))
    assert scrapped.disposal_depreciation == D("800.00")
    world.run(lambda s: run_depreciation(s, APRIL))             # due before April closes
    world.run(lambda s: run_depreciation(s, MAY))
    assert (world.balance("1601"), world.balance("1602")) == (D(0), D(0))


def voucher_of(world: World, source: str) -> int:
    with world.uow(readonly=True) as s:
        found = s.scalar(select(Voucher.id).where(Voucher.source_type == source)
                         .order_by(Voucher.id).limit(1))
        assert found is not None
        return int(found)


def test_a_voucher_made_from_a_document_is_corrected_through_it(world: World) -> None:
    world.run(lambda s: world.receive(s, D(10), D("8.50")))
    asset_id = asset(world)
    world.run(lambda s: run_depreciation(s, APRIL))
    world.run(lambda s: dispose_asset(s, asset_id, kind="scrap",
                                      disposed_on=date(2026, 4, 20)))
    world.run(lambda s: world.pay(s, "receivable", D("100")))
    before = counts(world)
    api = GraphQLTester(world.env, locale="zh_CN")
    stock = api.ok(REVERSE, {"id": to_global_id("Voucher", voucher_of(world, "stock"))})
    assert stock["voucherReverse"] == {"voucher": None, "errors": [
        {"code": "VOUCHER_FROM_DOCUMENT", "field": ["voucher"],
         "message": "凭证 记-0001 由库存单据生成：请通过其单据更正（冲销库存移动）"}]}
    english = GraphQLTester(world.env, locale="en").ok(
        REVERSE, {"id": to_global_id("Voucher", voucher_of(world, "asset.acquired"))})
    assert english["voucherReverse"]["errors"][0]["message"] == (
        "Voucher 记-0002 comes from the fixed assets: correct it through its document "
        "(the asset card, the disposal or the depreciation run)")
    for source in ("depreciation", "asset.disposed"):
        assert world.refusal(lambda s, source=source: ledger.reverse_voucher(
            s, voucher_of(world, source))) == [("VOUCHER_FROM_DOCUMENT", ("voucher",))]
    assert counts(world) == before
    assert (world.balance("1405"), world.stock_value()) == (D("85.00"), D("85.00"))
    # A payment's voucher is still reversed with a red voucher.
    red = world.run(lambda s: ledger.reverse_voucher(s, voucher_of(world,
                                                                   "payment.receipt")))
    assert red.reversal_of_id == voucher_of(world, "payment.receipt")


def test_goods_of_no_value_are_refused_in_a_closed_month(world: World) -> None:
    world.run(lambda s: ledger.close_period(s, MARCH))
    before = counts(world)
    assert world.refusal(lambda s: world.receive(s, D(5), D(0), date(2026, 3, 20))) == [
        ("PERIOD_CLOSED", ("date",))]
    assert counts(world) == before
    world.run(lambda s: world.receive(s, D(5), D(0), date(2026, 4, 2)))
    assert counts(world) == (before[0], before[1] + 1, before[2])   # no value, no voucher


def test_goods_of_no_value_are_refused_before_the_book_opens(world: World) -> None:
    world.run(lambda s: set_opening_balances(s, APRIL, []))
    before = counts(world)
    assert world.refusal(lambda s: world.receive(s, D(5), D(0), date(2026, 3, 20))) == [
        ("PERIOD_CLOSED", ("date",))]
    assert counts(world) == before

