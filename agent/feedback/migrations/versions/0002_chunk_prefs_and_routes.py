"""The tool a user wanted instead (routing lessons), and passages liked or disliked per question (``legacy/002_chunk_prefs_and_routes.sql``)."""

from __future__ import annotations

from agent.feedback.migrations import legacy_step

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    legacy_step("002_chunk_prefs_and_routes.sql")
