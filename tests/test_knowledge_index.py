"""Indexing is incremental: content-derived ids make re-indexing cheap and exact."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.notes import NotesKnowledge

DOC = """# Optimisers
## SGD
Stochastic gradient descent updates weights with a small step against the gradient.

Momentum keeps a running average of past gradients.

## Adam
Adam adapts the step size of every weight from running moments of its gradients.
"""


@pytest.fixture
def knowledge(tmp_path: Path) -> NotesKnowledge:
    return NotesKnowledge(tmp_path / "home", index_bundled=False)


def test_first_index_adds_every_chunk(knowledge: NotesKnowledge, tmp_path: Path) -> None:
    doc = tmp_path / "optim.md"
    doc.write_text(DOC, encoding="utf-8")
    report = knowledge.index([doc])
    assert (report.added, report.updated, report.unchanged, report.removed) == (3, 0, 0, 0)
    assert knowledge.store.count() == 3


def test_reindex_of_unchanged_file_writes_nothing(knowledge: NotesKnowledge, tmp_path: Path) -> None:
    doc = tmp_path / "optim.md"
    doc.write_text(DOC, encoding="utf-8")
    knowledge.index([doc])
    generation = knowledge.store.generation()
    report = knowledge.index([doc])
    assert report.added == report.updated == report.removed == 0
    assert report.unchanged == 3
    assert knowledge.store.generation() == generation  # not a single write reached Chroma


def test_changed_file_replaces_only_changed_chunks(knowledge: NotesKnowledge, tmp_path: Path) -> None:
    doc = tmp_path / "optim.md"
    doc.write_text(DOC, encoding="utf-8")
    knowledge.index([doc])
    before = {c.id for c in knowledge.store.chunks_of("optim.md").values()}
    changed = DOC.replace("Momentum keeps", "Nesterov momentum keeps")
    doc.write_text(changed, encoding="utf-8")
    report = knowledge.index([doc])
    assert (report.added, report.updated, report.unchanged, report.removed) == (0, 1, 2, 0)
    after = knowledge.store.chunks_of("optim.md")
    assert len(before & set(after)) == 2
    for chunk in after.values():  # offsets of moved chunks follow the new text
        assert changed[chunk.start : chunk.end] == chunk.text


def test_removed_and_added_paragraphs_are_counted(knowledge: NotesKnowledge, tmp_path: Path) -> None:
    doc = tmp_path / "optim.md"
    doc.write_text(DOC, encoding="utf-8")
    knowledge.index([doc])
    doc.write_text(
        DOC.replace("Momentum keeps a running average of past gradients.\n\n", "")
        + "\n## RMSProp\nScales steps.\n"
    )
    report = knowledge.index([doc])
    assert (report.added, report.updated, report.unchanged, report.removed) == (1, 0, 2, 1)
    assert knowledge.store.count() == 3


def test_a_bad_file_is_reported_and_the_others_still_indexed(
    knowledge: NotesKnowledge, tmp_path: Path
) -> None:
    good = tmp_path / "good.md"
    good.write_text(DOC, encoding="utf-8")
    bad = tmp_path / "bad.md"
    bad.write_bytes(b"\xff\xfe\xfa")
    report = knowledge.index([bad, tmp_path / "missing.txt", tmp_path, good])
    assert report.added == 3
    assert len(report.errors) == 3
    assert any("bad.md" in e for e in report.errors)
    assert any("missing.txt" in e for e in report.errors)


def test_forget_drops_a_source(knowledge: NotesKnowledge, tmp_path: Path) -> None:
    doc = tmp_path / "optim.md"
    doc.write_text(DOC, encoding="utf-8")
    knowledge.index([doc])
    assert knowledge.forget("optim.md") == 3
    assert knowledge.store.count() == 0
    assert knowledge.retrieve("What does Adam do?").ranked == []


def test_bundled_notes_are_indexed_on_first_use(tmp_path: Path) -> None:
    knowledge = NotesKnowledge(tmp_path / "home")
    assert knowledge.store.sources() == ["study-notes.md"]
    again = NotesKnowledge(tmp_path / "home")
    assert again.store.count() == knowledge.store.count()
