"""An edition is an object: three environments, three databases, one process."""

from __future__ import annotations

from openjxc.core.env import Environment
from openjxc.core.migrate import create_database
from openjxc.core.models import Base
from openjxc.testing.fixtures import DatabaseFactory


def test_basic_pro_and_enterprise_side_by_side(databases: DatabaseFactory) -> None:
    from openjxc.addons.base_jxc.catalog.models import Product
    from openjxc.addons.base_jxc.catalog.services import (
        ProductInput,
        create_category,
        create_product,
    )

    # Importing an addon's models registers its tables once per process, whichever test
    # comes first (xdist deals tests out in any order); building environments afterwards
    # must register nothing more.
    for edition in ("basic", "pro", "enterprise"):
        Environment.for_edition(edition).tables  # noqa: B018 - imports every model
    metadata_before = set(Base.metadata.tables)
    envs = {
        edition: Environment.for_edition(edition, database_url=databases.new())
        for edition in ("basic", "pro", "enterprise")
    }
    try:
        for edition, env in envs.items():
            create_database(env)
            with env.unit_of_work() as session:
                create_category(session, code="DJ", name="电机")
                create_product(session, ProductInput(code=f"P-{edition}", name=edition,
                                                     category_code="DJ"))
        assert "sw_warranty_policy" not in envs["basic"].table_owner
        assert "sw_warranty_policy" in envs["pro"].table_owner
        assert set(envs["basic"].addon_names) < set(envs["pro"].addon_names) < set(
            envs["enterprise"].addon_names)
        for edition, env in envs.items():
            with env.unit_of_work(readonly=True) as session:
                codes = list(session.scalars(Product.__table__.select().with_only_columns(
                    Product.code)))
            assert codes == [f"P-{edition}"], "each environment reads only its own database"
        # the basic database really lacks the pro tables
        from sqlalchemy import inspect

        assert not inspect(envs["basic"].database.engine).has_table("sw_warranty_policy")
        assert inspect(envs["pro"].database.engine).has_table("sw_warranty_policy")
        # building environments registered nothing globally
        assert set(Base.metadata.tables) == metadata_before
        assert envs["basic"].pm is not envs["pro"].pm
    finally:
        for env in envs.values():
            env.database.dispose()
