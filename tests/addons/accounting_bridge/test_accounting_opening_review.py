"""Opening balances under hostile input and at the edges of a running company's upgrade:
NUL characters (refused before the mutation runs), amounts beyond what the database
stores, the same account twice; two sets at once (PostgreSQL: the book's row is locked);
the catch-up of a month the book moved back over; one read of each document when
thousands are caught up; a taken-on asset disposed of leaves nothing on 固定资产/累计折旧."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from accounting_support import World, build_world
from sqlalchemy import event, func, select

from openjxc.addons.accounting_bridge import ledger, opening
from openjxc.addons.accounting_bridge.books import add_sub_account, choose_standard
from openjxc.addons.accounting_bridge.mapping import RuleInput, set_rule
from openjxc.addons.accounting_bridge.models import Voucher
from openjxc.addons.accounting_bridge.models_books import OpeningBalance
from openjxc.addons.accounting_bridge.opening_suggestions import suggestions
from openjxc.addons.base_jxc.catalog.services import ProductInput, create_category, create_product
from openjxc.addons.base_jxc.invoicing.payments import create_payment
from openjxc.addons.base_jxc.invoicing.services import InvoiceLineInput, create_invoice
from openjxc.addons.base_jxc.partners.services import PartnerInput, create_partner
from openjxc.addons.base_jxc.stock.models import Location
from openjxc.addons.base_jxc.stock.posting import MoveLine, post_moves
from openjxc.addons.base_jxc.stock.warehouses import company_location, create_warehouse
from openjxc.addons.depreciation.assets import AssetInput, create_asset, record_usage
from openjxc.addons.depreciation.disposal import dispose_asset
from openjxc.addons.depreciation.runs import run_depreciation
from openjxc.core.env import Environment
from openjxc.core.migrate import install_addons
from openjxc.testing.concurrency import waiting_on_a_lock
from openjxc.testing.fixtures import create_test_database
from openjxc.testing.graphql import GraphQLTester

D = Decimal
SET = """mutation($input: OpeningBalancesSetInput!) { openingBalancesSet(input: $input) {
  openingBalances { opensOn } errors { field code message } } }"""
SUGGEST = """query($m: String!) { openingBalanceSuggestions(opensOn: $m) {
  difference lines { accountCode debit credit } } }"""


@pytest.fixture
def world(database_url: str) -> World:
    return build_world(database_url)


def _line(code: str, debit: str = "0", credit: str = "0", **aux: str) -> dict[str, Any]:
    return {"accountCode": code, "debit": debit, "credit": credit, **aux}


def _set(api: GraphQLTester, month: str, *lines: dict[str, Any]) -> Any:
    return api.ok(SET, {"input": {"opensOn": month, "lines": list(lines)}})[
        "openingBalancesSet"]


def _errors(payload: Any) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


def test_hostile_lines_are_refused_with_nothing_changed(world: World) -> None:
    world.run(lambda s: add_sub_account(s, "5602", "办公费", auxiliaries=("department",)))
    api = GraphQLTester(world.env, locale="en")
    big = "10000000000000000"  # 10^16: beyond what SQLite keeps exactly
    half = "6000000000000000"
    # A NUL character anywhere is refused by the kernel before the mutation runs.
    for nul in (_line("10\x0002", "1"), _line("1122", "1", customerCode="C\x001"),
                _line("560201", "1", department="销售\x00部")):
        result = api.execute(SET, {"input": {"opensOn": "2026-03",
                                             "lines": [nul, _line("3001", credit="1")]}})
        assert result["data"] is None, nul
        assert [e["extensions"]["code"] for e in result["errors"]] == ["NUL_CHARACTER"], nul
    cases = [
        ([_line("560201", "1", department="部" * 65), _line("3001", credit="1")],
         [("INVALID", ["lines", "0", "department"])]),
        ([_line("", "1"), _line("3001", credit="1")],
         [("REQUIRED", ["lines", "0", "accountCode"])]),
        ([_line("1002", big), _line("3001", credit=big)],
         [("INVALID", ["lines", "0", "debit"]), ("INVALID", ["lines", "1", "credit"])]),
        ([_line("1002", half), _line("1001", half), _line("3001", credit=half),
          _line("3002", credit=half)], [("INVALID", ["lines"])]),
        # The same account and auxiliaries twice: which balance would count?
        ([_line("1122", "5", customerCode="C1"), _line("1122", "7", customerCode="C1"),
          _line("3001", credit="12")], [("INVALID", ["lines", "1"])]),
        ([_line("560201", "5", department="销售部"), _line("560201", "5", department="销售部"),
          _line("3001", credit="10")], [("INVALID", ["lines", "1"])]),
    ]
    for lines, expected in cases:
        assert _errors(_set(api, "2026-03", *lines)) == expected, lines
    too_many = [_line("1002", "1")] * (opening.MAX_LINES + 1)
    assert _errors(_set(api, "2026-03", *too_many)) == [("INVALID", ["lines"])]
    with world.uow(readonly=True) as s:
        assert opening.opens_on(s) is None
        assert s.scalar(select(func.count()).select_from(OpeningBalance)) == 0
    # Different customers, departments: one line each is fine.
    assert _set(api, "2026-03", _line("560201", "5", department="销售部"),
                _line("560201", "5", department="仓储部"),
                _line("3001", credit="10"))["errors"] == []
    assert world.balance("5602") == D(10)


def test_two_sets_at_once_do_not_double_the_balances(pg_database_url: str) -> None:
    """PostgreSQL (SQLite serialises writers): the second set waits for the first and
    then replaces it — the balances are the second set's, once."""
    world = build_world(pg_database_url)
    lines = [opening.OpeningLine("1002", debit=D(100)), opening.OpeningLine("3001",
                                                                          credit=D(100))]
    outcome: list[Any] = []

    def second() -> None:
        try:
            with world.uow() as s:
                opening.set_opening_balances(s, date(2026, 3, 1), lines)
            outcome.append("ok")
        except Exception as exc:  # reported, never swallowed
            outcome.append(repr(exc))

    with world.uow() as s:
        opening.set_opening_balances(s, date(2026, 3, 1), lines)
        thread = threading.Thread(target=second)
        thread.start()
        assert waiting_on_a_lock(world.env.database.engine), \
            "the second set should wait for the first"
    thread.join(timeout=60)
    assert outcome == ["ok"]
    assert world.balance("1002") == D(100)
    with world.uow(readonly=True) as s:
        assert s.scalar(select(func.count()).select_from(OpeningBalance)) == 2
    world.env.database.dispose()


