"""A LangChain chat model that chooses tools with the intent router.

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
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
    UsageMetadata,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.utils.function_calling import convert_to_openai_tool
from pydantic import ConfigDict, Field, PrivateAttr

from agent.router import IntentRouter
from agent.types import Choice
from knowledge.manner import last_requests, read_manner

USER_SETTING = "attentive_user"  # the bind argument the loop's UserToRouter middleware sets
CHOICES_KEY = "attentive_choices"  # where a clarifying question's choices ride on its AIMessage
NO_TEXT_MODEL = "I can search the notes, run demos and look models up; ask me about the notes."
NOTHING_TO_REDO = (
    "There is no earlier answer in this conversation to change. Ask me something first, then say "
    "\u201cshorter\u201d, \u201cin more detail\u201d or \u201cin simpler terms\u201d."
)

# llama.cpp aborts the process when two threads decode on one ``Llama`` (as ``batch`` does), and
# every chat model over the same GGUF shares that ``Llama``: calls are serialised per engine.
_ENGINE_LOCKS: dict[int, threading.Lock] = {}
_ENGINE_LOCKS_GUARD = threading.Lock()


def _engine_lock(text_model: BaseChatModel) -> threading.Lock:
    engine = getattr(text_model, "client", None) or text_model
    with _ENGINE_LOCKS_GUARD:
        return _ENGINE_LOCKS.setdefault(id(engine), threading.Lock())


def _forced_tool(tool_choice: Any, names: list[str]) -> str | None:
    if isinstance(tool_choice, dict):
        return tool_choice.get("function", {}).get("name") or tool_choice.get("name")
    if isinstance(tool_choice, str) and tool_choice in names:
        return tool_choice
    if tool_choice in (True, "any", "required") and len(names) == 1:
        return names[0]
    return None


def _must_call(tool_choice: Any) -> bool:
    return bool(tool_choice) and tool_choice not in ("auto", "none")


# Words in tool names that say nothing about what a tool is for.
_VAGUE = {"get", "set", "tool", "function", "call", "run", "make", "create", "fetch", "list", "find", "the"}


def _words(text: str) -> set[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).replace("_", " ").lower()
    return set(re.findall(r"[^\W\d_]{3,}", spaced))


def _tool_for(text: str, tools: list[dict[str, Any]], required: bool) -> str | None:
    """A tool the router does not know, picked by what the message says about it.

    Its full name in the message wins; then a telling word of its name ("weather" for
    ``get_weather``). When a call is required anyway, the tool whose name and description share
    most words with the message (the first bound one on a tie).
    """
    functions = [t["function"] for t in tools]
    lowered = text.lower()
    for function in functions:
        if function["name"].lower() in lowered:
            return function["name"]
    said = _words(text)
    for function in functions:
        if (_words(function["name"]) - _VAGUE) & said:
            return function["name"]
    if not required or not functions:
        return None
    overlap = [len(_words(f["name"] + " " + f.get("description", "")) & said) for f in functions]
    return functions[overlap.index(max(overlap))]["name"]


_LITERAL = re.compile(r"\s*(-?\d+(?:\.\d+)?|\"[^\"]*\"|'[^']*'|true|false)\s*(?:,|$)", re.I)


def _call_literals(name: str, text: str) -> list[Any]:
    """Positional literals of a call written out in the message: ``magic_function(3)`` gives [3]."""
    m = re.search(rf"{re.escape(name)}\s*\(([^)]*)\)", text)
    if not m:
        return []
    values: list[Any] = []
    for literal in _LITERAL.findall(m.group(1)):
        if literal[:1] in "\"'":
            values.append(literal[1:-1])
        elif literal.lower() in ("true", "false"):
            values.append(literal.lower() == "true")
        else:
            values.append(float(literal) if "." in literal else int(literal))
    return values


def _generic_args(schema: dict[str, Any], text: str, name: str = "") -> dict[str, Any]:
    """Fill a schema the router has no extractor for, from what the message says.

    In order of trust: a call written out (``f(3, "x")``), a value right after the argument's
    name ("input 3", "city: Paris"), then numbers and quoted phrases in the order written.
    Strings with nothing quoted get the whole message; optional arguments nobody mentioned stay out.
    """
    properties: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", properties))
    written = _call_literals(name, text) if name else []
    numbers = [float(n) for n in re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.])", text)]
    quoted = [a or b for a, b in re.findall(r"\"([^\"]+)\"|'([^']+)'", text)]
    args: dict[str, Any] = {}
    for prop, spec in properties.items():
        kind = spec.get("type")
        named = re.search(rf"\b{re.escape(prop)}\b\s*(?:=|:|of|is)?\s*(-?\d+(?:\.\d+)?)", text, re.I)
        if written:
            value: Any = written.pop(0)
        elif "enum" in spec:
            value = next((v for v in spec["enum"] if str(v).lower() in text.lower()), spec["enum"][0])
        elif kind in ("integer", "number") and (named or numbers):
            value = float(named.group(1)) if named else numbers.pop(0)
        elif kind == "string":
            value = quoted.pop(0) if quoted else text.strip()
        elif kind == "boolean":
            value = prop.lower().replace("_", " ") in text.lower()
        else:
            continue
        if kind == "integer" and isinstance(value, float):
            value = int(value)
        if prop in required or (value is not False and value is not None):
            args[prop] = value
    return args


def _count_tokens(text_model: BaseChatModel | None, text: str) -> int:
    """Tokens as the text model's tokenizer counts them; words and marks when it has none we can reach."""
    tokenize = getattr(getattr(text_model, "client", None), "tokenize", None)
    if callable(tokenize) and text:
        return _counted(tokenize, text)
    return len(re.findall(r"\w+|[^\w\s]", text))


