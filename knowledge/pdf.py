"""PDF through pypdf (pure Python, BSD-licensed; PyMuPDF would be faster but is AGPL).

Each page's text is what ``PageObject.extract_text`` returns, and every offset of a PDF's chunks and
citations indexes that page's text, so a quote can be checked by extracting the page again. Sections
come from the document's outline (bookmarks) when it has one, else from lines set in a larger font
than the body text, else each page is its own section, "page N". Paragraphs are cut at blank lines
and at a short line that ends a sentence (pypdf joins a paragraph's lines with single newlines).

This module runs in a child process (``knowledge.isolated``): a PDF that pypdf cannot read, one that
is encrypted, or one with no text layer raises ``DocumentError`` with the reason, and a bomb meets
the page limit here or the time and memory limits there.
"""

from __future__ import annotations

import io
import logging
import math
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from knowledge.types import Block, Document, DocumentError, enter_heading

MAX_PAGES = 2_000  # a 5 MB PDF of text has far fewer; thousands of pages of nothing is a bomb
MAX_OUTLINE_ENTRIES = 5_000
MAX_HEADING_LEVEL = 6
HEADING_SCALE = 1.15  # a line at least this much larger than the body's font is a heading
MAX_HEADING_CHARS = 200
SHORT_LINE = (
    0.8  # a line shorter than this share of the page's usual line, ending a sentence, ends a paragraph
)
SENTENCE_END_LINE = re.compile(r"[.!?:;)\"'\u201d]\s*$")
LINE = re.compile(r"[^\n]+")


@dataclass(frozen=True)
class _Heading:
    page: int  # 1-based
    level: int
    title: str


@dataclass
class _Run:
    """Consecutive text drawn in one font size on one page (a heading is one such run). Only a run's
    first characters are kept (enough for a heading's title), so a page of body text costs no copying."""

    page: int
    size: float
    text: str
    chars: int = 0  # non-blank characters in the whole run: the weight of its font size

    def add(self, text: str) -> None:
        if len(self.text) <= MAX_HEADING_CHARS:
            self.text += text
        self.chars += len(text.strip())


def _find_title(text: str, title: str, start: int) -> tuple[int, int] | None:
    """Where a heading's title is on its page (whitespace-insensitive), widened to its whole line."""
    words = title.split()
    if not words:
        return None
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words), re.I)
    match = pattern.search(text, start)
    if match is None:
        return None
    line_start = text.rfind("\n", 0, match.start()) + 1
    line_end = text.find("\n", match.end())
    line_end = len(text) if line_end < 0 else line_end
    if line_start == match.start() and line_end - line_start <= 2 * MAX_HEADING_CHARS:
        return line_start, line_end
    return match.start(), match.end()


def _outline_headings(reader: Any) -> list[_Heading]:
    """The outline's entries with the pages they point at, in reading order; nesting gives the level."""
    found: list[_Heading] = []

    def walk(entries: list[Any], level: int) -> None:
        for entry in entries:
            if len(found) >= MAX_OUTLINE_ENTRIES:
                return
            if isinstance(entry, list):
                if level < MAX_HEADING_LEVEL:
                    walk(entry, level + 1)
                continue
            page = reader.get_destination_page_number(entry)
            title = " ".join(str(getattr(entry, "title", "") or "").split())
            if page is not None and page >= 0 and title:
                found.append(_Heading(page + 1, level, title[:MAX_HEADING_CHARS]))

    try:
        walk(list(reader.outline), 1)
    except Exception:  # a damaged outline costs the sections, not the text: fall back to font sizes
        return []
    return sorted(found, key=lambda h: h.page)  # stable: entries of one page keep the outline's order


def _font_headings(runs: list[_Run]) -> list[_Heading]:
    """Runs set clearly larger than the body text (the size most characters use), largest = level 1."""
    weights: Counter[float] = Counter()
    for run in runs:
        weights[run.size] += run.chars
    if not weights:
        return []
    body = weights.most_common(1)[0][0]
    big = [
        r
        for r in runs
        if r.size >= body * HEADING_SCALE
        and 0 < r.chars <= MAX_HEADING_CHARS
        and any(c.isalpha() for c in r.text)
    ]
    sizes = sorted({r.size for r in big}, reverse=True)
    level = {size: min(i + 1, MAX_HEADING_LEVEL) for i, size in enumerate(sizes)}
    return [_Heading(r.page, level[r.size], " ".join(r.text.split())) for r in big]


