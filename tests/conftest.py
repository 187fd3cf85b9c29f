"""Shared fixtures: an isolated data home per test session, and one warm Agent.

The environment is set before anything imports the stack, so no test can
write outside its temporary folders or reach for the network.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_SESSION_HOME = Path(tempfile.mkdtemp(prefix="attentive-test-home-"))
os.environ["ATTENTIVE_HOME"] = str(_SESSION_HOME / "default-home")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

OUTPUT = Path(__file__).resolve().parent.parent / "test-output"


@pytest.fixture(scope="session")
def test_output() -> Path:
    """Where tests keep what a person may want to look at (screenshots, reports)."""
    OUTPUT.mkdir(exist_ok=True)
    return OUTPUT


@pytest.fixture(scope="session")
def shared_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """One Agent for tests that only read: building it once keeps the suite fast."""
    from agent import Agent

    yield Agent(home=tmp_path_factory.mktemp("shared-home"))


@pytest.fixture
def fresh_agent(tmp_path: Path) -> object:
    from agent import Agent

    return Agent(home=tmp_path / "home")


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty Hugging Face cache, offline: a model is in it only if the test puts it there."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="session")
def notes_text() -> str:
    from knowledge.loader import bundled_notes_path

    return bundled_notes_path().read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium through Playwright, one per test module."""
    from page_support import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "install Debian's chromium first: apt-get install -y chromium (as root)"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
