"""Creating databases, installing addons into them, and refusing stale ones."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect, select

from openjxc.core.env import Environment
from openjxc.core.errors import DatabaseBehindError, MigrationError
from openjxc.core.migrate import (
    alembic_config,
    check_up_to_date,
    create_database,
    install_addons,
    pending_branches,
    upgrade_database,
)
from openjxc.core.models import InstalledAddon


def test_init_records_installed_addons_and_versions(database_url: str) -> None:
    env = Environment.for_edition("pro", database_url=database_url)
    try:
        create_database(env)
        with env.unit_of_work(readonly=True) as session:
            rows = {a.name: a.version for a in session.scalars(select(InstalledAddon))}
        assert rows == {m.name: m.version for m in env.addons}
        assert pending_branches(env) == []
        check_up_to_date(env)
        reopened = Environment.open(database_url)
        assert reopened.addon_names == env.addon_names
        reopened.database.dispose()
    finally:
        env.database.dispose()


def test_init_refuses_an_existing_database(database_url: str) -> None:
    env = Environment.for_edition("basic", database_url=database_url)
    try:
        create_database(env)
        with pytest.raises(MigrationError, match="already holds OpenJXC"):
            create_database(env)
    finally:
        env.database.dispose()


def test_open_refuses_a_database_that_is_not_openjxc(database_url: str) -> None:
    with pytest.raises(MigrationError, match="not an OpenJXC database"):
        Environment.open(database_url)


def test_upgrade_basic_to_pro_keeps_every_row(database_url: str) -> None:
    from openjxc.addons.base_jxc.catalog.models import Product
    from openjxc.addons.base_jxc.catalog.services import (
        ProductInput,
        create_category,
        create_product,
    )

    basic = Environment.for_edition("basic", database_url=database_url)
    try:
        create_database(basic)
        with basic.unit_of_work() as session:
            create_category(session, code="DJ", name="电机")
            for i in range(25):
                create_product(session, ProductInput(code=f"DJ-{i:03d}", name=f"电机 {i}",
                                                     category_code="DJ", tracking="serial"))
        assert not inspect(basic.database.engine).has_table("sw_warranty_policy")

        pro = install_addons(basic, ["serial_warranty", "service_orders"])
        # the bridge between the two comes with them (auto_install)
        assert set(pro.addon_names) == {"base_jxc", "serial_warranty", "service_orders",
                                        "service_warranty"}
        check_up_to_date(pro)

        from openjxc.addons.serial_warranty.services import create_policy, policy_for

        with pro.unit_of_work() as session:
            assert session.scalar(select(Product.code).where(Product.code == "DJ-024"))
            assert len(list(session.scalars(select(Product.id)))) == 25
            create_policy(session, months=24, product_code="DJ-007")
            product_id = session.scalar(select(Product.id).where(Product.code == "DJ-007"))
            assert product_id is not None
            policy = policy_for(session, product_id)
            assert policy is not None and policy.months == 24
        reopened = Environment.open(database_url)
        assert "serial_warranty" in reopened.addon_names
        reopened.database.dispose()
    finally:
        basic.database.dispose()


def test_a_database_behind_the_code_is_refused_until_migrated(database_url: str) -> None:
    env = Environment.for_edition("pro", database_url=database_url)
    try:
        create_database(env)
        with env.database.engine.begin() as connection:
            command.downgrade(alembic_config(env, connection), "serial_warranty@base")
        assert pending_branches(env) == ["serial_warranty"]
        with pytest.raises(DatabaseBehindError, match="behind for serial_warranty; run: "
                                                      "openjxc migrate"):
            check_up_to_date(env)
        upgrade_database(env)
        check_up_to_date(env)
        assert inspect(env.database.engine).has_table("sw_warranty_policy")
    finally:
        env.database.dispose()


def test_a_failing_install_hook_leaves_the_database_untouched(
        database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env = Environment.for_edition("basic", database_url=database_url)
    try:
        create_database(env)

        original = Environment.contributions

        def failing(self: Environment, hook: str, **kwargs: object) -> list:
            if hook == "on_install":
                raise RuntimeError("install failed half-way")
            return original(self, hook, **kwargs)

        monkeypatch.setattr(Environment, "contributions", failing)
        with pytest.raises(RuntimeError, match="half-way"):
            install_addons(env, ["serial_warranty"])
        monkeypatch.undo()
        assert not inspect(env.database.engine).has_table("sw_warranty_policy")
        reopened = Environment.open(database_url)
        assert reopened.addon_names == ("base_jxc",)
        reopened.database.dispose()
    finally:
        env.database.dispose()


def test_rebuilding_a_parent_table_on_sqlite_keeps_its_children(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """SQLite alters tables by rebuilding them; with foreign keys on, dropping the old
    parent would cascade into its children.  Schema changes pause enforcement."""
    from alembic.operations import Operations
    from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, text

    from openjxc.core.db import Database
    from openjxc.core.migrate import schema_change

    database = Database(f"sqlite:///{tmp_path / 'fk.db'}")
    metadata = MetaData()
    Table("parent", metadata, Column("id", Integer, primary_key=True))
    Table("child", metadata, Column("id", Integer, primary_key=True),
          Column("parent_id", ForeignKey("parent.id", ondelete="CASCADE")))
    metadata.create_all(database.engine)
    with database.engine.begin() as conn:
        conn.execute(text("INSERT INTO parent (id) VALUES (1)"))
        conn.execute(text("INSERT INTO child (id, parent_id) VALUES (1, 1), (2, 1)"))
    with database.engine.connect() as connection, schema_change(connection):
        from alembic.runtime.migration import MigrationContext

        operations = Operations(MigrationContext.configure(connection))
        with operations.batch_alter_table("parent", recreate="always") as batch:
            batch.add_column(Column("name", String(20), nullable=True))
    with database.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM child")).scalar() == 2
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    database.dispose()


def test_a_bridge_that_arrives_later_is_installed_by_migrate(database_url: str) -> None:
    """A database holding both addons of a bridge, made before the bridge existed: the
    server refuses it until ``openjxc migrate`` installs the bridge (install hook
    included)."""
    from openjxc.core.addons import discover, resolve
    from openjxc.core.env import installed_addons
    from openjxc.core.migrate import pending_branches, upgrade_database

    without_bridge = [m for m in resolve(["serial_warranty", "service_orders"], discover())
                      if not m.auto_install]
    old = Environment(without_bridge, database=Environment.for_edition(
        "basic", database_url=database_url).database)
    create_database(old)
    assert "service_warranty" not in (installed_addons(old.database) or [])

    now = Environment.open(database_url)
    assert "service_warranty" in now.addon_names
    assert pending_branches(now) == ["service_warranty"]
    with pytest.raises(DatabaseBehindError, match="service_warranty"):
        check_up_to_date(now)
    upgrade_database(now)
    assert "service_warranty" in (installed_addons(now.database) or [])
    check_up_to_date(now)
    now.database.dispose()
    old.database.dispose()