def test_moving_the_book_back_posts_the_depreciation_run_in_between(world: World) -> None:
    """The book opened on March; February's depreciation ran after the install (before
    the book: no voucher).  Opening on February instead posts it — once."""
    api = GraphQLTester(world.env)
    assert _set(api, "2026-03")["errors"] == []
    with world.uow() as s:
        create_asset(s, AssetInput(code="M", name="机床", category_code="MACHINERY",
                                   cost=D("12000.00"), acquired_on=date(2025, 12, 10)))
        run_depreciation(s, date(2026, 1, 1))
        run_depreciation(s, date(2026, 2, 1))
        assert s.scalar(select(func.count()).select_from(Voucher)) == 0
    found = api.ok(SUGGEST, {"m": "2026-02"})["openingBalanceSuggestions"]
    assert [(x["accountCode"], x["credit"]) for x in found["lines"]] == [
        ("1601", "0.00"), ("1602", "95.00")]  # January only
    assert _set(api, "2026-02", *found["lines"], _line("3001", credit=found["difference"]))[
        "errors"] == []
    with world.uow(readonly=True) as s:
        assert [(v.source_type, v.period) for v in s.scalars(select(Voucher))] == [
            ("depreciation", date(2026, 2, 1))]
        assert ledger.account_balance(s, "1602") == D("-190.00")  # January + February
    assert _set(api, "2026-02", *found["lines"], _line("3001", credit=found["difference"]))[
        "errors"] == []
    assert world.vouchers() == [("记-0001", "depreciation")]


def test_the_catch_up_reads_each_document_once(database_url: str) -> None:
    env = Environment.for_addons(["base_jxc", "depreciation"], database_url=database_url)
    create_test_database(env)
    try:
        with env.unit_of_work() as s:
            customer = create_partner(s, PartnerInput(code="C1", name="客户")).id
            for _ in range(6):
                create_invoice(s, partner_id=customer, direction="receivable",
                               invoice_date=date(2026, 3, 10), lines=[InvoiceLineInput(
                                   product_id=None, description="服务", quantity=D(1),
                                   unit_price=D(100), tax_rate=D("0.06"))])
                create_payment(s, partner_id=customer, direction="receivable",
                               amount=D(50), payment_date=date(2026, 3, 11))
        full = install_addons(env, ["accounting_bridge"])
        seen: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            seen.append(" ".join(statement.split()))

        event.listen(full.database.engine, "before_cursor_execute", count)
        with full.unit_of_work() as s:
            opening.set_opening_balances(s, date(2026, 3, 1), [])
        event.remove(full.database.engine, "before_cursor_execute", count)
        for table in ("jxc_invoice", "jxc_payment"):
            reads = [q for q in seen if q.startswith("SELECT") and f"FROM {table} " in q]
            assert len(reads) == 1, reads
        with full.unit_of_work(readonly=True) as s:
            assert s.scalar(select(func.count()).select_from(Voucher)) == 12
    finally:
        env.database.dispose()


