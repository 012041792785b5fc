"""analysis (slot: the analysis chapter's schema changes after base_jxc_0007; empty until needed)

Revision ID: base_jxc_0013
Revises: base_jxc_0012
"""

from collections.abc import Sequence

revision: str = 'base_jxc_0013'
down_revision: str | Sequence[str] | None = 'base_jxc_0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
