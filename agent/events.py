"""What the loop tells ``Agent.stream`` while a turn runs, as typed records.

They travel through LangGraph's custom stream: the tool middleware writes tool starts and ends, a
generating tool writes its tokens, and the Agent turns each into a ``StreamEvent`` for the user interfaces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tools.base import MissingModel


@dataclass(frozen=True)
class TokenStreamed:
    text: str


@dataclass(frozen=True)
class ToolStarted:
    id: str
    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ToolEnded:
    id: str
    name: str
    seconds: float
    error: str | None = None


@dataclass(frozen=True)
class ToolNotice:
    """A line a running tool has for the user now (how long it will take), before its result."""

    id: str
    name: str
    text: str


@dataclass(frozen=True)
class ModelMissing:
    """A tool stopped because its model is not cached: the reply offers to download it."""

    id: str
    name: str
    model: MissingModel


LoopEvent = TokenStreamed | ToolStarted | ToolEnded | ToolNotice | ModelMissing
