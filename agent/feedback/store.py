"""The SQLite file that keeps every reply, feedback event, correction and learner state.

Why SQLite with WAL and ``synchronous=FULL``: an event the service acknowledged
must still be there if the process is killed the next instant, and many threads
(one per user in a busy chat page) write at once. Each thread gets its own
connection; writers are serialised by ``BEGIN IMMEDIATE``, so a read-modify-write
of a learner's state inside one transaction can never lose another thread's
update. The schema is versioned with ordered migrations, like simonw/llm's
``migrations.py``, so an old data home upgrades in place.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent.feedback.records import Correction, FeedbackEvent, ReplyRecord

GLOBAL_USER = "*"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _m001_initial(db: sqlite3.Connection) -> None:
    db.execute(
        """CREATE TABLE replies (
            id TEXT PRIMARY KEY,
            user TEXT NOT NULL,
            session TEXT NOT NULL,
            question TEXT NOT NULL,
            text TEXT NOT NULL,
            style TEXT NOT NULL,
            words INTEGER NOT NULL,
            tool_calls TEXT NOT NULL,
            cited_chunk_ids TEXT NOT NULL,
            created TEXT NOT NULL)"""
    )
    db.execute(
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            reply_id TEXT NOT NULL REFERENCES replies(id),
            user TEXT NOT NULL,
            score INTEGER NOT NULL CHECK (score IN (-1, 1)),
            comment TEXT,
            correction TEXT,
            created TEXT NOT NULL,
            promoted INTEGER NOT NULL DEFAULT 0)"""
    )
    db.execute(
        """CREATE TABLE corrections (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id INTEGER NOT NULL REFERENCES events(id),
            user TEXT NOT NULL,
            question TEXT NOT NULL,
            text TEXT NOT NULL CHECK (length(trim(text)) > 0),
            promoted INTEGER NOT NULL DEFAULT 0,
            embedding BLOB)"""
    )
    db.execute(
        """CREATE TABLE learner_state (
            user TEXT NOT NULL,
            learner TEXT NOT NULL,
            blob BLOB NOT NULL,
            updated TEXT NOT NULL,
            PRIMARY KEY (user, learner))"""
    )


def _m002_chunk_prefs_and_routes(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE events ADD COLUMN wanted_tool TEXT")
    db.execute(
        """CREATE TABLE chunk_prefs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            event_id INTEGER NOT NULL REFERENCES events(id),
            user TEXT NOT NULL,
            chunk_id TEXT NOT NULL,
            sign INTEGER NOT NULL CHECK (sign IN (-1, 1)),
            embedding BLOB NOT NULL)"""
    )


def _m003_indexes(db: sqlite3.Connection) -> None:
    db.execute("CREATE INDEX events_user ON events(user)")
    db.execute("CREATE INDEX corrections_user ON corrections(user, promoted)")
    db.execute("CREATE INDEX chunk_prefs_user ON chunk_prefs(user)")
    db.execute("CREATE INDEX replies_user ON replies(user)")


def _m004_choices(db: sqlite3.Connection) -> None:
    """Clarifying questions: the choices a reply offered, and which one each user picked."""
    db.execute("ALTER TABLE replies ADD COLUMN choices TEXT NOT NULL DEFAULT '[]'")
    db.execute(
        """CREATE TABLE choices_made (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            reply_id TEXT NOT NULL REFERENCES replies(id),
            user TEXT NOT NULL,
            message TEXT NOT NULL,
            intent TEXT NOT NULL,
            created TEXT NOT NULL)"""
    )
    db.execute("CREATE INDEX choices_made_user ON choices_made(user)")


def _m005_reply_sources_and_figures(db: sqlite3.Connection) -> None:
    """What a reloaded chat page shows under each answer: its sources and figures (``to_dict`` lists)."""
    db.execute("ALTER TABLE replies ADD COLUMN citations TEXT NOT NULL DEFAULT '[]'")
    db.execute("ALTER TABLE replies ADD COLUMN artifacts TEXT NOT NULL DEFAULT '[]'")


# Append only: a data home at version N runs migrations N+1.. in this order.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _m001_initial,
    _m002_chunk_prefs_and_routes,
    _m003_indexes,
    _m004_choices,
    _m005_reply_sources_and_figures,
]


