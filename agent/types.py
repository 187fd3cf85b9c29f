"""The records the agent hands to its user interfaces (CLI, chat page, evaluation)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from knowledge.types import Citation, IndexReport
from tools.base import Artifact

__all__ = [
    "Artifact",
    "Choice",
    "Citation",
    "HistoryEntry",
    "IndexReport",
    "Reply",
    "StreamEvent",
    "ToolCall",
]


@dataclass
class ToolCall:
    """One tool run within a turn, as the user may inspect it."""

    name: str
    args: dict[str, Any]
    ok: bool = True
    error: str | None = None
    seconds: float = 0.0
    id: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Everything but ``id``, which only pairs a call with its result inside one turn."""
        return {key: value for key, value in asdict(self).items() if key != "id"}


@dataclass(frozen=True)
class Choice:
    """A button under a reply: what it says, the message it sends, the intent it means.

    Picking a clarifying question's choice (``Agent.choose``) sends ``message`` and teaches the
    router that the question which was unclear meant ``intent``, for this user. A Download
    choice (``download`` names a Hub repo) fetches that model, with progress, and then sends
    ``message`` (the request that needed it) again; nothing is learnt from it.
    """

    label: str
    message: str
    intent: str
    download: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = {"label": self.label, "message": self.message, "intent": self.intent}
        if self.download:
            data["download"] = self.download
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Choice:
        return cls(
            str(data["label"]), str(data["message"]), str(data["intent"]), str(data.get("download", ""))
        )


@dataclass
class Reply:
    """One answer of the agent; ``id`` is what feedback refers to."""

    id: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    tool_calls: list[ToolCall] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    user: str = "default"
    session: str = "default"
    style: str = ""
    grounded: bool = False
    choices: list[Choice] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "text": self.text,
            "citations": [c.to_dict() for c in self.citations],
            "tool_calls": [t.to_dict() for t in self.tool_calls],
            "artifacts": [a.to_dict() for a in self.artifacts],
            "user": self.user,
            "session": self.session,
            "style": self.style,
            "choices": [c.to_dict() for c in self.choices],
        }


@dataclass
class StreamEvent:
    """What ``Agent.stream`` yields: tokens, tool starts/ends, progress lines, and finally the Reply.

    A ``progress`` event's text replaces the previous one: how long a tool expects to take
    before it starts, how far a download has got.
    """

    kind: Literal["token", "tool_start", "tool_end", "progress", "reply"]
    text: str = ""
    tool: ToolCall | None = None
    reply: Reply | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """One turn of a stored conversation, as ``Agent.history`` returns it: the question and its Reply.

    The Reply is whole (sources, tool steps, figures, choices), so a reloaded page draws it exactly
    as it drew the live answer.
    """

    question: str
    reply: Reply


class NotYourReply(PermissionError, ValueError):
    """A reply id that names another user's reply. A ``PermissionError``; also a ``ValueError``, as picking
    a choice has always refused a reply that is not the user's."""
