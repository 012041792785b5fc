"""A dealer's day, told through the GraphQL API — read it as a tour of the product.

杭州东机机电 sells electric motors.  Today its staff buy four YE3 motors from a factory,
find one broken at the door, sell two to a water company that is short of credit, ship
them by serial number, bill them, take part of the money, and take one motor back from
the customer — into quarantine first, then back on the shelf once it was checked.

Every step is done by the person whose job it is, with the permissions of their role (the
role templates the addon ships), and every step is checked the way the owner would check
it: stock per location (on hand, reserved, available, quarantine included), where each
serial unit is and what it cost, the stock value, the order's margin from the cost the
delivery moves carried, the invoice, the customer's balance and its ageing.

The numbers, worked out by hand (tax-exclusive prices, VAT 13 %, cents rounded half up):

* bought: 4 motors × 3,000.00 = 12,000.00 + VAT 1,560.00 = 13,560.00 — above the 5,000.00
  approval threshold, so two different managers must approve;
* sold: 2 motors × 4,800.00 = 9,600.00 + VAT 1,248.00 = 10,848.00 — above the customer's
  10,000.00 credit limit, so a sales manager must approve;
* cost of the two delivered: 2 × 3,000.00 = 6,000.00 → margin 3,600.00 (37.5 %);
* paid 5,000.00 of 10,848.00 → 5,848.00 still owed;
* one motor comes back: a credit note of 4,800.00 + 624.00 = 5,424.00 → 424.00 owed, and
  the order's margin is what the customer kept: 4,800.00 − 3,000.00 = 1,800.00.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import story_support as gql
from argon2 import PasswordHasher, Type
from story_support import codes, ok, whole

from openjxc.core.env import Environment
from openjxc.core.formatting import company_date
from openjxc.core.security import authenticate, create_token, create_user, ensure_role, passwords
from openjxc.testing.fixtures import create_test_database
from openjxc.testing.graphql import GraphQLTester

MOTOR = "YE3-132S-4"
PASSWORD = "story-pass-2026"


@dataclass
class Shop:
    """The dealer's database and its people, each a GraphQL client with their own rights."""

    env: Environment
    today: date
    owner: GraphQLTester  # 老板: the admin role, sees everything
    purchaser: GraphQLTester  # 采购员
    purchase_manager: GraphQLTester  # 采购经理: first approval
    general_manager: GraphQLTester  # 总经理: second approval above the threshold
    clerk: GraphQLTester  # 仓管员: receives, ships, takes returns in
    salesperson: GraphQLTester  # 销售员
    sales_manager: GraphQLTester  # 销售经理: credit approvals, margins, return settlement
    accountant: GraphQLTester  # 财务: invoices, payments, ageing


# -- the story -----------------------------------------------------------------------------