class FeedbackStore:
    """Thread-safe access to ``feedback.sqlite3``; every write is one short transaction."""

    def __init__(self, db_path: Path | str) -> None:
        self.path = Path(db_path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self.migrate()

    # -- connections and transactions -------------------------------------------------

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            # isolation_level=None: we issue BEGIN ourselves, so a transaction is exactly
            # as long as the `with transaction()` block and no longer.
            conn = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; nested use joins the outer one. Rolls back on any error."""
        conn = self._conn()
        if conn.in_transaction:
            yield conn
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()

    def schema_version(self) -> int:
        row = self._conn().execute("SELECT max(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def migrate(self) -> int:
        """Bring the file to the newest schema; safe when several processes start at once."""
        conn = self._conn()
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)"
        )
        with self.transaction() as tx:
            current = int(tx.execute("SELECT max(version) FROM schema_version").fetchone()[0] or 0)
            for version, migration in enumerate(MIGRATIONS, start=1):
                if version > current:
                    migration(tx)
                    tx.execute("INSERT INTO schema_version VALUES (?, ?)", (version, now_iso()))
        return len(MIGRATIONS)

    # -- replies ------------------------------------------------------------------------

    def add_reply(self, reply: ReplyRecord) -> None:
        columns = {
            "id": reply.id,
            "user": reply.user,
            "session": reply.session,
            "question": reply.question,
            "text": reply.text,
            "style": reply.style,
            "words": reply.words,
            "tool_calls": json.dumps(reply.tool_calls, default=str),
            "cited_chunk_ids": json.dumps(list(reply.cited_chunk_ids)),
            "created": reply.created or now_iso(),
            "choices": json.dumps(list(reply.choices)),
            "citations": json.dumps(list(reply.citations), default=str),
            "artifacts": json.dumps(list(reply.artifacts), default=str),
        }
        names = ", ".join(columns)
        updates = ", ".join(f"{name}=excluded.{name}" for name in columns if name not in ("id", "created"))
        with self.transaction() as tx:
            tx.execute(
                f"""INSERT INTO replies ({names}) VALUES ({", ".join("?" * len(columns))})
                   ON CONFLICT(id) DO UPDATE SET {updates}""",
                tuple(columns.values()),
            )

    def get_reply(self, reply_id: str) -> ReplyRecord | None:
        row = self._conn().execute("SELECT * FROM replies WHERE id = ?", (reply_id,)).fetchone()
        return ReplyRecord.from_row(row) if row else None

    def replies(self, user: str, session: str) -> list[ReplyRecord]:
        """One conversation's replies, oldest first: what a reloaded chat page shows."""
        rows = self._conn().execute(
            "SELECT * FROM replies WHERE user = ? AND session = ? ORDER BY created, rowid", (user, session)
        )
        return [ReplyRecord.from_row(r) for r in rows]

    def scores(self, user: str, session: str) -> dict[str, int]:
        """reply id -> the latest score given to it, for one conversation."""
        rows = self._conn().execute(
            """SELECT e.reply_id, e.score FROM events e JOIN replies r ON r.id = e.reply_id
               WHERE r.user = ? AND r.session = ? ORDER BY e.id""",
            (user, session),
        )
        return {reply_id: int(score) for reply_id, score in rows}

    # -- events and corrections -----------------------------------------------------------

    def add_event(
        self,
        reply_id: str,
        user: str,
        score: int,
        comment: str | None,
        correction: str | None,
        wanted_tool: str | None = None,
    ) -> FeedbackEvent:
        created = now_iso()
        with self.transaction() as tx:
            cur = tx.execute(
                """INSERT INTO events (reply_id, user, score, comment, correction, created, wanted_tool)
                   VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (reply_id, user, score, comment, correction, created, wanted_tool),
            )
            event_id = int(cur.lastrowid or 0)
        return FeedbackEvent(
            event_id, reply_id, user, score, comment, correction, created, False, wanted_tool
        )

    def get_event(self, event_id: int) -> FeedbackEvent | None:
        row = self._conn().execute("SELECT * FROM events WHERE id = ?", (event_id,)).fetchone()
        return FeedbackEvent.from_row(row) if row else None

    def events(self, user: str | None = None) -> list[FeedbackEvent]:
        sql, args = "SELECT * FROM events", ()
        if user is not None:
            sql, args = sql + " WHERE user = ?", (user,)
        return [FeedbackEvent.from_row(r) for r in self._conn().execute(sql + " ORDER BY id", args)]

    def add_correction(
        self, event_id: int, user: str, question: str, text: str, embedding: bytes | None
    ) -> int:
        with self.transaction() as tx:
            cur = tx.execute(
                "INSERT INTO corrections (event_id, user, question, text, embedding) VALUES (?, ?, ?, ?, ?)",
                (event_id, user, question, text, embedding),
            )
            return int(cur.lastrowid or 0)

    def corrections(self, user: str, include_promoted: bool = True) -> list[tuple[Correction, bytes | None]]:
        sql = "SELECT * FROM corrections WHERE user = ?" + (" OR promoted = 1" if include_promoted else "")
        rows = self._conn().execute(sql + " ORDER BY id", (user,)).fetchall()
        return [(Correction.from_row(r), r["embedding"]) for r in rows]

    def add_chunk_prefs(
        self, event_id: int, user: str, chunk_ids: list[str], sign: int, embedding: bytes
    ) -> None:
        with self.transaction() as tx:
            tx.executemany(
                "INSERT INTO chunk_prefs (event_id, user, chunk_id, sign, embedding) VALUES (?, ?, ?, ?, ?)",
                [(event_id, user, cid, sign, embedding) for cid in dict.fromkeys(chunk_ids)],
            )

    def chunk_prefs(self, user: str) -> list[tuple[str, int, bytes, bool]]:
        """(chunk_id, sign, question embedding, promoted) for the user's own and promoted events."""
        rows = self._conn().execute(
            """SELECT p.chunk_id, p.sign, p.embedding, e.promoted FROM chunk_prefs p
               JOIN events e ON e.id = p.event_id WHERE p.user = ? OR e.promoted = 1 ORDER BY p.id""",
            (user,),
        )
        return [(r[0], int(r[1]), r[2], bool(r[3])) for r in rows]

    def routes(self, user: str | None = None) -> list[tuple[str, str, str]]:
        """(question, wanted tool, user) of routing corrections: the user's own plus promoted ones
        (these with user ``GLOBAL_USER``); every one when ``user`` is None."""
        rows = (
            self._conn()
            .execute(
                """SELECT r.question, e.wanted_tool, e.user, e.promoted FROM events e
               JOIN replies r ON r.id = e.reply_id WHERE e.wanted_tool IS NOT NULL ORDER BY e.id"""
            )
            .fetchall()
        )
        found = []
        for question, tool, owner, promoted in rows:
            if promoted:
                found.append((question, tool, GLOBAL_USER))
            if user is None or (owner == user and not promoted):
                found.append((question, tool, owner))
        picked = self._conn().execute(
            """SELECT r.question, c.message, c.intent, c.user FROM choices_made c
               JOIN replies r ON r.id = c.reply_id ORDER BY c.id"""
        )
        for question, message, intent, owner in picked.fetchall():
            if user is None or owner == user:
                found += [(question, intent, owner), (message, intent, owner)]
        return found

    def add_choice(self, reply_id: str, user: str, message: str, intent: str) -> None:
        """A user picked a choice of a clarifying question: a routing correction of theirs."""
        with self.transaction() as tx:
            tx.execute(
                "INSERT INTO choices_made (reply_id, user, message, intent, created) VALUES (?, ?, ?, ?, ?)",
                (reply_id, user, message, intent, now_iso()),
            )

    def mark_promoted(self, event_id: int) -> None:
        with self.transaction() as tx:
            tx.execute("UPDATE events SET promoted = 1 WHERE id = ?", (event_id,))
            tx.execute("UPDATE corrections SET promoted = 1 WHERE event_id = ?", (event_id,))

    # -- learner state --------------------------------------------------------------------

    def load_state(self, user: str, learner: str) -> bytes | None:
        row = (
            self._conn()
            .execute("SELECT blob FROM learner_state WHERE user = ? AND learner = ?", (user, learner))
            .fetchone()
        )
        return bytes(row[0]) if row else None

    def save_state(self, user: str, learner: str, blob: bytes) -> None:
        with self.transaction() as tx:
            tx.execute(
                """INSERT INTO learner_state VALUES (?, ?, ?, ?)
                   ON CONFLICT(user, learner) DO UPDATE SET blob=excluded.blob, updated=excluded.updated""",
                (user, learner, blob, now_iso()),
            )

    # -- export and reset -----------------------------------------------------------------

    def export_rows(self) -> Iterator[dict[str, Any]]:
        """Every event joined with the reply it judged, oldest first."""
        events = self.events()
        rows = self._conn().execute("SELECT * FROM replies WHERE id IN (SELECT reply_id FROM events)")
        replies = {row["id"]: ReplyRecord.from_row(row) for row in rows}
        for event in events:
            reply = replies.get(event.reply_id)
            if reply is None:  # its user was reset between the two reads
                continue
            yield {
                "event_id": event.id,
                "reply_id": event.reply_id,
                "user": event.user,
                "session": reply.session,
                "question": reply.question,
                "reply_text": reply.text,
                "style": reply.style,
                "words": reply.words,
                "tool_calls": reply.tool_calls,
                "cited_chunk_ids": reply.cited_chunk_ids,
                "score": event.score,
                "comment": event.comment,
                "correction": event.correction,
                "wanted_tool": event.wanted_tool,
                "created": event.created,
                "promoted": event.promoted,
            }

    def reset_user(self, user: str) -> dict[str, int]:
        """Forget what one user taught; events the operator promoted stay, since they are global now."""
        with self.transaction() as tx:
            own = "SELECT id FROM events WHERE user = ? AND promoted = 0"
            counts = {
                "chunk_prefs": tx.execute(
                    f"DELETE FROM chunk_prefs WHERE event_id IN ({own})", (user,)
                ).rowcount,
                "corrections": tx.execute(
                    f"DELETE FROM corrections WHERE event_id IN ({own})", (user,)
                ).rowcount,
                "events": tx.execute("DELETE FROM events WHERE user = ? AND promoted = 0", (user,)).rowcount,
                "choices": tx.execute("DELETE FROM choices_made WHERE user = ?", (user,)).rowcount,
                "replies": tx.execute(
                    "DELETE FROM replies WHERE user = ? AND id NOT IN (SELECT reply_id FROM events)", (user,)
                ).rowcount,
                "learner_state": tx.execute("DELETE FROM learner_state WHERE user = ?", (user,)).rowcount,
            }
        return counts
