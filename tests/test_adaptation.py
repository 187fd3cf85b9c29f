"""Feedback changes that user's later answers at once, survives restarts, and never reaches other users."""

from __future__ import annotations

from pathlib import Path

from agent import Agent


def _words(text: str) -> int:
    return len(text.split())


def test_too_long_makes_the_next_answers_at_most_60_percent(tmp_path: Path) -> None:
    agent = Agent(home=tmp_path / "home")
    first = agent.chat("How does training work?", user="ann", session="s")
    agent.feedback(first.id, score=-1, comment="Too long, please be brief.")
    again = agent.chat("How does training work?", user="ann", session="s2")
    assert _words(again.text) <= 0.6 * _words(first.text), (first.text, again.text)
    assert {c.chunk_id for c in again.citations} <= {
        c.chunk_id for c in first.citations
    }  # same passage, shorter
    other = agent.chat("How does training work?", user="ben", session="s")
    assert _words(other.text) == _words(first.text)  # ben's answers did not change


def test_more_detail_makes_answers_longer_again(tmp_path: Path) -> None:
    agent = Agent(home=tmp_path / "home")
    first = agent.chat("What is self-attention?", user="cat", session="s")
    agent.feedback(first.id, score=-1, comment="too long")
    short = agent.chat("What is self-attention?", user="cat", session="s")
    agent.feedback(short.id, score=-1, comment="too short, I want more detail")
    long = agent.chat("What is self-attention?", user="cat", session="s")
    assert _words(long.text) > _words(short.text)


def test_a_correction_is_used_later_survives_restart_and_stays_private(tmp_path: Path) -> None:
    home = tmp_path / "home"
    agent = Agent(home=home)
    reply = agent.chat("What was GPT-2 trained on?", user="dan", session="s")
    agent.feedback(reply.id, score=-1, correction="GPT-2's WebText was built from pages linked on Reddit.")
    restarted = Agent(home=home)
    later = restarted.chat("What data was GPT-2 trained on?", user="dan", session="s9")
    assert later.text.startswith(
        "You corrected this earlier: GPT-2's WebText was built from pages linked on Reddit."
    )
    other = restarted.chat("What data was GPT-2 trained on?", user="eve", session="s9")
    assert "Reddit" not in other.text


def test_saying_the_wrong_tool_ran_teaches_the_router(tmp_path: Path) -> None:
    agent = Agent(home=tmp_path / "home")
    message = "do the thing with the heat squares"
    first = agent.chat(message, user="fay", session="s")
    assert first.tool_calls[0].name != "attention_demo"
    agent.feedback(first.id, score=-1, comment="no, I wanted the attention picture")
    again = agent.chat(message, user="fay", session="s")
    assert again.tool_calls[0].name == "attention_demo"
    assert again.artifacts and again.artifacts[0].kind == "image"
    assert agent.chat(message, user="gus", session="s").tool_calls[0].name == first.tool_calls[0].name
