"""Reading LangChain messages: one helper for their text, wherever the agent needs it."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import BaseMessage


def content_text(content: Any) -> str:
    """A message's content as plain text (LangChain allows a list of parts)."""
    if isinstance(content, str):
        return content
    return " ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)


def message_text(message: BaseMessage) -> str:
    return content_text(message.content)
