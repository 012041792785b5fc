"""现金流量项目 tagged on cash lines when vouchers are posted, on SQLite and PostgreSQL: by
the source type (built-in or overridden), the item given on a line, none on other lines
or on transfers between cash accounts, copied by a red reversal; one statement at most
per voucher."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from accounting_support import DAY, World, build_world
from sqlalchemy import event, func, select

from openjxc.addons.accounting_bridge import books, cash_flow, ledger, mapping
from openjxc.addons.accounting_bridge.ledger import Draft
from openjxc.addons.accounting_bridge.models import Account, Voucher, VoucherLine
from openjxc.addons.accounting_bridge.models_books import CashFlowRule
from openjxc.addons.depreciation.assets import AssetInput, create_asset
from openjxc.addons.depreciation.disposal import dispose_asset

D = Decimal


@pytest.fixture
def world(database_url: str) -> World:
    return build_world(database_url)


def tagged(world: World, voucher_id: int | None = None) -> list[tuple[str, str]]:
    """(account code, item) of a voucher's lines (the last voucher by default)."""
    with world.uow(readonly=True) as s:
        wanted = voucher_id or s.scalar(select(func.max(Voucher.id)))
        return [(c, i) for c, i in s.execute(
            select(Account.code, VoucherLine.cash_flow_item)
            .join(Account, Account.id == VoucherLine.account_id)
            .where(VoucherLine.voucher_id == wanted).order_by(VoucherLine.sequence))]


def last_id(world: World) -> int:
    with world.uow(readonly=True) as s:
        found = s.scalar(select(func.max(Voucher.id)))
        assert found is not None
        return int(found)


def manual(lines: list[tuple[str, str, str, str | None]], source_type: str = "manual",
           ) -> Any:
    """A voucher of ``(code, debit, credit, item)`` lines."""
    def post(s: Any) -> Any:
        draft = Draft(voucher_date=DAY, summary="test", source_type=source_type)
        for i, (code, debit, credit, item) in enumerate(lines):
            draft.add(code, debit=D(debit), credit=D(credit), summary=f"line {i}",
                      cash_flow_item=item)
        return ledger.post_voucher(s, draft)
    return post


def test_receipts_and_payments_get_their_operating_items(world: World) -> None:
    world.run(lambda s: world.pay(s, "receivable", D("226")))
    assert tagged(world) == [("1002", "CF01"), ("1122", "")]
    world.run(lambda s: world.pay(s, "payable", D("96.05")))
    assert tagged(world) == [("2202", ""), ("1002", "CF04")]
    world.run(lambda s: world.pay(s, "receivable", D("50"), method="cash"))
    assert tagged(world) == [("1001", "CF01"), ("1122", "")]
    # A supplier's refund is money back on the purchases line (a negative outflow).
    world.run(lambda s: world.pay(s, "payable", D("10"), kind="refund"))
    assert tagged(world) == [("1002", "CF04"), ("2202", "")]


def test_sub_accounts_of_the_bank_are_cash(world: World) -> None:
    world.run(lambda s: books.add_sub_account(s, "1002", "工商银行"))
    world.run(lambda s: world.pay(s, "receivable", D("100")))
    assert tagged(world) == [("100201", "CF01"), ("1122", "")]


def test_asset_purchases_paid_and_disposals_are_investing(world: World) -> None:
    world.run(lambda s: mapping.set_rule(s, mapping.RuleInput(
        document="asset.acquired", role="counterpart", account_code="1002")))
    asset = world.run(lambda s: create_asset(s, AssetInput(
        name="叉车", cost=D("12000"), acquired_on=date(2026, 1, 15),
        category_code="MACHINERY")))
    assert tagged(world) == [("1601", ""), ("1002", "CF16")]
    world.run(lambda s: dispose_asset(s, asset.id, disposed_on=date(2026, 3, 5),
                                      kind="sale", proceeds=D("11000"), costs=D("100")))
    lines = tagged(world)
    assert [i for c, i in lines if c == "1002"] == ["CF13", "CF13"]
    assert {i for c, i in lines if c != "1002"} == {""}


def test_vouchers_without_cash_carry_no_tag(world: World) -> None:
    world.run(lambda s: world.receive(s, D(10), D("8.50")))
    world.run(lambda s: world.invoice(s, "receivable", D(2), D("100")))
    world.run(lambda s: create_asset(s, AssetInput(
        name="叉车", cost=D("12000"), acquired_on=DAY, category_code="MACHINERY")))
    with world.uow(readonly=True) as s:
        assert s.scalar(select(func.count()).where(VoucherLine.cash_flow_item != "")) == 0
        assert s.scalar(select(func.count()).select_from(VoucherLine)) == 7


def test_moving_money_between_cash_accounts_is_no_cash_flow(world: World) -> None:
    world.run(lambda s: cash_flow.set_rule(s, "manual", "CF03"))
    world.run(manual([("1001", "500", "0", None), ("1002", "0", "500", None)]))
    assert tagged(world) == [("1001", ""), ("1002", "")]
    # An item given on a transfer is not a cash flow either.
    world.run(manual([("1012", "80", "0", "CF03"), ("1002", "0", "80", "CF03")]))
    assert tagged(world) == [("1012", ""), ("1002", "")]


def test_manual_cash_is_unclassified_unless_an_item_is_given(world: World) -> None:
    world.run(manual([("1002", "1000", "0", None), ("3001", "0", "1000", None)]))
    assert tagged(world) == [("1002", ""), ("3001", "")]
    world.run(manual([("1002", "1000", "0", "CF21"), ("3001", "0", "1000", None)]))
    assert tagged(world) == [("1002", "CF21"), ("3001", "")]
    # An item given on one cash line, the rule's on the other.
    world.run(manual([("1002", "300", "0", "CF22"), ("1001", "200", "0", None),
                      ("2001", "0", "500", None)], source_type="payment.receipt"))
    assert tagged(world) == [("1002", "CF22"), ("1001", "CF01"), ("2001", "")]


