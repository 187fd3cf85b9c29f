"""The ``notes_overview`` tool: what the indexed notes cover, one cited bullet per section.

An overview is not a question, so retrieval cannot answer it (the best passage for "summarize my
notes" is whichever one happens to say "notes"). It reads the sections in document order instead
and quotes each one's opening sentence: every bullet is the notes' own words, cited like any answer.
"""

from __future__ import annotations

from itertools import groupby

from pydantic import BaseModel, Field

from knowledge.answer import sentence_spans
from knowledge.links import without_foreign_links
from knowledge.types import Chunk, Citation
from tools.base import ToolContext, ToolInputError, ToolResult
from tools.registry import Example, ToolDeclaration

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


EXAMPLES = (
    Example("Give me an overview of my notes"),
    Example("Summarize my notes"),
    Example("What topics do my notes cover?"),
    Example("what's in my notes"),
    Example("give me a summary of everything in the notes"),
    Example("list the sections of my study notes"),
    Example("What do my notes talk about overall?"),
    Example("Can you outline my notes for me?"),
    Example("sum up the notes"),
    Example("what subjects are in my study material"),
    Example("Show me the table of contents of my notes"),
    Example("recap my notes in bullet points"),
    Example("What did I write notes about?"),
    Example("high-level overview of the notes please"),
)


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
    for number, citation in enumerate(citations, start=1):
        # Shown as written, so a link or an image the reader may not see is replaced (``knowledge.links``).
        opening = without_foreign_links(
            " ".join(citation.quote.replace("*", "").split()), source=citation.source, owner=citation.owner
        )
        section = without_foreign_links(citation.section, source=citation.source, owner=citation.owner)
        lines.append(f"- **{section}**: {opening} [{number}]")
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


TOOL = ToolDeclaration.of(
    notes_overview, NotesOverviewArgs, no_args, "Give an overview of my notes", EXAMPLES
)
