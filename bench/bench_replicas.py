"""Several replicas, one state: two `attentive ui` processes on one PostgreSQL and one Chroma server.

The bars (issue 18), all from one run on the same machine:

* two replicas, 10 users each, through the chat page's own HTTP interface (``bench.page_client``), every
  follow-up sent to the other replica than its question: 0 errors, 0 replies crossing users, every
  acknowledged rating stored exactly once;
* the pair's throughput at least 1.3x one replica's on the same load (20 users on one page first);
* the state's share of a turn (LangGraph checkpointer plus feedback store calls, timed inside one
  process) on PostgreSQL at most 10 ms over SQLite at the median, same questions, turns interleaved.

Everything runs on this machine: the servers, both replicas and the load generator, whose own CPU
use is reported (cores = its CPU seconds / wall seconds), because on 2 cores it competes with them.
"""

from __future__ import annotations

import os
import resource
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.bench_load import UserLog, run_page_load, write_topics
from bench.servers import ATTENTIVE, ChromaServer, PostgresServer, Replica, share_identity_key

USERS_PER_REPLICA = 10
SPEEDUP_TARGET = 1.3
OVERHEAD_TARGET_MS = 10.0
STORE_METHODS = (
    "get_reply", "replies", "scores", "add_reply", "add_event", "get_event", "events", "add_correction",
    "corrections", "add_chunk_prefs", "chunk_prefs", "routes", "add_choice", "mark_promoted",
    "load_state", "save_state",
)  # fmt: skip
SAVER_METHODS = ("get_tuple", "put", "put_writes", "list")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class CpuMeter:
    """CPU seconds of each server process tree (a replica, Chroma, PostgreSQL) and of this load generator."""

    def __init__(self, pids: dict[str, int]) -> None:
        import psutil

        self._trees = {name: psutil.Process(pid) for name, pid in pids.items()}
        self._start = self._now()

    def _now(self) -> dict[str, float]:
        import psutil

        taken = {"load generator": _cpu_seconds()}
        for name, root in self._trees.items():
            total = 0.0
            for process in [root, *root.children(recursive=True)]:
                try:
                    times = process.cpu_times()
                    total += times.user + times.system
                except psutil.Error:  # a worker that ended between the listing and the reading
                    continue
            taken[name] = total
        return taken

    def cores(self, wall: float) -> str:
        """Each part's CPU use since the meter started, in cores (CPU seconds per wall second)."""
        end = self._now()
        return ", ".join(f"{name} {(end[name] - self._start[name]) / wall:.2f}" for name in end)


def _load_row(name: str, logs: list[UserLog], wall: float, cores: str) -> dict[str, Any]:
    answers = sum(len(log.latencies) for log in logs)
    return {
        "name": name,
        "value": round(answers / wall, 2),
        "unit": "answers/s",
        "note": f"{len(logs)} users, {wall:.0f} s, {answers} answers; cores used: {cores}",
    }


def _stored_once(database_url: str, home: Path, logs: list[UserLog]) -> tuple[int, int, list[str]]:
    """(acknowledged ratings, stored events of those users, problems): each acknowledged reply's event once."""
    from agent.feedback.store import FeedbackStore
    from agent.state import parse_database_url

    store = FeedbackStore(parse_database_url(database_url, home))
    try:
        users = {log.page_user for log in logs}
        stored = [e.reply_id for e in store.events() if e.user in users]
    finally:
        store.close()
    acked = [r for log in logs for r in log.acked_replies]
    problems = [f"reply {r} stored {stored.count(r)} times" for r in acked if stored.count(r) != 1]
    problems += [f"reply {r} stored but never acknowledged" for r in set(stored) - set(acked)]
    return len(acked), len(stored), problems


def replica_rows(
    work: Path, postgres: PostgresServer, chroma: ChromaServer, seconds: float
) -> list[dict[str, Any]]:
    """One replica under 20 users, then two replicas under 20 users (10 each): the load bars."""
    import subprocess

    database = postgres.create_database("replicas")
    env = {"ATTENTIVE_DATABASE_URL": database, "ATTENTIVE_CHROMA_URL": chroma.url, "ATTENTIVE_N_THREADS": "1"}
    a, b = Replica(work / "home-a", env), Replica(work / "home-b", env)
    share_identity_key(a.home, b.home)
    operator = {**os.environ, **env, "ATTENTIVE_HOME": str(work / "operator")}
    rows: list[dict[str, Any]] = []
    try:
        a.start()
        b.start()
        subprocess.run(
            [str(ATTENTIVE), "index", str(write_topics(work))], env=operator, check=True, capture_output=True
        )
        run_page_load([a.url, b.url], 2, 1)  # warm both pages (first-turn model loads are not load)

        users = 2 * USERS_PER_REPLICA
        pids = {"replica A": a.pid, "replica B": b.pid, "Chroma": chroma.pid, "PostgreSQL": postgres.pid}
        meter = CpuMeter(pids)
        single, single_wall = run_page_load([a.url], users, seconds)
        rows.append(_load_row("one replica: throughput", single, single_wall, meter.cores(single_wall)))

        meter = CpuMeter(pids)
        pair, pair_wall = run_page_load([a.url, b.url], users, seconds)
        rows.append(_load_row("two replicas: throughput", pair, pair_wall, meter.cores(pair_wall)))

        speedup = (rows[1]["value"] / rows[0]["value"]) if rows[0]["value"] else 0.0
        rows.append(
            {
                "name": "two replicas / one replica throughput",
                "value": round(speedup, 2),
                "unit": "x",
                "target": f">= {SPEEDUP_TARGET}x",
                "met": speedup >= SPEEDUP_TARGET,
                "note": f"same 20 users, same machine ({os.cpu_count()} cores for everything)",
            }
        )
        for label, logs in (("one replica", single), ("two replicas", pair)):
            errors = [e for log in logs for e in log.errors]
            crossings = [c for log in logs for c in log.crossings]
            acked, stored, problems = _stored_once(database, work, logs)
            rows.append(
                {
                    "name": f"{label}: errors, crossings, ratings not stored exactly once",
                    "value": f"{len(errors)} / {len(crossings)} / {len(problems)}",
                    "target": "0 / 0 / 0",
                    "met": not errors and not crossings and not problems,
                    "note": f"{acked} ratings acknowledged, {stored} stored"
                    + (
                        f"; first problem: {(errors + crossings + problems)[0][:160]}"
                        if errors or crossings or problems
                        else ""
                    ),
                }
            )
    finally:
        a.stop()
        b.stop()
    return rows


