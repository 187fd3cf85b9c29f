"""Questions that span sections: each part is retrieved on its own and a passage is quoted for each."""

from __future__ import annotations

import statistics
import time

import pytest
import yaml

from agent import Agent
from bench import DATA
from knowledge.answer import AnswerStyle, answer_sentences
from knowledge.loader import plain_text
from knowledge.notes import NotesKnowledge
from knowledge.text import MAX_FRAMED_CHARS, question_clauses, shape_of

QA = yaml.safe_load((DATA / "qa.yaml").read_text(encoding="utf-8"))
DETAILED = AnswerStyle.named("detailed")

# question -> a substring of the section each part lives in
MULTI = {
    "How do neurons relate to training?": ["neurons and layers", "training work conceptually"],
    "How do positional encoding and self-attention work together?": ["Positional Encoding", "Self-Attention"],
    "Compare batch and online learning": ["Online Learning vs Batch Learning"],
    "What's the difference between neurons and layers?": ["neurons and layers"],
    "How are transformers related to generative AI?": ["> Transformers", "What is Generative AI?"],
    "How does self-attention differ from positional encoding?": ["Self-Attention", "Positional Encoding"],
    "Adaptive AI vs generative AI": ["Adaptive AI", "What is Generative AI?"],
    "Compare training with adaptive AI": ["training work conceptually", "Adaptive AI"],
    # Several questions in one message: each clause is a part of its own.
    "What is a neuron, and how does backpropagation adjust it?": [
        "neurons and layers",
        "training work conceptually",
    ],
    "Why must AI adapt after deployment, and how does online learning update a model?": [
        "AI must adopt after deployment",
        "Online Learning vs Batch Learning",
    ],
    "How does positional encoding work together with self-attention?": [
        "Positional Encoding",
        "Self-Attention",
    ],
    # Distinction is comparing too: both sides are explained, not the one nearest the question's wording.
    "What separates self-attention from positional encoding?": ["Self-Attention", "Positional Encoding"],
    "What sets transformers apart from generative AI?": ["> Transformers", "What is Generative AI?"],
    "Are neurons and layers the same thing?": ["neurons and layers"],
}


@pytest.fixture(scope="module")
def knowledge(shared_agent: Agent) -> NotesKnowledge:
    return shared_agent.knowledge


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("How do neurons relate to training?", ("neurons", "training")),
        (
            "How do positional encoding and self-attention work together?",
            ("positional encoding", "self-attention"),
        ),
        ("Compare batch and online learning", ("batch learning", "online learning")),
        ("What's the difference between neurons and layers?", ("neurons", "layers")),
        ("How are transformers related to generative AI?", ("transformers", "generative AI")),
        ("Compare GPT-2 with Bark", ("GPT-2", "Bark")),
        ("GPT-2 versus GPT-Neo", ("GPT-2", "GPT-Neo")),
        ("What is the difference between input and output layers?", ("input layers", "output layers")),
        ("How does training work?", ("training",)),
        ("What values do weights and biases have before training starts?", None),
        ("Which organisation built GPT-Neo and why?", ("GPT-Neo",)),
        ("What is a token, and how does it become a vector?", ("token",)),
        # comparing by distinction, each verb family in more than one grammatical frame
        ("What distinguishes GPT-2 from Bark?", ("GPT-2", "Bark")),
        ("which feature differentiates encoders and decoders", ("encoders", "decoders")),
        ("What makes dropout different from weight decay?", ("dropout", "weight decay")),
        ("What keeps a tokenizer separate from a model?", ("tokenizer", "model")),
        ("How do you tell GPT-2 and GPT-Neo apart?", ("GPT-2", "GPT-Neo")),
        ("How could one distinguish bias from variance?", ("bias", "variance")),
        ("In what ways are RNNs and transformers alike?", ("RNNs", "transformers")),
        ("To what degree does Bark differ from GPT-2?", ("Bark", "GPT-2")),
        ("Is a token the same as a word?", ("token", "word")),
        ("does dropout differ from pruning", ("dropout", "pruning")),
        ("What do encoders and decoders have in common?", ("encoders", "decoders")),
        ("What is the overlap between RNNs and transformers?", ("RNNs", "transformers")),
        ("How do GPT-2 and Bark relate to one another?", ("GPT-2", "Bark")),
        ("dropout as opposed to pruning — which is simpler?", ("dropout", "pruning")),
        ("How are precision and recall related?", ("precision", "recall")),
        ("How is a CNN the same as an MLP?", ("CNN", "MLP")),
        ("How does one layer relate to another?", ("one layer",)),
        ("How can I tell apart GPT-2 and Bark?", ("GPT-2", "Bark")),
        ("How do I distinguish between encoders and decoders?", ("encoders", "decoders")),
        ("Can you tell the difference between GPT-2 and Bark?", ("GPT-2", "Bark")),
        ("Is there a difference between dropout and pruning?", ("dropout", "pruning")),
        # the same words that do not set two things side by side
        ("What makes transformers so powerful?", None),
        ("How can I tell if a model is overfitting?", None),
        ("Is positional encoding needed for self-attention?", None),
        ("Do weights and biases change during training?", None),
        ("Does the loss stay the same as training goes on?", None),
        ("Are weights and biases the same size in every layer?", None),
        ("Is the loss different with and without dropout?", None),
        ("Which function separates positive and negative inputs?", None),
        ("How can we separate training and test data?", None),
        ("Why do transformers, unlike RNNs, run in parallel?", None),
        ("Which layer separates the input from the output?", None),
        ("How do people distinguish signal and noise in data?", ("signal", "noise in data")),
    ],
)
def test_the_parts_of_a_question(question: str, parts: tuple[str, ...] | None) -> None:
    shape = shape_of(question)
    if parts is None:
        assert not shape.multi  # free-form "and" joins words, not topics
    else:
        assert shape.parts == parts


