"""The one time-limit runner: workers are reused, a stuck one never blocks the next call."""

from __future__ import annotations

import threading

import pytest

from tools.deadline import run_with_deadline


class Late(Exception):
    pass


def test_calls_in_turn_reuse_one_worker_thread() -> None:
    """llama.cpp's OpenMP team belongs to its calling thread: a new thread per call rebuilt it each time."""
    first = run_with_deadline(threading.get_ident, 5, Late)
    assert run_with_deadline(threading.get_ident, 5, Late) == first != threading.get_ident()


def test_a_stuck_call_times_out_and_the_next_call_still_runs() -> None:
    release = threading.Event()
    with pytest.raises(Late):
        run_with_deadline(lambda: release.wait(30), 0.05, Late)
    try:
        assert run_with_deadline(lambda: 42, 5, Late) == 42
    finally:
        release.set()


def test_the_works_exception_reaches_the_caller() -> None:
    def fail() -> None:
        raise ValueError("bad input")

    with pytest.raises(ValueError, match="bad input"):
        run_with_deadline(fail, 5, Late)
