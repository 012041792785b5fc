"""sales speed: ``jxc_sales_order.unbilled`` (goods delivered and not yet billed), indexed
per customer, so the credit check reads the orders that still count instead of every
order a customer ever had; back-filled from the order lines, set-based.

Revision ID: base_jxc_0016
Revises: base_jxc_0015
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'base_jxc_0016'
down_revision: str | Sequence[str] | None = 'base_jxc_0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('jxc_sales_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unbilled', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.create_index('ix_jxc_sales_order_customer_unbilled',
                              ['customer_id', 'unbilled'], unique=False)
    op.execute(
        "UPDATE jxc_sales_order SET unbilled = EXISTS (SELECT 1 FROM jxc_sales_order_line l "
        "WHERE l.order_id = jxc_sales_order.id "
        "AND l.delivered_quantity > l.invoiced_quantity + l.returned_quantity)")


def downgrade() -> None:
    with op.batch_alter_table('jxc_sales_order', schema=None) as batch_op:
        batch_op.drop_index('ix_jxc_sales_order_customer_unbilled')
        batch_op.drop_column('unbilled')
