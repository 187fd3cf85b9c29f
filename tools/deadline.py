"""One way to wait for work with a time limit, for the agent's tool calls and the Hub's requests.

The work runs on a daemon thread, so a stalled call (a Hub that never answers, a tool stuck in a
native library) can neither hang the caller nor keep the process alive at exit. The caller's context
variables go with it, so LangChain callbacks inside the work still find their run.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


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

    threading.Thread(target=run, name="deadline", daemon=True).start()
    if not done.wait(seconds):
        raise timed_out()
    if "error" in box:
        raise box["error"]
    return box["value"]
