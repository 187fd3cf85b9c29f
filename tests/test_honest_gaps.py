"""Honest gaps: a concept the notes never mention is named as absent, never answered with a nearby passage.

bench/data/absent_concepts.yaml holds near-topic concepts the bundled notes lack
(RNNs, BERT, dropout...) and in-scope questions that hinge on a short name the
notes do cover (Bark, LAION-5B...); bench/data/qa.yaml's in-scope questions must
still be answered.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import pytest
import yaml

from agent import Agent
from bench import DATA
from knowledge.answer import AnswerStyle
from knowledge.notes import NotesKnowledge
from knowledge.text import Vocabulary, shape_of
from tools.base import ToolResult
from tools.notes_search import NOT_COVERED, answer_from_notes

GAPS = yaml.safe_load((DATA / "absent_concepts.yaml").read_text(encoding="utf-8"))
QA = yaml.safe_load((DATA / "qa.yaml").read_text(encoding="utf-8"))
STYLE = AnswerStyle.named("detailed")


@pytest.fixture(scope="module")
def knowledge(shared_agent: Agent) -> NotesKnowledge:
    return shared_agent.knowledge


def ask(knowledge: NotesKnowledge, question: str) -> ToolResult:
    return answer_from_notes(knowledge, question, STYLE)


def names(result: ToolResult, concept: str) -> bool:
    """The reply says the notes do not mention the concept, by name, and cites nothing."""
    text = result.text.lower()
    return "do not mention" in text and concept.lower() in text and not result.citations


def test_the_gap_set_is_large_and_varied() -> None:
    assert len(GAPS["absent"]) >= 30 and len(GAPS["proper_nouns"]) >= 15
    openings = {" ".join(item["question"].split()[:2]).lower() for item in GAPS["absent"]}
    assert len(openings) >= 8, openings  # what is, explain, how does, tell me, why do, what's the point...


def test_absent_concepts_are_named_and_nothing_is_cited(knowledge: NotesKnowledge) -> None:
    results = [(item, ask(knowledge, item["question"])) for item in GAPS["absent"]]
    missed = [(item["question"], r.text[:80]) for item, r in results if not names(r, item["concept"])]
    assert len(missed) / len(results) <= 0.10, missed
    cited = [item["question"] for item, r in results if r.citations]
    assert len(cited) / len(results) <= 0.05, cited
    for item, result in results:
        if result.data["absent"]:
            assert result.data["in_scope"] is False and not result.citations, item
            assert "[1]" not in result.text and NOT_COVERED not in result.text


@pytest.mark.parametrize(
    ("question", "concept"),
    [
        ("What is a recurrent neural network?", "recurrent neural network"),
        ("How does BERT work?", "BERT"),
        ("What are RNNs?", "RNNs"),
        ("Why do people use dropout?", "dropout"),
        ("What's the point of batch normalisation?", "batch normalisation"),
        # Every word is in the notes, never together: the concept is still absent.
        ("Tell me about diffusion transformers", "diffusion transformers"),
        ("What is a support vector machine?", "support vector machine"),
        # Asking whether the notes cover something, in the ways people ask it.
        ("Do my notes explain convolutional neural networks?", "convolutional neural networks"),
        ("does the note go into gradient clipping", "gradient clipping"),
        ("Is beam search covered in my notes?", "beam search"),
        ("Anything in my notes about GANs?", "GANs"),
        ("Do the notes ever touch on reinforcement learning?", "reinforcement learning"),
    ],
)
def test_well_known_gaps_are_named_exactly(knowledge: NotesKnowledge, question: str, concept: str) -> None:
    result = ask(knowledge, question)
    assert result.text.startswith(f"Your notes do not mention {concept}"), result.text
    assert result.data["absent"] == [concept]
    assert result.data["in_scope"] is False and not result.citations


def test_related_sections_are_labelled_and_never_cited(knowledge: NotesKnowledge) -> None:
    result = ask(knowledge, "What is a recurrent neural network?")
    assert any("neurons and layers" in s for s in result.data["related"]), result.data
    first, related = result.text.split("\n")
    assert "do not mention" in first and related.startswith("Related in your notes (not an answer")
    assert all(section in related for section in result.data["related"])
    assert not result.citations and "[" not in result.text
    # Far from everything in the notes: named as absent, with nothing offered as related.
    france = ask(knowledge, "What is the capital of France?")
    assert france.text.startswith("Your notes do not mention the capital of France")
    assert france.data["related"] == [] and "\n" not in france.text


@pytest.mark.parametrize(
    "question",
    [
        "Do my notes describe how training works?",
        "Are transformers mentioned in my notes?",
        "Does the note cover positional encoding?",
        "Is there anything about self-attention in my notes?",
    ],
)
def test_asking_whether_the_notes_cover_a_topic_they_cover_answers_it(
    knowledge: NotesKnowledge, question: str
) -> None:
    result = ask(knowledge, question)
    assert result.data["in_scope"] is True and result.citations and not result.data["absent"], result.text


def test_in_scope_questions_are_not_refused(knowledge: NotesKnowledge) -> None:
    refused, absent = [], []
    for item in QA["in_scope"]:
        found = knowledge.answer(item["question"], STYLE)
        if not found.answer.in_scope or not found.answer.text:
            refused.append(item["question"])
        if found.answer.absent:
            absent.append((item["question"], list(found.answer.absent)))
    assert not absent  # no question the notes answer is ever told they do not mention it
    assert len(refused) / len(QA["in_scope"]) < 0.03, refused


def test_questions_about_a_name_are_answered_from_its_section(knowledge: NotesKnowledge) -> None:
    wrong = []
    for item in GAPS["proper_nouns"]:
        result = ask(knowledge, item["question"])
        right_section = any(item["section"] in c.section for c in result.citations)
        names_it = any(item["name"].lower() in c.quote.lower() for c in result.citations)
        if not (result.data["in_scope"] and right_section and names_it):
            wrong.append((item["question"], result.text[:80]))
    assert not wrong


def test_out_of_scope_questions_are_still_refused_without_citations(knowledge: NotesKnowledge) -> None:
    for question in QA["out_of_scope"]:
        result = ask(knowledge, question)
        assert not result.citations and result.data["in_scope"] is False, question
        assert "do not mention" in result.text or result.text == NOT_COVERED


def test_generic_words_and_small_typos_never_make_a_concept_absent(knowledge: NotesKnowledge) -> None:
    for question in [
        "How does training work?",
        "What is the drawback of batch learning?",
        "What is the purpose of the bias?",
        "What are the benefits of online learning?",
        "Explain the attention mechanism",
        "What kind of model is GPT-2?",
        "What is a transfomer?",
        "Explain positonal encoding",
        "What is a classifier?",
    ]:
        assert knowledge.absent_concepts(question) == [], question


def test_the_vocabulary_is_term_level() -> None:
    vocabulary = Vocabulary(["Layers stay current. We classify text with GPT-2 and self-attention."])
    assert vocabulary.knows("layer") and vocabulary.knows("layers") and vocabulary.knows("self")
    assert vocabulary.knows("classifier") and vocabulary.knows("classifiers")  # an agent noun meets its verb
    assert vocabulary.knows("atention") and vocabulary.knows("curent")  # one typo is forgiven
    assert not vocabulary.knows("recurrent")  # but not a different first letter
    assert not vocabulary.knows("gpt-4") and vocabulary.knows("gpt2")  # nor a different version
    assert not Vocabulary(["a run"]).knows("rnn")  # short names must match exactly


def test_the_concept_check_follows_the_indexed_documents(tmp_path: Path) -> None:
    knowledge = NotesKnowledge(tmp_path / "home", collection="gaps")
    question = "What is a recurrent neural network?"
    assert knowledge.absent_concepts(question) == ["recurrent neural network"]
    extra = tmp_path / "rnn.md"
    extra.write_text(
        "# Recurrent networks\nA recurrent neural network reads a sequence one step at a time.\n",
        encoding="utf-8",
    )
    knowledge.index([extra])
    assert knowledge.absent_concepts(question) == []
    found = knowledge.answer(question, STYLE)
    assert found.answer.in_scope and any(c.source == "rnn.md" for c in found.answer.citations)
    knowledge.forget("rnn.md")
    assert knowledge.absent_concepts(question) == ["recurrent neural network"]


def test_the_concept_check_is_cheap(knowledge: NotesKnowledge) -> None:
    questions = [item["question"] for item in GAPS["absent"]] + [item["question"] for item in QA["in_scope"]]
    knowledge.absent_concepts(questions[0])  # builds the vocabulary once
    timings = []
    for question in questions:
        started = time.perf_counter()
        knowledge.absent_concepts(question, shape_of(question))
        timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.002, statistics.median(timings)


def test_a_chat_reply_names_the_gap_and_cites_nothing(shared_agent: Agent) -> None:
    reply = shared_agent.chat("What is a recurrent neural network?", user="gaps", session="gaps-rnn")
    assert "do not mention recurrent neural network" in reply.text and not reply.citations, reply.text
