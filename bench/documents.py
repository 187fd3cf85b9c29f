"""Documents the document tests and ``bench.bench_documents`` build: PDFs written object by object,
Markdown edge cases, saved web pages, and the bad inputs each reader must refuse (``BAD_INPUTS``).

PDFs are written by hand (a catalog, a page tree, Helvetica, one content stream per page, an
optional outline) rather than with reportlab: the bombs and the damaged files need control over
every object anyway, and the tests then need no PDF writer beyond pypdf (for encryption).
"""

from __future__ import annotations

import io
import random
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# --- writing PDF objects ----------------------------------------------------------------------------


def pdf_string(text: str) -> bytes:
    """A PDF literal string: backslash and parentheses escaped, Latin-1 (Helvetica's WinAnsi)."""
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("latin-1") + b")"


def write_pdf(
    objects: Sequence[bytes], root: int = 1, header: bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
) -> bytes:
    """A PDF file of ``objects`` (numbered from 1) with a correct cross-reference table."""
    out = io.BytesIO()
    out.write(header)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, xref)
    )
    return out.getvalue()


def stream(content: bytes, extra: bytes = b"", compress: bool = False) -> bytes:
    if compress:
        content = zlib.compress(content)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n" % (len(content), extra) + content + b"\nendstream"


@dataclass(frozen=True)
class PdfPage:
    """One page: a title drawn large (or none) and paragraphs of lines drawn at body size."""

    title: str
    paragraphs: list[list[str]]


def text_pdf(pages: Sequence[PdfPage], outline: bool = True, title_size: int = 18) -> bytes:
    """A text PDF: each page's title at ``title_size`` pt, its lines at 11 pt, an outline entry per title."""
    n = len(pages)
    first_page = 5
    outline_root = first_page + 2 * n
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R%s >>" % (b" /Outlines %d 0 R" % outline_root if outline else b""),
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(n)), n),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>",
    ]
    for i, page in enumerate(pages):
        ops = [b"BT"]
        y = 740
        if page.title:
            ops.append(b"/F2 %d Tf 1 0 0 1 72 %d Tm %s Tj" % (title_size, y, pdf_string(page.title)))
            y -= 36
        for paragraph in page.paragraphs:
            for line in paragraph:
                ops.append(b"/F1 11 Tf 1 0 0 1 72 %d Tm %s Tj" % (y, pdf_string(line)))
                y -= 14
            y -= 10
        ops.append(b"ET")
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R "
            b"/F2 4 0 R >> >> /Contents %d 0 R >>" % (first_page + 2 * i + 1)
        )
        objects.append(stream(b"\n".join(ops), compress=True))
    if outline:
        titled = [i for i, p in enumerate(pages) if p.title]
        items = [outline_root + 1 + k for k in range(len(titled))]
        objects.append(
            b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>" % (items[0], items[-1], len(items))
        )
        for k, i in enumerate(titled):
            links = b""
            if k:
                links += b" /Prev %d 0 R" % items[k - 1]
            if k + 1 < len(items):
                links += b" /Next %d 0 R" % items[k + 1]
            objects.append(
                b"<< /Title %s /Parent %d 0 R /Dest [%d 0 R /Fit]%s >>"
                % (pdf_string(pages[i].title), outline_root, first_page + 2 * i, links)
            )
    return write_pdf(objects)


