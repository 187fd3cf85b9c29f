"""Markdown (and plain text) through markdown-it-py: the one reader of headings and passages.

A CommonMark parser sees what a reader sees, where the hand-written line regexes it replaces did not:
a setext heading (``Title`` over ``=====``), an indented ``   ## Heading``, headings inside list items
and block quotes, YAML front matter (not a section, not a passage), and a ``# comment`` inside a
four-backtick fence that holds a three-backtick one (code, not a heading that files the rest of the
file under itself). Every offset comes from the tokens' ``map`` line ranges applied to the original
text, so ``text[start:end]`` is always the file's own characters.

Only the block level is parsed: inline parsing of every paragraph took 40% of the 1.8 s a 5 MB file
took and is slow on some inputs ("[a](" * 100,000: 2.1 s for 400 KB), while only headings' titles
need it; those are parsed one by one (``clean_heading``), capped at ``MAX_HEADING_CHARS``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from knowledge.types import Block, Document, enter_heading

if TYPE_CHECKING:
    from markdown_it import MarkdownIt
    from markdown_it.token import Token

MAX_HEADING_CHARS = 500  # a heading longer than this is a paragraph someone marked up, not a title
LINE_BREAK = re.compile(r"\r\n|\r|\n")  # markdown-it's own normalisation: each is one line break
_CONTAINERS = ("blockquote_open", "bullet_list_open", "ordered_list_open")
_NOT_PASSAGES = ("heading_open", "front_matter", "hr")


@cache
def _parser() -> MarkdownIt:
    """CommonMark plus tables and front matter, block level only (see the module docstring)."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin

    return MarkdownIt("commonmark").use(front_matter_plugin).enable("table").disable("inline")


def _parse(text: str) -> list[Token]:
    """The block tokens of ``text``. A byte-order mark would hide a heading on the first line from the
    parser; a space of the same length keeps every offset."""
    return _parser().parse(" " + text[1:] if text.startswith("\ufeff") else text)


@cache
def _inline_parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")


def clean_heading(raw: str) -> str:
    """A heading's title as a reader sees it: link targets, emphasis marks and code ticks gone."""
    parts: list[str] = []
    for inline in _inline_parser().parseInline(raw[:MAX_HEADING_CHARS]):
        for token in inline.children or []:
            if token.type in ("text", "code_inline", "image"):  # an image's content is its alt text
                parts.append(token.content)
            elif token.type in ("softbreak", "hardbreak"):
                parts.append(" ")
    return " ".join("".join(parts).split())


@dataclass(frozen=True)
class Section:
    """A heading path and its body: from the line after the heading to the next heading's line."""

    path: str  # "Deep Learning > Transformers > Self-Attention"
    start: int
    end: int


def _line_starts(text: str) -> list[int]:
    """Offset of each line's first character, plus ``len(text)`` for the line after the last."""
    return [0, *(m.end() for m in LINE_BREAK.finditer(text)), len(text)]


def _offset(starts: list[int], line: int) -> int:
    return starts[min(line, len(starts) - 1)]


def _sections(tokens: list[Token], starts: list[int], default_section: str) -> list[Section]:
    stack: list[tuple[int, str]] = []
    found: list[Section] = []
    path, body_start = default_section, 0
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or token.map is None:
            continue
        found.append(Section(path, body_start, _offset(starts, token.map[0])))
        level = int(token.tag[1:])
        title = clean_heading(tokens[i + 1].content) or "(untitled)"
        path = enter_heading(stack, level, title)
        body_start = _offset(starts, token.map[1])
    found.append(Section(path, body_start, starts[-1]))
    return found


def sections(text: str, default_section: str) -> list[Section]:
    """Each section (heading path, body start, body end), in order; what comes before the first heading
    is ``default_section``. Chunks and the demo tools' citations (``tools.notes_refs``) both read
    sections here, so they agree on what a section is called and where its body is."""
    return _sections(_parse(text), _line_starts(text), default_section)


def _passage_lines(tokens: list[Token]) -> Iterator[tuple[int, int]]:
    """Line ranges of the passages: paragraphs, code, tables, and each item of a list as a whole.

    Block quotes are read into (their paragraphs are passages); a list item is one passage however
    much it nests, so a bullet and its sub-bullets stay together. A quote with no passage of its own
    (the parser stops nesting at ``maxNesting``) is one passage, so no text is lost.
    """
    quotes: list[tuple[int, tuple[int, int]]] = []  # (level, lines) of the block quotes read into
    quiet: list[bool] = []  # per open quote: nothing yielded inside it yet
    lists: list[int] = []  # levels of the lists whose items are passages

    def passage(first: int, last: int) -> tuple[int, int]:
        quiet[:] = [False] * len(quiet)
        return first, last

    for token in tokens:
        if token.nesting == -1:
            if quotes and token.type == "blockquote_close" and token.level == quotes[-1][0]:
                _, lines = quotes.pop()
                if quiet.pop():
                    yield passage(*lines)
            elif lists and token.type.endswith("list_close") and token.level == lists[-1]:
                lists.pop()
            continue
        if token.map is None:
            continue
        if lists and token.type == "list_item_open" and token.level == lists[-1] + 1:
            yield passage(token.map[0], token.map[1])
            continue
        if token.level != (quotes[-1][0] + 1 if quotes else 0) or token.type in _NOT_PASSAGES:
            continue
        if token.type == "blockquote_open":
            quotes.append((token.level, (token.map[0], token.map[1])))
            quiet.append(True)
        elif token.type in _CONTAINERS:
            lists.append(token.level)
        else:
            yield passage(token.map[0], token.map[1])


def markdown_document(text: str, default_section: str) -> Document:
    """The passages of a Markdown text, each cut at section boundaries and filed under its section.

    A passage that holds a heading (a list item ``- ## Title``) is split there: the heading's lines
    belong to no passage, and what follows is filed under the new heading.
    """
    tokens = _parse(text)
    starts = _line_starts(text)
    found = _sections(tokens, starts, default_section)
    blocks: list[Block] = []
    i = 0
    for first, last in _passage_lines(tokens):
        start, end = _offset(starts, first), _offset(starts, last)
        while i < len(found) and found[i].end <= start:
            i += 1
        j = i
        while j < len(found) and found[j].start < end:
            s, e = max(start, found[j].start), min(end, found[j].end)
            if e > s:
                blocks.append(Block(found[j].path, s, e))
            j += 1
    return Document({0: text}, blocks)
