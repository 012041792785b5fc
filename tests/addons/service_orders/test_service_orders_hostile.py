"""What a hostile review found, each as a story that failed before its fix — SQLite and
PostgreSQL: dates far away, a big delivery needing installation, batch-tracked parts out
of the van, serial units of another customer, URLs that choke the parser, and complete
racing cancel."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from service_support import ServiceWorld, StatementCounter, build_service_world
from sqlalchemy import func, select

from openjxc.addons.base_jxc.catalog.services import ProductInput, create_product
from openjxc.addons.base_jxc.invoicing.models import Invoice, InvoiceLine
from openjxc.addons.base_jxc.sales.models import SalesOrderLine
from openjxc.addons.base_jxc.sales.services import (
    DeliveryLineInput,
    SalesLineInput,
    confirm_sales_order,
    create_sales_order,
    deliver_sales_order,
)
from openjxc.addons.base_jxc.stock.models import Batch, StockBalance, StockMove
from openjxc.addons.base_jxc.stock.posting import MoveLine, business_today, post_moves
from openjxc.addons.base_jxc.stock.warehouses import company_location
from openjxc.addons.service_orders import models
from openjxc.addons.service_orders.completion import close_order, complete_order
from openjxc.addons.service_orders.metrics import first_time_fix_rate
from openjxc.addons.service_orders.orders import (
    DeviceInput,
    assign_order,
    cancel_order,
    create_order,
    start_order,
)
from openjxc.addons.service_orders.records import LabourInput, PartInput, record_work
from openjxc.addons.service_orders.settings import set_labour_rate, set_product_setting
from openjxc.core.db import retry_transient
from openjxc.core.errors import ValidationFailed
from openjxc.graphql import to_global_id

D = Decimal


@pytest.fixture
def world(database_url: str) -> ServiceWorld:
    return build_service_world(database_url)


def started(world: ServiceWorld, customer: str = "C1", serial: str | None = "M-001",
            **kw: Any) -> int:
    """A repair order of ``customer`` in progress, assigned to tech1; its id."""
    ids = world.ids
    devices = [DeviceInput(serial_id=world.serial_id(serial))] if serial else []
    order = world.run(lambda s: create_order(s, type="repair", customer_id=ids[customer],
                                             devices=devices, **kw))
    world.run(lambda s: assign_order(s, order.id, assignee_id=ids["tech1"]))
    world.run(lambda s: start_order(s, order.id))
    return int(order.id)


def count(world: ServiceWorld, model: Any) -> int:
    with world.uow(readonly=True) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


# -- dates ---------------------------------------------------------------------------------

def test_dates_far_away_are_refused_and_year_9999_is_no_server_error(
        world: ServiceWorld) -> None:
    """Before: a report time in 9999 overflowed the SLA due time (a 500) and planned dates
    of year 1 or 2999 were kept."""
    ids = world.ids
    today = date.today()
    for bad, field in (
            (dict(reported_at=datetime(9999, 12, 31, 23, tzinfo=UTC)), "reportedAt"),
            (dict(reported_at=datetime.now(UTC) + timedelta(days=2)), "reportedAt"),
            (dict(reported_at=datetime(1990, 1, 1, tzinfo=UTC)), "reportedAt"),
            (dict(reported_at=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=8)))),
             "reportedAt"),
            (dict(planned_date=date(1, 1, 1)), "plannedDate"),
            (dict(planned_date=date(2999, 1, 1)), "plannedDate"),
            (dict(planned_date=today + timedelta(days=6 * 366)), "plannedDate")):
        refused = world.refusal(lambda s, bad=bad: create_order(
            s, type="repair", customer_id=ids["C1"], **bad))
        assert refused == [("INVALID", (field,))], bad
    assert count(world, models.ServiceOrder) == 0
    back_dated = datetime.now(UTC) - timedelta(days=3)
    order = world.run(lambda s: create_order(s, type="repair", customer_id=ids["C1"],
                                             reported_at=back_dated,
                                             planned_date=today + timedelta(days=30)))
    assert order.due_at == back_dated + timedelta(hours=48)
    assert world.refusal(lambda s: assign_order(s, order.id, assignee_id=ids["tech1"],
                                                planned_date=date(9999, 12, 31))) == [
        ("INVALID", ("plannedDate",))]
    assert world.order(order.id).state == "new"


def test_a_report_time_in_year_9999_is_a_payload_error_through_the_api(
        world: ServiceWorld) -> None:
    api = world.api("manager", locale="en")
    result = api.execute("""mutation($input: ServiceOrderCreateInput!) {
      serviceOrderCreate(input: $input) { serviceOrder { number }
      errors { field code message } } }""", {"input": {
        "type": "REPAIR", "customerCode": "C1", "reportedAt": "9999-12-31T23:00:00Z",
        "plannedDate": "0001-01-01"}})
    assert "errors" not in result
    payload = result["data"]["serviceOrderCreate"]
    assert payload["serviceOrder"] is None
    assert sorted((e["field"][0], e["code"]) for e in payload["errors"]) == [
        ("plannedDate", "INVALID"), ("reportedAt", "INVALID")]
    assert "future" in next(e["message"] for e in payload["errors"]
                            if e["field"] == ["reportedAt"])


# -- a big delivery needing installation ---------------------------------------------------

def test_a_delivery_of_more_than_200_units_needing_installation_goes_through(
        world: ServiceWorld) -> None:
    """Before: the installation order it made was refused for "at most 200 devices", and
    the refusal took the delivery down with it."""
    ids = world.ids
    numbers = [f"N-{n:04d}" for n in range(1, 202)]
    with world.uow() as session:
        set_product_setting(session, product_id=ids["MOTOR"], needs_installation=True)
        post_moves(session, [MoveLine(product_id=ids["MOTOR"], quantity=D(len(numbers)),
                                      from_location_id=company_location(session,
                                                                        "supplier").id,
                                      to_location_id=ids["WH1/STOCK"], unit_cost=D(2000),
                                      serials=numbers)], origin_type="test.receipt")
        order = create_sales_order(session, customer_id=ids["C1"], warehouse_id=ids["WH1"],
                                   lines=[SalesLineInput(product_id=ids["MOTOR"],
                                                         quantity=D(len(numbers)))],
                                   delivery_address_id=ids["site"])
        confirm_sales_order(session, order.id)
        line = session.scalar(select(SalesOrderLine.id).where(
            SalesOrderLine.order_id == order.id))
        assert line is not None
        deliver_sales_order(session, order.id,
                            lines=[DeliveryLineInput(order_line_id=line, serials=numbers)])
    with world.uow(readonly=True) as session:
        (made,) = session.scalars(select(models.ServiceOrder))
        assert (made.source, made.type, made.address_id) == ("delivery", "installation",
                                                              ids["site"])
        assert session.scalar(select(func.count()).select_from(models.ServiceOrderDevice)
                              .where(models.ServiceOrderDevice.order_id == made.id)) == 201
    assert world.serial_place("N-0201") == "PARTNER/CUSTOMER"
    # A person typing devices is still held to the cap.
    assert ("INVALID", ("devices",)) in world.refusal(lambda s: create_order(
        s, type="repair", customer_id=ids["C1"],
        devices=[DeviceInput(product_id=ids["FILTER"])] * 201))


# -- batch-tracked parts -------------------------------------------------------------------

def _grease(world: ServiceWorld) -> None:
    """GREASE (batch-tracked, 30.00): in VAN1 batch OLD (expired), SOON (3, expires in a
    month) and LATE (10, in a year)."""
    ids = world.ids
    today = business_today
    with world.uow() as session:
        product = create_product(session, ProductInput(code="GREASE", name="润滑脂",
                                                       category_code="DJ", tracking="batch"))
        product.list_price = D("30.00")
        ids["GREASE"] = product.id
        day = today(session)
        supplier = company_location(session, "supplier").id
        post_moves(session, [
            MoveLine(product_id=product.id, quantity=D(q), from_location_id=supplier,
                     to_location_id=ids["VAN1/STOCK"], unit_cost=D(cost), batch_number=b,
                     expires_on=day + timedelta(days=days))
            for b, q, cost, days in (("OLD", 4, 5, -400), ("LATE", 10, 12, 365),
                                     ("SOON", 3, 10, 30))],
            move_date=day - timedelta(days=500), origin_type="test.receipt")


def grease_in_van(world: ServiceWorld) -> Decimal:
    with world.uow(readonly=True) as session:
        return D(session.scalar(select(func.sum(StockBalance.quantity)).where(
            StockBalance.location_id == world.ids["VAN1/STOCK"],
            StockBalance.product_id == world.ids["GREASE"])) or 0)


def test_a_batch_tracked_part_comes_out_of_the_van_earliest_expiry_first(
        world: ServiceWorld) -> None:
    """Before: every batch-tracked part was refused with BATCH_REQUIRED (a part line has
    no batch, and a technician reads none off the tin)."""
    ids = world.ids
    _grease(world)
    order_id = started(world)
    world.run(lambda s: record_work(s, order_id, user_id=ids["tech1"], parts=[
        PartInput(product_id=ids["GREASE"], quantity=D(5))]))
    assert grease_in_van(world) == D(17 - 5)
    with world.uow(readonly=True) as session:
        pieces = [tuple(r) for r in session.execute(
            select(Batch.number, models.ServicePart.quantity, models.ServicePart.cost)
            .join(StockMove, StockMove.id == models.ServicePart.move_id)
            .join(Batch, Batch.id == StockMove.batch_id)
            .where(models.ServicePart.order_id == order_id).order_by(models.ServicePart.id))]
    # SOON, then LATE; never OLD (at the moving average, 170 / 17)
    assert pieces == [("SOON", D(3), D("30.00")), ("LATE", D(2), D("20.00"))]
    done = world.run(lambda s: complete_order(s, order_id))
    with world.uow(readonly=True) as session:
        billed = session.scalar(select(func.sum(InvoiceLine.quantity)).where(
            InvoiceLine.invoice_id == done.invoice_id, InvoiceLine.product_id == ids["GREASE"]))
    assert billed == D(5)


def test_more_than_the_van_holds_unexpired_is_refused_and_posts_nothing(
        world: ServiceWorld) -> None:
    ids = world.ids
    _grease(world)
    order_id = started(world)
    moves = count(world, StockMove)
    refused = world.refusal(lambda s: record_work(s, order_id, user_id=ids["tech1"], parts=[
        PartInput(product_id=ids["FILTER"], quantity=D(1)),
        PartInput(product_id=ids["GREASE"], quantity=D(14))]))
    assert refused == [("INSUFFICIENT_STOCK", ("parts", "1", "quantity"))]
    assert (count(world, StockMove), count(world, models.ServiceRecord)) == (moves, 0)
    assert grease_in_van(world) == D(17)


def test_an_engine_refusal_on_a_later_part_names_that_part(world: ServiceWorld) -> None:
    """Lines of the posting are pieces of parts: a refusal is said at the part line."""
    ids = world.ids
    _grease(world)
    order_id = started(world)
    refused = world.refusal(lambda s: record_work(s, order_id, user_id=ids["tech1"], parts=[
        PartInput(product_id=ids["GREASE"], quantity=D(5)),
        PartInput(product_id=ids["FILTER"], quantity=D(500))]))
    assert refused == [("INSUFFICIENT_STOCK", ("parts", "1", "quantity"))]


# -- serial units of another customer ------------------------------------------------------

def test_a_unit_with_another_customer_is_neither_a_device_nor_a_faulty_part(
        world: ServiceWorld) -> None:
    """Before: any unit at *a* customer would do — a technician at C1 could pull C2's
    drive out of the books into the van's quarantine."""
    ids = world.ids
    at_c2 = started(world, customer="C2", serial=None)
    world.run(lambda s: record_work(s, at_c2, user_id=ids["tech1"], parts=[
        PartInput(product_id=ids["DRIVE"], quantity=D(1), serials=["D-101"])]))
    assert world.serial_place("D-101") == "PARTNER/CUSTOMER"
    d101 = world.serial_id("D-101")
    assert world.refusal(lambda s: create_order(
        s, type="repair", customer_id=ids["C1"], devices=[DeviceInput(serial_id=d101)])) == [
        ("SERIAL_NOT_AT_CUSTOMER", ("devices", "0", "serialNumber"))]
    at_c1 = started(world)
    moves = count(world, StockMove)
    assert world.refusal(lambda s: record_work(s, at_c1, user_id=ids["tech1"], parts=[
        PartInput(product_id=ids["DRIVE"], quantity=D(1), serials=["D-102"],
                  removed_serial="D-101")])) == [
        ("SERIAL_NOT_AT_CUSTOMER", ("parts", "0", "removedSerial"))]
    assert (count(world, StockMove), world.serial_place("D-101")) == (moves, "PARTNER/CUSTOMER")
    # C2's own order may name it; a unit with no known holder (M-001) is anyone's.
    world.run(lambda s: create_order(s, type="repair", customer_id=ids["C2"],
                                     devices=[DeviceInput(serial_id=d101)]))
    world.run(lambda s: record_work(s, at_c1, user_id=ids["tech1"], parts=[
        PartInput(product_id=ids["DRIVE"], quantity=D(1), serials=["D-102"],
                  removed_serial="D-001")]))
    assert world.serial_place("D-001") == "VAN1/QUARANTINE"


