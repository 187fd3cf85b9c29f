"""Understanding what the user means, through the Python API: small talk, overviews, clarifying
questions answered by a choice, and messages that are not words at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from clarifying import clarifying_message

from agent.router import CLARIFY


@pytest.mark.parametrize("message", ["hello there", "thank you!", "How can you help me?"])
def test_small_talk_and_capabilities_get_a_friendly_reply_not_a_refusal(
    shared_agent: Any, message: str
) -> None:
    reply = shared_agent.chat(message, user="talker", session=message)
    assert "do not cover" not in reply.text and "do not mention" not in reply.text
    assert not reply.tool_calls and not reply.citations
    assert "notes" in reply.text.lower()  # it says what it can do


def test_an_overview_has_one_cited_bullet_per_section(shared_agent: Any, notes_text: str) -> None:
    reply = shared_agent.chat("Give me an overview of my notes", user="reader", session="overview")
    assert [c.name for c in reply.tool_calls] == ["notes_overview"]
    bullets = [line for line in reply.text.splitlines() if line.startswith("- ")]
    assert len(bullets) == len(reply.citations) >= 8
    assert len({c.section for c in reply.citations}) == len(reply.citations)
    for citation in reply.citations:
        assert notes_text[citation.start : citation.end] == citation.quote


def test_a_clarifying_question_offers_choices_and_a_pick_runs_the_chosen_intent(tmp_path: Path) -> None:
    from agent import Agent

    agent = Agent(home=tmp_path / "home")
    message = clarifying_message(agent)
    asked = agent.chat(message, user="ann", session="s")
    assert len(asked.choices) == 2 and not asked.tool_calls
    assert asked.to_dict()["choices"][0]["label"] == asked.choices[0].label
    picked = asked.choices[1]
    answer = agent.choose(asked.id, 1, user="ann")
    assert picked.intent in {c.name for c in answer.tool_calls}
    # The pick was a routing correction: the unclear message now goes straight there, for ann only,
    # and still after a restart.
    assert agent.router.decide(message, user="ann").tool == picked.intent
    restarted = Agent(home=tmp_path / "home")
    assert restarted.router.decide(message, user="ann").tool == picked.intent
    assert restarted.router.decide(message, user="bob").intent == CLARIFY


def test_a_choice_of_someone_elses_reply_is_refused(tmp_path: Path) -> None:
    from agent import Agent

    agent = Agent(home=tmp_path / "home")
    asked = agent.chat(clarifying_message(agent), user="ann", session="s")
    with pytest.raises(ValueError, match="not one of 'mallory'"):
        agent.choose(asked.id, 0, user="mallory")
    with pytest.raises(ValueError, match="choice must be 0..1"):
        agent.choose(asked.id, 5, user="ann")
    plain = agent.chat("What is self-attention?", user="ann", session="s")
    with pytest.raises(ValueError, match="nothing to choose"):
        agent.choose(plain.id, 0, user="ann")
    with pytest.raises(ValueError, match="not one of"):
        agent.choose("r-unknown", 0, user="ann")


@pytest.mark.parametrize(
    "message",
    [
        "?!?!...",
        "🙂🙂🙂🎉",
        "Показать attention для 'Кот сидел на ковре' please",
        "注意力 is what in transformers?",
        "attention " * 2_000,
        "'" * 20_000,
    ],
    ids=["punctuation", "emoji", "mixed-scripts", "cjk", "20k-words", "20k-quotes"],
)
def test_hostile_messages_get_a_reply_never_an_exception(shared_agent: Any, message: str) -> None:
    reply = shared_agent.chat(message, user="fuzzer", session="hostile")
    assert reply.text.strip()