def wrap(text: str, width: int = 88) -> list[str]:
    """Lines of at most ``width`` characters, broken at spaces (the last line is shorter: a paragraph end)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    return [*lines, current] if current else lines


# --- a lecture course of 100 pages --------------------------------------------------------------------

_SYLLABLES = "bra cor dil fen gav hol jun kes lom mir nop quas rit sov tul vex wim yar zod pel".split()
_FILLER = (
    "Students often revisit this idea when they train their first networks, because the same trade-off "
    "between speed and stability appears in many places. The exercises at the end of the lecture apply it "
    "to a small data set, and the solutions discuss what changes when the model grows. A short summary "
    "closes the page so that the next lecture can build on it."
)


def invented_term(page: int) -> str:
    """A made-up technique name that only page ``page`` of the lecture PDF uses ("corfenlom")."""
    rng = random.Random(page * 7919)
    return "".join(rng.sample(_SYLLABLES, 3))


def lecture_fact(page: int) -> str:
    """The sentence page ``page`` says about its technique: what a question about that page should quote."""
    return (
        f"The {invented_term(page)} schedule multiplies the learning rate by {page % 9 + 2} whenever the "
        f"validation loss stops falling for {page % 5 + 3} epochs."
    )


def lecture_pages(count: int = 100) -> list[PdfPage]:
    pages = []
    for n in range(1, count + 1):
        term = invented_term(n)
        intro = f"This lecture introduces the {term} schedule, a way of changing the learning rate during training."
        pages.append(
            PdfPage(f"Lecture {n}: The {term} schedule", [wrap(intro), wrap(lecture_fact(n)), wrap(_FILLER)])
        )
    return pages


def lecture_pdf(count: int = 100) -> bytes:
    """A course of ``count`` one-page lectures with an outline; each page names its own invented technique."""
    return text_pdf(lecture_pages(count))


# --- bad input --------------------------------------------------------------------------------------


def empty_pages_pdf(count: int) -> bytes:
    """Thousands of pages of nothing: a page-count bomb (each page object is a few dozen bytes)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (3 + i) for i in range(count)), count),
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>"] * count
    return write_pdf(objects)


def nested_objects_pdf(depth: int = 50_000) -> bytes:
    """A page whose resources hold an array nested ``depth`` deep: a parser that recurses must stop."""
    nested = b"[" * depth + b"]" * depth
    return write_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /X "
            + nested
            + b" >> /Contents 4 0 R >>",
            stream(b"BT /F1 11 Tf 72 700 Td (nested) Tj ET"),
        ]
    )


