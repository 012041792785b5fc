"""service_orders through GraphQL: the promised names, idempotent posting, payload errors,
permissions, ``myServiceOrders``, statement counts, settings and the service report PDF."""

from __future__ import annotations

from typing import Any

import pytest
from service_support import ServiceWorld, StatementCounter, build_service_world
from sqlalchemy import func, select

from openjxc.addons.base_jxc.invoicing.models import Invoice
from openjxc.addons.service_orders import models
from openjxc.addons.service_orders.completion import complete_order
from openjxc.addons.service_orders.orders import (
    DeviceInput,
    assign_order,
    create_order,
    start_order,
)
from openjxc.addons.service_orders.records import LabourInput, PartInput, record_work
from openjxc.graphql import from_global_id, to_global_id

TECHNICIAN = {"service.order.read", "service.order.work", "service.order.complete",
              "catalog.product.read", "partner.partner.read", "stock.level.read"}

CREATE = """mutation($input: ServiceOrderCreateInput!) { serviceOrderCreate(input: $input) {
  serviceOrder { id number state type priority source dueAt site devices { serialNumber
  quantity product { code } } customer { code } }
  errors { field code message } } }"""
ASSIGN = """mutation($input: ServiceOrderAssignInput!) { serviceOrderAssign(input: $input) {
  serviceOrder { state assignee teamCode plannedDate } errors { field code message } } }"""
START = """mutation($id: ID!) { serviceOrderStart(input: {id: $id}) {
  serviceOrder { state startedAt } errors { field code message } } }"""
RECORD = """mutation($input: ServiceOrderRecordInput!) { serviceOrderRecord(input: $input) {
  serviceOrder { state records { note minutes attachmentUrls recordedBy }
  parts { quantity unitPrice cost fittedSerial removedSerial deviceSerial product { code } }
  labour { hours rate technician } } errors { field code message } } }"""
COMPLETE = """mutation($id: ID!, $key: String) {
  serviceOrderComplete(input: {id: $id, idempotencyKey: $key}) {
  serviceOrder { state invoiceNumber completedAt } errors { field code message } } }"""
CLOSE = """mutation($input: ServiceOrderCloseInput!) { serviceOrderClose(input: $input) {
  serviceOrder { state rating feedback signatureUrl } errors { field code message } } }"""
CANCEL = """mutation($id: ID!) { serviceOrderCancel(input: {id: $id, reason: "重复"}) {
  serviceOrder { state cancelReason } errors { field code message } } }"""


@pytest.fixture
def world(database_url: str) -> ServiceWorld:
    return build_service_world(database_url)


def invoices(world: ServiceWorld) -> int:
    with world.uow(readonly=True) as session:
        return int(session.scalar(select(func.count()).select_from(Invoice)) or 0)


