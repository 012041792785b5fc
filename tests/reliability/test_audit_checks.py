"""``openjxc check`` finds every broken invariant: the enterprise demo passes every check,
and each check catches a violation written into it with raw SQL (as a crash, a bad restore
or a hand edit would), on SQLite and PostgreSQL.

The demo is copied once per backend from the run's template; each injection runs in a
transaction that is rolled back, so the demo stays clean for the next test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from openjxc.addons.serial_warranty.models import Warranty
from openjxc.core.checks import REPORT_LIMIT, Check, Violation, collect_checks, run_checks
from openjxc.core.cli import cli
from openjxc.core.env import Environment
from openjxc.core.errors import BootError
from openjxc.testing.fixtures import BACKENDS, DatabaseFactory, create_test_demo

ALL_CHECKS = {"stock.balances", "stock.negative", "stock.serial_places", "stock.serial_counts",
              "stock.valuation", "purchase.receipts", "sales.deliveries",
              "depreciation.accumulated", "warranty.live", "accounting.vouchers",
              "accounting.stock_accounts"}


@dataclass
class Demo:
    env: Environment
    url: str

    def check(self, key: str) -> Check:
        return next(c for _owner, c in collect_checks(self.env) if c.key == key)


@pytest.fixture(scope="module", params=BACKENDS)
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
         ) -> Iterator[Demo]:
    databases = DatabaseFactory(request.param, tmp_path_factory.mktemp("audit"))
    url = databases.new()
    create_test_demo(url, "enterprise")
    env = Environment.for_edition("enterprise", database_url=url)
    yield Demo(env, url)
    env.database.dispose()
    databases.cleanup()


def injected(demo: Demo, key: str, *statements: str) -> list[Violation]:
    """Run ``statements`` and then the check ``key`` in one transaction, rolled back."""
    with Session(demo.env.database.engine) as session, session.begin():
        for statement in statements:
            session.execute(text(statement))
        found = demo.check(key).run(session)
        session.rollback()
    return found


def test_the_demo_keeps_every_promise(demo: Demo) -> None:
    results = run_checks(demo.env)
    assert {r.check.key for r in results} == ALL_CHECKS
    assert [(r.check.key, r.violations) for r in results if not r.ok] == []


def test_the_checks_read_set_based(demo: Demo) -> None:
    """A few statements per check, however many rows the demo holds (no row-by-row
    reading: the command must stay fast on millions of moves)."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            statements.append(statement)

    with demo.env.unit_of_work(readonly=True) as session:
        moves = session.scalar(text("SELECT count(*) FROM jxc_stock_move"))
    assert moves > 1000
    event.listen(demo.env.database.engine, "before_cursor_execute", count)
    try:
        results = run_checks(demo.env)
    finally:
        event.remove(demo.env.database.engine, "before_cursor_execute", count)
    assert len(statements) <= 3 * len(results), statements


FIRST_BALANCE = ("(SELECT min(b.id) FROM jxc_stock_balance b JOIN jxc_location l ON "
                 "l.id = b.location_id JOIN jxc_warehouse w ON w.id = l.warehouse_id "
                 "WHERE b.quantity > 0 AND w.allow_negative = {false})")
SERIAL_PRODUCT = "(SELECT min(id) FROM jxc_product WHERE tracking = 'serial')"
A_STOCK_PLACE = "(SELECT min(id) FROM jxc_location WHERE kind = 'internal')"


def falsy(demo: Demo) -> str:
    return "0" if demo.env.database.dialect == "sqlite" else "false"


def test_a_balance_that_is_not_the_sum_of_its_moves(demo: Demo) -> None:
    found = injected(demo, "stock.balances",
                     "UPDATE jxc_stock_balance SET quantity = quantity + 1 "
                     "WHERE id = (SELECT min(id) FROM jxc_stock_balance)")
    assert len(found) == 1
    assert "the moves add up to" in found[0].message


def test_negative_stock_where_the_warehouse_forbids_it(demo: Demo) -> None:
    first = FIRST_BALANCE.format(false=falsy(demo))
    found = injected(demo, "stock.negative",
                     f"UPDATE jxc_stock_balance SET quantity = -quantity WHERE id = {first}")
    assert len(found) == 1
    assert "forbids negative stock" in found[0].message


def test_a_serial_unit_recorded_elsewhere_than_its_last_move_took_it(demo: Demo) -> None:
    found = injected(demo, "stock.serial_places",
                     "UPDATE jxc_serial SET location_id = (SELECT max(id) FROM jxc_location "
                     "WHERE id <> jxc_serial.location_id) "
                     "WHERE id = (SELECT min(serial_id) FROM jxc_stock_move_serial)")
    assert len(found) == 1


def test_a_serial_unit_the_balances_do_not_count(demo: Demo) -> None:
    found = injected(demo, "stock.serial_counts",
                     "INSERT INTO jxc_serial (product_id, number, location_id, batch_id, "
                     f"unit_cost, received_on, created_at) VALUES ({SERIAL_PRODUCT}, "
                     f"'INJECTED-1', {A_STOCK_PLACE}, 0, 0, '2026-01-05', "
                     "'2026-01-05 00:00:00')")
    assert len(found) == 1
    assert "serial units are here" in found[0].message


def test_a_valuation_that_is_not_the_sum_of_the_costed_moves(demo: Demo) -> None:
    found = injected(demo, "stock.valuation",
                     "UPDATE jxc_stock_valuation SET value = value + 1 "
                     "WHERE product_id = (SELECT min(product_id) FROM jxc_stock_valuation)")
    assert len(found) == 1


