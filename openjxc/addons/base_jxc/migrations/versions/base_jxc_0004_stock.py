"""stock

Revision ID: base_jxc_0004
Revises: base_jxc_0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openjxc.core.models

revision: str = 'base_jxc_0004'
down_revision: str | Sequence[str] | None = 'base_jxc_0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('jxc_stock_period',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('closed_at', openjxc.core.models.UTCDateTime(), nullable=False),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_stock_period')),
    sa.UniqueConstraint('period_end', name=op.f('uq_jxc_stock_period_period_end'))
    )
    op.create_table('jxc_warehouse',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('allow_negative', sa.Boolean(), nullable=False),
    sa.Column('address', sa.String(length=400), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', openjxc.core.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_warehouse')),
    sa.UniqueConstraint('code', name=op.f('uq_jxc_warehouse_code'))
    )
    op.create_table('jxc_location',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=True),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', openjxc.core.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['jxc_location.id'], name=op.f('fk_jxc_location_parent_id_jxc_location')),
    sa.ForeignKeyConstraint(['warehouse_id'], ['jxc_warehouse.id'], name=op.f('fk_jxc_location_warehouse_id_jxc_warehouse')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_location')),
    sa.UniqueConstraint('code', name=op.f('uq_jxc_location_code'))
    )
    op.create_index(op.f('ix_jxc_location_warehouse_id'), 'jxc_location', ['warehouse_id'], unique=False)
    op.create_table('jxc_batch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('manufactured_on', sa.Date(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('created_at', openjxc.core.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['jxc_product.id'], name=op.f('fk_jxc_batch_product_id_jxc_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_batch')),
    sa.UniqueConstraint('product_id', 'number', name=op.f('uq_jxc_batch_product_id_number'))
    )
    op.create_index(op.f('ix_jxc_batch_expires_on'), 'jxc_batch', ['expires_on'], unique=False)
    op.create_index(op.f('ix_jxc_batch_number'), 'jxc_batch', ['number'], unique=False)
    op.create_table('jxc_serial',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('unit_cost', openjxc.core.models.Money(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('created_at', openjxc.core.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['jxc_location.id'], name=op.f('fk_jxc_serial_location_id_jxc_location')),
    sa.ForeignKeyConstraint(['product_id'], ['jxc_product.id'], name=op.f('fk_jxc_serial_product_id_jxc_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_serial')),
    sa.UniqueConstraint('product_id', 'number', name=op.f('uq_jxc_serial_product_id_number'))
    )
    op.create_index(op.f('ix_jxc_serial_location_id'), 'jxc_serial', ['location_id'], unique=False)
    op.create_index(op.f('ix_jxc_serial_number'), 'jxc_serial', ['number'], unique=False)
    op.create_table('jxc_stock_balance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('quantity', openjxc.core.models.Quantity(), nullable=False),
    sa.Column('reserved', openjxc.core.models.Quantity(), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['jxc_location.id'], name=op.f('fk_jxc_stock_balance_location_id_jxc_location')),
    sa.ForeignKeyConstraint(['product_id'], ['jxc_product.id'], name=op.f('fk_jxc_stock_balance_product_id_jxc_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_stock_balance')),
    sa.UniqueConstraint('location_id', 'product_id', 'batch_id', name=op.f('uq_jxc_stock_balance_location_id_product_id_batch_id'))
    )
    op.create_index('ix_jxc_stock_balance_product', 'jxc_stock_balance', ['product_id', 'location_id'], unique=False)
    op.create_index(op.f('ix_jxc_stock_balance_warehouse_id'), 'jxc_stock_balance', ['warehouse_id'], unique=False)
    op.create_table('jxc_stock_move',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('move_date', sa.Date(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('from_location_id', sa.Integer(), nullable=False),
    sa.Column('to_location_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('quantity', openjxc.core.models.Quantity(), nullable=False),
    sa.Column('unit_cost', openjxc.core.models.UnitCost(), nullable=False),
    sa.Column('value', openjxc.core.models.Money(), nullable=False),
    sa.Column('origin_type', sa.String(length=32), nullable=False),
    sa.Column('origin_id', sa.Integer(), nullable=True),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('note', sa.String(length=400), nullable=False),
    sa.Column('reversal_of_id', sa.Integer(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', openjxc.core.models.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['from_location_id'], ['jxc_location.id'], name=op.f('fk_jxc_stock_move_from_location_id_jxc_location')),
    sa.ForeignKeyConstraint(['product_id'], ['jxc_product.id'], name=op.f('fk_jxc_stock_move_product_id_jxc_product')),
    sa.ForeignKeyConstraint(['reversal_of_id'], ['jxc_stock_move.id'], name=op.f('fk_jxc_stock_move_reversal_of_id_jxc_stock_move')),
    sa.ForeignKeyConstraint(['to_location_id'], ['jxc_location.id'], name=op.f('fk_jxc_stock_move_to_location_id_jxc_location')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_stock_move')),
    sa.UniqueConstraint('reversal_of_id', name=op.f('uq_jxc_stock_move_reversal_of_id'))
    )
    op.create_index('ix_jxc_stock_move_date', 'jxc_stock_move', ['move_date'], unique=False)
    op.create_index(op.f('ix_jxc_stock_move_from_location_id'), 'jxc_stock_move', ['from_location_id'], unique=False)
    op.create_index('ix_jxc_stock_move_product_date', 'jxc_stock_move', ['product_id', 'move_date'], unique=False)
    op.create_index(op.f('ix_jxc_stock_move_to_location_id'), 'jxc_stock_move', ['to_location_id'], unique=False)
    op.create_table('jxc_stock_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('location_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=False),
    sa.Column('quantity', openjxc.core.models.Quantity(), nullable=False),
    sa.Column('value', openjxc.core.models.Money(), nullable=False),
    sa.ForeignKeyConstraint(['location_id'], ['jxc_location.id'], name=op.f('fk_jxc_stock_snapshot_location_id_jxc_location')),
    sa.ForeignKeyConstraint(['product_id'], ['jxc_product.id'], name=op.f('fk_jxc_stock_snapshot_product_id_jxc_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_stock_snapshot')),
    sa.UniqueConstraint('period_end', 'location_id', 'product_id', 'batch_id', name=op.f('uq_jxc_stock_snapshot_period_end_location_id_product_id_batch_id'))
    )
    op.create_index(op.f('ix_jxc_stock_snapshot_product_id'), 'jxc_stock_snapshot', ['product_id'], unique=False)
    op.create_table('jxc_stock_valuation',
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('quantity', openjxc.core.models.Quantity(), nullable=False),
    sa.Column('value', openjxc.core.models.Money(), nullable=False),
    sa.Column('last_unit_cost', openjxc.core.models.UnitCost(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['jxc_product.id'], name=op.f('fk_jxc_stock_valuation_product_id_jxc_product')),
    sa.PrimaryKeyConstraint('product_id', name=op.f('pk_jxc_stock_valuation'))
    )
    op.create_table('jxc_stock_move_serial',
    sa.Column('move_id', sa.Integer(), nullable=False),
    sa.Column('serial_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['move_id'], ['jxc_stock_move.id'], name=op.f('fk_jxc_stock_move_serial_move_id_jxc_stock_move')),
    sa.ForeignKeyConstraint(['serial_id'], ['jxc_serial.id'], name=op.f('fk_jxc_stock_move_serial_serial_id_jxc_serial')),
    sa.PrimaryKeyConstraint('move_id', 'serial_id', name=op.f('pk_jxc_stock_move_serial'))
    )
    op.create_index(op.f('ix_jxc_stock_move_serial_serial_id'), 'jxc_stock_move_serial', ['serial_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_jxc_stock_move_serial_serial_id'), table_name='jxc_stock_move_serial')
    op.drop_table('jxc_stock_move_serial')
    op.drop_table('jxc_stock_valuation')
    op.drop_index(op.f('ix_jxc_stock_snapshot_product_id'), table_name='jxc_stock_snapshot')
    op.drop_table('jxc_stock_snapshot')
    op.drop_index(op.f('ix_jxc_stock_move_to_location_id'), table_name='jxc_stock_move')
    op.drop_index('ix_jxc_stock_move_product_date', table_name='jxc_stock_move')
    op.drop_index(op.f('ix_jxc_stock_move_from_location_id'), table_name='jxc_stock_move')
    op.drop_index('ix_jxc_stock_move_date', table_name='jxc_stock_move')
    op.drop_table('jxc_stock_move')
    op.drop_index(op.f('ix_jxc_stock_balance_warehouse_id'), table_name='jxc_stock_balance')
    op.drop_index('ix_jxc_stock_balance_product', table_name='jxc_stock_balance')
    op.drop_table('jxc_stock_balance')
    op.drop_index(op.f('ix_jxc_serial_number'), table_name='jxc_serial')
    op.drop_index(op.f('ix_jxc_serial_location_id'), table_name='jxc_serial')
    op.drop_table('jxc_serial')
    op.drop_index(op.f('ix_jxc_batch_number'), table_name='jxc_batch')
    op.drop_index(op.f('ix_jxc_batch_expires_on'), table_name='jxc_batch')
    op.drop_table('jxc_batch')
    op.drop_index(op.f('ix_jxc_location_warehouse_id'), table_name='jxc_location')
    op.drop_table('jxc_location')
    op.drop_table('jxc_warehouse')
    op.drop_table('jxc_stock_period')
