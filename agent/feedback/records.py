"""Plain records the feedback service hands out: events, corrections, stored replies."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class FeedbackEvent:
    """One acknowledged piece of feedback; ``id`` is what ``promote`` takes."""

    id: int
    reply_id: str
    user: str
    score: int
    comment: str | None = None
    correction: str | None = None
    created: str = ""
    promoted: bool = False
    wanted_tool: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Correction:
    """A fact a user corrected, kept with the question it was about."""

    id: int
    event_id: int
    user: str
    question: str
    text: str
    promoted: bool = False
    similarity: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ReplyRecord:
    """What the agent told us about a reply, so later feedback can be learned from."""

    id: str
    user: str
    session: str
    question: str
    text: str
    style: str
    words: int
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    cited_chunk_ids: list[str] = field(default_factory=list)
    created: str = ""

    @property
    def tool_names(self) -> list[str]:
        return [str(call.get("name", "")) for call in self.tool_calls if call.get("name")]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_row(cls, row: Any) -> ReplyRecord:
        return cls(
            id=row["id"],
            user=row["user"],
            session=row["session"],
            question=row["question"],
            text=row["text"],
            style=row["style"],
            words=row["words"],
            tool_calls=json.loads(row["tool_calls"] or "[]"),
            cited_chunk_ids=json.loads(row["cited_chunk_ids"] or "[]"),
            created=row["created"],
        )
