"""What the tests that open the chat page share: a page on a free port, Chromium's flags, asking.

One place for each, so the browser's flags, the port picking and "wait until answered" cannot drift
apart between test files (they had: four copies of the port helper, two of the browser fixture). The
browser itself is the ``browser`` fixture in ``conftest.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench.bench_load import serve

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ANSWER_TIMEOUT_MS = 120_000  # CPU-only models on a shared machine: generous, never a timing assertion


@contextmanager
def running_page(agent: Any, **launch: Any) -> Iterator[SimpleNamespace]:
    """The chat page over ``agent`` on a free loopback port (``launch``: auth, mcp, ...), closed afterwards."""
    demo, url = serve(agent, **launch)
    try:
        yield SimpleNamespace(url=url.rstrip("/"), home=agent.home, agent=agent, page=demo.attentive_page)
    finally:
        demo.close()


def ask(page: Any, question: str) -> None:
    """Send a question and wait until its answer is complete (the status line says so)."""
    from playwright.sync_api import expect

    answers = page.locator("#chat .bot-row").count()
    box = page.locator("#message textarea")
    box.fill(question)
    box.press("Enter")
    expect(page.locator("#chat .bot-row")).to_have_count(answers + 1, timeout=30_000)
    status = page.locator("#answer-status")
    expect(status).to_contain_text(re.compile("Answered|Failed"), timeout=ANSWER_TIMEOUT_MS)
    expect(status).to_contain_text("Answered", timeout=1)


def shot(page: Any, test_output: Path, name: str) -> None:
    """A full-page screenshot under test-output/, for a person to look at."""
    page.screenshot(path=str(test_output / f"ui-{name}.png"), full_page=True)
