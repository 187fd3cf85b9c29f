"""What a reloaded chat page shows under each answer: its sources and figures (``to_dict`` lists)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("replies", sa.Column("citations", sa.Text, nullable=False, server_default="[]"))
    op.add_column("replies", sa.Column("artifacts", sa.Text, nullable=False, server_default="[]"))


def downgrade() -> None:
    raise NotImplementedError("the feedback store only moves forward")
