"""Product ratings: a product's explosion-proof grade and certificate.

Revision ID: explosion_proof_0001
Revises:
Create Date: 2026-11-30 05:39:44.259642
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openjxc.core.models

revision: str = "explosion_proof_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("explosion_proof",)
depends_on: str | Sequence[str] | None = ["core_0002", "base_jxc_0016"]


def upgrade() -> None:
    op.create_table(
        "exp_product_rating",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=64), nullable=False),
        sa.Column("equipment_group", sa.String(length=8), nullable=False),
        sa.Column("temperature_class", sa.String(length=8), nullable=True),
        sa.Column("epl", sa.String(length=2), nullable=True),
        sa.Column("certificate_number", sa.String(length=64), nullable=True),
        sa.Column("certificate_issuer", sa.String(length=128), nullable=True),
        sa.Column("certificate_expires_on", sa.Date(), nullable=True),
        sa.Column("alert_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", openjxc.core.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["jxc_product.id"],
                                name=op.f("fk_exp_product_rating_product_id_jxc_product")),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_exp_product_rating")),
    )
    with op.batch_alter_table("exp_product_rating", schema=None) as batch_op:
        for column in ("certificate_expires_on", "equipment_group", "grade"):
            batch_op.create_index(batch_op.f(f"ix_exp_product_rating_{column}"), [column],
                                  unique=False)


def downgrade() -> None:
    op.drop_table("exp_product_rating")
