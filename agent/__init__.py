"""attentive-agent: a local tutor-agent for the ideas of modern AI.

``from agent import Agent`` is the whole public API; the records it returns
are exported beside it. Imports are lazy so that ``attentive --help`` and
``import agent`` stay instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.core import Agent
    from agent.types import Artifact, Citation, IndexReport, Reply, StreamEvent, ToolCall

__all__ = ["Agent", "Artifact", "Citation", "IndexReport", "Reply", "StreamEvent", "ToolCall"]


def __getattr__(name: str) -> Any:
    if name == "Agent":
        from agent.core import Agent

        return Agent
    if name in __all__:
        from agent import types

        return getattr(types, name)
    raise AttributeError(f"module 'agent' has no attribute {name!r}")
