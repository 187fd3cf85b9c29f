"""Plain records that cross the knowledge boundary.

They are plain dataclasses so that the agent, the tools and every face can pass
them around, serialise them to JSON and compare them in tests without knowing
where they came from.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Chunk:
    """A span of a source document, the unit that is indexed and cited.

    ``start``/``end`` are character offsets into the source text, so that
    ``source_text[start:end] == text`` always holds and a citation can be
    checked against the original file.
    """

    id: str
    text: str
    section: str
    source: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Citation:
    """Where a claim comes from: the section path, the file, and the quoted span."""

    section: str
    source: str
    start: int
    end: int
    quote: str
    chunk_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ScoredChunk:
    """A retrieved chunk with the fused score that ranked it."""

    chunk: Chunk
    score: float
    dense: float = 0.0
    lexical: float = 0.0


@dataclass
class IndexReport:
    """What one call to index changed, in chunks; errors name the files that failed."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
