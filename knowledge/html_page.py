"""Saved web pages through the standard library's ``html.parser``: the main content, headings as sections.

Why ``html.parser`` and not lxml, BeautifulSoup or trafilatura: it is an event tokenizer, so a page
of 100,000 nested tags costs one pass and a list as deep as the nesting (0.4 s for 4 MB), where a
tree builder recurses or stops (libxml2 refuses documents deeper than 256 without ``huge_tree``),
and it needs no dependency. It executes nothing and fetches nothing: scripts, styles and embedded
objects are dropped unread, and no ``src``/``href`` is ever followed.

Main content: when the page marks it (``<main>``, ``<article>``, ``role="main"``) only that is kept;
navigation, headers, footers, asides, forms and hidden elements are always dropped. The text kept is
written out one passage per paragraph (blank lines between), and every offset of an HTML page's
chunks and citations indexes that text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from knowledge.types import Block, Document, DocumentError, enter_heading

SKIPPED = frozenset(
    "script style noscript template svg math nav aside iframe object embed canvas select button head".split()
)
SKIPPED_ROLES = frozenset("navigation complementary search menu menubar dialog".split())
SKIPPED_CLASSES = frozenset(
    "nav navbar navigation menu sidebar breadcrumb breadcrumbs cookie cookies cookie-banner advert "
    "advertisement ads share social comments skip-link".split()
)
# The page's header and footer are boilerplate; an article's own <header> holds its title, so these
# are dropped only outside the main content.
PAGE_FRAME = frozenset({"header", "footer", "banner", "contentinfo"})
MAIN = frozenset({"main", "article"})
HEADINGS = {f"h{n}": n for n in range(1, 7)}
BLOCKS = frozenset(
    "p div li dd dt pre blockquote tr td th section figure figcaption table ul ol dl caption address "
    "details summary hr br body center".split()
) | frozenset(HEADINGS)
MAX_TITLE_CHARS = 200
VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?([A-Za-z0-9_.:-]{1,40})""", re.I)


def decode_html(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), else the charset the page declares."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        declared = _CHARSET.search(data[:4096])
        if declared:
            try:
                return data.decode(declared.group(1).decode("ascii"))
            except (LookupError, UnicodeDecodeError):
                pass
        raise DocumentError(f"not UTF-8 text (byte {exc.start}) and no charset it can be read in") from None


@dataclass
class _Item:
    text: str
    heading: int  # 1..6 for a heading, 0 for a passage
    in_main: bool


class _Reader(HTMLParser):
    """Collects headings and passages; an element is skipped while any open element says so."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[_Item] = []
        self.title = ""
        self._open: list[tuple[str, bool, bool]] = []  # (tag, skips, is main)
        self._counts: dict[str, int] = {}
        self._skipping = 0
        self._main = 0
        self._pre = 0
        self._buffer: list[str] = []
        self._heading = 0
        self._in_title = False

    def _flush(self) -> None:
        raw = "".join(self._buffer)
        self._buffer = []
        text = raw.strip("\n") if self._pre else " ".join(raw.split())
        if text.strip():
            self.items.append(_Item(text, self._heading, self._main > 0))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        if tag in BLOCKS:
            self._flush()
        if tag in HEADINGS and not self._skipping:
            self._heading = HEADINGS[tag]
        if tag in VOID:
            return
        values = dict(attrs)
        classes = set((values.get("class") or "").lower().split()) | {(values.get("id") or "").lower()}
        role = (values.get("role") or "").lower()
        skips = (
            tag in SKIPPED
            or role in SKIPPED_ROLES
            or (not self._main and bool({tag, role, *classes} & PAGE_FRAME))
            or "hidden" in values
            or (values.get("aria-hidden") or "").lower() == "true"
            or bool(classes & SKIPPED_CLASSES)
        )
        is_main = tag in MAIN or role == "main"
        self._open.append((tag, skips, is_main))
        self._counts[tag] = self._counts.get(tag, 0) + 1
        self._skipping += skips
        self._main += is_main
        self._pre += tag == "pre"

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCKS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in BLOCKS:
            self._flush()
        if tag in HEADINGS:
            self._heading = 0
        if not self._counts.get(tag):  # a stray end tag: O(1), so 100,000 of them cost nothing
            return
        while self._open:  # close everything left open inside it, as a browser does
            name, skips, is_main = self._open.pop()
            self._counts[name] -= 1
            self._skipping -= skips
            self._main -= is_main
            self._pre -= name == "pre"
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._in_title:
            if len(self.title) < MAX_TITLE_CHARS:  # an unclosed <title> must not grow without end
                self.title += data
        elif not self._skipping:
            self._buffer.append(data)


def html_document(data: bytes, default_section: str) -> Document:
    """The page's main text, one passage per paragraph, filed under the page's headings.

    What comes before the first heading is filed under the page's ``<title>`` (else ``default_section``).
    """
    reader = _Reader()
    reader.feed(decode_html(data))
    reader.close()
    reader._flush()
    items = reader.items
    if any(item.in_main for item in items):
        items = [item for item in items if item.in_main]
    if not items:
        raise DocumentError("no readable text in the page's main content")
    text_parts: list[str] = []
    blocks: list[Block] = []
    stack: list[tuple[int, str]] = []
    section = " ".join(reader.title.split())[:MAX_TITLE_CHARS] or default_section
    position = 0
    for item in items:
        if item.heading:
            section = enter_heading(stack, item.heading, " ".join(item.text.split())[:MAX_TITLE_CHARS])
        else:
            blocks.append(Block(section, position, position + len(item.text)))
        text_parts.append(item.text)
        position += len(item.text) + 2
    return Document({0: "\n\n".join(text_parts)}, blocks)
