"""The intent router on the project's routing set and the held-out conversation set, and its online learning."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from agent.conversational import CONVERSATIONAL
from agent.router import CLARIFY, IntentRouter
from bench import DATA
from knowledge.embeddings import embed
from tools.arguments import arguments_match
from tools.registry import discover

ROUTING = yaml.safe_load((DATA / "routing.yaml").read_text(encoding="utf-8"))
CONVERSATIONS = yaml.safe_load((DATA / "conversations.yaml").read_text(encoding="utf-8"))
DECLARATIONS = discover()
BY_NAME = {d.name: d for d in DECLARATIONS}


@pytest.fixture(scope="module")
def router() -> IntentRouter:
    return IntentRouter(embed, DECLARATIONS)


def test_the_routing_set_covers_every_tool() -> None:
    assert len(ROUTING) >= 60
    assert {item["tool"] for item in ROUTING} <= set(BY_NAME)


def test_the_router_has_no_cue_tables() -> None:
    source = (Path(__file__).parents[1] / "agent" / "router.py").read_text(encoding="utf-8")
    assert "CUES" not in source and not re.search(r"re\.compile\(r\"[^\"]*\\b(?:show|write|draw)", source)


def test_tool_choice_on_the_routing_set(router: IntentRouter) -> None:
    wrong = [
        (i["message"], router.decide(i["message"]).intent)
        for i in ROUTING
        if router.decide(i["message"]).intent != i["tool"]
    ]
    assert 1 - len(wrong) / len(ROUTING) >= 0.95, wrong


def test_intents_on_the_held_out_conversation_set(router: IntentRouter) -> None:
    """Messages written from categories, never seen in training: the bar is 0.97."""
    assert len(CONVERSATIONS) >= 60
    wrong = [
        (i["message"], i["intent"], router.decide(i["message"]).intent)
        for i in CONVERSATIONS
        if router.decide(i["message"]).intent != i["intent"]
    ]
    assert 1 - len(wrong) / len(CONVERSATIONS) >= 0.97, wrong


def test_arguments_of_the_held_out_set_are_read_off_the_messages() -> None:
    with_args = [i for i in CONVERSATIONS if i.get("args")]
    wrong = [
        (i["message"], BY_NAME[i["intent"]].extract(i["message"]))
        for i in with_args
        if not arguments_match(i["args"], BY_NAME[i["intent"]].extract(i["message"]))
    ]
    assert len(wrong) <= len(with_args) * 0.1, wrong


def test_every_declared_example_gives_the_arguments_it_shows() -> None:
    """The examples teach the router and appear on the chat page: each must extract what it claims."""
    wrong = [
        (d.name, e.text, d.extract(e.text))
        for d in DECLARATIONS
        for e in d.examples
        if e.args and not arguments_match(e.args, d.extract(e.text))
    ]
    assert not wrong


@pytest.mark.parametrize("message", ["hello there", "thank you!", "good morning!", "bye for now"])
def test_small_talk_gets_a_friendly_reply_that_says_what_the_agent_can_do(
    router: IntentRouter, message: str
) -> None:
    decision = router.decide(message)
    assert decision.intent == "small_talk" and not decision.calls
    assert "notes do not cover" not in decision.reply


def test_what_can_you_do_lists_every_tool_with_an_example(router: IntentRouter) -> None:
    decision = router.decide("How can you help me?")
    assert decision.intent == "capabilities"
    for declaration in DECLARATIONS:
        assert declaration.name in decision.reply and declaration.showcase in decision.reply


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("What is the difference between online and batch learning?", "search_notes"),
        ("Why does positional encoding matter?", "search_notes"),
        ("Can I see positional encoding in action?", "positional_encoding_demo"),
        ("Write a poem about a painter's picture", "generate_text"),
        ("Write a letter to my landlord about a broken heater", "generate_text"),
        ("Paint a picture of a letter on a desk", "generate_image"),
        ("Say 'draw me a cat' out loud", "generate_audio"),
        ("Give me an overview of my notes", "notes_overview"),
        ("I read https://example.org/heads - how does self-attention weigh tokens?", "search_notes"),
        ("Read this aloud: attention lets every token look at every other", "generate_audio"),
    ],
)
def test_explain_show_and_write_are_told_apart_whatever_the_nouns(
    router: IntentRouter, message: str, intent: str
) -> None:
    assert router.decide(message).intent == intent


def test_unsure_messages_fall_back_to_the_notes_or_ask(router: IntentRouter) -> None:
    decision = router.decide("zxqv blorp")
    assert decision.intent in ("search_notes", CLARIFY, "small_talk")
    assert decision.tool in ("search_notes", None)


def test_close_intents_get_a_clarifying_question_with_two_choices(router: IntentRouter) -> None:
    """Whatever message it happens on, a clarification offers the two most likely intents."""
    asked = [
        router.decide(m) for m in ("online vs batch learning", "positional encoding plot or explanation")
    ]
    for decision in asked:
        if decision.intent != CLARIFY:
            continue
        assert len(decision.choices) == 2 and decision.reply.endswith("Pick one below.")
        assert [c.intent for c in decision.choices] == [name for name, _ in decision.ranked[:2]]


def test_hub_and_notes_together_give_two_tool_calls(router: IntentRouter) -> None:
    decision = router.decide("Look gpt2 up on the Hub and compare it with what the notes say")
    assert [name for name, _ in decision.calls] == ["hub_lookup", "search_notes"]
    assert decision.calls[0][1] == {"model_id": "gpt2"}


def test_a_learned_correction_changes_only_that_users_routing(router: IntentRouter) -> None:
    message = "do the thing with the heat squares"
    before = router.decide(message, user="zoe").tool
    assert before != "attention_demo"
    router.learn(message, "attention_demo", user="zoe")
    assert router.decide("do the thing with the heat squares again", user="zoe").tool == "attention_demo"
    assert router.decide("do the thing with the heat squares again", user="yan").tool == before
    router.forget_user("zoe")
    assert router.decide(message, user="zoe").tool == before


def test_classify_reads_the_tool_out_of_a_complaint(router: IntentRouter) -> None:
    assert router.classify("no, I wanted the attention picture") == "attention_demo"
    assert router.classify("I wanted you to look it up on the Hugging Face hub") == "hub_lookup"


def test_a_forced_tool_is_called_whatever_the_message_says(router: IntentRouter) -> None:
    decision = router.decide("hello there", allowed=["training_demo"], must_call=True)
    assert decision.tool == "training_demo"


def test_conversational_intents_are_not_tools() -> None:
    assert not {c.name for c in CONVERSATIONAL} & set(BY_NAME)


@pytest.mark.parametrize(
    "message",
    [
        "?!?!",
        "🙂🙂🙂",
        "Показать attention для 'Кот сидел на ковре'",
        "注意力是什么?",
        "x" * 20_000,
        "'" * 500,
    ],
)
def test_hostile_messages_get_a_decision_not_an_exception(router: IntentRouter, message: str) -> None:
    decision = router.decide(message)
    assert decision.calls or decision.reply
