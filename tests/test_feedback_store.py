"""The feedback store on SQLite: schema migrations, atomic writes, many threads, and SIGKILL durability.

The same store on PostgreSQL (migrations, two writers, a server restart) is tested in
``tests/test_shared_state.py``, next to the server it starts.
"""

from __future__ import annotations

import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from agent.feedback import schema
from agent.feedback.learners import StyleLearner, StyleState
from agent.feedback.migrations import LEGACY as LEGACY_SCRIPTS
from agent.feedback.records import ReplyRecord
from agent.feedback.store import HEAD, FeedbackStore
from agent.types import Artifact, Citation

ROOT = Path(__file__).resolve().parents[1]
LEGACY = sorted(LEGACY_SCRIPTS.glob("*.sql"))  # the store's own scripts from before Alembic, as they shipped


def legacy_file(path: Path, version: int) -> sqlite3.Connection:
    """A feedback file as a release from before Alembic left it at ``version`` (its own migrations, 1..5)."""
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied TEXT NOT NULL)")
    for number, script in enumerate(LEGACY[:version], start=1):
        old.executescript(script.read_text(encoding="utf-8"))
        old.execute("INSERT INTO schema_version VALUES (?, 'then')", (number,))
    return old


def _reply(reply_id: str, user: str = "alice") -> ReplyRecord:
    return ReplyRecord(reply_id, user, "s1", "What is attention?", "Attention weighs tokens.", "{}", 3)


def test_new_file_is_wal_full_sync_and_at_newest_schema(tmp_path: Path) -> None:
    store = FeedbackStore(tmp_path / "fb.sqlite3")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        tables = set(sa.inspect(conn).get_table_names())
    assert store.revision() == HEAD
    assert {"replies", "events", "corrections", "alembic_version", "learner_state", "chunk_prefs"} <= tables


def test_head_is_the_newest_alembic_revision() -> None:
    """The store skips Alembic when a database is at ``HEAD``, so ``HEAD`` must be the last migration."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", "agent.feedback:migrations")
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD


def test_old_file_is_migrated_in_order_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "fb.sqlite3"
    old = legacy_file(path, 1)
    old.execute("INSERT INTO replies VALUES ('r1', 'alice', 's', 'q', 't', '{}', 1, '[]', '[]', 'then')")
    old.execute("INSERT INTO events (reply_id, user, score, created) VALUES ('r1', 'alice', -1, 'then')")
    old.commit()
    old.close()

    store = FeedbackStore(path)
    assert store.revision() == HEAD
    (event,) = store.events()
    assert (event.reply_id, event.score, event.wanted_tool) == ("r1", -1, None)
    # Reopening runs nothing twice; the old version table is gone, Alembic's holds the one revision.
    FeedbackStore(path)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version_num FROM alembic_version").fetchall() == [(HEAD,)]
        assert not db.execute("SELECT name FROM sqlite_master WHERE name = 'schema_version'").fetchall()


@pytest.mark.parametrize("version", [1, 2, 3, 4, 5])
def test_an_old_file_of_any_version_ends_exactly_at_the_declared_schema(tmp_path: Path, version: int) -> None:
    """A new database is created from ``schema.py``; an old file travels the migrations: both end alike."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    path = tmp_path / "fb.sqlite3"
    old = legacy_file(path, version)
    old.commit()
    old.close()
    store = FeedbackStore(path)
    assert store.revision() == HEAD
    with store.engine.connect() as conn:
        differences = [
            d[0] if isinstance(d, list) else d
            for d in compare_metadata(MigrationContext.configure(conn), schema.metadata)
        ]
        # The old scripts wrote "id ... PRIMARY KEY" without NOT NULL, which SQLite reports as nullable (the
        # store always writes an id); every other difference would be a migration that went astray.
        assert [d[:4] for d in differences if d[0] != "modify_nullable" or d[3] != "id"] == []
        columns = {
            t: [c["name"] for c in sa.inspect(conn).get_columns(t)]
            for t in sa.inspect(conn).get_table_names()
        }
    fresh = FeedbackStore(tmp_path / "new.sqlite3")
    with fresh.engine.connect() as conn:
        assert columns == {
            t: [c["name"] for c in sa.inspect(conn).get_columns(t)]
            for t in sa.inspect(conn).get_table_names()
        }


def test_a_pickled_style_state_of_an_old_file_becomes_json_that_answers_the_same(tmp_path: Path) -> None:
    from river import linear_model, optim

    learner = StyleLearner()
    model = linear_model.LogisticRegression(optimizer=optim.SGD(1.0), intercept_init=0.5, intercept_lr=1.0)
    model.learn_one({}, False, w=4.0)  # one "too long": the model now says brief
    old_state = StyleState()
    old_state.__dict__ = {  # the StyleState of the pickle era: a river model, not its log-odds
        "model": model,
        "brief_sentences": 1,
        "detailed_sentences": 6,
        "examples": True,
        "events": 3,
    }
    path = tmp_path / "fb.sqlite3"
    old = legacy_file(path, 5)
    old.execute("INSERT INTO learner_state VALUES ('alice', 'style', ?, 'then')", (pickle.dumps(old_state),))
    old.execute("INSERT INTO learner_state VALUES ('bob', 'style', ?, 'then')", (b"not a pickle",))
    old.commit()
    old.close()

    store = FeedbackStore(path)
    stored = store.load_state("alice", "style")
    assert stored == {
        "log_odds": model.intercept,
        "brief_sentences": 1,
        "detailed_sentences": 6,
        "examples": True,
        "events": 3,
    }
    state = StyleState.from_json(stored)
    assert learner.p_detailed(state) == pytest.approx(model.predict_proba_one({})[True], abs=1e-12)
    assert learner.style(state).detail == "brief"
    assert store.load_state("bob", "style") is None  # unreadable: bob starts again from the default


def test_replies_keep_their_sources_and_figures_and_older_rows_read_as_having_none(tmp_path: Path) -> None:
    path = tmp_path / "fb.sqlite3"
    old = legacy_file(path, 4)  # a data home from before 005
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
    with pytest.raises(sa.exc.IntegrityError):
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

    with sqlite3.connect(tmp_path / "feedback.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store = FeedbackStore(tmp_path / "feedback.sqlite3")
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
