"""Many users at once: throughput and p95 latency through the Python API and the chat page's HTTP API.

Each simulated user owns one invented topic (a made-up device made of one
material), asks about it, asks a follow-up that only its own memory can resolve
("What is it made of?"), and rates the answer. Made-up names mean any answer
that mentions another user's device or material crossed between users. The
same workload backs ``tests/test_load.py``, which asserts the isolation; this
module measures it.
"""

from __future__ import annotations

import re
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NAMES = [
    "zarquon", "blimfax", "quorvex", "trindlewort", "mopsuvan", "glarnic", "fezzik", "wumbrel",
    "plonkett", "snorvil", "yattering", "krellix", "dworpin", "vuzzle", "hobbrin", "jaxtrom",
    "ulverine", "nexolith", "brambock", "tizzlord",
]  # fmt: skip
MATERIALS = [
    "copper", "glass", "bamboo", "granite", "wool", "silk", "marble", "cedar", "tin", "clay",
    "amber", "bronze", "cotton", "ivory", "jade", "leather", "linen", "oak", "pewter", "quartz",
]  # fmt: skip
TOO_LONG = "right, but too long: shorter please"


def topics_markdown() -> str:
    """One section per user: the device's name and material appear nowhere else."""
    sections = [
        f"## The {name} device\n\nA {name} is a fictional device. Every {name} is made of {material}."
        for name, material in zip(NAMES, MATERIALS, strict=True)
    ]
    return "# Load topics\n\n" + "\n\n".join(sections) + "\n"


def write_topics(folder: Path) -> Path:
    path = folder / "load-topics.md"
    path.write_text(topics_markdown(), encoding="utf-8")
    return path


def foreign_words(i: int) -> re.Pattern[str]:
    """Any other user's device or material, as whole words."""
    words = [w for j, pair in enumerate(zip(NAMES, MATERIALS, strict=True)) if j != i for w in pair]
    return re.compile(r"\b(" + "|".join(words) + r")\b", re.I)


@dataclass
class UserLog:
    """What one simulated user saw; the test reads it, the benchmark times it."""

    index: int
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    crossings: list[str] = field(default_factory=list)
    acked_events: list[int] = field(default_factory=list)
    acked_replies: list[str] = field(default_factory=list)  # through the page: the replies rated
    styles: list[str] = field(default_factory=list)
    cycles: int = 0
    page_user: str = ""  # through the page: the user id the page issued to this browser

    @property
    def user(self) -> str:
        return f"user{self.index:02d}"


def _check_reply(log: UserLog, reply: Any, follow_up: bool) -> None:
    name, material = NAMES[log.index], MATERIALS[log.index]
    if foreign_words(log.index).search(reply.text):
        log.crossings.append(f"reply mentions another user's topic: {reply.text[:200]!r}")
    for citation in reply.citations:
        if citation.source == "load-topics.md" and name not in citation.section:
            log.crossings.append(f"cited another user's section {citation.section!r}")
    if follow_up and material not in reply.text:
        log.crossings.append(f"follow-up did not resolve to {name}: {reply.text[:200]!r}")


def api_user(agent: Any, log: UserLog, deadline: float) -> None:
    """Ask, follow up, rate, until the deadline (at least one full cycle)."""
    name = NAMES[log.index]
    # Even users like the answer but find it too long; odd users simply like it. Both are +1: a -1
    # would also (rightly) demote the cited passage for that user, and the next identical question
    # would then be answered from another user's device, which this workload counts as a crossing.
    score, comment = 1, (TOO_LONG if log.index % 2 == 0 else None)
    try:
        while log.cycles == 0 or time.monotonic() < deadline:
            session = f"load-{log.cycles}"
            for question, follow_up in ((f"What is a {name}?", False), ("What is it made of?", True)):
                started = time.perf_counter()
                reply = agent.chat(question, user=log.user, session=session)
                log.latencies.append(time.perf_counter() - started)
                log.styles.append(reply.style)
                _check_reply(log, reply, follow_up)
            event = agent.feedback(reply.id, score=score, comment=comment)
            log.acked_events.append(int(event.id))
            for entry in agent.history(log.user, session):
                if foreign_words(log.index).search(entry.question):
                    log.crossings.append(f"history holds another user's question {entry.question!r}")
            log.cycles += 1
    except Exception as exc:  # recorded, so the test can show every failure at once
        log.errors.append(f"{type(exc).__name__}: {exc}")


def run_users(
    user: Callable[[Any, UserLog, float], None], target: Any, users: int, seconds: float
) -> tuple[list[UserLog], float]:
    """``users`` threads each running ``user(target, log, deadline)``; returns the logs and the wall time."""
    logs = [UserLog(i) for i in range(users)]
    deadline = time.monotonic() + seconds
    threads = [threading.Thread(target=user, args=(target, log, deadline)) for log in logs]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return logs, time.perf_counter() - started


def run_api_load(agent: Any, users: int, seconds: float) -> tuple[list[UserLog], float]:
    """``users`` threads through ``Agent``."""
    return run_users(api_user, agent, users, seconds)


