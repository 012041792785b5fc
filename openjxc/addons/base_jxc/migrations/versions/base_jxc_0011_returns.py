"""returns: the price credited per return line, where restocked goods went, and an index
to sum what was returned per sales order line.

Revision ID: base_jxc_0011
Revises: base_jxc_0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openjxc.core.models

revision: str = 'base_jxc_0011'
down_revision: str | Sequence[str] | None = 'base_jxc_0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('jxc_return_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit_price', openjxc.core.models.UnitCost(),
                                      nullable=True))
        batch_op.add_column(sa.Column('tax_rate', openjxc.core.models.Rate(), nullable=True))
        batch_op.add_column(sa.Column('restock_location_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_jxc_return_line_restock_location_id_jxc_location'),
            'jxc_location', ['restock_location_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_jxc_return_line_sales_order_line_id'),
                              ['sales_order_line_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('jxc_return_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jxc_return_line_sales_order_line_id'))
        batch_op.drop_constraint(
            batch_op.f('fk_jxc_return_line_restock_location_id_jxc_location'),
            type_='foreignkey')
        batch_op.drop_column('restock_location_id')
        batch_op.drop_column('tax_rate')
        batch_op.drop_column('unit_price')
