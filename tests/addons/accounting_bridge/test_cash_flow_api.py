"""Cash-flow items, rules, tags and the statement through GraphQL, on SQLite and
PostgreSQL: names localised, rule overrides (settings permission), payload errors that
change nothing, ``VoucherLine.cashFlowItem`` in a constant number of statements."""

from __future__ import annotations

from decimal import Decimal

import pytest
from accounting_support import World, build_world
from sqlalchemy import event

from openjxc.addons.accounting_bridge import READ
from openjxc.testing.graphql import GraphQLTester

D = Decimal

ITEMS = """query($s: AccountingStandard) { cashFlowItems(standard: $s) {
  code name activity direction } }"""
RULES = """{ cashFlowRules { sourceType itemCode overridden item { code name } } }"""
SET = """mutation($t: String!, $c: String!) { cashFlowRuleSet(input: {sourceType: $t,
  itemCode: $c}) { rule { sourceType itemCode overridden item { code } }
  errors { code field message } } }"""
LINES = """{ vouchers(first: 50) { edges { node { number lines { accountCode
  cashFlowItem { code name activity direction } } } } } }"""
PLAIN_LINES = """{ vouchers(first: 50) { edges { node { number lines { accountCode } } } } }"""


@pytest.fixture
def world(database_url: str) -> World:
    return build_world(database_url)


def rules(api: GraphQLTester) -> dict[str, tuple[str, bool]]:
    return {r["sourceType"]: (r["itemCode"], r["overridden"])
            for r in api.ok(RULES)["cashFlowRules"]}


def test_items_are_the_standards_lines_localised(world: World) -> None:
    api = GraphQLTester(world.env, locale="zh_CN")
    small = api.ok(ITEMS)["cashFlowItems"]
    assert small[0] == {"code": "CF01", "name": "销售产成品、商品、提供劳务收到的现金",
                        "activity": "OPERATING", "direction": "IN"}
    assert {"code": "CF25", "name": "偿还借款利息支付的现金", "activity": "FINANCING",
            "direction": "OUT"} in small
    assert len(small) == 16
    enterprise = api.ok(ITEMS, {"s": "ENTERPRISE"})["cashFlowItems"]
    assert len(enterprise) == 23 and enterprise[1]["name"] == "收到的税费返还"
    assert enterprise[-1] == {"code": "CF31", "name": "汇率变动对现金及现金等价物的影响",
                              "activity": "EXCHANGE_RATE", "direction": "IN"}
    english = GraphQLTester(world.env, locale="en").ok(ITEMS)["cashFlowItems"]
    assert english[0]["name"] == ("Cash received from sales of products and goods and "
                                  "from services")


def test_rules_are_set_reset_and_refused_clearly(world: World) -> None:
    api = GraphQLTester(world.env, locale="zh_CN")
    start = rules(api)
    assert start["payment.receipt"] == ("CF01", False)
    assert start["payment.payment"] == ("CF04", False)
    assert start["asset.acquired"] == ("CF16", False)
    assert start["asset.disposed"] == ("CF13", False)
    assert start["manual"] == ("", False)
    shown = api.ok(RULES)["cashFlowRules"]
    assert {"sourceType": "manual", "itemCode": "", "overridden": False,
            "item": None} in shown

    done = api.ok(SET, {"t": "payment.receipt", "c": "cf03"})["cashFlowRuleSet"]
    assert done == {"rule": {"sourceType": "payment.receipt", "itemCode": "CF03",
                             "overridden": True, "item": {"code": "CF03"}}, "errors": []}
    changed = rules(api)

    for source_type, code, error in (
            ("sales.order", "CF01", {"code": "NOT_FOUND", "field": ["sourceType"],
                                     "message": "来源类型 sales.order 不存在"}),
            ("payment.receipt", "CF99", {"code": "NOT_FOUND", "field": ["itemCode"],
                                         "message": "现金流量项目 CF99 不存在"}),
            ("payment.receipt", "CF02", {"code": "INVALID", "field": ["itemCode"],
                                         "message": "现金流量项目 CF02 不属于账套所用会计准则的"
                                                    "现金流量表"})):
        bad = api.ok(SET, {"t": source_type, "c": code})["cashFlowRuleSet"]
        assert bad == {"rule": None, "errors": [error]}
    assert rules(api) == changed

    reset = api.ok(SET, {"t": "payment.receipt", "c": ""})["cashFlowRuleSet"]
    assert reset["rule"] == {"sourceType": "payment.receipt", "itemCode": "CF01",
                             "overridden": False, "item": {"code": "CF01"}}
    assert rules(api) == start

    reader = GraphQLTester(world.env, permissions={READ})
    reader.refused(SET, {"t": "manual", "c": "CF03"}, code="FORBIDDEN")
    assert rules(api) == start


def test_voucher_lines_show_their_item_and_the_statement_its_rows(world: World) -> None:
    api = GraphQLTester(world.env, locale="zh_CN")
    world.run(lambda s: world.invoice(s, "receivable", D(2), D("100")))
    world.run(lambda s: world.pay(s, "receivable", D("226")))
    api.ok(SET, {"t": "payment.payment", "c": "CF07"})
    world.run(lambda s: world.pay(s, "payable", D("50")))
    world.run(lambda s: world.pay(s, "payable", D("20"), method="cash"))
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    engine = world.env.database.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        api.ok(PLAIN_LINES)
        plain = len(statements)
        found = api.ok(LINES)["vouchers"]["edges"]
        tagged = len(statements) - plain
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert tagged <= plain + 1, statements[plain:]
    lines = {e["node"]["number"]: [(line["accountCode"], line["cashFlowItem"])
                                   for line in e["node"]["lines"]] for e in found}
    assert [item for _code, item in lines["记-0001"]] == [None, None, None]
    assert lines["记-0002"] == [
        ("1002", {"code": "CF01", "name": "销售产成品、商品、提供劳务收到的现金",
                  "activity": "OPERATING", "direction": "IN"}),
        ("1122", None)]
    assert lines["记-0003"][1] == ("1002", {"code": "CF07",
                                          "name": "支付其他与经营活动有关的现金",
                                          "activity": "OPERATING", "direction": "OUT"})
    assert lines["记-0004"][1][1]["code"] == "CF07"

    rows = api.ok("""{ cashFlowStatement(period: "2026-03") { key name amount
        yearToDate } }""")["cashFlowStatement"]
    by_key = {r["key"]: r for r in rows}
    assert by_key["CF01"] == {"key": "CF01", "name": "销售产成品、商品、提供劳务收到的现金",
                              "amount": "226.00", "yearToDate": "226.00"}
    assert by_key["CF07"]["amount"] == "70.00" and by_key["CF04"]["amount"] == "0.00"
    assert by_key["net_operating"]["name"] == "经营活动产生的现金流量净额"
    assert by_key["net_operating"]["amount"] == "156.00"
    assert by_key["net_change"]["amount"] == "156.00"
    assert by_key["beginning_cash"]["amount"] == "0.00"
    assert by_key["ending_cash"] == {"key": "ending_cash", "name": "期末现金余额",
                                     "amount": "156.00", "yearToDate": "156.00"}
    assert by_key["unclassified"]["amount"] == "0.00"
