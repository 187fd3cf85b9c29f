"""Answers before indexing: background work waits while anyone's answer is being made.

Indexing and answering share the CPU (2 cores), MiniLM (one encoder behind a lock) and Chroma (a write
holds up every query of the same client: 45 to 80 ms per write, measured). Before this, a 20,000-section
upload made every other user's answer take 5 to 7.6 s instead of 0.2 s. So an answer marks itself
(``answering``), and indexing calls ``yield_to_answers`` before each small step (a few texts embedded,
one batch written): while an answer is under way it waits, so an answer only ever waits for the one
step that was already running when it began.

Waiting is bounded (``MAX_WAIT_S``) so that a stream of answers with no gap between them slows indexing
down but never stops it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

MAX_WAIT_S = 2.0

_cond = threading.Condition()
_answering = 0


@contextmanager
def answering() -> Iterator[None]:
    """Mark an answer (a turn, a tool call) as under way: background steps wait until none is."""
    global _answering
    with _cond:
        _answering += 1
    try:
        yield
    finally:
        with _cond:
            _answering -= 1
            if not _answering:
                _cond.notify_all()


def yield_to_answers(max_wait: float = MAX_WAIT_S) -> float:
    """Wait until no answer is under way (at most ``max_wait`` seconds); returns the seconds waited."""
    started = time.monotonic()
    with _cond:
        _cond.wait_for(lambda: _answering == 0, timeout=max_wait)
    return time.monotonic() - started
