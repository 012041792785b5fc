"""Service orders as stories through the services: creation, every legal and illegal
transition, assignment, SLA, records with parts out of the van and serial swaps, billing,
feedback — on SQLite and PostgreSQL, without serial_warranty."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from service_support import ServiceWorld, build_service_world
from sqlalchemy import func, select

from openjxc.addons.base_jxc.invoicing.models import Invoice, InvoiceLine
from openjxc.addons.service_orders import models
from openjxc.addons.service_orders.completion import close_order, complete_order
from openjxc.addons.service_orders.events import ServicePartReplaced
from openjxc.addons.service_orders.orders import (
    DeviceInput,
    assign_order,
    cancel_order,
    create_order,
    set_coverage,
    start_order,
)
from openjxc.addons.service_orders.records import LabourInput, PartInput, record_work
from openjxc.addons.service_orders.settings import set_sla
from openjxc.core.errors import ValidationFailed
from openjxc.core.events import Subscription
from openjxc.core.i18n import Translator, translate, use_locale

D = Decimal


@pytest.fixture
def world(database_url: str) -> ServiceWorld:
    return build_service_world(database_url)


def new_order(world: ServiceWorld, **kwargs: object) -> models.ServiceOrder:
    values: dict[str, object] = {"type": "repair", "customer_id": world.ids["C1"],
                                 "address_id": world.ids["site"],
                                 "devices": [DeviceInput(serial_id=world.serial_id("M-001"))]}
    values.update(kwargs)
    return world.run(lambda s: create_order(s, **values))  # type: ignore[no-any-return]


def started(world: ServiceWorld, **kwargs: object) -> models.ServiceOrder:
    order = new_order(world, **kwargs)
    world.run(lambda s: assign_order(s, order.id, assignee_id=world.ids["tech1"]))
    world.run(lambda s: start_order(s, order.id, user_id=world.ids["tech1"]))
    return world.order(order.id)


def swap_drive(world: ServiceWorld, order_id: int, **kwargs: object) -> None:
    """Swap the faulty drive D-001 for D-101 from tech1's van, fit 2 filters, 1.5 h."""
    ids = world.ids
    world.run(lambda s: record_work(
        s, order_id, note="更换驱动板", minutes=90,
        labour=[LabourInput(technician_id=ids["tech1"], hours=D("1.5"))],
        parts=[PartInput(product_id=ids["DRIVE"], quantity=D(1), serials=["D-101"],
                         removed_serial="D-001"),
               PartInput(product_id=ids["FILTER"], quantity=D(2))],
        user_id=ids["tech1"], **kwargs))


def count(world: ServiceWorld, model: type) -> int:
    with world.uow(readonly=True) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


# -- creation ------------------------------------------------------------------------------

def test_a_staff_order_gets_its_number_its_devices_and_its_sla_due_time(
        world: ServiceWorld) -> None:
    reported = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    order = new_order(world, priority="urgent", reported_at=reported,
                      description="电机异响", source="customer")
    assert order.number.startswith("FW-") and order.number.endswith("-0001")
    assert (order.state, order.type, order.priority, order.source) == (
        "new", "repair", "urgent", "customer")
    assert order.due_at == reported + timedelta(hours=4)  # urgent repair: 4 h by default
    assert (order.covers_parts, order.covers_labour) == (False, False)  # nothing covers it
    second = new_order(world, devices=[DeviceInput(product_id=world.ids["FILTER"],
                                                   quantity=D(3))], type="maintenance")
    assert second.number.endswith("-0002")
    with world.uow(readonly=True) as session:
        devices = list(session.scalars(select(models.ServiceOrderDevice)
                                       .order_by(models.ServiceOrderDevice.id)))
    assert [(d.order_id, d.serial_id, d.product_id, d.quantity) for d in devices] == [
        (order.id, world.serial_id("M-001"), world.ids["MOTOR"], D(1)),
        (second.id, None, world.ids["FILTER"], D(3))]


