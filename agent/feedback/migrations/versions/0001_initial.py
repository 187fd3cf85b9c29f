"""Replies, feedback events, corrections and learner state (schema version 1 of the SQLite-only store)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "replies",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("user", sa.Text, nullable=False),
        sa.Column("session", sa.Text, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("style", sa.Text, nullable=False),
        sa.Column("words", sa.Integer, nullable=False),
        sa.Column("tool_calls", sa.Text, nullable=False),
        sa.Column("cited_chunk_ids", sa.Text, nullable=False),
        sa.Column("created", sa.Text, nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reply_id", sa.Text, sa.ForeignKey("replies.id"), nullable=False),
        sa.Column("user", sa.Text, nullable=False),
        sa.Column("score", sa.Integer, sa.CheckConstraint("score IN (-1, 1)"), nullable=False),
        sa.Column("comment", sa.Text),
        sa.Column("correction", sa.Text),
        sa.Column("created", sa.Text, nullable=False),
        sa.Column("promoted", sa.Integer, nullable=False, server_default="0"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=False),
        sa.Column("user", sa.Text, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("text", sa.Text, sa.CheckConstraint('length(trim("text")) > 0'), nullable=False),
        sa.Column("promoted", sa.Integer, nullable=False, server_default="0"),
        sa.Column("embedding", sa.LargeBinary),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "learner_state",
        sa.Column("user", sa.Text, primary_key=True),
        sa.Column("learner", sa.Text, primary_key=True),
        sa.Column("blob", sa.LargeBinary, nullable=False),
        sa.Column("updated", sa.Text, nullable=False),
    )


def downgrade() -> None:
    raise NotImplementedError("the feedback store only moves forward")
