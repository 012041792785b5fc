"""The chart, periods and vouchers, one story each, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from accounting_support import DAY, World, build_world
from sqlalchemy import delete, select

from openjxc.addons.accounting_bridge import books, charts, ledger
from openjxc.addons.accounting_bridge.ledger import Draft
from openjxc.addons.accounting_bridge.models import Account, MappingRule
from openjxc.addons.depreciation.settings import is_closed as depreciation_closed

D = Decimal


@pytest.fixture
def world(database_url: str) -> World:
    return build_world(database_url)


def codes(world: World) -> dict[str, str]:
    with world.uow(readonly=True) as s:
        return dict(s.execute(select(Account.code, Account.name)).all())  # type: ignore[arg-type]


def manual(s, day: date = DAY, amount: str = "100.00", credit: str | None = None):  # type: ignore[no-untyped-def]
    draft = Draft(voucher_date=day, summary="test")
    draft.add("1002", debit=D(amount))
    draft.add("3001", credit=D(credit or amount))
    return ledger.post_voucher(s, draft)


def test_the_small_enterprise_chart_is_the_default(world: World) -> None:
    chart = codes(world)
    assert chart["3001"] == "实收资本" and chart["3103"] == "本年利润"
    assert chart["5001"] == "主营业务收入" and chart["5401"] == "主营业务成本"
    assert chart["5601"] == "销售费用" and chart["5602"] == "管理费用"
    assert "1231" not in chart and "1603" not in chart and "6001" not in chart
    assert chart["22210101"] == "进项税额" and chart["22210106"] == "销项税额"
    assert chart["222102"] == "未交增值税" and chart["222113"] == "应交印花税"
    with world.uow(readonly=True) as s:
        assert books.book(s).standard == "small"
        assert not s.scalar(select(Account.leaf).where(Account.code == "2221"))


def test_the_enterprise_chart_follows_the_2006_guide(world: World) -> None:
    world.run(lambda s: books.choose_standard(s, "enterprise"))
    chart = codes(world)
    for code, name in (("4001", "实收资本"), ("4103", "本年利润"), ("4104", "利润分配"),
                       ("5001", "生产成本"), ("6001", "主营业务收入"), ("6401", "主营业务成本"),
                       ("6601", "销售费用"), ("6602", "管理费用"), ("6115", "资产处置损益"),
                       ("1231", "坏账准备")):
        assert chart[code] == name
    assert "3001" not in chart
    with world.uow(readonly=True) as s:
        revenue = s.scalar(select(MappingRule.account_code).where(
            MappingRule.document == "sales.invoice", MappingRule.role == "revenue"))
        assert revenue == "6001"


def test_every_first_level_code_is_unique_per_standard() -> None:
    for standard in ("small", "enterprise"):
        seeded = [a.code for a in charts.chart(standard)]
        assert len(seeded) == len(set(seeded))


def test_the_standard_is_locked_after_the_first_posting(world: World) -> None:
    world.run(manual)
    assert world.refusal(lambda s: books.choose_standard(s, "enterprise")) == [
        ("CHART_LOCKED", ("standard",))]
    with world.uow(readonly=True) as s:
        assert books.is_locked(s)


def test_sub_accounts_take_the_next_code_and_the_parent_stops_posting(world: World) -> None:
    first = world.run(lambda s: books.add_sub_account(s, "1002", "工商银行"))
    second = world.run(lambda s: books.add_sub_account(s, "1002", "建设银行"))
    assert (first.code, second.code, first.level) == ("100201", "100202", 2)
    assert world.refusal(manual)[0][0] == "NOT_LEAF"
    with world.uow(readonly=True) as s:  # the rules follow to the first child
        assert s.scalar(select(MappingRule.account_code).where(
            MappingRule.document == "payment.receipt", MappingRule.role == "bank")) == "100201"


def test_no_sub_account_under_an_account_with_postings(world: World) -> None:
    world.run(manual)
    assert world.refusal(lambda s: books.add_sub_account(s, "1002", "工行")) == [
        ("ACCOUNT_IN_USE", ("parentCode",))]


def test_vouchers_are_numbered_per_month(world: World) -> None:
    for day in (DAY, DAY, date(2026, 4, 2), DAY):
        world.run(lambda s, day=day: manual(s, day))
    with world.uow(readonly=True) as s:
        from openjxc.addons.accounting_bridge.models import Voucher

        assert [(v.period.month, v.number) for v in s.scalars(
            select(Voucher).order_by(Voucher.id))] == [
            (3, "记-0001"), (3, "记-0002"), (4, "记-0001"), (3, "记-0003")]


def test_an_unbalanced_voucher_is_refused(world: World) -> None:
    assert world.refusal(lambda s: manual(s, credit="99.99")) == [("UNBALANCED", ("lines",))]
    assert world.vouchers() == []


def test_closing_a_month_refuses_postings_and_closes_depreciation(world: World) -> None:
    world.run(lambda s: ledger.close_period(s, date(2026, 3, 1)))
    assert world.refusal(manual) == [("PERIOD_CLOSED", ("date",))]
    with world.uow(readonly=True) as s:
        assert depreciation_closed(s, date(2026, 3, 1))
    # A document dated in the closed month is refused with its voucher.
    assert world.refusal(lambda s: world.receive(s, D(1), D(10)))[0][0] == "PERIOD_CLOSED"
    assert world.refusal(lambda s: ledger.close_period(s, date(2026, 3, 1)))[0][0] == (
        "PERIOD_CLOSED")
    world.run(lambda s: manual(s, date(2026, 4, 1)))


def test_a_correction_is_a_red_voucher(world: World) -> None:
    original = world.run(manual)
    red = world.run(lambda s: ledger.reverse_voucher(s, original.id))
    assert world.lines(red.number) == [("1002", D("-100.00"), D("0.00")),
                                       ("3001", D("0.00"), D("-100.00"))]
    assert world.balance("1002") == 0
    assert world.refusal(lambda s: ledger.reverse_voucher(s, original.id))[0][0] == (
        "ALREADY_REVERSED")


def test_what_a_voucher_refuses(world: World) -> None:
    def post(*lines: tuple[str, str, str]):  # type: ignore[no-untyped-def]
        def action(s):  # type: ignore[no-untyped-def]
            draft = Draft(voucher_date=DAY, summary="x")
            for code, debit, credit in lines:
                draft.entries.append(ledger.Entry(code, debit=D(debit), credit=D(credit)))
            return ledger.post_voucher(s, draft)
        return [code for code, _ in world.refusal(action)]

    assert post() == ["EMPTY_VOUCHER"]
    assert post(("1002", "1", "1")) == ["INVALID"]
    assert post(("1002", "1.001", "0"), ("3001", "0", "1.001")) == ["INVALID", "INVALID"]
    assert post(("9999", "1", "0"), ("3001", "0", "1")) == ["NOT_FOUND"]
    assert post(("2221", "1", "0"), ("3001", "0", "1")) == ["NOT_LEAF"]


def test_what_set_up_refuses(world: World) -> None:
    assert world.refusal(lambda s: books.choose_standard(s, "ifrs")) == [
        ("INVALID", ("standard",))]
    assert [c for c, _ in world.refusal(lambda s: books.add_sub_account(
        s, "1002", "", auxiliaries=("colour",)))] == ["REQUIRED", "INVALID"]


def test_a_missing_mapping_refuses_the_document(world: World) -> None:
    with world.uow() as s:
        s.execute(delete(MappingRule).where(MappingRule.document == "sales.invoice",
                                            MappingRule.role == "revenue"))
    assert world.refusal(lambda s: world.invoice(s, "receivable", D(1), D(1)))[0][0] == (
        "MAPPING_MISSING")


def test_what_an_export_refuses(world: World) -> None:
    from openjxc.addons.accounting_bridge.exports import export_vouchers

    assert [c for c, _ in world.refusal(lambda s: export_vouchers(
        s, DAY, "xml", encoding="latin-1", word=""))] == ["INVALID"] * 3
