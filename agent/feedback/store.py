"""Every reply, feedback event, correction and learner state, in SQLite or PostgreSQL.

The queries are SQLAlchemy Core over ``agent.feedback.schema``, so one piece of code serves the data
home's ``feedback.sqlite3`` and a PostgreSQL server that several replicas share. The schema moves
with Alembic migrations (``agent/feedback/migrations``); a data home from before Alembic (its own
``schema_version`` table, versions 1 to 5) is stamped at its version and upgraded in place.

Why these guarantees, and how each dialect keeps them:

* An event the service acknowledged is on disk. SQLite: WAL with ``synchronous=FULL``, so a commit
  survives a SIGKILL the next instant (``tests/test_feedback_store.py``). PostgreSQL: its own WAL,
  fsync on commit.
* A failed event leaves nothing: each ``transaction()`` block commits whole or rolls back.
* Two writers never lose each other's update of one user's learner state. SQLite: writers are
  serialised by ``BEGIN IMMEDIATE``. PostgreSQL: the read of a state inside a write transaction takes a
  transaction-scoped advisory lock on (user, learner), which also covers a state not written yet (a
  row lock would have no row to lock); the version column checks the rule held (``StaleState``).
* Several processes may start (and migrate) at once: the migration runs under the same write lock.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa

from agent.feedback import schema
from agent.feedback.records import Correction, FeedbackEvent, ReplyRecord
from agent.state import (
    CONNECT_TIMEOUT_S,
    DENIED_TABLES_SQL,
    StateLocation,
    StateStoreError,
    denied_tables_error,
    first_line,
    parse_database_url,
)

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

T = TypeVar("T")
GLOBAL_USER = "*"
HEAD = "0006"  # the newest migration; a file already there opens without importing Alembic
LEGACY_REVISIONS = {1: "0001", 2: "0002", 3: "0003", 4: "0004", 5: "0005"}  # schema_version -> revision
MIGRATION_LOCK = 0x6174_7465_6E74  # advisory lock key that serialises migrations on PostgreSQL ("attent")
SQLITE_BUSY_TIMEOUT_S = 60

_ONE_MICROSECOND = datetime.resolution
_clock_lock = threading.Lock()
_last_stamp: list[datetime] = [datetime.min.replace(tzinfo=UTC)]


def now_iso() -> str:
    """UTC, to the microsecond, never equal to or before the previous stamp of this process.

    Replies of one conversation are listed by this stamp, so it must order them even when two are
    written within one clock tick (PostgreSQL has no ``rowid`` to break the tie).
    """
    with _clock_lock:
        stamp = max(datetime.now(UTC), _last_stamp[0] + _ONE_MICROSECOND)
        _last_stamp[0] = stamp
    return stamp.isoformat(timespec="microseconds")


class StaleState(RuntimeError):
    """A learner state changed between this writer's read and its write (the locks should prevent it)."""


def _lock_key(user: str, learner: str) -> int:
    """A signed 64-bit advisory-lock key for one (user, learner) state."""
    digest = hashlib.blake2b(f"{user}\x1f{learner}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def engine_for(url: str) -> Engine:
    """An engine for a SQLAlchemy URL; SQLite gets WAL, full sync, foreign keys and ``BEGIN IMMEDIATE`` writes."""
    if url.startswith("sqlite:"):
        engine = sa.create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
            poolclass=sa.pool.QueuePool,
            pool_size=8,
            max_overflow=-1,  # a busy page has a thread per user; SQLite connections are cheap
        )

        @sa.event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we say BEGIN ourselves, below
            for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
                dbapi_conn.execute(f"PRAGMA {pragma}")

        @sa.event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            # A writer takes the write lock at BEGIN, so its read-modify-write cannot interleave with
            # another's; a pooled read (``FeedbackStore._read``) takes none: in WAL each of its statements
            # reads a snapshot that blocks nobody.
            options = conn.get_execution_options()
            if options.get("attentive_read", False):
                return
            conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get("attentive_write", False) else "BEGIN")

        return engine
    return sa.create_engine(
        url,
        pool_size=5,
        max_overflow=10,
        pool_timeout=CONNECT_TIMEOUT_S,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
    )


