"""Answers while someone's large upload indexes: `python -m bench.bench_uploads` (`--only uploads`).

The workload of issue 19: one user uploads a 1.2 MB Markdown file of 20,000 short sections while three
other users keep asking about the bundled notes through the Python API, each question new (so no answer
is sped up by the embedding cache), each user pausing about ``THINK_S`` between an answer and the next
question, as a person reading would. Bar: answer latency p95 while the upload indexes at most 2x the
idle p95 of the same run. Before answers took priority (``knowledge.priority``) it was 5 to 7.6 s
against 0.2 s idle.

Idle and busy are measured in alternating windows of ``phase_s`` seconds (the upload held between two
of its own steps during an idle window), so both see the same load from the rest of a shared machine;
an answer counts for the window it started in. The upload is stopped after the last window (indexing
is crash-safe, so that is cheap) unless ``finish`` is set.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.bench_load import p95

THINK_S = 1.0  # mean pause between an answer and the next question (exponential, seeded per user): pacing
USERS = 3
SECTIONS = 20_000
# Lead-ins that make each asked question a text never embedded before, as a real user's is.
LEAD_INS = (
    "",
    "Quick question, ",
    "Remind me, ",
    "I wonder, ",
    "Sorry, ",
    "Please, ",
    "Help me out, ",
    "One more thing, ",
    "Next, ",
    "Also, ",
    "Hmm, ",
)


class Questions:
    """Distinct questions about the bundled notes, handed out once each to all users of a phase."""

    def __init__(self, bases: list[str], lead_ins: tuple[str, ...]) -> None:
        self._items = [f"{lead}{q[0].lower() if lead else q[0]}{q[1:]}" for lead in lead_ins for q in bases]
        random.Random(0).shuffle(self._items)
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            if not self._items:
                raise RuntimeError("the question pool ran out: lengthen it or shorten the window")
            return self._items.pop()


def answerable(agent: Any) -> list[str]:
    """The search tool's own example questions that the bundled notes answer with a citation on their own
    (follow-ups such as "What sizes does it come in?" need an earlier question): asked once here, which
    also warms the models and the passages' sentence vectors, as a running server has them."""
    from tools.notes_search import TOOL

    kept = []
    for example in TOOL.examples:
        if agent.chat(example.text, user="warm", session=f"warm-{len(kept)}").citations:
            kept.append(example.text)
    return kept


class _Stop(Exception):
    """Raised from the progress callback to stop the upload at the end of the window."""


@dataclass
class Upload:
    """The large upload's progress, as its progress callback saw it."""

    done: int = 0
    total: int = 0
    started: float = 0.0
    finished: float | None = None
    error: str | None = None
    stop: threading.Event = field(default_factory=threading.Event)
    running: threading.Event = field(default_factory=threading.Event)  # cleared: held between two steps


def large_document(folder: Path, sections: int = SECTIONS) -> Path:
    """About 1.2 MB: ``sections`` short sections, each one heading and one sentence."""
    path = folder / "bulk-upload.md"
    lines = [f"# Item {i}\n\nItem {i} is kept in bin {i % 97} of rack {i % 13}.\n\n" for i in range(sections)]
    path.write_text("".join(lines), encoding="utf-8")
    return path


def ask_until(agent: Any, user: str, questions: Questions, stop: threading.Event, phase: Phase) -> None:
    """Ask in a loop until ``stop``; pauses are random (a Poisson reader), so users do not ask in lockstep."""
    pause = random.Random(user)
    n = 0
    while not stop.is_set():
        question = questions.next()
        busy = phase.busy
        started = time.perf_counter()
        try:
            reply = agent.chat(question, user=user, session=f"bench-{n}")
            if not reply.citations:
                phase.errors.append(f"{question!r}: no citation")
        except Exception as exc:  # counted, never hidden
            phase.errors.append(f"{question!r}: {exc}")
        (phase.busy_latencies if busy else phase.idle_latencies).append(time.perf_counter() - started)
        n += 1
        stop.wait(pause.expovariate(1 / THINK_S))


