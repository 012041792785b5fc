"""The bridge's rules, each told through the services on both backends (docs/pro.md,
"service_warranty"): a repair is judged against the device's warranty on the day it was
reported; a completed installation restarts the warranties that start on installation;
a replaced serial part is swapped on the device's fitments when it may be — and the
device archive lists the service orders in a constant number of statements.

The world is serial_warranty's (``warranty_support``: MOTOR, DRIVE — a spare part of
MOTOR —, FAN — related to nothing —, warehouse WH1, customers C1/C2, supplier S1) with
service_orders installed too (the kernel brings the bridge along), list prices, and a
technician ``tech1`` whose van VAN1 holds drives D-101..D-103 and fans F-101..F-102.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, update

from openjxc.addons.base_jxc.catalog.models import Product
from openjxc.addons.base_jxc.invoicing.models import Invoice, InvoiceLine
from openjxc.addons.base_jxc.stock.models import Location, SerialNumber
from openjxc.addons.base_jxc.stock.posting import MoveLine, business_today, post_moves
from openjxc.addons.base_jxc.stock.warehouses import (
    company_location,
    create_warehouse,
    warehouse_location,
)
from openjxc.addons.serial_warranty import services as warranty
from openjxc.addons.serial_warranty.models import Fitment, Warranty
from openjxc.addons.serial_warranty.months import term_end
from openjxc.addons.service_orders import models as svc
from openjxc.addons.service_orders.completion import complete_order
from openjxc.addons.service_orders.orders import (
    DeviceInput,
    assign_order,
    create_order,
    start_order,
)
from openjxc.addons.service_orders.records import LabourInput, PartInput, record_work
from openjxc.addons.service_orders.settings import set_technician
from openjxc.core.security import create_user
from openjxc.testing.graphql import GraphQLTester

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "serial_warranty"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "base_jxc"))
from test_stock_api_support import SelectCounter
from warranty_support import WarrantyWorld, build_world

D = Decimal
ADDONS = ("serial_warranty", "service_orders")
#: Repair labour is 150.00 an hour at 13 % VAT (service_orders' seeded rates).
REPAIR_RATE = D("150.00")


class Shop:
    """The warranty world with service orders: a technician, a van, list prices."""

    def __init__(self, world: WarrantyWorld) -> None:
        self.world = world
        self.env = world.env
        self.ids = world.ids
        with world.uow() as session:
            self.today = business_today(session)
            for code, price in (("MOTOR", "3000.00"), ("DRIVE", "800.00"), ("FAN", "60.00")):
                session.execute(update(Product).where(Product.code == code)
                                .values(list_price=D(price), tax_rate=D("0.13")))
            van = create_warehouse(session, code="VAN1", name="一号服务车", kind="van")
            self.ids["tech1"] = create_user(session, self.env, "tech1", "bridge-pass-1",
                                            roles=["technician"]).id
            set_technician(session, user_id=self.ids["tech1"], warehouse_id=van.id)
            self.ids["van"] = warehouse_location(session, van.id, "internal").id
            self.ids["quarantine"] = warehouse_location(session, van.id, "quarantine").id
            supplier = company_location(session, "supplier").id
            post_moves(session, [
                MoveLine(product_id=self.ids["DRIVE"], quantity=D(3), from_location_id=supplier,
                         to_location_id=self.ids["van"], unit_cost=D("500"),
                         serials=["D-101", "D-102", "D-103"]),
                MoveLine(product_id=self.ids["FAN"], quantity=D(2), from_location_id=supplier,
                         to_location_id=self.ids["van"], unit_cost=D("30"),
                         serials=["F-101", "F-102"])],
                move_date=self.today - timedelta(days=500), origin_type="test.receipt")

    def days_ago(self, days: int) -> date:
        return self.today - timedelta(days=days)

    def policy(self, product: str, **terms: Any) -> None:
        self.world.call(warranty.create_policy, product_code=product, **terms)

    def sold(self, product: str, serials: Sequence[str], on: date, customer: str = "C1") -> None:
        """Bought a week before ``on``, delivered to ``customer`` on ``on``."""
        self.world.buy(product, serials, on - timedelta(days=7))
        self.world.sell(product, serials, on, customer)

    def order(self, *serials: str, type: str = "repair", reported: date | None = None,
              customer: str = "C1") -> svc.ServiceOrder:
        """A new order on these units, reported (at noon, Beijing time) on ``reported`` (default:
        now), assigned to tech1 and started."""
        at = datetime.combine(reported, time(4, 0), UTC) if reported else None
        with self.world.uow() as session:
            order = create_order(session, type=type, customer_id=self.ids[customer],
                                 devices=[DeviceInput(serial_id=self.serial(s))
                                          for s in serials], reported_at=at)
            assign_order(session, order.id, assignee_id=self.ids["tech1"])
            start_order(session, order.id, user_id=self.ids["tech1"])
            session.flush()
            session.expunge(order)
            return order

    def work(self, order_id: int, *parts: PartInput, hours: str = "1.5") -> None:
        self.world.call(record_work, order_id, note="检修", user_id=self.ids["tech1"],
                        labour=[LabourInput(technician_id=self.ids["tech1"], hours=D(hours))],
                        parts=list(parts))

    def complete(self, order_id: int) -> svc.ServiceOrder:
        with self.world.uow() as session:
            order = complete_order(session, order_id, user_id=self.ids["tech1"])
            session.flush()
            session.expunge(order)
            return order

    def part(self, product: str, fitted: str, removed: str | None = None) -> PartInput:
        return PartInput(product_id=self.ids[product], quantity=D(1), serials=[fitted],
                         removed_serial=removed)

    def serial(self, number: str) -> int:
        return self.world.serial(number)

    def invoice(self, invoice_id: int | None) -> tuple[Invoice, list[InvoiceLine]] | None:
        if invoice_id is None:
            return None
        with self.world.uow() as session:
            head = session.get_one(Invoice, invoice_id)
            lines = list(session.scalars(select(InvoiceLine).where(
                InvoiceLine.invoice_id == invoice_id).order_by(InvoiceLine.position)))
            session.expunge_all()
            return head, lines

    def fitments(self, host: str) -> list[tuple[str, date, date | None]]:
        """(accessory, fitted on, removed on) of the unit, oldest first."""
        with self.world.uow() as session:
            rows = session.execute(
                select(SerialNumber.number, Fitment.fitted_on, Fitment.removed_on)
                .join(SerialNumber, SerialNumber.id == Fitment.accessory_serial_id)
                .where(Fitment.host_serial_id == self.serial(host)).order_by(Fitment.id))
            return [(n, f, r) for n, f, r in rows]

    def place(self, number: str) -> str:
        with self.world.uow() as session:
            return session.scalar(select(Location.code).join(
                SerialNumber, SerialNumber.location_id == Location.id)
                .where(SerialNumber.number == number)) or ""


@pytest.fixture
def shop(database_url: str) -> Iterator[Shop]:
    built = Shop(build_world(database_url, ADDONS))
    yield built
    built.env.database.dispose()


def lines_of(found: tuple[Invoice, list[InvoiceLine]] | None,
             ) -> list[tuple[str | None, Decimal, Decimal, Decimal]]:
    assert found is not None
    return [(line.description if line.product_id is None else None, line.quantity,
             line.unit_price, line.amount) for line in found[1]]


# -- coverage of repairs -------------------------------------------------------------------

def test_a_repair_fully_under_warranty_is_free(shop: Shop) -> None:
    shop.policy("MOTOR", months=12)
    shop.sold("MOTOR", ["M-1"], shop.days_ago(60))
    live = shop.world.live("M-1")
    assert live is not None

    order = shop.order("M-1")
    assert (order.covers_parts, order.covers_labour, order.warranty_id) == (True, True, live.id)
    shop.work(order.id, shop.part("DRIVE", "D-101"))
    done = shop.complete(order.id)
    assert (done.state, done.invoice_id) == ("done", None)  # nothing to bill
    # The part still left the van for the customer: free is not unrecorded.
    assert shop.place("D-101") == "PARTNER/CUSTOMER"


@pytest.mark.parametrize(("parts", "labour"), [(True, False), (False, True)])
def test_what_the_warranty_does_not_cover_is_billed(shop: Shop, parts: bool,
                                                    labour: bool) -> None:
    shop.policy("MOTOR", months=24, covers_parts=parts, covers_labour=labour)
    shop.sold("MOTOR", ["M-1"], shop.days_ago(60))

    order = shop.order("M-1")
    assert (order.covers_parts, order.covers_labour) == (parts, labour)
    assert order.warranty_id is not None
    shop.work(order.id, shop.part("DRIVE", "D-101"), hours="2")
    done = shop.complete(order.id)
    found = shop.invoice(done.invoice_id)
    assert found is not None and found[0].direction == "receivable"
    if parts:  # 2 h × 150.00 = 300.00 (+ 13 % = 39.00); the drive is free
        assert lines_of(found) == [(f"{done.number} 人工费 Labour", D("2"), REPAIR_RATE,
                                    D("300.00"))]
        assert found[0].amount_total == D("339.00")
    else:  # the drive at its list price 800.00 (+ 104.00); the labour is free
        assert lines_of(found) == [(None, D(1), D("800.00"), D("800.00"))]
        assert found[0].amount_total == D("904.00")


def test_a_repair_after_expiry_is_billed_parts_and_labour(shop: Shop) -> None:
    shop.policy("MOTOR", months=12)
    shop.sold("MOTOR", ["M-1"], shop.days_ago(400))  # ended 35 days ago

    order = shop.order("M-1")
    assert (order.covers_parts, order.covers_labour, order.warranty_id) == (False, False, None)
    shop.work(order.id, shop.part("DRIVE", "D-101"))
    done = shop.complete(order.id)
    # The drive at its list price 800.00 and 1.5 h × 150.00 = 225.00: 1,025.00 + 133.25.
    found = shop.invoice(done.invoice_id)
    assert lines_of(found) == [(None, D(1), D("800.00"), D("800.00")),
                               (f"{done.number} 人工费 Labour", D("1.5"), REPAIR_RATE,
                                D("225.00"))]
    assert found is not None and (found[0].partner_id, found[0].amount_untaxed,
                                  found[0].amount_total) == (
        shop.ids["C1"], D("1025.00"), D("1158.25"))


def test_coverage_is_judged_on_the_day_the_fault_was_reported(shop: Shop) -> None:
    shop.policy("MOTOR", months=12)
    shop.sold("MOTOR", ["M-1"], shop.days_ago(400))  # covered until 35 days ago
    reported_in_time = shop.order("M-1", reported=shop.days_ago(40))
    assert (reported_in_time.covers_parts, reported_in_time.covers_labour) == (True, True)
    shop.work(reported_in_time.id, shop.part("DRIVE", "D-101"))
    assert shop.complete(reported_in_time.id).invoice_id is None


def test_a_repair_without_a_warranty_is_billed(shop: Shop) -> None:
    shop.sold("MOTOR", ["M-1"], shop.days_ago(10))  # no policy: no warranty
    assert shop.world.live("M-1") is None
    order = shop.order("M-1")
    assert (order.covers_parts, order.covers_labour, order.warranty_id) == (False, False, None)
    shop.work(order.id, hours="1")
    found = shop.invoice(shop.complete(order.id).invoice_id)
    assert found is not None and found[0].amount_total == D("169.50")  # 150.00 + 19.50


def test_a_void_warranty_covers_nothing(shop: Shop) -> None:
    shop.policy("MOTOR", months=12)
    shop.sold("MOTOR", ["M-1"], shop.days_ago(30))
    shop.world.call(warranty.void_warranties, [shop.serial("M-1")], on=shop.days_ago(1),
                    reason="returned")
    order = shop.order("M-1")
    assert (order.covers_parts, order.covers_labour, order.warranty_id) == (False, False, None)


@pytest.mark.parametrize("kind", ["maintenance", "inspection", "installation"])
def test_other_work_is_never_warranty_work(shop: Shop, kind: str) -> None:
    shop.policy("MOTOR", months=12)
    shop.sold("MOTOR", ["M-1"], shop.days_ago(30))
    order = shop.order("M-1", type=kind)
    assert (order.covers_parts, order.covers_labour, order.warranty_id) == (False, False, None)
    shop.work(order.id, shop.part("FAN", "F-101"), hours="1")
    found = shop.invoice(shop.complete(order.id).invoice_id)
    assert found is not None
    assert [line.product_id for line in found[1]] == [shop.ids["FAN"], None]


def test_several_devices_are_free_only_when_every_one_is_covered(shop: Shop) -> None:
    shop.policy("MOTOR", months=12)
    shop.sold("MOTOR", ["M-1", "M-2"], shop.days_ago(30))
    shop.sold("MOTOR", ["M-3"], shop.days_ago(500), customer="C1")  # expired

    both = shop.order("M-1", "M-2")
    assert (both.covers_parts, both.covers_labour) == (True, True)
    assert both.warranty_id == shop.world.warranties("M-1")[0].id
    with_expired = shop.order("M-1", "M-3")
    assert (with_expired.covers_parts, with_expired.covers_labour,
            with_expired.warranty_id) == (False, False, None)

    # A unit whose warranty was issued without labour makes the labour billable for all.
    with shop.world.uow() as session:
        session.execute(update(Warranty).where(Warranty.serial_id == shop.serial("M-2"))
                        .values(covers_labour=False))
    mixed = shop.order("M-1", "M-2")
    assert (mixed.covers_parts, mixed.covers_labour) == (True, False)
    shop.work(mixed.id, shop.part("DRIVE", "D-101"), hours="1")
    found = shop.invoice(shop.complete(mixed.id).invoice_id)
    assert lines_of(found) == [(f"{mixed.number} 人工费 Labour", D(1), REPAIR_RATE,
                                D("150.00"))]


def test_a_product_without_serials_on_the_order_leaves_coverage_to_the_units(
        shop: Shop) -> None:
    shop.policy("MOTOR", months=12)
    shop.sold("MOTOR", ["M-1"], shop.days_ago(30))
    with shop.world.uow() as session:
        order = create_order(session, type="repair", customer_id=shop.ids["C1"], devices=[
            DeviceInput(serial_id=shop.serial("M-1")),
            DeviceInput(product_id=shop.ids["PLAIN"], quantity=D(4))])
        assert (order.covers_parts, order.covers_labour) == (True, True)
        plain = create_order(session, type="repair", customer_id=shop.ids["C1"],
                             devices=[DeviceInput(product_id=shop.ids["PLAIN"])])
        assert (plain.covers_parts, plain.covers_labour, plain.warranty_id) == (
            False, False, None)


# -- installation --------------------------------------------------------------------------

def test_a_completed_installation_restarts_the_warranties_that_start_on_it(
        shop: Shop) -> None:
    shop.policy("MOTOR", months=12, starts_on="installation")
    shop.policy("FAN", months=6)  # starts on delivery
    delivered = shop.days_ago(20)
    shop.sold("MOTOR", ["M-1"], delivered)
    shop.sold("FAN", ["F-1"], delivered)
    motor = shop.world.live("M-1")
    assert motor is not None and (motor.start_date, motor.end_date) == (
        delivered, term_end(delivered, 12))  # the clock runs from delivery until then

    order = shop.order("M-1", "F-1", type="installation")
    shop.work(order.id, hours="3")
    shop.complete(order.id)

    motor = shop.world.live("M-1")
    assert motor is not None
    assert (motor.installed_on, motor.start_date, motor.base_end_date, motor.end_date) == (
        shop.today, shop.today, term_end(shop.today, 12), term_end(shop.today, 12))
    fan = shop.world.live("F-1")
    assert fan is not None  # installed too, but its terms start on delivery
    assert (fan.installed_on, fan.start_date, fan.end_date) == (
        shop.today, delivered, term_end(delivered, 6))
    assert len(shop.world.warranties("M-1")) == 1  # restarted, not re-issued


def test_a_repair_completed_is_no_installation(shop: Shop) -> None:
    shop.policy("MOTOR", months=12, starts_on="installation")
    delivered = shop.days_ago(20)
    shop.sold("MOTOR", ["M-1"], delivered)
    order = shop.order("M-1")
    shop.work(order.id, hours="1")
    shop.complete(order.id)
    motor = shop.world.live("M-1")
    assert motor is not None and (motor.installed_on, motor.start_date) == (None, delivered)


# -- part swaps on the device's fitments ---------------------------------------------------

def test_a_replaced_drive_is_swapped_on_the_motor(shop: Shop) -> None:
    shop.sold("MOTOR", ["M-1"], shop.days_ago(30))
    shop.sold("DRIVE", ["D-1"], shop.days_ago(30))
    shop.world.call(warranty.fit_accessory, shop.serial("M-1"), shop.serial("D-1"),
                    on=shop.days_ago(30))

    order = shop.order("M-1")
    shop.work(order.id, shop.part("DRIVE", "D-101", removed="D-1"))
    assert shop.fitments("M-1") == [("D-1", shop.days_ago(30), shop.today),
                                    ("D-101", shop.today, None)]
    assert (shop.place("D-1"), shop.place("D-101")) == ("VAN1/QUARANTINE", "PARTNER/CUSTOMER")
    # Each drive's own archive lists the order that took it out or fitted it.
    api = GraphQLTester(shop.env)
    for drive in ("D-1", "D-101"):
        seen = api.ok("""query($n: String!) { serialNumber(number: $n) { archive {
            serviceOrders { number } } } }""", {"n": drive})["serialNumber"]["archive"]
        assert seen == {"serviceOrders": [{"number": order.number}]}


def test_a_part_related_in_the_catalog_is_fitted_even_without_a_removal(shop: Shop) -> None:
    shop.sold("MOTOR", ["M-1"], shop.days_ago(30))
    order = shop.order("M-1")
    shop.work(order.id, shop.part("DRIVE", "D-101"))  # DRIVE is a spare part of MOTOR
    assert shop.fitments("M-1") == [("D-101", shop.today, None)]


def test_the_same_product_replaces_itself_without_a_catalog_relation(shop: Shop) -> None:
    shop.sold("MOTOR", ["M-1"], shop.days_ago(30))
    shop.sold("FAN", ["F-1"], shop.days_ago(30))  # FAN relates to nothing
    order = shop.order("M-1")
    shop.work(order.id, shop.part("FAN", "F-101", removed="F-1"))
    assert shop.fitments("M-1") == [("F-101", shop.today, None)]
    assert shop.place("F-1") == "VAN1/QUARANTINE"


def test_a_swap_the_fitment_rules_refuse_keeps_the_technicians_record(shop: Shop) -> None:
    shop.sold("MOTOR", ["M-1", "M-2"], shop.days_ago(30))
    order = shop.order("M-1")
    # An unrelated part added without a removal: no fitment (NOT_RELATED), but the part,
    # its move and the labour are recorded and billed.
    shop.work(order.id, shop.part("FAN", "F-101"))
    assert shop.fitments("M-1") == []
    assert shop.place("F-101") == "PARTNER/CUSTOMER"
    # A drive recorded (by mistake) on another motor is ALREADY_FITTED: it goes in all the
    # same, and the fitments stay as they were.
    shop.world.call(warranty.fit_accessory, shop.serial("M-2"), shop.serial("D-102"),
                    on=shop.days_ago(1))
    shop.work(order.id, shop.part("DRIVE", "D-102"))
    assert shop.fitments("M-1") == []
    assert shop.fitments("M-2") == [("D-102", shop.days_ago(1), None)]
    assert shop.place("D-102") == "PARTNER/CUSTOMER"
    with shop.world.uow() as session:
        records = session.scalar(select(func.count()).select_from(svc.ServiceRecord)
                                 .where(svc.ServiceRecord.order_id == order.id))
        parts = session.scalar(select(func.count()).select_from(svc.ServicePart)
                               .where(svc.ServicePart.order_id == order.id))
    assert (records, parts) == (2, 2)
    found = shop.invoice(shop.complete(order.id).invoice_id)
    assert found is not None and [line.product_id for line in found[1]] == [
        shop.ids["FAN"], shop.ids["DRIVE"], None]


def test_a_removal_is_recorded_even_when_its_replacement_cannot_be_fitted(shop: Shop) -> None:
    shop.sold("MOTOR", ["M-1"], shop.days_ago(30))
    shop.sold("DRIVE", ["D-1"], shop.days_ago(30))
    shop.world.call(warranty.fit_accessory, shop.serial("M-1"), shop.serial("D-1"),
                    on=shop.days_ago(30))
    shop.sold("MOTOR", ["M-2"], shop.days_ago(30))
    shop.world.call(warranty.fit_accessory, shop.serial("M-2"), shop.serial("D-102"),
                    on=shop.days_ago(1))  # recorded on another motor by mistake
    order = shop.order("M-1")
    # D-1 comes out, D-102 goes in: D-102 cannot be fitted (ALREADY_FITTED to M-2), but
    # D-1 is off the motor all the same — it lies in the van's quarantine.
    shop.work(order.id, shop.part("DRIVE", "D-102", removed="D-1"))
    assert shop.fitments("M-1") == [("D-1", shop.days_ago(30), shop.today)]
    assert shop.fitments("M-2") == [("D-102", shop.days_ago(1), None)]
    assert shop.place("D-1") == "VAN1/QUARANTINE"


# -- DeviceArchive.serviceOrders: statements do not grow with the archive ------------------

ARCHIVES = """{ serialNumbers(filter: {productCode: "MOTOR"}) {
  edges { node { number archive { serviceOrders { number type coversParts
    parts { fittedSerial removedSerial quantity } labour { hours }
    devices { serialNumber } warranty { startDate } } } } } } }"""


def test_service_orders_of_archives_take_the_same_statements_for_one_or_many(
        shop: Shop) -> None:
    shop.policy("MOTOR", months=12)
    api = GraphQLTester(shop.env)

    def statements() -> tuple[int, list[Any]]:
        with SelectCounter(shop.env) as counter:
            edges = api.ok(ARCHIVES)["serialNumbers"]["edges"]
        return counter.count, edges

    shop.sold("MOTOR", ["M-1"], shop.days_ago(30))
    one = shop.order("M-1")
    shop.work(one.id, shop.part("DRIVE", "D-101"))
    few, edges = statements()
    assert [len(e["node"]["archive"]["serviceOrders"]) for e in edges] == [1]

    shop.sold("MOTOR", ["M-2", "M-3", "M-4"], shop.days_ago(20))
    for units, part in ((("M-1",), shop.part("DRIVE", "D-102")),
                        (("M-2", "M-3"), shop.part("FAN", "F-101")),
                        (("M-3", "M-4"), shop.part("DRIVE", "D-103")),
                        (("M-1", "M-4"), None)):
        order = shop.order(*units)
        if part is not None:
            shop.work(order.id, part, hours="1")
    many, edges = statements()
    assert {e["node"]["number"]: len(e["node"]["archive"]["serviceOrders"]) for e in edges} \
        == {"M-1": 3, "M-2": 1, "M-3": 2, "M-4": 2}
    assert many == few