def scanned_pdf(pages: int = 2) -> bytes:
    """Pages that are only a picture (a gray 8x8 image), as a scanner makes them: no text layer."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (4 + 2 * i) for i in range(pages)), pages),
        stream(
            bytes(range(0, 256, 4)),
            b" /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray /BitsPerComponent 8",
        ),
    ]
    for i in range(pages):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 3 0 R >> >> "
            b"/Contents %d 0 R >>" % (5 + 2 * i)
        )
        objects.append(stream(b"q 500 0 0 700 50 50 cm /Im1 Do Q"))
    return write_pdf(objects)


def encrypted_pdf(password: str = "s3cret") -> bytes:
    """A text PDF that needs a password to open (AES-256, via pypdf)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(lecture_pdf(2))))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def corrupt_pdf() -> bytes:
    """A PDF header followed by the first half of a real file, then garbage: truncated in transfer."""
    whole = lecture_pdf(3)
    return whole[: len(whole) // 2] + b"\x00garbage" * 10


def nested_tags_html(tags: int = 100_000, size: int = 4_000_000) -> bytes:
    """A page of ``tags`` nested, never-closed <div>s whose attributes pad it to ``size`` bytes, with one
    sentence at the bottom of the nesting."""
    head = b"<!DOCTYPE html><html><head><title>Nested</title></head><body>"
    sentence = b"Deep nesting must not stop the reader from finding this sentence."
    room = size - len(head) - len(sentence)
    pad = max(0, room // tags - len(b'<div class="">'))
    tag = b'<div class="' + b"n" * pad + b'">'
    page = head + tag * tags
    return page + b" " * max(0, size - len(page) - len(sentence)) + sentence


@dataclass(frozen=True)
class BadInput:
    """A file a reader must refuse, and the words its refusal must contain."""

    build: Callable[[], bytes]
    reason: str


BAD_INPUTS: dict[str, BadInput] = {
    "bomb.pdf": BadInput(lambda: empty_pages_pdf(5_000), "5,000 pages is over the 2,000-page limit"),
    "nested.pdf": BadInput(nested_objects_pdf, "no text could be read: the file is damaged"),
    "scanned.pdf": BadInput(scanned_pdf, "no text layer in its 2 page(s) (a scanned PDF?)"),
    "locked.pdf": BadInput(encrypted_pdf, "encrypted PDF: it needs a password"),
    "truncated.pdf": BadInput(corrupt_pdf, "not a readable PDF"),
    "notes-really.pdf": BadInput(
        lambda: b"# Notes\n\nMarkdown with a .pdf name.\n", "not a PDF (no %PDF- header)"
    ),
    "slides-really.md": BadInput(lambda: lecture_pdf(1), "the content is a PDF; rename it to .pdf"),
    "latin1.md": BadInput(lambda: "# Caf\xe9\n\nCr\xe8me.\n".encode("latin-1"), "not UTF-8 text (byte 5)"),
}


def page_text(data: bytes, page: int) -> str:
    """A page's text as pypdf extracts it, straight from the file: what a citation's quote is checked against."""
    from pypdf import PdfReader

    return PdfReader(io.BytesIO(data)).pages[page - 1].extract_text()


# --- Markdown edge cases ----------------------------------------------------------------------------

MARKDOWN_EDGE_CASES = """\
---
title: Front matter is not a section
tags: [notes]
---

Course notes
============

The opening paragraph sits under the setext title.

   ## Indented heading

A heading indented by three spaces is still a heading, and this paragraph belongs to it.

````markdown
```python
# comment inside a nested fence
x = 1
```
````

This paragraph follows the nested fence and still belongs to the indented heading.

- a list item before the heading
- ## Heading inside a list
  The list item's own text belongs to the heading inside the list.

> ### Heading inside a quote
> The quoted paragraph belongs to the heading inside the quote.

Second part
-----------

The last paragraph sits under the setext subtitle.
"""

# phrase -> the section a chunk holding it must be filed under
MARKDOWN_EXPECTED = {
    "opening paragraph": "Course notes",
    "indented by three spaces": "Course notes > Indented heading",
    "comment inside a nested fence": "Course notes > Indented heading",
    "follows the nested fence": "Course notes > Indented heading",
    "a list item before the heading": "Course notes > Indented heading",
    "list item's own text": "Course notes > Heading inside a list",
    "quoted paragraph": "Course notes > Heading inside a list > Heading inside a quote",
    "last paragraph": "Course notes > Second part",
}


SAVED_PAGE = """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>Attention, explained</title>
<script>document.write("<p>script text must never be indexed</p>"); fetch("https://example.invalid/track");</script>
<style>p { color: red } .never-indexed { }</style>
<link rel="stylesheet" href="https://example.invalid/site.css"></head>
<body>
<header><nav><a href="/">Home</a> | <a href="/blog">Blog</a> | site navigation words</nav></header>
<aside class="sidebar">Sidebar: popular posts and an advert</aside>
<main>
<article>
<header><h1>Attention, explained</h1></header>
<p>Attention lets every token weigh every other token &amp; build its own context.</p>
<h2>Queries and keys</h2>
<p>Each token's query is compared with every key; the softmax of the scores gives the weights.</p>
<img src="https://example.invalid/diagram.png" alt="diagram">
<h2>Why it scales</h2>
<p>The weights are computed for all tokens at once, which suits <em>parallel</em> hardware.</p>
<pre>scores = q @ k.T / sqrt(d)</pre>
</article>
</main>
<footer>Copyright and footer links</footer>
</body></html>
"""


def token_tree_headings(text: str, phrases: Sequence[str]) -> dict[str, str]:
    """For each phrase, the title of the heading that precedes it in markdown-it's own full token tree
    (inline parsing on, front matter recognised): the reference the chunker's sections are checked on."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin

    found: dict[str, str] = {}
    heading, in_heading = "", False
    for token in MarkdownIt("commonmark").use(front_matter_plugin).parse(text):
        if token.type == "heading_open":
            in_heading = True
        elif token.type == "heading_close":
            in_heading = False
        elif token.type == "inline" and in_heading:
            heading = "".join(c.content for c in token.children or [] if c.type in ("text", "code_inline"))
        elif token.type != "front_matter":
            for phrase in phrases:
                if phrase in token.content and phrase not in found:
                    found[phrase] = heading
    return found