# --- the state's share of a turn ------------------------------------------------------------------------


class StateClock:
    """Time spent inside the checkpointer's and the feedback store's methods (outermost calls only)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._depth = threading.local()

    def wrap(self, owner: Any, names: tuple[str, ...]) -> None:
        for name in names:
            setattr(owner, name, self._timed(getattr(owner, name)))

    def _timed(self, method: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            depth = getattr(self._depth, "n", 0)
            self._depth.n = depth + 1
            started = time.perf_counter()
            try:
                result = method(*args, **kwargs)
                if hasattr(result, "__next__"):  # list() is a generator: time its consumption too
                    result = list(result)
                return result
            finally:
                self._depth.n = depth
                if depth == 0:
                    self.seconds += time.perf_counter() - started

        return timed

    @contextmanager
    def measuring(self) -> Iterator[list[float]]:
        taken: list[float] = []
        before = self.seconds
        yield taken
        taken.append(self.seconds - before)


def overhead_rows(work: Path, postgres: PostgresServer, turns: int) -> list[dict[str, Any]]:
    """The same conversation turns on a SQLite data home and on PostgreSQL, interleaved."""
    from agent import Agent
    from agent.settings import load_settings

    agents = {
        "SQLite": Agent(settings=load_settings(home=work / "overhead-sqlite")),
        "PostgreSQL": Agent(
            settings=load_settings(
                home=work / "overhead-pg", database_url=postgres.create_database("overhead")
            )
        ),
    }
    clocks: dict[str, StateClock] = {}
    for name, agent in agents.items():
        agent.index([write_topics(work)])
        clock = clocks[name] = StateClock()
        clock.wrap(agent.feedback_service.store, STORE_METHODS)
        clock.wrap(agent._graph.checkpointer, SAVER_METHODS)
    state: dict[str, list[float]] = {name: [] for name in agents}
    whole: dict[str, list[float]] = {name: [] for name in agents}
    feedback: dict[str, list[float]] = {name: [] for name in agents}
    for i in range(turns):
        for name, agent in agents.items():
            for question in ("What is a zarquon?", "What is it made of?"):
                with clocks[name].measuring() as taken:
                    started = time.perf_counter()
                    reply = agent.chat(question, user=f"u{i % 5}", session=f"s{i}")
                    whole[name].append(time.perf_counter() - started)
                state[name] += taken
            started = time.perf_counter()
            agent.feedback(reply.id, 1 if i % 2 else -1, comment="too long" if i % 3 == 0 else None)
            feedback[name].append(time.perf_counter() - started)
    p50 = {name: statistics.median(values) * 1000 for name, values in state.items()}
    extra = p50["PostgreSQL"] - p50["SQLite"]
    note = f"{2 * turns} turns each, interleaved; whole turn p50 " + ", ".join(
        f"{name} {statistics.median(v) * 1000:.0f} ms" for name, v in whole.items()
    )
    return [
        {"name": f"state time per turn, {name} (p50)", "value": round(value, 1), "unit": "ms", "note": note}
        for name, value in p50.items()
    ] + [
        {
            "name": "state overhead per turn, PostgreSQL over SQLite (p50)",
            "value": round(extra, 1),
            "unit": "ms",
            "target": f"<= {OVERHEAD_TARGET_MS:.0f} ms",
            "met": extra <= OVERHEAD_TARGET_MS,
            "note": "checkpointer and feedback-store calls timed inside the turn",
        },
        *(
            {
                "name": f"one feedback event, {name} (p50)",
                "value": round(statistics.median(values) * 1000, 1),
                "unit": "ms",
                "note": "validate, store and learn, committed",
            }
            for name, values in feedback.items()
        ),
    ]


def run(seconds: float = 60, quick: bool = False) -> list[dict[str, Any]]:
    """Rows for BENCHMARKS.md: the load bars first, then the per-turn overhead."""
    if quick:
        seconds = min(seconds, 15)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="attentive-replicas-") as tmp:
        work = Path(tmp)
        postgres = PostgresServer()
        chroma = ChromaServer(work / "chroma")
        postgres.start()
        chroma.start()
        try:
            rows += replica_rows(work, postgres, chroma, seconds)
            rows += overhead_rows(work, postgres, turns=10 if quick else 50)
        finally:
            chroma.stop()
            postgres.close()
    return rows


if __name__ == "__main__":
    from bench.bench_load import _main

    _main(run)
