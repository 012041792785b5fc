"""stock period totals: per closed month × product × warehouse, what the analysis reports
sum (cost of goods sold, deliveries, the sellable stock's net change and lowest point);
the months closed before this migration are back-filled from the ledger, set-based.

Revision ID: base_jxc_0015
Revises: base_jxc_0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import openjxc.core.models

revision: str = 'base_jxc_0015'
down_revision: str | Sequence[str] | None = 'base_jxc_0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The last day of the month of a date column, per dialect (dates are ISO text on SQLite).
MONTH_END = {
    'sqlite': "date({0}, 'start of month', '+1 month', '-1 day')",
    'postgresql': "CAST(date_trunc('month', {0}) + INTERVAL '1 month' - INTERVAL '1 day' AS DATE)",
}

# The same figures stock/period_totals.py writes when a month is closed, for every month up
# to the last closed one, in one statement (quantities and values are summed as stored:
# scaled integers on SQLite, NUMERIC on PostgreSQL).
BACKFILL = """
WITH closed AS (SELECT max(period_end) AS last FROM jxc_stock_period),
routes AS (
    SELECT {month_m} AS period_end, m.product_id, m.from_location_id, m.to_location_id,
           sum(m.value) AS value,
           sum(CASE WHEN m.origin_type = 'sales.delivery' THEN 1 ELSE 0 END) AS deliveries
    FROM jxc_stock_move m
    WHERE m.origin_type IN ('sales.delivery', 'sales.return')
      AND m.move_date <= (SELECT last FROM closed)
    GROUP BY {month_m}, m.product_id, m.from_location_id, m.to_location_id
    UNION ALL
    SELECT {month_m}, m.product_id, m.from_location_id, m.to_location_id, sum(m.value), 0
    FROM jxc_stock_move m JOIN jxc_stock_move o ON o.id = m.reversal_of_id
    WHERE m.origin_type = 'reversal' AND o.origin_type IN ('sales.delivery', 'sales.return')
      AND m.move_date <= (SELECT last FROM closed)
    GROUP BY {month_m}, m.product_id, m.from_location_id, m.to_location_id
),
sold AS (
    SELECT r.period_end, r.product_id, coalesce(s.warehouse_id, t.warehouse_id) AS warehouse_id,
           CASE WHEN s.warehouse_id IS NOT NULL THEN r.value ELSE -r.value END AS cogs,
           CASE WHEN s.warehouse_id IS NOT NULL THEN r.deliveries ELSE 0 END AS deliveries
    FROM routes r
    JOIN jxc_location s ON s.id = r.from_location_id
    JOIN jxc_location t ON t.id = r.to_location_id
),
sellable AS (
    SELECT m.product_id, m.move_date, m.quantity,
           CASE WHEN s.kind = 'internal' THEN s.warehouse_id END AS out_of,
           CASE WHEN t.kind = 'internal' THEN t.warehouse_id END AS into_
    FROM jxc_stock_move m
    JOIN jxc_location s ON s.id = m.from_location_id
    JOIN jxc_location t ON t.id = m.to_location_id
    WHERE m.move_date <= (SELECT last FROM closed)
      AND (s.kind = 'internal' OR t.kind = 'internal')
),
sides AS (
    SELECT into_ AS warehouse_id, product_id, move_date, quantity
    FROM sellable WHERE into_ IS NOT NULL
    UNION ALL
    SELECT out_of, product_id, move_date, -quantity
    FROM sellable WHERE out_of IS NOT NULL
),
running AS (
    SELECT {month_s} AS period_end, warehouse_id, product_id, quantity,
           sum(quantity) OVER (PARTITION BY warehouse_id, product_id, {month_s}
                               ORDER BY move_date) AS running
    FROM sides
),
lowest AS (
    SELECT period_end, warehouse_id, product_id, min(running) AS lowest,
           sum(quantity) AS net
    FROM running GROUP BY period_end, warehouse_id, product_id
),
parts AS (
    SELECT period_end, product_id, warehouse_id, cogs, deliveries, 0 AS net,
           NULL AS lowest
    FROM sold
    UNION ALL
    SELECT period_end, product_id, warehouse_id, 0, 0, net, lowest FROM lowest
)
INSERT INTO jxc_stock_period_total
    (period_end, product_id, warehouse_id, cogs, deliveries, sellable_net, sellable_lowest)
SELECT period_end, product_id, warehouse_id, sum(cogs), sum(deliveries), sum(net),
       min(lowest)
FROM parts GROUP BY period_end, product_id, warehouse_id
"""


def upgrade() -> None:
    op.create_table('jxc_stock_period_total',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('warehouse_id', sa.Integer(), nullable=True),
    sa.Column('cogs', openjxc.core.models.Money(), nullable=False),
    sa.Column('deliveries', sa.Integer(), nullable=False),
    sa.Column('sellable_net', openjxc.core.models.Quantity(), nullable=False),
    sa.Column('sellable_lowest', openjxc.core.models.Quantity(), nullable=True),
    sa.ForeignKeyConstraint(['product_id'], ['jxc_product.id'], name=op.f('fk_jxc_stock_period_total_product_id_jxc_product')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jxc_stock_period_total')),
    sa.UniqueConstraint('period_end', 'product_id', 'warehouse_id', name=op.f('uq_jxc_stock_period_total_period_end_product_id_warehouse_id'))
    )
    month = MONTH_END[op.get_bind().dialect.name]
    op.execute(BACKFILL.format(month_m=month.format('m.move_date'),
                               month_s=month.format('move_date')))


def downgrade() -> None:
    op.drop_table('jxc_stock_period_total')
