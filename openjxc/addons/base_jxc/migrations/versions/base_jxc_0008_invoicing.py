"""invoicing: the day an allocation counts from (ageing as of a past day); indexes for the
ageing (a covering one on open invoices, a partial one on unallocated payments)

Revision ID: base_jxc_0008
Revises: base_jxc_0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'base_jxc_0008'
down_revision: str | Sequence[str] | None = 'base_jxc_0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('jxc_payment_allocation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settled_on', sa.Date(), nullable=True))
    # Allocations made before this column existed count from the day they were made.
    op.execute("UPDATE jxc_payment_allocation SET settled_on = CAST(allocated_at AS DATE)"
               if op.get_bind().dialect.name == 'postgresql' else
               "UPDATE jxc_payment_allocation SET settled_on = substr(allocated_at, 1, 10)")
    with op.batch_alter_table('jxc_payment_allocation', schema=None) as batch_op:
        batch_op.alter_column('settled_on', existing_type=sa.Date(), nullable=False)
        batch_op.create_index('ix_jxc_payment_allocation_settled_on',
                              ['settled_on', 'invoice_id', 'credit_note_id', 'payment_id',
                               'amount'], unique=False)
    with op.batch_alter_table('jxc_invoice', schema=None) as batch_op:
        batch_op.drop_index('ix_jxc_invoice_direction_due')
        batch_op.create_index('ix_jxc_invoice_aging',
                              ['direction', 'state', 'due_date', 'partner_id', 'invoice_date',
                               'amount_total', 'amount_settled'], unique=False)
    with op.batch_alter_table('jxc_payment', schema=None) as batch_op:
        batch_op.create_index('ix_jxc_payment_unallocated', ['direction', 'partner_id'],
                              unique=False,
                              sqlite_where=sa.text('amount != amount_allocated'),
                              postgresql_where=sa.text('amount != amount_allocated'))


def downgrade() -> None:
    with op.batch_alter_table('jxc_payment', schema=None) as batch_op:
        batch_op.drop_index('ix_jxc_payment_unallocated')
    with op.batch_alter_table('jxc_invoice', schema=None) as batch_op:
        batch_op.drop_index('ix_jxc_invoice_aging')
        batch_op.create_index('ix_jxc_invoice_direction_due', ['direction', 'state', 'due_date'],
                              unique=False)
    with op.batch_alter_table('jxc_payment_allocation', schema=None) as batch_op:
        batch_op.drop_index('ix_jxc_payment_allocation_settled_on')
        batch_op.drop_column('settled_on')