# -- URLs ----------------------------------------------------------------------------------

def test_urls_that_choke_the_parser_or_hide_blanks_are_refused(world: ServiceWorld) -> None:
    """Before: ``http://[x`` raised ValueError in urlsplit (a 500), and blanks or line
    breaks inside a URL were kept."""
    ids = world.ids
    order_id = started(world)
    for url in ("http://[abc/x", "https://exa mple.com/a.jpg", "https://a.com/\nb.jpg",
                "https://a.com/\tb", "http://a.com/\x7f"):
        assert world.refusal(lambda s, url=url: record_work(
            s, order_id, user_id=ids["tech1"], attachment_urls=[url])) == [
            ("INVALID_URL", ("attachmentUrls", "0"))], url
    world.run(lambda s: complete_order(s, order_id))
    for url in ("http://[x", "https://a.com/sig nature.png"):
        assert world.refusal(lambda s, url=url: close_order(s, order_id, rating=5,
                                                           signature_url=url)) == [
            ("INVALID_URL", ("signatureUrl",))], url
    assert count(world, models.ServiceAttachment) == 0
    assert world.order(order_id).state == "done"


def test_a_parser_choking_url_is_a_payload_error_through_the_api(world: ServiceWorld) -> None:
    order_id = started(world)
    api = world.api("tech1", locale="en")
    result = api.execute("""mutation($input: ServiceOrderRecordInput!) {
      serviceOrderRecord(input: $input) { serviceOrder { state }
      errors { field code message } } }""", {"input": {
        "id": to_global_id("ServiceOrder", order_id), "note": "看", "attachmentUrls":
        ["http://[::1"]}})
    assert "errors" not in result
    assert result["data"]["serviceOrderRecord"]["errors"] == [
        {"field": ["attachmentUrls", "0"], "code": "INVALID_URL",
         "message": "Only http and https URLs are allowed"}]


