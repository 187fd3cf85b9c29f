"""The ``search_notes`` tool: a grounded, cited answer from the indexed notes.

It replies in one of three ways:

* an answer: sentences of the notes, each cited ([n] markers, ``citations``);
* ``NOT_COVERED``: nothing in the notes supports an answer, and the question
  names no concept the notes lack ("What is the capital of France?" when its
  words are all known, or paraphrases too far from any passage);
* an absent concept (``absent_message``): "Your notes do not mention recurrent
  neural networks, ..." naming the concept as the user wrote it, optionally
  followed by a "Related in your notes" line of section paths, which are names
  only: nothing is quoted or cited, so ``citations`` stays empty.

The absent message deliberately does not contain NOT_COVERED's "The notes do
not cover this": it says "do not mention" instead, which is what checks look
for (``agent.evaluation.checks.says_not_covered`` matches both). In both
refusals ``data["in_scope"]`` is False; ``data["absent"]`` and
``data["related"]`` (always present, empty unless a concept is absent) carry
the concept phrases and section paths for code that wants them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any, Literal

from pydantic import BaseModel, Field

from knowledge.answer import AnswerStyle
from knowledge.links import without_foreign_links
from knowledge.manner import read_manner
from knowledge.notes import NotesKnowledge, Reranker
from tools.base import ToolContext, ToolInputError, ToolResult
from tools.registry import ToolDeclaration

NOT_COVERED = (
    "The notes do not cover this. I only answer from your study notes, and nothing in them "
    "supports an answer to that question. Try asking about deep learning basics, transformers, "
    "generative AI, the Hugging Face models in the notes, or adaptive AI."
)
ABSENT = "Your notes do not mention {concepts}, so I can't answer this from them."
RELATED = "Related in your notes (not an answer to your question): {sections}"


def _either(phrases: Sequence[str]) -> str:
    """'A', 'A or B', 'A, B or C'."""
    return phrases[0] if len(phrases) == 1 else f"{', '.join(phrases[:-1])} or {phrases[-1]}"


def absent_message(absent: Sequence[str], related: Sequence[str]) -> str:
    """Names what the notes lack; related sections are named on their own line, never cited."""
    text = ABSENT.format(concepts=_either(absent))
    sections = "; ".join(without_foreign_links(section) for section in related)  # headings are document text
    return f"{text}\n{RELATED.format(sections=sections)}" if related else text


class SearchNotesArgs(BaseModel):
    """Search the study notes and answer from them with citations."""

    query: str = Field(
        description="The question or topic to look up in the notes.", min_length=1, max_length=20_000
    )
    style: Literal["", "brief", "detailed"] = Field(
        default="", description="Answer style: 'brief' or 'detailed'; empty uses the user's learned style."
    )
    sentences: int | None = Field(
        default=None,
        ge=1,
        le=20,
        description="At most this many sentences, when the user asked for a number.",
    )


def answer_from_notes(
    knowledge: NotesKnowledge,
    query: str,
    style: AnswerStyle,
    previous: list[str] | None = None,
    rerank: Reranker | None = None,
) -> ToolResult:
    """Answer from the notes; every sentence is a cited sentence of the notes, or the answer says they do not cover it."""
    if not query.strip():
        raise ToolInputError("query must not be empty")
    found = knowledge.answer(query, style, previous=previous, rerank=rerank)
    grounded = found.answer
    data = {
        "in_scope": grounded.in_scope and not grounded.absent,
        "query": found.query,
        "top_dense": found.retrieval.top_dense,
        "best_similarity": grounded.best_similarity,
        "support": list(grounded.support),
        "retrieved": [s.chunk.id for s in found.retrieval.ranked],
        "style": style.detail,
        "answer_style": asdict(style),  # what it was composed in: learned, or asked for ("briefly")
        "absent": list(grounded.absent),
        "related": list(grounded.related),
    }
    if grounded.absent:
        return ToolResult(text=absent_message(grounded.absent, grounded.related), data=data)
    if not grounded.in_scope or not grounded.text:
        return ToolResult(text=NOT_COVERED, data=data)
    return ToolResult(text=grounded.text, citations=list(grounded.citations), data=data)


def served_style(results: Sequence[ToolResult], learned: AnswerStyle) -> AnswerStyle:
    """The style a turn's notes answer was composed in, for feedback to judge: the user's learned one,
    or the one the message asked for ("briefly, what is X?" is brief whatever the user's style).
    ``results`` may hold any tool's results: only this tool's carry ``answer_style``."""
    served = [r.data["answer_style"] for r in results if "answer_style" in r.data]
    return AnswerStyle.from_value(served[0]) if served else learned


def question_args(text: str) -> dict[str, Any]:
    """The message is the question, and how it asks to be answered ("briefly", "in one sentence",
    "in detail") is the style of this answer, whatever the user's learned one."""
    asked = read_manner(text.strip())
    return {"query": asked.question.strip(), "style": asked.detail or "", "sentences": asked.sentences}


def search_notes(ctx: ToolContext, query: str, style: str = "", sentences: int | None = None) -> ToolResult:
    """Answer a question from the user's study notes, citing the sections used. Use for any question about deep
    learning, transformers, attention, positional encoding, generative AI, the Hub models in the notes,
    adaptive AI, online vs batch learning.

    The turn's context brings the notes, the user's learned style (unless ``style`` or ``sentences``
    says otherwise), the previous question (for follow-ups) and the user's reranker.
    """
    if ctx.knowledge is None:
        raise ToolInputError("search_notes needs the notes: run it inside an agent")
    chosen = AnswerStyle.named(style) if style else ctx.style or AnswerStyle()
    if sentences:
        chosen = replace(chosen, max_sentences=sentences)
    return answer_from_notes(ctx.knowledge, query, chosen, previous=list(ctx.previous), rerank=ctx.rerank)


TOOL = ToolDeclaration.of(search_notes, SearchNotesArgs, question_args, "Explain it from my notes")
