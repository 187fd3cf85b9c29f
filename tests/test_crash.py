"""SIGKILL in the middle of indexing and of a feedback burst: nothing half-written, nothing acknowledged lost."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from knowledge.loader import chunk_text

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = 30
PARAGRAPHS = 40  # 1,200 chunks: five batches of 256, so a kill after the first leaves most unwritten

INDEX_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from knowledge import indexer
    from knowledge.store import ChunkStore

    store = ChunkStore(path=Path(sys.argv[1]))
    upsert = store.upsert

    def reporting_upsert(chunks, vectors):
        upsert(chunks, vectors)
        print(f"stored {store.count()}", flush=True)

    store.upsert = reporting_upsert
    indexer.index_file(store, Path(sys.argv[2]), 50_000_000)
    print("done", flush=True)
    """
)


def _big_markdown() -> str:
    parts = ["# Synthetic corpus\n"]
    for s in range(SECTIONS):
        parts.append(f"\n## Section {s}\n")
        for p in range(PARAGRAPHS):
            parts.append(f"\nParagraph {p} of section {s} says fact number {s * PARAGRAPHS + p}.\n")
    return "".join(parts)


def _child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "ANONYMIZED_TELEMETRY": "False"}


def _kill_when(child: subprocess.Popen[str], ready: Callable[[str], bool], wait_s: float) -> list[str]:
    """Read the child's lines until ``ready`` says so, then SIGKILL it; bounded by ``wait_s``."""
    lines: list[str] = []
    assert child.stdout is not None
    watchdog = threading.Timer(wait_s, child.kill)  # a silent child cannot hang the test
    watchdog.start()
    try:
        for line in child.stdout:
            lines.append(line.strip())
            if ready(line.strip()):
                break
        child.send_signal(signal.SIGKILL)  # no clean-up, no atexit, no flush
    finally:
        watchdog.cancel()
        child.kill()
        child.wait()
    # Lines the child wrote before it died were acknowledged too, even if we had not read them yet.
    lines += [line.strip() for line in child.stdout.read().splitlines()]
    return lines


@pytest.mark.slow  # about a minute on 2 busy cores: 1,200 chunks embedded across two processes
def test_index_killed_midway_has_no_duplicate_or_half_chunk_and_reindex_completes_it(
    tmp_path: Path,
) -> None:
    source = tmp_path / "big.md"
    text = _big_markdown()
    source.write_text(text, encoding="utf-8")
    expected = chunk_text(text, source.name)
    assert len(expected) == SECTIONS * PARAGRAPHS

    chroma = tmp_path / "chroma"
    child = subprocess.Popen(
        [sys.executable, "-c", INDEX_CHILD, str(chroma), str(source)],
        stdout=subprocess.PIPE,
        text=True,
        env=_child_env(),
        cwd=ROOT,
    )
    lines = _kill_when(child, lambda line: line.startswith("stored"), wait_s=300)
    assert child.returncode == -signal.SIGKILL
    assert "done" not in lines and any(line.startswith("stored") for line in lines), lines

    from knowledge.indexer import index_file
    from knowledge.store import ChunkStore

    store = ChunkStore(path=chroma)
    survived = store.all_chunks()
    assert 0 < len(survived) < len(expected), "the kill did not land mid-way"
    ids = [c.id for c in survived]
    assert len(ids) == len(set(ids))
    assert len({(c.start, c.end) for c in survived}) == len(survived)
    expected_ids = {c.id for c in expected}
    for chunk in survived:
        assert chunk.id in expected_ids
        assert text[chunk.start : chunk.end] == chunk.text  # whole, never half-written

    report = index_file(store, source, 50_000_000)
    assert report.added == len(expected) - len(survived)
    assert report.unchanged == len(survived) and report.removed == 0 and report.updated == 0
    assert store.count() == len(expected)
    assert {c.id for c in store.all_chunks()} == expected_ids


FEEDBACK_CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from agent import Agent

    agent = Agent(home=Path(sys.argv[1]))
    reply = agent.chat("What is positional encoding?", user="alice", session="burst")
    i = 0
    while True:  # rate until killed
        event = agent.feedback(reply.id, score=1 if i % 2 else -1, comment=f"burst {i}",
                               correction=f"fix {i}" if i % 5 == 0 else None)
        print(f"ack {event.id} {i}", flush=True)
        i += 1
    """
)


def test_feedback_burst_through_the_agent_survives_sigkill(tmp_path: Path) -> None:
    home = tmp_path / "home"
    child = subprocess.Popen(
        [sys.executable, "-c", FEEDBACK_CHILD, str(home)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=_child_env(),
        cwd=ROOT,
    )
    acked: dict[int, int] = {}

    def ready(line: str) -> bool:
        if line.startswith("ack ") and len(line.split()) == 3:  # a line cut by the kill is no ack
            _, event_id, i = line.split()
            acked[int(event_id)] = int(i)
        return len(acked) >= 60

    lines = _kill_when(child, ready, wait_s=400)
    assert child.returncode == -signal.SIGKILL
    for line in lines:
        ready(line)  # every acknowledgement, including those still in the pipe at the kill
    assert len(acked) >= 60, "the child died before acknowledging a burst"

    db = sqlite3.connect(home / "feedback.sqlite3")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = {row[0]: row[1:] for row in db.execute("SELECT id, comment, score, user FROM events")}
        corrections = dict(db.execute("SELECT event_id, text FROM corrections").fetchall())
    finally:
        db.close()
    for event_id, i in acked.items():
        assert stored[event_id] == (f"burst {i}", 1 if i % 2 else -1, "alice"), event_id
        if i % 5 == 0:
            assert corrections[event_id] == f"fix {i}"
    # At most the one event being written at the kill is beyond the last acknowledgement.
    assert len(stored) - len(acked) in (0, 1)
