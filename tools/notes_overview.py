"""The ``notes_overview`` tool: what the indexed notes cover, one cited bullet per section.

An overview is not a question, so retrieval cannot answer it (the best passage for "summarize my
notes" is whichever one happens to say "notes"). It reads the sections in document order instead
and quotes each one's opening sentence: every bullet is the notes' own words, cited like any answer.
"""

from __future__ import annotations

from itertools import groupby

from pydantic import BaseModel, Field

from knowledge.answer import sentence_spans
from knowledge.links import shown_citation
from knowledge.types import Chunk, Citation
from tools.base import ToolContext, ToolInputError, ToolResult
from tools.registry import ToolDeclaration

MAX_SECTIONS = 60  # a long upload still gives a readable overview; the reply says how many were left out


class NotesOverviewArgs(BaseModel):
    """Arguments of notes_overview."""

    source: str = Field(
        default="",
        max_length=300,
        description="Only this document (its file name); empty for every indexed document.",
    )


def _opening(chunk: Chunk) -> Citation:
    """The chunk's first sentence as a citation (the whole chunk when it has no sentence end)."""
    start, end = (sentence_spans(chunk) or [(chunk.start, chunk.end)])[0]
    return chunk.cite(start, end)


def notes_overview(ctx: ToolContext, source: str = "") -> ToolResult:
    """Summarise what the user's notes cover: one bullet per section, each quoting and citing it. Use when the
    user asks for an overview, a summary or the topics of their notes.

    Each bullet quotes the section's first sentence, so the overview is as grounded as an answer.
    """
    if ctx.knowledge is None:
        raise ToolInputError("notes_overview needs the notes: run it inside an agent")
    # The documents this user may see: the shared library and their own uploads (``NotesKnowledge.for_owner``).
    chunks = sorted(ctx.knowledge.chunks(), key=lambda c: (c.owner, c.source, c.start))
    if source:
        chunks = [c for c in chunks if c.source == source]
        if not chunks:
            known = ", ".join(ctx.knowledge.sources()) or "none"
            raise ToolInputError(f"no indexed document is named {source!r}; indexed: {known}")
    firsts = [next(group) for _, group in groupby(chunks, key=lambda c: (c.owner, c.source, c.section))]
    shown = firsts[:MAX_SECTIONS]
    citations = [_opening(chunk) for chunk in shown]
    sources = sorted({c.source for c in shown})
    lines = [f"Your notes ({', '.join(sources)}) cover {len(firsts)} sections:"]
    for number, citation in enumerate(map(shown_citation, citations), start=1):
        lines.append(f"- **{citation.section}**: {citation.quote} [{number}]")
    if len(firsts) > len(shown):
        lines.append(f"- …and {len(firsts) - len(shown)} more sections.")
    if not citations:
        lines = ["No notes are indexed yet: add a document with `attentive index FILE` or the upload box."]
    data = {
        "sections": [c.section for c in citations],
        "total_sections": len(firsts),
        "in_scope": bool(citations),
    }
    return ToolResult(text="\n".join(lines), citations=citations, data=data)


def no_args(text: str) -> dict[str, str]:
    """An overview takes nothing from the message: the whole index is the subject."""
    return {}


TOOL = ToolDeclaration.of(notes_overview, NotesOverviewArgs, no_args, "Give an overview of my notes")
