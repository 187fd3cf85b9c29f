"""Every limit has a setting, is enforced, and says what the limit is.

Message length, comment length and the tool time limit are tested where they
live (test_api, test_feedback_service, test_loop); this file covers the rest
and proves each ``ATTENTIVE_*`` variable reaches its setting.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.tools import ToolException

from agent.settings import load_settings

LIMITS = {
    "max_message_chars": "1234",
    "max_upload_bytes": "4096",
    "max_history_messages": "7",
    "max_steps": "3",
    "tool_timeout_s": "2.5",
    "max_new_tokens": "64",
    "max_comment_chars": "99",
    "max_chunks_per_document": "321",
    "max_chunks_per_user": "654",
}


@pytest.mark.parametrize(("name", "value"), LIMITS.items())
def test_each_limit_is_set_by_its_environment_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(f"ATTENTIVE_{name.upper()}", value)
    assert str(getattr(load_settings(), name)) == value


def test_uploads_over_the_byte_limit_are_refused_with_the_limit(tmp_path: Path) -> None:
    from knowledge.notes import NotesKnowledge

    knowledge = NotesKnowledge(tmp_path / "home", max_bytes=100, index_bundled=False)
    big, small = tmp_path / "big.md", tmp_path / "small.md"
    big.write_text("# Big\n" + "Attention weighs every token. " * 10, encoding="utf-8")
    small.write_text("# Small\nA kernel slides over an image.\n", encoding="utf-8")
    report = knowledge.index([big, small])
    assert report.added == 1
    assert len(report.errors) == 1 and "over the 100-byte limit" in report.errors[0]
    assert knowledge.store.sources() == ["small.md"]


def test_the_agent_applies_its_upload_limit(shared_agent: Any) -> None:
    assert shared_agent.knowledge.max_bytes == shared_agent.settings.max_upload_bytes


def test_tool_token_requests_above_the_setting_are_refused_with_the_cap(
    shared_agent: Any, tmp_path: Path
) -> None:
    from agent.toolset import call_tool
    from tools.base import ToolContext

    (generate,) = [d for d in shared_agent.declarations if d.name == "generate_text"]
    with pytest.raises(ToolException) as refused:
        call_tool(
            generate, ToolContext(tmp_path, max_new_tokens=8), {"prompt": "Hi.", "max_new_tokens": 50}, 30
        )
    message = str(refused.value)
    assert "max_new_tokens must be at most 8, got 50" in str(message)


def test_the_chat_model_stops_at_its_token_cap() -> None:
    from agent.backends import load_chat_model

    model = load_chat_model("llamacpp:embedded", n_threads=1, max_tokens=5)
    reply = model.invoke("Write a very long story about a dragon and a knight.")
    assert reply.response_metadata.get("finish_reason") == "length"  # stopped by the cap, not by choice
    assert 0 < len(reply.content.split()) <= 5


@dataclass
class _Request:
    messages: list[Any]

    def override(self, messages: list[Any]) -> _Request:
        return _Request(messages)


def test_only_the_last_history_messages_reach_the_model() -> None:
    from agent.loop import HistoryCap

    messages: list[Any] = [SystemMessage("sys")]
    for i in range(30):
        messages += [HumanMessage(f"q{i}"), AIMessage(f"a{i}")]
    seen: list[list[Any]] = []
    HistoryCap(6).wrap_model_call(_Request(messages), lambda r: seen.append(r.messages))
    (sent,) = seen
    assert [m.content for m in sent] == ["sys", "q27", "a27", "q28", "a28", "q29", "a29"]
