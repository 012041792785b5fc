"""Installation orders made by deliveries, warranty cost, first-time-fix rate, the overdue
alert and two technicians starting the same order at once — SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from service_support import ServiceWorld, build_service_world
from sqlalchemy import select, update

from openjxc.addons.base_jxc.sales.models import SalesOrderLine
from openjxc.addons.base_jxc.sales.services import (
    DeliveryLineInput,
    SalesLineInput,
    confirm_sales_order,
    create_sales_order,
    deliver_sales_order,
)
from openjxc.addons.base_jxc.stock.posting import MoveLine, business_today, post_moves
from openjxc.addons.service_orders import models
from openjxc.addons.service_orders.alerts import RULE_KEY
from openjxc.addons.service_orders.completion import complete_order
from openjxc.addons.service_orders.metrics import first_time_fix_rate, warranty_cost
from openjxc.addons.service_orders.orders import (
    DeviceInput,
    assign_order,
    create_order,
    set_coverage,
    start_order,
)
from openjxc.addons.service_orders.records import LabourInput, PartInput, record_work
from openjxc.addons.service_orders.settings import set_product_setting
from openjxc.core.alerts import Alert, evaluate_rules
from openjxc.core.db import retry_transient
from openjxc.core.errors import ValidationFailed
from openjxc.core.models import utcnow

D = Decimal


@pytest.fixture
def world(database_url: str) -> ServiceWorld:
    return build_service_world(database_url)


def orders(world: ServiceWorld) -> list[models.ServiceOrder]:
    with world.uow(readonly=True) as session:
        found = list(session.scalars(select(models.ServiceOrder)
                                     .order_by(models.ServiceOrder.id)))
        session.expunge_all()
        return found


def devices(world: ServiceWorld, order_id: int) -> list[tuple[object, ...]]:
    with world.uow(readonly=True) as session:
        return [(d.product_id, d.serial_id, d.quantity) for d in session.scalars(
            select(models.ServiceOrderDevice).where(models.ServiceOrderDevice.order_id
                                                    == order_id)
            .order_by(models.ServiceOrderDevice.position))]


# -- installation orders from deliveries ---------------------------------------------------

def sell(world: ServiceWorld, deliveries: list[list[str]], filters: int = 0) -> None:
    """One sales order of MOTORs (and FILTERs) to C1's site, delivered in parts: each
    inner list names the motors of one delivery (filters go with the first)."""
    ids = world.ids
    with world.uow() as session:
        if filters:
            post_moves(session, [MoveLine(product_id=ids["FILTER"], quantity=D(filters),
                                          from_location_id=_supplier(session),
                                          to_location_id=ids["WH1/STOCK"],
                                          unit_cost=D(20))], origin_type="test.receipt")
        lines = [SalesLineInput(product_id=ids["MOTOR"],
                                quantity=D(sum(len(d) for d in deliveries)))]
        if filters:
            lines.append(SalesLineInput(product_id=ids["FILTER"], quantity=D(filters)))
        order = create_sales_order(session, customer_id=ids["C1"], warehouse_id=ids["WH1"],
                                   lines=lines, delivery_address_id=ids["site"])
        confirm_sales_order(session, order.id)
        order_lines = list(session.scalars(select(SalesOrderLine.id).where(
            SalesOrderLine.order_id == order.id).order_by(SalesOrderLine.position)))
        order_id = order.id
    for n, motors in enumerate(deliveries):
        with world.uow() as session:
            wanted = [DeliveryLineInput(order_line_id=order_lines[0], serials=motors)]
            if filters and n == 0:
                wanted.append(DeliveryLineInput(order_line_id=order_lines[1],
                                                quantity=D(filters)))
            deliver_sales_order(session, order_id, lines=wanted)


def _supplier(session: Any) -> int:
    from openjxc.addons.base_jxc.stock.warehouses import company_location

    return company_location(session, "supplier").id


def test_a_delivery_of_products_needing_installation_creates_one_order_per_delivery(
        world: ServiceWorld) -> None:
    ids = world.ids
    world.run(lambda s: set_product_setting(s, product_id=ids["MOTOR"],
                                            needs_installation=True))
    sell(world, [["M-002", "M-003"]], filters=3)
    (order,) = orders(world)
    assert (order.type, order.source, order.state, order.customer_id, order.address_id) == (
        "installation", "delivery", "new", ids["C1"], ids["site"])
    assert order.delivery_id is not None and order.description.startswith("FH-")
    # the units of the flagged product only, one by one
    assert devices(world, order.id) == [(ids["MOTOR"], world.serial_id("M-002"), D(1)),
                                        (ids["MOTOR"], world.serial_id("M-003"), D(1))]


def test_each_delivery_gets_its_own_installation_order(world: ServiceWorld) -> None:
    ids = world.ids
    world.run(lambda s: set_product_setting(s, product_id=ids["MOTOR"],
                                            needs_installation=True))
    sell(world, [["M-002"], ["M-003"]])
    first, second = orders(world)
    assert first.delivery_id != second.delivery_id
    assert devices(world, first.id) == [(ids["MOTOR"], world.serial_id("M-002"), D(1))]
    assert devices(world, second.id) == [(ids["MOTOR"], world.serial_id("M-003"), D(1))]


def test_a_product_without_the_flag_creates_no_order(world: ServiceWorld) -> None:
    ids = world.ids
    world.run(lambda s: set_product_setting(s, product_id=ids["MOTOR"],
                                            needs_installation=False))
    sell(world, [["M-002"]])
    assert orders(world) == []
    assert world.refusal(lambda s: set_product_setting(s, product_id=999999,
                                                       needs_installation=True)) == [
        ("NOT_FOUND", ("productCode",))]


# -- warranty cost and first-time-fix rate -------------------------------------------------

def repaired(world: ServiceWorld, *, covers: tuple[bool, bool] | None = None,
             serial: str = "M-001", parts: bool = True) -> models.ServiceOrder:
    ids = world.ids
    order = world.run(lambda s: create_order(s, type="repair", customer_id=ids["C1"],
                                             devices=[DeviceInput(
                                                 serial_id=world.serial_id(serial))]))
    if covers is not None:
        world.run(lambda s: set_coverage(s, order.id, covers_parts=covers[0],
                                         covers_labour=covers[1]))
    world.run(lambda s: assign_order(s, order.id, assignee_id=ids["tech1"]))
    world.run(lambda s: start_order(s, order.id))
    world.run(lambda s: record_work(
        s, order.id, user_id=ids["tech1"],
        labour=[LabourInput(technician_id=ids["tech1"], hours=D("1.5"))],
        parts=[PartInput(product_id=ids["FILTER"], quantity=D(2))] if parts else []))
    return world.run(lambda s: complete_order(s, order.id))  # type: ignore[no-any-return]


def test_warranty_cost_counts_covered_parts_and_labour_at_the_internal_rate(
        world: ServiceWorld) -> None:
    repaired(world, covers=(True, True))  # 2 filters at 20.00 + 1.5 h at 90.00
    repaired(world, covers=(False, True))  # labour only: 1.5 h at 90.00
    repaired(world)  # billed: not warranty cost
    today = business_today_of(world)
    with world.uow(readonly=True) as session:
        cost = warranty_cost(session, today, today)
        before = warranty_cost(session, today - timedelta(days=30), today - timedelta(days=1))
    assert (cost.orders, cost.parts_cost, cost.labour_cost, cost.total) == (
        2, D("40.00"), D("270.00"), D("310.00"))
    assert (before.orders, before.total) == (0, D(0))
    with world.uow(readonly=True) as session, pytest.raises(ValidationFailed):
        warranty_cost(session, today, today - timedelta(days=1))


def business_today_of(world: ServiceWorld) -> Any:
    with world.uow(readonly=True) as session:
        return business_today(session)


def test_first_time_fix_rate_counts_repairs_not_followed_by_another_within_30_days(
        world: ServiceWorld) -> None:
    first = repaired(world, parts=False)
    repaired(world, serial="D-001", parts=False)  # a device never repaired again
    today = business_today_of(world)
    with world.uow(readonly=True) as session:
        rate = first_time_fix_rate(session, today, today)
    assert (rate.repairs, rate.fixed_first_time, rate.rate) == (2, 2, D(1))
    # M-001 breaks again a week later: its first repair did not fix it
    with world.uow() as session:
        session.execute(update(models.ServiceOrder).where(models.ServiceOrder.id == first.id)
                        .values(completed_at=utcnow() - timedelta(days=7)))
    again = world.run(lambda s: create_order(s, type="repair", customer_id=world.ids["C1"],
                                             devices=[DeviceInput(
                                                 serial_id=world.serial_id("M-001"))]))
    with world.uow(readonly=True) as session:
        rate = first_time_fix_rate(session, today, today)
        empty = first_time_fix_rate(session, today - timedelta(days=9),
                                    today - timedelta(days=8))
    assert (rate.repairs, rate.fixed_first_time, rate.rate) == (2, 1, D("0.5"))
    assert (empty.repairs, empty.rate) == (0, None)
    assert again.state == "new"


# -- the overdue alert ---------------------------------------------------------------------

def test_an_order_past_its_sla_raises_an_alert_until_it_is_done(world: ServiceWorld) -> None:
    ids = world.ids
    order = world.run(lambda s: create_order(s, type="repair", priority="urgent",
                                             customer_id=ids["C1"]))
    env = world.env
    assert evaluate_rules(env, order.due_at - timedelta(minutes=1), [RULE_KEY]).opened == []
    report = evaluate_rules(env, order.due_at + timedelta(hours=2), [RULE_KEY])
    assert len(report.opened) == 1
    with world.uow(readonly=True) as session:
        alert = session.get_one(Alert, report.opened[0])
        assert (alert.severity, alert.params["number"], alert.subject) == (
            "critical", order.number, {"service_order": order.id, "partner": ids["C1"]})
    world.run(lambda s: assign_order(s, order.id, assignee_id=ids["tech1"]))
    world.run(lambda s: start_order(s, order.id))
    world.run(lambda s: complete_order(s, order.id))
    assert evaluate_rules(env, order.due_at + timedelta(hours=3), [RULE_KEY]).resolved == \
        report.opened


# -- concurrency ---------------------------------------------------------------------------

def test_two_technicians_starting_the_same_order_one_wins(world: ServiceWorld) -> None:
    ids = world.ids
    order = world.run(lambda s: create_order(s, type="repair", customer_id=ids["C1"]))
    world.run(lambda s: assign_order(s, order.id, team_id=ids["T1"]))
    barrier = threading.Barrier(2)
    results: list[str] = []

    def start(user: str) -> None:
        def once() -> None:
            with world.uow() as session:
                start_order(session, order.id, user_id=ids[user])

        try:
            barrier.wait(timeout=30)
            retry_transient(once, attempts=20)
            results.append("started")
        except ValidationFailed as exc:
            results.append(exc.errors[0].code)
        except Exception as exc:  # reported, never swallowed
            results.append(f"error {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=start, args=(u,)) for u in ("tech1", "tech2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(results) == ["ILLEGAL_TRANSITION", "started"]
    final = world.order(order.id)
    assert (final.state, final.version) == ("in_progress", 3)
