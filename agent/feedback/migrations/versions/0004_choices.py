"""Clarifying questions: the choices a reply offered, and which one each user picked (``legacy/004_choices.sql``)."""

from __future__ import annotations

from agent.feedback.migrations import legacy_step

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    legacy_step("004_choices.sql")
