"""``attentive db copy``: move a data home's memory and feedback into another database, checked by count.

Either direction works (SQLite to PostgreSQL is the point; PostgreSQL to SQLite makes a backup a
person can open), because both halves go through the same interfaces the agent uses:

* feedback: every table of ``agent.feedback.schema`` in foreign-key order, ids kept (an event id is
  what ``attentive feedback promote`` takes), then each PostgreSQL id sequence moved past the
  largest id so that new rows do not collide;
* memory: every checkpoint of every conversation through LangGraph's own ``list``/``put``/
  ``put_writes``, oldest first with its parent, so the copy is what the saver itself would have written.

The target must be empty: a copy never merges into state that is already in use. The feedback rows
are written in one transaction, so a failed copy leaves no half of them behind; the counts of both
sides are compared afterwards (and the copy fails loudly if they differ).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from agent.state import StateLocation, StateStoreError

BATCH = 1_000  # rows per INSERT: large enough to be quick, small enough to keep memory flat


@dataclass
class CopyReport:
    """What was copied: rows per feedback table, and the conversations' checkpoints and pending writes."""

    feedback: dict[str, int] = field(default_factory=dict)
    threads: int = 0
    checkpoints: int = 0
    writes: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "feedback": self.feedback,
            "memory": {"threads": self.threads, "checkpoints": self.checkpoints, "writes": self.writes},
        }


def copy_state(source: StateLocation, target: StateLocation) -> CopyReport:
    """Copy memory and feedback from ``source`` to the empty ``target``; both are upgraded first."""
    if source == target:
        raise StateStoreError("the source and the target are the same database")
    report = CopyReport()
    report.feedback = copy_feedback(source, target)
    report.threads, report.checkpoints, report.writes = copy_memory(source, target)
    return report


def copy_feedback(source: StateLocation, target: StateLocation) -> dict[str, int]:
    from agent.feedback import schema
    from agent.feedback.store import FeedbackStore

    src, dst = FeedbackStore(source), FeedbackStore(target)
    try:
        present = {name: n for name, n in dst.counts().items() if n}
        if present:
            raise StateStoreError(
                f"the target {target.redacted()} already holds feedback "
                f"({', '.join(f'{n} {name}' for name, n in present.items())}); copy into an empty database"
            )
        with src.engine.connect() as reading, dst.transaction() as writing:
            for table in schema.TABLES:
                result = reading.execution_options(yield_per=BATCH).execute(sa.select(table))
                for rows in result.partitions():
                    writing.execute(sa.insert(table), [dict(row._mapping) for row in rows])
            if dst.dialect == "postgresql":
                for table in schema.TABLES:
                    if table.autoincrement_column is not None:
                        writing.execute(
                            sa.text(
                                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                f"coalesce(max(id), 1), max(id) IS NOT NULL) FROM {table.name}"
                            )
                        )
        expected, copied = src.counts(), dst.counts()
        if copied != expected:
            raise StateStoreError(f"the feedback copy is incomplete: source {expected}, target {copied}")
        return copied
    finally:
        src.close()
        dst.close()


def _key(config: dict[str, Any]) -> tuple[str, str, str]:
    c = config["configurable"]
    return str(c["thread_id"]), str(c.get("checkpoint_ns", "")), str(c["checkpoint_id"])


def _inventory(items: Iterable[Any]) -> dict[tuple[str, str, str], int]:
    """(thread, namespace, checkpoint id) -> number of pending writes of checkpoint tuples, for the count check."""
    return {_key(t.config): len(t.pending_writes or []) for t in items}


def copy_memory(source: StateLocation, target: StateLocation) -> tuple[int, int, int]:
    """Copy every conversation checkpoint; returns (threads, checkpoints, writes) as counted on the target."""
    from agent.memory import close_checkpointer, open_checkpointer

    src, dst = open_checkpointer(source), open_checkpointer(target)
    try:
        if next(iter(dst.list(None, limit=1)), None) is not None:
            raise StateStoreError(
                f"the target {target.redacted()} already holds conversations; copy into an empty database"
            )
        items = list(src.list(None))  # every checkpoint of every thread, newest first per thread
        for item in reversed(items):  # oldest first: parents before children
            thread, namespace, _ = _key(item.config)
            config: dict[str, Any] = {"configurable": {"thread_id": thread, "checkpoint_ns": namespace}}
            if item.parent_config is not None:
                config["configurable"]["checkpoint_id"] = _key(item.parent_config)[2]
            stored = dst.put(config, item.checkpoint, item.metadata, item.checkpoint["channel_versions"])
            by_task: dict[str, list[tuple[str, Any]]] = defaultdict(list)
            for task_id, channel, value in item.pending_writes or []:
                by_task[task_id].append((channel, value))
            for task_id, writes in by_task.items():
                dst.put_writes(stored, writes, task_id)
        expected, copied = _inventory(items), _inventory(dst.list(None))
        if copied != expected:
            raise StateStoreError(
                f"the memory copy is incomplete: {len(expected)} checkpoints in the source, {len(copied)} in the target"
            )
        return len({key[0] for key in copied}), len(copied), sum(copied.values())
    finally:
        close_checkpointer(src)
        close_checkpointer(dst)