def _sqlalchemy_url(target: Path | str | StateLocation) -> tuple[str, str]:
    """(SQLAlchemy URL, the location as messages show it) for a file, a URL or a ``StateLocation``."""
    if isinstance(target, StateLocation):
        if target.folder is not None:
            target.folder.mkdir(parents=True, exist_ok=True)
        return target.feedback_url, target.redacted()
    text = str(target)
    if "://" in text:  # a database URL, read as ATTENTIVE_DATABASE_URL is (sqlite:/// names a folder)
        return _sqlalchemy_url(parse_database_url(text, Path.cwd()))
    path = Path(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}", str(path)


class FeedbackStore:
    """Thread-safe access to the feedback tables; every write is one short transaction."""

    def __init__(self, target: Path | str | StateLocation, upgrade: bool = True) -> None:
        url, self.shown = _sqlalchemy_url(target)
        self.engine = engine_for(url)
        self.dialect = self.engine.dialect.name
        self._local = threading.local()
        if upgrade:
            self.upgrade()

    def upgrade(self) -> tuple[str | None, str]:
        """Migrate to the newest schema and check this user may use every table: (revision before, after).

        Any database error here (unreachable, wrong password, no right to create tables) becomes a
        ``StateStoreError`` with the driver's one-line reason.
        """
        try:
            before = self.revision()
            after = self.migrate() if before != HEAD else HEAD
            self._check_privileges()
        except sa.exc.DBAPIError as exc:
            self.engine.dispose()
            raise StateStoreError(
                f"cannot use the feedback database {self.shown}: {first_line(exc)}"
            ) from None
        return before, after

    # -- connections and transactions -------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One write transaction; nested use joins the outer one. Rolls back on any error."""
        current = getattr(self._local, "conn", None)
        if current is not None:
            yield current
            return
        with self.engine.connect() as conn:
            conn.execution_options(attentive_write=True)
            with conn.begin():
                self._local.conn, self._local.versions = conn, {}
                try:
                    yield conn
                finally:
                    self._local.conn, self._local.versions = None, {}

    def _read(self, fetch: Callable[[Connection], T]) -> T:
        """``fetch(conn)`` on the thread's write transaction when there is one (it sees its own writes),
        else on a pooled connection: on PostgreSQL in autocommit (no BEGIN/ROLLBACK round trips: each read
        is one statement or two that need no common snapshot), on SQLite likewise without a BEGIN, as its
        driver runs in autocommit (a turn's state time, p50 over 120 turns: 4.4 ms with them, 4.1 without).

        A read is retried once when SQLAlchemy found its connection dead (the server restarted since the
        connection was pooled): that also drops every other pooled connection of that age, so the turn
        goes on and the writes after it get live connections. This replaces ``pool_pre_ping``, which
        costs a round trip on every checkout (measured: 1 to 2 ms of a turn's 7 reads on this machine).
        """
        current = getattr(self._local, "conn", None)
        if current is not None:
            return fetch(current)
        for attempt in (1, 2):
            try:
                with self.engine.connect() as conn:
                    if self.dialect == "postgresql":
                        conn.execution_options(isolation_level="AUTOCOMMIT")
                    else:  # SQLite: no BEGIN, so each statement reads its own snapshot (``_on_begin``)
                        conn.execution_options(attentive_read=True)
                    return fetch(conn)
            except sa.exc.DBAPIError as exc:
                if attempt == 2 or not exc.connection_invalidated:
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _writing(self) -> bool:
        return getattr(self._local, "conn", None) is not None

    def close(self) -> None:
        self.engine.dispose()

    def revision(self) -> str | None:
        """The Alembic revision the database is at (None: none yet, or a data home from before Alembic)."""
        try:
            return self._read(
                lambda conn: conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            )
        except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:
            if _missing_table(exc):
                return None
            raise

    def migrate(self) -> str:
        """Bring the database to the newest schema; idempotent, and safe when several processes start at once."""
        if self.revision() == HEAD:
            return HEAD
        from alembic import command
        from alembic.config import Config

        with self.transaction() as conn:
            if self.dialect == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
            config = Config()
            config.set_main_option("script_location", "agent.feedback:migrations")
            config.attributes["connection"] = conn
            tables = set(sa.inspect(conn).get_table_names())
            if not tables & {"alembic_version", "schema_version", "replies"}:  # a new database
                schema.metadata.create_all(conn)  # as declared, once: the migrations do not repeat it
                command.stamp(config, "head")
                return HEAD
            if "alembic_version" not in tables and "schema_version" in tables:
                legacy = conn.execute(sa.text("SELECT max(version) FROM schema_version")).scalar()
                if legacy:
                    command.stamp(config, LEGACY_REVISIONS[int(legacy)])
            command.upgrade(config, "head")
        return HEAD

    def _check_privileges(self) -> None:
        """On PostgreSQL, every table readable and writable by this user: a start-up refusal beats a failed turn."""
        if self.dialect != "postgresql":
            return
        names = [t.name for t in schema.TABLES]
        serial = [t.name for t in schema.TABLES if t.autoincrement_column is not None]
        # A new event, correction, ... takes its id from the table's sequence: USAGE on it is needed too.
        sequences_sql = (
            "SELECT t FROM unnest(%s::text[]) AS t "
            "WHERE NOT has_sequence_privilege(pg_get_serial_sequence(t, 'id'), 'USAGE')"
        )
        denied = self._read(
            lambda conn: (
                [row[0] for row in conn.exec_driver_sql(DENIED_TABLES_SQL, (names,))]
                + [f"{row[0]}_id_seq" for row in conn.exec_driver_sql(sequences_sql, (serial,))]
            )
        )
        if denied:
            raise denied_tables_error(denied, self.shown)

    def _insert(self, table: sa.Table) -> Any:
        """An INSERT that can say ON CONFLICT (both dialects have it; SQLAlchemy spells it per dialect)."""
        if self.dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        return insert(table)

    def counts(self) -> dict[str, int]:
        """Rows per table, for checks (``attentive db copy``) and tests."""
        return self._read(
            lambda conn: {
                t.name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar() or 0)
                for t in schema.TABLES
            }
        )

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
        statement = self._insert(schema.replies).values(columns)
        updates = {name: statement.excluded[name] for name in columns if name not in ("id", "created")}
        with self.transaction() as tx:
            tx.execute(statement.on_conflict_do_update(index_elements=["id"], set_=updates))

    def get_reply(self, reply_id: str) -> ReplyRecord | None:
        query = sa.select(schema.replies).where(schema.replies.c.id == reply_id)
        row = self._read(lambda conn: conn.execute(query).first())
        return ReplyRecord.from_row(row._mapping) if row else None

    def replies(self, user: str, session: str) -> list[ReplyRecord]:
        """One conversation's replies, oldest first: what a reloaded chat page shows."""
        r = schema.replies
        query = sa.select(r).where(r.c.user == user, r.c.session == session).order_by(r.c.created, r.c.id)
        return [
            ReplyRecord.from_row(row._mapping) for row in self._read(lambda conn: conn.execute(query).all())
        ]

    def scores(self, user: str, session: str) -> dict[str, int]:
        """reply id -> the latest score given to it, for one conversation."""
        e, r = schema.events, schema.replies
        query = (
            sa.select(e.c.reply_id, e.c.score)
            .join(r, r.c.id == e.c.reply_id)
            .where(r.c.user == user, r.c.session == session)
            .order_by(e.c.id)
        )
        return {
            reply_id: int(score) for reply_id, score in self._read(lambda conn: conn.execute(query).all())
        }

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
        values = {
            "reply_id": reply_id,
            "user": user,
            "score": score,
            "comment": comment,
            "correction": correction,
            "created": created,
            "wanted_tool": wanted_tool,
        }
        with self.transaction() as tx:
            event_id = tx.execute(
                sa.insert(schema.events).values(values).returning(schema.events.c.id)
            ).scalar()
        return FeedbackEvent(
            int(event_id or 0), reply_id, user, score, comment, correction, created, False, wanted_tool
        )

    def get_event(self, event_id: int) -> FeedbackEvent | None:
        query = sa.select(schema.events).where(schema.events.c.id == event_id)
        row = self._read(lambda conn: conn.execute(query).first())
        return FeedbackEvent.from_row(row._mapping) if row else None

    def events(self, user: str | None = None) -> list[FeedbackEvent]:
        query = sa.select(schema.events).order_by(schema.events.c.id)
        if user is not None:
            query = query.where(schema.events.c.user == user)
        return [
            FeedbackEvent.from_row(row._mapping) for row in self._read(lambda conn: conn.execute(query).all())
        ]

    def add_correction(
        self, event_id: int, user: str, question: str, text: str, embedding: bytes | None
    ) -> int:
        values = {
            "event_id": event_id,
            "user": user,
            "question": question,
            "text": text,
            "embedding": embedding,
        }
        with self.transaction() as tx:
            statement = sa.insert(schema.corrections).values(values).returning(schema.corrections.c.id)
            return int(tx.execute(statement).scalar() or 0)

    def corrections(self, user: str, include_promoted: bool = True) -> list[tuple[Correction, bytes | None]]:
        c = schema.corrections
        mine = c.c.user == user
        query = (
            sa.select(c).where(sa.or_(mine, c.c.promoted == 1) if include_promoted else mine).order_by(c.c.id)
        )
        rows = self._read(lambda conn: conn.execute(query).all())
        return [(Correction.from_row(r._mapping), _bytes(r.embedding)) for r in rows]

    def add_chunk_prefs(
        self, event_id: int, user: str, chunk_ids: list[str], sign: int, embedding: bytes
    ) -> None:
        rows = [
            {"event_id": event_id, "user": user, "chunk_id": cid, "sign": sign, "embedding": embedding}
            for cid in dict.fromkeys(chunk_ids)
        ]
        if rows:
            with self.transaction() as tx:
                tx.execute(sa.insert(schema.chunk_prefs), rows)

    def chunk_prefs(self, user: str) -> list[tuple[str, int, bytes, bool]]:
        """(chunk_id, sign, question embedding, promoted) for the user's own and promoted events."""
        p, e = schema.chunk_prefs, schema.events
        query = (
            sa.select(p.c.chunk_id, p.c.sign, p.c.embedding, e.c.promoted)
            .join(e, e.c.id == p.c.event_id)
            .where(sa.or_(p.c.user == user, e.c.promoted == 1))
            .order_by(p.c.id)
        )
        rows = self._read(lambda conn: conn.execute(query).all())
        return [(r[0], int(r[1]), _bytes(r[2]) or b"", bool(r[3])) for r in rows]

    def routes(self, user: str | None = None) -> list[tuple[str, str, str]]:
        """(question, wanted tool, user) of routing corrections: the user's own plus promoted ones
        (these with user ``GLOBAL_USER``); every one when ``user`` is None."""
        e, r, c = schema.events, schema.replies, schema.choices_made
        wanted = (
            sa.select(r.c.question, e.c.wanted_tool, e.c.user, e.c.promoted)
            .join(r, r.c.id == e.c.reply_id)
            .where(e.c.wanted_tool.is_not(None))
            .order_by(e.c.id)
        )
        picked = sa.select(r.c.question, c.c.message, c.c.intent, c.c.user).join(r, r.c.id == c.c.reply_id)
        if user is not None:
            wanted = wanted.where(sa.or_(e.c.user == user, e.c.promoted == 1))
            picked = picked.where(c.c.user == user)
        picked = picked.order_by(c.c.id)
        wanted_rows, picked_rows = self._read(
            lambda conn: (conn.execute(wanted).all(), conn.execute(picked).all())
        )
        found = []
        for question, tool, owner, promoted in wanted_rows:
            if promoted:
                found.append((question, tool, GLOBAL_USER))
            if user is None or (owner == user and not promoted):
                found.append((question, tool, owner))
        for question, message, intent, owner in picked_rows:
            found += [(question, intent, owner), (message, intent, owner)]
        return found

    def add_choice(self, reply_id: str, user: str, message: str, intent: str) -> None:
        """A user picked a choice of a clarifying question: a routing correction of theirs."""
        values = {
            "reply_id": reply_id,
            "user": user,
            "message": message,
            "intent": intent,
            "created": now_iso(),
        }
        with self.transaction() as tx:
            tx.execute(sa.insert(schema.choices_made).values(values))

    def mark_promoted(self, event_id: int) -> None:
        with self.transaction() as tx:
            tx.execute(sa.update(schema.events).where(schema.events.c.id == event_id).values(promoted=1))
            c = schema.corrections
            tx.execute(sa.update(c).where(c.c.event_id == event_id).values(promoted=1))

    # -- learner state --------------------------------------------------------------------

    def load_state(self, user: str, learner: str) -> dict[str, Any] | None:
        """A learner's JSON state. Inside a write transaction the read also claims the state: on
        PostgreSQL it waits for any other writer of it, and ``save_state`` replaces only this version."""
        s = schema.learner_state
        writing = self._writing()
        query = sa.select(s.c.state, s.c.version).where(s.c.user == user, s.c.learner == learner)

        def fetch(conn: Connection) -> Any:
            if writing and self.dialect == "postgresql":
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_lock_key(user, learner))))
            return conn.execute(query).first()

        row = self._read(fetch)
        if writing:
            self._local.versions[(user, learner)] = int(row.version) if row else 0
        return json.loads(row.state) if row else None

    def save_state(self, user: str, learner: str, state: dict[str, Any]) -> None:
        """Write a learner's state over the version this transaction read (or over whatever is there)."""
        s = schema.learner_state
        with self.transaction() as tx:
            seen = self._local.versions.pop((user, learner), None)
            if seen is None:  # a blind write: claim the state now
                self.load_state(user, learner)
                seen = self._local.versions.pop((user, learner))
            values = {"state": json.dumps(state), "version": seen + 1, "updated": now_iso()}
            if seen == 0:
                statement = self._insert(s).values(user=user, learner=learner, **values)
                # RETURNING, not rowcount: SQLAlchemy promises no rowcount for an INSERT (psycopg gives -1).
                written = len(tx.execute(statement.on_conflict_do_nothing().returning(s.c.version)).all())
            else:
                where = (s.c.user == user, s.c.learner == learner, s.c.version == seen)
                written = tx.execute(sa.update(s).where(*where).values(values)).rowcount
            if written != 1:
                raise StaleState(f"the {learner} state of {user!r} changed while this event was learned")

    # -- export and reset -----------------------------------------------------------------

    def export_rows(self) -> Iterator[dict[str, Any]]:
        """Every event joined with the reply it judged, oldest first."""
        events = self.events()
        r, e = schema.replies, schema.events
        query = sa.select(r).where(r.c.id.in_(sa.select(e.c.reply_id)))
        rows = self._read(lambda conn: conn.execute(query).all())
        replies = {row.id: ReplyRecord.from_row(row._mapping) for row in rows}
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
        e, c, p = schema.events, schema.corrections, schema.chunk_prefs
        own = sa.select(e.c.id).where(e.c.user == user, e.c.promoted == 0)
        with self.transaction() as tx:

            def delete(statement: Any) -> int:
                return int(tx.execute(statement).rowcount)

            return {
                "chunk_prefs": delete(sa.delete(p).where(p.c.event_id.in_(own))),
                "corrections": delete(sa.delete(c).where(c.c.event_id.in_(own))),
                "events": delete(sa.delete(e).where(e.c.user == user, e.c.promoted == 0)),
                "choices": delete(sa.delete(schema.choices_made).where(schema.choices_made.c.user == user)),
                "replies": delete(
                    sa.delete(schema.replies).where(
                        schema.replies.c.user == user, schema.replies.c.id.not_in(sa.select(e.c.reply_id))
                    )
                ),
                "learner_state": delete(
                    sa.delete(schema.learner_state).where(schema.learner_state.c.user == user)
                ),
            }


def _bytes(value: Any) -> bytes | None:
    """A BLOB (SQLite: bytes) or BYTEA (psycopg: memoryview) as bytes."""
    return None if value is None else bytes(value)


def _missing_table(exc: BaseException) -> bool:
    """Whether a database error says the table is not there (a database no migration has touched)."""
    text = str(getattr(exc, "orig", exc)).lower()
    return "no such table" in text or ("does not exist" in text and "relation" in text)
