"""Grounded answers on the project's QA set: right section, faithful sentences, honest refusals."""

from __future__ import annotations

import re

import pytest
import yaml

from agent import Agent
from bench import DATA
from knowledge.answer import AnswerStyle, answer_sentences, support
from knowledge.embeddings import embed
from knowledge.loader import plain_text

QA = yaml.safe_load((DATA / "qa.yaml").read_text(encoding="utf-8"))
# A refusal says the notes do not cover the question, or names the concept they do not mention.
REFUSED = re.compile(r"notes do not (?:cover|mention)")


def test_the_qa_set_covers_every_section(notes_text: str) -> None:
    from knowledge.loader import chunk_text

    sections = {c.section for c in chunk_text(notes_text, "study-notes.md")}
    assert len(QA["in_scope"]) >= 40 and len(QA["out_of_scope"]) >= 10
    for section in sections:
        leaf = section.rsplit(" > ", 1)[-1]
        assert any(item["section"] in leaf for item in QA["in_scope"]), section


def test_retrieval_recall_at_3_and_mrr_on_the_qa_set(shared_agent: Agent) -> None:
    hits, reciprocal = 0, 0.0
    misses = []
    for item in QA["in_scope"]:
        ranked = shared_agent.retrieve(item["question"], k=5)
        ranks = [i for i, s in enumerate(ranked) if item["section"] in s.chunk.section]
        if ranks and ranks[0] < 3:
            hits += 1
        else:
            misses.append(item["question"])
        reciprocal += 1.0 / (ranks[0] + 1) if ranks else 0.0
    n = len(QA["in_scope"])
    assert hits / n >= 0.95, misses
    assert reciprocal / n >= 0.85


def test_answers_cite_the_right_section(shared_agent: Agent) -> None:
    wrong = []
    for i, item in enumerate(QA["in_scope"]):
        reply = shared_agent.chat(item["question"], user="qa", session=f"qa-{i}")
        if not any(item["section"] in c.section for c in reply.citations):
            wrong.append((item["question"], reply.text[:80]))
    assert len(wrong) / len(QA["in_scope"]) <= 0.05, wrong


def test_out_of_scope_questions_are_refused_plainly_without_citations(shared_agent: Agent) -> None:
    answered = []
    for i, question in enumerate(QA["out_of_scope"]):
        reply = shared_agent.chat(question, user="oos", session=f"oos-{i}")
        if not REFUSED.search(reply.text) or reply.citations:
            answered.append((question, reply.text[:80]))
    assert len(answered) / len(QA["out_of_scope"]) < 0.10, answered


def test_in_scope_questions_are_rarely_refused(shared_agent: Agent) -> None:
    refused = [
        item["question"]
        for i, item in enumerate(QA["in_scope"])
        if REFUSED.search(shared_agent.chat(item["question"], user="qa2", session=f"r-{i}").text)
    ]
    assert len(refused) / len(QA["in_scope"]) < 0.05, refused


def test_every_answer_sentence_is_supported_by_its_citations(shared_agent: Agent) -> None:
    for i, item in enumerate(QA["in_scope"][:20]):
        reply = shared_agent.chat(item["question"], user="faith", session=f"f-{i}")
        if REFUSED.search(reply.text):
            continue  # refusals cite nothing; their rate is tested above
        quotes = [plain_text(c.quote) for c in reply.citations]
        for sentence in answer_sentences(reply.text):
            assert any(sentence in " ".join(q.split()) for q in quotes), (sentence, quotes)


def test_support_check_rejects_invented_facts() -> None:
    passage = "It was trained on **WebText**, a dataset collected from publicly available web pages."
    assert support("GPT-2 was trained on WebText, web pages that were publicly available.", [passage]) >= 1.0
    assert support("GPT-2 was trained on the Pile and on GPT-4 conversations.", [passage]) < 1.0


def test_brief_answers_are_shorter_than_detailed_ones(shared_agent: Agent) -> None:
    knowledge = shared_agent.knowledge
    q = "How does training work?"
    brief = knowledge.answer(q, AnswerStyle.named("brief")).answer
    detailed = knowledge.answer(q, AnswerStyle.named("detailed")).answer
    assert 1 <= len(brief.sentences) <= 2
    assert len(detailed.sentences) > len(brief.sentences)


def test_follow_up_questions_resolve_against_the_conversation(fresh_agent: Agent) -> None:
    first = fresh_agent.chat("What was GPT-2 trained on?", user="u", session="follow")
    assert any("Hugging Face" in c.section and "GPT-2" in c.quote for c in first.citations)
    follow = fresh_agent.chat("What sizes does it come in?", user="u", session="follow")
    assert any("GPT-2" in c.quote for c in follow.citations), follow.text
    assert "117M" in follow.text


@pytest.mark.parametrize(
    "question",
    [
        "Was ist Selbstaufmerksamkeit in einem Transformer?",
        "Transformers",
        "?!?...",
        "attention",
        "Since transformers do not process words in order, they need a way to understand the order of words — that "
        'is called positional encoding. Without it, there would be no difference between a sentence like "The cat '
        'in the tree" and "The tree in the cat".',
    ],
)
def test_odd_questions_get_a_sensible_reply(shared_agent: Agent, question: str) -> None:
    reply = shared_agent.chat(question, user="odd", session="odd")
    assert reply.text.strip()
    if question.startswith("Since transformers"):
        assert any("Positional Encoding" in c.section for c in reply.citations)


def test_a_capable_models_answer_keeps_only_supported_sentences_and_labels_general_knowledge() -> None:
    from agent.core import GENERAL_KNOWLEDGE, ground_model_answer
    from knowledge.types import Citation
    from tools.base import ToolResult
    from tools.notes_search import NOT_COVERED

    quote = "It was trained on **WebText**, a dataset collected from publicly available web pages."
    cited = ToolResult(
        "It was trained on WebText. [1]", citations=[Citation("Hub", "study-notes.md", 0, len(quote), quote)]
    )
    answer = (
        "GPT-2 was trained on WebText, publicly available web pages. It was also trained on GPT-4 chat logs."
    )
    grounded = ground_model_answer(answer, [cited], embed)
    assert "WebText" in grounded and "GPT-4" not in grounded
    assert ground_model_answer("Completely unrelated claims about volcanoes.", [cited], embed) == cited.text

    uncovered = ToolResult(NOT_COVERED, data={"in_scope": False})
    labelled = ground_model_answer("Paris is the capital of France.", [uncovered], embed)
    assert (
        labelled.startswith(NOT_COVERED) and f"{GENERAL_KNOWLEDGE}Paris is the capital of France." in labelled
    )
    assert ground_model_answer(NOT_COVERED, [uncovered], embed) == NOT_COVERED
