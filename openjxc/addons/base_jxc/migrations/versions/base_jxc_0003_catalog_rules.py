"""catalog rules: typed category attributes and product values, planning fields on
products, product relations, kits and bills of materials

Revision ID: base_jxc_0003
Revises: base_jxc_0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openjxc.core.models

revision: str = 'base_jxc_0003'
down_revision: str | Sequence[str] | None = 'base_jxc_0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('jxc_category_attribute',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=False),
    sa.Column('value_type', sa.String(length=8), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('unit', sa.String(length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['jxc_category.id'], name=op.f('fk_jxc_category_attribute_category_id_jxc_category')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_category_attribute')),
    sa.UniqueConstraint('category_id', 'key', name=op.f('uq_jxc_category_attribute_category_id_key'))
    )
    with op.batch_alter_table('jxc_product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('safety_stock', openjxc.core.models.Quantity(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('shelf_life_days', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('standard_price', openjxc.core.models.Money(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('default_supplier_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lead_time_days', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_foreign_key(batch_op.f('fk_jxc_product_default_supplier_id_jxc_partner'), 'jxc_partner', ['default_supplier_id'], ['id'])
    # The defaults only filled the rows that existed; the models give every new row its value.
    with op.batch_alter_table('jxc_product', schema=None) as batch_op:
        batch_op.alter_column('safety_stock', server_default=None)
        batch_op.alter_column('standard_price', server_default=None)
        batch_op.alter_column('lead_time_days', server_default=None)
    op.create_table('jxc_product_attribute',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('attribute_id', sa.Integer(), nullable=False),
    sa.Column('text_value', sa.String(length=100), nullable=True),
    sa.Column('integer_value', sa.Integer(), nullable=True),
    sa.Column('decimal_value', openjxc.core.models.ScaledDecimal(6), nullable=True),
    sa.ForeignKeyConstraint(['attribute_id'], ['jxc_category_attribute.id'], name=op.f('fk_jxc_product_attribute_attribute_id_jxc_category_attribute')),
    sa.ForeignKeyConstraint(['product_id'], ['jxc_product.id'], name=op.f('fk_jxc_product_attribute_product_id_jxc_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_product_attribute')),
    sa.UniqueConstraint('product_id', 'attribute_id', name=op.f('uq_jxc_product_attribute_product_id_attribute_id'))
    )
    with op.batch_alter_table('jxc_product_attribute', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jxc_product_attribute_attribute_id'), ['attribute_id'], unique=False)
    op.create_table('jxc_product_relation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('related_id', sa.Integer(), nullable=True),
    sa.Column('host_model', sa.String(length=100), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['jxc_product.id'], name=op.f('fk_jxc_product_relation_product_id_jxc_product')),
    sa.ForeignKeyConstraint(['related_id'], ['jxc_product.id'], name=op.f('fk_jxc_product_relation_related_id_jxc_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_product_relation')),
    sa.UniqueConstraint('kind', 'product_id', 'related_id', 'host_model', name=op.f('uq_jxc_product_relation_kind_product_id_related_id_host_model'))
    )
    with op.batch_alter_table('jxc_product_relation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jxc_product_relation_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_jxc_product_relation_related_id'), ['related_id'], unique=False)
    op.create_table('jxc_kit_component',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kit_id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('quantity', openjxc.core.models.Quantity(), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['jxc_product.id'], name=op.f('fk_jxc_kit_component_component_id_jxc_product')),
    sa.ForeignKeyConstraint(['kit_id'], ['jxc_product.id'], name=op.f('fk_jxc_kit_component_kit_id_jxc_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_kit_component')),
    sa.UniqueConstraint('kit_id', 'component_id', name=op.f('uq_jxc_kit_component_kit_id_component_id'))
    )
    with op.batch_alter_table('jxc_kit_component', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jxc_kit_component_component_id'), ['component_id'], unique=False)
    op.create_table('jxc_bom_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=False),
    sa.Column('component_id', sa.Integer(), nullable=False),
    sa.Column('quantity', openjxc.core.models.Quantity(), nullable=False),
    sa.Column('scrap_rate', openjxc.core.models.Rate(), nullable=False),
    sa.ForeignKeyConstraint(['component_id'], ['jxc_product.id'], name=op.f('fk_jxc_bom_line_component_id_jxc_product')),
    sa.ForeignKeyConstraint(['parent_id'], ['jxc_product.id'], name=op.f('fk_jxc_bom_line_parent_id_jxc_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_bom_line')),
    sa.UniqueConstraint('parent_id', 'component_id', name=op.f('uq_jxc_bom_line_parent_id_component_id'))
    )
    with op.batch_alter_table('jxc_bom_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jxc_bom_line_component_id'), ['component_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('jxc_bom_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jxc_bom_line_component_id'))
    op.drop_table('jxc_bom_line')
    with op.batch_alter_table('jxc_kit_component', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jxc_kit_component_component_id'))
    op.drop_table('jxc_kit_component')
    with op.batch_alter_table('jxc_product_relation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jxc_product_relation_related_id'))
        batch_op.drop_index(batch_op.f('ix_jxc_product_relation_product_id'))
    op.drop_table('jxc_product_relation')
    with op.batch_alter_table('jxc_product_attribute', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jxc_product_attribute_attribute_id'))
    op.drop_table('jxc_product_attribute')
    with op.batch_alter_table('jxc_product', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_jxc_product_default_supplier_id_jxc_partner'), type_='foreignkey')
        batch_op.drop_column('lead_time_days')
        batch_op.drop_column('default_supplier_id')
        batch_op.drop_column('standard_price')
        batch_op.drop_column('shelf_life_days')
        batch_op.drop_column('safety_stock')
    op.drop_table('jxc_category_attribute')
