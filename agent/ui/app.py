"""The chat page's entry points: ``build_app(agent)`` for a ``gr.Blocks``, ``launch(...)`` to serve it.

The page itself is ``agent.ui.page.ChatPage``. Gradio serves files only from the data home's
artifacts folder (plus the copies it makes itself), and the queue bounds how many answers run at once.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.ui.page import CHAT_CONCURRENCY, ChatPage

if TYPE_CHECKING:
    import gradio as gr

    from agent.core import Agent

__all__ = ["CHAT_CONCURRENCY", "ChatPage", "build_app", "launch", "launch_options", "parse_auth"]


def build_app(agent: Agent) -> gr.Blocks:
    """The chat page over ``agent``; call ``launch`` (or ``.launch`` with ``launch_options``) to serve it."""
    page = ChatPage(agent)
    demo = page.create_app()
    demo.attentive_page = page  # type: ignore[attr-defined]
    return demo


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``USER:PASS`` into Gradio's auth pair; the password may itself contain ':'."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user or not password:
        raise ValueError("auth must be USER:PASS, both non-empty")
    return user, password


def launch_options(
    page: ChatPage, host: str, port: int, auth: tuple[str, str] | None, mcp: bool, share: bool
) -> dict[str, Any]:
    """Arguments for ``Blocks.launch``: loopback by default, files only from the artifacts folder."""
    return {
        "server_name": host,
        "server_port": port,
        "auth": auth,
        "share": share,
        "mcp_server": mcp,
        "allowed_paths": [str(page.artifacts_dir.resolve())],
        "blocked_paths": [str(page.home.resolve() / name) for name in ("uploads", "ui-secret")],
        "max_file_size": page.settings.max_upload_bytes,
        "ssr_mode": False,
        "show_error": True,
        "run_history": False,
        "footer_links": ["api"] if mcp else [],
    }


def launch(
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: str | tuple[str, str] | None = None,
    mcp: bool = False,
    home: Path | None = None,
    share: bool = False,
    agent: Agent | None = None,
    block: bool = True,
) -> gr.Blocks:
    """Start the chat page; ``block=False`` returns the running app (tests, notebooks)."""
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    if agent is None:
        from agent.core import Agent

        agent = Agent(home=home) if home is not None else Agent()
    demo = build_app(agent)
    pair = parse_auth(auth) if isinstance(auth, str) else auth
    options = launch_options(demo.attentive_page, host, port, pair, mcp, share)
    demo.launch(prevent_thread_lock=not block, quiet=not block, **options)
    return demo