def test_a_dealers_day(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    shop = _open_the_shop(database_url, monkeypatch)
    try:
        _buy_four_motors(shop)
        order = _sell_two_motors(shop)
        _ship_bill_and_collect(shop, order)
        _take_one_back(shop, order)
    finally:
        shop.env.database.dispose()


def _buy_four_motors(shop: Shop) -> None:
    # The purchaser orders four motors from the factory at 3,000.00 each.
    # 4 × 3,000.00 = 12,000.00; VAT 13 % = 1,560.00; total 13,560.00.
    po = ok(shop.purchaser, gql.PO_CREATE, supplierCode="S-DC", warehouseCode="HZ",
            lines=[{"productCode": MOTOR, "quantity": "4", "unitPrice": "3000"}]
            )["purchaseOrder"]
    assert (po["state"], po["amountUntaxed"], po["amountTax"], po["amountTotal"]) == (
        "DRAFT", "12000.00", "1560.00", "13560.00")
    # Above 5,000.00 (the company policy) an order needs two approvals by different people.
    assert po["approvalsRequired"] == 2
    # The purchaser cannot approve their own order: the role does not allow it.
    shop.purchaser.refused(gql.PO_APPROVE, {"input": {"id": po["id"]}}, code="FORBIDDEN")
    first = ok(shop.purchase_manager, gql.PO_APPROVE, id=po["id"], note="价格与上次一致")
    assert first["purchaseOrder"]["state"] == "DRAFT"  # one of two
    # The same manager approving twice does not count as the second approval.
    again = shop.purchase_manager.ok(gql.PO_APPROVE, {"input": {"id": po["id"]}})
    assert codes(again["purchaseOrderApprove"]) == [(("id",), "SAME_APPROVER")]
    approved = ok(shop.general_manager, gql.PO_APPROVE, id=po["id"])["purchaseOrder"]
    assert approved["state"] == "APPROVED"
    assert [a["approvedBy"] for a in approved["approvals"]] == ["qian.jingli", "zhao.zongjian"]
    assert approved["approvalHours"] is not None  # how long the approval took is measured

    # The truck arrives.  The clerk counts four motors, reads their serial numbers and
    # inspects them: YE3-0004 has a cracked terminal box.  The three good ones go to bin
    # A-01 at the order price; the broken one to quarantine, waiting for the factory.
    (line,) = po["lines"]
    received = ok(shop.clerk, gql.PO_RECEIVE, id=po["id"], idempotencyKey="rk-1", lines=[{
        "orderLineId": line["id"], "quantity": "4", "locationCode": "HZ/A-01",
        "serials": ["YE3-0001", "YE3-0002", "YE3-0003"],
        "rejectedQuantity": "1", "rejectedSerials": ["YE3-0004"],
        "rejectReason": "接线盒开裂"}])
    assert received["purchaseOrder"]["state"] == "PARTLY_RECEIVED"  # 3 of 4 accepted
    (receipt,) = received["purchaseReceipt"]["lines"]
    assert (receipt["acceptedQuantity"], receipt["rejectedQuantity"], receipt["rejectedTo"],
            receipt["location"]["code"]) == ("3.0000", "1.0000", "QUARANTINE", "HZ/A-01")

    # Stock now: three to sell, one in quarantine that nobody can sell.
    assert levels(shop) == {"HZ/A-01": ("3", "0", "3"), "HZ/QUARANTINE": ("1", "0", "1")}
    assert units(shop) == {"YE3-0001": ("IN_STOCK", "HZ/A-01", "3000.00"),
                           "YE3-0002": ("IN_STOCK", "HZ/A-01", "3000.00"),
                           "YE3-0003": ("IN_STOCK", "HZ/A-01", "3000.00"),
                           "YE3-0004": ("QUARANTINE", "HZ/QUARANTINE", "3000.00")}
    # Stock value: 3 × 3,000.00 on the shelf, 3,000.00 in quarantine (still ours until the
    # factory takes it back) — 12,000.00 in all.
    assert value(shop) == {"HZ/A-01": ("3", "9000.00"), "HZ/QUARANTINE": ("1", "3000.00")}

    # The factory will not send a replacement: the purchase manager closes the order and
    # books the factory's invoice for the three accepted: 9,000.00 + VAT 1,170.00.
    closed = ok(shop.purchase_manager, gql.PO_CLOSE, id=po["id"])["purchaseOrder"]
    assert closed["state"] == "CLOSED"
    bill = ok(shop.purchase_manager, gql.PO_INVOICE, id=po["id"], externalNumber="33000123",
              idempotencyKey="cgfp-1")["invoice"]
    assert (bill["direction"], bill["amountUntaxed"], bill["amountTotal"]) == (
        "PAYABLE", "9000.00", "10170.00")
    assert balance(shop, "S-DC")["payable"]["balance"] == "10170.00"


def _sell_two_motors(shop: Shop) -> dict[str, Any]:
    # The water company asks for a price: two motors at 4,800.00.
    # 2 × 4,800.00 = 9,600.00; VAT 13 % = 1,248.00; total 10,848.00.
    quote = ok(shop.salesperson, gql.QUOTE_CREATE, customerCode="C-BJ", warehouseCode="HZ",
               lines=[{"productCode": MOTOR, "quantity": "2", "unitPrice": "4800"}]
               )["quotation"]
    assert (quote["state"], quote["amountTax"], quote["amountTotal"]) == (
        "DRAFT", "1248.00", "10848.00")
    assert quote["validUntil"] == str(shop.today + timedelta(days=30))  # the policy's 30 days
    assert ok(shop.salesperson, gql.QUOTE_SEND, id=quote["id"])["quotation"]["state"] == "SENT"
    # The customer accepts: the quotation becomes a draft sales order (the contract).
    converted = ok(shop.salesperson, gql.QUOTE_CONVERT, id=quote["id"],
                   customerReference="BJSW-HT-1130")
    order = converted["salesOrder"]
    assert converted["quotation"]["state"] == "ACCEPTED"
    assert (order["state"], order["quotationNumber"], order["amountTotal"]) == (
        "DRAFT", quote["number"], "10848.00")

    # The salesperson confirms.  The customer's credit limit is 10,000.00 and it owes
    # nothing yet, but this order alone is 10,848.00: exposure 0 + 0 + 10,848.00 > limit.
    # The order is not refused — it waits for a manager, and nothing is reserved.
    held = shop.salesperson.ok(gql.SO_CONFIRM, {"id": order["id"]})["salesOrderConfirm"]
    assert held == {"creditLimitExceeded": True, "errors": [],
                    "salesOrder": {"state": "AWAITING_APPROVAL"}}
    assert levels(shop)["HZ/A-01"] == ("3", "0", "3")
    # Neither the salesperson can approve it, nor the warehouse ship it around the check.
    shop.salesperson.refused(gql.SO_APPROVE, {"input": {"id": order["id"]}}, code="FORBIDDEN")
    early = shop.clerk.ok(gql.SO_DELIVER, {"input": {"id": order["id"]}})["salesOrderDeliver"]
    assert codes(early) == [(("id",), "APPROVAL_REQUIRED")]

    # The sales manager looks at the customer's credit (the waiting order counts as open:
    # 10,000.00 − 10,848.00 = −848.00 available), knows the customer — a public water
    # company, pays late but pays — and approves; the override is recorded with the
    # figures of the moment.
    credit = shop.sales_manager.ok(gql.CREDIT, {"code": "C-BJ"})["customerCredit"]
    assert (credit["creditLimit"], credit["openOrders"], credit["available"]) == (
        "10000.00", "10848.00", "-848.00")
    approved = ok(shop.sales_manager, gql.SO_APPROVE, id=order["id"], reason="国企客户，月底回款")
    assert approved["salesOrder"]["state"] == "CONFIRMED"
    assert approved["salesOrder"]["creditApprovals"] == [{
        "orderTotal": "10848.00", "exposure": "10848.00", "creditLimit": "10000.00",
        "reason": "国企客户，月底回款", "approvedBy": "wang.xiaoshou"}]
    # Confirmed means reserved: two of the three on the shelf are promised to the customer.
    assert levels(shop) == {"HZ/A-01": ("3", "2", "1"), "HZ/QUARANTINE": ("1", "0", "1")}
    return order  # type: ignore[no-any-return]


def _ship_bill_and_collect(shop: Shop, order: dict[str, Any]) -> None:
    # The clerk ships YE3-0002 and YE3-0003 (the serial numbers on the delivery note).
    line_id = sales_order(shop, order["number"])["lines"][0]["id"]
    shipped = ok(shop.clerk, gql.SO_DELIVER, id=order["id"], idempotencyKey="fh-bjsw-1", lines=[
        {"orderLineId": line_id, "serials": ["YE3-0002", "YE3-0003"]}])
    (delivered,) = shipped["salesDelivery"]["lines"]
    assert (delivered["quantity"], delivered["serials"]) == ("2.0000", ["YE3-0002", "YE3-0003"])
    assert shipped["salesOrder"]["state"] == "DELIVERED"
    # The reservation is used up; one motor is left to sell.
    assert levels(shop) == {"HZ/A-01": ("1", "0", "1"), "HZ/QUARANTINE": ("1", "0", "1")}
    assert units(shop)["YE3-0002"] == ("DELIVERED", "PARTNER/CUSTOMER", "3000.00")
    assert value(shop) == {"HZ/A-01": ("1", "3000.00"), "HZ/QUARANTINE": ("1", "3000.00")}

    # The margin comes from the cost the delivery moves carried (each unit its own cost):
    # revenue 9,600.00 − cost 6,000.00 = 3,600.00, 3,600 ÷ 9,600 = 37.5 %.
    seen = sales_order(shop, order["number"])
    assert (seen["revenue"], seen["deliveredCost"], seen["margin"], seen["marginRate"]) == (
        "9600.00", "6000.00", "3600.00", "0.3750")
    assert [(x["deliveredQuantity"], x["deliveredCost"], x["margin"]) for x in seen["lines"]] \
        == [("2.0000", "6000.00", "3600.00")]
    # The salesperson sees the order, but not what the motors cost us.
    hidden = shop.salesperson.execute(gql.ORDER_MARGIN, {"n": order["number"]})
    assert hidden["data"]["salesOrder"]["margin"] is None
    assert {e["extensions"]["code"] for e in hidden["errors"]} == {"FORBIDDEN"}

    # The accountant issues the VAT invoice for what was delivered (the order line is its
    # source, so the order knows it is billed).  30 days' terms: due in a month.
    invoice = ok(shop.accountant, gql.INVOICE_CREATE, partnerCode="C-BJ", direction="RECEIVABLE",
                 idempotencyKey="xsfp-bjsw-1", lines=[{
                     "productCode": MOTOR, "quantity": "2", "unitPrice": "4800",
                     "sourceLineId": line_id}])["invoice"]
    assert (invoice["amountUntaxed"], invoice["amountTax"], invoice["amountTotal"]) == (
        "9600.00", "1248.00", "10848.00")
    assert invoice["dueDate"] == str(shop.today + timedelta(days=30))
    assert sales_order(shop, order["number"])["lines"][0]["invoicedQuantity"] == "2.0000"

    # The customer pays 5,000.00 by bank transfer: the invoice is partly settled.
    paid = ok(shop.accountant, gql.PAYMENT_CREATE, partnerCode="C-BJ", direction="RECEIVABLE",
              amount="5000", reference="工行回单 0871", idempotencyKey="sk-bjsw-1",
              allocations=[{"invoiceId": invoice["id"], "amount": "5000"}])["payment"]
    assert (paid["amountAllocated"], paid["amountUnallocated"]) == ("5000.00", "0.00")
    assert invoices(shop) == [(invoice["number"], "PARTLY_SETTLED", "10848.00", "5848.00")]
    # What the customer owes: 10,848.00 − 5,000.00 = 5,848.00.
    receivable = balance(shop, "C-BJ")["receivable"]
    assert (receivable["invoiced"], receivable["paid"], receivable["open"],
            receivable["balance"]) == ("10848.00", "5000.00", "5848.00", "5848.00")
    # Its credit has room again: 10,000.00 − 5,848.00 = 4,152.00 available.
    credit = shop.sales_manager.ok(gql.CREDIT, {"code": "C-BJ"})["customerCredit"]
    assert (credit["openReceivables"], credit["exposure"], credit["available"]) == (
        "5848.00", "5848.00", "4152.00")
    # The ageing: today the rest is not due yet; 10 days after the due date it sits in the
    # first overdue bucket (1–30 days) of the company's 30/60/90 buckets.
    assert ageing(shop, shop.today) == ("5848.00", ["0.00", "0.00", "0.00", "0.00"])
    late = shop.today + timedelta(days=40)
    assert ageing(shop, late) == ("0.00", ["5848.00", "0.00", "0.00", "0.00"])


def _take_one_back(shop: Shop, order: dict[str, Any]) -> None:
    # The customer calls: YE3-0003 hums.  The clerk registers the return against the order
    # (the serial proves it was sold to this customer) and it gets its return code.
    request = ok(shop.clerk, gql.RETURN_CREATE, customerCode="C-BJ", salesOrderId=order["id"],
                 reason="运行噪音大",
                 lines=[{"productCode": MOTOR, "quantity": "1", "serials": ["YE3-0003"]}]
                 )["return"]
    assert request["code"].startswith("TH-") and request["state"] == "REQUESTED"
    assert request["salesOrderNumber"] == order["number"]

    # It arrives: into quarantine — never straight back onto the sellable shelf — at the
    # cost it left at (its own 3,000.00).
    received = ok(shop.clerk, gql.RETURN_RECEIVE, id=request["id"], idempotencyKey="th-in-1")
    assert received["return"]["state"] == "RECEIVED"
    assert levels(shop) == {"HZ/A-01": ("1", "0", "1"), "HZ/QUARANTINE": ("2", "0", "2")}
    assert units(shop)["YE3-0003"] == ("QUARANTINE", "HZ/QUARANTINE", "3000.00")
    assert value(shop) == {"HZ/A-01": ("1", "3000.00"), "HZ/QUARANTINE": ("2", "6000.00")}
    # The order now counts only what the customer kept: revenue 4,800.00, cost 3,000.00.
    seen = sales_order(shop, order["number"])
    assert seen["lines"][0]["returnedQuantity"] == "1.0000"
    assert (seen["revenue"], seen["deliveredCost"], seen["margin"], seen["marginRate"]) == (
        "4800.00", "3000.00", "1800.00", "0.3750")

    # The technician finds a loose fan cover, fixes it: the motor goes back to bin A-01.
    (line,) = request["lines"]
    inspected = ok(shop.clerk, gql.RETURN_INSPECT, id=request["id"], idempotencyKey="th-qc-1",
                   lines=[{"lineId": line["id"], "restockSerials": ["YE3-0003"],
                           "restockLocationCode": "HZ/A-01"}])
    assert inspected["return"]["state"] == "INSPECTED"
    assert levels(shop) == {"HZ/A-01": ("2", "0", "2"), "HZ/QUARANTINE": ("1", "0", "1")}
    assert units(shop)["YE3-0003"] == ("IN_STOCK", "HZ/A-01", "3000.00")
    assert value(shop) == {"HZ/A-01": ("2", "6000.00"), "HZ/QUARANTINE": ("1", "3000.00")}

    # The sales manager settles it with a credit note (红字发票) for the invoiced motor:
    # 4,800.00 + VAT 624.00 = 5,424.00, set against the open invoice: 5,848 − 5,424 = 424.
    closed = ok(shop.sales_manager, gql.RETURN_CLOSE, id=request["id"], settlement="CREDIT_NOTE",
                idempotencyKey="th-close-1")["return"]
    assert (closed["state"], closed["amount"]) == ("CLOSED", "5424.00")
    assert closed["creditNoteNumber"].startswith("HZFP-")
    receivable = balance(shop, "C-BJ")["receivable"]
    assert (receivable["invoiced"], receivable["credited"], receivable["paid"],
            receivable["balance"]) == ("10848.00", "-5424.00", "5000.00", "424.00")
    assert ageing(shop, shop.today) == ("424.00", ["0.00", "0.00", "0.00", "0.00"])

    # Last, the purchaser sends the broken YE3-0004 back to the factory from quarantine
    # (at its cost, which a purchaser does not get to see): the day ends with two good
    # motors on the shelf, worth 6,000.00.
    sent = ok(shop.purchaser, gql.PURCHASE_RETURN, supplierCode="S-DC", warehouseCode="HZ",
              reason="接线盒开裂", idempotencyKey="ct-1", lines=[{
                  "productCode": MOTOR, "quantity": "1", "fromLocationCode": "HZ/QUARANTINE",
                  "serials": ["YE3-0004"]}])["purchaseReturn"]
    assert sent["number"].startswith("CT-") and sent["lines"] == [{"quantity": "1.0000"}]
    assert levels(shop) == {"HZ/A-01": ("2", "0", "2")}
    assert units(shop)["YE3-0004"] == ("RETURNED_TO_SUPPLIER", "PARTNER/SUPPLIER", "3000.00")
    assert value(shop) == {"HZ/A-01": ("2", "6000.00")}


# -- opening the shop: master data and staff (done once, by the owner) ----------------------

def _open_the_shop(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Shop:
    # Toy Argon2 parameters: the story is about trading, not about password hashing.
    monkeypatch.setattr(passwords, "HASHER", PasswordHasher(
        time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID))
    env = Environment.for_edition("basic", database_url=database_url)
    create_test_database(env)
    api = GraphQLTester(env)  # the schema is built once; everyone shares it
    owner = _as(api, env, "lao.ban", ["admin"])
    ok(owner, """mutation($input: CategoryCreateInput!) { categoryCreate(input: $input) {
        category { code } errors { field code message } } }""", code="DJ", name="电机")
    ok(owner, """mutation($input: ProductCreateInput!) { productCreate(input: $input) {
        product { code } errors { field code message } } }""", code=MOTOR,
       name="YE3 三相异步电动机 5.5kW 4极", categoryCode="DJ", model="YE3-132S-4",
       tracking="SERIAL", listPrice="4800", standardPrice="3000")
    ok(owner, """mutation($input: WarehouseCreateInput!) { warehouseCreate(input: $input) {
        warehouse { code } errors { field code message } } }""", code="HZ",
       name="杭州总仓", bins=["A-01"])
    partner = """mutation($input: PartnerCreateInput!) { partnerCreate(input: $input) {
        partner { code } errors { field code message } } }"""
    ok(owner, partner, code="S-DC", name="浙江东驰电机有限公司", kind="SUPPLIER",
       paymentTermsDays=60)
    ok(owner, partner, code="C-BJ", name="杭州市滨江水务有限公司", kind="CUSTOMER",
       paymentTermsDays=30, creditLimit="10000")
    # The role templates give receiving to purchasers and shipping to sales managers; in
    # this shop the warehouse does both, so the owner adds a role for it (any admin can).
    with env.unit_of_work() as session:
        ensure_role(session, "receiving_shipping", [
            "purchase.order.read", "purchase.order.receive", "sales.order.read",
            "sales.order.deliver"], description="仓库收发货", env=env)
    return Shop(
        env=env, today=company_date(env.settings.timezone), owner=owner,
        purchaser=_as(api, env, "li.caigou", ["purchaser"]),
        purchase_manager=_as(api, env, "qian.jingli", ["purchase_manager"]),
        general_manager=_as(api, env, "zhao.zongjian", ["purchase_manager"]),
        clerk=_as(api, env, "chen.cangguan",
                  ["warehouse_clerk", "return_clerk", "receiving_shipping"]),
        salesperson=_as(api, env, "zhou.xiaoshou", ["salesperson"]),
        sales_manager=_as(api, env, "wang.xiaoshou", ["sales_manager", "return_manager"]),
        accountant=_as(api, env, "sun.caiwu", ["accountant"]))


def _as(api: GraphQLTester, env: Environment, username: str, roles: list[str]) -> GraphQLTester:
    """A user with these roles, signed in: the client acts with what the roles grant."""
    with env.unit_of_work() as session:
        create_user(session, env, username, PASSWORD, roles=roles)
    with env.unit_of_work() as session:
        token = create_token(session, env, username, PASSWORD).token
        principal = authenticate(session, env, token)
    assert principal is not None
    person = api.anonymous()
    person.principal = dataclasses.replace(principal, locale=api.locale)
    return person


# -- how the owner looks at the books ------------------------------------------------------

def levels(shop: Shop) -> dict[str, tuple[str, str, str]]:
    """On hand, reserved and available motors per location of the warehouse."""
    rows = shop.owner.ok("""query($p: String!) { stockLevels(filter: {warehouseCode: "HZ",
        productCode: $p}) { edges { node { onHand reserved available location { code } } } } }""",
                         {"p": MOTOR})["stockLevels"]["edges"]
    return {r["node"]["location"]["code"]: tuple(  # type: ignore[misc]
        whole(r["node"][k]) for k in ("onHand", "reserved", "available")) for r in rows}


def units(shop: Shop) -> dict[str, tuple[str, str, str]]:
    """Each serial unit: its state, where it is, what it cost."""
    rows = shop.owner.ok("""query($p: String!) { serialNumbers(filter: {productCode: $p}) {
        edges { node { number state unitCost location { code } } } } }""",
                         {"p": MOTOR})["serialNumbers"]["edges"]
    return {r["node"]["number"]: (r["node"]["state"], r["node"]["location"]["code"],
                                  r["node"]["unitCost"]) for r in rows}


def value(shop: Shop) -> dict[str, tuple[str, str]]:
    """The stock valuation tonight: quantity and value per location."""
    rows = shop.owner.ok("""query($d: Date!) { stockAsOf(date: $d, warehouseCode: "HZ") {
        quantity value location { code } } }""", {"d": str(shop.today)})["stockAsOf"]
    return {r["location"]["code"]: (whole(r["quantity"]), r["value"]) for r in rows
            if Decimal(r["quantity"])}


def sales_order(shop: Shop, number: str) -> dict[str, Any]:
    return shop.sales_manager.ok(gql.ORDER_MARGIN, {"n": number})["salesOrder"]  # type: ignore[no-any-return]


def invoices(shop: Shop) -> list[tuple[str, str, str, str]]:
    rows = shop.accountant.ok("""{ invoices(filter: {partnerCode: "C-BJ", kind: INVOICE}) {
        edges { node { number state amountTotal amountOpen } } } }""")["invoices"]["edges"]
    return [(r["node"]["number"], r["node"]["state"], r["node"]["amountTotal"],
             r["node"]["amountOpen"]) for r in rows]


def balance(shop: Shop, partner: str) -> dict[str, Any]:
    rows = shop.accountant.ok("""query($p: [String!]) { partnerBalances(filter: {partnerCodes:
        $p}) { edges { node { receivable { invoiced credited paid open balance }
        payable { balance } } } } }""", {"p": [partner]})["partnerBalances"]["edges"]
    return rows[0]["node"]  # type: ignore[no-any-return]


def ageing(shop: Shop, as_of: date) -> tuple[str, list[str]]:
    """The customer's row of the receivables ageing: not yet due, and the overdue buckets."""
    report = shop.accountant.ok("""query($d: Date) { receivablesAging(asOf: $d,
        partnerCodes: ["C-BJ"]) { rows { notDue buckets } } }""",
                                {"d": str(as_of)})["receivablesAging"]
    (row,) = report["rows"]
    return row["notDue"], row["buckets"]
