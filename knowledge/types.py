"""Plain records that cross the knowledge boundary.

They are plain dataclasses so that the agent, the tools and every front end (the page, the CLI,
MCP) can pass them around, serialise them to JSON and compare them in tests without knowing
where they came from.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

# The owner of the shared library: the bundled notes and what the operator indexes (``attentive index``).
# Empty, so it can never be a user's name (``agent.names.check_name`` asks for 1..200 characters).
SHARED = ""


def owner_key(owner: str) -> str:
    """A name-safe key for an owner (a user name may hold any printable character; folder and Chroma
    collection names may not): the first 24 hex digits of its SHA-256."""
    return hashlib.sha256(owner.encode()).hexdigest()[:24]


class DocumentError(ValueError):
    """A file that cannot be indexed. ``reason`` says why; the message names the file first, as
    ``report.errors`` and the upload box show it."""

    def __init__(self, reason: str, path: str | Path | None = None) -> None:
        self.reason = reason
        self.path = path
        super().__init__(f"{path}: {reason}" if path is not None else reason)


@dataclass(frozen=True)
class Chunk:
    """A span of a source document, the unit that is indexed and cited.

    ``start``/``end`` are character offsets into the source text, so that
    ``source_text[start:end] == text`` always holds and a citation can be
    checked against the original file. For a PDF the source text is the text
    extracted from page ``page`` (1-based); ``page`` is 0 for an unpaged document
    (Markdown, plain text, HTML), whose source text is the whole file's. ``owner`` is who may read it:
    ``SHARED`` (the bundled notes and what the operator indexed) or the user who uploaded it.
    """

    id: str
    text: str
    section: str
    source: str
    start: int
    end: int
    page: int = 0
    owner: str = SHARED

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def cite(self, start: int, end: int) -> Citation:
        """A citation of ``start``..``end`` (offsets into the source text, inside this chunk)."""
        quote = self.text[start - self.start : end - self.start]
        return Citation(self.section, self.source, start, end, quote, self.id, self.page, self.owner)


@dataclass(frozen=True)
class Citation:
    """Where a claim comes from: the section path, the file, and the quoted span."""

    section: str
    source: str
    start: int
    end: int
    quote: str
    chunk_id: str = ""
    page: int = 0  # 1-based page of a PDF, 0 for an unpaged document
    owner: str = SHARED  # or the user whose upload it quotes (``Chunk.owner``)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Citation:
        """A citation back from ``to_dict`` (a stored reply, a JSON client); keys it does not know are ignored."""
        return cls(**{spec.name: data[spec.name] for spec in fields(cls) if spec.name in data})

    @property
    def location(self) -> str:
        """Where to look, as the page and the CLI show it: "notes.md" or "slides.pdf, p. 12"."""
        return source_location(self.source, self.page)


def source_location(source: str, page: int = 0) -> str:
    """A file name with its page when it has pages: the one way citations name where a quote is."""
    name = source.replace("\\", "/").rsplit("/", 1)[-1]
    return f"{name}, p. {page}" if page else name


@dataclass(frozen=True)
class Block:
    """A passage of a document's text as its reader found it (a paragraph, a list item, a page's text),
    before the loader cuts it to chunk size. ``start``/``end`` index ``Document.texts[page]``."""

    section: str
    start: int
    end: int
    page: int = 0


def enter_heading(stack: list[tuple[int, str]], level: int, title: str) -> str:
    """Open a heading of ``level`` on the stack of open headings (closing those at its level or deeper);
    the section path it starts: "Deep Learning > Transformers > Self-Attention". Every reader's sections
    are named this way (Markdown, PDF, HTML)."""
    while stack and stack[-1][0] >= level:
        stack.pop()
    stack.append((level, title))
    return " > ".join(t for _, t in stack)


@dataclass(frozen=True)
class Document:
    """A file as its reader (Markdown, PDF, HTML) understood it: the text(s) that offsets point into and the
    passages in reading order. An unpaged document has one text, ``texts[0]``; a PDF one per page, from 1."""

    texts: dict[int, str]
    blocks: list[Block]


@dataclass(frozen=True)
class ScoredChunk:
    """A retrieved chunk with the fused score that ranked it."""

    chunk: Chunk
    score: float
    dense: float = 0.0
    lexical: float = 0.0


@dataclass(frozen=True)
class IndexProgress:
    """How far a call to index has come: ``done`` of ``total`` steps, one per file read and one per chunk
    (an unchanged chunk counts as done at once). ``total`` grows as files are read and their chunks
    become known. ``stage`` is "reading" or "embedding"; ``source`` the file being worked on."""

    done: int
    total: int
    stage: str
    source: str


@dataclass
class IndexReport:
    """What one call to index changed, in chunks; errors name the files that failed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