def test_a_taken_on_asset_disposed_of_leaves_nothing_behind(world: World) -> None:
    api = GraphQLTester(world.env)
    assert _set(api, "2026-03")["errors"] == []
    with world.uow() as s:
        asset = create_asset(s, AssetInput(code="OLD", name="旧机床", category_code="MACHINERY",
                                           cost=D("12000.00"), acquired_on=date(2025, 6, 15)))
        asset_id = asset.id
    found = api.ok(SUGGEST, {"m": "2026-03"})["openingBalanceSuggestions"]
    assert _set(api, "2026-03", *found["lines"], _line("3001", credit=found["difference"]))[
        "errors"] == []
    with world.uow() as s:
        run_depreciation(s, date(2026, 3, 1))
        # April's run comes after the disposal: the disposal counts it already.
        disposed = dispose_asset(s, asset_id, kind="sale", disposed_on=date(2026, 4, 10),
                                 proceeds=D("10000.00"))
        # 2025-07 … 2026-04: ten months of 95.00, eight of them before the book.
        assert disposed.disposal_depreciation == D("950.00")
        run_depreciation(s, date(2026, 4, 1))
    assert world.unbalanced() == []
    assert [(c, d, cr) for c, d, cr in world.lines() if c in ("1601", "1602")] == [
        ("1602", D(0), D("95.00"))]  # April's run, the last voucher
    assert (world.balance("1601"), world.balance("1602"), world.balance("1606")) == (
        0, 0, 0)
    assert world.balance("5711") == D("1050.00")  # 10000 − (12000 − 950)


def test_suggestions_follow_narrowed_rules_credit_notes_receipts_and_read_usage_once(
        world: World) -> None:
    feb = date(2026, 2, 10)
    with world.uow() as s:
        raw = create_category(s, code="RAW", name="原料").id
        p2 = create_product(s, ProductInput(code="P2", name="钢材", category_code="RAW")).id
        set_rule(s, RuleInput("stock", "internal", "1403", category_code="RAW"))
        post_moves(s, [MoveLine(product_id=p2, quantity=D(4), unit_cost=D("2.50"),
                                from_location_id=company_location(s, "supplier").id,
                                to_location_id=world.ids["WH1/STOCK"])],
                   move_date=feb, origin_type="purchase.receipt")
        assert raw
        world.receive(s, D(10), D(5), day=feb)
        post_moves(s, [MoveLine(product_id=world.ids["P1"], quantity=D(2),
                                from_location_id=world.ids["WH1/STOCK"],
                                to_location_id=company_location(s, "supplier").id)],
                   move_date=feb, origin_type="purchase.return")
        world.invoice(s, "payable", D(4), D(5), day=feb)  # 20.00 + 2.60 of the 8 kept
        world.invoice(s, "receivable", D(2), D(100), day=feb)  # 226.00
        world.invoice(s, "receivable", D(1), D(100), kind="credit_note", day=feb)  # −113.00
        world.pay(s, "receivable", D("26.00"), day=feb)
        ids = [create_asset(s, AssetInput(
            code=f"U{n}", name="冲床", category_code="MACHINERY", cost=D("10000.00"),
            acquired_on=date(2025, 12, 5), method="units_of_production",
            total_units=D(1000))).id for n in (1, 2)]
        for asset_id, units in zip(ids, (D(100), D(10)), strict=True):
            record_usage(s, asset_id, date(2026, 1, 1), units)
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(world.env.database.engine, "before_cursor_execute", count)
    try:
        with world.uow(readonly=True) as s:
            found = suggestions(s, date(2026, 3, 1))
    finally:
        event.remove(world.env.database.engine, "before_cursor_execute", count)
    assert len([q for q in seen if "FROM dep_usage" in q]) == 1
    assert [(x.source, x.account_code, x.debit, x.credit) for x in found.lines] == [
        ("stock", "1403", D("10.00"), 0), ("stock", "1405", D("40.00"), 0),
        ("receivables", "1122", D("87.00"), 0), ("payables", "2202", 0, D("22.60")),
        # Received 60.00, returned 10.00, invoiced 20.00: 30.00 still to be invoiced.
        ("in_transit", "1402", 0, D("30.00")),
        ("fixed_assets", "1601", D("20000.00"), 0),
        ("depreciation", "1602", 0, D("1045.00"))]  # 9.50 a unit, 110 units in January
    assert found.difference == D("19039.40")


