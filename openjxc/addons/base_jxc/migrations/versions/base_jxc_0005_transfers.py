"""transfers

Revision ID: base_jxc_0005
Revises: base_jxc_0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openjxc.core.models

revision: str = 'base_jxc_0005'
down_revision: str | Sequence[str] | None = 'base_jxc_0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('jxc_stock_transfer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('from_warehouse_id', sa.Integer(), nullable=False),
    sa.Column('to_warehouse_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=400), nullable=False),
    sa.Column('receive_within_hours', sa.Integer(), nullable=True),
    sa.Column('created_at', openjxc.core.models.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('shipped_at', openjxc.core.models.UTCDateTime(), nullable=True),
    sa.Column('shipped_by_id', sa.Integer(), nullable=True),
    sa.Column('received_at', openjxc.core.models.UTCDateTime(), nullable=True),
    sa.Column('received_by_id', sa.Integer(), nullable=True),
    sa.Column('difference_reason', sa.String(length=400), nullable=False),
    sa.Column('cancelled_at', openjxc.core.models.UTCDateTime(), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['from_warehouse_id'], ['jxc_warehouse.id'], name=op.f('fk_jxc_stock_transfer_from_warehouse_id_jxc_warehouse')),
    sa.ForeignKeyConstraint(['to_warehouse_id'], ['jxc_warehouse.id'], name=op.f('fk_jxc_stock_transfer_to_warehouse_id_jxc_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_stock_transfer')),
    sa.UniqueConstraint('number', name=op.f('uq_jxc_stock_transfer_number'))
    )
    op.create_index(op.f('ix_jxc_stock_transfer_from_warehouse_id'), 'jxc_stock_transfer', ['from_warehouse_id'], unique=False)
    op.create_index(op.f('ix_jxc_stock_transfer_to_warehouse_id'), 'jxc_stock_transfer', ['to_warehouse_id'], unique=False)
    op.create_index('ix_jxc_stock_transfer_state_shipped', 'jxc_stock_transfer', ['state', 'shipped_at'], unique=False)
    op.create_table('jxc_stock_transfer_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transfer_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', openjxc.core.models.Quantity(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('from_location_id', sa.Integer(), nullable=True),
    sa.Column('to_location_id', sa.Integer(), nullable=True),
    sa.Column('received_quantity', openjxc.core.models.Quantity(), nullable=False),
    sa.Column('lost_quantity', openjxc.core.models.Quantity(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['jxc_batch.id'], name=op.f('fk_jxc_stock_transfer_line_batch_id_jxc_batch')),
    sa.ForeignKeyConstraint(['from_location_id'], ['jxc_location.id'], name=op.f('fk_jxc_stock_transfer_line_from_location_id_jxc_location')),
    sa.ForeignKeyConstraint(['product_id'], ['jxc_product.id'], name=op.f('fk_jxc_stock_transfer_line_product_id_jxc_product')),
    sa.ForeignKeyConstraint(['to_location_id'], ['jxc_location.id'], name=op.f('fk_jxc_stock_transfer_line_to_location_id_jxc_location')),
    sa.ForeignKeyConstraint(['transfer_id'], ['jxc_stock_transfer.id'], name=op.f('fk_jxc_stock_transfer_line_transfer_id_jxc_stock_transfer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_stock_transfer_line'))
    )
    op.create_index(op.f('ix_jxc_stock_transfer_line_transfer_id'), 'jxc_stock_transfer_line', ['transfer_id'], unique=False)
    op.create_table('jxc_stock_transfer_serial',
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('serial_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['line_id'], ['jxc_stock_transfer_line.id'], name=op.f('fk_jxc_stock_transfer_serial_line_id_jxc_stock_transfer_line')),
    sa.ForeignKeyConstraint(['serial_id'], ['jxc_serial.id'], name=op.f('fk_jxc_stock_transfer_serial_serial_id_jxc_serial')),
    sa.PrimaryKeyConstraint('line_id', 'serial_id', name=op.f('pk_jxc_stock_transfer_serial'))
    )
    op.create_index(op.f('ix_jxc_stock_transfer_serial_serial_id'), 'jxc_stock_transfer_serial', ['serial_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_jxc_stock_transfer_serial_serial_id'), table_name='jxc_stock_transfer_serial')
    op.drop_table('jxc_stock_transfer_serial')
    op.drop_index(op.f('ix_jxc_stock_transfer_line_transfer_id'), table_name='jxc_stock_transfer_line')
    op.drop_table('jxc_stock_transfer_line')
    op.drop_index('ix_jxc_stock_transfer_state_shipped', table_name='jxc_stock_transfer')
    op.drop_index(op.f('ix_jxc_stock_transfer_to_warehouse_id'), table_name='jxc_stock_transfer')
    op.drop_index(op.f('ix_jxc_stock_transfer_from_warehouse_id'), table_name='jxc_stock_transfer')
    op.drop_table('jxc_stock_transfer')
