"""Conversation memory per (user, session): SQLite in the data home, or a PostgreSQL server.

LangGraph's checkpointer keeps every thread's messages, so a follow-up after a restart still knows
the earlier turns; with ``PostgresSaver`` on one server, a follow-up sent to another replica does too.
Threads are keyed by user and session together, so one user can never read another's conversation.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from agent import state
from agent.state import StateLocation

SETUP_LOCK = 0x6D65_6D6F_7279  # advisory lock key: two replicas starting at once set the tables up one by one
POOL_MAX = 8  # connections per replica; PostgresSaver serialises its own use, the rest is head-room for setup
# How long a checkpoint read or write waits for a live connection. Short, because PostgresSaver holds its
# lock while it waits: with the server down, turns in flight on one replica fail one after another, each
# after this long (measured with 3 users: 10, 20 and 30 s at 10 s; a healthy pool answers in microseconds).
POOL_TIMEOUT_S = 3.0
CHECKPOINT_TABLES = ("checkpoints", "checkpoint_blobs", "checkpoint_writes")


def thread_id(user: str, session: str) -> str:
    return f"{user}\x1f{session}"


def open_checkpointer(location: Path | StateLocation) -> Any:
    """The checkpointer of a location: a SQLite file path, or a ``StateLocation`` (either kind)."""
    if isinstance(location, StateLocation):
        if location.kind == "postgresql":
            return _postgres_saver(location)
        location = location.memory_path
    return _sqlite_saver(location)


def _sqlite_saver(path: Path) -> Any:
    from langgraph.checkpoint.sqlite import SqliteSaver

    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=30000")
    saver = SqliteSaver(conn)
    saver.setup()
    return saver


def _postgres_saver(location: StateLocation) -> Any:
    """``PostgresSaver`` over a pool whose connections are checked before use, so that after a server
    restart only the turns in flight fail; the tables are set up (once, under a lock) before first use."""
    import psycopg
    from langgraph.checkpoint.postgres import PostgresSaver
    from psycopg.rows import dict_row
    from psycopg_pool import ConnectionPool

    options = {"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row}
    newest = len(PostgresSaver.MIGRATIONS) - 1
    try:  # one plain connection first: its error says why (the pool would only say it timed out)
        with psycopg.connect(location.conninfo, connect_timeout=state.CONNECT_TIMEOUT_S, **options) as conn:
            if not _memory_ready(conn, newest):  # when it is, a user without CREATE may run the agent
                conn.execute("SELECT pg_advisory_lock(%s)", (SETUP_LOCK,))
                PostgresSaver(conn).setup()
                conn.execute("SELECT pg_advisory_unlock(%s)", (SETUP_LOCK,))
            denied = [row["t"] for row in conn.execute(state.DENIED_TABLES_SQL, (list(CHECKPOINT_TABLES),))]
    except psycopg.Error as exc:
        raise state.StateStoreError(
            f"cannot use the memory database {location.redacted()}: {state.first_line(exc)}"
        ) from None
    if denied:
        raise state.denied_tables_error(denied, location.redacted())
    pool = ConnectionPool(
        location.conninfo,
        min_size=1,
        max_size=POOL_MAX,
        kwargs={**options, "connect_timeout": state.CONNECT_TIMEOUT_S},
        check=ConnectionPool.check_connection,
        timeout=POOL_TIMEOUT_S,
        name="attentive-memory",
        open=True,
    )
    return PostgresSaver(pool)


def _memory_ready(conn: Any, newest: int) -> bool:
    """Whether LangGraph's checkpoint tables are at their newest migration (``setup()`` would change nothing)."""
    if conn.execute("SELECT to_regclass('checkpoint_migrations') AS t").fetchone()["t"] is None:
        return False
    return conn.execute("SELECT max(v) AS v FROM checkpoint_migrations").fetchone()["v"] == newest


def close_checkpointer(saver: Any) -> None:
    """Close what ``open_checkpointer`` opened: the SQLite connection, or the PostgreSQL pool."""
    closing = getattr(saver, "conn", None)
    if closing is not None:
        closing.close()
