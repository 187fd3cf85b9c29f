"""The agent's tools as typed, documented functions, for Gradio's API and MCP server.

Gradio turns each function's signature into the tool's input schema and its
docstring (the ``Args:`` block) into the descriptions an MCP client shows its
model. Both are generated from the tool's declaration (``tools/registry.py``):
its argument model gives the parameters, their types, defaults and descriptions.

Three things an MCP client must be able to rely on:

* a failed call is an error result (``isError: true``), not a success whose text says "Error": the
  MCP SDK marks a result as an error only when the tool handler raises, so ``run`` raises
  ``gr.Error`` (whose message Gradio passes on whatever ``show_error`` says);
* results name files relative to the server's artifacts folder, never by a server path;
* with a login on the page, ``McpLoginGate`` asks the same login of ``/gradio_api/mcp`` (Gradio
  mounts its MCP app without any check, so the tool list answered anyone).
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowledge.links import shown_citation
from tools.base import ToolResult
from tools.registry import ToolDeclaration

if TYPE_CHECKING:
    from agent.core import Agent

_ONE_AT_A_TIME = threading.Lock()  # the tools' concurrency limit of 1, which the queue used to keep
MCP_PATH = "/gradio_api/mcp"  # where Gradio mounts its MCP server (``gradio.routes.App.setup_mcp_server``)


def artifact_name(path: str | Path, artifacts_dir: Path) -> str:
    """A file as a client may see it: its path inside the artifacts folder (only its name if it lies elsewhere)."""
    try:
        return Path(path).resolve().relative_to(artifacts_dir.resolve()).as_posix()
    except (OSError, ValueError):
        return Path(path).name


def format_result(result: ToolResult | str, artifacts_dir: Path | None = None) -> str:
    """A tool result as one text: the explanation, its sources and the files it made.

    Quotes and section titles are document text, so a link the reader may not see is replaced
    (``knowledge.links``); files are named inside ``artifacts_dir``.
    """
    if isinstance(result, str):
        return result
    parts = [result.text]
    if result.citations:
        parts.append("Sources:")
        for citation in map(shown_citation, result.citations):
            parts.append(f'- {citation.section}: "{citation.quote}"')
    for a in result.artifacts:
        shown = artifact_name(a.path, artifacts_dir) if artifacts_dir is not None else Path(a.path).name
        parts.append(f"[{a.kind}] {a.caption}: {shown}")
    return "\n".join(p for p in parts if p)


def run(agent: Agent, name: str, args: dict[str, Any]) -> str:
    """Run a tool for an MCP client; a bad argument raises ``gr.Error`` with a readable message, not a trace.

    Raising is what makes the MCP result an error (``isError: true``); the message is the client's text.
    One tool runs at a time (``_ONE_AT_A_TIME``): the tools are registered unqueued (so that Gradio calls
    them with the caller's own request, login included), which leaves no queue to limit them.
    """
    import gradio as gr

    args = {key: value for key, value in args.items() if value is not None}
    try:
        with _ONE_AT_A_TIME:
            result = agent.run_tool(name, args, user="mcp")
    except Exception as exc:  # ToolInputError, ToolException, a tool bug: all reach the client as an error
        raise gr.Error(str(exc) or type(exc).__name__, print_exception=False) from None
    return format_result(result, agent.home / "artifacts")


def _docstring(declaration: ToolDeclaration) -> str:
    """The description, then an ``Args:`` block from the argument model's field descriptions."""
    lines = [declaration.description, "", "Args:"]
    for name, info in declaration.args.model_fields.items():
        lines.append(f"    {name}: {' '.join((info.description or name).split())}")
    lines += [
        "Returns:",
        "    The tool's explanation, its sources and the files it made (paths inside the artifacts folder).",
    ]
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


class McpLoginGate:
    """ASGI middleware: with a login on the page, requests to the MCP server need the same login.

    Gradio mounts its MCP app (``/gradio_api/mcp``: the tool list, calls, the schema) outside the login
    check its own routes use, so ``tools/list`` answered anyone. This asks what Gradio's ``/gradio_api/user``
    asks: the ``auth_dependency`` when there is one, else the session cookie that ``/login`` set. Without a
    login on the page it lets everything through, as before.
    """

    def __init__(self, app: Any, path: str = MCP_PATH) -> None:
        self.app = app
        self.path = path

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope.get("path", "").startswith(self.path):
            gradio_app = scope.get("app")
            if not await _logged_in(gradio_app, scope):
                from starlette.responses import JSONResponse

                response = JSONResponse(
                    {"error": "Not authenticated: log in on the page (POST /login) and send its cookie"},
                    status_code=401,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


async def _logged_in(gradio_app: Any, scope: dict[str, Any]) -> bool:
    """Whether the request is allowed, as Gradio's own ``login_check`` decides (``gradio/routes.py``)."""
    auth = getattr(gradio_app, "auth", None)
    dependency = getattr(gradio_app, "auth_dependency", None)
    if auth is None and dependency is None:
        return True
    from starlette.requests import Request

    request = Request(scope)
    if dependency is not None:
        user = dependency(request)
        if inspect.isawaitable(user):
            user = await user
        return user is not None
    cookie_id = getattr(gradio_app, "cookie_id", "")
    token = request.cookies.get(f"access-token-{cookie_id}") or request.cookies.get(
        f"access-token-unsecure-{cookie_id}"
    )
    return token is not None and token in getattr(gradio_app, "tokens", {})
