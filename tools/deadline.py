"""One way to wait for work with a time limit, for the agent's tool calls and the Hub's requests.

The work runs on a daemon worker thread, so a stalled call (a Hub that never answers, a tool stuck in
a native library) can neither hang the caller nor keep the process alive at exit. Workers are reused:
llama.cpp's OpenMP team belongs to the thread that calls it, and a new thread per call built a new team
each time, which halved generate_text's tokens/s through the agent (52 vs 99 raw, bench agent_loop).
A stuck worker is simply never idle again; the next call gets another one. The caller's context
variables go with the work, so LangChain callbacks inside it still find their run.
"""

from __future__ import annotations

import contextvars
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
_idle = 0
_idle_lock = threading.Lock()


def _work() -> None:
    global _idle
    while True:
        job = _jobs.get()
        with _idle_lock:
            _idle -= 1
        job()
        with _idle_lock:
            _idle += 1


def _submit(job: Callable[[], None]) -> None:
    global _idle
    with _idle_lock:
        if _idle == 0:  # every worker is busy (or stuck): one more
            threading.Thread(target=_work, name="deadline-worker", daemon=True).start()
            _idle += 1
    _jobs.put(job)


def run_with_deadline(work: Callable[[], T], seconds: float, timed_out: Callable[[], BaseException]) -> T:
    """``work()``'s result or exception; ``timed_out()`` is raised when it has not finished in ``seconds``."""
    box: dict[str, Any] = {}
    done = threading.Event()
    context = contextvars.copy_context()

    def run() -> None:
        try:
            box["value"] = context.run(work)
        except BaseException as exc:  # handed back to the caller below
            box["error"] = exc
        finally:
            done.set()

    _submit(run)
    if not done.wait(seconds):
        raise timed_out()
    if "error" in box:
        raise box["error"]
    return box["value"]