def test_the_sla_table_is_editable_and_applies_to_orders_reported_after(
        world: ServiceWorld) -> None:
    reported = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    before = new_order(world, reported_at=reported)  # normal repair: 48 h
    world.run(lambda s: set_sla(s, type="repair", priority="normal", hours=12))
    after = new_order(world, reported_at=reported)
    assert before.due_at == reported + timedelta(hours=48)
    assert after.due_at == reported + timedelta(hours=12)
    assert world.order(before.id).due_at == reported + timedelta(hours=48)
    assert world.refusal(lambda s: set_sla(s, type="repair", priority="normal", hours=0)) == [
        ("INVALID", ("hours",))]
    assert world.refusal(lambda s: set_sla(s, type="cleaning", priority="soon",
                                           hours="2")) == [  # type: ignore[arg-type]
        ("INVALID", ("type",)), ("INVALID", ("priority",)), ("INVALID", ("hours",))]


def test_creation_refuses_bad_input_and_creates_nothing(world: ServiceWorld) -> None:
    ids = world.ids

    def create(**kwargs: object) -> object:
        values: dict[str, object] = {"type": "repair", "customer_id": ids["C1"]}
        values.update(kwargs)
        return lambda s: create_order(s, **values)

    assert world.refusal(create(type="painting", priority=3, source="mail")) == [
        ("INVALID", ("type",)), ("INVALID", ("priority",)), ("INVALID", ("source",))]
    assert world.refusal(create(customer_id=99999)) == [("NOT_FOUND", ("customerCode",))]
    assert world.refusal(create(customer_id="C1")) == [("NOT_FOUND", ("customerCode",))]
    assert world.refusal(create(customer_id=ids["C2"], address_id=ids["site"])) == [
        ("INVALID", ("addressId",))]
    assert world.refusal(create(devices=[DeviceInput(serial_id=world.serial_id("M-002"))])) \
        == [("SERIAL_NOT_AT_CUSTOMER", ("devices", "0", "serialNumber"))]
    assert world.refusal(create(devices=[DeviceInput(product_id=ids["FILTER"],
                                                     quantity=D(0))])) == [
        ("INVALID_QUANTITY", ("devices", "0", "quantity"))]
    assert world.refusal(create(devices=[DeviceInput(product_id=ids["FILTER"],
                                                     quantity=1.5)])) == [  # type: ignore
        ("INVALID", ("devices", "0", "quantity"))]
    assert world.refusal(create(planned_date="2026-12-01")) == [("INVALID", ("plannedDate",))]
    assert count(world, models.ServiceOrder) == 0


# -- transitions ---------------------------------------------------------------------------

def test_the_whole_life_of_an_order(world: ServiceWorld) -> None:
    order = new_order(world)
    assigned = world.run(lambda s: assign_order(s, order.id, assignee_id=world.ids["tech1"]))
    assert (assigned.state, assigned.assignee_id) == ("assigned", world.ids["tech1"])
    assert world.run(lambda s: start_order(s, order.id)).state == "in_progress"
    world.run(lambda s: record_work(s, order.id, note="检查", minutes=20))
    done = world.run(lambda s: complete_order(s, order.id))
    assert done.state == "done" and done.completed_on is not None
    closed = world.run(lambda s: close_order(s, order.id, rating=4, comment="好"))
    assert (closed.state, closed.rating, closed.feedback) == ("closed", 4, "好")


ILLEGAL = [
    # (how far the order got, what is tried)
    ("new", "start"), ("new", "record"), ("new", "complete"), ("new", "close"),
    ("assigned", "record"), ("assigned", "complete"), ("assigned", "close"),
    ("in_progress", "assign"), ("in_progress", "start"), ("in_progress", "close"),
    ("done", "assign"), ("done", "start"), ("done", "record"), ("done", "complete"),
    ("done", "cancel"), ("closed", "cancel"), ("closed", "close"), ("closed", "start"),
    ("cancelled", "assign"), ("cancelled", "start"), ("cancelled", "cancel"),
]


def _reach(world: ServiceWorld, state: str) -> int:
    order = new_order(world)
    steps = {"new": [], "assigned": ["assign"], "in_progress": ["assign", "start"],
             "done": ["assign", "start", "complete"],
             "closed": ["assign", "start", "complete", "close"], "cancelled": ["cancel"]}
    for step in steps[state]:
        world.run(_action(world, step, order.id))
    return order.id


