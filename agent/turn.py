"""What one turn of the loop produced, gathered from LangGraph's three stream modes.

``Agent.stream`` feeds every (mode, chunk) pair to a ``TurnRecord``: it yields the events the
user interfaces show at once (tokens, tool starts and ends) and keeps what the reply is built from (the
tool calls, their results, the final text, a clarifying question's choices).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, ToolMessage

from agent.events import ModelMissing, TokenStreamed, ToolEnded, ToolNotice, ToolStarted
from agent.router_model import choices_of
from agent.types import Choice, StreamEvent, ToolCall
from tools.base import MissingModel, ToolResult


@dataclass
class TurnRecord:
    calls: dict[str, ToolCall] = field(default_factory=dict)
    results: list[tuple[str, ToolResult | None]] = field(default_factory=list)
    final_text: str = ""
    choices: list[Choice] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)  # calls asked for, not yet answered
    malformed: list[str] = field(default_factory=list)  # tools asked for with arguments that were not JSON
    missing: list[tuple[str, MissingModel]] = field(
        default_factory=list
    )  # (tool, model) to offer to download
    streamed_by_tool: bool = False

    def take(self, mode: str, chunk: Any) -> Iterator[StreamEvent]:
        if mode == "custom":
            event = self._loop_event(chunk)
            if event is not None:
                self.streamed_by_tool |= event.kind == "token"
                yield event
        elif mode == "messages":
            piece, meta = chunk
            if (
                isinstance(piece, AIMessageChunk)
                and meta.get("langgraph_node") == "model"
                and isinstance(piece.content, str)
                and piece.content
                and not self.streamed_by_tool  # a generating tool already streamed these words
            ):
                yield StreamEvent("token", text=piece.content)
        elif mode == "updates":
            for update in chunk.values():
                for message in (update or {}).get("messages", []) if isinstance(update, dict) else []:
                    self._message(message)

    def _loop_event(self, event: Any) -> StreamEvent | None:
        if isinstance(event, TokenStreamed):
            return StreamEvent("token", text=event.text)
        if isinstance(event, ToolStarted):
            record = self.calls.setdefault(event.id, ToolCall(event.name, dict(event.args), id=event.id))
            return StreamEvent("tool_start", tool=record)
        if isinstance(event, ToolEnded):
            record = self.calls.setdefault(event.id, ToolCall(event.name, {}, id=event.id))
            record.seconds = event.seconds
            if event.error:
                record.ok, record.error = False, event.error
            return StreamEvent("tool_end", tool=record)
        if isinstance(event, ToolNotice):
            return StreamEvent("progress", text=event.text, tool=self.calls.get(event.id))
        if isinstance(event, ModelMissing) and all(m.repo_id != event.model.repo_id for _, m in self.missing):
            self.missing.append((event.name, event.model))
        return None

    def _message(self, message: Any) -> None:
        if isinstance(message, AIMessage):
            self.pending = list(message.tool_calls)
            for call in message.tool_calls:
                self.calls.setdefault(call["id"], ToolCall(call["name"], dict(call["args"]), id=call["id"]))
            if not message.tool_calls:
                self.final_text = message.text
                self.choices = choices_of(message)
                self.malformed = [c.get("name") or "a tool" for c in message.invalid_tool_calls]
        elif isinstance(message, ToolMessage):
            self.pending = []
            record = self.calls.setdefault(
                message.tool_call_id, ToolCall(message.name or "?", {}, id=message.tool_call_id)
            )
            if message.status == "error":
                record.ok, record.error = False, message.text
            artifact = message.artifact if isinstance(message.artifact, ToolResult) else None
            self.results.append((record.name, artifact))
