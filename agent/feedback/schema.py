"""The feedback store's tables as SQLAlchemy Core sees them at the newest migration.

The one declaration of the schema: a new database is created from it (``FeedbackStore.migrate``), and
the store builds every query from these objects, so a column name is written once and the SQL is
right for both SQLite and PostgreSQL (``user`` is a reserved word there: SQLAlchemy quotes it). The
Alembic migrations in ``agent/feedback/migrations`` only bring older files here; a change to this
file needs one. ``tests/test_shared_state.py`` checks that an upgraded file and a new database both
match it, on SQLite and PostgreSQL.

Timestamps are ISO-8601 text (UTC, microseconds), JSON lists are text, booleans are 0/1
integers: the forms the SQLite file has always used, so an old data home needs no rewrite.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()


def _required(*names: str, kind: type[sa.types.TypeEngine] = sa.Text) -> list[sa.Column]:
    """Columns every row fills: text by default (timestamps and JSON lists are text too)."""
    return [sa.Column(name, kind, nullable=False) for name in names]


replies = sa.Table(
    "replies",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    *_required("user", "session", "question", "text", "style"),
    *_required("words", kind=sa.Integer),
    *_required("tool_calls", "cited_chunk_ids", "created"),
    # Added after the first version: JSON lists, empty for rows written before them.
    *(
        sa.Column(name, sa.Text, nullable=False, server_default="[]")
        for name in ("choices", "citations", "artifacts")
    ),
    sa.Index("replies_user", "user"),
)


def _user_rows(
    name: str, key: str, parent: sa.Table, *columns: sa.Column, read_by: tuple[str, ...] = ("user",)
) -> sa.Table:
    """A table of one user's rows, each tied by ``key`` to a row of ``parent``, read by user (the index).

    Its ids are never reused after a reset (``sqlite_autoincrement``): ``promote ID`` names one row forever.
    """
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(key, parent.c.id.type, sa.ForeignKey(parent.c.id), nullable=False),
        sa.Column("user", sa.Text, nullable=False),
        *columns,
        sa.Index(f"{name}_user", *read_by),
        sqlite_autoincrement=True,
    )


events = _user_rows(
    "events",
    "reply_id",
    replies,
    sa.Column("score", sa.Integer, sa.CheckConstraint("score IN (-1, 1)"), nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("correction", sa.Text),
    *_required("created"),
    sa.Column("promoted", sa.Integer, nullable=False, server_default="0"),
    sa.Column("wanted_tool", sa.Text),
)

corrections = _user_rows(
    "corrections",
    "event_id",
    events,
    *_required("question"),
    sa.Column("text", sa.Text, sa.CheckConstraint('length(trim("text")) > 0'), nullable=False),
    sa.Column("promoted", sa.Integer, nullable=False, server_default="0"),
    sa.Column("embedding", sa.LargeBinary),
    read_by=("user", "promoted"),
)

chunk_prefs = _user_rows(
    "chunk_prefs",
    "event_id",
    events,
    *_required("chunk_id"),
    sa.Column("sign", sa.Integer, sa.CheckConstraint("sign IN (-1, 1)"), nullable=False),
    sa.Column("embedding", sa.LargeBinary, nullable=False),
)

choices_made = _user_rows(
    "choices_made",
    "reply_id",
    replies,
    *_required("message", "intent", "created"),
)

# One row per (user, learner): the learner's state as JSON, and a version that every write moves
# on by one, so a writer that read version N can only replace version N (``FeedbackStore.save_state``).
learner_state = sa.Table(
    "learner_state",
    metadata,
    sa.Column("user", sa.Text, primary_key=True),
    sa.Column("learner", sa.Text, primary_key=True),
    *_required("state"),
    *_required("version", kind=sa.Integer),
    *_required("updated"),
)

# Copy order: every table after the tables its foreign keys point at, as SQLAlchemy sorts them.
TABLES: tuple[sa.Table, ...] = tuple(metadata.sorted_tables)
