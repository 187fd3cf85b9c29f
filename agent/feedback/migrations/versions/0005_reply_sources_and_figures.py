"""What a reloaded chat page shows under each answer: its sources and figures (``to_dict`` lists) (``legacy/005_reply_sources_and_figures.sql``)."""

from __future__ import annotations

from agent.feedback.migrations import legacy_step

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    legacy_step("005_reply_sources_and_figures.sql")
