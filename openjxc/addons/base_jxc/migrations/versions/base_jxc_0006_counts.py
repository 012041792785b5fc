"""counts

Revision ID: base_jxc_0006
Revises: base_jxc_0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openjxc.core.models

revision: str = 'base_jxc_0006'
down_revision: str | Sequence[str] | None = 'base_jxc_0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('jxc_stock_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=8), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=400), nullable=False),
    sa.Column('start_move_id', sa.Integer(), nullable=False),
    sa.Column('started_at', openjxc.core.models.UTCDateTime(), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=True),
    sa.Column('posted_at', openjxc.core.models.UTCDateTime(), nullable=True),
    sa.Column('posted_on', sa.Date(), nullable=True),
    sa.Column('posted_by_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', openjxc.core.models.UTCDateTime(), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.Column('zero_uncounted', sa.Boolean(), nullable=False),
    sa.Column('line_count', sa.Integer(), nullable=False),
    sa.Column('accurate_line_count', sa.Integer(), nullable=False),
    sa.Column('expected_value', openjxc.core.models.Money(), nullable=False),
    sa.Column('variance_value', openjxc.core.models.Money(), nullable=False),
    sa.ForeignKeyConstraint(['warehouse_id'], ['jxc_warehouse.id'], name=op.f('fk_jxc_stock_count_warehouse_id_jxc_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_stock_count')),
    sa.UniqueConstraint('number', name=op.f('uq_jxc_stock_count_number'))
    )
    op.create_index(op.f('ix_jxc_stock_count_warehouse_id'), 'jxc_stock_count', ['warehouse_id'], unique=False)
    op.create_table('jxc_stock_count_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('count_id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('expected_quantity', openjxc.core.models.Quantity(), nullable=False),
    sa.Column('counted_quantity', openjxc.core.models.Quantity(), nullable=True),
    sa.Column('counted_move_id', sa.Integer(), nullable=True),
    sa.Column('moved_quantity', openjxc.core.models.Quantity(), nullable=False),
    sa.Column('variance_quantity', openjxc.core.models.Quantity(), nullable=False),
    sa.Column('unit_cost', openjxc.core.models.UnitCost(), nullable=False),
    sa.Column('variance_value', openjxc.core.models.Money(), nullable=False),
    sa.ForeignKeyConstraint(['count_id'], ['jxc_stock_count.id'], name=op.f('fk_jxc_stock_count_line_count_id_jxc_stock_count')),
    sa.ForeignKeyConstraint(['location_id'], ['jxc_location.id'], name=op.f('fk_jxc_stock_count_line_location_id_jxc_location')),
    sa.ForeignKeyConstraint(['product_id'], ['jxc_product.id'], name=op.f('fk_jxc_stock_count_line_product_id_jxc_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_stock_count_line')),
    sa.UniqueConstraint('count_id', 'location_id', 'product_id', 'batch_id', name=op.f('uq_jxc_stock_count_line_count_id_location_id_product_id_batch_id'))
    )
    op.create_index(op.f('ix_jxc_stock_count_line_product_id'), 'jxc_stock_count_line', ['product_id'], unique=False)
    op.create_table('jxc_stock_count_scope',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('count_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['count_id'], ['jxc_stock_count.id'], name=op.f('fk_jxc_stock_count_scope_count_id_jxc_stock_count')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_stock_count_scope')),
    sa.UniqueConstraint('count_id', 'kind', 'target_id', name=op.f('uq_jxc_stock_count_scope_count_id_kind_target_id'))
    )
    op.create_table('jxc_stock_count_serial',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('count_id', sa.Integer(), nullable=False),
    sa.Column('serial_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('expected_location_id', sa.Integer(), nullable=True),
    sa.Column('found_location_id', sa.Integer(), nullable=True),
    sa.Column('seen_location_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['count_id'], ['jxc_stock_count.id'], name=op.f('fk_jxc_stock_count_serial_count_id_jxc_stock_count')),
    sa.ForeignKeyConstraint(['serial_id'], ['jxc_serial.id'], name=op.f('fk_jxc_stock_count_serial_serial_id_jxc_serial')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_stock_count_serial')),
    sa.UniqueConstraint('count_id', 'serial_id', name=op.f('uq_jxc_stock_count_serial_count_id_serial_id'))
    )
    op.create_index('ix_jxc_stock_count_serial_found', 'jxc_stock_count_serial', ['count_id', 'found_location_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_jxc_stock_count_serial_found', table_name='jxc_stock_count_serial')
    op.drop_table('jxc_stock_count_serial')
    op.drop_table('jxc_stock_count_scope')
    op.drop_index(op.f('ix_jxc_stock_count_line_product_id'), table_name='jxc_stock_count_line')
    op.drop_table('jxc_stock_count_line')
    op.drop_index(op.f('ix_jxc_stock_count_warehouse_id'), table_name='jxc_stock_count')
    op.drop_table('jxc_stock_count')
