"""The chat's Download offer: a reply whose model is missing offers it; only a click fetches it.

A real Agent asks generate_text for a Hub model that is not cached; the recorded Hub server
serves that model's files. Picking the Download choice pulls it with progress events and asks
the request again, which now runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.types import StreamEvent
from agent.ui.render import TurnView
from bench.recorded_hub import HubServer, build_tiny_gpt2, hub_server_fixture, serve_model

TINY = "attentive-test/tiny-gpt2"
ASK = f"Use {TINY} to write a sentence about attention, at most 20 tokens"


@pytest.fixture(scope="module")
def tiny_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_gpt2(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture
def hub(tiny_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[HubServer]:
    import huggingface_hub.constants

    for state in hub_server_fixture():
        serve_model(state, TINY, tiny_folder)
        monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
        monkeypatch.setenv("HF_ENDPOINT", state.url)
        for name in ("HF_HUB_CACHE", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
        yield state


def _file_gets(hub: HubServer) -> list[dict]:
    return [r for r in hub.requests if r.get("file") and r["method"] == "GET"]


def test_a_missing_model_is_offered_and_fetched_only_when_picked(
    shared_agent: object, hub: HubServer, tmp_path: Path
) -> None:
    reply = shared_agent.chat(ASK, user="downloader", session="s1")
    call = reply.tool_calls[0]
    assert (
        call.name == "generate_text" and not call.ok and "not in the local Hugging Face cache" in call.error
    )
    offers = [c for c in reply.choices if c.download]
    assert [c.download for c in offers] == [TINY]
    assert "Download tiny-gpt2" in offers[0].label and offers[0].message == ASK
    assert hub.requests == []  # offering is not fetching

    index = reply.choices.index(offers[0])
    events = list(shared_agent.stream_choice(reply.id, index, user="downloader"))
    lines = [e.text for e in events if e.kind == "progress"]
    assert lines[0].startswith(f"⬇ Downloading {TINY}: 5 files")
    assert any("100%" in line for line in lines) and lines[-1].startswith(f"✅ {TINY} is ready")
    assert {r["file"] for r in _file_gets(hub)} == set(hub.repos[TINY].files)
    answer = events[-1].reply
    again = answer.tool_calls[0]
    assert again.name == "generate_text" and again.ok, again.error
    assert answer.text.strip() and again.args["model"] == TINY
    assert not [c for c in answer.choices if c.download]  # nothing left to offer


def test_a_failed_download_says_why_and_offers_it_again(
    shared_agent: object, hub: HubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    reply = shared_agent.chat(ASK, user="offline-user", session="s1")
    index = next(i for i, c in enumerate(reply.choices) if c.download)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    events = list(shared_agent.stream_choice(reply.id, index, user="offline-user"))
    failed = events[-1].reply
    assert failed.text.startswith(f"The download of {TINY} did not finish: offline mode is on")
    assert [c.download for c in failed.choices] == [TINY]
    assert _file_gets(hub) == []
    monkeypatch.delenv("HF_HUB_OFFLINE")
    retried = list(shared_agent.stream_choice(failed.id, 0, user="offline-user"))
    assert retried[-1].reply.tool_calls[0].ok


def test_the_page_draws_the_latest_progress_line_above_the_answer(tmp_path: Path) -> None:
    view = TurnView("t1", tmp_path)
    view.add(StreamEvent("progress", text="⬇ tiny-gpt2 ▓▓░░ 10%"))
    view.add(StreamEvent("progress", text="⬇ tiny-gpt2 ▓▓▓▓ 100%"))
    assert view.messages() == [{"role": "assistant", "content": "⬇ tiny-gpt2 ▓▓▓▓ 100%"}]
