"""The agent's tools as LangChain tools: one registry, a time limit, errors as messages.

Each entry names a function in ``tools/`` and its pydantic argument schema; the
schema is the single source of truth for validation, the router and the docs.
A new tool is one more ``ToolSpec`` here: the loop never changes.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.tools import StructuredTool, ToolException

from knowledge.answer import AnswerStyle
from knowledge.notes import NotesKnowledge, Reranker
from tools.base import ToolContext, ToolInputError, ToolResult, ToolUnavailable


@dataclass
class Turn:
    """What tools may know about the turn they run in."""

    ctx: ToolContext
    style: AnswerStyle
    previous: list[str] = field(default_factory=list)
    rerank: Reranker | None = None
    max_new_tokens: int = 1024


current_turn: contextvars.ContextVar[Turn] = contextvars.ContextVar("current_turn")


@dataclass(frozen=True)
class ToolSpec:
    name: str
    module: str
    function: str
    args_class: str
    description: str
    streams_tokens: bool = False

    def load(self) -> tuple[Callable[..., ToolResult], type[Any]]:
        module = importlib.import_module(self.module)
        return getattr(module, self.function), getattr(module, self.args_class)


SPECS: list[ToolSpec] = [
    ToolSpec(
        "search_notes",
        "tools.notes_search",
        "search_notes",
        "SearchNotesArgs",
        "Answer a question from the user's study notes, citing the sections used. Use for any question about "
        "deep learning, transformers, attention, positional encoding, generative AI, the Hub models in the "
        "notes, adaptive AI, online vs batch learning.",
    ),
    ToolSpec(
        "attention_demo",
        "tools.attention",
        "attention_demo",
        "AttentionDemoArgs",
        "Run a real transformer on a sentence and draw its self-attention weights (a heatmap per layer/head); "
        "with focus, report which words a word such as 'it' attends to.",
    ),
    ToolSpec(
        "positional_encoding_demo",
        "tools.positional",
        "positional_encoding_demo",
        "PositionalEncodingDemoArgs",
        "Draw sinusoidal positional encodings and show that word order is invisible without them.",
    ),
    ToolSpec(
        "training_demo",
        "tools.training",
        "training_demo",
        "TrainingDemoArgs",
        "Train a small neural network from random weights on a toy dataset (xor, moons, circles); "
        "plot the loss curve and the decision boundary.",
    ),
    ToolSpec(
        "online_learning_demo",
        "tools.online_learning",
        "online_learning_demo",
        "OnlineLearningDemoArgs",
        "Simulate drifting user preferences and compare an online learner with batch retraining.",
    ),
    ToolSpec(
        "hub_lookup",
        "tools.hub",
        "hub_lookup",
        "HubLookupArgs",
        "Look models up on the Hugging Face Hub: info for one id, a free-text search, or a comparison.",
    ),
    ToolSpec(
        "generate_text",
        "tools.generation",
        "generate_text_tool",
        "GenerateTextArgs",
        "Generate text from a prompt with a language model (bundled SmolLM2 by default, or a Hub id / GGUF path).",
        streams_tokens=True,
    ),
    ToolSpec(
        "generate_image",
        "tools.media",
        "generate_image",
        "GenerateImageArgs",
        "Generate an image from a text prompt with a diffusion model (Stable Diffusion v1.5 by default).",
    ),
    ToolSpec(
        "generate_audio",
        "tools.media",
        "generate_audio",
        "GenerateAudioArgs",
        "Turn text into speech with a text-to-speech model (Bark small by default).",
    ),
]
TOOL_NAMES = [spec.name for spec in SPECS]
_pool = concurrent.futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="tool")


def _run_with_limit(fn: Callable[[], ToolResult], seconds: float, name: str) -> ToolResult:
    """Run a tool in a worker thread and give up waiting after ``seconds``."""
    context = contextvars.copy_context()
    future = _pool.submit(context.run, fn)
    try:
        return future.result(timeout=seconds)
    except concurrent.futures.TimeoutError:
        raise ToolException(
            f"{name} exceeded its time limit of {seconds:g} s and was stopped waiting for"
        ) from None


def _token_writer() -> Callable[[str], None] | None:
    """Streams a tool's tokens to ``Agent.stream`` through LangGraph's custom stream, when running in one."""
    from langgraph.config import get_stream_writer

    try:
        write = get_stream_writer()
    except (RuntimeError, LookupError):  # called outside a graph run (run_tool, scripts, tool.invoke)
        return None
    return lambda token: write({"event": "token", "text": token})


def _invoke(
    spec: ToolSpec, fn: Callable[..., ToolResult], knowledge: NotesKnowledge, args: dict[str, Any]
) -> ToolResult:
    turn = current_turn.get()
    if spec.name == "search_notes":
        style = AnswerStyle.named(args["style"]) if args.get("style") in ("brief", "detailed") else turn.style
        return fn(knowledge, args["query"], style, previous=turn.previous, rerank=turn.rerank)
    if spec.streams_tokens:
        if args.get("max_new_tokens", 0) > turn.max_new_tokens:
            raise ToolInputError(
                f"max_new_tokens must be at most {turn.max_new_tokens}, got {args['max_new_tokens']}"
            )
        args = {**args, "on_token": _token_writer()}
    return fn(turn.ctx, **args)


def build_tools(
    knowledge: NotesKnowledge, timeout_s: float, names: list[str] | None = None
) -> list[StructuredTool]:
    """LangChain tools for the given names (all by default), returning (text, ToolResult)."""
    built = []
    for spec in SPECS:
        if names is not None and spec.name not in names:
            continue
        fn, args_schema = spec.load()

        def run(
            _spec: ToolSpec = spec, _fn: Callable[..., ToolResult] = fn, **kwargs: Any
        ) -> tuple[str, ToolResult]:
            args = {k: v for k, v in kwargs.items() if v is not None}
            try:
                result = _run_with_limit(lambda: _invoke(_spec, _fn, knowledge, args), timeout_s, _spec.name)
            except (ToolInputError, ToolUnavailable, ValueError) as exc:
                raise ToolException(str(exc)) from None
            except ToolException:
                raise
            except Exception as exc:  # a tool bug must reach the user as a message, never a stack trace
                raise ToolException(f"{_spec.name} failed: {type(exc).__name__}: {exc}") from None
            return result.text, result

        built.append(
            StructuredTool.from_function(
                func=run,
                name=spec.name,
                description=spec.description,
                args_schema=args_schema,
                response_format="content_and_artifact",
                handle_tool_error=True,
            )
        )
    return built
