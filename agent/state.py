"""Where conversation memory and feedback live: the data home's SQLite files, or one PostgreSQL server.

One setting, ``ATTENTIVE_DATABASE_URL``, picks both at once, so a replica can never keep its memory in
one place and its feedback in another. Unset, it is the two SQLite files of the data home, exactly as
before; ``postgresql://USER:PASS@HOST:PORT/DB`` is a server that several ``attentive ui`` replicas share.

Two kinds of failure are told apart, because the user must hear different things:

* ``StateStoreError``: the database cannot be used at all (a malformed URL, a server that does not
  answer, a wrong password, no right to create or write the tables). Raised while the agent starts,
  with one line saying why; the server refuses to start rather than fall back to SQLite, which would
  split the state between replicas without anyone noticing.
* ``StateUnavailable``: the database stopped answering while a turn or a feedback event was under way
  (a restart, a network cut). That turn fails with this message; nothing of it was acknowledged, and
  the next turn opens fresh connections (a feedback-store read that meets a dead connection retries
  once on a new one, which also retires the rest of the pool; the memory pool checks each connection).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

FEEDBACK_FILE = "feedback.sqlite3"
MEMORY_FILE = "memory.sqlite3"
CONNECT_TIMEOUT_S = 10  # a server that has not answered in 10 s is down, for start-up and for each turn
URL_FORMS = "postgresql://USER:PASS@HOST:PORT/DATABASE or sqlite:///FOLDER"


# Tables this database user cannot read and write in full (``has_table_privilege`` with a list of
# privileges is true when ANY of them is held, so each is asked on its own). psycopg's placeholder.
DENIED_TABLES_SQL = (
    "SELECT t FROM unnest(%s::text[]) AS t WHERE NOT (has_table_privilege(t, 'SELECT') AND "
    "has_table_privilege(t, 'INSERT') AND has_table_privilege(t, 'UPDATE') AND has_table_privilege(t, 'DELETE'))"
)


def denied_tables_error(tables: list[str], shown: str) -> StateStoreError:
    return StateStoreError(
        f"the database user may not read and write {', '.join(tables)} of {shown}; grant it SELECT, "
        "INSERT, UPDATE and DELETE on the tables and USAGE on the sequences (docs/deploy.md)"
    )


class StateStoreError(Exception):
    """The state database cannot be used; the message is one line saying why."""


class StateUnavailable(RuntimeError):
    """The state database stopped answering mid-turn; what was in flight was not acknowledged."""


@dataclass(frozen=True)
class StateLocation:
    """Memory and feedback together: a SQLite folder, or a PostgreSQL connection URI (libpq's form)."""

    kind: Literal["sqlite", "postgresql"]
    folder: Path | None = None
    conninfo: str = ""

    @property
    def feedback_url(self) -> str:
        """The SQLAlchemy URL of the feedback store (psycopg 3 as the PostgreSQL driver)."""
        if self.kind == "sqlite":
            assert self.folder is not None
            return f"sqlite:///{self.folder / FEEDBACK_FILE}"
        return "postgresql+psycopg://" + self.conninfo.split("://", 1)[1]

    @property
    def memory_path(self) -> Path:
        assert self.folder is not None, "a PostgreSQL location keeps memory in the server"
        return self.folder / MEMORY_FILE

    def redacted(self) -> str:
        """The location for messages and logs: a password is never shown."""
        if self.kind == "sqlite":
            assert self.folder is not None
            return "sqlite://" + (str(self.folder) if self.folder.is_absolute() else f"/{self.folder}")
        return _shown(self.conninfo)


def parse_database_url(url: str | None, home: Path) -> StateLocation:
    """``ATTENTIVE_DATABASE_URL`` as a location; unset means the data home's SQLite files.

    ``sqlite:///FOLDER`` names a folder holding ``feedback.sqlite3`` and ``memory.sqlite3`` (a data
    home); naming one of those files means its folder.
    """
    if url is None or not url.strip():
        return StateLocation("sqlite", folder=Path(home).expanduser())
    url = url.strip()
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "sqlite":
        path = url.split("://", 1)[1]
        path = "/" + path.lstrip("/") if path.startswith("/") else path  # sqlite:/// and sqlite://// alike
        if not path:
            raise StateStoreError(f"a SQLite database URL names a folder: sqlite:///FOLDER, got {url!r}")
        folder = Path(path).expanduser()
        if folder.name in (FEEDBACK_FILE, MEMORY_FILE):
            folder = folder.parent
        return StateLocation("sqlite", folder=folder)
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        conninfo = "postgresql://" + url.split("://", 1)[1]
        try:
            from psycopg.conninfo import conninfo_to_dict

            conninfo_to_dict(conninfo)
        except Exception as exc:
            raise StateStoreError(f"the database URL is malformed: {first_line(exc)}") from None
        return StateLocation("postgresql", conninfo=conninfo)
    raise StateStoreError(f"the database URL must be {URL_FORMS}, got {_shown(url)!r}")


def _shown(url: str) -> str:
    """A URL as it may be printed: ``user:secret@`` becomes ``user:***@``."""
    head, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{head}://{user}:***@{host}" if ":" in credentials else url


def first_line(exc: BaseException) -> str:
    """What a database error says, on one line: the driver's own message, without SQLAlchemy's wrapping."""
    inner = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(inner).splitlines() if line.strip()]
    text = lines[0] if lines else type(inner).__name__
    return text.removeprefix("(psycopg.OperationalError) ")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    pending: list[BaseException | None] = [exc]
    while pending:
        item = pending.pop()
        if item is None or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        pending += [item.__cause__, item.__context__, getattr(item, "orig", None)]


def is_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is a PostgreSQL server that stopped answering.

    psycopg's ``OperationalError`` covers a refused or broken connection and an administrator's
    shutdown; ``PoolTimeout`` is a pool that found no live connection in time. Errors of SQL
    itself (a constraint, a syntax error) are not unavailability: they stay what they are.
    """
    try:
        import psycopg
        from psycopg_pool import PoolTimeout
    except ImportError:  # pragma: no cover - both are dependencies
        return False
    return any(isinstance(item, psycopg.OperationalError | PoolTimeout) for item in _chain(exc))


def unavailable_message(what: str, exc: BaseException) -> str:
    """The message a user gets for a turn or an event the database could not take."""
    reason = next((first_line(e) for e in _chain(exc) if e is not exc), first_line(exc))
    return (
        f"The state database did not answer ({reason}), so {what} was not saved. "
        "Please send it again in a moment."
    )
