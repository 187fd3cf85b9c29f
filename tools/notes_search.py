"""The ``search_notes`` tool: a grounded, cited answer from the indexed notes."""

from __future__ import annotations

from pydantic import BaseModel, Field

from knowledge.answer import AnswerStyle
from knowledge.notes import NotesKnowledge, Reranker
from tools.base import ToolInputError, ToolResult

NOT_COVERED = (
    "The notes do not cover this. I only answer from your study notes, and nothing in them "
    "supports an answer to that question. Try asking about deep learning basics, transformers, "
    "generative AI, the Hugging Face models in the notes, or adaptive AI."
)


class SearchNotesArgs(BaseModel):
    """Search the study notes and answer from them with citations."""

    query: str = Field(
        description="The question or topic to look up in the notes.", min_length=1, max_length=20_000
    )
    style: str = Field(
        default="", description="Answer style: 'brief' or 'detailed'; empty uses the user's learned style."
    )


def search_notes(
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
        "in_scope": grounded.in_scope,
        "query": found.query,
        "top_dense": found.retrieval.top_dense,
        "best_similarity": grounded.best_similarity,
        "support": grounded.support,
        "retrieved": [s.chunk.id for s in found.retrieval.ranked],
        "style": style.detail,
    }
    if not grounded.in_scope or not grounded.text:
        return ToolResult(text=NOT_COVERED, data=data)
    return ToolResult(text=grounded.text, citations=grounded.citations, data=data)
