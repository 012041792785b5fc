"""The Pro edition's story, told through the GraphQL API by the people whose job it is.

杭州东机机电 sells a YE3 motor with its variable-frequency drive to a water company.  The
motor needs installing, so the delivery makes the installation order by itself; the
technician installs it a month after the delivery, and the motor's warranty (12 months
from installation, parts and labour) starts that day.  The drive fails: a repair under
warranty replaces it from the technician's van — free, no invoice — and the device record
follows the swap.  Thirteen months after the installation the new drive fails too: the
warranty is over, so the repair is billed, parts and labour.  Then the after-sales manager
opens the motor's archive and sees its whole life.

The numbers (tax-exclusive prices, VAT 13 %):

* bought: the motor at 3,000.00, drives at 500.00 (one with the motor, two for the van);
* sold: the motor at 4,800.00 and its drive at 800.00;
* free repair: a drive (list price 800.00) and 1.5 h of labour, all covered — no invoice;
* paid repair: a drive 800.00 + 2 h × 150.00 = 300.00 → 1,100.00 + VAT 143.00 = 1,243.00.

Business dates: the receipt is dated 40 days ago and the delivery 30 days ago (the
documents' own date fields); the installation and the free repair are done today.  Then
the shop's clock moves 13 months on (:class:`Clock`: the three places the code reads the
time — the company's today, ``company_date`` and ``utcnow`` — see it moved), and the
second failure is reported, repaired and billed on that day.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher, Type

from openjxc.addons.base_jxc.stock import posting
from openjxc.addons.serial_warranty.months import term_end
from openjxc.core import formatting
from openjxc.core import models as core_models
from openjxc.core.env import Environment
from openjxc.core.formatting import company_date
from openjxc.core.security import ensure_role, passwords
from openjxc.testing.fixtures import create_test_database
from openjxc.testing.graphql import GraphQLTester

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "base_jxc"))
import story_support as gql
from story_support import mutation, ok, whole
from test_story_dealer_day import _as

MOTOR, DRIVE = "YE3-132S-4", "VFD-5K5"

SO_CREATE = mutation("salesOrderCreate", "SalesOrderCreateInput",
                     "salesOrder { id number lines { id } }")
POLICY_CREATE = mutation("warrantyPolicyCreate", "WarrantyPolicyCreateInput",
                         "warrantyPolicy { months startsOn }")
FIT = mutation("accessoryFit", "AccessoryFitInput", "fitment { fittedOn }")
WORK = """id number type source state coversParts coversLabour invoiceNumber deliveryNumber
  assignee devices { serialNumber }"""
#: What the office sees of an order; the technician's role does not read warranties.
ORDER = f"{WORK} warranty {{ startDate endDate }}"
SVC_CREATE = mutation("serviceOrderCreate", "ServiceOrderCreateInput",
                      f"serviceOrder {{ {ORDER} }}")
SVC_ASSIGN = mutation("serviceOrderAssign", "ServiceOrderAssignInput",
                      f"serviceOrder {{ {ORDER} }}")
SVC_START = mutation("serviceOrderStart", "ServiceOrderStartInput",
                     f"serviceOrder {{ {WORK} }}")
SVC_RECORD = mutation("serviceOrderRecord", "ServiceOrderRecordInput",
                      f"serviceOrder {{ {WORK} }}")
SVC_COMPLETE = mutation("serviceOrderComplete", "ServiceOrderCompleteInput",
                        f"serviceOrder {{ {WORK} }}")
SVC_CLOSE = mutation("serviceOrderClose", "ServiceOrderCloseInput", "serviceOrder { state }")
WARRANTY = "startsOn deliveredOn installedOn startDate endDate coversParts coversLabour"
ARCHIVE = f"""query($n: String!, $on: Date) {{ serialNumber(number: $n) {{
  warranty {{ {WARRANTY} status(on: $on) }}
  archive {{
    purchases {{ supplierCode receivedOn unitCost }}
    moves {{ moveDate originType fromLocation {{ code }} toLocation {{ code }} }}
    sales {{ customerCode deliveredOn }}
    warranties {{ startDate endDate installedOn }}
    fitments {{ accessorySerialNumber fittedOn removedOn }}
    serviceOrders {{ number type coversParts coversLabour invoiceNumber
      parts {{ product {{ code }} fittedSerial removedSerial deviceSerial quantity unitPrice
               cost }}
      labour {{ technician hours rate }}
      warranty {{ startDate }} }}
    returns {{ code }} }} }} }}"""


class _AnyDatetime(type):
    """Real datetimes still pass ``isinstance(x, datetime)`` in the patched modules."""

    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, datetime)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, datetime)


class Clock:
    """The shop's clock: moved forward, every "now" and "today" the code reads follows."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.offset = timedelta(0)
        clock = self

        class Moved(datetime, metaclass=_AnyDatetime):
            @classmethod
            def now(cls, tz: Any = None) -> Any:
                return datetime.now(tz) + clock.offset

        for module in (posting, formatting, core_models):
            monkeypatch.setattr(module, "datetime", Moved)

    def move_to(self, day: date, today: date) -> None:
        """Make ``day`` the business day (``today`` being the real one)."""
        self.offset = day - today