def _paragraphs(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Paragraph spans of ``text[start:end]``: cut at blank lines and after a short line that ends a sentence."""
    lines = [(m.start(), m.end()) for m in LINE.finditer(text, start, end) if not m.group().isspace()]
    lengths = sorted(len(text[s:e].strip()) for s, e in lines)
    usual = lengths[len(lengths) // 2] if len(lengths) >= 3 else 0
    piece, previous_end = start, start
    for s, e in lines:
        if text.count("\n", previous_end, s) >= 2 and piece < previous_end:  # a blank line before this one
            yield piece, previous_end
            piece = s
        line = text[s:e]
        if usual and len(line.strip()) < SHORT_LINE * usual and SENTENCE_END_LINE.search(line):
            yield piece, e
            piece = e
        previous_end = e
    if piece < end:
        yield piece, end


def _effective_size(cm: Any, tm: Any, font_size: Any) -> float:
    """The font size as drawn: the text matrix and the page's transformation scale the nominal size."""
    try:
        scale = math.hypot(float(tm[2]), float(tm[3])) * math.hypot(float(cm[2]), float(cm[3]))
        return round(float(font_size) * scale, 1)
    except (TypeError, ValueError, IndexError):
        return 0.0


def _page_texts(reader: Any) -> tuple[dict[int, str], list[_Run]]:
    texts: dict[int, str] = {}
    runs: list[_Run] = []
    for number, page in enumerate(reader.pages, start=1):

        def visit(text: str, cm: Any, tm: Any, font: Any, size: Any, number: int = number) -> None:
            if not text:
                return
            drawn = _effective_size(cm, tm, size)
            if not runs or runs[-1].page != number or runs[-1].size != drawn:
                runs.append(_Run(number, drawn, ""))
            runs[-1].add(text)

        texts[number] = page.extract_text(visitor_text=visit)
    return texts, runs


def _open(data: bytes) -> Any:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PdfReadError

    reader = PdfReader(io.BytesIO(data), strict=False)  # not strict: read what a viewer would show
    if reader.is_encrypted:
        try:  # many PDFs are encrypted only to restrict printing or copying: the empty password opens them
            opened = reader.decrypt("")
        except (FileNotDecryptedError, PdfReadError, NotImplementedError) as exc:
            raise DocumentError(f"encrypted PDF that cannot be opened ({exc})") from None
        if not opened:
            raise DocumentError("encrypted PDF: it needs a password; save a copy without one and index that")
    return reader


class _Complaints(logging.Handler):
    """pypdf's warnings while it reads: on a damaged file they say why no text came out."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.messages) < 10:
            self.messages.append(record.getMessage()[:200])


def pdf_document(data: bytes) -> Document:
    """One text per page and its paragraphs under their sections; refuses what has no text to index."""
    import pypdf  # noqa: F401  (a failed import is the reader's problem, not the file's)

    complaints = _Complaints()
    pypdf_log = logging.getLogger("pypdf")
    pypdf_log.addHandler(complaints)
    propagate, pypdf_log.propagate = pypdf_log.propagate, False  # its warnings become our reason, not noise
    try:
        reader = _open(data)
        pages = len(reader.pages)
        if pages > MAX_PAGES:
            raise DocumentError(f"{pages:,} pages is over the {MAX_PAGES:,}-page limit")
        texts, runs = _page_texts(reader)
        headings = _outline_headings(reader) or _font_headings(runs)
    except DocumentError:
        raise
    except RecursionError:
        raise DocumentError("not a readable PDF: its objects are nested too deeply") from None
    except MemoryError:
        raise
    except Exception as exc:  # pypdf raises many kinds on damaged files; each one means "cannot read it"
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise DocumentError(f"not a readable PDF ({reason})") from None
    finally:
        pypdf_log.removeHandler(complaints)
        pypdf_log.propagate = propagate
    if not any(t.strip() for t in texts.values()) and complaints.messages:
        raise DocumentError(f"no text could be read: the file is damaged ({complaints.messages[0]})")
    if not any(t.strip() for t in texts.values()):
        raise DocumentError(
            f"no text layer in its {pages} page(s) (a scanned PDF?); run OCR on it first, e.g. ocrmypdf"
        )
    return Document(texts, _blocks(texts, headings))


def _blocks(texts: dict[int, str], headings: list[_Heading]) -> list[Block]:
    """Each page's paragraphs, filed under the heading in force (a page without one: "page N")."""
    by_page: dict[int, list[_Heading]] = {}
    for heading in headings:
        by_page.setdefault(heading.page, []).append(heading)
    stack: list[tuple[int, str]] = []
    blocks: list[Block] = []
    for number, text in texts.items():
        cursor = 0
        cuts: list[tuple[int, int, _Heading]] = []
        for heading in by_page.get(number, []):
            span = _find_title(text, heading.title, cursor)
            start, end = span if span else (cursor, cursor)
            cuts.append((start, end, heading))
            cursor = end
        section = " > ".join(t for _, t in stack) or f"page {number}"
        piece = 0
        for start, end, heading in cuts:
            blocks += [Block(section, s, e, number) for s, e in _paragraphs(text, piece, start)]
            section = enter_heading(stack, heading.level, heading.title)
            piece = end
        blocks += [Block(section, s, e, number) for s, e in _paragraphs(text, piece, len(text))]
    return blocks
