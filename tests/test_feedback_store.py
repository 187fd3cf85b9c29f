"""The feedback store: schema migrations, atomic writes, many threads, and SIGKILL durability."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from agent.feedback.records import ReplyRecord
from agent.feedback.store import MIGRATIONS, FeedbackStore
from agent.types import Artifact, Citation

ROOT = Path(__file__).resolve().parents[1]


def _reply(reply_id: str, user: str = "alice") -> ReplyRecord:
    return ReplyRecord(reply_id, user, "s1", "What is attention?", "Attention weighs tokens.", "{}", 3)


def test_new_file_is_wal_full_sync_and_at_newest_schema(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    conn = store._conn()
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.schema_version() == len(MIGRATIONS)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"replies", "events", "corrections", "schema_version", "learner_state", "chunk_prefs"} <= tables


def test_old_file_is_migrated_in_order_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "fb.sqlite3"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)")
    MIGRATIONS[0](old)
    old.execute("INSERT INTO schema_version VALUES (1, 'then')")
    old.execute("INSERT INTO replies VALUES ('r1', 'alice', 's', 'q', 't', '{}', 1, '[]', '[]', 'then')")
    old.execute("INSERT INTO events (reply_id, user, score, created) VALUES ('r1', 'alice', -1, 'then')")
    old.commit()
    old.close()

    store = FeedbackStore(path)
    assert store.schema_version() == len(MIGRATIONS)
    (event,) = store.events()
    assert (event.reply_id, event.score, event.wanted_tool) == ("r1", -1, None)
    # Reopening runs nothing twice.
    FeedbackStore(path)
    versions = [r[0] for r in store._conn().execute("SELECT version FROM schema_version ORDER BY version")]
    assert versions == list(range(1, len(MIGRATIONS) + 1))


def test_replies_keep_their_sources_and_figures_and_older_rows_read_as_having_none(tmp_path: Path) -> None:
    path = tmp_path / "fb.sqlite3"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)")
    for version, migration in enumerate(MIGRATIONS[:4], start=1):  # a data home from before _m005
        migration(old)
        old.execute("INSERT INTO schema_version VALUES (?, 'then')", (version,))
    old.execute(
        "INSERT INTO replies VALUES ('r0', 'alice', 's1', 'q', 't', '{}', 1, '[]', '[]', 'then', '[]')"
    )
    old.commit()
    old.close()

    store = FeedbackStore(path)
    before = store.get_reply("r0")
    assert before is not None and (before.citations, before.artifacts) == ([], [])
    citation = Citation("Transformers > Attention", "study-notes.md", 3, 20, "Attention weighs tokens", "c1")
    figure = Artifact("image", tmp_path / "artifacts" / "heatmap.png", "heatmap")
    store.add_reply(
        ReplyRecord(
            "r1",
            "alice",
            "s1",
            "What is attention?",
            "Attention weighs tokens [1].",
            "{}",
            4,
            tool_calls=[{"name": "attention_demo", "args": {"sentence": "The cat"}, "ok": True}],
            citations=[citation.to_dict()],
            artifacts=[figure.to_dict()],
        )
    )
    record = store.get_reply("r1")
    assert record is not None
    reply = record.to_reply()
    assert (reply.id, reply.citations, reply.artifacts) == ("r1", [citation], [figure])
    assert [(t.name, t.args) for t in reply.tool_calls] == [("attention_demo", {"sentence": "The cat"})]


def test_a_sessions_replies_and_latest_scores_are_listed_in_order(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    for reply_id, session in [("r1", "s1"), ("r2", "s2"), ("r3", "s1")]:
        store.add_reply(ReplyRecord(reply_id, "alice", session, f"q {reply_id}", "t", "{}", 1))
    store.add_reply(ReplyRecord("b1", "bob", "s1", "q", "t", "{}", 1))
    store.add_event("r1", "alice", 1, None, None)
    store.add_event("r1", "alice", -1, None, None)
    store.add_event("r3", "alice", 1, None, None)
    store.add_event("b1", "bob", -1, None, None)
    assert [r.id for r in store.replies("alice", "s1")] == ["r1", "r3"]
    assert store.scores("alice", "s1") == {"r1": -1, "r3": 1}
    assert store.scores("alice", "s2") == {}


def test_failed_transaction_leaves_nothing_behind(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    store.add_reply(_reply("r1"))
    with pytest.raises(RuntimeError), store.transaction():
        event = store.add_event("r1", "alice", 1, "nice", "fix", None)
        store.add_correction(event.id, "alice", "q", "fix", None)
        raise RuntimeError("learner failed")
    assert store.events() == []
    assert store.corrections("alice") == []


def test_event_for_a_reply_never_recorded_is_refused_by_the_schema(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    with pytest.raises(sqlite3.IntegrityError):
        store.add_event("nope", "alice", 1, None, None)
    assert store.events() == []


def test_twenty_threads_writing_at_once_lose_no_event(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    users = [f"user{i}" for i in range(20)]
    for user in users:
        store.add_reply(_reply(f"r-{user}", user))
    acked: dict[str, list[int]] = {u: [] for u in users}

    def write(user: str) -> None:
        for k in range(15):
            acked[user].append(store.add_event(f"r-{user}", user, 1 if k % 2 else -1, f"c{k}", None).id)

    threads = [threading.Thread(target=write, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stored = store.events()
    assert len(stored) == 20 * 15
    assert sorted(e.id for e in stored) == sorted(i for ids in acked.values() for i in ids)
    for user in users:
        assert [e.comment for e in store.events(user)] == [f"c{k}" for k in range(15)]


CHILD = textwrap.dedent(
    """
    import sys, zlib
    import numpy as np
    from pathlib import Path
    from agent.feedback import FeedbackService

    def embed(texts):
        rows = [np.random.default_rng(zlib.crc32(t.encode())).normal(size=8) for t in texts]
        return np.array([r / np.linalg.norm(r) for r in rows], dtype=np.float32)

    service = FeedbackService(Path(sys.argv[1]), embed=embed)
    service.remember_reply("r1", "alice", "s1", "What is attention?", "One. Two. Three.", "detailed",
                           [], ["chunk-a"])
    i = 0
    while True:  # write until killed; the parent kills us mid-burst
        event = service.feedback("r1", 1 if i % 2 else -1, comment=f"burst {i}",
                                 correction=f"fix {i}" if i % 3 == 0 else None)
        print(f"ack {event.id} {i}", flush=True)
        i += 1
    """
)


def test_acknowledged_events_survive_sigkill(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path)], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
    )
    acked: dict[int, int] = {}
    assert child.stdout is not None
    try:
        for line in child.stdout:
            _, event_id, i = line.split()
            acked[int(event_id)] = int(i)
            if len(acked) >= 150:
                break
        child.send_signal(signal.SIGKILL)  # no clean-up, no atexit, no checkpoint
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert len(acked) >= 150, "child died before acknowledging a burst"

    store = FeedbackStore(tmp_path / "feedback.sqlite3")
    assert store._conn().execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {e.id: e for e in store.events()}
    for event_id, i in acked.items():
        assert event_id in stored, f"acknowledged event {event_id} was lost"
        assert stored[event_id].comment == f"burst {i}"
        assert stored[event_id].score == (1 if i % 2 else -1)
    corrections = {c.event_id: c.text for c, _ in store.corrections("alice")}
    for event_id, i in acked.items():
        if i % 3 == 0:
            assert corrections[event_id] == f"fix {i}"
    # Every stored event is whole: the learner state saved with it is there too.
    assert store.load_state("alice", "style") is not None
