"""Clarifying questions: the choices a reply offered, and which one each user picked."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("replies", sa.Column("choices", sa.Text, nullable=False, server_default="[]"))
    op.create_table(
        "choices_made",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reply_id", sa.Text, sa.ForeignKey("replies.id"), nullable=False),
        sa.Column("user", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("intent", sa.Text, nullable=False),
        sa.Column("created", sa.Text, nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("choices_made_user", "choices_made", ["user"])


def downgrade() -> None:
    raise NotImplementedError("the feedback store only moves forward")
