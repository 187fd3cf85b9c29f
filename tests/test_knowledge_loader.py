"""Chunking keeps heading paths and exact offsets, and refuses what cannot be indexed.

Markdown edge cases, PDF and HTML: tests/test_documents.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.loader import DocumentError, chunk_text, load_chunks, read_document
from knowledge.markdown import clean_heading


def test_every_chunk_quotes_its_source_exactly(notes_text: str) -> None:
    chunks = chunk_text(notes_text, "study-notes.md")
    assert len(chunks) > 15
    for chunk in chunks:
        assert notes_text[chunk.start : chunk.end] == chunk.text
        assert chunk.source == "study-notes.md"


def test_heading_paths_follow_the_heading_levels(notes_text: str) -> None:
    sections = {c.section for c in chunk_text(notes_text, "study-notes.md")}
    assert "Deep Learning > Transformers > Positional Encoding" in sections
    assert "Deep Learning > Deep Learning Basics > How does training work conceptually?" in sections
    assert "Adaptive AI and AI Agents > Adaptive AI > Online Learning vs Batch Learning" in sections


def test_link_markup_is_stripped_from_headings(notes_text: str) -> None:
    sections = {c.section for c in chunk_text(notes_text, "study-notes.md")}
    assert "Generative AI > Explore Hugging Face Model Hub" in sections
    assert not any("](" in s or "[" in s for s in sections)
    assert clean_heading("[Explore **the** Hub](https://x.y/z)") == "Explore the Hub"


def test_list_items_become_their_own_chunks(notes_text: str) -> None:
    hub = [
        c for c in chunk_text(notes_text, "study-notes.md") if c.section.endswith("Hugging Face Model Hub")
    ]
    assert sum("GPT-2" in c.text for c in hub) == 1
    gpt2 = next(c for c in hub if "GPT-2" in c.text)
    assert "WebText" in gpt2.text and "GPT-Neo" not in gpt2.text


def test_headings_inside_code_fences_are_not_sections() -> None:
    text = "# Top\nIntro.\n\n```\n# not a heading\n```\n\n## Sub\nBody text.\n"
    chunks = chunk_text(text, "x.md")
    assert {c.section for c in chunks} == {"Top", "Top > Sub"}


def test_demo_citations_name_the_section_the_chunk_has(notes_text: str) -> None:
    from tools.notes_refs import cite_notes

    for chunk in chunk_text(notes_text, "study-notes.md"):
        citation = cite_notes(chunk.section, chunk.text[:40])
        assert citation.section == chunk.section
        assert chunk.start <= citation.start < chunk.end


def test_long_paragraphs_are_split_at_sentences_with_exact_offsets() -> None:
    sentence = "Attention relates every token to every other token in the sentence. "
    text = "# Long\n" + sentence * 60
    chunks = chunk_text(text, "long.md")
    assert len(chunks) > 1
    for chunk in chunks:
        assert len(chunk.text) <= 1200
        assert text[chunk.start : chunk.end] == chunk.text


def test_text_files_use_the_file_name_as_section(tmp_path: Path) -> None:
    path = tmp_path / "lecture.txt"
    path.write_text("First paragraph.\n\nSecond paragraph.\n", encoding="utf-8")
    _, chunks = load_chunks(path)
    assert [c.section for c in chunks] == ["lecture", "lecture"]


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("binary.md", b"\xff\xfe\x00bad", "not UTF-8"),
        ("nul.md", b"abc\x00def", "binary"),
        ("slides.pptx", b"PK\x03\x04", "only .md"),
        ("paper.pdf", b"# Notes\nnot a PDF at all", "not a PDF"),
        ("notes.md", b"%PDF-1.7\n%\xe2\xe3", "is a PDF; rename it to .pdf"),
        ("page.md", b"<!DOCTYPE html><html><body>x</body></html>", "saved web page"),
        ("empty.md", b"  \n", "empty"),
    ],
)
def test_bad_documents_are_refused_with_the_file_named(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError, match=expected) as info:
        read_document(path)
    assert name in str(info.value)


def test_missing_files_and_directories_are_refused(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="no such file"):
        read_document(tmp_path / "missing.md")
    with pytest.raises(DocumentError, match="directory"):
        read_document(tmp_path)


def test_oversized_documents_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "big.md"
    path.write_text("x" * 2000, encoding="utf-8")
    with pytest.raises(DocumentError, match="limit"):
        read_document(path, max_bytes=1000)