@dataclass
class Shop:
    env: Environment
    clock: Clock
    today: date  # the installation day
    owner: GraphQLTester  # 老板: sets up the shop (admin)
    purchaser: GraphQLTester  # 采购员
    purchase_manager: GraphQLTester  # 采购经理
    clerk: GraphQLTester  # 仓管员: receives and ships
    salesperson: GraphQLTester  # 销售员
    after_sales: GraphQLTester  # 售后主管: warranties and service orders
    technician: GraphQLTester  # 技术员 li.jishu, with van VAN1
    accountant: GraphQLTester  # 财务

    @property
    def delivered(self) -> date:
        return self.days_ago(30)

    @property
    def warranty_end(self) -> date:
        """Twelve months from the installation (today)."""
        return term_end(self.today, 12)

    @property
    def second_failure(self) -> date:
        """The day the drive fails again: a month after the warranty ended."""
        return self.warranty_end + timedelta(days=30)

    def days_ago(self, days: int) -> date:
        return self.today - timedelta(days=days)


def test_a_motor_from_sale_to_paid_repair(database_url: str,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    shop = _open_the_shop(database_url, Clock(monkeypatch), monkeypatch)
    try:
        _buy_a_motor_and_stock_the_van(shop)
        installation = _sell_the_motor_with_its_drive(shop)
        _install_it(shop, installation)
        _repair_it_under_warranty(shop)
        _repair_it_after_expiry(shop)
        _read_its_archive(shop)
    finally:
        shop.env.database.dispose()


def _buy_a_motor_and_stock_the_van(shop: Shop) -> None:
    # One motor and its drive for the warehouse, two spare drives for the technician's van
    # (each order is below the 5,000.00 threshold: one approval).
    for warehouse, lines, serials in (
            ("HZ", [(MOTOR, "1", "3000"), (DRIVE, "1", "500")], [["YE3-0001"], ["DRV-0001"]]),
            ("VAN1", [(DRIVE, "2", "500")], [["DRV-0101", "DRV-0102"]])):
        po = ok(shop.purchaser, gql.PO_CREATE, supplierCode="S-DC", warehouseCode=warehouse,
                lines=[{"productCode": p, "quantity": q, "unitPrice": u} for p, q, u in lines]
                )["purchaseOrder"]
        assert po["approvalsRequired"] == 1
        ok(shop.purchase_manager, gql.PO_APPROVE, id=po["id"])
        ok(shop.clerk, gql.PO_RECEIVE, id=po["id"], receiptDate=str(shop.days_ago(40)),
           lines=[{"orderLineId": line["id"], "quantity": str(len(units)), "serials": units}
                  for line, units in zip(po["lines"], serials, strict=True)])
    assert levels(shop, "VAN1", DRIVE) == {"VAN1/STOCK": "2"}
    assert levels(shop, "HZ", MOTOR) == {"HZ/STOCK": "1"}


def _sell_the_motor_with_its_drive(shop: Shop) -> dict[str, Any]:
    order = ok(shop.salesperson, SO_CREATE, customerCode="C-BJ", warehouseCode="HZ",
               orderDate=str(shop.days_ago(31)), lines=[
                   {"productCode": MOTOR, "quantity": "1", "unitPrice": "4800"},
                   {"productCode": DRIVE, "quantity": "1", "unitPrice": "800"}])["salesOrder"]
    confirmed = shop.salesperson.ok(gql.SO_CONFIRM, {"id": order["id"]})["salesOrderConfirm"]
    assert confirmed["salesOrder"]["state"] == "CONFIRMED"
    motor_line, drive_line = (line["id"] for line in order["lines"])
    shipped = ok(shop.clerk, gql.SO_DELIVER, id=order["id"], deliveryDate=str(shop.delivered),
                 lines=[{"orderLineId": motor_line, "serials": ["YE3-0001"]},
                        {"orderLineId": drive_line, "serials": ["DRV-0001"]}])
    assert shipped["salesOrder"]["state"] == "DELIVERED"
    assert units(shop, "YE3-0001", "DRV-0001") == {"YE3-0001": "PARTNER/CUSTOMER",
                                                   "DRV-0001": "PARTNER/CUSTOMER"}

    # The delivery issued the motor's warranty (the drive's category has no policy), its
    # clock running from the delivery until an installation is recorded.
    assert warranty(shop, "YE3-0001") == {
        "startsOn": "INSTALLATION", "deliveredOn": str(shop.delivered), "installedOn": None,
        "startDate": str(shop.delivered), "endDate": str(term_end(shop.delivered, 12)),
        "coversParts": True, "coversLabour": True, "status": "ACTIVE"}
    assert warranty(shop, "DRV-0001") is None
    # The after-sales manager records that the drive sits on the motor.
    ok(shop.after_sales, FIT, hostSerialId=serial_id(shop, "YE3-0001"),
       accessorySerialId=serial_id(shop, "DRV-0001"), fittedOn=str(shop.delivered))

    # The motor needs installing: the delivery made the installation order by itself.
    (installation,) = orders(shop)
    assert {k: installation[k] for k in ("type", "source", "state", "deliveryNumber",
                                         "devices", "coversParts")} == {
        "type": "INSTALLATION", "source": "DELIVERY", "state": "NEW",
        "deliveryNumber": shipped["salesDelivery"]["number"],
        "devices": [{"serialNumber": "YE3-0001"}], "coversParts": False}
    return installation


def _install_it(shop: Shop, installation: dict[str, Any]) -> None:
    assigned = ok(shop.after_sales, SVC_ASSIGN, id=installation["id"], username="li.jishu",
                  plannedDate=str(shop.today))["serviceOrder"]
    assert (assigned["state"], assigned["assignee"]) == ("ASSIGNED", "li.jishu")
    # The technician cannot assign work, only do it.
    shop.technician.refused(SVC_ASSIGN, {"input": {"id": installation["id"],
                                                   "username": "li.jishu"}},
                            code="FORBIDDEN")
    ok(shop.technician, SVC_START, id=installation["id"])
    ok(shop.technician, SVC_RECORD, id=installation["id"], note="基础找平，接线，试运行正常",
       minutes=180)  # installation is part of the sale: time, no billable labour
    done = ok(shop.technician, SVC_COMPLETE, id=installation["id"])["serviceOrder"]
    assert (done["state"], done["invoiceNumber"]) == ("DONE", None)
    ok(shop.after_sales, SVC_CLOSE, id=installation["id"], rating=5, comment="安装规范")

    # The warranty starts again on the installation day: 12 months from today.
    assert warranty(shop, "YE3-0001") == {
        "startsOn": "INSTALLATION", "deliveredOn": str(shop.delivered),
        "installedOn": str(shop.today), "startDate": str(shop.today),
        "endDate": str(shop.warranty_end), "coversParts": True, "coversLabour": True,
        "status": "ACTIVE"}
    assert invoices(shop) == []


def _repair_it_under_warranty(shop: Shop) -> None:
    # The customer calls: the drive trips.  Under warranty: parts and labour are free.
    repair = ok(shop.after_sales, SVC_CREATE, type="REPAIR", customerCode="C-BJ",
                source="CUSTOMER", priority="HIGH", description="变频器过流跳闸",
                devices=[{"serialNumber": "YE3-0001", "productCode": MOTOR}])["serviceOrder"]
    assert (repair["coversParts"], repair["coversLabour"]) == (True, True)
    assert repair["warranty"] == {"startDate": str(shop.today),
                                  "endDate": str(shop.warranty_end)}
    ok(shop.after_sales, SVC_ASSIGN, id=repair["id"], username="li.jishu")
    ok(shop.technician, SVC_START, id=repair["id"])
    # The technician swaps the drive from the van: DRV-0101 goes in, DRV-0001 comes out
    # into the van's quarantine.
    ok(shop.technician, SVC_RECORD, id=repair["id"], note="更换变频器", minutes=90,
       labour=[{"hours": "1.5"}], parts=[{"productCode": DRIVE, "quantity": "1",
                                          "serials": ["DRV-0101"],
                                          "removedSerial": "DRV-0001"}])
    done = ok(shop.technician, SVC_COMPLETE, id=repair["id"])["serviceOrder"]
    assert (done["state"], done["invoiceNumber"]) == ("DONE", None)  # free
    assert invoices(shop) == []

    assert levels(shop, "VAN1", DRIVE) == {"VAN1/STOCK": "1", "VAN1/QUARANTINE": "1"}
    assert units(shop, "DRV-0001", "DRV-0101", "DRV-0102") == {
        "DRV-0001": "VAN1/QUARANTINE", "DRV-0101": "PARTNER/CUSTOMER",
        "DRV-0102": "VAN1/STOCK"}
    assert fitments(shop) == [("DRV-0001", str(shop.delivered), str(shop.today)),
                              ("DRV-0101", str(shop.today), None)]
    # What the warranty cost the shop this month: the drive at its cost 500.00 and
    # 1.5 h at the internal rate of 90.00 = 135.00.
    cost = shop.after_sales.ok("""query($d: Date!) { warrantyCost(from: $d, to: $d) {
        orders partsCost labourCost total } }""", {"d": str(shop.today)})["warrantyCost"]
    assert cost == {"orders": 1, "partsCost": "500.00", "labourCost": "135.00",
                    "total": "635.00"}


def _repair_it_after_expiry(shop: Shop) -> None:
    # Thirteen months after the installation the drive trips again: the warranty ended.
    day = shop.second_failure
    shop.clock.move_to(day, shop.today)
    assert warranty(shop, "YE3-0001")["status"] == "EXPIRED"
    repair = ok(shop.after_sales, SVC_CREATE, type="REPAIR", customerCode="C-BJ",
                source="CUSTOMER", description="变频器再次跳闸",
                devices=[{"serialNumber": "YE3-0001", "productCode": MOTOR}])["serviceOrder"]
    assert (repair["coversParts"], repair["coversLabour"], repair["warranty"]) == (
        False, False, None)
    ok(shop.after_sales, SVC_ASSIGN, id=repair["id"], username="li.jishu")
    ok(shop.technician, SVC_START, id=repair["id"])
    ok(shop.technician, SVC_RECORD, id=repair["id"], note="更换变频器", labour=[{"hours": "2"}],
       parts=[{"productCode": DRIVE, "quantity": "1", "serials": ["DRV-0102"],
               "removedSerial": "DRV-0101"}])
    done = ok(shop.technician, SVC_COMPLETE, id=repair["id"])["serviceOrder"]
    # The drive 800.00 + 2 h × 150.00 = 1,100.00; VAT 13 % = 143.00; total 1,243.00,
    # invoiced on the day of the repair.
    assert done["invoiceNumber"] is not None
    assert invoices(shop) == [{
        "number": done["invoiceNumber"], "direction": "RECEIVABLE", "state": "OPEN",
        "invoiceDate": str(day), "amountUntaxed": "1100.00", "amountTax": "143.00",
        "amountTotal": "1243.00",
        "lines": [
            {"product": {"code": DRIVE}, "quantity": "1.0000", "unitPrice": "800.000000",
             "amount": "800.00"},
            {"product": None, "quantity": "2.0000", "unitPrice": "150.000000",
             "amount": "300.00"}]}]

    assert levels(shop, "VAN1", DRIVE) == {"VAN1/QUARANTINE": "2"}
    assert units(shop, "DRV-0001", "DRV-0101", "DRV-0102") == {
        "DRV-0001": "VAN1/QUARANTINE", "DRV-0101": "VAN1/QUARANTINE",
        "DRV-0102": "PARTNER/CUSTOMER"}


def _read_its_archive(shop: Shop) -> None:
    later = shop.second_failure
    motor = shop.after_sales.ok(ARCHIVE, {"n": "YE3-0001", "on": None})["serialNumber"]
    assert motor["warranty"]["status"] == "EXPIRED"
    # …and as of the free repair's day it was active.
    then = shop.after_sales.ok(ARCHIVE, {"n": "YE3-0001", "on": str(shop.today)})
    assert then["serialNumber"]["warranty"]["status"] == "ACTIVE"
    archive = motor["archive"]
    assert archive["purchases"] == [{"supplierCode": "S-DC",
                                     "receivedOn": str(shop.days_ago(40)),
                                     "unitCost": "3000.000000"}]
    assert [(m["moveDate"], m["originType"], m["fromLocation"]["code"],
             m["toLocation"]["code"]) for m in archive["moves"]] == [
        (str(shop.days_ago(40)), "purchase.receipt", "PARTNER/SUPPLIER", "HZ/STOCK"),
        (str(shop.delivered), "sales.delivery", "HZ/STOCK", "PARTNER/CUSTOMER")]
    assert archive["sales"] == [{"customerCode": "C-BJ", "deliveredOn": str(shop.delivered)}]
    assert archive["warranties"] == [{"startDate": str(shop.today),
                                      "endDate": str(shop.warranty_end),
                                      "installedOn": str(shop.today)}]
    assert [(f["accessorySerialNumber"], f["fittedOn"], f["removedOn"])
            for f in archive["fitments"]] == [
        ("DRV-0001", str(shop.delivered), str(shop.today)),
        ("DRV-0101", str(shop.today), str(later)),
        ("DRV-0102", str(later), None)]
    assert archive["returns"] == []
    installation, free, paid = archive["serviceOrders"]
    assert (installation["type"], installation["parts"], installation["labour"]) == (
        "INSTALLATION", [], [])
    assert (free["type"], free["coversParts"], free["coversLabour"], free["invoiceNumber"],
            free["warranty"]) == ("REPAIR", True, True, None, {"startDate": str(shop.today)})
    assert free["parts"] == [{"product": {"code": DRIVE}, "fittedSerial": "DRV-0101",
                              "removedSerial": "DRV-0001", "deviceSerial": "YE3-0001",
                              "quantity": "1.0000", "unitPrice": "800.000000",
                              "cost": "500.00"}]
    assert free["labour"] == [{"technician": "li.jishu", "hours": "1.5000",
                               "rate": "150.00"}]
    assert (paid["coversParts"], paid["invoiceNumber"] is not None, paid["warranty"]) == (
        False, True, None)
    assert [(p["fittedSerial"], p["removedSerial"]) for p in paid["parts"]] == [
        ("DRV-0102", "DRV-0101")]
    assert [whole(x["hours"]) for x in paid["labour"]] == ["2"]

    # The drive that came and went has both repairs in its own archive.
    drive = shop.after_sales.ok(ARCHIVE, {"n": "DRV-0101", "on": None})["serialNumber"]
    assert [o["number"] for o in drive["archive"]["serviceOrders"]] == [free["number"],
                                                                          paid["number"]]


# -- the shop --------------------------------------------------------------------------------

def _open_the_shop(database_url: str, clock: Clock,
                   monkeypatch: pytest.MonkeyPatch) -> Shop:
    monkeypatch.setattr(passwords, "HASHER", PasswordHasher(
        time_cost=1, memory_cost=1024, parallelism=1, type=Type.ID))
    env = Environment.for_edition("pro", database_url=database_url)
    assert "service_warranty" in env.addon_names
    create_test_database(env)
    api = GraphQLTester(env)
    owner = _as(api, env, "lao.ban", ["admin"])
    for code, name in (("DJ", "电机"), ("PJ", "配件")):
        ok(owner, """mutation($input: CategoryCreateInput!) { categoryCreate(input: $input) {
            category { code } errors { field code message } } }""", code=code, name=name)
    product = """mutation($input: ProductCreateInput!) { productCreate(input: $input) {
        product { code } errors { field code message } } }"""
    ok(owner, product, code=MOTOR, name="YE3 三相异步电动机 5.5kW 4极", categoryCode="DJ",
       tracking="SERIAL", listPrice="4800", standardPrice="3000")
    ok(owner, product, code=DRIVE, name="变频器 5.5kW", categoryCode="PJ", tracking="SERIAL",
       listPrice="800", standardPrice="500")
    ok(owner, """mutation($input: ProductRelationInput!) { productRelationCreate(input: $input)
        { productRelation { kind } errors { field code message } } }""",
       kind="SPARE_PART_OF", productCode=DRIVE, relatedCode=MOTOR)
    warehouse = """mutation($input: WarehouseCreateInput!) { warehouseCreate(input: $input) {
        warehouse { code } errors { field code message } } }"""
    ok(owner, warehouse, code="HZ", name="杭州总仓")
    ok(owner, warehouse, code="VAN1", name="一号服务车", kind="VAN")
    partner = """mutation($input: PartnerCreateInput!) { partnerCreate(input: $input) {
        partner { code } errors { field code message } } }"""
    ok(owner, partner, code="S-DC", name="浙江东驰电机有限公司", kind="SUPPLIER")
    ok(owner, partner, code="C-BJ", name="杭州市滨江水务有限公司", kind="CUSTOMER",
       addresses=[{"kind": "SHIPPING", "address": "滨江区江南大道 1 号泵站",
                   "isPrimary": True}])
    with env.unit_of_work() as session:
        ensure_role(session, "receiving_shipping", [
            "purchase.order.read", "purchase.order.receive", "sales.order.read",
            "sales.order.deliver"], description="仓库收发货", env=env)
    shop = Shop(
        env=env, clock=clock, today=company_date(env.settings.timezone), owner=owner,
        purchaser=_as(api, env, "li.caigou", ["purchaser"]),
        purchase_manager=_as(api, env, "qian.jingli", ["purchase_manager"]),
        clerk=_as(api, env, "chen.cangguan", ["warehouse_clerk", "receiving_shipping"]),
        salesperson=_as(api, env, "zhou.xiaoshou", ["salesperson"]),
        after_sales=_as(api, env, "wu.shouhou", ["warranty_manager", "service_manager"]),
        technician=_as(api, env, "li.jishu", ["technician"]),
        accountant=_as(api, env, "sun.caiwu", ["accountant"]))
    # The after-sales manager sets the terms: motors need installing, their warranty runs
    # 12 months from the installation; li.jishu's parts come from van VAN1.
    ok(shop.after_sales, mutation("serviceProductSet", "ServiceProductSetInput",
                                  "needsInstallation"), productCode=MOTOR,
       needsInstallation=True)
    ok(shop.after_sales, mutation("serviceTechnicianSet", "ServiceTechnicianSetInput",
                                  "warehouseCode"), username="li.jishu", warehouseCode="VAN1")
    policy = ok(shop.after_sales, POLICY_CREATE, months=12, categoryCode="DJ",
                startsOn="INSTALLATION")["warrantyPolicy"]
    assert policy == {"months": 12, "startsOn": "INSTALLATION"}
    return shop


# -- how the shop looks at things ------------------------------------------------------------

def levels(shop: Shop, warehouse: str, product: str) -> dict[str, str]:
    rows = shop.owner.ok("""query($w: String!, $p: String!) { stockLevels(filter: {
        warehouseCode: $w, productCode: $p}) { edges { node { onHand location { code } } } } }""",
                         {"w": warehouse, "p": product})["stockLevels"]["edges"]
    return {r["node"]["location"]["code"]: whole(r["node"]["onHand"]) for r in rows
            if whole(r["node"]["onHand"]) != "0"}


def units(shop: Shop, *numbers: str) -> dict[str, str]:
    """Where each unit is."""
    found = {}
    for number in numbers:
        unit = shop.owner.ok("""query($n: String!) { serialNumber(number: $n) {
            location { code } } }""", {"n": number})["serialNumber"]
        found[number] = unit["location"]["code"]
    return found


def serial_id(shop: Shop, number: str) -> str:
    return shop.owner.ok("query($n: String!) { serialNumber(number: $n) { id } }",  # type: ignore[no-any-return]
                         {"n": number})["serialNumber"]["id"]


def warranty(shop: Shop, number: str, on: date | None = None) -> Any:
    return shop.after_sales.ok(f"""query($n: String!, $on: Date) {{ serialNumber(number: $n)
        {{ warranty {{ {WARRANTY} status(on: $on) }} }} }}""",
                               {"n": number, "on": str(on) if on else None}
                               )["serialNumber"]["warranty"]


def fitments(shop: Shop) -> list[tuple[str, str, str | None]]:
    rows = shop.after_sales.ok("""{ serialNumber(number: "YE3-0001") { archive { fitments {
        accessorySerialNumber fittedOn removedOn } } } }""")["serialNumber"]["archive"]["fitments"]
    return [(f["accessorySerialNumber"], f["fittedOn"], f["removedOn"]) for f in rows]


def orders(shop: Shop) -> list[dict[str, Any]]:
    rows = shop.after_sales.ok(f"""{{ serviceOrders(sort: NUMBER) {{ edges {{ node {{ {ORDER}
        }} }} }} }}""")["serviceOrders"]["edges"]
    return [r["node"] for r in rows]


def invoices(shop: Shop) -> list[dict[str, Any]]:
    rows = shop.accountant.ok("""{ invoices(filter: {partnerCode: "C-BJ",
        originType: "service.order"}) { edges { node { number direction state invoiceDate
        amountUntaxed
        amountTax amountTotal lines { product { code } quantity unitPrice amount } } } } }""",
                              )["invoices"]["edges"]
    return [r["node"] for r in rows]