@dataclass
class Phase:
    """Which window the run is in, and the answer latencies of each kind of window."""

    busy: bool = False
    idle_latencies: list[float] = field(default_factory=list)
    busy_latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def start_upload(agent: Any, path: Path, upload: Upload) -> threading.Thread:
    from knowledge.types import IndexProgress

    def progress(step: IndexProgress) -> None:
        upload.done, upload.total = step.done, step.total
        upload.running.wait()  # an idle window: held here, between two steps, doing nothing
        if upload.stop.is_set():
            raise _Stop

    def work() -> None:
        upload.started = time.perf_counter()
        try:
            report = agent.index([path], progress=progress, user="uploader")
            upload.error = "; ".join(report.errors) or None
            upload.finished = time.perf_counter()
        except _Stop:
            pass

    thread = threading.Thread(target=work, name="bench-upload")
    thread.start()
    return thread


def run(cycles: int = 6, phase_s: float = 10, finish: bool = False) -> list[dict[str, Any]]:
    """``cycles`` pairs of windows (the upload indexing, then held), ``phase_s`` seconds each."""
    from agent import Agent

    with tempfile.TemporaryDirectory(prefix="attentive-uploads-") as tmp:
        agent = Agent(home=Path(tmp) / "home")
        document = large_document(Path(tmp))
        size = document.stat().st_size
        bases = answerable(agent)
        phase, upload, stop = Phase(), Upload(), threading.Event()
        questions = Questions(bases, LEAD_INS)
        users = [
            threading.Thread(target=ask_until, args=(agent, f"user-{i}", questions, stop, phase))
            for i in range(USERS)
        ]
        for user in users:
            user.start()
        stop.wait(phase_s)  # the users settle into their pace before the first window counts
        phase.idle_latencies.clear()
        upload.running.set()
        phase.busy = True
        worker = start_upload(agent, document, upload)
        for cycle in range(cycles):
            if cycle:
                upload.running.set()
                phase.busy = True
            stop.wait(phase_s)
            phase.busy = False
            upload.running.clear()
            stop.wait(phase_s)
        stop.set()
        for user in users:
            user.join()
        in_window = upload.done
        if not finish:
            upload.stop.set()
        upload.running.set()
        worker.join()
    idle_p95, busy_p95 = p95(phase.idle_latencies), p95(phase.busy_latencies)
    ratio = busy_p95 / idle_p95
    note = (
        f"{USERS} users, {THINK_S:g} s between questions on average, each question new; {cycles} x "
        f"({phase_s:g} s indexing, {phase_s:g} s idle); {len(phase.idle_latencies)} answers idle, "
        f"{len(phase.busy_latencies)} while indexing; {len(phase.errors)} answers without a citation or "
        f"failed; load average {os.getloadavg()[0]:.1f}"
    )
    return [
        {"name": "answer p95, idle", "value": round(idle_p95, 3), "unit": "s", "note": note},
        {
            "name": "answer p95, while a 20,000-section upload indexes",
            "value": round(busy_p95, 3),
            "unit": "s",
        },
        {
            "name": "p95 while indexing / idle p95",
            "value": round(ratio, 2),
            "unit": "x",
            "target": "<= 2",
            "met": ratio <= 2.0,
        },
        {
            "name": "upload indexing, steps done while indexing",
            "value": in_window,
            "unit": "steps",
            "note": f"of {upload.total} (1 read + one per chunk) in {cycles * phase_s:g} s; "
            f"file {size / 1e6:.1f} MB"
            + (f"; finished in {upload.finished - upload.started:.0f} s" if upload.finished else "")
            + (f"; errors: {upload.error}" if upload.error else ""),
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=6, help="pairs of windows: indexing, then idle")
    parser.add_argument("--phase", type=float, default=10, help="seconds per window")
    parser.add_argument("--finish", action="store_true", help="let the upload finish and report its time")
    args = parser.parse_args()
    for row in run(args.cycles, args.phase, args.finish):
        print(f"{row['name']}: {row['value']} {row['unit']} {row.get('note', '')}")


if __name__ == "__main__":
    main()
