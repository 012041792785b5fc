"""purchase: who closed a purchase order

Revision ID: base_jxc_0009
Revises: base_jxc_0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'base_jxc_0009'
down_revision: str | Sequence[str] | None = 'base_jxc_0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('jxc_purchase_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_by_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('jxc_purchase_order', schema=None) as batch_op:
        batch_op.drop_column('closed_by_id')
