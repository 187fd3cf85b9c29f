"""The chat page's entry points: ``build_app(agent)`` for a ``gr.Blocks``, ``launch(...)`` to serve it.

The page itself is ``agent.ui.page.ChatPage``. Gradio serves files only from the data home's
artifacts folder (plus the copies it makes itself), and the queue bounds how many answers run at once.
Who is asking is the server's to say (``agent.ui.identity``): the login, when there are logins
(``--auth USER:PASS``, repeatable, or ``--auth-file``), else a signed cookie that ``IdentityCookie``
issues.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.ui.identity import Logins
from agent.ui.page import CHAT_CONCURRENCY, ChatPage

if TYPE_CHECKING:
    import gradio as gr

    from agent.core import Agent

__all__ = ["CHAT_CONCURRENCY", "ChatPage", "Logins", "build_app", "launch", "launch_options", "parse_auth"]

AuthArg = str | tuple[str, str] | list[tuple[str, str]] | Logins | None


def build_app(agent: Agent, logins: bool = False) -> gr.Blocks:
    """The chat page over ``agent``; call ``launch`` (or ``.launch`` with ``launch_options``) to serve it.
    ``logins``: it will be served behind a login (the user is then the login name)."""
    page = ChatPage(agent, logins=logins)
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


def logins_from(auth: AuthArg, auth_file: Path | None = None) -> Logins | None:
    """Every login given, as one ``Logins``: a ``USER:PASS`` string, a pair, a list of pairs, a users file."""
    if isinstance(auth, Logins):
        if auth_file is not None:
            raise ValueError("give the logins either as Logins or as pairs and a file, not both")
        return auth
    if isinstance(auth, str):
        pairs = [parse_auth(auth)]
    elif isinstance(auth, tuple):
        pairs = [auth]
    else:
        pairs = list(auth or [])
    return Logins.build([p for p in pairs if p is not None], auth_file)


def launch_options(
    page: ChatPage, host: str, port: int, auth: AuthArg, mcp: bool, share: bool
) -> dict[str, Any]:
    """Arguments for ``Blocks.launch``: loopback by default, files only from the artifacts folder, the MCP
    server behind the page's login (``McpLoginGate``), and without a login the identity cookie
    (``IdentityCookie``). Passwords are checked against scrypt hashes (``Logins.check``)."""
    from starlette.middleware import Middleware

    from agent.ui.identity import KEY_FILE, IdentityCookie
    from agent.ui.mcp_tools import McpLoginGate

    logins = logins_from(auth)
    if (logins is not None) != page.identity.logins:
        raise ValueError("build the page with logins=True exactly when it is served with logins")
    middleware = [Middleware(McpLoginGate)]
    if logins is None:
        middleware.append(Middleware(IdentityCookie, identity=page.identity))
    private = ("uploads", "ui-secret", KEY_FILE)
    return {
        "server_name": host,
        "server_port": port,
        "auth": logins.auth if logins is not None else None,
        "share": share,
        "mcp_server": mcp,
        "allowed_paths": [str(page.artifacts_dir.resolve())],
        "blocked_paths": [str(page.home.resolve() / name) for name in private],
        "max_file_size": page.settings.max_upload_bytes,
        "ssr_mode": False,
        "show_error": True,
        "run_history": False,
        "footer_links": ["api"] if mcp else [],
        "app_kwargs": {"middleware": middleware},
    }


def launch(
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: AuthArg = None,
    mcp: bool = False,
    home: Path | None = None,
    share: bool = False,
    agent: Agent | None = None,
    block: bool = True,
    auth_file: Path | None = None,
) -> gr.Blocks:
    """Start the chat page; ``block=False`` returns the running app (tests, notebooks).

    ``auth``: ``USER:PASS``, a pair or a list of pairs; ``auth_file``: a users file of hashed passwords
    (``attentive ui-user``). Both may be given; a name given twice is refused.
    """
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    logins = logins_from(auth, auth_file)  # checked before anything heavy starts
    if agent is None:
        from agent.core import Agent

        agent = Agent(home=home) if home is not None else Agent()
    demo = build_app(agent, logins=logins is not None)
    options = launch_options(demo.attentive_page, host, port, logins, mcp, share)
    demo.launch(prevent_thread_lock=not block, quiet=not block, **options)
    return demo
