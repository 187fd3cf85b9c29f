"""Loading documents (Markdown, plain text, PDF, HTML) and cutting them into chunks.

A chunk is a passage of one section (a paragraph, a list item, a PDF paragraph), never more than
``MAX_CHUNK_CHARS``: small enough that a citation points at the passage that says the thing, large
enough to keep a thought together. Every chunk keeps its heading path and exact character offsets,
so ``document.texts[chunk.page][chunk.start:chunk.end]`` is the chunk's text and a citation can always
be checked against the file (for a PDF, against the text extracted from its page).

Checks come before parsing, cheapest first: the name's suffix, the size limit (from ``stat``, before
a byte is read), then the content against what the suffix claims (a ".pdf" that is not a PDF, a
".md" that is a PDF or a saved web page, invalid UTF-8). PDF and HTML are read in a child process
under a time and memory limit (``knowledge.isolated``); Markdown in-process (``knowledge.markdown``).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from knowledge import isolated
from knowledge.markdown import markdown_document
from knowledge.text import SENTENCE_END, trim_span
from knowledge.types import SHARED, Chunk, Document, DocumentError

TEXT_SUFFIXES = (".md", ".markdown", ".txt")
PDF_SUFFIXES = (".pdf",)
HTML_SUFFIXES = (".html", ".htm")
ACCEPTED_SUFFIXES = TEXT_SUFFIXES + PDF_SUFFIXES + HTML_SUFFIXES
MAX_CHUNK_CHARS = 1200
# A Markdown link or image; its target may hold one level of parentheses ("x_(y)"), as URLs do.
LINK = re.compile(r"!?\[([^\]]*)\]\((?:[^()]|\([^()]*\))*\)")

Kind = Literal["text", "pdf", "html"]
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]", re.I | re.S)
_SIGNATURES = (  # what a mislabelled file usually is, for the message that refuses it
    (b"PK\x03\x04", "a ZIP archive (a .docx, .pptx or .epub?)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.doc, .ppt)"),
    (b"{\\rtf", "an RTF document"),
)


def kind_of(path: Path) -> Kind:
    """What a file's name says it is."""
    suffix = path.suffix.lower()
    return "pdf" if suffix in PDF_SUFFIXES else "html" if suffix in HTML_SUFFIXES else "text"


def sniff(data: bytes) -> str:
    """What the content is, from its first bytes: "pdf", "html", "text", or a description of a binary."""
    head = data[:8192]
    if b"%PDF-" in head[:1024]:  # the header may follow up to 1 KB of junk, as readers allow
        return "pdf"
    for signature, what in _SIGNATURES:
        if head.startswith(signature):
            return what
    if _HTML_START.match(head):
        return "html"
    return "binary data" if b"\x00" in head else "text"


def _check_content(path: Path, data: bytes) -> None:
    """Refuse a file whose content is not what its suffix says, naming what it seems to be."""
    claimed, found = kind_of(path), sniff(data)
    if claimed == "pdf" and found != "pdf":
        raise DocumentError(f"not a PDF (no %PDF- header); the content looks like {found}", path)
    if claimed == "html" and found not in ("html", "text"):
        what = "a PDF" if found == "pdf" else found
        raise DocumentError(f"not an HTML page; the content looks like {what}", path)
    if claimed == "text" and found == "pdf":
        raise DocumentError("the content is a PDF; rename it to .pdf to index it", path)
    if claimed == "text" and found == "html":
        raise DocumentError("the content is a saved web page; rename it to .html to index it", path)
    if claimed == "text" and found not in ("text", "binary data"):  # other binary: decode_text says where
        raise DocumentError(f"binary content ({found}), not text", path)


