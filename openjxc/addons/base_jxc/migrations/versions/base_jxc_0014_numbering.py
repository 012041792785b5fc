"""document sequences

Revision ID: base_jxc_0014
Revises: base_jxc_0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'base_jxc_0014'
down_revision: str | Sequence[str] | None = 'base_jxc_0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('jxc_document_sequence',
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('period', sa.String(length=6), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix', 'period', name=op.f('pk_jxc_document_sequence'))
    )


def downgrade() -> None:
    op.drop_table('jxc_document_sequence')
