"""Host ↔ accessory fitments (refusals, swap in service) and the "warranty expiring"
alert on the kernel's alert framework."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from warranty_support import build_world

from openjxc.addons.serial_warranty import services
from openjxc.addons.serial_warranty.alerts import RULE_KEY
from openjxc.core.alerts import evaluate_rules
from openjxc.graphql import to_global_id
from openjxc.testing.graphql import GraphQLTester

FIT = """
mutation($input: AccessoryFitInput!) {
  accessoryFit(input: $input) {
    fitment { hostSerialNumber accessorySerialNumber accessoryProductCode fittedOn removedOn
              role host { number } }
    errors { field code }
  }
}
"""


def test_fit_refuse_swap_and_remove(database_url: str) -> None:
    world = build_world(database_url)
    try:
        world.buy("MOTOR", ["M-1", "M-2"], date(2026, 1, 10))
        world.buy("DRIVE", ["D-1", "D-2"], date(2026, 1, 10))
        world.buy("FAN", ["F-1"], date(2026, 1, 10))
        m1, m2, d1, d2, f1 = (world.serial(n) for n in ("M-1", "M-2", "D-1", "D-2", "F-1"))

        api = GraphQLTester(world.env)
        fitted = api.ok(FIT, {"input": {"hostSerialId": to_global_id("SerialNumber", m1),
                                        "accessorySerialId": to_global_id("SerialNumber", d1),
                                        "fittedOn": "2026-02-01"}})["accessoryFit"]
        assert fitted == {"fitment": {
            "hostSerialNumber": "M-1", "accessorySerialNumber": "D-1",
            "accessoryProductCode": "DRIVE", "fittedOn": "2026-02-01", "removedOn": None,
            "role": None, "host": {"number": "M-1"}}, "errors": []}

        assert world.refused(services.fit_accessory, m2, d1) == ["ALREADY_FITTED"]
        assert world.refused(services.fit_accessory, m1, f1) == ["NOT_RELATED"]
        assert world.refused(services.fit_accessory, d2, m1) == ["NOT_RELATED"]  # reversed
        assert world.refused(services.fit_accessory, m1, m1) == ["INVALID"]
        assert world.refused(services.fit_accessory, m1, None) == ["NOT_FOUND"]
        assert world.refused(services.remove_accessory, d2) == ["NOT_FITTED"]
        no_right = GraphQLTester(world.env, permissions={"warranty.warranty.read"})
        no_right.refused(FIT, {"input": {"hostSerialId": to_global_id("SerialNumber", m2),
                                         "accessorySerialId": to_global_id("SerialNumber",
                                                                           d2)}},
                         code="FORBIDDEN")

        # Service replaces the drive: D-1 comes off M-1, D-2 goes on, the same day.
        new = world.call(services.swap_fitment, m1, d1, d2, date(2026, 5, 5))
        assert (new.host_serial_id, new.accessory_serial_id, new.fitted_on) == (
            m1, d2, date(2026, 5, 5))
        assert world.refused(services.remove_accessory, d1) == ["NOT_FITTED"]
        world.call(services.fit_accessory, m2, d1, on=date(2026, 5, 6))  # free again
        assert world.refused(services.remove_accessory, d2,
                             on=date(2026, 5, 4)) == ["INVALID"]
        removed = api.ok("""mutation($input: AccessoryRemoveInput!) {
            accessoryRemove(input: $input) { fitment { hostSerialNumber removedOn }
                                             errors { code } } }""",
                         {"input": {"accessorySerialId": to_global_id("SerialNumber", d2),
                                    "removedOn": "2026-06-01"}})["accessoryRemove"]
        assert removed == {"fitment": {"hostSerialNumber": "M-1", "removedOn": "2026-06-01"},
                           "errors": []}
    finally:
        world.env.database.dispose()


def _at(day: date) -> datetime:
    return datetime.combine(day, time(4), tzinfo=UTC)  # noon in Shanghai


def test_the_expiring_alert_opens_within_the_alert_days_and_resolves(
        database_url: str) -> None:
    world = build_world(database_url)
    try:
        world.call(services.create_policy, months=12, category_code="DJ", alert_days=30)
        world.buy("MOTOR", ["M-1", "M-2"], date(2026, 1, 10))
        order_id, _ = world.sell("MOTOR", ["M-1", "M-2"], date(2026, 1, 31))  # ends 2027-01-30
        env = world.env
        assert evaluate_rules(env, _at(date(2026, 12, 31)), [RULE_KEY]).opened == []
        report = evaluate_rules(env, _at(date(2027, 1, 1)), [RULE_KEY])  # 29 days left
        assert len(report.opened) == 2
        world.call(services.extend_warranty, world.serial("M-1"), 12, "500.00", None,
                   on=date(2027, 1, 2))
        world.take_back("MOTOR", ["M-2"], order_id)
        report = evaluate_rules(env, _at(date(2027, 1, 3)), [RULE_KEY])
        assert len(report.resolved) == 2 and report.opened == []
    finally:
        world.env.database.dispose()
