"""The ``notes_overview`` tool: what the indexed notes cover, one cited bullet per section.

An overview is not a question, so retrieval cannot answer it (the best passage for "summarize my
notes" is whichever one happens to say "notes"). It reads the sections in document order instead
and quotes each one's opening sentence: every bullet is the notes' own words, cited like any answer.
"""

from __future__ import annotations

from itertools import groupby

from pydantic import BaseModel, Field

from knowledge.answer import sentence_spans
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
    quote = chunk.text[start - chunk.start : end - chunk.start]
    return Citation(chunk.section, chunk.source, start, end, quote, chunk.id)


def notes_overview(ctx: ToolContext, args: NotesOverviewArgs) -> ToolResult:
    """One bullet per section of the indexed notes, each quoting and citing the section's first sentence."""
    if ctx.knowledge is None:
        raise ToolInputError("notes_overview needs the notes: run it inside an agent")
    chunks = sorted(ctx.knowledge.store.all_chunks(), key=lambda c: (c.source, c.start))
    if args.source:
        chunks = [c for c in chunks if c.source == args.source]
        if not chunks:
            known = ", ".join(ctx.knowledge.store.sources()) or "none"
            raise ToolInputError(f"no indexed document is named {args.source!r}; indexed: {known}")
    firsts = [next(group) for _, group in groupby(chunks, key=lambda c: (c.source, c.section))]
    shown = firsts[:MAX_SECTIONS]
    citations = [_opening(chunk) for chunk in shown]
    sources = sorted({c.source for c in shown})
    lines = [f"Your notes ({', '.join(sources)}) cover {len(firsts)} sections:"]
    for number, citation in enumerate(citations, start=1):
        opening = " ".join(citation.quote.replace("*", "").split())
        lines.append(f"- **{citation.section}**: {opening} [{number}]")
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


TOOL = ToolDeclaration(
    name="notes_overview",
    description="Summarise what the user's notes cover: one bullet per section, each quoting and citing it. "
    "Use when the user asks for an overview, a summary or the topics of their notes.",
    args=NotesOverviewArgs,
    run=notes_overview,
    extract=no_args,
    offer="Give an overview of my notes",
    mcp=True,
    examples=(
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
    ),
)
