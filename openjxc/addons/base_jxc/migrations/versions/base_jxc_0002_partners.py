"""partners

Revision ID: base_jxc_0002
Revises: base_jxc_0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openjxc.core.models

revision: str = 'base_jxc_0002'
down_revision: str | Sequence[str] | None = 'base_jxc_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('jxc_partner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('is_customer', sa.Boolean(), nullable=False),
    sa.Column('is_supplier', sa.Boolean(), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=True),
    sa.Column('tax_bank', sa.String(length=100), nullable=False),
    sa.Column('tax_account', sa.String(length=64), nullable=False),
    sa.Column('tax_address', sa.String(length=200), nullable=False),
    sa.Column('tax_phone', sa.String(length=32), nullable=False),
    sa.Column('payment_terms_days', sa.Integer(), nullable=False),
    sa.Column('payment_terms_note', sa.String(length=100), nullable=False),
    sa.Column('credit_limit', openjxc.core.models.Money(), nullable=True),
    sa.Column('credit_tolerance', openjxc.core.models.Rate(), nullable=True),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', openjxc.core.models.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_partner')),
    sa.UniqueConstraint('code', name=op.f('uq_jxc_partner_code')),
    sa.UniqueConstraint('credit_code', name=op.f('uq_jxc_partner_credit_code'))
    )
    op.create_table('jxc_partner_contact',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('mobile', sa.String(length=32), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('position', sa.String(length=64), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['jxc_partner.id'], name=op.f('fk_jxc_partner_contact_partner_id_jxc_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_partner_contact'))
    )
    with op.batch_alter_table('jxc_partner_contact', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jxc_partner_contact_partner_id'), ['partner_id'], unique=False)

    op.create_table('jxc_partner_address',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('province', sa.String(length=32), nullable=False),
    sa.Column('city', sa.String(length=32), nullable=False),
    sa.Column('district', sa.String(length=32), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('is_primary', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['partner_id'], ['jxc_partner.id'], name=op.f('fk_jxc_partner_address_partner_id_jxc_partner')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_partner_address'))
    )
    with op.batch_alter_table('jxc_partner_address', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jxc_partner_address_partner_id'), ['partner_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('jxc_partner_address', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jxc_partner_address_partner_id'))

    op.drop_table('jxc_partner_address')
    with op.batch_alter_table('jxc_partner_contact', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jxc_partner_contact_partner_id'))

    op.drop_table('jxc_partner_contact')
    op.drop_table('jxc_partner')
