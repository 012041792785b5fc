"""The edition upgrade (issue 6, "Both"): a basic database full of the demo dealer's data
gets ``openjxc install serial_warranty service_orders`` — the bridge service_warranty
comes along — and

* nothing base_jxc owns changes: every ``jxc_`` table keeps its rows, byte for byte
  (row counts and a checksum of every row), through the install *and* through the
  back-fill;
* the serial units sold before the upgrade get warranties by the documented rule
  (docs/pro.md, "Back-fill"): none at install time (there is no policy yet); when a
  policy is entered, each unit of its products that a sales delivery left at a customer
  (its last move) gets a warranty from that delivery's date, under that policy;
* what is new works on the old data: a repair under a back-filled warranty, with a part
  from a technician's van, is free; a warranty extension is billed through base_jxc's
  invoicing; the device archive shows the old sale next to the new service order.

The demo takes a while to load: one test per backend, on a copy of the run's basic demo
(:func:`create_test_demo`).
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import MetaData, func, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from openjxc.addons.base_jxc.catalog.models import Category, Product
from openjxc.addons.base_jxc.invoicing.models import Invoice
from openjxc.addons.base_jxc.partners.models import Partner
from openjxc.addons.base_jxc.sales.models import SalesDelivery, SalesOrder
from openjxc.addons.base_jxc.stock.models import Location, SerialNumber, StockMove, StockMoveSerial
from openjxc.addons.base_jxc.stock.posting import MoveLine, business_today, post_moves
from openjxc.addons.base_jxc.stock.warehouses import (
    company_location,
    create_warehouse,
    warehouse_location,
)
from openjxc.addons.serial_warranty.models import Warranty
from openjxc.addons.serial_warranty.months import add_months, term_end
from openjxc.addons.serial_warranty.services import extend_warranty
from openjxc.addons.service_orders.completion import complete_order
from openjxc.addons.service_orders.orders import (
    DeviceInput,
    assign_order,
    create_order,
    start_order,
)
from openjxc.addons.service_orders.records import LabourInput, PartInput, record_work
from openjxc.addons.service_orders.settings import set_technician
from openjxc.core.env import Environment
from openjxc.core.migrate import install_addons
from openjxc.core.security import create_user
from openjxc.testing.fixtures import create_test_demo
from openjxc.testing.graphql import GraphQLTester

D = Decimal
BASE_PREFIX = "jxc_"
POLICY = """mutation($input: WarrantyPolicyCreateInput!) { warrantyPolicyCreate(input: $input) {
  warrantyPolicy { months startsOn } errors { field code } } }"""
ARCHIVE = """query($n: String!, $p: String) { serialNumber(number: $n, productCode: $p) {
  warranty { deliveredOn startDate endDate status }
  archive { sales { deliveryNumber customerCode deliveredOn }
            warranties { startDate extensions { months price invoice { amountTotal } } }
            serviceOrders { number type coversParts coversLabour invoiceNumber
                            parts { fittedSerial quantity } } } } }"""


def test_a_basic_demo_database_upgrades_to_pro(database_url: str) -> None:
    create_test_demo(database_url, "basic")  # what `openjxc demo --edition basic` makes
    basic = Environment.for_edition("basic", database_url=database_url)
    try:
        before = base_tables(basic)
        assert before["jxc_serial"][0] > 0 and before["jxc_stock_move"][0] > 0

        pro = install_addons(basic, ["serial_warranty", "service_orders"])
        assert {"serial_warranty", "service_orders", "service_warranty"} <= set(
            pro.addon_names)
        assert base_tables(pro) == before  # the install changes no base_jxc row
        assert count(pro, Warranty) == 0  # no policy yet: nothing can be covered

        # The after-sales manager enters the YE3 motors' policy: the units sold before the
        # upgrade get their warranties from their delivery dates.  (A policy applies to
        # its category's own products: the demo's motors sit in DJ-YE3 and DJ-Y2.)
        api = GraphQLTester(pro)
        created = api.ok(POLICY, {"input": {"months": 18, "categoryCode": "DJ-YE3"}})
        assert created["warrantyPolicyCreate"]["errors"] == []
        with pro.unit_of_work(readonly=True) as session:
            expected = sold_units(session, "DJ-YE3")
            issued = {w.serial_id: w for w in session.scalars(select(Warranty))}
        assert expected, "the demo delivers motors by serial number"
        assert set(issued) == set(expected)
        for serial_id, (delivered_on, customer_id, delivery_id) in expected.items():
            w = issued[serial_id]
            assert (w.delivered_on, w.start_date, w.end_date, w.customer_id, w.delivery_id,
                    w.months, w.voided_on) == (
                delivered_on, delivered_on, term_end(delivered_on, 18), customer_id,
                delivery_id, 18, None)
        assert base_tables(pro) == before  # the back-fill changes no base_jxc row either

        _new_things_work_on_old_data(pro, api, issued)
    finally:
        basic.database.dispose()


def _new_things_work_on_old_data(pro: Environment, api: GraphQLTester,
                                 issued: dict[int, Warranty]) -> None:
    with pro.unit_of_work() as session:
        today = business_today(session)
        unit = session.execute(
            select(SerialNumber.id, SerialNumber.number, Product.code, Warranty.customer_id,
                   Warranty.end_date)
            .join(Warranty, Warranty.serial_id == SerialNumber.id)
            .join(Product, Product.id == SerialNumber.product_id)
            .where(Warranty.end_date >= today, Warranty.start_date <= today)
            .order_by(SerialNumber.id).limit(1)).one()
        # A technician with a van, stocked with one spare fan (a plain part).
        part = session.scalar(select(Product.id).where(Product.tracking == "none")
                              .order_by(Product.id).limit(1))
        assert part is not None
        van = create_warehouse(session, code="VAN9", name="升级后服务车", kind="van")
        tech = create_user(session, pro, "upgrade.tech", "upgrade-pass-1",
                           roles=["technician"]).id
        set_technician(session, user_id=tech, warehouse_id=van.id)
        post_moves(session, [MoveLine(
            product_id=part, quantity=D(2), from_location_id=company_location(
                session, "supplier").id,
            to_location_id=warehouse_location(session, van.id, "internal").id,
            unit_cost=D("10"))], origin_type="test.receipt")
        invoices = count_in(session, Invoice)

        # A repair on a unit sold before the upgrade, under its back-filled warranty.
        order = create_order(session, type="repair", customer_id=unit.customer_id,
                             devices=[DeviceInput(serial_id=unit.id)], description="异响")
        assert (order.covers_parts, order.covers_labour, order.warranty_id) == (
            True, True, issued[unit.id].id)
        assign_order(session, order.id, assignee_id=tech)
        start_order(session, order.id, user_id=tech)
        record_work(session, order.id, note="更换配件", user_id=tech,
                    labour=[LabourInput(technician_id=tech, hours=D(1))],
                    parts=[PartInput(product_id=part, quantity=D(1))])
        done = complete_order(session, order.id, user_id=tech)
        assert (done.state, done.invoice_id) == ("done", None)
        assert count_in(session, Invoice) == invoices  # free

        # A 12-month extension sold on the old unit: billed through base_jxc's invoicing.
        extension = extend_warranty(session, unit.id, 12, D("600.00"), D("0.13"))
        assert (extension.previous_end_date, extension.new_end_date) == (
            unit.end_date, add_months(unit.end_date, 12))
        invoice = session.get_one(Invoice, extension.invoice_id)
        assert (invoice.direction, invoice.partner_id, invoice.amount_total) == (
            "receivable", unit.customer_id, D("678.00"))
        order_number = done.number

    archive = api.ok(ARCHIVE, {"n": unit.number, "p": unit.code})["serialNumber"]
    assert archive["warranty"]["status"] == "EXTENDED"
    (sale,) = archive["archive"]["sales"]
    assert sale["deliveredOn"] == str(issued[unit.id].delivered_on)
    assert archive["archive"]["warranties"][-1]["extensions"] == [
        {"months": 12, "price": "600.00", "invoice": {"amountTotal": "678.00"}}]
    assert [(o["number"], o["type"], o["coversParts"], o["invoiceNumber"])
            for o in archive["archive"]["serviceOrders"]] == [
        (order_number, "REPAIR", True, None)]


# -- what the test compares ----------------------------------------------------------------

def base_tables(env: Environment) -> dict[str, tuple[int, str]]:
    """Every base_jxc table: its row count and a checksum of all its rows (in key order)."""
    found: dict[str, tuple[int, str]] = {}
    with env.database.engine.connect() as conn:
        names = sorted(n for n in inspect(conn).get_table_names()
                       if n.startswith(BASE_PREFIX))
        metadata = MetaData()
        metadata.reflect(conn, only=names)
        for name in names:
            found[name] = _checksum(conn, metadata.tables[name])
    return found


def _checksum(conn: Connection, table: Any) -> tuple[int, str]:
    digest = hashlib.sha256()
    rows = 0
    order = list(table.primary_key.columns) or list(table.columns)
    for row in conn.execute(select(table).order_by(*order)):
        digest.update(repr(tuple(row)).encode())
        rows += 1
    return rows, digest.hexdigest()


def sold_units(session: Session, category: str) -> dict[int, tuple[date, int, int]]:
    """serial id → (delivery date, customer, delivery) of the units of ``category`` a sales
    delivery left at a customer (their last move), worked out one unit at a time."""
    at_customer = session.execute(
        select(SerialNumber.id).join(Location, Location.id == SerialNumber.location_id)
        .join(Product, Product.id == SerialNumber.product_id)
        .join(Category, Category.id == Product.category_id)
        .where(Location.kind == "customer", Category.code == category)).scalars().all()
    found: dict[int, tuple[date, int, int]] = {}
    for serial_id in at_customer:
        last = session.execute(
            select(StockMove.origin_type, StockMove.origin_id)
            .join(StockMoveSerial, StockMoveSerial.move_id == StockMove.id)
            .where(StockMoveSerial.serial_id == serial_id)
            .order_by(StockMove.move_date.desc(), StockMove.id.desc()).limit(1)).one()
        if last.origin_type != "sales.delivery" or last.origin_id is None:
            continue
        delivery = session.execute(
            select(SalesDelivery.id, SalesDelivery.delivery_date, Partner.id.label("customer"))
            .join(SalesOrder, SalesOrder.id == SalesDelivery.order_id)
            .join(Partner, Partner.id == SalesOrder.customer_id)
            .where(SalesDelivery.id == last.origin_id)).one()
        found[serial_id] = (delivery.delivery_date, delivery.customer, delivery.id)
    return found


def count(env: Environment, model: type) -> int:
    with env.unit_of_work(readonly=True) as session:
        return count_in(session, model)


def count_in(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)
