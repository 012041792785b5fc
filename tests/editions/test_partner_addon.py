"""A partner addon — its own package, entry point, table and migration branch — installs
into an existing basic database like any built-in addon, and changes nothing else."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import pytest
from sqlalchemy import inspect, select

from openjxc.core import addons
from openjxc.core.env import Environment
from openjxc.core.migrate import (
    check_up_to_date,
    compare_models,
    create_database,
    install_addons,
)

MANIFEST = """\
name = "partner_demo"
version = "1.2.0"
kernel = ">=0.1,<0.2"
depends = ["base_jxc"]
tier = "basic"
summary = "A partner's notes on products"
table_prefix = "pd"
"""

INIT = '''
from openjxc.core.hookspecs import hookimpl
from openjxc.core.security import Permission


@hookimpl
def register_models():
    from .models import PartnerDemoNote
    return [PartnerDemoNote]


@hookimpl
def register_permissions():
    return [Permission("partner.note.read", "Read partner notes")]
'''

MODELS = '''
from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from openjxc.core.models import Base


class PartnerDemoNote(Base):
    __tablename__ = "pd_note"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("jxc_product.id"))
    text: Mapped[str] = mapped_column(String(200))
'''

MIGRATION = '''
import sqlalchemy as sa
from alembic import op

revision = "partner_demo_0001"
down_revision = None
branch_labels = ("partner_demo",)
depends_on = ("base_jxc_0001",)


def upgrade():
    op.create_table(
        "pd_note",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["jxc_product.id"],
                                name=op.f("fk_pd_note_product_id_jxc_product")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pd_note")),
    )


def downgrade():
    op.drop_table("pd_note")
'''


@pytest.fixture(scope="module")
def partner_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The partner's package, on disk and importable (imported once: its mapped class
    may be defined only once per process, like any addon's)."""
    root = tmp_path_factory.mktemp("partner")
    package = root / "partner_demo"
    (package / "migrations" / "versions").mkdir(parents=True)
    (package / "manifest.toml").write_text(MANIFEST)
    (package / "__init__.py").write_text(textwrap.dedent(INIT))
    (package / "models.py").write_text(textwrap.dedent(MODELS))
    (package / "migrations" / "versions" / "partner_demo_0001_notes.py").write_text(
        textwrap.dedent(MIGRATION))
    sys.path.insert(0, str(root))
    yield root
    sys.path.remove(str(root))


@pytest.fixture
def partner(partner_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Installed as a pip package would be: one more entry point in ``openjxc.addons``."""
    real = list(entry_points(group=addons.ENTRY_POINT_GROUP))
    extra = EntryPoint("partner_demo", "partner_demo", addons.ENTRY_POINT_GROUP)
    monkeypatch.setattr(addons, "entry_points", lambda group: [*real, extra])
    return "partner_demo"


def test_basic_plus_a_partner_addon(database_url: str, partner: str) -> None:
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
            create_product(session, ProductInput(code="P1", name="电机", category_code="DJ"))
        tables_before = set(inspect(basic.database.engine).get_table_names())

        extended = install_addons(basic, [partner])
        assert extended.addon_names == ("base_jxc", "partner_demo")
        check_up_to_date(extended)
        tables_after = set(inspect(basic.database.engine).get_table_names())
        assert tables_after - tables_before == {"pd_note"}
        assert "partner.note.read" in extended.permissions.names
        with basic.database.engine.connect() as connection:
            assert compare_models(extended, connection) == []
        from partner_demo.models import PartnerDemoNote  # type: ignore[import-not-found]

        with extended.unit_of_work() as session:
            product_id = session.scalar(select(Product.id).where(Product.code == "P1"))
            session.add(PartnerDemoNote(product_id=product_id, text="防爆型号待确认"))
        reopened = Environment.open(database_url)
        assert reopened.addon_names == ("base_jxc", "partner_demo")
        reopened.database.dispose()
    finally:
        basic.database.dispose()


def test_a_custom_set_is_created_in_one_step(database_url: str, partner: str) -> None:
    env = Environment.for_addons([partner], database_url=database_url)
    try:
        assert env.addon_names == ("base_jxc", "partner_demo")  # dependency pulled in
        create_database(env)
        assert inspect(env.database.engine).has_table("pd_note")
    finally:
        env.database.dispose()
