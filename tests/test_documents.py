"""Study material beyond Markdown: PDF and HTML through real parsers, Markdown through markdown-it,
page-level citations, progress on long work, and the bad input each reader must survive.

The documents are built by ``bench.documents`` (PDFs written object by object), the same ones
``python -m bench.run --only documents`` measures.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bench import documents as docs
from knowledge.answer import AnswerStyle
from knowledge.loader import DocumentError, chunk_document, chunk_text, load_chunks, read_document
from knowledge.notes import NotesKnowledge
from knowledge.types import Citation, IndexProgress


def _write(folder: Path, name: str, data: bytes | str) -> Path:
    path = folder / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# --- Markdown -----------------------------------------------------------------------------------------


def test_markdown_edge_cases_file_each_passage_under_markdown_its_own_heading() -> None:
    text = docs.MARKDOWN_EDGE_CASES
    chunks = chunk_text(text, "edge.md")
    reference = docs.token_tree_headings(text, list(docs.MARKDOWN_EXPECTED))
    for phrase, section in docs.MARKDOWN_EXPECTED.items():
        (chunk,) = [c for c in chunks if phrase in c.text]
        assert chunk.section == section, phrase
        assert chunk.section.split(" > ")[-1] == reference[phrase], phrase  # markdown-it's own token tree
        assert text[chunk.start : chunk.end] == chunk.text


def test_front_matter_and_fenced_comments_are_neither_sections_nor_headings() -> None:
    chunks = chunk_text(docs.MARKDOWN_EDGE_CASES, "edge.md")
    sections = {c.section for c in chunks}
    assert not any("comment" in s or "Front matter" in s or "title:" in s for s in sections)
    assert not any("tags: [notes]" in c.text for c in chunks)  # front matter is not a passage either
    fence = next(c for c in chunks if "# comment inside a nested fence" in c.text)
    assert fence.text.startswith("````markdown") and fence.text.endswith("````")


def test_windows_line_endings_keep_sections_and_exact_offsets() -> None:
    unix = chunk_text(docs.MARKDOWN_EDGE_CASES, "edge.md")
    text = docs.MARKDOWN_EDGE_CASES.replace("\n", "\r\n")
    windows = chunk_text(text, "edge.md")
    assert [c.section for c in windows] == [c.section for c in unix]
    for chunk in windows:
        assert text[chunk.start : chunk.end] == chunk.text


def test_a_byte_order_mark_does_not_hide_the_first_heading() -> None:
    text = "\ufeff# Title\n\nBody text.\n"
    (chunk,) = chunk_text(text, "bom.md")
    assert (chunk.section, text[chunk.start : chunk.end]) == ("Title", "Body text.")


def test_markdown_chunk_ids_follow_content_not_position() -> None:
    before = chunk_text(docs.MARKDOWN_EDGE_CASES, "edge.md")
    after = chunk_text(
        "Preface added at the top.\n\n" + docs.MARKDOWN_EDGE_CASES.split("---\n", 2)[2], "edge.md"
    )
    assert {c.id for c in before if c.section != "edge"} <= {c.id for c in after}


# --- PDF ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lectures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("pdf"), "lectures.pdf", docs.lecture_pdf(100))


def test_pdf_chunks_quote_their_page_exactly_and_take_sections_from_the_outline(lectures: Path) -> None:
    data = lectures.read_bytes()
    document, chunks = load_chunks(lectures)
    assert {c.page for c in chunks} == set(range(1, 101))
    for page in (1, 73, 100):
        text = docs.page_text(data, page)
        assert document.texts[page] == text
        on_page = [c for c in chunks if c.page == page]
        assert on_page and all(text[c.start : c.end] == c.text for c in on_page)
        assert {c.section for c in on_page} == {f"Lecture {page}: The {docs.invented_term(page)} schedule"}
    assert not any(c.text.startswith("Lecture ") for c in chunks)  # the heading line is not a passage


def test_pdf_without_an_outline_takes_headings_from_font_sizes_else_names_pages(tmp_path: Path) -> None:
    pages = docs.lecture_pages(3)
    by_font = _write(tmp_path, "fonts.pdf", docs.text_pdf(pages, outline=False))
    _, chunks = load_chunks(by_font)
    assert {c.section for c in chunks if c.page == 2} == {f"Lecture 2: The {docs.invented_term(2)} schedule"}
    flat = _write(tmp_path, "flat.pdf", docs.text_pdf(pages, outline=False, title_size=11))
    _, chunks = load_chunks(flat)
    assert {c.section for c in chunks} == {"page 1", "page 2", "page 3"}


def test_hundred_page_pdf_question_about_page_73_cites_page_73_and_reindexing_writes_nothing(
    lectures: Path, tmp_path: Path
) -> None:
    knowledge = NotesKnowledge(tmp_path / "home", index_bundled=False)
    report = knowledge.index([lectures])
    assert report.errors == [] and report.added > 100

    answer = knowledge.answer(f"What is the {docs.invented_term(73)} schedule?", AnswerStyle()).answer
    assert answer.in_scope and answer.citations
    citation = answer.citations[0]
    assert (citation.page, citation.location) == (73, "lectures.pdf, p. 73")
    assert docs.page_text(lectures.read_bytes(), 73)[citation.start : citation.end] == citation.quote
    assert docs.invented_term(73) in citation.quote

    generation = knowledge.store.generation()
    again = knowledge.index([lectures])
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, report.added)
    assert knowledge.store.generation() == generation  # not one write to the store


def test_a_pdf_encrypted_only_against_copying_is_read(tmp_path: Path) -> None:
    path = _write(
        tmp_path, "restricted.pdf", docs.encrypted_pdf(password="")
    )  # opens with the empty password
    document, chunks = load_chunks(path)
    assert {c.page for c in chunks} == {1, 2} and docs.invented_term(2) in document.texts[2]


# --- HTML ---------------------------------------------------------------------------------------------


def test_saved_page_keeps_the_main_content_under_its_headings(tmp_path: Path) -> None:
    path = _write(tmp_path, "attention.html", docs.SAVED_PAGE)
    document, chunks = load_chunks(path)
    text = document.texts[0]
    assert [c.section for c in chunks] == [
        "Attention, explained",
        "Attention, explained > Queries and keys",
        "Attention, explained > Why it scales",
        "Attention, explained > Why it scales",
    ]
    assert chunks[0].text == "Attention lets every token weigh every other token & build its own context."
    assert chunks[-1].text == "scores = q @ k.T / sqrt(d)"  # preformatted text kept as written
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
    for boilerplate in ("navigation", "Sidebar", "advert", "Copyright", "script text", "color: red", "Home"):
        assert boilerplate not in text


def test_a_page_without_main_drops_navigation_and_scripts_and_fetches_nothing(tmp_path: Path) -> None:
    from pytest_socket import disable_socket, enable_socket

    from knowledge.html_page import html_document

    page = (
        '<html><body><nav><a href="https://example.invalid/">Home</a></nav>'
        '<script src="https://example.invalid/x.js"></script><img src="https://example.invalid/y.png">'
        "<h1>Dropout</h1><p>Dropout zeroes random activations while training.</p>"
        "<div hidden>hidden words</div><footer>footer words</footer></body></html>"
    )
    disable_socket()  # any attempt to fetch the script or the image would raise
    try:
        document = html_document(page.encode(), "dropout")
    finally:
        enable_socket()
    assert document.texts[0] == "Dropout\n\nDropout zeroes random activations while training."
    assert [b.section for b in document.blocks] == ["Dropout"]


def test_html_in_a_declared_charset_is_read_and_undeclared_bytes_are_refused(tmp_path: Path) -> None:
    latin = '<html><head><meta charset="windows-1252"></head><body><p>Caf\xe9 cr\xe8me</p></body></html>'
    document, chunks = load_chunks(_write(tmp_path, "latin.html", latin.encode("cp1252")))
    assert chunks[0].text == "Café crème"
    broken = _write(tmp_path, "broken.html", b"<html><body><p>caf\xe9</p></body></html>")
    with pytest.raises(DocumentError, match=r"broken\.html: not UTF-8 text \(byte 18\) and no charset"):
        read_document(broken)


# --- bad input ----------------------------------------------------------------------------------------


def test_bad_inputs_are_named_with_their_reason_and_the_rest_of_the_batch_is_indexed(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    bad = [_write(folder, name, case.build()) for name, case in docs.BAD_INPUTS.items()]
    nested_html = _write(folder, "nested.html", docs.nested_tags_html())
    assert nested_html.stat().st_size == 4_000_000
    good = [
        _write(folder, "good.md", "# Good\n\nA kernel slides over an image.\n"),
        _write(folder, "good.html", docs.SAVED_PAGE),
        _write(folder, "good.pdf", docs.lecture_pdf(2)),
        nested_html,
    ]
    knowledge = NotesKnowledge(tmp_path / "home", index_bundled=False)
    started = time.perf_counter()
    report = knowledge.index([bad[0], good[0], *bad[1:], *good[1:]])
    seconds = time.perf_counter() - started
    assert len(report.errors) == len(docs.BAD_INPUTS)
    for path, case in zip(bad, docs.BAD_INPUTS.values(), strict=True):
        (error,) = [e for e in report.errors if e.startswith(f"{path}: ")]
        assert case.reason in error and "Traceback" not in error
    assert knowledge.store.sources() == sorted(p.name for p in good)
    nested = knowledge.store.chunks_of("nested.html").values()
    assert [c.text for c in nested] == ["Deep nesting must not stop the reader from finding this sentence."]
    assert seconds < 120  # eight refusals and four files, each parse bounded by its 30 s limit


def test_a_parse_past_its_time_limit_is_stopped_and_named(lectures: Path) -> None:
    started = time.perf_counter()
    with pytest.raises(DocumentError, match=r"lectures\.pdf: reading it took longer than the 0\.05 s limit"):
        read_document(lectures, seconds=0.05)
    assert time.perf_counter() - started < 10  # the child was killed, not waited for


def test_size_limit_is_applied_before_parsing(tmp_path: Path) -> None:
    big = _write(tmp_path, "big.pdf", docs.lecture_pdf(20))
    with pytest.raises(DocumentError, match=r"bytes is over the 1000-byte limit"):
        read_document(big, max_bytes=1000)


def test_random_bytes_under_a_document_name_are_refused_or_read_never_raised(tmp_path: Path) -> None:
    import random

    rng = random.Random(17)
    for i in range(6):
        raw = b"%PDF-1.4\n" + rng.randbytes(3000) if i % 2 else b"<html>" + rng.randbytes(3000)
        path = _write(tmp_path, f"noise{i}.{'pdf' if i % 2 else 'html'}", raw)
        try:
            document = read_document(path)
        except DocumentError as exc:
            assert str(exc).startswith(f"{path}: ")
        else:
            for chunk in chunk_document(document, path.name):
                assert document.texts[chunk.page][chunk.start : chunk.end] == chunk.text


# --- progress and citations in the front ends -------------------------------------------------------


def test_index_progress_counts_every_file_and_chunk_once(tmp_path: Path) -> None:
    files = [
        _write(tmp_path, "a.md", "# A\n\nAttention weighs tokens.\n\nSoftmax turns scores into weights.\n"),
        _write(tmp_path, "broken.md", b"\xff\xfe"),
        _write(tmp_path, "lectures.pdf", docs.lecture_pdf(3)),
    ]
    seen: list[IndexProgress] = []
    knowledge = NotesKnowledge(tmp_path / "home", index_bundled=False)
    report = knowledge.index(files, progress=seen.append)
    chunks = report.added + report.updated + report.unchanged
    assert seen[0] == IndexProgress(0, 3, "reading", "a.md")
    assert [s.done for s in seen] == sorted(s.done for s in seen)
    assert seen[-1].done == seen[-1].total == len(files) + chunks
    stages = [s.stage for s in seen]
    assert stages.index("embedding") > max(i for i, s in enumerate(stages) if s == "reading")
    assert {s.source for s in seen if s.stage == "embedding"} == {"a.md", "lectures.pdf"}


def test_cli_index_json_stays_clean_while_the_bar_goes_to_stderr(tmp_path: Path) -> None:
    from agent.cli.main import app

    pdf = _write(tmp_path, "lectures.pdf", docs.lecture_pdf(3))
    bad = _write(tmp_path, "fake.pdf", "not a pdf")
    result = CliRunner().invoke(app, ["index", str(pdf), str(bad), "--json", "--home", str(tmp_path / "h")])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["added"] == 9 and report["errors"] == [
        f"{bad}: not a PDF (no %PDF- header); the content looks like text"
    ]
    assert "embedding lectures.pdf" in result.stderr and "11/11" in result.stderr  # 2 files + 9 chunks


def test_cli_and_page_name_the_page_of_a_pdf_citation(capsys: pytest.CaptureFixture[str]) -> None:
    from agent.cli.conversation import _print_reply
    from agent.types import Reply
    from agent.ui.render import citations_markdown

    pdf = Citation("Lecture 12", "lectures.pdf", 40, 90, "The schedule multiplies the rate.", "c1", page=12)
    notes = Citation("Transformers", "study-notes.md", 5, 30, "Attention weighs tokens.", "c2")
    _print_reply(Reply("r1", "An answer [1] [2]", citations=[pdf, notes]), as_json=False)
    out = capsys.readouterr().out
    assert "[1] Lecture 12 (lectures.pdf, p. 12, chars 40-90)" in out
    assert "[2] Transformers (study-notes.md, chars 5-30)" in out
    shown = citations_markdown([pdf.to_dict(), notes])
    assert "**Lecture 12** (lectures.pdf, p. 12)" in shown and "**Transformers** (study-notes.md)" in shown


def test_page_upload_shows_indexing_progress_and_names_what_failed(shared_agent: Any, tmp_path: Path) -> None:
    import gradio as gr

    from agent.ui.page import ChatPage
    from agent.ui.uploads import owner_folder

    page = ChatPage(shared_agent)
    pdf = _write(tmp_path, "upload-lectures.pdf", docs.lecture_pdf(2))
    locked = _write(tmp_path, "locked.pdf", docs.encrypted_pdf())
    calls: list[tuple[Any, str]] = []
    try:
        status, _ = page.upload(
            [str(pdf), str(locked)],
            gr.Request(username="doc-uploader"),
            progress=lambda p, desc="", **_: calls.append((p, desc)),
        )
    finally:
        shared_agent.forget("upload-lectures.pdf", user="doc-uploader")
    steps = [p for p, _ in calls if isinstance(p, tuple)]
    assert steps and steps[-1][0] == steps[-1][1] and steps[-1][1] > 2  # files, then every chunk
    assert any(desc == "Reading upload-lectures.pdf" for _, desc in calls)
    assert any(desc == "Embedding upload-lectures.pdf" for _, desc in calls)
    assert "✅ Indexed upload-lectures.pdf" in status
    assert "❌ locked.pdf: encrypted PDF: it needs a password" in status
    assert str(page.uploads_dir) not in status
    assert not (page.uploads_dir / owner_folder("doc-uploader") / "locked.pdf").exists()
