"""Vouchers made in the transaction of the documents, one story each, on SQLite and
PostgreSQL (小企业会计准则 codes; the enterprise chart in the last story)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from accounting_support import DAY, World, build_world

from openjxc.addons.accounting_bridge import books, mapping
from openjxc.addons.base_jxc.stock.posting import MoveLine, post_moves
from openjxc.addons.base_jxc.stock.warehouses import company_location, warehouse_location
from openjxc.addons.depreciation.assets import AssetInput, create_asset
from openjxc.addons.depreciation.disposal import dispose_asset
from openjxc.addons.depreciation.runs import run_depreciation

D = Decimal
Z = D("0.00")


@pytest.fixture
def world(database_url: str) -> World:
    return build_world(database_url)


def test_a_receipt_books_stock_against_goods_in_transit(world: World) -> None:
    world.run(lambda s: world.receive(s, D(10), D("8.50")))
    assert world.lines() == [("1405", D("85.00"), Z), ("1402", Z, D("85.00"))]
    assert world.vouchers() == [("记-0001", "stock")]


def test_a_supplier_invoice_books_input_vat_and_the_payable(world: World) -> None:
    world.run(lambda s: world.invoice(s, "payable", D(10), D("8.50")))
    assert world.lines() == [("1402", D("85.00"), Z), ("22210101", D("11.05"), Z),
                             ("2202", Z, D("96.05"))]


def test_a_delivery_books_the_cost_at_the_moves_value(world: World) -> None:
    world.run(lambda s: world.receive(s, D(10), D("8.50")))
    world.run(lambda s: world.deliver(s, D(4)))
    assert world.lines() == [("5401", D("34.00"), Z), ("1405", Z, D("34.00"))]
    assert world.balance("1405") == world.stock_value() == D("51.00")


def test_a_sales_invoice_books_revenue_and_output_vat(world: World) -> None:
    world.run(lambda s: world.invoice(s, "receivable", D(2), D("100")))
    assert world.lines() == [("1122", D("226.00"), Z), ("5001", Z, D("200.00")),
                             ("22210106", Z, D("26.00"))]


def test_a_credit_note_is_a_red_voucher(world: World) -> None:
    world.run(lambda s: world.invoice(s, "receivable", D(1), D("100"), kind="credit_note"))
    assert world.lines() == [("1122", D("-113.00"), Z), ("5001", Z, D("-100.00")),
                             ("22210106", Z, D("-13.00"))]


def test_payments_and_receipts_go_through_the_bank(world: World) -> None:
    world.run(lambda s: world.pay(s, "receivable", D("226")))
    assert world.lines() == [("1002", D("226.00"), Z), ("1122", Z, D("226.00"))]
    world.run(lambda s: world.pay(s, "payable", D("96.05"), method="cash"))
    assert world.lines() == [("2202", D("96.05"), Z), ("1001", Z, D("96.05"))]


def test_a_customer_return_is_a_red_cost_voucher(world: World) -> None:
    world.run(lambda s: world.receive(s, D(10), D("8.50")))

    def back(s):  # type: ignore[no-untyped-def]
        post_moves(s, [MoveLine(product_id=world.ids["P1"], quantity=D(1),
                                from_location_id=company_location(s, "customer").id,
                                to_location_id=warehouse_location(s, world.ids["WH1"],
                                                                  "quarantine").id,
                                unit_cost=D("8.50"))],
                   move_date=DAY, origin_type="sales.return")

    world.run(back)
    assert world.lines() == [("5401", D("-8.50"), Z), ("1405", Z, D("-8.50"))]


def test_a_count_variance_goes_to_pending_losses(world: World) -> None:
    world.run(lambda s: world.receive(s, D(10), D("8.50")))
    world.run(lambda s: post_moves(s, [MoveLine(
        product_id=world.ids["P1"], quantity=D(1), from_location_id=world.ids["WH1/STOCK"],
        to_location_id=company_location(s, "adjustment").id)], move_date=DAY,
        origin_type="count"))
    assert world.lines() == [("1901", D("8.50"), Z), ("1405", Z, D("8.50"))]


def test_depreciation_by_department_and_disposal_through_clearing(world: World) -> None:
    asset = world.run(lambda s: create_asset(s, AssetInput(
        name="叉车", cost=D("12000"), acquired_on=date(2026, 1, 15),
        category_code="MACHINERY", department="销售部")))
    assert world.lines() == [("1601", D("12000.00"), Z), ("2241", Z, D("12000.00"))]
    world.run(lambda s: run_depreciation(s, date(2026, 2, 1)))
    assert world.lines() == [("5601", D("95.00"), Z), ("1602", Z, D("95.00"))]
    world.run(lambda s: dispose_asset(s, asset.id, disposed_on=date(2026, 3, 5),
                                      kind="sale", proceeds=D("11000"), costs=D("100")))
    assert world.balance("1606") == 0 and world.balance("1601") == 0
    # The disposal month still depreciates (当月减少的当月照提): its run settles 累计折旧.
    world.run(lambda s: run_depreciation(s, date(2026, 3, 1)))
    assert world.balance("1602") == 0
    assert world.balance("5711") == D("910.00")  # loss: 11000 − (12000 − 190) − 100
    assert world.unbalanced() == []


def test_a_mapping_by_partner_wins_over_the_general_rule(world: World) -> None:
    world.run(lambda s: books.add_sub_account(s, "5001", "主营业务收入-轴承"))
    sub = world.run(lambda s: books.add_sub_account(s, "5001", "主营业务收入-大客户"))
    world.run(lambda s: mapping.set_rule(s, mapping.RuleInput(
        document="sales.invoice", role="revenue", account_code=sub.code, partner_code="C1")))
    world.run(lambda s: world.invoice(s, "receivable", D(1), D("100")))
    assert ("500102", Z, D("100.00")) in world.lines()
    assert world.refusal(lambda s: mapping.set_rule(s, mapping.RuleInput(
        document="sales.invoice", role="revenue", account_code="5001")))[0][0] == "NOT_LEAF"


def test_the_enterprise_chart_posts_to_its_own_codes(world: World) -> None:
    world.run(lambda s: books.choose_standard(s, "enterprise"))
    world.run(lambda s: world.invoice(s, "receivable", D(1), D("100")))
    assert [c for c, _, _ in world.lines()] == ["1122", "6001", "22210106"]


def test_capitalising_a_stock_unit_moves_its_cost_to_fixed_assets(world: World) -> None:
    from sqlalchemy import select

    from openjxc.addons.base_jxc.catalog.services import ProductInput, create_product
    from openjxc.addons.base_jxc.stock.models import SerialNumber
    from openjxc.addons.depreciation.assets import capitalize_serial

    def stock_a_motor(s):  # type: ignore[no-untyped-def]
        product = create_product(s, ProductInput(code="MOTOR", name="电机", category_code="GOODS",
                                                 tracking="serial"))
        post_moves(s, [MoveLine(product_id=product.id, quantity=D(1),
                                from_location_id=company_location(s, "supplier").id,
                                to_location_id=world.ids["WH1/STOCK"], unit_cost=D("3100"),
                                serials=["M-001"])], move_date=DAY,
                   origin_type="purchase.receipt")
        return s.scalar(select(SerialNumber.id).where(SerialNumber.number == "M-001"))

    serial_id = world.run(stock_a_motor)
    world.run(lambda s: capitalize_serial(s, serial_id, AssetInput(
        name="样机", cost=D(0), acquired_on=DAY, category_code="MACHINERY")))
    assert world.lines() == [("1601", D("3100.00"), Z), ("1405", Z, D("3100.00"))]
    assert world.balance("1405") == world.stock_value() == 0


def test_a_purchase_return_negates_the_receipt(world: World) -> None:
    world.run(lambda s: world.receive(s, D(10), D("8.50")))
    world.run(lambda s: post_moves(s, [MoveLine(
        product_id=world.ids["P1"], quantity=D(2), from_location_id=world.ids["WH1/STOCK"],
        to_location_id=company_location(s, "supplier").id)], move_date=DAY,
        origin_type="purchase.return"))
    assert world.lines() == [("1405", D("-17.00"), Z), ("1402", Z, D("-17.00"))]
    assert world.balance("1405") == world.stock_value() == D("68.00")


def test_revenue_by_product_category(world: World) -> None:
    world.run(lambda s: books.add_sub_account(s, "5001", "其他商品"))
    goods = world.run(lambda s: books.add_sub_account(s, "5001", "轴承类"))
    world.run(lambda s: mapping.set_rule(s, mapping.RuleInput(
        document="sales.invoice", role="revenue", account_code=goods.code,
        category_code="GOODS")))
    world.run(lambda s: world.invoice(s, "receivable", D(3), D("10")))
    assert world.lines() == [("1122", D("33.90"), Z), ("500102", Z, D("30.00")),
                             ("22210106", Z, D("3.90"))]
