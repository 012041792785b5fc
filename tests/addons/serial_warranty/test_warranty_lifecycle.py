"""A unit's warranty through base_jxc's real documents: issued by the delivery (in its
transaction), voided by the return, issued anew when sold again, restarted by an
installation; what it covers on a day; the status rule in SQL agrees with Python."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from warranty_support import build_world

from openjxc.addons.serial_warranty import services
from openjxc.addons.serial_warranty.models import Warranty
from openjxc.addons.serial_warranty.warranties import STATUSES


def test_delivery_issues_return_voids_resale_issues_again(database_url: str) -> None:
    world = build_world(database_url)
    try:
        world.call(services.create_policy, months=12, category_code="DJ", covers_labour=False)
        assert world.refused(services.create_policy, months=12, product_code="FAN",
                             alert_days=366) == ["INVALID"]
        world.buy("MOTOR", ["M-1", "M-2", "M-3"], date(2026, 1, 10))
        world.buy("DRIVE", ["D-1"], date(2026, 1, 10))  # no policy for parts
        order_id, delivery_id = world.sell("MOTOR", ["M-1", "M-2"], date(2026, 1, 31))
        world.sell("DRIVE", ["D-1"], date(2026, 1, 31))

        issued = world.live("M-1")
        assert issued is not None
        assert (issued.start_date, issued.base_end_date, issued.end_date) == (
            date(2026, 1, 31), date(2027, 1, 30), date(2027, 1, 30))
        assert (issued.months, issued.starts_on, issued.covers_parts, issued.covers_labour,
                issued.alert_days) == (12, "delivery", True, False, 30)
        assert (issued.delivery_id, issued.sales_order_id, issued.customer_id) == (
            delivery_id, order_id, world.ids["C1"])
        assert world.live("M-2") is not None
        assert world.warranties("M-3") == [] and world.warranties("D-1") == []

        # A policy made later (the product's own wins over the category's) rewrites nothing.
        world.call(services.create_policy, months=36, product_code="MOTOR")
        assert world.live("M-1").end_date == date(2027, 1, 30)  # type: ignore[union-attr]

        world.take_back("MOTOR", ["M-1"], order_id, restock=True)
        (voided,) = world.warranties("M-1")
        assert voided.voided_on is not None and voided.void_reason == "returned"
        assert world.live("M-2") is not None  # only the returned unit

        world.sell("MOTOR", ["M-1"], date(2026, 11, 2), customer="C2")
        old, new = world.warranties("M-1")
        assert old.voided_on is not None and new.voided_on is None
        assert (new.customer_id, new.months, new.start_date, new.end_date) == (
            world.ids["C2"], 36, date(2026, 11, 2), date(2029, 11, 1))
    finally:
        world.env.database.dispose()


def test_a_delivery_refused_leaves_no_warranty(database_url: str) -> None:
    world = build_world(database_url)
    try:
        world.call(services.create_policy, months=12, category_code="DJ")
        world.buy("MOTOR", ["M-1"], date(2026, 1, 10))
        codes = world.refused(lambda s: world.sell("MOTOR", ["M-1", "NOPE"],
                                                   date(2026, 2, 1)))
        assert codes
        assert world.warranties("M-1") == []
    finally:
        world.env.database.dispose()


def test_installation_restarts_the_clock_and_keeps_extensions(database_url: str) -> None:
    world = build_world(database_url)
    try:
        world.call(services.create_policy, months=12, category_code="DJ",
                   starts_on="installation")
        world.buy("MOTOR", ["M-1", "M-2"], date(2026, 1, 10))
        world.sell("MOTOR", ["M-1", "M-2"], date(2026, 1, 31))
        m1, m2 = world.serial("M-1"), world.serial("M-2")
        before = world.live("M-1")
        assert before is not None and before.start_date == date(2026, 1, 31)  # from delivery

        world.call(services.extend_warranty, m1, 6, "500.00", None, on=date(2026, 3, 1))
        assert world.live("M-1").end_date == date(2027, 7, 30)  # type: ignore[union-attr]

        assert world.refused(services.record_installation, [m1],
                             date(2026, 1, 30)) == ["INVALID"]
        assert world.live("M-1").installed_on is None  # type: ignore[union-attr]

        world.call(services.record_installation, [m1, m2], date(2026, 2, 28))
        after = world.live("M-1")
        assert after is not None
        assert (after.installed_on, after.start_date, after.base_end_date, after.end_date) == (
            date(2026, 2, 28), date(2026, 2, 28), date(2027, 2, 27), date(2027, 8, 27))
        again = world.call(services.record_installation, [m1], date(2026, 2, 28))
        assert [w.end_date for w in again] == [date(2027, 8, 27)]  # idempotent

        with world.uow() as session:
            assert services.coverage_on(session, m1, date(2026, 2, 27)) is None
            covered = services.coverage_on(session, m1, date(2027, 8, 27))
            assert covered is not None and covered.covers_parts and covered.covers_labour
            assert covered.warranty_id == after.id
            assert services.coverage_on(session, m1, date(2027, 8, 28)) is None
            assert services.coverage_on(session, m2, date(2026, 3, 1))
    finally:
        world.env.database.dispose()


def test_delivery_terms_are_not_restarted_by_an_installation(database_url: str) -> None:
    world = build_world(database_url)
    try:
        world.call(services.create_policy, months=12, category_code="DJ")
        world.buy("MOTOR", ["M-1"], date(2026, 1, 10))
        world.sell("MOTOR", ["M-1"], date(2026, 1, 31))
        world.call(services.record_installation, [world.serial("M-1")], date(2026, 3, 3))
        live = world.live("M-1")
        assert live is not None and live.installed_on == date(2026, 3, 3)
        assert (live.start_date, live.end_date) == (date(2026, 1, 31), date(2027, 1, 30))
    finally:
        world.env.database.dispose()


def test_the_status_rule_in_sql_agrees_with_python(database_url: str) -> None:
    world = build_world(database_url)
    try:
        world.call(services.create_policy, months=1, category_code="DJ", alert_days=10)
        world.buy("MOTOR", ["M-1", "M-2", "M-3"], date(2026, 1, 10))
        order_id, _ = world.sell("MOTOR", ["M-1", "M-2", "M-3"], date(2026, 1, 31))
        world.call(services.extend_warranty, world.serial("M-2"), 1, "100.00", None,
                   on=date(2026, 2, 1))
        world.take_back("MOTOR", ["M-3"], order_id)
        with world.uow() as session:
            rows = list(session.scalars(select(Warranty)))
            for offset in range(-2, 70):
                day = date(2026, 1, 31) + timedelta(days=offset)
                for status in STATUSES:
                    in_sql = set(session.scalars(select(Warranty.id).where(
                        services.status_condition(status, day))))
                    in_python = {w.id for w in rows if services.warranty_status(w, day) == status}
                    assert in_sql == in_python, (day, status)
    finally:
        world.env.database.dispose()


def test_issuing_runs_the_same_statements_for_one_unit_or_many(database_url: str) -> None:
    from sqlalchemy import event

    world = build_world(database_url)
    try:
        world.call(services.create_policy, months=12, category_code="DJ")
        world.buy("MOTOR", [f"M-{i}" for i in range(1, 12)], date(2026, 1, 10))
        counts = []
        for serials in (["M-1"], [f"M-{i}" for i in range(2, 12)]):
            statements: list[str] = []

            def record(*args: object, into: list[str] = statements) -> None:
                into.append(str(args[2]))

            event.listen(world.env.database.engine, "before_cursor_execute", record)
            try:
                world.sell("MOTOR", serials, date(2026, 2, 1))
            finally:
                event.remove(world.env.database.engine, "before_cursor_execute", record)
            counts.append(len([s for s in statements if "sw_warranty" in s]))
            assert all(world.live(n) is not None for n in serials)
        assert counts[0] == counts[1] <= 3, counts
    finally:
        world.env.database.dispose()


def test_a_category_policy_reaches_the_categories_below_it(database_url: str) -> None:
    from openjxc.addons.base_jxc.catalog.services import (
        ProductInput,
        create_category,
        create_product,
    )

    world = build_world(database_url)
    with world.uow() as session:
        create_category(session, code="DJ-YE3", name="YE3 电机", parent_code="DJ")
        create_category(session, code="DJ-YE3-B", name="YE3 防爆", parent_code="DJ-YE3")
        deep = create_product(session, ProductInput(code="YE3-B-1", name="防爆电机",
                                                    category_code="DJ-YE3-B")).id
        assert services.policy_for(session, deep) is None
        top = services.create_policy(session, months=18, category_code="DJ")
        assert services.policy_for(session, deep) is top  # two levels up
        nearer = services.create_policy(session, months=24, category_code="DJ-YE3")
        assert services.policy_for(session, deep) is nearer  # the nearest wins
        assert services.policy_for(session, world.ids["MOTOR"]) is top
        assert services.policy_for(session, world.ids["DRIVE"]) is None  # PJ: none above
        own = services.create_policy(session, months=36, product_code="YE3-B-1")
        assert services.policy_for(session, deep) is own  # the product's own first
