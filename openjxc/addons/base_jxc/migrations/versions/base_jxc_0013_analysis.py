"""analysis: a covering index on the stock ledger by origin and date (cost of goods
sold, sales history).

Revision ID: base_jxc_0013
Revises: base_jxc_0011
"""

from collections.abc import Sequence

from alembic import op

revision: str = 'base_jxc_0013'
down_revision: str | Sequence[str] | None = 'base_jxc_0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_jxc_stock_move_origin_date', 'jxc_stock_move',
                    ['origin_type', 'move_date', 'product_id', 'from_location_id',
                     'to_location_id', 'quantity', 'value'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_jxc_stock_move_origin_date', table_name='jxc_stock_move')