def test_a_bad_item_is_refused_and_nothing_is_posted(world: World) -> None:
    assert world.refusal(manual([("1002", "10", "0", "CF99"),
                                 ("3001", "0", "10", None)])) == [
        ("NOT_FOUND", ("lines", "0", "cashFlowItem"))]
    # 收到的税费返还 is on the enterprise statement only.
    assert world.refusal(manual([("1002", "10", "0", "CF02"),
                                 ("3001", "0", "10", None)])) == [
        ("NOT_FOUND", ("lines", "0", "cashFlowItem"))]
    assert world.refusal(manual([("1002", "10", "0", None),
                                 ("3001", "0", "10", "CF21")])) == [
        ("INVALID", ("lines", "1", "cashFlowItem"))]
    with world.uow(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Voucher)) == 0


def test_a_rule_changes_new_vouchers_only_and_a_reversal_copies_the_tags(
        world: World) -> None:
    world.run(lambda s: world.pay(s, "receivable", D("100")))
    first = last_id(world)
    world.run(manual([("1002", "40", "0", None), ("3001", "0", "40", None)]))
    unclassified = last_id(world)
    world.run(lambda s: cash_flow.set_rule(s, "payment.receipt", "CF03"))
    world.run(lambda s: cash_flow.set_rule(s, "manual", "CF21"))
    world.run(lambda s: world.pay(s, "receivable", D("100")))
    assert tagged(world) == [("1002", "CF03"), ("1122", "")]
    assert tagged(world, first) == [("1002", "CF01"), ("1122", "")]
    red = world.run(lambda s: ledger.reverse_voucher(s, first))
    assert tagged(world, red.id) == [("1002", "CF01"), ("1122", "")]
    red = world.run(lambda s: ledger.reverse_voucher(s, unclassified))
    assert tagged(world, red.id) == [("1002", ""), ("3001", "")]
    world.run(lambda s: cash_flow.set_rule(s, "payment.receipt", ""))
    world.run(lambda s: world.pay(s, "receivable", D("100")))
    assert tagged(world) == [("1002", "CF01"), ("1122", "")]
    with world.uow(readonly=True) as s:
        assert {t: c for t, c in s.execute(select(CashFlowRule.source_type,
                                                  CashFlowRule.item_code))} == {
            "manual": "CF21"}


def test_a_stored_item_of_the_other_standard_falls_back_to_the_built_in(
        world: World) -> None:
    def store(s: Any) -> None:
        s.add(CashFlowRule(source_type="payment.receipt", item_code="CF02"))
    world.run(store)
    world.run(lambda s: world.pay(s, "receivable", D("100")))
    assert tagged(world) == [("1002", "CF01"), ("1122", "")]
    with world.uow(readonly=True) as s:
        rule = next(r for r in cash_flow.rules(s) if r.source_type == "payment.receipt")
        assert (rule.item_code, rule.overridden) == ("CF01", False)


def test_the_enterprise_book_tags_its_own_items(world: World) -> None:
    world.run(lambda s: books.choose_standard(s, "enterprise"))
    world.run(manual([("1002", "10", "0", "CF02"), ("6001", "0", "10", None)]))
    assert tagged(world) == [("1002", "CF02"), ("6001", "")]
    assert world.refusal(manual([("1002", "10", "0", "CF25"),
                                 ("2001", "0", "10", None)]))[0][0] == "NOT_FOUND"


def test_tagging_costs_one_statement_per_cash_voucher_whatever_its_size(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Statements per voucher with tagging and with it stubbed out (the cost before)."""
    with world.uow(readonly=True) as s:
        known = {c: (i, leaf) for c, i, leaf in s.execute(
            select(Account.code, Account.id, Account.leaf))}
    shapes = {
        "no cash": [("5602", "10", "0"), ("2241", "0", "10")],
        "cash": [("1002", "10", "0"), ("3001", "0", "10")],
        "cash, six lines": [("1001", "1", "0"), ("1002", "2", "0"), ("1012", "3", "0"),
                            ("3001", "0", "1"), ("2241", "0", "2"), ("2001", "0", "3")],
        "transfer": [("1001", "5", "0"), ("1002", "0", "5")],
    }

    def count(lines: list[tuple[str, str, str]]) -> int:
        seen: list[str] = []

        def record(*args: object) -> None:
            seen.append(str(args[2]))

        engine = world.env.database.engine
        with world.uow() as s:
            draft = Draft(voucher_date=DAY, summary="count", source_type="payment.receipt")
            for i, (code, debit, credit) in enumerate(lines):
                draft.add(code, debit=D(debit), credit=D(credit), summary=str(i))
            ledger.period_row(s, DAY)
            s.flush()
            event.listen(engine, "before_cursor_execute", record)
            try:
                ledger.post_voucher(s, draft, known=known)
            finally:
                event.remove(engine, "before_cursor_execute", record)
        return len(seen)

    count(shapes["no cash"])  # the month's first voucher also creates its number row
    after = {name: count(lines) for name, lines in shapes.items()}
    monkeypatch.setattr(cash_flow, "tags", lambda s, t, lines: [""] * len(lines))
    before = {name: count(lines) for name, lines in shapes.items()}
    assert {name: after[name] - before[name] for name in shapes} == {
        "no cash": 0, "cash": 1, "cash, six lines": 1, "transfer": 0}
