"""The cash-flow statement (现金流量表) from the 现金流量项目 on the cash lines, on SQLite
and PostgreSQL: a row per item of the book's standard, the activities' net flows, the
unclassified movements, and the cash at both ends read from the ledger's balances — it
ties to what the cash accounts moved."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from accounting_support import World, build_world
from sqlalchemy import select

from openjxc.addons.accounting_bridge import books, cash_flow, ledger, mapping, statements
from openjxc.addons.accounting_bridge.ledger import Draft
from openjxc.addons.accounting_bridge.models import Account, AccountBalance, Voucher
from openjxc.addons.depreciation.assets import AssetInput, create_asset
from openjxc.addons.depreciation.disposal import dispose_asset
from openjxc.core.i18n import Translator

D = Decimal
MARCH = date(2026, 3, 1)
#: 会小企03表's order: investments paid before fixed assets bought, borrowings before
#: investors' money (会企03表 has them the other way round).
SMALL_KEYS = ["CF01", "CF03", "CF04", "CF05", "CF06", "CF07", "net_operating",
              "CF11", "CF12", "CF13", "CF17", "CF16", "net_investing",
              "CF22", "CF21", "CF24", "CF25", "CF26", "net_financing",
              "unclassified", "net_change", "beginning_cash", "ending_cash"]


@pytest.fixture
def world(database_url: str) -> World:
    return build_world(database_url)


def manual(day: date, lines: list[tuple[str, str, str, str | None]]) -> Any:
    def post(s: Any) -> Any:
        draft = Draft(voucher_date=day, summary="test")
        for i, (code, debit, credit, item) in enumerate(lines):
            draft.add(code, debit=D(debit), credit=D(credit), summary=str(i),
                      cash_flow_item=item)
        return ledger.post_voucher(s, draft)
    return post


def statement(world: World, period: date) -> dict[str, tuple[Decimal, Decimal]]:
    """key → (the month, the year to date)."""
    with world.uow(readonly=True) as s:
        rows = statements.cash_flow_statement(s, period)
    assert all(r.year_to_date is not None for r in rows)
    return {r.key: (r.amount, r.year_to_date or D(0)) for r in rows}


def zh(world: World, msgid: str) -> str:
    return Translator.for_environment(world.env).translate(msgid, "zh_CN")


def cash(world: World) -> Decimal:
    return sum((world.balance(c) for c in ("1001", "1002", "1012")), D(0))


def opening_cash(world: World, code: str, amount: Decimal, period: date) -> None:
    """A balance row without a voucher, as opening balances are kept."""
    def put(s: Any) -> None:
        account = s.scalar(select(Account.id).where(Account.code == code))
        s.add(AccountBalance(account_id=account, period=period, debit=amount, credit=D(0)))
    world.run(put)


def test_a_month_by_item_and_activity_ties_to_the_cash_accounts(world: World) -> None:
    opening_cash(world, "1001", D("5000"), date(2025, 12, 1))
    world.run(manual(date(2026, 2, 3), [("1002", "10000", "0", "CF21"),
                                        ("3001", "0", "10000", None)]))
    assert cash(world) == D("15000.00")
    world.run(lambda s: world.pay(s, "receivable", D("226")))
    world.run(lambda s: world.pay(s, "payable", D("96.05")))
    world.run(lambda s: mapping.set_rule(s, mapping.RuleInput(
        document="asset.acquired", role="counterpart", account_code="1002")))
    asset = world.run(lambda s: create_asset(s, AssetInput(
        name="叉车", cost=D("12000"), acquired_on=date(2026, 3, 2),
        category_code="MACHINERY")))
    world.run(lambda s: dispose_asset(s, asset.id, disposed_on=date(2026, 3, 20),
                                      kind="sale", proceeds=D("11000"), costs=D("100")))
    world.run(manual(date(2026, 3, 4), [("1002", "40", "0", None),
                                        ("2241", "0", "40", None)]))
    world.run(manual(date(2026, 3, 5), [("1001", "500", "0", None),
                                        ("1002", "0", "500", None)]))
    rows = statement(world, date(2026, 3, 31))
    assert list(rows) == SMALL_KEYS
    month = {k: v[0] for k, v in rows.items() if v[0]}
    assert month == {"CF01": D("226.00"), "CF04": D("96.05"), "net_operating": D("129.95"),
                     "CF13": D("10900.00"), "CF16": D("12000.00"),
                     "net_investing": D("-1100.00"), "unclassified": D("40.00"),
                     "net_change": D("-930.05"), "beginning_cash": D("15000.00"),
                     "ending_cash": D("14069.95")}
    year = {k: v[1] for k, v in rows.items() if v[1]}
    assert year == {**month, "CF21": D("10000.00"), "net_financing": D("10000.00"),
                    "net_change": D("9069.95"), "beginning_cash": D("5000.00")}
    assert rows["ending_cash"][0] == cash(world)
    assert rows["ending_cash"][0] - rows["beginning_cash"][0] == rows["net_change"][0]


def test_the_beginning_is_read_from_the_balances_not_from_vouchers(world: World) -> None:
    opening_cash(world, "1002", D("800"), date(2026, 2, 1))
    rows = statement(world, MARCH)
    assert rows["beginning_cash"] == (D("800.00"), D("0.00"))
    assert rows["ending_cash"] == (D("800.00"), D("800.00"))
    assert rows["net_change"] == (D("0.00"), D("800.00"))
    feb = statement(world, date(2026, 2, 1))
    # Not from a voucher: the month shows the movement as unclassified, and still ties.
    assert feb["beginning_cash"][0] == 0 and feb["unclassified"][0] == D("800.00")


def test_a_reversal_in_a_later_month_takes_its_item_back(world: World) -> None:
    receipt = world.run(lambda s: world.pay(s, "receivable", D("300")))
    with world.uow(readonly=True) as s:
        voucher = s.scalar(select(Voucher.id).where(Voucher.source_id == receipt.id,
                                                   Voucher.source_type == "payment.receipt"))
    assert voucher is not None
    world.run(lambda s: ledger.reverse_voucher(s, voucher, on=date(2026, 4, 2)))
    april = statement(world, date(2026, 4, 1))
    assert april["CF01"] == (D("-300.00"), D("0.00"))
    assert april["unclassified"] == (D("0.00"), D("0.00"))
    assert april["net_change"][0] == D("-300.00") and april["ending_cash"][0] == 0


def test_the_enterprise_statement_has_its_own_lines(world: World) -> None:
    world.run(lambda s: books.choose_standard(s, "enterprise"))
    world.run(manual(date(2026, 3, 3), [("1002", "70", "0", "CF31"),
                                        ("6603", "0", "70", None)]))
    world.run(manual(date(2026, 3, 3), [("1002", "12", "0", "CF02"),
                                        ("6001", "0", "12", None)]))
    rows = statement(world, MARCH)
    keys = list(rows)
    assert keys[:9] == ["CF01", "CF02", "CF03", "CF04", "CF05", "CF06", "CF07",
                        "net_operating", "CF11"]
    assert "CF25" not in keys and "CF14" in keys and "CF27" in keys
    assert keys.index("CF16") < keys.index("CF17") and keys.index("CF21") < keys.index("CF22")
    assert keys[-6:] == ["net_financing", "CF31", "unclassified", "net_change",
                         "beginning_cash", "ending_cash"]
    assert rows["CF31"][0] == D("70.00") and rows["CF02"][0] == D("12.00")
    assert rows["net_operating"][0] == D("12.00") and rows["net_change"][0] == D("82.00")
    with world.uow(readonly=True) as s:
        labels = {r.key: zh(world, r.label.msgid)
                  for r in statements.cash_flow_statement(s, MARCH)}
    assert labels["CF01"] == "销售商品、提供劳务收到的现金"
    assert labels["CF31"] == "汇率变动对现金及现金等价物的影响"
    assert labels["net_change"] == "现金及现金等价物净增加额"


def test_the_small_enterprise_captions_are_the_official_ones(world: World) -> None:
    with world.uow(readonly=True) as s:
        labels = {r.key: zh(world, r.label.msgid)
                  for r in statements.cash_flow_statement(s, MARCH)}
    assert labels["CF01"] == "销售产成品、商品、提供劳务收到的现金"
    assert labels["CF16"] == "购建固定资产、无形资产和其他非流动资产支付的现金"
    assert labels["CF25"] == "偿还借款利息支付的现金"
    assert labels["net_operating"] == "经营活动产生的现金流量净额"
    assert labels["ending_cash"] == "期末现金余额"
    for standard in ("small", "enterprise"):
        codes = [i.code for i in cash_flow.items(standard)]
        assert len(codes) == len(set(codes)) and all(len(c) <= 8 for c in codes)


def test_random_months_always_tie(world: World) -> None:
    rng = random.Random(7)
    codes = ["1001", "1002", "1012"]
    others = ["3001", "2241", "2001", "5602", "1122"]
    items = [i.code for i in cash_flow.items("small")] + [None]
    opening_cash(world, "1012", D("250"), date(2025, 12, 1))
    for _n in range(25):
        day = date(2026, rng.randint(1, 4), rng.randint(1, 28))
        amount = str(D(rng.randint(1, 99999)) / 100)
        a, b = rng.choice(codes), rng.choice(codes + others)
        if a == b:
            continue
        item_a = rng.choice(items)
        item_b = rng.choice(items) if b in codes else None
        if rng.random() < 0.5:
            world.run(manual(day, [(a, amount, "0", item_a), (b, "0", amount, item_b)]))
        else:
            world.run(manual(day, [(b, amount, "0", item_b), (a, "0", amount, item_a)]))
    for month in range(1, 5):
        rows = statement(world, date(2026, month, 1))
        with world.uow(readonly=True) as s:
            through = sum((ledger.account_balance(s, c, through=date(2026, month, 1))
                           for c in codes), D(0))
        assert rows["ending_cash"][0] == through
        for column in (0, 1):
            change = rows["net_change"][column]
            assert rows["ending_cash"][column] - rows["beginning_cash"][column] == change
            flows = sum((i.sign * rows[i.code][column]
                         for i in cash_flow.items("small")), D(0))
            assert flows + rows["unclassified"][column] == change
            nets = sum((rows[k][column] for k in ("net_operating", "net_investing",
                                                  "net_financing", "unclassified")), D(0))
            assert nets == change
