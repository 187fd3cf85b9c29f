"""Documents have owners: the bundled notes are everyone's and read-only, an upload is its uploader's alone.

Before, documents were keyed by file name in one index for everyone: a one-line upload named
``study-notes.md`` replaced the bundled notes for every user (and for good, as the notes were re-indexed
only when no file of that name was indexed), and every upload was cited to every user.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from knowledge.indexer import ChunkLimits
from knowledge.links import is_bundled_source
from knowledge.loader import bundled_notes_path, chunk_text
from knowledge.notes import NotesKnowledge
from knowledge.priority import answering
from knowledge.types import SHARED

QUESTION = "What is self-attention?"
KESTREL = (
    "# Kestrel attention\n\n"
    "Kestrel attention is an attention variant in which every token attends only to the tokens at "
    "prime-numbered positions. It was invented for these tests and appears in no other notes.\n"
)


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _sources(reply: object) -> set[tuple[str, str]]:
    return {(c.source, c.owner) for c in reply.citations}  # type: ignore[attr-defined]


def test_an_upload_named_like_the_bundled_notes_changes_nothing_for_anyone_else(
    fresh_agent: object, tmp_path: Path
) -> None:
    from agent import Agent

    agent = fresh_agent
    before = agent.chat(QUESTION, user="bob", session="s")  # type: ignore[attr-defined]
    assert ("study-notes.md", SHARED) in _sources(before), before.text
    shared_ids = set(agent.knowledge.store.chunks_of("study-notes.md"))  # type: ignore[attr-defined]

    fake = _write(tmp_path / "mallory", "study-notes.md", "# Notes\n\nNothing about attention here.\n")
    report = agent.index([fake], user="mallory")  # type: ignore[attr-defined]
    assert (report.added, report.errors) == (1, [])
    assert set(agent.knowledge.store.chunks_of("study-notes.md")) == shared_ids  # type: ignore[attr-defined]
    after = agent.chat(QUESTION, user="bob", session="s2")  # type: ignore[attr-defined]
    assert after.text == before.text and _sources(after) == _sources(before)

    restarted = Agent(home=agent.home)  # type: ignore[attr-defined]
    again = restarted.chat(QUESTION, user="bob", session="s3")
    assert again.text == before.text and ("study-notes.md", SHARED) in _sources(again)
    assert set(restarted.knowledge.store.chunks_of("study-notes.md")) == shared_ids


def test_the_bundled_notes_come_back_at_start_after_something_replaced_them(tmp_path: Path) -> None:
    home = tmp_path / "home"
    knowledge = NotesKnowledge(home)
    expected = {c.id for c in chunk_text(bundled_notes_path().read_text(encoding="utf-8"), "study-notes.md")}
    assert set(knowledge.store.chunks_of("study-notes.md")) == expected
    stale = list(knowledge.store.chunks_of("study-notes.md"))[:5]
    knowledge.store.delete(stale)  # as an earlier version let a same-named upload do
    assert set(NotesKnowledge(home).store.chunks_of("study-notes.md")) == expected


def test_the_shared_library_refuses_another_file_with_the_bundled_notes_name(
    shared_agent: object, tmp_path: Path
) -> None:
    fake = _write(tmp_path, "study-notes.md", "# Notes\n\nReplaced.\n")
    before = set(shared_agent.knowledge.store.chunks_of("study-notes.md"))  # type: ignore[attr-defined]
    report = shared_agent.index([fake])  # type: ignore[attr-defined]
    assert report.added == 0 and len(report.errors) == 1
    assert "bundled notes have this name and are read-only" in report.errors[0]
    assert set(shared_agent.knowledge.store.chunks_of("study-notes.md")) == before  # type: ignore[attr-defined]


def test_an_upload_is_retrieved_and_cited_only_for_its_uploader(shared_agent: object, tmp_path: Path) -> None:
    agent = shared_agent
    doc = _write(tmp_path, "kestrel.md", KESTREL)
    try:
        assert agent.index([doc], user="own-alice").added == 1  # type: ignore[attr-defined]
        mine = agent.chat("What is Kestrel attention?", user="own-alice", session="s")  # type: ignore[attr-defined]
        assert ("kestrel.md", "own-alice") in _sources(mine) and "prime-numbered" in mine.text
        theirs = agent.chat("What is Kestrel attention?", user="own-bob", session="s")  # type: ignore[attr-defined]
        assert not any(source == "kestrel.md" for source, _ in _sources(theirs))
        assert "prime-numbered" not in theirs.text
        # nothing of it reaches another user by any route: passages, vocabulary, overview
        assert all(
            s.chunk.source != "kestrel.md" for s in agent.retrieve("Kestrel attention", user="own-bob")
        )  # type: ignore[attr-defined]
        bob = agent.knowledge.for_owner("own-bob")  # type: ignore[attr-defined]
        assert bob.absent_concepts("What is Kestrel attention?") == ["Kestrel attention"]
        assert "kestrel.md" not in bob.sources()
        assert "kestrel.md" in agent.knowledge.for_owner("own-alice").sources()  # type: ignore[attr-defined]
        overview = agent.run_tool("notes_overview", {}, user="own-bob")  # type: ignore[attr-defined]
        assert "kestrel" not in overview.text.lower()
        # forgetting is per owner too: Bob cannot forget Alice's document
        assert agent.forget("kestrel.md", user="own-bob") == 0  # type: ignore[attr-defined]
        assert agent.forget("kestrel.md", user="own-alice") == 1  # type: ignore[attr-defined]
    finally:
        agent.forget("kestrel.md", user="own-alice")  # type: ignore[attr-defined]


def test_two_users_files_of_the_same_name_never_collide(tmp_path: Path) -> None:
    knowledge = NotesKnowledge(tmp_path / "home", index_bundled=False)
    ann = _write(tmp_path / "ann", "notes.md", "# Mine\n\nThe quokka fact belongs to Ann.\n")
    ben = _write(tmp_path / "ben", "notes.md", "# Mine\n\nThe axolotl fact belongs to Ben.\n")
    assert knowledge.index([ann], owner="ann").added == 1
    assert knowledge.index([ben], owner="ben").added == 1
    for owner, word, other in (("ann", "quokka", "axolotl"), ("ben", "axolotl", "quokka")):
        (hit,) = knowledge.for_owner(owner).retrieve("Whose fact is it?", k=5).ranked
        assert word in hit.chunk.text and other not in hit.chunk.text and hit.chunk.owner == owner
    assert knowledge.retrieve("Whose fact is it?").ranked == []  # the shared library has neither
    assert knowledge.index([ann], owner="ann").unchanged == 1  # unchanged, though Ben's has the same name
    assert knowledge.forget("notes.md", owner="ann") == 1
    assert knowledge.for_owner("ben").sources() == ["notes.md"]


def test_chunk_caps_refuse_a_document_whole_and_keep_a_user_under_their_total(tmp_path: Path) -> None:
    knowledge = NotesKnowledge(
        tmp_path / "home", index_bundled=False, limits=ChunkLimits(per_document=3, per_owner=5)
    )
    sections = lambda n, word: "".join(f"# {word} {i}\n\nPart {i} of {word}.\n\n" for i in range(n))  # noqa: E731
    big = _write(tmp_path, "big.md", sections(4, "big"))
    report = knowledge.index([big], owner="ann")
    assert report.added == 0 and "4 chunks is over the limit of 3 per document" in report.errors[0]
    first = _write(tmp_path, "first.md", sections(3, "first"))
    second = _write(tmp_path, "second.md", sections(3, "second"))
    report = knowledge.index([first, second], owner="ann")
    assert report.added == 3 and len(report.errors) == 1
    assert "second.md" in report.errors[0] and "6 chunks; the limit is 5 per user" in report.errors[0]
    assert knowledge.for_owner("ann").sources() == ["first.md"]
    assert knowledge.index([first], owner="ann").unchanged == 3  # re-indexing counts the file once
    assert knowledge.index([second], owner="ben").added == 3  # another user has their own total
    assert knowledge.index([big]).errors  # the per-document cap holds for the shared library too


def test_only_the_shared_bundled_notes_count_as_the_notes_own_links() -> None:
    assert is_bundled_source("study-notes.md", SHARED)
    assert not is_bundled_source("study-notes.md", "mallory")  # an upload of the same name
    assert not is_bundled_source("study-notes.md", None)  # provenance unknown
    assert not is_bundled_source("other.md", SHARED)


def test_feedback_on_another_users_reply_is_refused_and_stores_nothing(shared_agent: object) -> None:
    agent = shared_agent
    reply = agent.chat(QUESTION, user="own-victim", session="s")  # type: ignore[attr-defined]
    events = agent.feedback_service.store.events  # type: ignore[attr-defined]
    with pytest.raises(PermissionError, match="not one of 'own-stranger''s replies"):
        agent.feedback(reply.id, -1, comment="too long", correction="wrong", user="own-stranger")  # type: ignore[attr-defined]
    assert events("own-victim") == [] and agent.style_for("own-victim").detail == "detailed"  # type: ignore[attr-defined]
    assert agent.feedback(reply.id, 1, user="own-victim").score == 1  # type: ignore[attr-defined]


def test_indexing_waits_while_an_answer_is_under_way(tmp_path: Path) -> None:
    knowledge = NotesKnowledge(tmp_path / "home", index_bundled=False)
    doc = _write(
        tmp_path, "later.md", "".join(f"# Part {i}\n\nText {i} of the later file.\n\n" for i in range(5))
    )
    done = threading.Event()
    with answering():
        worker = threading.Thread(target=lambda: (knowledge.index([doc], owner="ann"), done.set()))
        worker.start()
        assert not done.wait(0.5)  # held back: each step waits up to MAX_WAIT_S for answers to finish
        assert knowledge.for_owner("ann").chunks() == []
    worker.join(timeout=60)
    assert done.is_set() and len(knowledge.for_owner("ann").chunks()) == 5
