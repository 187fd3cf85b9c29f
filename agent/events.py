"""What the loop tells ``Agent.stream`` while a turn runs, as typed records.

They travel through LangGraph's custom stream: the tool middleware writes tool starts and ends, a
generating tool writes its tokens, and the Agent turns each into a ``StreamEvent`` for the user interfaces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


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


LoopEvent = TokenStreamed | ToolStarted | ToolEnded