def _action(world: ServiceWorld, step: str, order_id: int) -> object:
    tech = world.ids["tech1"]
    return {
        "assign": lambda s: assign_order(s, order_id, assignee_id=tech),
        "start": lambda s: start_order(s, order_id),
        "record": lambda s: record_work(s, order_id, note="x"),
        "complete": lambda s: complete_order(s, order_id),
        "close": lambda s: close_order(s, order_id, rating=5),
        "cancel": lambda s: cancel_order(s, order_id),
    }[step]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("state", "step"), ILLEGAL)
def test_an_illegal_transition_is_refused_and_changes_nothing(
        world: ServiceWorld, state: str, step: str) -> None:
    order_id = _reach(world, state)
    before = world.order(order_id)
    assert world.refusal(_action(world, step, order_id)) == [("ILLEGAL_TRANSITION", ("id",))]
    after = world.order(order_id)
    assert (after.state, after.version) == (before.state, before.version)


def test_illegal_transitions_on_postgresql_too(world: ServiceWorld) -> None:
    done = _reach(world, "done")
    assert world.refusal(_action(world, "start", done)) == [("ILLEGAL_TRANSITION", ("id",))]
    cancelled = _reach(world, "cancelled")
    assert world.refusal(_action(world, "complete", cancelled)) == [
        ("ILLEGAL_TRANSITION", ("id",))]


def test_the_refusal_names_both_states_in_the_users_language(world: ServiceWorld) -> None:
    order_id = _reach(world, "assigned")
    with world.uow() as session, pytest.raises(ValidationFailed) as caught:
        complete_order(session, order_id)
    error = caught.value.errors[0]
    with use_locale("en", Translator.for_environment(world.env)):
        text = translate(error.message, "en", **error.params)
    assert "Assigned" in text and "Done" in text and "FW-" in text


@pytest.mark.parametrize("state", ["new", "assigned", "in_progress"])
def test_an_order_not_yet_done_can_be_cancelled(world: ServiceWorld, state: str) -> None:
    order_id = _reach(world, state)
    cancelled = world.run(lambda s: cancel_order(s, order_id, reason="客户取消"))
    assert (cancelled.state, cancelled.cancel_reason) == ("cancelled", "客户取消")
    assert cancelled.cancelled_at is not None


# -- assignment ----------------------------------------------------------------------------

def test_assignment_to_a_technician_a_team_or_a_member_of_a_team(world: ServiceWorld) -> None:
    ids = world.ids
    order = new_order(world)
    to_team = world.run(lambda s: assign_order(s, order.id, team_id=ids["T1"]))
    assert (to_team.assignee_id, to_team.team_id) == (None, ids["T1"])
    member = world.run(lambda s: assign_order(s, order.id, team_id=ids["T1"],
                                              assignee_id=ids["tech2"]))
    assert (member.state, member.assignee_id, member.team_id) == (
        "assigned", ids["tech2"], ids["T1"])
    assert world.refusal(lambda s: assign_order(s, order.id, team_id=ids["T1"],
                                                assignee_id=ids["tech3"])) == [
        ("INVALID", ("username",))]
    assert world.refusal(lambda s: assign_order(s, order.id)) == [
        ("REQUIRED", ("username",))]
    assert world.refusal(lambda s: assign_order(s, order.id, assignee_id=424242)) == [
        ("NOT_FOUND", ("username",))]
    assert world.refusal(lambda s: assign_order(s, order.id, team_id=424242)) == [
        ("NOT_FOUND", ("teamCode",))]


# -- records, parts, labour ----------------------------------------------------------------

