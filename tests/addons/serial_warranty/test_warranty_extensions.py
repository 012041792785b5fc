"""Extensions (续保): billed on a receivable invoice through base_jxc's invoicing, the end
moved (or a fresh term when already expired), void warranties refused, and the mutation
idempotent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from warranty_support import build_world

from openjxc.addons.base_jxc.invoicing.models import Invoice, InvoiceLine
from openjxc.addons.serial_warranty import services
from openjxc.addons.serial_warranty.models import WarrantyExtension
from openjxc.graphql import to_global_id
from openjxc.testing.graphql import GraphQLTester

EXTEND = """
mutation($input: WarrantyExtendInput!) {
  warrantyExtend(input: $input) {
    warranty { endDate baseEndDate status(on: "2026-06-01") }
    extension { months price soldOn previousEndDate newEndDate invoice { number } }
    errors { field code message }
  }
}
"""


def test_an_extension_is_billed_and_moves_the_end(database_url: str) -> None:
    world = build_world(database_url)
    try:
        world.call(services.create_policy, months=12, category_code="DJ")
        world.buy("MOTOR", ["M-1", "M-2", "M-3"], date(2026, 1, 10))
        order_id, _ = world.sell("MOTOR", ["M-1", "M-2", "M-3"], date(2026, 1, 31))
        m1, m2, m3 = (world.serial(n) for n in ("M-1", "M-2", "M-3"))

        extension = world.call(services.extend_warranty, m1, 12, Decimal("800.00"),
                               Decimal("0.13"), 7, on=date(2026, 6, 1))
        assert (extension.previous_end_date, extension.new_end_date) == (
            date(2027, 1, 30), date(2028, 1, 30))
        assert world.live("M-1").end_date == date(2028, 1, 30)  # type: ignore[union-attr]
        with world.uow() as session:
            invoice = session.get_one(Invoice, extension.invoice_id)
            (line,) = session.scalars(select(InvoiceLine)
                                      .where(InvoiceLine.invoice_id == invoice.id))
            assert (invoice.partner_id, invoice.direction, invoice.amount_total,
                    invoice.invoice_date, invoice.origin_type, invoice.origin_id,
                    invoice.created_by_id) == (
                world.ids["C1"], "receivable", Decimal("904.00"), date(2026, 6, 1),
                "warranty.extension", extension.id, 7)
            assert (line.product_id, line.description, line.quantity, line.source_type,
                    line.source_id) == (None, "续保 12 个月 — M-1", Decimal(1),
                                        "WarrantyExtension", extension.id)

        # Already expired on the sale day: a fresh term from that day.
        late = world.call(services.extend_warranty, m2, 6, Decimal("300"), None,
                          on=date(2027, 3, 31))
        assert late.new_end_date == date(2027, 9, 29)  # 6 months from the 31st, clamped
        live = world.live("M-2")
        assert live is not None and live.base_end_date == date(2027, 1, 30)
        assert services.warranty_status(live, date(2027, 4, 1)) == "extended"

        # Refusals change nothing: a void warranty, a unit without one, bad input.
        world.take_back("MOTOR", ["M-3"], order_id)
        assert world.refused(services.extend_warranty, m3, 12, Decimal("800"),
                             None) == ["WARRANTY_VOID"]
        world.buy("MOTOR", ["M-9"], date(2026, 1, 10))
        assert world.refused(services.extend_warranty, world.serial("M-9"), 12,
                             Decimal("800"), None) == ["NOT_FOUND"]
        assert sorted(world.refused(services.extend_warranty, m1, 0, Decimal("-1"),
                                    Decimal("2"))) == ["INVALID", "INVALID", "INVALID"]
        assert world.refused(services.extend_warranty, m1, 1, Decimal("1.001"),
                             None) == ["INVALID"]
        with world.uow() as session:
            assert session.scalar(select(func.count()).select_from(WarrantyExtension)) == 2
            assert session.scalar(select(func.count()).select_from(Invoice)
                                  .where(Invoice.origin_type == "warranty.extension")) == 2
    finally:
        world.env.database.dispose()


def test_warranty_extend_is_idempotent_and_refuses_a_reused_key(database_url: str) -> None:
    world = build_world(database_url)
    try:
        world.call(services.create_policy, months=12, category_code="DJ")
        world.buy("MOTOR", ["M-1"], date(2026, 1, 10))
        world.sell("MOTOR", ["M-1"], date(2026, 1, 31))
        api = GraphQLTester(world.env, locale="en")
        serial_id = to_global_id("SerialNumber", world.serial("M-1"))
        request = {"serialId": serial_id, "months": 12, "price": "800.00",
                   "soldOn": "2026-06-01", "idempotencyKey": "pda-42"}
        first = api.ok(EXTEND, {"input": request})["warrantyExtend"]
        assert first["errors"] == []
        assert first["warranty"] == {"endDate": "2028-01-30", "baseEndDate": "2027-01-30",
                                     "status": "EXTENDED"}
        assert first["extension"]["invoice"]["number"].startswith("XSFP-")
        retry = api.ok(EXTEND, {"input": request})["warrantyExtend"]
        assert retry == first
        reused = api.ok(EXTEND, {"input": {**request, "months": 6}})["warrantyExtend"]
        assert [e["code"] for e in reused["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
        assert world.live("M-1").end_date == date(2028, 1, 30)  # type: ignore[union-attr]
        with world.uow() as session:
            assert session.scalar(select(func.count()).select_from(WarrantyExtension)) == 1

        wrong = api.ok(EXTEND, {"input": {**request, "serialId": "nope",
                                          "idempotencyKey": None}})["warrantyExtend"]
        assert wrong["warranty"] is None
        assert [(e["code"], e["field"]) for e in wrong["errors"]] == [
            ("NOT_FOUND", ["serialId"])]
        clerk = GraphQLTester(world.env, permissions={"warranty.warranty.read"})
        clerk.refused(EXTEND, {"input": {**request, "idempotencyKey": "x"}}, code="FORBIDDEN")
    finally:
        world.env.database.dispose()
