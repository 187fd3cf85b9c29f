"""The agent's tools as typed, documented functions, for Gradio's API and MCP server.

Gradio turns each function's signature into the tool's input schema and its
docstring (the ``Args:`` block) into the descriptions an MCP client shows its
model. Both are generated from the tool's declaration (``tools/registry.py``):
its argument model gives the parameters, their types, defaults and descriptions.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tools.base import ToolResult
from tools.registry import ToolDeclaration

if TYPE_CHECKING:
    from agent.core import Agent


def format_result(result: ToolResult | str) -> str:
    """A tool result as one text: the explanation, its sources and the files it made."""
    if isinstance(result, str):
        return result
    parts = [result.text]
    if result.citations:
        parts.append("Sources:")
        parts += [f'- {c.section}: "{" ".join(c.quote.split())}"' for c in result.citations]
    parts += [f"[{a.kind}] {a.caption}: {a.path}" for a in result.artifacts]
    return "\n".join(p for p in parts if p)


def run(agent: Agent, name: str, args: dict[str, Any]) -> str:
    """Run a tool for an MCP client; a bad argument comes back as a readable error, not a trace."""
    args = {key: value for key, value in args.items() if value is not None}
    try:
        return format_result(agent.run_tool(name, args, user="mcp"))
    except Exception as exc:  # ToolInputError, ToolException, a tool bug: all reach the client as text
        return f"Error: {exc}"


def _docstring(declaration: ToolDeclaration) -> str:
    """The description, then an ``Args:`` block from the argument model's field descriptions."""
    lines = [declaration.description, "", "Args:"]
    for name, info in declaration.args.model_fields.items():
        lines.append(f"    {name}: {' '.join((info.description or name).split())}")
    lines += ["Returns:", "    The tool's explanation, its sources and the paths of the files it made."]
    return "\n".join(lines)


def mcp_function(agent: Agent, declaration: ToolDeclaration) -> Callable[..., str]:
    """A plain function named as the tool, whose signature and docstring come from its argument model."""
    parameters = []
    annotations: dict[str, Any] = {"return": str}
    for name, info in declaration.args.model_fields.items():
        default = (
            inspect.Parameter.empty if info.is_required() else info.get_default(call_default_factory=True)
        )
        parameters.append(
            inspect.Parameter(
                name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=default, annotation=info.annotation
            )
        )
        annotations[name] = info.annotation
    # Required arguments first: a Python signature cannot have one after a defaulted one.
    parameters.sort(key=lambda p: p.default is not inspect.Parameter.empty)
    signature = inspect.Signature(parameters, return_annotation=str)

    def call(*args: Any, **kwargs: Any) -> str:
        """Gradio passes the inputs by position, MCP clients by name: both bind to the signature."""
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        return run(agent, declaration.name, dict(bound.arguments))

    call.__name__ = call.__qualname__ = declaration.name
    call.__doc__ = _docstring(declaration)
    call.__signature__ = signature  # type: ignore[attr-defined]
    call.__annotations__ = annotations
    return call


def build_tools(agent: Agent) -> list[Callable[..., str]]:
    """One plain function per tool the agent's registry serves over MCP, for ``gr.api``."""
    return [mcp_function(agent, d) for d in agent.declarations if d.mcp]
