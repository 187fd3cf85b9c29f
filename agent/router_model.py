"""A LangChain chat model that chooses tools with the embedding router.

The embedded 135M model cannot choose tools or stay faithful to a context, so
this model stands in for it inside the real LangChain loop: on a user message
it proposes tool calls (router + argument extraction); on tool results it
answers from them, word for word; with no tools bound it passes the
conversation to the wrapped text model. The loop never knows the difference.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field

from agent.router import current_user

NO_TEXT_MODEL = "I can search the notes, run demos and look models up; ask me about the notes."

# llama.cpp aborts the process when two threads decode on one ``Llama`` (as ``batch`` does), and
# every chat model over the same GGUF shares that ``Llama``: calls are serialised per engine.
_ENGINE_LOCKS: dict[int, threading.Lock] = {}
_ENGINE_LOCKS_GUARD = threading.Lock()


def _engine_lock(text_model: BaseChatModel) -> threading.Lock:
    engine = getattr(text_model, "client", None) or text_model
    with _ENGINE_LOCKS_GUARD:
        return _ENGINE_LOCKS.setdefault(id(engine), threading.Lock())


def _text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") if isinstance(part, dict) else str(part) for part in content)


def _forced_tool(tool_choice: Any, names: list[str]) -> str | None:
    if isinstance(tool_choice, dict):
        return tool_choice.get("function", {}).get("name") or tool_choice.get("name")
    if isinstance(tool_choice, str) and tool_choice in names:
        return tool_choice
    if tool_choice in (True, "any", "required") and len(names) == 1:
        return names[0]
    return None


def _generic_args(schema: dict[str, Any], text: str) -> dict[str, Any]:
    """Fill a schema the router has no extractor for, from what the message says."""
    args: dict[str, Any] = {}
    numbers = re.findall(r"-?\d+(?:\.\d+)?", text)
    quoted = re.findall(r"\"([^\"]+)\"|'([^']+)'", text)
    for name, spec in schema.get("properties", {}).items():
        kind = spec.get("type")
        if kind == "integer" and numbers:
            args[name] = int(float(numbers.pop(0)))
        elif kind == "number" and numbers:
            args[name] = float(numbers.pop(0))
        elif kind == "string":
            args[name] = next((a or b for a, b in quoted), text)
        elif kind == "boolean":
            args[name] = True
    return args


class RouterChatModel(BaseChatModel):
    """Tool choice by the embedding router, free text by the wrapped chat model."""

    model: str = "attentive-router"
    router: Any = Field(default=None, exclude=True)
    text_model: BaseChatModel | None = Field(default=None, exclude=True)

    model_config = ConfigDict(arbitrary_types_allowed=True)

    @property
    def _llm_type(self) -> str:
        return "attentive-router"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model}

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any) -> Any:
        formatted = [convert_to_openai_tool(t) for t in tools]
        return self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)

    # --- decisions -------------------------------------------------------------------------------
    def _decide(
        self, messages: list[BaseMessage], tools: list[dict[str, Any]] | None, tool_choice: Any
    ) -> AIMessage | None:
        """A tool-calling or answering message; None means: let the text model talk."""
        last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
        results = [m for m in messages[last_human + 1 :] if isinstance(m, ToolMessage)]
        if results:
            return AIMessage(content=self._answer_from(results))
        if not tools or last_human < 0:
            return None
        text = _text(messages[last_human])
        names = [t["function"]["name"] for t in tools]
        schemas = {t["function"]["name"]: t["function"].get("parameters", {}) for t in tools}
        forced = _forced_tool(tool_choice, names)
        calls: list[tuple[str, dict[str, Any]]] = []
        if self.router is not None:
            allowed = [forced] if forced else names
            route = self.router.route(text, user=current_user.get(), allowed=allowed)
            calls = route.calls
        if not calls:
            named = forced or next((n for n in names if n.lower() in text.lower()), None)
            if named is None:
                return None
            calls = [(named, _generic_args(schemas[named], text))]
        tool_calls = [
            {"name": n, "args": a, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}
            for n, a in calls
        ]
        return AIMessage(content="", tool_calls=tool_calls)

    @staticmethod
    def _answer_from(results: list[ToolMessage]) -> str:
        parts = []
        for result in results:
            body = _text(result)
            if getattr(result, "status", "success") == "error":
                parts.append(f"I could not run `{result.name}`: {body}")
            else:
                parts.append(body)
        return "\n\n".join(p for p in parts if p.strip()) or "The tools returned nothing to show."

    # --- LangChain interface ---------------------------------------------------------------------
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        decided = self._decide(messages, kwargs.get("tools"), kwargs.get("tool_choice"))
        if decided is None:
            decided = self._talk(messages, stop)
        return ChatResult(generations=[ChatGeneration(message=decided)])

    def _talk(self, messages: list[BaseMessage], stop: list[str] | None) -> AIMessage:
        if self.text_model is None:
            return AIMessage(content=NO_TEXT_MODEL)
        with _engine_lock(self.text_model):
            reply = self.text_model.invoke(messages, stop=stop)
        return AIMessage(
            content=_text(reply) or NO_TEXT_MODEL, usage_metadata=getattr(reply, "usage_metadata", None)
        )

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        decided = self._decide(messages, kwargs.get("tools"), kwargs.get("tool_choice"))
        if decided is not None and decided.tool_calls:
            chunks = [
                {
                    "name": c["name"],
                    "args": json.dumps(c["args"]),
                    "id": c["id"],
                    "index": i,
                    "type": "tool_call_chunk",
                }
                for i, c in enumerate(decided.tool_calls)
            ]
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=chunks))
            return
        if decided is not None:
            for piece in re.findall(r"\S+\s*|\s+", _text(decided)):
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                if run_manager:
                    run_manager.on_llm_new_token(piece, chunk=chunk)
                yield chunk
            return
        if self.text_model is None:
            yield ChatGenerationChunk(message=AIMessageChunk(content=NO_TEXT_MODEL))
            return
        with _engine_lock(self.text_model):
            for part in self.text_model.stream(messages, stop=stop):
                piece = _text(part)
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                if run_manager and piece:
                    run_manager.on_llm_new_token(piece, chunk=chunk)
                yield chunk