def decode_text(data: bytes, path: Path) -> str:
    """A text file's characters; invalid UTF-8 and NUL bytes are refused with where they are."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"not UTF-8 text (byte {exc.start})", path) from None
    if "\x00" in text:
        raise DocumentError("binary content (NUL bytes), not text", path)
    return text


def read_checked(path: Path, max_bytes: int = 5_000_000) -> bytes:
    """A file's bytes once every check short of parsing has passed: it exists, its suffix is one we
    read, it is within ``max_bytes`` (checked before reading), and its content is what the suffix says."""
    if not path.exists():
        raise DocumentError("no such file", path)
    if path.is_dir():
        raise DocumentError("is a directory, not a document", path)
    if path.suffix.lower() not in ACCEPTED_SUFFIXES:
        raise DocumentError(f"only {', '.join(ACCEPTED_SUFFIXES)} files can be indexed", path)
    size = path.stat().st_size
    if size > max_bytes:
        raise DocumentError(f"{size} bytes is over the {max_bytes}-byte limit", path)
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)  # the file may have grown since stat
    if len(data) > max_bytes:
        raise DocumentError(f"over the {max_bytes}-byte limit", path)
    if not data.strip():
        raise DocumentError("the file is empty", path)
    _check_content(path, data)
    if kind_of(path) == "text":
        decode_text(data, path)
    return data


def read_document(path: Path, max_bytes: int = 5_000_000, seconds: float | None = None) -> Document:
    """Read any accepted file into a ``Document``; ``DocumentError`` names the file and the reason.

    PDF and HTML are parsed in a child process killed after ``seconds`` (default
    ``knowledge.isolated.PARSE_SECONDS``); the reason it gives is prefixed with the file's path here.
    """
    data = read_checked(path, max_bytes)
    kind = kind_of(path)
    if kind == "text":
        return markdown_document(decode_text(data, path), path.stem)
    limit = isolated.PARSE_SECONDS if seconds is None else seconds
    try:
        return isolated.read_isolated(kind, data, path.stem, seconds=limit)
    except DocumentError as exc:
        raise DocumentError(exc.reason, path) from None


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


def chunk_id(source: str, section: str, text: str, occurrence: int, owner: str = SHARED) -> str:
    """Content-derived id: unchanged text keeps its id, so re-indexing writes nothing.

    The owner is part of it, so two users' files of the same name never share an id; the shared library's
    ids are those it had before documents had owners, so an existing index stays valid.
    """
    key = f"{source}\x1f{section}\x1f{text}\x1f{occurrence}"
    digest = hashlib.sha256((f"{owner}\x1e{key}" if owner else key).encode()).hexdigest()
    return digest[:24]


def chunk_document(document: Document, source: str, owner: str = SHARED) -> list[Chunk]:
    """Cut a document's passages into chunks; ``source`` is the file name that citations show, ``owner``
    who may read them (``SHARED``, or the user who uploaded the file)."""
    seen: dict[tuple[str, str], int] = {}
    chunks: list[Chunk] = []
    for block in document.blocks:
        text = document.texts[block.page]
        start, end = trim_span(text, block.start, block.end)
        if end <= start:
            continue
        for s, e in (trim_span(text, s, e) for s, e in _split_long(text, start, end)):
            if e <= s:
                continue
            piece = text[s:e]
            key = (block.section, piece)
            occurrence = seen.get(key, 0)
            seen[key] = occurrence + 1
            chunk_key = chunk_id(source, block.section, piece, occurrence, owner)
            chunks.append(Chunk(chunk_key, piece, block.section, source, s, e, block.page, owner))
    return chunks


def chunk_text(text: str, source: str) -> list[Chunk]:
    """Chunk a Markdown or plain text; what comes before the first heading is filed under the file's stem."""
    return chunk_document(markdown_document(text, Path(source).stem), source)


def load_chunks(path: Path, max_bytes: int = 5_000_000, owner: str = SHARED) -> tuple[Document, list[Chunk]]:
    """Read and chunk one file (``owner``'s); returns the document too, for offset checks."""
    document = read_document(path, max_bytes)
    return document, chunk_document(document, path.name, owner)


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
