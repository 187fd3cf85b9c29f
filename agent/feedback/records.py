"""Plain records the feedback service hands out: events, corrections, stored replies.

Each record reads itself from a row of the feedback store (``StoredRecord.from_row``, SQLite or
PostgreSQL alike), so the column-to-field mapping and the decoding of JSON and boolean columns live
in one place and the store never builds a record field by field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, ClassVar, Self, TypedDict

from agent.types import Artifact, Choice, Citation, Reply, ToolCall
from knowledge.answer import AnswerStyle


class StoredRecord:
    """A dataclass kept as one row of a table: ``from_row`` reads it back, ``to_dict`` writes it out.

    A column the record does not have (an embedding) is left out, and a field the table does not
    have (a similarity) keeps its default; the columns named in ``JSON_COLUMNS`` hold JSON lists,
    and a ``bool`` field comes back from the stored 0/1 as a bool.
    """

    JSON_COLUMNS: ClassVar[tuple[str, ...]] = ()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]  # every subclass is a dataclass

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Self:
        """A record from one row's column -> value mapping (SQLAlchemy's ``row._mapping``)."""
        columns = set(row.keys())
        values: dict[str, Any] = {}
        for spec in fields(cls):  # type: ignore[arg-type]
            if spec.name not in columns:
                continue
            value = row[spec.name]
            if spec.name in cls.JSON_COLUMNS:
                value = json.loads(value or "[]")
            elif spec.type == "bool":
                value = bool(value)
            values[spec.name] = value
        return cls(**values)


class FeedbackDetails(TypedDict, total=False):
    """What a rating may carry besides its score, as ``FeedbackService.feedback`` takes it: the
    ``Agent`` passes these on unchanged (PEP 692 ``Unpack``) rather than restating them."""

    comment: str | None
    correction: str | None
    user: str | None


@dataclass(frozen=True)
class FeedbackEvent(StoredRecord):
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


@dataclass(frozen=True)
class Correction(StoredRecord):
    """A fact a user corrected, kept with the question it was about (its embedding is the store's)."""

    id: int
    event_id: int
    user: str
    question: str
    text: str
    promoted: bool = False
    similarity: float = 0.0


@dataclass(frozen=True)
class ReplyRecord(StoredRecord):
    """What the agent told us about a reply, so later feedback can be learned from."""

    JSON_COLUMNS = ("tool_calls", "cited_chunk_ids", "choices", "citations", "artifacts")

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
    choices: list[dict[str, Any]] = field(default_factory=list)
    citations: list[dict[str, Any]] = field(default_factory=list)
    artifacts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def tool_names(self) -> list[str]:
        return [str(call.get("name", "")) for call in self.tool_calls if call.get("name")]

    def to_reply(self) -> Reply:
        """The reply as the agent gave it (text, tool steps, sources, figures, choices), for a reload."""
        return Reply(
            id=self.id,
            text=self.text,
            citations=[Citation.from_dict(c) for c in self.citations],
            tool_calls=[_tool_call(c) for c in self.tool_calls],
            artifacts=[_artifact(a) for a in self.artifacts],
            user=self.user,
            session=self.session,
            style=AnswerStyle.from_value(self.style).detail,
            choices=[Choice.from_dict(c) for c in self.choices],
        )


def _artifact(data: dict[str, Any]) -> Artifact:
    """A stored figure or sound (``Artifact.to_dict``) back as a record; the page checks its path."""
    return Artifact(data["kind"], Path(str(data["path"])), str(data.get("caption", "")))


def _tool_call(data: dict[str, Any]) -> ToolCall:
    """A stored tool call (``ToolCall.to_dict``; older rows may hold only a name) back as a record."""
    return ToolCall(
        name=str(data.get("name", "")),
        args=dict(data.get("args") or {}),
        ok=bool(data.get("ok", True)),
        error=data.get("error"),
        seconds=float(data.get("seconds") or 0.0),
    )
