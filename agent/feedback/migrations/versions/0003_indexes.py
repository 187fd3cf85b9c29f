"""Indexes on the user columns: every read of the store is one user's (``legacy/003_indexes.sql``)."""

from __future__ import annotations

from agent.feedback.migrations import legacy_step

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    legacy_step("003_indexes.sql")