@lru_cache(maxsize=4096)
def _counted(tokenize: Callable[..., list[int]], text: str) -> int:
    # Every model call re-counts the system prompt and the whole history; each text is tokenized once.
    return len(tokenize(text.encode("utf-8"), add_bos=False, special=True))


# A decided answer streams sentence by sentence (a line break ends one too): it is already whole, and
# every chunk costs a trip through LangChain's callbacks and LangGraph's stream queues.
_SENTENCE_PIECE = re.compile(r".*?(?:[.!?:](?=\s)\s+|\n+|$)", re.S)


def _request_of(earlier: Sequence[BaseMessage], text: str) -> str | None:
    """What a message asks for: itself, or, when it only asks how ("shorter please", "can you
    elaborate?"), the user's last request asked that way; None when there is no earlier one."""
    asked = read_manner(text)
    if not asked.alone:
        return text
    requests = last_requests([m.text for m in earlier if isinstance(m, HumanMessage)])
    return asked.again(requests[-1]) if requests else None


class RouterChatModel(BaseChatModel):
    """Tool choice by the intent router, free text by the wrapped chat model."""

    model: str = "attentive-router"
    router: IntentRouter | None = Field(default=None, exclude=True)
    text_model: BaseChatModel | None = Field(default=None, exclude=True)

    model_config = ConfigDict(arbitrary_types_allowed=True)
    _bindings: dict[tuple[Any, ...], tuple[list[Any], Any]] = PrivateAttr(default_factory=dict)

    @property
    def _llm_type(self) -> str:
        return "attentive-router"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model": self.model}

    def bind_tools(self, tools: Sequence[Any], *, tool_choice: Any = None, **kwargs: Any) -> Any:
        # The agent loop binds the same tools (and the same user) before every model call; converting
        # ten schemas and building a binding each time was a third of a turn's overhead, so the
        # binding is reused.
        key = (
            tuple(id(t) for t in tools),
            json.dumps(tool_choice, sort_keys=True, default=str),
            json.dumps(kwargs, sort_keys=True, default=str),
        )
        cached = self._bindings.get(key)
        if cached is not None and all(a is b for a, b in zip(cached[0], tools, strict=True)):
            return cached[1]
        formatted = [convert_to_openai_tool(t) for t in tools]
        bound = self.bind(tools=formatted, tool_choice=tool_choice, **kwargs)
        if len(self._bindings) >= 256:
            self._bindings.clear()
        self._bindings[key] = (list(tools), bound)  # holding the tools keeps their ids unique
        return bound

    # --- decisions -------------------------------------------------------------------------------
    def _tool_calls_or_answer(
        self,
        messages: list[BaseMessage],
        tools: list[dict[str, Any]] | None,
        tool_choice: Any,
        user: str = "default",
    ) -> AIMessage | None:
        """A tool-calling or answering message; None means: let the text model talk."""
        last_human = max((i for i, m in enumerate(messages) if isinstance(m, HumanMessage)), default=-1)
        results = [m for m in messages[last_human + 1 :] if isinstance(m, ToolMessage)]
        if results:
            return AIMessage(content=self._answer_from(results))
        if not tools or last_human < 0 or tool_choice == "none":
            return None
        text = _request_of(messages[:last_human], messages[last_human].text)
        if text is None:
            return AIMessage(content=NOTHING_TO_REDO)
        names = [t["function"]["name"] for t in tools]
        schemas = {t["function"]["name"]: t["function"].get("parameters", {}) for t in tools}
        forced = _forced_tool(tool_choice, names)
        calls: list[tuple[str, dict[str, Any]]] = []
        if self.router is not None:
            allowed = [forced] if forced else names
            decision = self.router.decide(text, user=user, allowed=allowed, must_call=_must_call(tool_choice))
            if decision.reply:
                return AIMessage(
                    content=decision.reply,
                    additional_kwargs={CHOICES_KEY: [c.to_dict() for c in decision.choices]}
                    if decision.choices
                    else {},
                )
            calls = list(decision.calls)
        if not calls:  # tools the router has no examples for (a caller's own, the standard suite's)
            named = forced or _tool_for(text, tools, required=_must_call(tool_choice))
            if named is None:
                return None
            calls = [(named, _generic_args(schemas[named], text, named))]
        tool_calls = [
            {"name": n, "args": a, "id": f"call_{uuid.uuid4().hex[:12]}", "type": "tool_call"}
            for n, a in calls
        ]
        return AIMessage(content="", tool_calls=tool_calls)

    @staticmethod
    def _answer_from(results: list[ToolMessage]) -> str:
        parts = []
        for result in results:
            body = result.text
            if getattr(result, "status", "success") == "error":
                parts.append(f"I could not run `{result.name}`: {body}")
            else:
                parts.append(body)
        return "\n\n".join(p for p in parts if p.strip()) or "The tools returned nothing to show."

    def _usage(self, messages: list[BaseMessage], said: str, calls: Sequence[Any] = ()) -> UsageMetadata:
        """Token counts for a turn; the prompt counts the messages' text, not a chat template's markup."""
        prompt = sum(_count_tokens(self.text_model, m.text) for m in messages)
        written = said + "".join(c["name"] + json.dumps(c["args"], ensure_ascii=False) for c in calls)
        output = _count_tokens(self.text_model, written)
        return UsageMetadata(input_tokens=prompt, output_tokens=output, total_tokens=prompt + output)

    # --- LangChain interface ---------------------------------------------------------------------
    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        decided = self._tool_calls_or_answer(
            messages, kwargs.get("tools"), kwargs.get("tool_choice"), kwargs.get(USER_SETTING, "default")
        )
        if decided is None:
            decided = self._text_model_answer(messages, stop)
        decided.usage_metadata = self._usage(messages, decided.text, decided.tool_calls)
        decided.response_metadata = {"model_name": self.model}
        return ChatResult(generations=[ChatGeneration(message=decided)])

    def _text_model_answer(self, messages: list[BaseMessage], stop: list[str] | None) -> AIMessage:
        if self.text_model is None:
            return AIMessage(content=NO_TEXT_MODEL)
        with _engine_lock(self.text_model):
            reply = self.text_model.invoke(messages, stop=stop)
        return AIMessage(content=reply.text or NO_TEXT_MODEL)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        decided = self._tool_calls_or_answer(
            messages, kwargs.get("tools"), kwargs.get("tool_choice"), kwargs.get(USER_SETTING, "default")
        )
        said: list[str] = []
        if decided is not None and decided.tool_calls:
            chunks = [
                {
                    "name": c["name"],
                    "args": json.dumps(c["args"], ensure_ascii=False),
                    "id": c["id"],
                    "index": i,
                    "type": "tool_call_chunk",
                }
                for i, c in enumerate(decided.tool_calls)
            ]
            yield ChatGenerationChunk(message=AIMessageChunk(content="", tool_call_chunks=chunks))
        else:
            for piece in self._pieces(messages, stop, decided):
                said.append(piece)
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
                if run_manager and piece:
                    run_manager.on_llm_new_token(piece, chunk=chunk)
                yield chunk
        # Usage and the model's name once, at the end: chunks add up, so a second copy would double them.
        usage = self._usage(messages, "".join(said), decided.tool_calls if decided else [])
        final = AIMessageChunk(
            content="",
            usage_metadata=usage,
            response_metadata={"model_name": self.model},
            additional_kwargs=dict(decided.additional_kwargs) if decided is not None else {},
        )
        yield ChatGenerationChunk(message=final)

    def _pieces(
        self, messages: list[BaseMessage], stop: list[str] | None, decided: AIMessage | None
    ) -> Iterator[str]:
        """The answer in pieces: the decided one sentence by sentence, else the text model's own tokens."""
        if decided is not None:
            yield from (piece for piece in _SENTENCE_PIECE.findall(decided.text) if piece)
        elif self.text_model is None:
            yield NO_TEXT_MODEL
        else:
            with _engine_lock(self.text_model):
                for part in self.text_model.stream(messages, stop=stop):
                    yield part.text


def choices_of(message: BaseMessage) -> list[Choice]:
    """The choices a clarifying question offered, read back off its message."""
    return [Choice.from_dict(c) for c in message.additional_kwargs.get(CHOICES_KEY, [])]
