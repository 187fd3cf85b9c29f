"""The tool a user wanted instead (routing lessons), and passages liked or disliked per question."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("events", sa.Column("wanted_tool", sa.Text))
    op.create_table(
        "chunk_prefs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=False),
        sa.Column("user", sa.Text, nullable=False),
        sa.Column("chunk_id", sa.Text, nullable=False),
        sa.Column("sign", sa.Integer, sa.CheckConstraint("sign IN (-1, 1)"), nullable=False),
        sa.Column("embedding", sa.LargeBinary, nullable=False),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    raise NotImplementedError("the feedback store only moves forward")