def test_parts_come_out_of_the_van_and_the_faulty_unit_goes_to_quarantine(
        world: ServiceWorld) -> None:
    order = started(world)
    seen: list[ServicePartReplaced] = []
    world.env.events._transaction.setdefault(ServicePartReplaced.name, []).append(
        Subscription(ServicePartReplaced, lambda e, **_: seen.append(e)))
    swap_drive(world, order.id, attachment_urls=["https://img.example.com/1.jpg"])
    assert world.serial_place("D-101") == "PARTNER/CUSTOMER"
    assert world.serial_place("D-001") == "VAN1/QUARANTINE"
    assert world.on_hand("VAN1/STOCK", "FILTER") == D(18)
    with world.uow(readonly=True) as session:
        parts = list(session.scalars(select(models.ServicePart)
                                     .order_by(models.ServicePart.id)))
        record = session.scalars(select(models.ServiceRecord)).one()
        urls = list(session.scalars(select(models.ServiceAttachment.url)))
        labour = session.scalars(select(models.ServiceLabour)).one()
    assert [(p.quantity, p.cost, p.unit_price) for p in parts] == [
        (D(1), D("500.00"), D("800")), (D(2), D("40.00"), D("50"))]
    assert parts[0].fitted_serial_id == world.serial_id("D-101")
    assert parts[0].removed_serial_id == world.serial_id("D-001")
    assert parts[0].host_serial_id == world.serial_id("M-001")
    assert (record.note, record.minutes, urls) == ("更换驱动板", 90,
                                                   ["https://img.example.com/1.jpg"])
    assert (labour.hours, labour.rate, labour.internal_rate) == (D("1.5"), D(150), D(90))
    assert [(e.host_serial_id, e.removed_serial_id, e.fitted_serial_id) for e in seen] == [
        (world.serial_id("M-001"), world.serial_id("D-001"), world.serial_id("D-101"))]


def test_a_record_that_cannot_be_kept_keeps_nothing(world: ServiceWorld) -> None:
    ids = world.ids
    order = started(world)

    def record(**kwargs: object) -> object:
        values: dict[str, object] = {"note": "x", "user_id": ids["tech1"]}
        values.update(kwargs)
        return lambda s: record_work(s, order.id, **values)

    assert world.refusal(record(parts=[PartInput(product_id=ids["FILTER"],
                                                 quantity=D(50))])) == [
        ("INSUFFICIENT_STOCK", ("parts", "0", "quantity"))]
    assert world.refusal(record(parts=[PartInput(product_id=ids["DRIVE"], quantity=D(1),
                                                 serials=["D-001"])])) [0][0] == (
        "SERIAL_NOT_IN_LOCATION")  # the drive is at the customer, not in the van
    assert world.refusal(record(parts=[PartInput(
        product_id=ids["DRIVE"], quantity=D(1), serials=["D-101"],
        removed_serial="D-102")])) == [
        ("SERIAL_NOT_AT_CUSTOMER", ("parts", "0", "removedSerial"))]
    assert world.refusal(record(parts=[PartInput(product_id=ids["FILTER"], quantity=D(1))],
                                user_id=ids["tech3"])) == [("NO_VAN", ("parts",))]
    assert world.refusal(record(parts=[PartInput(product_id=ids["FILTER"],
                                                 quantity=D(-1))])) == [
        ("INVALID_QUANTITY", ("parts", "0", "quantity"))]
    assert world.refusal(record(attachment_urls=["javascript:alert(1)",
                                                 "file:///etc/passwd"])) == [
        ("INVALID_URL", ("attachmentUrls", "0")), ("INVALID_URL", ("attachmentUrls", "1"))]
    assert world.refusal(record(minutes=-5, labour=[LabourInput(ids["tech1"], D(0))])) == [
        ("INVALID", ("minutes",)), ("INVALID_QUANTITY", ("labour", "0", "hours"))]
    assert world.refusal(record(note="")) == [("REQUIRED", ("note",))]
    assert count(world, models.ServiceRecord) == 0 and count(world, models.ServicePart) == 0
    assert world.on_hand("VAN1/STOCK", "FILTER") == D(20)
    assert world.serial_place("D-001") == "PARTNER/CUSTOMER"


# -- billing -------------------------------------------------------------------------------

def invoice_lines(world: ServiceWorld, invoice_id: int | None) -> list[tuple[object, ...]]:
    with world.uow(readonly=True) as session:
        return [(line.product_id, line.quantity, line.unit_price, line.tax_rate, line.total)
                for line in session.scalars(select(InvoiceLine)
                                            .where(InvoiceLine.invoice_id == invoice_id)
                                            .order_by(InvoiceLine.position))]


