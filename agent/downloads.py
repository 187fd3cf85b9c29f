"""Download offers: a reply whose tool lacked its model offers a Download choice; picking it fetches.

Nothing is fetched until the user picks the choice (``Agent.stream_choice``). The pull itself is
``tools.model_pull`` (the one ``attentive models pull`` runs); here it runs on a thread of its own
and its progress comes back as ``progress`` StreamEvents, a few a second, for the page to draw.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Generator
from dataclasses import dataclass

from agent.types import Choice, StreamEvent
from tools.base import MissingModel
from tools.hub_env import human_bytes
from tools.model_pull import PullProgress, PullResult

BAR_CELLS = 20
SHOW_EVERY_S = 0.5  # progress lines per second a chat page can redraw without flicker


def download_choices(missing: list[tuple[str, MissingModel]], question: str) -> list[Choice]:
    """A Download choice per model a tool of this turn lacked; picking it fetches and asks ``question`` again."""
    choices = []
    for tool, model in missing:
        size = human_bytes(model.size_bytes) if model.size_bytes else "size unknown"
        gated = ", gated: needs HF_TOKEN" if model.gated else ""
        label = f"⬇ Download {model.repo_id.split('/')[-1]} ({size}{gated})"
        choices.append(Choice(label=label, message=question, intent=tool, download=model.repo_id))
    return choices


def progress_line(progress: PullProgress) -> str:
    """``⬇ stable-diffusion-v1-5 ▓▓▓▓▓░░░ 45% · 2.5 GB of 5.5 GB · file 3 of 14`` as a chat line."""
    filled = round(progress.fraction * BAR_CELLS)
    bar = "▓" * filled + "░" * (BAR_CELLS - filled)
    name = progress.repo_id.split("/")[-1]
    if progress.stage == "verify":
        return f"⬇ {name} {bar} checking {progress.file} against the Hub's hash…"
    return (
        f"⬇ {name} {bar} {progress.fraction:.0%} · {human_bytes(progress.bytes_done)} of "
        f"{human_bytes(progress.bytes_total)} · file {min(progress.files_done + 1, progress.files_total)} "
        f"of {progress.files_total}"
    )


@dataclass(frozen=True)
class DownloadOutcome:
    result: PullResult | None = None
    error: str | None = None


def download_events(repo_id: str) -> Generator[StreamEvent, None, DownloadOutcome]:
    """Pull ``repo_id`` on a thread, yielding progress lines; returns the result or the one-line error.

    If the consumer goes away (the page is closed) the pull still finishes or fails on its own,
    keeping what it fetched for the next pull to resume.
    """
    from tools import model_pull

    events: queue.Queue[tuple[str, object]] = queue.Queue()

    def work() -> None:
        try:
            plan = model_pull.fetch_plan(repo_id)
            events.put(("plan", plan))
            events.put(("done", model_pull.pull(plan, on_progress=lambda p: events.put(("progress", p)))))
        except model_pull.PullError as exc:
            events.put(("error", str(exc)))
        except Exception as exc:  # a download bug must reach the user as a message
            events.put(("error", f"the download failed: {type(exc).__name__}: {exc}"))

    threading.Thread(target=work, name="attentive-download", daemon=True).start()
    shown = 0.0
    while True:
        kind, value = events.get()
        if kind == "plan":
            plan = value
            assert isinstance(plan, model_pull.PullPlan)
            yield StreamEvent(
                "progress",
                text=f"⬇ Downloading {plan.repo_id}: {len(plan.files)} files, {human_bytes(plan.total_bytes)}…",
            )
        elif kind == "progress":
            assert isinstance(value, PullProgress)
            now = time.monotonic()
            if value.stage == "download" and now - shown < SHOW_EVERY_S:
                continue
            shown = now
            yield StreamEvent("progress", text=progress_line(value))
        elif kind == "done":
            assert isinstance(value, PullResult)
            return DownloadOutcome(result=value)
        else:
            return DownloadOutcome(error=str(value))
