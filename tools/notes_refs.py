"""Citations into the bundled study notes, checked against the file itself.

Demo tools tie their explanation back to a section of the notes. Looking the
heading and the phrase up in the real file (rather than hard-coding offsets)
keeps every citation valid when the notes are edited: a phrase that vanished
fails loudly in tests instead of pointing at the wrong span.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from knowledge.loader import bundled_notes_path
from knowledge.markdown import Section, sections
from knowledge.types import Citation

NOTES_SOURCE = "study-notes.md"


def notes_file() -> Path:
    """The study notes shipped inside the ``knowledge`` package."""
    return bundled_notes_path()


@cache
def notes_text() -> str:
    return notes_file().read_text(encoding="utf-8")


@cache
def _sections() -> tuple[Section, ...]:
    """The notes' sections as the indexer reads them, so a demo's citation names the section a chunk does."""
    return tuple(sections(notes_text(), Path(NOTES_SOURCE).stem))


def cite_notes(section_suffix: str, phrase: str) -> Citation:
    """Cite ``phrase`` inside the section whose path ends with ``section_suffix``.

    The quote runs from the phrase to the end of its sentence, so the citation
    reads as a whole claim; ``notes_text()[start:end] == quote`` always holds.
    """
    text = notes_text()
    matches = [s for s in _sections() if s.path == section_suffix or s.path.endswith(" > " + section_suffix)]
    if not matches:
        known = ", ".join(s.path for s in _sections())
        raise KeyError(f"no section ending with {section_suffix!r} in {NOTES_SOURCE}; sections: {known}")
    section = matches[0]
    start = text.find(phrase, section.start, section.end)
    if start < 0:
        raise KeyError(f"{phrase!r} not found in section {section.path!r} of {NOTES_SOURCE}")
    end = start + len(phrase)
    if not phrase.rstrip().endswith((".", "!", "?")):
        end = _sentence_end(text, end, section.end)
    return Citation(section=section.path, source=NOTES_SOURCE, start=start, end=end, quote=text[start:end])


def _sentence_end(text: str, position: int, limit: int) -> int:
    """Extend a quote to the end of its sentence (or paragraph), never past the section."""
    for i in range(position, limit):
        if text[i] == "\n":
            return i
        if text[i] in ".!?" and (i + 1 == limit or text[i + 1] in " \n\r*\"'"):
            return i + 1
    return limit