@pytest.mark.parametrize(
    ("message", "clauses"),
    [
        (
            "What is a token, and how does it become a vector?",
            ["What is a token", "how does it become a vector"],
        ),
        ("GPT-2 vs Bark - which is bigger?", ["GPT-2 vs Bark", "which is bigger"]),
        # an aside between two dashes is read past; any other dash before a question word joins one on
        ("GPT-2 - which OpenAI released - how big is it?", ["GPT-2 how big is it"]),
        (
            "What is a transformer - how does it work - and who made it?",
            ["What is a transformer", "how does it work", "who made it"],
        ),
    ],
)
def test_the_questions_a_message_joins(message: str, clauses: list[str]) -> None:
    assert question_clauses(message) == clauses


def test_a_long_message_is_not_read_for_a_frame() -> None:
    """The frames' lazy subjects grow with the square of a message's length: frames read short ones only."""
    message = "is " + "a and " * 3300 + "a related to b?"  # 19,800 characters, under the 20,000 limit
    shape = shape_of(message)
    assert not shape.framed and len(message) > MAX_FRAMED_CHARS


@pytest.mark.parametrize("question", list(MULTI))
def test_each_part_is_quoted_from_its_own_section(knowledge: NotesKnowledge, question: str) -> None:
    found = knowledge.answer(question, DETAILED)
    sections = [c.section for c in found.answer.citations]
    assert found.answer.in_scope and found.answer.text, question
    for expected in MULTI[question]:
        assert any(expected in s for s in sections), (expected, sections)


def test_a_passage_is_quoted_for_each_named_part(knowledge: NotesKnowledge) -> None:
    quotes = [c.quote for c in knowledge.answer("Compare GPT-2 with Bark", DETAILED).answer.citations]
    assert any("GPT-2" in q for q in quotes) and any("Bark" in q for q in quotes), quotes


def test_one_passage_that_covers_both_parts_is_quoted_once(knowledge: NotesKnowledge) -> None:
    answer = knowledge.answer("Compare batch and online learning", DETAILED).answer
    assert len(answer.citations) == 1
    assert "Batch learning" in answer.text and "online learning" in answer.text


@pytest.mark.parametrize("style", ["brief", "detailed"])
def test_multi_part_sentences_are_quotes_of_their_citations(knowledge: NotesKnowledge, style: str) -> None:
    for question in MULTI:
        answer = knowledge.answer(question, AnswerStyle.named(style)).answer
        quotes = [" ".join(plain_text(c.quote).split()) for c in answer.citations]
        for sentence in answer_sentences(answer.text):
            assert any(sentence in q for q in quotes), (question, sentence)
        assert len(answer.sentences) <= max(AnswerStyle.named(style).max_sentences, 2 * len(MULTI[question]))


def test_a_part_the_notes_lack_is_named(knowledge: NotesKnowledge) -> None:
    found = knowledge.answer("Compare RNNs and transformers", DETAILED)
    assert found.answer.absent == ("RNNs",) and not found.answer.citations


def test_grounded_answers_stay_fast(knowledge: NotesKnowledge) -> None:
    questions = [item["question"] for item in QA["in_scope"]] + list(MULTI)
    for question in questions:
        knowledge.answer(question, DETAILED)  # warm: sentence embeddings are cached per passage
    timings: dict[str, list[float]] = {"single": [], "multi": []}
    for question in questions:
        started = time.perf_counter()
        knowledge.answer(question, DETAILED)
        timings["multi" if question in MULTI else "single"].append(time.perf_counter() - started)
    assert statistics.median(timings["single"]) <= 0.1, timings["single"]
    assert statistics.median(timings["multi"]) <= 0.1, timings["multi"]
