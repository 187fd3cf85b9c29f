"""Replies, feedback events, corrections and learner state (schema version 1 of the SQLite-only store).

The first version of the SQLite store: a file from it is stamped here, and already holds these tables
(``legacy/001_initial.sql``). Nothing runs: a new database is created as ``schema.py`` declares it, at the
newest revision (``agent.feedback.migrations``).
"""

from __future__ import annotations

revision = "0001"
down_revision = None


def upgrade() -> None:
    pass
