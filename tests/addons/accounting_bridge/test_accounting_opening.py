"""Opening balances (期初余额): each rule of ``openingBalancesSet`` refuses with a clear
error and changes nothing; the set lands in the month before the first month (the trial
balance opens with it) and a new set replaces it; assets taken on before the book post no
acquisition voucher and their earlier depreciation none either; the suggestions read
stock, partners' balances and the assets' schedules as of the first day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from accounting_support import World, build_world
from sqlalchemy import func, select

from openjxc.addons.accounting_bridge import READ, ledger, reports
from openjxc.addons.accounting_bridge.models import AccountBalance, Voucher
from openjxc.addons.depreciation.assets import AssetInput, create_asset
from openjxc.addons.depreciation.disposal import dispose_asset
from openjxc.addons.depreciation.models import Asset
from openjxc.addons.depreciation.runs import run_depreciation
from openjxc.core.env import Environment
from openjxc.core.migrate import install_addons
from openjxc.testing.fixtures import create_test_database
from openjxc.testing.graphql import GraphQLTester

D = Decimal
SET = """mutation($input: OpeningBalancesSetInput!) { openingBalancesSet(input: $input) {
  openingBalances { opensOn totalDebit lines { accountCode debit credit customerCode } }
  errors { field code message } } }"""
READ_SET = "{ openingBalances { opensOn totalDebit totalCredit lines { accountCode } } }"
SUGGEST = """query($m: String!) { openingBalanceSuggestions(opensOn: $m) {
  difference totalDebit totalCredit
  lines { accountCode source debit credit customerCode supplierCode } } }"""


@pytest.fixture
def world(database_url: str) -> World:
    return build_world(database_url)


def _set(api: GraphQLTester, month: str, *lines: dict[str, Any]) -> Any:
    return api.ok(SET, {"input": {"opensOn": month, "lines": list(lines)}})[
        "openingBalancesSet"]


def _line(code: str, debit: str = "0", credit: str = "0", **aux: str) -> dict[str, Any]:
    return {"accountCode": code, "debit": debit, "credit": credit, **aux}


def _errors(payload: Any) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


def test_every_rule_refuses_with_nothing_changed(world: World) -> None:
    api = GraphQLTester(world.env, locale="en")
    cases = [
        ([_line("9999", "1"), _line("3001", credit="1")],
         [("NOT_FOUND", ["lines", "0", "accountCode"])]),
        ([_line("2221", "1"), _line("3001", credit="1")],
         [("NOT_LEAF", ["lines", "0", "accountCode"])]),
        ([_line("1122", "1"), _line("3001", credit="1")],
         [("REQUIRED", ["lines", "0", "customerCode"])]),
        ([_line("1002", "1", customerCode="C1"), _line("3001", credit="1")],
         [("INVALID", ["lines", "0", "customerCode"])]),
        ([_line("1002", "1", department="销售部"), _line("3001", credit="1")],
         [("INVALID", ["lines", "0", "department"])]),
        ([_line("1122", "1", customerCode="NOPE"), _line("3001", credit="1")],
         [("NOT_FOUND", ["lines", "0", "customerCode"])]),
        ([_line("1002", "-1"), _line("3001", credit="-1")],
         [("INVALID", ["lines", "0"]), ("INVALID", ["lines", "1"])]),
        ([_line("1002", "1", "1")], [("INVALID", ["lines", "0"])]),
        ([_line("1002"), _line("1002", "1"), _line("3001", credit="1")],
         [("INVALID", ["lines", "0"])]),
        ([_line("1002", "1.005"), _line("3001", credit="1.005")],
         [("INVALID", ["lines", "0"]), ("INVALID", ["lines", "1"])]),
        ([_line("1002", "100"), _line("3001", credit="60")],
         [("OPENING_UNBALANCED", ["lines"])]),
    ]
    for lines, expected in cases:
        assert _errors(_set(api, "2026-03", *lines)) == expected, lines
    unbalanced = _set(api, "2026-03", _line("1002", "100"), _line("3001", credit="60"))
    assert "difference 40" in unbalanced["errors"][0]["message"]
    assert _errors(_set(api, "2026-13", _line("1002", "1"), _line("3001", credit="1"))) == [
        ("INVALID", ["opensOn"])]
    assert api.ok(READ_SET)["openingBalances"] == {
        "opensOn": None, "totalDebit": "0.00", "totalCredit": "0.00", "lines": []}
    with world.uow(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(AccountBalance)) == 0
    # The messages are localised.
    zh = GraphQLTester(world.env).ok(SET, {"input": {"opensOn": "2026-03", "lines": [
        _line("1002", "100"), _line("3001", credit="60")]}})["openingBalancesSet"]
    assert "期初" in zh["errors"][0]["message"]
    # Setting them is a settings permission.
    reader = GraphQLTester(world.env, permissions=[READ])
    reader.refused(SET, {"input": {"opensOn": "2026-03", "lines": []}}, code="FORBIDDEN")


def test_the_set_opens_the_first_month_and_a_new_set_replaces_it(world: World) -> None:
    api = GraphQLTester(world.env)
    done = _set(api, "2026-03", _line("1002", "1000"), _line("1122", "200", customerCode="C1"),
                _line("3001", credit="1200"))
    assert done["errors"] == []
    assert done["openingBalances"]["opensOn"] == "2026-03"
    assert done["openingBalances"]["lines"][1] == {
        "accountCode": "1122", "debit": "200.00", "credit": "0.00", "customerCode": "C1"}
    with world.uow(readonly=True) as s:
        march = {r.code: r for r in reports.trial_balance(s, date(2026, 3, 1))}
        assert (march["1002"].opening, march["1122"].opening, march["3001"].opening) == (
            D(1000), D(200), D(-1200))
        assert not reports.trial_balance(s, date(2026, 1, 1))
    # Earlier month, other lines: the old set is gone from every month.
    assert _set(api, "2026-02", _line("1001", "50"), _line("3001", credit="50"))[
        "errors"] == []
    with world.uow(readonly=True) as s:
        feb = {r.code: r.opening for r in reports.trial_balance(s, date(2026, 2, 1))}
        assert feb == {"1001": D(50), "3001": D(-50)}
        assert ledger.account_balance(s, "1002") == 0
        assert ledger.account_balance(s, "3001") == D(-50)
    # Empty: the book stays open on its month, with no balances.
    assert _set(api, "2026-02")["openingBalances"] == {
        "opensOn": "2026-02", "totalDebit": "0.00", "lines": []}
    with world.uow(readonly=True) as s:
        assert ledger.account_balance(s, "3001") == 0


def test_the_book_opens_no_later_than_its_first_voucher_nor_in_a_closed_month(
        world: World) -> None:
    api = GraphQLTester(world.env, locale="en")
    world.run(lambda s: world.receive(s, D(10), D(5)))  # a voucher of 2026-03
    late = _set(api, "2026-04", _line("1002", "1"), _line("3001", credit="1"))
    assert _errors(late) == [("OPENING_AFTER_VOUCHERS", ["opensOn"])]
    assert "2026-03" in late["errors"][0]["message"]
    assert _set(api, "2026-03", _line("1002", "1"), _line("3001", credit="1"))[
        "errors"] == []
    world.run(lambda s: ledger.close_period(s, date(2026, 3, 1)))
    for month in ("2026-03", "2026-01"):
        closed = _set(api, month, _line("1002", "2"), _line("3001", credit="2"))
        assert _errors(closed) == [("PERIOD_CLOSED", ["opensOn"])]
    with world.uow(readonly=True) as s:
        assert ledger.account_balance(s, "1002") == D(1)


def test_assets_taken_on_post_nothing_before_the_book(world: World) -> None:
    api = GraphQLTester(world.env)
    assert _set(api, "2026-03")["errors"] == []
    with world.uow() as s:
        old = create_asset(s, AssetInput(code="OLD", name="旧机床", category_code="MACHINERY",
                                         cost=D("12000.00"), acquired_on=date(2025, 6, 15)))
        run_depreciation(s, date(2026, 2, 1))
        assert s.scalar(select(func.count()).select_from(Voucher)) == 0
        run_depreciation(s, date(2026, 3, 1))  # the book's month: posted
        create_asset(s, AssetInput(code="NEW", name="新机床", category_code="MACHINERY",
                                   cost=D("5000.00"), acquired_on=date(2026, 3, 5)))
        assert [v.source_type for v in s.scalars(select(Voucher).order_by(Voucher.id))] == [
            "depreciation", "asset.acquired"]
        assert old.starts_on == date(2025, 7, 1)
    found = api.ok(SUGGEST, {"m": "2026-03"})["openingBalanceSuggestions"]
    # (12000 − 5%) ÷ 120 = 95.00 a month, eight months (2025-07 … 2026-02) before the book.
    assert [(x["source"], x["accountCode"], x["debit"], x["credit"]) for x in found["lines"]
            ] == [("FIXED_ASSETS", "1601", "12000.00", "0.00"),
                  ("DEPRECIATION", "1602", "0.00", "760.00")]
    assert found["difference"] == "11240.00"


def test_suggestions_read_stock_and_partners_as_of_the_first_day(world: World) -> None:
    feb = date(2026, 2, 10)
    world.run(lambda s: world.receive(s, D(10), D("5.00"), day=feb))
    world.run(lambda s: world.receive(s, D(99), D("1.00")))  # March: not in the openings
    world.run(lambda s: world.invoice(s, "receivable", D(2), D("100"), day=feb))  # 226.00
    world.run(lambda s: world.pay(s, "receivable", D("26.00"), day=feb))
    world.run(lambda s: world.invoice(s, "payable", D(10), D("5"), day=feb))  # 56.50
    world.run(lambda s: world.pay(s, "payable", D("6.50"), day=feb))
    world.run(lambda s: world.pay(s, "payable", D("1.00"), day=feb, kind="refund"))
    api = GraphQLTester(world.env)
    found = api.ok(SUGGEST, {"m": "2026-03"})["openingBalanceSuggestions"]
    assert [(x["source"], x["accountCode"], x["debit"], x["credit"], x["customerCode"],
             x["supplierCode"]) for x in found["lines"]] == [
        ("STOCK", "1405", "50.00", "0.00", None, None),
        ("RECEIVABLES", "1122", "200.00", "0.00", "C1", None),
        ("PAYABLES", "2202", "0.00", "51.00", None, "S1")]
    assert (found["totalDebit"], found["totalCredit"], found["difference"]) == (
        "250.00", "51.00", "199.00")
    # Before anything happened there is nothing to suggest.
    empty = api.ok(SUGGEST, {"m": "2026-01"})["openingBalanceSuggestions"]
    assert (empty["lines"], empty["difference"]) == ([], "0.00")
    api.refused(SUGGEST, {"m": "March"}, code="BAD_USER_INPUT")


def test_the_ledger_installed_after_depreciation_catches_up(database_url: str) -> None:
    """Depreciation was kept for a while without the ledger: opening the book posts the
    assets bought, the depreciation runs and the disposal from its first month on; the
    asset bought before it is in the openings; 固定资产 and 累计折旧 then match the cards."""
    env = Environment.for_addons(["base_jxc", "depreciation"], database_url=database_url)
    create_test_database(env)
    try:
        with env.unit_of_work() as s:
            old = create_asset(s, AssetInput(code="B", name="旧电脑", category_code="TOOLS",
                                             cost=D("6000.00"), acquired_on=date(2026, 1, 10)))
            new = create_asset(s, AssetInput(code="A", name="机床", category_code="MACHINERY",
                                             cost=D("12000.00"), acquired_on=date(2026, 3, 5)))
            for month in (2, 3, 4):
                run_depreciation(s, date(2026, month, 1))
            dispose_asset(s, old.id, kind="sale", disposed_on=date(2026, 4, 20),
                          proceeds=D("5000.00"))
            old_id, new_id = old.id, new.id
        full = install_addons(env, ["accounting_bridge"])
        api = GraphQLTester(full)
        found = api.ok(SUGGEST, {"m": "2026-03"})["openingBalanceSuggestions"]
        # (6000 − 5%) ÷ 60 = 95.00: February ran before the book.
        assert [(x["accountCode"], x["debit"], x["credit"]) for x in found["lines"]] == [
            ("1601", "6000.00", "0.00"), ("1602", "0.00", "95.00")]
        lines = [{k: v for k, v in x.items() if k != "source"} for x in found["lines"]]
        assert _set(api, "2026-03", *lines, _line("3001", credit=found["difference"]))[
            "errors"] == []
        with full.unit_of_work(readonly=True) as s:
            assert [(v.source_type, v.period) for v in s.scalars(
                select(Voucher).order_by(Voucher.period, Voucher.id))] == [
                ("asset.acquired", date(2026, 3, 1)), ("depreciation", date(2026, 3, 1)),
                ("asset.disposed", date(2026, 4, 1)), ("depreciation", date(2026, 4, 1))]
            kept = s.get_one(Asset, new_id)
            assert s.get_one(Asset, old_id).state == "disposed"
            assert ledger.account_balance(s, "1601") == kept.cost
            assert ledger.account_balance(s, "1602") == D("-95.00")  # A's April
            top = [r for r in reports.trial_balance(s, date(2026, 4, 1)) if r.level == 1]
            assert sum((r.closing for r in top), D(0)) == 0
        # Opening the book again (same month) posts nothing twice.
        assert _set(api, "2026-03", *lines, _line("3001", credit=found["difference"]))[
            "errors"] == []
        with full.unit_of_work(readonly=True) as s:
            assert s.scalar(select(func.count()).select_from(Voucher)) == 4
    finally:
        env.database.dispose()


def test_nothing_posts_before_the_book_opens(world: World) -> None:
    api = GraphQLTester(world.env, locale="en")
    assert _set(api, "2026-03", _line("1002", "1"), _line("3001", credit="1"))["errors"] == []
    refused = world.refusal(lambda s: world.receive(s, D(1), D("8.50"), day=date(2026, 2, 27)))
    assert refused == [("PERIOD_CLOSED", ("date",))]
    world.run(lambda s: world.receive(s, D(1), D("8.50"), day=date(2026, 3, 1)))
    with world.uow(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(Voucher)) == 1