def http_user(url: str, log: UserLog, deadline: float) -> None:
    """One gradio_client session calling the page's public ``search_notes`` endpoint."""
    from gradio_client import Client

    name, material = NAMES[log.index], MATERIALS[log.index]
    try:
        client = Client(url, verbose=False, httpx_kwargs={"timeout": 120}, analytics_enabled=False)
        while log.cycles == 0 or time.monotonic() < deadline:
            started = time.perf_counter()
            text = client.predict(f"What is a {name} made of?", api_name="/search_notes")
            log.latencies.append(time.perf_counter() - started)
            if material not in text or foreign_words(log.index).search(text):
                log.crossings.append(f"answer about {name} was {text[:200]!r}")
            log.cycles += 1
    except Exception as exc:
        log.errors.append(f"{type(exc).__name__}: {exc}")


def run_http_load(url: str, users: int, seconds: float) -> tuple[list[UserLog], float]:
    """``users`` gradio_client sessions against a running page."""
    return run_users(http_user, url, users, seconds)


def page_user(urls: list[str], log: UserLog, deadline: float) -> None:
    """One person's browser on the chat page itself (``bench.page_client``): ask, follow up, rate.

    With two pages (replicas) the question goes to one and the follow-up to the other, turn and turn
    about, so the follow-up is resolved only if the memory is shared; the rating goes to the page that
    showed the answer, as a click would. Even users say "Too long", odd users like the answer.
    """
    from bench.page_client import Browser, PageClient, recorded

    name = NAMES[log.index]
    browser = Browser()
    try:
        while log.cycles == 0 or time.monotonic() < deadline:
            session = f"load-{log.cycles}"
            first = (log.index + log.cycles) % len(urls)
            tabs = [PageClient(urls[(first + k) % len(urls)], session, browser) for k in range(2)]
            answer = None
            for tab, (question, follow_up) in zip(
                tabs, ((f"What is a {name}?", False), ("What is it made of?", True)), strict=True
            ):
                started = time.perf_counter()
                answer = tab.ask(question)
                log.latencies.append(time.perf_counter() - started)
                if answer.failed:
                    log.errors.append(answer.text)
                    break
                _check_page_answer(log, answer.text + answer.sources, follow_up)
            if answer is not None and not answer.failed:
                status = tabs[1].rate(answer, "Too long" if log.index % 2 == 0 else True)
                if recorded(status):
                    log.acked_replies.append(answer.reply_id)
                else:
                    log.errors.append(f"rating not recorded: {status}")
            log.page_user = browser.user
            log.cycles += 1
    except Exception as exc:
        log.errors.append(f"{type(exc).__name__}: {exc}")
    finally:
        browser.close()


def _check_page_answer(log: UserLog, shown: str, follow_up: bool) -> None:
    """The page's answer (text and its sources) against the user's own topic, as ``_check_reply`` does."""
    if foreign_words(log.index).search(shown):
        log.crossings.append(f"answer mentions another user's topic: {shown[:200]!r}")
    if follow_up and MATERIALS[log.index] not in shown:
        log.crossings.append(f"follow-up did not resolve to {NAMES[log.index]}: {shown[:200]!r}")


def run_page_load(urls: list[str], users: int, seconds: float) -> tuple[list[UserLog], float]:
    """``users`` browsers on the chat page at ``urls`` (one page, or several replicas of it)."""
    return run_users(page_user, urls, users, seconds)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve(agent: Any, **options: Any) -> tuple[Any, str]:
    """The chat page on a free loopback port (``options``: auth, mcp, ...); returns (app, url)."""
    from agent.ui.app import launch

    port = free_port()
    demo = launch(host="127.0.0.1", port=port, agent=agent, block=False, **options)
    return demo, f"http://127.0.0.1:{port}/"


def p95(values: list[float]) -> float:
    import numpy as np

    return float(np.percentile(values, 95)) if values else float("nan")


def _rows(interface: str, logs: list[UserLog], wall: float, unit_name: str) -> list[dict[str, Any]]:
    latencies = [x for log in logs for x in log.latencies]
    errors = sum(len(log.errors) for log in logs)
    crossings = sum(len(log.crossings) for log in logs)
    note = f"{len(logs)} users, {wall:.0f} s, {errors} errors, {crossings} crossings"
    return [
        {
            "name": f"{interface}: throughput",
            "value": round(len(latencies) / wall, 2),
            "unit": unit_name,
            "note": note,
        },
        {"name": f"{interface}: p95 latency", "value": round(p95(latencies), 2), "unit": "s", "note": note},
    ]


def run(seconds: float = 60, api_users: int = 20, http_users: int = 10) -> list[dict[str, Any]]:
    """Both loads on one Agent with the topics indexed; rows for BENCHMARKS.md."""
    from agent import Agent

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="attentive-load-") as tmp:
        agent = Agent(home=Path(tmp) / "home")
        agent.index([write_topics(Path(tmp))])
        logs, wall = run_api_load(agent, api_users, seconds)
        rows += _rows("Python API", logs, wall, "answers/s")
        demo, url = serve(agent)
        try:
            logs, wall = run_http_load(url, http_users, seconds)
        finally:
            demo.close()
        rows += _rows("Gradio HTTP API (search_notes)", logs, wall, "answers/s")
    return rows


def _main(run_fn: Callable[..., list[dict[str, Any]]] = run) -> None:
    for row in run_fn():
        print(f"{row['name']}: {row['value']} {row['unit']} ({row['note']})")


if __name__ == "__main__":
    _main()
