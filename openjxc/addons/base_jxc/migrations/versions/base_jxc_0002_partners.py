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
    pass


def downgrade() -> None:
    pass
