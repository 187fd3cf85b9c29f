"""The embedding router on the project's routing set, and its online learning."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from agent.arguments import arguments_match, extract, model_ids, quoted
from agent.router import EmbeddingRouter
from knowledge.embeddings import embed

ROUTING = yaml.safe_load((Path(__file__).parent / "data" / "routing.yaml").read_text(encoding="utf-8"))
TOOLS = {
    "search_notes",
    "attention_demo",
    "positional_encoding_demo",
    "training_demo",
    "online_learning_demo",
    "hub_lookup",
    "generate_text",
    "generate_image",
    "generate_audio",
}


@pytest.fixture(scope="module")
def router() -> EmbeddingRouter:
    return EmbeddingRouter(embed)


def test_the_routing_set_covers_every_tool() -> None:
    assert len(ROUTING) >= 60
    assert {item["tool"] for item in ROUTING} == TOOLS


def test_tool_choice_on_the_routing_set(router: EmbeddingRouter) -> None:
    wrong = [
        (i["message"], router.route(i["message"]).tool)
        for i in ROUTING
        if router.route(i["message"]).tool != i["tool"]
    ]
    assert 1 - len(wrong) / len(ROUTING) >= 0.95, wrong


def test_argument_extraction_on_the_routing_set() -> None:
    with_args = [i for i in ROUTING if i.get("args")]
    wrong = [
        (i["message"], extract(i["tool"], i["message"]))
        for i in with_args
        if not arguments_match(i["args"], extract(i["tool"], i["message"]))
    ]
    assert 1 - len(wrong) / len(with_args) >= 0.90, wrong


def test_unsure_messages_fall_back_to_search_notes(router: EmbeddingRouter) -> None:
    assert router.route("zxqv blorp").tool == "search_notes"


def test_hub_and_notes_together_give_two_tool_calls(router: EmbeddingRouter) -> None:
    route = router.route("Look gpt2 up on the Hub and compare it with what the notes say")
    assert [name for name, _ in route.calls] == ["hub_lookup", "search_notes"]
    assert route.calls[0][1] == {"model_id": "gpt2"}


def test_a_learned_correction_changes_only_that_users_routing(router: EmbeddingRouter) -> None:
    message = "do the thing with the heat squares"
    before = router.route(message, user="zoe").tool
    assert before != "attention_demo"
    router.learn(message, "attention_demo", user="zoe")
    assert router.route("do the thing with the heat squares again", user="zoe").tool == "attention_demo"
    assert router.route("do the thing with the heat squares again", user="yan").tool == before
    router.forget_user("zoe")
    assert router.route(message, user="zoe").tool == before


def test_classify_reads_the_tool_out_of_a_complaint(router: EmbeddingRouter) -> None:
    assert router.classify("no, I wanted the attention picture") == "attention_demo"
    assert router.classify("I wanted you to look it up on the Hugging Face hub") == "hub_lookup"


def test_quoted_and_model_id_helpers() -> None:
    assert quoted("Say 'hello world' and \"bye\"") == ["hello world", "bye"]
    assert model_ids("compare EleutherAI/gpt-neo-125m with gpt2") == ["EleutherAI/gpt-neo-125m", "gpt2"]