# -- complete racing cancel ----------------------------------------------------------------

def test_complete_and_cancel_at_once_one_wins_and_billing_follows(world: ServiceWorld) -> None:
    ids = world.ids
    order_id = started(world)
    world.run(lambda s: record_work(s, order_id, user_id=ids["tech1"], parts=[
        PartInput(product_id=ids["FILTER"], quantity=D(2))]))
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def act(name: str) -> None:
        def once() -> None:
            with world.uow() as session:
                if name == "complete":
                    complete_order(session, order_id, user_id=ids["tech1"])
                else:
                    cancel_order(session, order_id, reason="客户取消")

        try:
            barrier.wait(timeout=30)
            retry_transient(once, attempts=20)
            results[name] = "ok"
        except ValidationFailed as exc:
            results[name] = exc.errors[0].code
        except Exception as exc:  # reported, never swallowed
            results[name] = f"error {type(exc).__name__}: {exc}"

    threads = [threading.Thread(target=act, args=(n,)) for n in ("complete", "cancel")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(results.values()) == ["ILLEGAL_TRANSITION", "ok"], results
    final = world.order(order_id)
    invoices = count(world, Invoice)
    if results["complete"] == "ok":
        assert (final.state, invoices, final.invoice_id is not None) == ("done", 1, True)
    else:
        assert (final.state, invoices, final.invoice_id) == ("cancelled", 0, None)


# -- first-time-fix rate -------------------------------------------------------------------

def test_a_follow_up_repair_cancelled_as_a_mistake_does_not_spoil_the_first_fix(
        world: ServiceWorld) -> None:
    """Before: any later repair order of the device counted, even one cancelled as a
    duplicate the minute it was typed."""
    ids = world.ids
    order_id = started(world)
    world.run(lambda s: complete_order(s, order_id))
    today = world.order(order_id).completed_on
    assert today is not None
    duplicate = world.run(lambda s: create_order(
        s, type="repair", customer_id=ids["C1"],
        devices=[DeviceInput(serial_id=world.serial_id("M-001"))]))
    with world.uow(readonly=True) as session:
        assert first_time_fix_rate(session, today, today).fixed_first_time == 0
    world.run(lambda s: cancel_order(s, duplicate.id, reason="重复报修"))
    with world.uow(readonly=True) as session:
        rate = first_time_fix_rate(session, today, today)
    assert (rate.repairs, rate.fixed_first_time, rate.rate) == (1, 1, D(1))


# -- NUL characters in what is looked up ---------------------------------------------------

def test_a_nul_character_in_a_code_number_or_username_is_refused_before_it_runs(
        world: ServiceWorld) -> None:
    """Before: PostgreSQL refused the look-up itself — an INTERNAL_SERVER_ERROR for a
    customer code, serial number, product code, username, team code or list filter with
    a NUL character in it.  Now the kernel refuses any such text before a resolver runs
    (NUL_CHARACTER, no data), each field on its own, and nothing changes."""
    order_id = started(world)
    gid = to_global_id("ServiceOrder", order_id)
    api = world.api("manager", locale="en")
    create = """mutation($input: ServiceOrderCreateInput!) { serviceOrderCreate(input: $input)
      { serviceOrder { number } errors { field code } } }"""
    assign = """mutation($input: ServiceOrderAssignInput!) { serviceOrderAssign(input: $input)
      { serviceOrder { state } errors { field code } } }"""
    record = """mutation($input: ServiceOrderRecordInput!) { serviceOrderRecord(input: $input)
      { serviceOrder { state } errors { field code } } }"""
    product = """mutation($input: ServiceProductSetInput!) { serviceProductSet(input: $input)
      { errors { field code } } }"""
    listing = """query($input: ServiceOrderFilter) { serviceOrders(filter: $input) {
      totalCount } }"""
    by_number = """query($input: String!) { serviceOrder(number: $input) { number } }"""
    part = {"productCode": "DRIVE", "quantity": "1", "serials": ["D-101"]}
    for query, variables in (
            (create, {"type": "REPAIR", "customerCode": "C\x001"}),
            (create, {"type": "REPAIR", "customerCode": "C1",
                      "devices": [{"serialNumber": "M-0\x0001"}]}),
            (create, {"type": "REPAIR", "customerCode": "C1",
                      "devices": [{"productCode": "FIL\x00TER"}]}),
            (assign, {"id": gid, "username": "te\x00ch1"}),
            (assign, {"id": gid, "username": "tech1", "teamCode": "T\x001"}),
            (record, {"id": gid, "technician": "x\x00"}),
            (record, {"id": gid, "parts": [{**part, "deviceSerial": "M\x00"}]}),
            (product, {"productCode": "MO\x00TOR", "needsInstallation": True}),
            (listing, {"customerCode": "C\x00"}),
            (listing, {"assignee": "a\x00"}),
            (listing, {"search": "F\x00W"}),
            (by_number, "FW\x00")):
        result = api.execute(query, {"input": variables})
        assert result["data"] is None, variables
        assert [e["extensions"]["code"] for e in result["errors"]] == [
            "NUL_CHARACTER"], variables
        assert result["errors"][0]["message"] == (
            "Text cannot contain the NUL character (\\u0000)")
    assert world.order(order_id).state == "in_progress"
    assert count(world, models.ServiceOrder) == 1


# -- long lists are refused before they are looked up --------------------------------------

def test_thousands_of_devices_or_parts_are_refused_before_one_look_up_each(
        world: ServiceWorld) -> None:
    """Before: every device (or part) of the input was looked up, one statement each,
    and only then was the list refused for its length."""
    order_id = started(world)
    api = world.api("manager", locale="en")
    create = """mutation($input: ServiceOrderCreateInput!) { serviceOrderCreate(input: $input)
      { serviceOrder { number } errors { field code } } }"""
    record = """mutation($input: ServiceOrderRecordInput!) { serviceOrderRecord(input: $input)
      { serviceOrder { state } errors { field code } } }"""
    for query, variables, name, field in (
            (create, {"type": "REPAIR", "customerCode": "C1",
                      "devices": [{"serialNumber": f"X-{n}"} for n in range(2000)]},
             "serviceOrderCreate", "devices"),
            (record, {"id": to_global_id("ServiceOrder", order_id),
                      "parts": [{"productCode": f"P{n}", "quantity": "1", "deviceSerial":
                                 f"X-{n}"} for n in range(2000)]},
             "serviceOrderRecord", "parts"),
            (record, {"id": to_global_id("ServiceOrder", order_id),
                      "labour": [{"hours": "1", "username": f"u{n}"} for n in range(2000)]},
             "serviceOrderRecord", "labour")):
        with StatementCounter(world.env.database.engine) as counter:
            result = api.ok(query, {"input": variables})
        assert result[name]["errors"] == [{"field": [field], "code": "INVALID"}]
        assert len(counter) < 20, len(counter)


# -- a labour VAT rate invoicing cannot take -----------------------------------------------

def test_a_labour_vat_rate_of_100_percent_is_refused_where_it_is_set(
        world: ServiceWorld) -> None:
    """Before: a rate of 1 was kept, and every order of the type with labour was then
    refused at completion, by invoicing, at a field the technician never saw."""
    ids = world.ids
    assert world.refusal(lambda s: set_labour_rate(
        s, type="repair", rate=D("150.00"), internal_rate=D("90.00"), tax_rate=D(1))) == [
        ("INVALID", ("taxRate",))]
    world.run(lambda s: set_labour_rate(s, type="repair", rate=D("150.00"),
                                        internal_rate=D("90.00"), tax_rate=D("0.9999")))
    order_id = started(world)
    world.run(lambda s: record_work(s, order_id, user_id=ids["tech1"], labour=[
        LabourInput(technician_id=ids["tech1"], hours=D(1))]))
    assert world.run(lambda s: complete_order(s, order_id)).invoice_id is not None
