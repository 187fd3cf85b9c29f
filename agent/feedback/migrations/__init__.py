"""Alembic migrations of the feedback store (``env.py``, ``versions/``); ``agent.feedback.store`` runs them.

A new database is never built by replaying them: ``FeedbackStore.migrate`` creates the tables as
``agent/feedback/schema.py`` declares them and stamps the newest revision, as Alembic's cookbook
recommends, so the schema is written down once. The revisions up to 0005 are the SQLite store from
before Alembic, and only its files travel them: each runs that store's own script for its version
(``legacy/*.sql``, kept as they shipped), from the version the file's ``schema_version`` table records.
"""

from __future__ import annotations

from pathlib import Path

LEGACY = Path(__file__).resolve().parent / "legacy"


def legacy_step(script: str) -> None:
    """Run one version's script of the SQLite store from before Alembic, statement by statement, inside
    the migration's transaction (``executescript`` would commit first)."""
    from alembic import op

    connection = op.get_bind()
    if connection.dialect.name != "sqlite":
        raise RuntimeError(
            f"{script} upgrades a SQLite file from before Alembic; this is {connection.dialect.name}"
        )
    for statement in (LEGACY / script).read_text(encoding="utf-8").split(";"):
        code = [
            line for line in statement.splitlines() if line.strip() and not line.lstrip().startswith("--")
        ]
        if code:
            connection.exec_driver_sql("\n".join(code))