def test_half_posted_receipts(demo: Demo) -> None:
    line = ("(SELECT min(id) FROM jxc_purchase_receipt_line WHERE accepted_quantity > 0)")
    lost_move = injected(demo, "purchase.receipts",
                         f"UPDATE jxc_purchase_receipt_line SET accepted_move_id = NULL "
                         f"WHERE id = {line}")
    # the line lacks its move, and the move belongs to no line
    assert len(lost_move) == 2
    header_only = injected(
        demo, "purchase.receipts",
        "INSERT INTO jxc_purchase_receipt (number, order_id, warehouse_id, receipt_date, note, "
        "received_at) SELECT 'RK-INJECTED', order_id, warehouse_id, receipt_date, '', "
        "received_at FROM jxc_purchase_receipt WHERE id = (SELECT min(id) FROM "
        "jxc_purchase_receipt)")
    assert [v.message for v in header_only] == ["posted without any line"]
    assert header_only[0].subject == "receipt RK-INJECTED"


def test_a_delivery_line_whose_move_carried_another_quantity(demo: Demo) -> None:
    found = injected(demo, "sales.deliveries",
                     "UPDATE jxc_sales_delivery_line SET quantity = quantity + 1 "
                     "WHERE id = (SELECT min(id) FROM jxc_sales_delivery_line)")
    assert len(found) == 1
    assert found[0].subject.startswith("delivery ")


def test_depreciation_past_the_depreciable_amount(demo: Demo) -> None:
    found = injected(demo, "depreciation.accumulated",
                     "UPDATE dep_line SET amount = amount + (SELECT cost FROM dep_asset "
                     "WHERE dep_asset.id = dep_line.asset_id) "
                     "WHERE id = (SELECT min(id) FROM dep_line)")
    assert len(found) == 1
    assert found[0].subject.startswith("asset ")


def test_two_live_warranties_for_one_unit(demo: Demo) -> None:
    columns = ", ".join(c.name for c in Warranty.__table__.columns if c.name != "id")
    found = injected(demo, "warranty.live",
                     "DROP INDEX uq_sw_warranty_live_serial",
                     f"INSERT INTO sw_warranty ({columns}) SELECT {columns} FROM sw_warranty "
                     "WHERE id = (SELECT min(id) FROM sw_warranty WHERE voided_on IS NULL)")
    assert [v.message for v in found] == ["2 live warranties"]


def test_an_unbalanced_voucher(demo: Demo) -> None:
    found = injected(demo, "accounting.vouchers",
                     "UPDATE acc_voucher_line SET debit = debit + 1 "
                     "WHERE id = (SELECT min(id) FROM acc_voucher_line WHERE debit > 0)")
    assert len(found) == 1
    assert found[0].subject.startswith("voucher ")


def test_stock_accounts_that_disagree_with_the_stock_ledger(demo: Demo) -> None:
    found = injected(demo, "accounting.stock_accounts",
                     "UPDATE jxc_stock_move SET value = value + 100 WHERE id = (SELECT "
                     "max(m.id) FROM jxc_stock_move m JOIN jxc_location f ON f.id = "
                     "m.from_location_id JOIN jxc_location t ON t.id = m.to_location_id "
                     "WHERE f.kind = 'supplier' AND t.kind = 'internal' AND m.move_date >= "
                     "(SELECT coalesce(opens_on, '1900-01-01') FROM acc_book WHERE id = 1))")
    assert len(found) == 1
    assert "the stock ledger's value is" in found[0].message


def test_a_check_reports_a_bounded_number_of_violations(demo: Demo) -> None:
    found = injected(demo, "stock.balances",
                     "UPDATE jxc_stock_balance SET quantity = quantity + 1")
    assert len(found) == REPORT_LIMIT + 1
    assert found[-1].message.startswith("… and more")


def test_the_command_exits_non_zero_with_a_readable_report(demo: Demo) -> None:
    runner = CliRunner()
    clean = runner.invoke(cli, ["check", "--database", demo.url])
    assert clean.exit_code == 0, clean.output
    assert "11 checks, every invariant intact" in clean.output
    product = "(SELECT min(product_id) FROM jxc_stock_valuation)"
    with demo.env.database.engine.begin() as conn:
        conn.execute(text(f"UPDATE jxc_stock_valuation SET value = value + 1 "
                          f"WHERE product_id = {product}"))
    try:
        broken = runner.invoke(cli, ["check", "--database", demo.url])
        as_json = runner.invoke(cli, ["check", "--json", "--only", "stock.",
                                      "--database", demo.url])
    finally:
        with demo.env.database.engine.begin() as conn:
            conn.execute(text(f"UPDATE jxc_stock_valuation SET value = value - 1 "
                              f"WHERE product_id = {product}"))
    assert broken.exit_code == 1
    assert "FAIL stock.valuation" in broken.output
    assert "11 checks, 1 failed" in broken.output
    assert as_json.exit_code == 1
    report = json.loads(as_json.output)
    assert [r["key"] for r in report if not r["ok"]] == ["stock.valuation"]
    assert len(report) == 5


def test_a_check_key_contributed_twice_is_a_boot_error() -> None:
    env = Environment.for_edition("basic")
    env.pm.register(_Twice(), name="twice")
    env.plugins["twice"] = _Twice()  # type: ignore[assignment]
    with pytest.raises(BootError, match="stock.balances"):
        collect_checks(env)


class _Twice:
    from openjxc.core.hookspecs import hookimpl

    @hookimpl
    def register_checks(self) -> list[Check]:
        return [Check("stock.balances", "again", lambda _session: [])]
