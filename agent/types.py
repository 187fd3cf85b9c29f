"""The records the agent hands to its faces (CLI, chat page, evaluation)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from knowledge.types import Citation, IndexReport
from tools.base import Artifact

__all__ = ["Artifact", "Citation", "IndexReport", "Reply", "StreamEvent", "ToolCall"]


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
        return {
            "name": self.name,
            "args": self.args,
            "ok": self.ok,
            "error": self.error,
            "seconds": self.seconds,
        }


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
        }


@dataclass
class StreamEvent:
    """What ``Agent.stream`` yields: tokens, tool starts/ends, and finally the Reply."""

    kind: Literal["token", "tool_start", "tool_end", "reply"]
    text: str = ""
    tool: ToolCall | None = None
    reply: Reply | None = None
