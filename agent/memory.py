"""Conversation memory per (user, session), in SQLite under the data home.

LangGraph's SQLite checkpointer keeps every thread's messages, so a follow-up
after a restart still knows the earlier turns. Threads are keyed by user and
session together, so one user can never read another's conversation.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


def thread_id(user: str, session: str) -> str:
    return f"{user}\x1f{session}"


def open_checkpointer(path: Path) -> Any:
    from langgraph.checkpoint.sqlite import SqliteSaver

    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA busy_timeout=30000")
    saver = SqliteSaver(conn)
    saver.setup()
    return saver
