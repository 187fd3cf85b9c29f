"""The Python API contract that every front end relies on."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent import Agent, Reply


def test_chat_returns_a_cited_reply_from_the_notes(shared_agent: Agent) -> None:
    reply = shared_agent.chat("What is positional encoding?", user="alice", session="api-1")
    assert isinstance(reply, Reply)
    assert reply.id and reply.text.strip()
    assert reply.citations, reply.text
    assert any("Positional Encoding" in c.section for c in reply.citations)
    assert [t.name for t in reply.tool_calls] == ["search_notes"]
    assert all(t.ok and t.seconds > 0 for t in reply.tool_calls)


def test_citations_quote_the_source_exactly(shared_agent: Agent, notes_text: str) -> None:
    reply = shared_agent.chat("What was GPT-2 trained on?", user="alice", session="api-2")
    assert reply.citations
    for citation in reply.citations:
        assert citation.source == "study-notes.md"
        assert notes_text[citation.start : citation.end] == citation.quote
    markers = {int(m) for m in __import__("re").findall(r"\[(\d+)\]", reply.text)}
    assert markers == set(range(1, len(reply.citations) + 1))


def test_reply_ids_are_unique(shared_agent: Agent) -> None:
    ids = {shared_agent.chat("What is a neuron?", user="bob", session=f"ids-{i}").id for i in range(3)}
    assert len(ids) == 3


def test_stream_yields_tool_events_tokens_and_finally_the_reply(shared_agent: Agent) -> None:
    events = list(shared_agent.stream("What is self-attention?", user="carol", session="stream-1"))
    kinds = [e.kind for e in events]
    assert kinds[-1] == "reply" and kinds.count("reply") == 1
    assert "tool_start" in kinds and "tool_end" in kinds
    assert kinds.index("tool_start") < kinds.index("tool_end")
    tokens = "".join(e.text for e in events if e.kind == "token")
    reply = events[-1].reply
    assert reply is not None and tokens.strip() == reply.text.strip()
    start = next(e for e in events if e.kind == "tool_start")
    assert start.tool is not None and start.tool.name == "search_notes" and start.tool.args["query"]


def test_feedback_on_unknown_reply_raises_value_error(shared_agent: Agent) -> None:
    with pytest.raises(ValueError, match="unknown reply"):
        shared_agent.feedback("r-does-not-exist", score=1)


def test_feedback_score_must_be_plus_or_minus_one(shared_agent: Agent) -> None:
    reply = shared_agent.chat("What is a loss function?", user="dave", session="fb")
    with pytest.raises(ValueError, match="score"):
        shared_agent.feedback(reply.id, score=0)
    shared_agent.feedback(reply.id, score=1)


@pytest.mark.parametrize("message", ["", "   ", "\n\t"])
def test_empty_messages_get_a_helpful_reply(shared_agent: Agent, message: str) -> None:
    reply = shared_agent.chat(message, user="erin", session="empty")
    assert "Ask me" in reply.text
    assert reply.tool_calls == [] and reply.citations == []


def test_over_long_messages_are_refused_with_the_limit(shared_agent: Agent) -> None:
    reply = shared_agent.chat("a" * 20_001, user="erin", session="long")
    assert "20,000" in reply.text
    assert reply.tool_calls == []


def test_index_and_forget_through_the_api(fresh_agent: Agent, tmp_path: Path) -> None:
    doc = tmp_path / "kernels.md"
    doc.write_text(
        "# Kernels\n## Convolution\nA convolution slides a small kernel over an image.\n", encoding="utf-8"
    )
    report = fresh_agent.index([doc])
    assert report.added == 1 and not report.errors
    reply = fresh_agent.chat("What does a convolution slide over an image?", user="f", session="k")
    assert any(c.source == "kernels.md" for c in reply.citations)
    assert fresh_agent.index([doc]).added == 0
    assert fresh_agent.forget("kernels.md") == 1
    reply = fresh_agent.chat("What does a convolution slide over an image?", user="f", session="k2")
    assert not any(c.source == "kernels.md" for c in reply.citations)


def test_nothing_is_written_outside_the_data_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    outside = tmp_path / "outside"
    outside.mkdir()
    agent = Agent(home=home)
    agent.chat("What is self-attention?", user="g", session="s")
    assert list(outside.iterdir()) == []
    assert (
        (home / "chroma").is_dir()
        and (home / "memory.sqlite3").exists()
        and (home / "feedback.sqlite3").exists()
    )


def test_home_defaults_to_the_environment_setting(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from agent.settings import load_settings

    monkeypatch.setenv("ATTENTIVE_HOME", str(tmp_path / "env-home"))
    assert load_settings().home == tmp_path / "env-home"
    assert load_settings(home=tmp_path / "arg").home == tmp_path / "arg"


def test_stream_can_be_resumed_on_other_threads(shared_agent: Agent) -> None:
    """Gradio resumes generators on whichever worker thread is free; a turn must survive that."""
    import threading

    events = shared_agent.stream("What is self-attention?", user="threads", session="t")
    got: list = []

    def step() -> None:
        got.append(next(events, None))

    while not got or got[-1] is not None:
        worker = threading.Thread(target=step)
        worker.start()
        worker.join()
    replies = [e.reply for e in got if e is not None and e.kind == "reply"]
    assert len(replies) == 1 and replies[0].citations


def test_history_gives_each_question_with_its_whole_reply(shared_agent: Agent) -> None:
    from agent.types import HistoryEntry

    question = "What is positional encoding?"
    reply = shared_agent.chat(question, user="history", session="h1")
    (entry,) = shared_agent.history("history", "h1")
    assert isinstance(entry, HistoryEntry) and entry.question == question
    assert (entry.reply.id, entry.reply.text) == (reply.id, reply.text)
    assert entry.reply.citations == reply.citations and reply.citations
    assert [t.name for t in entry.reply.tool_calls] == ["search_notes"]
    assert shared_agent.history("history", "another-session") == []


def test_sources_and_figures_survive_a_restart_of_the_agent(fresh_agent: Agent) -> None:
    reply = fresh_agent.chat("show me attention in 'The cat sat on the mat'", user="h", session="s")
    assert reply.citations and reply.artifacts
    (entry,) = Agent(home=fresh_agent.home).history("h", "s")
    assert entry.reply.citations == reply.citations
    assert entry.reply.artifacts == reply.artifacts and entry.reply.artifacts[0].path.is_file()
