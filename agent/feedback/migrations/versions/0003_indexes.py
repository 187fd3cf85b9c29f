"""Indexes on the user columns: every read of the store is one user's."""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("events_user", "events", ["user"])
    op.create_index("corrections_user", "corrections", ["user", "promoted"])
    op.create_index("chunk_prefs_user", "chunk_prefs", ["user"])
    op.create_index("replies_user", "replies", ["user"])


def downgrade() -> None:
    raise NotImplementedError("the feedback store only moves forward")
