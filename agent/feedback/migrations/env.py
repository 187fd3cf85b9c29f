"""Alembic's entry point: run the migrations on the connection ``FeedbackStore.migrate`` hands over.

The store opens that connection inside its own transaction, after taking the lock that keeps two
processes from migrating at once (``BEGIN IMMEDIATE`` on SQLite, an advisory lock on PostgreSQL), so
every step of an upgrade commits together or not at all.
"""

from __future__ import annotations

from alembic import context

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run the migrations with `attentive db upgrade`, which opens the database for them")
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
