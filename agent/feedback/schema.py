"""The feedback store's tables as SQLAlchemy Core sees them at the newest migration.

The store builds every query from these objects, so a column name is written once and the SQL
is right for both SQLite and PostgreSQL (``user`` is a reserved word there: SQLAlchemy quotes it).
The tables themselves are made by the Alembic migrations in ``agent/feedback/migrations``;
``tests/test_state_backends.py`` checks that the two agree on both databases.

Timestamps are ISO-8601 text (UTC, microseconds), JSON lists are text, booleans are 0/1
integers: the forms the SQLite file has always used, so an old data home needs no rewrite.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

replies = sa.Table(
    "replies",
    metadata,
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
    sa.Column("choices", sa.Text, nullable=False, server_default="[]"),
    sa.Column("citations", sa.Text, nullable=False, server_default="[]"),
    sa.Column("artifacts", sa.Text, nullable=False, server_default="[]"),
    sa.Index("replies_user", "user"),
)

events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("reply_id", sa.Text, sa.ForeignKey("replies.id"), nullable=False),
    sa.Column("user", sa.Text, nullable=False),
    sa.Column("score", sa.Integer, sa.CheckConstraint("score IN (-1, 1)"), nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("correction", sa.Text),
    sa.Column("created", sa.Text, nullable=False),
    sa.Column("promoted", sa.Integer, nullable=False, server_default="0"),
    sa.Column("wanted_tool", sa.Text),
    sa.Index("events_user", "user"),
    sqlite_autoincrement=True,  # an id is never reused after a reset: `promote ID` names one event forever
)

corrections = sa.Table(
    "corrections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=False),
    sa.Column("user", sa.Text, nullable=False),
    sa.Column("question", sa.Text, nullable=False),
    sa.Column("text", sa.Text, sa.CheckConstraint('length(trim("text")) > 0'), nullable=False),
    sa.Column("promoted", sa.Integer, nullable=False, server_default="0"),
    sa.Column("embedding", sa.LargeBinary),
    sa.Index("corrections_user", "user", "promoted"),
    sqlite_autoincrement=True,
)

chunk_prefs = sa.Table(
    "chunk_prefs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("event_id", sa.Integer, sa.ForeignKey("events.id"), nullable=False),
    sa.Column("user", sa.Text, nullable=False),
    sa.Column("chunk_id", sa.Text, nullable=False),
    sa.Column("sign", sa.Integer, sa.CheckConstraint("sign IN (-1, 1)"), nullable=False),
    sa.Column("embedding", sa.LargeBinary, nullable=False),
    sa.Index("chunk_prefs_user", "user"),
    sqlite_autoincrement=True,
)

choices_made = sa.Table(
    "choices_made",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("reply_id", sa.Text, sa.ForeignKey("replies.id"), nullable=False),
    sa.Column("user", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("intent", sa.Text, nullable=False),
    sa.Column("created", sa.Text, nullable=False),
    sa.Index("choices_made_user", "user"),
    sqlite_autoincrement=True,
)

# One row per (user, learner): the learner's state as JSON, and a version that every write moves
# on by one, so a writer that read version N can only replace version N (``FeedbackStore.save_state``).
learner_state = sa.Table(
    "learner_state",
    metadata,
    sa.Column("user", sa.Text, primary_key=True),
    sa.Column("learner", sa.Text, primary_key=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("updated", sa.Text, nullable=False),
)

# Copy order: every table after the tables its foreign keys point at.
TABLES: tuple[sa.Table, ...] = (replies, events, corrections, chunk_prefs, choices_made, learner_state)
