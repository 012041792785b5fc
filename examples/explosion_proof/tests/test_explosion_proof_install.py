"""``openjxc install explosion_proof`` on a basic database that is already in use: the
addon brings its table and its migration branch, grades the products whose
specification carries a marking, and changes no other row."""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner
from sqlalchemy import Engine, MetaData, create_engine, select

from openjxc.addons.base_jxc.catalog.services import (
    ProductInput,
    create_category,
    create_product,
)
from openjxc.core.cli import cli
from openjxc.core.env import Environment
from openjxc.core.migrate import check_up_to_date
from openjxc.testing.fixtures import create_test_demo

#: What the kernel itself records about an install: the addon and its role.
KERNEL_RECORDS = {"core_addon", "core_role", "core_role_permission"}
#: Alembic's bookkeeping: it keeps only heads, and our first revision depends on
#: base_jxc's head, so that row gives way to ours (the upgrade check below still passes).
MIGRATION_HEADS = "alembic_version"


def _rows(engine: Engine) -> dict[str, set[tuple[str, ...]]]:
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {name: {tuple(map(repr, row)) for row in connection.execute(select(table))}
                for name, table in metadata.tables.items()}


def _mentions(rows: set[tuple[str, ...]], word: str) -> bool:
    return all(any(word in value for value in row) for row in rows)


def test_install_into_a_basic_database_in_use(database_url: str) -> None:
    create_test_demo(database_url, "basic")  # `openjxc demo --edition basic`, copied
    basic = Environment.open(database_url)
    with basic.unit_of_work() as session:
        create_category(session, code="FB", name="防爆电机")
        create_product(session, ProductInput(code="EXM-1", name="隔爆电机", category_code="FB",
                                             spec="YB3-132M-4 7.5kW Ex d IIB T4 Gb"))
    basic.database.dispose()
    engine = create_engine(database_url)
    try:
        before = _rows(engine)
        result = CliRunner().invoke(cli, ["install", "explosion_proof",
                                          "--database", database_url])
        assert result.exit_code == 0, result.output
        assert "installed explosion_proof" in result.output
        after = _rows(engine)
    finally:
        engine.dispose()

    assert set(after) - set(before) == {"exp_product_rating"}
    changed: dict[str, Any] = {}
    for table, rows in before.items():
        if table == MIGRATION_HEADS:
            continue
        if rows - after[table]:
            changed[table] = "rows changed or deleted"
        elif after[table] - rows and table not in KERNEL_RECORDS:
            changed[table] = after[table] - rows
    assert changed == {}, f"install touched other addons' data: {changed}"
    assert _mentions(after[MIGRATION_HEADS] - before[MIGRATION_HEADS], "explosion_proof_0001")
    assert _mentions(after["core_addon"] - before["core_addon"], "explosion_proof")
    assert _mentions(after["core_role"] - before["core_role"], "explosion_proof_officer")
    graded = after["exp_product_rating"]
    assert len(graded) == 1 and _mentions(graded, "Ex d IIB T4 Gb")

    reopened = Environment.open(database_url)
    try:
        assert reopened.addon_names == ("base_jxc", "explosion_proof")
        check_up_to_date(reopened)
    finally:
        reopened.database.dispose()