def test_nothing_covered_bills_parts_and_labour_on_one_invoice(world: ServiceWorld) -> None:
    order = started(world)
    swap_drive(world, order.id)
    done = world.run(lambda s: complete_order(s, order.id, user_id=world.ids["tech1"]))
    assert invoice_lines(world, done.invoice_id) == [
        (world.ids["DRIVE"], D(1), D(800), D("0.13"), D("904.00")),
        (world.ids["FILTER"], D(2), D(50), D("0.13"), D("113.00")),
        (None, D("1.5"), D(150), D("0.13"), D("254.25"))]
    with world.uow(readonly=True) as session:
        invoice = session.get_one(Invoice, done.invoice_id)
        assert (invoice.partner_id, invoice.direction, invoice.origin_type,
                invoice.origin_id, invoice.amount_total) == (
            world.ids["C1"], "receivable", "service.order", order.id, D("1271.25"))


def test_a_fully_covered_order_produces_no_invoice(world: ServiceWorld) -> None:
    order = started(world)
    world.run(lambda s: set_coverage(s, order.id, covers_parts=True, covers_labour=True,
                                     warranty_id=7))
    swap_drive(world, order.id)
    done = world.run(lambda s: complete_order(s, order.id))
    assert (done.invoice_id, done.warranty_id) == (None, 7)
    assert count(world, Invoice) == 0


def test_a_partly_covered_order_bills_only_what_is_not_covered(world: ServiceWorld) -> None:
    order = started(world)
    world.run(lambda s: set_coverage(s, order.id, covers_parts=True, covers_labour=False))
    swap_drive(world, order.id)
    done = world.run(lambda s: complete_order(s, order.id))
    assert invoice_lines(world, done.invoice_id) == [
        (None, D("1.5"), D(150), D("0.13"), D("254.25"))]


def test_coverage_is_set_by_an_extender_when_the_order_is_created(world: ServiceWorld) -> None:
    from openjxc.addons.service_orders.events import ServiceOrderCreated

    def bridge(event: ServiceOrderCreated, *, session: object, env: object) -> None:
        set_coverage(session, event.order_id, covers_parts=True,  # type: ignore[arg-type]
                     covers_labour=True, warranty_id=len(event.serial_ids))

    world.env.events._transaction.setdefault(ServiceOrderCreated.name, []).append(
        Subscription(ServiceOrderCreated, bridge))
    order = new_order(world)
    assert (order.covers_parts, order.covers_labour, order.warranty_id) == (True, True, 1)


def test_coverage_cannot_change_once_done(world: ServiceWorld) -> None:
    order_id = _reach(world, "done")
    assert world.refusal(lambda s: set_coverage(s, order_id, covers_parts=True,
                                                covers_labour=True)) == [
        ("ILLEGAL_TRANSITION", ("id",))]
    assert world.refusal(lambda s: set_coverage(s, order_id, covers_parts="yes",
                                                covers_labour=1)) == [  # type: ignore
        ("INVALID", ("coversParts",)), ("INVALID", ("coversLabour",))]


# -- feedback ------------------------------------------------------------------------------

def test_closing_takes_the_customers_rating_comment_and_signature(world: ServiceWorld) -> None:
    order_id = _reach(world, "done")
    signature = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADU"
                 "lEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    for bad, field in ((dict(rating=6), "rating"), (dict(rating="5"), "rating"),
                       (dict(signature_url="javascript:alert(1)"), "signatureUrl"),
                       (dict(signature_url="data:image/svg+xml;base64,PHN2Zz4="),
                        "signatureUrl")):
        assert world.refusal(lambda s, bad=bad: close_order(s, order_id, **bad))[0][1] == (
            field,)
    closed = world.run(lambda s: close_order(s, order_id, rating=5, comment="师傅专业",
                                             signature_url=signature))
    assert (closed.state, closed.rating, closed.feedback, closed.signature_url) == (
        "closed", 5, "师傅专业", signature)
