"""Markdown-aware loading and chunking.

A chunk is a paragraph or a top-level list item of one section, never more than
``MAX_CHUNK_CHARS``: small enough that a citation points at the passage that
says the thing, large enough to keep a thought together. Every chunk keeps its
heading path and exact character offsets, so ``source_text[start:end]`` is the
chunk's text and a citation can always be checked against the file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from knowledge.text import SENTENCE_END, trim_span
from knowledge.types import Chunk

ACCEPTED_SUFFIXES = (".md", ".markdown", ".txt")
MAX_CHUNK_CHARS = 1200
HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t#]*$")
LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
EMPHASIS = re.compile(r"(\*\*|__|\*|_|`)")


class DocumentError(ValueError):
    """A file that cannot be indexed; the message names the file and the reason."""


def clean_heading(raw: str) -> str:
    """Heading text as a reader sees it: link markup and emphasis stripped."""
    text = LINK.sub(r"\1", raw)
    text = EMPHASIS.sub("", text)
    return " ".join(text.split())


def read_document(path: Path, max_bytes: int = 5_000_000) -> str:
    """Read a text document, refusing what cannot be indexed with a message naming the file."""
    if not path.exists():
        raise DocumentError(f"{path}: no such file")
    if path.is_dir():
        raise DocumentError(f"{path}: is a directory, not a document")
    if path.suffix.lower() not in ACCEPTED_SUFFIXES:
        raise DocumentError(f"{path}: only {', '.join(ACCEPTED_SUFFIXES)} files can be indexed")
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentError(f"{path}: {size} bytes is over the {max_bytes}-byte limit")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    if "\x00" in text:
        raise DocumentError(f"{path}: binary content (NUL bytes), not text")
    return text


@dataclass
class _Block:
    section: str
    start: int
    end: int


def sections(text: str, default_section: str) -> Iterator[tuple[str, int, int]]:
    """Yield (heading path, body start, body end) for each section of a Markdown text.

    The one heading reader: chunks and the demo tools' citations (``tools.notes_refs``)
    must agree on what a section is called and where its body starts. The text
    before the first heading is ``default_section``; headings inside code fences
    are not headings; a body ends where the next heading line starts.
    """
    stack: list[tuple[int, str]] = []
    section = default_section
    body_start = 0
    pos = 0
    in_fence = False
    for line in text.splitlines(keepends=True):
        stripped = line.rstrip("\r\n")
        if stripped.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        match = None if in_fence else HEADING.match(stripped)
        if match:
            yield section, body_start, pos
            level = len(match.group(1))
            title = clean_heading(match.group(2)) or "(untitled)"
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, title))
            section = " > ".join(t for _, t in stack)
            body_start = pos + len(line)
        pos += len(line)
    yield section, body_start, len(text)


def _blocks(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Paragraphs and top-level list items between start and end, as trimmed offsets."""
    segments: list[tuple[int, int]] = []
    seg_start: int | None = None
    pos = start
    for line in text[start:end].splitlines(keepends=True):
        stripped = line.strip()
        top_item = bool(re.match(r"^([*+-]|\d+[.)])\s", line))
        if not stripped:
            if seg_start is not None:
                segments.append((seg_start, pos))
                seg_start = None
        elif top_item and seg_start is not None:
            segments.append((seg_start, pos))
            seg_start = pos
        elif seg_start is None:
            seg_start = pos
        pos += len(line)
    if seg_start is not None:
        segments.append((seg_start, pos))
    for s, e in (trim_span(text, s, e) for s, e in segments):
        if e > s:
            yield s, e


def _split_long(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Split an over-long block at sentence ends (or hard, if it has none)."""
    if end - start <= MAX_CHUNK_CHARS:
        yield start, end
        return
    piece_start = start
    last_break = None
    for match in SENTENCE_END.finditer(text, start, end):
        if match.start() - piece_start > MAX_CHUNK_CHARS and last_break:
            yield piece_start, last_break[0]
            piece_start = last_break[1]
        last_break = (match.start(), match.end())
    while end - piece_start > MAX_CHUNK_CHARS:
        cut = text.rfind(" ", piece_start, piece_start + MAX_CHUNK_CHARS)
        cut = cut if cut > piece_start else piece_start + MAX_CHUNK_CHARS
        yield piece_start, cut
        piece_start = cut
        while piece_start < end and text[piece_start].isspace():
            piece_start += 1
    if end > piece_start:
        yield piece_start, end


def chunk_id(source: str, section: str, text: str, occurrence: int) -> str:
    """Content-derived id: unchanged text keeps its id, so re-indexing writes nothing."""
    digest = hashlib.sha256(f"{source}\x1f{section}\x1f{text}\x1f{occurrence}".encode()).hexdigest()
    return digest[:24]


def chunk_text(text: str, source: str) -> list[Chunk]:
    """Chunk a document's text; ``source`` is the file name that citations show."""
    default_section = Path(source).stem
    seen: dict[tuple[str, str], int] = {}
    chunks: list[Chunk] = []
    for section, body_start, body_end in sections(text, default_section):
        for block_start, block_end in _blocks(text, body_start, body_end):
            for s, e in _split_long(text, block_start, block_end):
                piece = text[s:e]
                key = (section, piece)
                occurrence = seen.get(key, 0)
                seen[key] = occurrence + 1
                chunks.append(
                    Chunk(chunk_id(source, section, piece, occurrence), piece, section, source, s, e)
                )
    return chunks


def load_chunks(path: Path, max_bytes: int = 5_000_000) -> tuple[str, list[Chunk]]:
    """Read and chunk one file; returns the source text too, for offset checks."""
    text = read_document(path, max_bytes)
    return text, chunk_text(text, path.name)


def bundled_notes_path() -> Path:
    """The study notes that ship inside the package as the default knowledge."""
    return Path(__file__).parent / "data" / "study-notes.md"


def plain_text(markdown: str) -> str:
    """Markdown inline markup stripped, for showing and embedding passages."""
    text = LINK.sub(r"\1", markdown)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])[*_](?!\s)(.+?)(?<!\s)[*_](?![\w*])", r"\1", text)
    text = text.replace("`", "")
    text = re.sub(r"^\s*[*+-]\s+", "", text, flags=re.M)
    return text