def test_an_order_from_request_to_signature_through_the_api(world: ServiceWorld) -> None:
    api = world.api("tech1")
    made = api.ok(CREATE, {"input": {
        "type": "REPAIR", "customerCode": "C1", "priority": "HIGH", "source": "CUSTOMER",
        "addressId": to_global_id("PartnerAddress", world.ids["site"]),
        "description": "驱动器报警", "devices": [{"serialNumber": "M-001"}]}})
    created = made["serviceOrderCreate"]
    assert created["errors"] == []
    order = created["serviceOrder"]
    assert (order["state"], order["type"], order["priority"], order["source"],
            order["site"], order["customer"]["code"]) == (
        "NEW", "REPAIR", "HIGH", "CUSTOMER", "C1 工地 1 号", "C1")
    assert order["devices"] == [{"serialNumber": "M-001", "quantity": "1.0000",
                                 "product": {"code": "MOTOR"}}]
    assigned = api.ok(ASSIGN, {"input": {"id": order["id"], "username": "tech1",
                                         "teamCode": "T1", "plannedDate": "2026-12-01"}})
    assert assigned["serviceOrderAssign"]["serviceOrder"] == {
        "state": "ASSIGNED", "assignee": "tech1", "teamCode": "T1",
        "plannedDate": "2026-12-01"}
    assert api.ok(START, {"id": order["id"]})["serviceOrderStart"]["serviceOrder"][
        "state"] == "IN_PROGRESS"
    record = {"id": order["id"], "note": "更换驱动板", "minutes": 60,
              "attachmentUrls": ["https://img.example.com/a.jpg"],
              "labour": [{"hours": "1.5"}],
              "parts": [{"productCode": "DRIVE", "quantity": "1", "serials": ["D-101"],
                         "removedSerial": "D-001", "deviceSerial": "M-001"}],
              "idempotencyKey": "rec-1"}
    first = api.ok(RECORD, {"input": record})["serviceOrderRecord"]
    again = api.ok(RECORD, {"input": record})["serviceOrderRecord"]
    assert first == again and first["errors"] == []
    recorded = first["serviceOrder"]
    assert recorded["records"] == [{"note": "更换驱动板", "minutes": 60,
                                    "attachmentUrls": ["https://img.example.com/a.jpg"],
                                    "recordedBy": "tech1"}]
    assert recorded["parts"] == [{"quantity": "1.0000", "unitPrice": "800.000000",
                                  "cost": "500.00", "fittedSerial": "D-101",
                                  "removedSerial": "D-001", "deviceSerial": "M-001",
                                  "product": {"code": "DRIVE"}}]
    assert recorded["labour"] == [{"hours": "1.5000", "rate": "150.00",
                                   "technician": "tech1"}]
    reused = api.ok(RECORD, {"input": {**record, "minutes": 61}})["serviceOrderRecord"]
    assert [e["code"] for e in reused["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    assert world.serial_place("D-001") == "VAN1/QUARANTINE"
    done = api.ok(COMPLETE, {"id": order["id"], "key": "done-1"})["serviceOrderComplete"]
    assert api.ok(COMPLETE, {"id": order["id"], "key": "done-1"})[
        "serviceOrderComplete"] == done
    assert done["serviceOrder"]["state"] == "DONE"
    assert done["serviceOrder"]["invoiceNumber"].startswith("XSFP-")
    assert invoices(world) == 1
    closed = api.ok(CLOSE, {"input": {"id": order["id"], "rating": 5, "comment": "满意",
                                      "signatureUrl": "https://sign.example.com/s.png"}})
    assert closed["serviceOrderClose"]["serviceOrder"] == {
        "state": "CLOSED", "rating": 5, "feedback": "满意",
        "signatureUrl": "https://sign.example.com/s.png"}
    found = api.ok("""query($n: String!) { serviceOrder(number: $n) { state coversParts
                      invoiceNumber overdue } }""", {"n": order["number"]})
    assert found["serviceOrder"]["state"] == "CLOSED"
    assert found["serviceOrder"]["overdue"] is False


def test_refusals_are_payload_errors_in_the_callers_language(world: ServiceWorld) -> None:
    api = world.api("manager", locale="en")
    unknown = api.ok(CREATE, {"input": {"type": "REPAIR", "customerCode": "NOPE",
                                        "devices": [{"serialNumber": "X-404"}]}})
    assert unknown["serviceOrderCreate"]["serviceOrder"] is None
    assert [(e["field"], e["code"]) for e in unknown["serviceOrderCreate"]["errors"]] == [
        (["customerCode"], "NOT_FOUND"), (["devices", "0", "serialNumber"], "NOT_FOUND")]
    made = api.ok(CREATE, {"input": {"type": "INSPECTION", "customerCode": "C2"}})
    order_id = made["serviceOrderCreate"]["serviceOrder"]["id"]
    refused = api.ok(START, {"id": order_id})["serviceOrderStart"]
    assert refused["serviceOrder"] is None
    (error,) = refused["errors"]
    assert error["code"] == "ILLEGAL_TRANSITION"
    assert "New" in error["message"] and "In progress" in error["message"]
    assert api.ok(START, {"id": to_global_id("Product", 1)})["serviceOrderStart"][
        "errors"][0]["code"] == "NOT_FOUND"
    cancelled = api.ok(CANCEL, {"id": order_id})["serviceOrderCancel"]["serviceOrder"]
    assert cancelled == {"state": "CANCELLED", "cancelReason": "重复"}


def test_permissions_guard_every_mutation_and_the_costs(world: ServiceWorld) -> None:
    tech = world.api("tech1", permissions=TECHNICIAN)
    tech.refused(CREATE, {"input": {"type": "REPAIR", "customerCode": "C1"}},
                 code="FORBIDDEN")
    tech.refused("""mutation { serviceSlaSet(input: {type: REPAIR, priority: URGENT,
                 hours: 2}) { errors { code } } }""", code="FORBIDDEN")
    tech.refused('{ warrantyCost(from: "2026-01-01", to: "2026-12-31") { total } }',
                 code="FORBIDDEN")
    world.api().anonymous().refused("{ myServiceOrders { totalCount } }",
                                    code="UNAUTHENTICATED")
    order = _started(world, "tech1")
    world.run(lambda s: record_work(s, order, user_id=world.ids["tech1"], parts=[
        PartInput(product_id=world.ids["FILTER"], quantity=1)]))  # type: ignore[arg-type]
    result = tech.execute("""query($id: ID!) { node(id: $id) { ... on ServiceOrder {
        parts { quantity cost } } } }""", {"id": to_global_id("ServiceOrder", order)})
    assert result["data"]["node"]["parts"] == [{"quantity": "1.0000", "cost": None}]
    assert [e["extensions"]["code"] for e in result["errors"]] == ["FORBIDDEN"]
    # a technician limited to the head warehouse takes nothing out of van 1
    scoped = world.api("tech1", permissions=TECHNICIAN,
                       scopes={"warehouse": [world.ids["WH1"]]})
    scoped.refused(RECORD, {"input": {"id": to_global_id("ServiceOrder", order), "parts": [
        {"productCode": "FILTER", "quantity": "1"}]}}, code="FORBIDDEN")
    assert world.on_hand("VAN1/STOCK", "FILTER") == 19


def _started(world: ServiceWorld, tech: str) -> int:
    ids = world.ids
    order = world.run(lambda s: create_order(s, type="repair", customer_id=ids["C1"],
                                             devices=[DeviceInput(
                                                 serial_id=world.serial_id("M-001"))]))
    world.run(lambda s: assign_order(s, order.id, assignee_id=ids[tech]))
    world.run(lambda s: start_order(s, order.id))
    return int(order.id)


def test_my_service_orders_are_the_open_ones_of_me_and_my_teams(world: ServiceWorld) -> None:
    ids = world.ids

    def new(**assign: Any) -> str:
        order = world.run(lambda s: create_order(s, type="maintenance",
                                                 customer_id=ids["C1"]))
        world.run(lambda s: assign_order(s, order.id, **assign))
        return str(order.number)

    mine = new(assignee_id=ids["tech1"])
    team = new(team_id=ids["T1"])
    other = new(assignee_id=ids["tech2"])
    new(assignee_id=ids["tech3"])
    finished = _started(world, "tech1")
    world.run(lambda s: complete_order(s, finished))
    query = "{ myServiceOrders { totalCount edges { node { number } } } }"

    def numbers(user: str) -> list[str]:
        data = world.api(user, permissions=TECHNICIAN).ok(query)["myServiceOrders"]
        return sorted(e["node"]["number"] for e in data["edges"])

    assert numbers("tech1") == sorted([mine, team])
    assert numbers("tech2") == sorted([team, other])
    assert numbers("manager") == []


def test_the_order_list_costs_the_same_statements_for_2_or_6_orders(
        world: ServiceWorld) -> None:
    ids = world.ids
    query = """{ serviceOrders(first: 50, filter: {type: REPAIR}) { totalCount edges { node {
      number customer { code } assignee teamCode invoiceNumber site deliveryNumber
      devices { quantity serialNumber product { code } serial { number } }
      records { note attachmentUrls recordedBy }
      labour { hours technician internalRate }
      parts { quantity cost fittedSerial removedSerial product { code } } } } } }"""

    def add(n: int) -> None:
        for _ in range(n):
            order = _started(world, "tech1")
            world.run(lambda s, o=order: record_work(
                s, o, note="检查", attachment_urls=["https://x.example.com/1.jpg"],
                user_id=ids["tech1"],
                labour=[LabourInput(technician_id=ids["tech1"], hours=1)],  # type: ignore
                parts=[PartInput(product_id=ids["FILTER"], quantity=1)]))  # type: ignore

    api = world.api("manager")
    counts = []
    for n in (2, 4):
        add(n)
        with StatementCounter(world.env.database.engine) as counter:
            data = api.ok(query)
        assert data["serviceOrders"]["totalCount"] == (2 if n == 2 else 6)
        counts.append(len(counter))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 16, counts


def test_settings_through_the_api(world: ServiceWorld) -> None:
    api = world.api("manager", locale="en")
    assert api.ok("""mutation { serviceSlaSet(input: {type: REPAIR, priority: URGENT,
        hours: 2}) { sla { hours } errors { code } } }""")["serviceSlaSet"] == {
        "sla": {"hours": 2}, "errors": []}
    slas = api.ok("{ serviceSlas { type priority hours } }")["serviceSlas"]
    assert {"type": "REPAIR", "priority": "URGENT", "hours": 2} in slas and len(slas) == 16
    rate = api.ok("""mutation { serviceLabourRateSet(input: {type: REPAIR, rate: "180",
        internalRate: "100", taxRate: "0.13"}) { labourRate { rate internalRate }
        errors { code } } }""")["serviceLabourRateSet"]
    assert rate == {"labourRate": {"rate": "180.00", "internalRate": "100.00"},
                    "errors": []}
    flagged = api.ok("""mutation { serviceProductSet(input: {productCode: "MOTOR",
        needsInstallation: true}) { needsInstallation errors { code } } }""")
    assert flagged["serviceProductSet"] == {"needsInstallation": True, "errors": []}
    products = api.ok('{ products(first: 10) { edges { node { code needsInstallation } } } }')
    assert {e["node"]["code"]: e["node"]["needsInstallation"]
            for e in products["products"]["edges"]} == {
        "MOTOR": True, "DRIVE": False, "FILTER": False}
    team = api.ok("""mutation { serviceTeamSet(input: {code: "T2", name: "二组",
        members: ["tech3", "tech1"]}) { team { code members } errors { code } } }""")
    assert team["serviceTeamSet"] == {"team": {"code": "T2", "members": ["tech1", "tech3"]},
                                      "errors": []}
    van = api.ok("""mutation { serviceTechnicianSet(input: {username: "tech3",
        warehouseCode: "VAN2"}) { warehouseCode errors { code field } } }""")
    assert van["serviceTechnicianSet"] == {"warehouseCode": "VAN2", "errors": []}
    bad = api.ok("""mutation { serviceTechnicianSet(input: {username: "ghost",
        warehouseCode: "NOPE"}) { warehouseCode errors { code field } } }""")
    assert bad["serviceTechnicianSet"]["errors"] == [
        {"code": "NOT_FOUND", "field": ["username"]},
        {"code": "NOT_FOUND", "field": ["warehouseCode"]}]
    figures = api.ok("""{ warrantyCost(from: "2026-01-01", to: "2026-12-31") { orders total }
        firstTimeFixRate(from: "2026-01-01", to: "2026-12-31") { repairs rate } }""")
    assert figures == {"warrantyCost": {"orders": 0, "total": "0.00"},
                       "firstTimeFixRate": {"repairs": 0, "rate": None}}
    api.refused('{ warrantyCost(from: "2026-12-31", to: "2026-01-01") { total } }',
                code="BAD_USER_INPUT")


SIGNATURE = ("data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4"
             "2mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_service_report_prints_in_both_languages_with_a_safe_signature(
        world: ServiceWorld) -> None:
    from openjxc.addons.service_orders.completion import close_order
    from openjxc.core.reports import ReportRegistry
    from openjxc.testing.pdf import cjk_fonts_embedded, embedded_fonts, pdf_text

    inline = _started(world, "tech1")
    linked = _started(world, "tech1")
    for order, signature in ((inline, SIGNATURE),
                             (linked, "http://169.254.169.254/latest/meta-data")):
        world.run(lambda s, o=order: record_work(s, o, note="更换驱动板", minutes=30,
                                                 user_id=world.ids["tech1"]))
        world.run(lambda s, o=order: complete_order(s, o))
        world.run(lambda s, o=order, sig=signature: close_order(s, o, rating=4,
                                                                signature_url=sig))
    registry = ReportRegistry.for_environment(world.env)
    with world.uow(readonly=True) as session:
        html_en = registry.render_html("service_report", inline, session, "en")
        html_zh = registry.render_html("service_report", linked, session, "zh_CN")
        assert "Service Report" in html_en and f'<img src="{SIGNATURE}"' in html_en
        assert "更换驱动板" in html_en
        assert "169.254.169.254" in html_zh and "<img" not in html_zh
        for order, locale in ((inline, "en"), (linked, "zh_CN")):
            pdf = registry.render_pdf("service_report", order, session, locale)
            assert pdf.startswith(b"%PDF")
            assert cjk_fonts_embedded(pdf), embedded_fonts(pdf)
            assert "更换驱动板" in pdf_text(pdf)
    assert registry.get("service_report").permission == "service.order.read"
    assert world.order(inline).state == "closed"
    with world.uow(readonly=True) as session:
        assert session.scalar(select(func.count()).select_from(models.ServiceRecord)) == 2


def test_a_technician_works_only_on_their_own_or_their_teams_orders(
        world: ServiceWorld) -> None:
    """tech1 and tech2 share team T1; tech3 is in no team with them.  A dispatcher (who
    may assign orders) acts on any order; a technician only on theirs, and records only
    their own work and parts out of their own van."""
    ids = world.ids

    def assigned(**assign: Any) -> str:
        order = world.run(lambda s: create_order(s, type="maintenance",
                                                 customer_id=ids["C1"]))
        world.run(lambda s: assign_order(s, order.id, **assign))
        return to_global_id("ServiceOrder", order.id)

    theirs = assigned(assignee_id=ids["tech3"])
    team = assigned(team_id=ids["T1"])
    tech1 = world.api("tech1", permissions=TECHNICIAN)
    tech1.refused(START, {"id": theirs}, code="FORBIDDEN")
    assert world.order(int(from_global_id(theirs)[1])).state == "assigned"
    assert tech1.ok(START, {"id": team})["serviceOrderStart"]["errors"] == []
    note = {"id": team, "note": "换滤芯", "minutes": 30}
    tech1.refused(RECORD, {"input": {**note, "technician": "tech2"}}, code="FORBIDDEN")
    tech1.refused(RECORD, {"input": {**note, "labour": [{"username": "tech3", "hours": "1"}]}},
                  code="FORBIDDEN")
    assert tech1.ok(RECORD, {"input": note})["serviceOrderRecord"]["errors"] == []
    tech1.refused(COMPLETE, {"id": theirs}, code="FORBIDDEN")
    # The dispatcher may do it all, for anyone.
    manager = world.api("manager")
    assert manager.ok(START, {"id": theirs})["serviceOrderStart"]["errors"] == []
    assert manager.ok(RECORD, {"input": {"id": theirs, "note": "代录", "technician": "tech3"}}
                      )["serviceOrderRecord"]["errors"] == []
