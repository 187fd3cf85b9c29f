"""The chat page (Gradio 6): ``build_app(agent)`` and ``launch(...)``.

Gradio is imported only when the page is built, so importing this package
(and running ``attentive --help``) stays instant.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.core import Agent

__all__ = ["build_app", "launch"]


def build_app(agent: Agent) -> Any:
    from agent.ui.app import build_app as build

    return build(agent)


def launch(*args: Any, **kwargs: Any) -> Any:
    from agent.ui.app import launch as start

    return start(*args, **kwargs)