def test_the_chart_keeps_still_once_openings_are_set(world: World) -> None:
    api = GraphQLTester(world.env, locale="en")
    assert _set(api, "2026-03", _line("1002", "100"), _line("3001", credit="100"))[
        "errors"] == []
    assert world.refusal(lambda s: add_sub_account(s, "1002", "工商银行")) == [
        ("ACCOUNT_IN_USE", ("parentCode",))]
    assert world.refusal(lambda s: choose_standard(s, "enterprise")) == [
        ("CHART_LOCKED", ("standard",))]
    # Cleared again, the book may still change its standard.
    assert _set(api, "2026-03")["errors"] == []
    with world.uow() as s:
        choose_standard(s, "enterprise")
    assert world.balance("1002") == 0


def test_documents_made_after_the_install_are_not_caught_up_again(database_url: str) -> None:
    """An invoice of the month made before the install is caught up when the book opens;
    one made after it (the book not yet open) posted its voucher then — not twice."""
    env = Environment.for_addons(["base_jxc", "depreciation"], database_url=database_url)
    create_test_database(env)

    def bill(s: Any, customer: int, day: int) -> None:
        create_invoice(s, partner_id=customer, direction="receivable",
                       invoice_date=date(2026, 3, day), lines=[InvoiceLineInput(
                           product_id=None, description="服务", quantity=D(1),
                           unit_price=D(100), tax_rate=D("0.06"))])

    try:
        with env.unit_of_work() as s:
            customer = create_partner(s, PartnerInput(code="C1", name="客户")).id
            bill(s, customer, 10)
        full = install_addons(env, ["accounting_bridge"])
        with full.unit_of_work() as s:
            bill(s, customer, 12)
            opening.set_opening_balances(s, date(2026, 3, 1), [])
            assert [(v.number, v.voucher_date) for v in s.scalars(
                select(Voucher).order_by(Voucher.number))] == [
                ("记-0001", date(2026, 3, 12)), ("记-0002", date(2026, 3, 10))]
            assert ledger.account_balance(s, "1122") == D("212.00")
    finally:
        env.database.dispose()


def test_an_earlier_receipt_invoiced_after_the_opening_clears_in_transit(
        database_url: str) -> None:
    """Goods received in February, before the ledger, invoiced in March: the suggested
    在途物资 credit is what the invoice clears."""
    env = Environment.for_addons(["base_jxc", "depreciation"], database_url=database_url)
    create_test_database(env)
    try:
        with env.unit_of_work() as s:
            create_category(s, code="GOODS", name="商品")
            product = create_product(s, ProductInput(code="P1", name="轴承",
                                                     category_code="GOODS")).id
            create_warehouse(s, code="WH1", name="总仓")
            stock = s.scalars(select(Location.id).where(Location.code == "WH1/STOCK")).one()
            supplier = create_partner(s, PartnerInput(
                code="S1", name="供应商", is_customer=False, is_supplier=True)).id
            post_moves(s, [MoveLine(product_id=product, quantity=D(10), unit_cost=D(5),
                                    from_location_id=company_location(s, "supplier").id,
                                    to_location_id=stock)],
                       move_date=date(2026, 2, 10), origin_type="purchase.receipt")
        full = install_addons(env, ["accounting_bridge"])
        api = GraphQLTester(full)
        found = api.ok(SUGGEST, {"m": "2026-03"})["openingBalanceSuggestions"]
        assert [(x["accountCode"], x["debit"], x["credit"]) for x in found["lines"]] == [
            ("1405", "50.00", "0.00"), ("1402", "0.00", "50.00")]
        assert _set(api, "2026-03", *found["lines"])["errors"] == []
        with full.unit_of_work() as s:
            create_invoice(s, partner_id=supplier, direction="payable",
                           invoice_date=date(2026, 3, 5), lines=[InvoiceLineInput(
                               product_id=product, description="轴承", quantity=D(10),
                               unit_price=D(5), tax_rate=D("0.13"))])
            assert ledger.account_balance(s, "1402") == 0
            assert ledger.account_balance(s, "1405") == D(50)
            assert ledger.account_balance(s, "2202") == D("-56.50")
    finally:
        env.database.dispose()
