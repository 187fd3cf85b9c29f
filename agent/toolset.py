"""The agent's tools as LangChain tools, built from the registry: a time limit, errors as messages.

Every tool is declared once, in its own module of ``tools/`` (``tools/registry.py``); this module
only wraps the declarations for the loop. A new tool is a new module: the loop never changes.
The turn (who asks, their style, the earlier questions) reaches a tool as LangChain's runtime
context: ``create_agent(context_schema=ToolContext)`` hands it to the tool as ``runtime.context``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from langchain.tools import ToolRuntime
from langchain_core.tools import StructuredTool, ToolException

from agent.events import ModelMissing, TokenStreamed, ToolNotice
from tools.base import MissingModel, ModelNotCached, ToolContext, ToolInputError, ToolResult, ToolUnavailable
from tools.deadline import run_with_deadline
from tools.registry import ToolDeclaration, describe_validation_error


class ModelMissingException(ToolException):
    """A tool's model is not cached: the message for the model and the user, the record for a Download offer."""

    def __init__(self, message: str, model: MissingModel) -> None:
        super().__init__(message)
        self.model = model


def call_tool(
    declaration: ToolDeclaration, ctx: ToolContext, args: dict[str, Any], timeout_s: float
) -> ToolResult:
    """Run one tool within its time limit; every failure becomes a ToolException with a readable message."""

    def timed_out() -> ToolException:
        return ToolException(
            f"{declaration.name} exceeded its time limit of {timeout_s:g} s and was stopped waiting for"
        )

    ctx = dataclasses.replace(ctx, time_limit_s=timeout_s)
    try:
        return run_with_deadline(lambda: declaration.call(ctx, args), timeout_s, timed_out)
    except ModelNotCached as exc:
        raise ModelMissingException(str(exc), exc.model) from None
    except (ToolInputError, ToolUnavailable, ValueError) as exc:
        raise ToolException(str(exc)) from None
    except ToolException:
        raise
    except Exception as exc:  # a tool bug must reach the user as a message, never a stack trace
        raise ToolException(f"{declaration.name} failed: {type(exc).__name__}: {exc}") from None


def _turn_context(declaration: ToolDeclaration, runtime: ToolRuntime | None) -> ToolContext:
    ctx = getattr(runtime, "context", None)
    if not isinstance(ctx, ToolContext):
        raise ToolException(f"{declaration.name} runs inside an agent turn, which gives it its context")
    writer: Callable[[Any], None] | None = getattr(runtime, "stream_writer", None)
    if writer is None:
        return ctx
    call_id = getattr(runtime, "tool_call_id", None) or ""
    ctx = dataclasses.replace(ctx, notify=lambda text: writer(ToolNotice(call_id, declaration.name, text)))
    if declaration.streams_tokens:
        ctx = dataclasses.replace(ctx, on_token=lambda token: writer(TokenStreamed(token)))
    return ctx


def build_tools(declarations: Sequence[ToolDeclaration], timeout_s: float) -> list[StructuredTool]:
    """LangChain tools for the declarations, returning (text, ToolResult)."""
    built = []
    for declaration in declarations:

        def run(
            runtime: ToolRuntime, _declaration: ToolDeclaration = declaration, **kwargs: Any
        ) -> tuple[str, ToolResult]:
            args = {k: v for k, v in kwargs.items() if v is not None}
            try:
                result = call_tool(_declaration, _turn_context(_declaration, runtime), args, timeout_s)
            except ModelMissingException as exc:  # the reply offers the download; the model reads the message
                writer = getattr(runtime, "stream_writer", None)
                if writer is not None:
                    call_id = getattr(runtime, "tool_call_id", None) or ""
                    writer(ModelMissing(call_id, _declaration.name, exc.model))
                raise
            return result.text, result

        built.append(
            StructuredTool.from_function(
                func=run,
                name=declaration.name,
                description=declaration.description,
                args_schema=declaration.args,
                response_format="content_and_artifact",
                handle_tool_error=True,
                # A model's bad arguments get the same plain message a user's do.
                handle_validation_error=describe_validation_error,
            )
        )
    return built
