"""Progress for long commands: one rich bar (count, elapsed, ETA) or a spinner, always on stderr.

stdout carries only results, so ``attentive index --json`` and friends stay parseable while a person
at a terminal watches the bar; lines printed to stderr while it runs appear above it. Off a terminal (a pipe, CI) rich draws nothing while it runs and
prints the bar's last state once when it ends; a spinner prints nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal


class Bar:
    """One task of a rich ``Progress``: set where it is, or move it on."""

    def __init__(self, progress: Any, task: Any) -> None:
        self._progress = progress
        self._task = task

    def update(
        self, done: float | None = None, total: float | None = None, description: str | None = None
    ) -> None:
        self._progress.update(self._task, completed=done, total=total, description=description)

    def advance(self, steps: float = 1, description: str | None = None) -> None:
        self._progress.update(self._task, advance=steps, description=description)

    def print(self, text: str) -> None:
        """A line above the bar (on stderr), for what happened to one item."""
        self._progress.console.print(text, markup=False, highlight=False)


@contextmanager
def progress_bar(
    description: str, total: float | None = None, unit: Literal["items", "bytes"] = "items"
) -> Iterator[Bar]:
    """A bar on stderr for the duration of the block; ``total=None`` until the amount of work is known.

    ``unit="bytes"`` counts a download: sizes (kB, MB, GB) and speed instead of "3/10".
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    counted = (DownloadColumn(), TransferSpeedColumn()) if unit == "bytes" else (MofNCompleteColumn(),)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        *counted,
        TimeElapsedColumn(),
        TextColumn("eta"),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        redirect_stdout=False,  # stdout is for results: never routed through the stderr bar
    )
    with progress:
        yield Bar(progress, progress.add_task(description, total=total))


@contextmanager
def spinner(text: str) -> Iterator[Any]:
    """A spinner with what is happening on stderr; ``.update(text)`` says what happens next."""
    from rich.console import Console

    with Console(stderr=True).status(text) as status:
        yield status
