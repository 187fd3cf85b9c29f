"""The few questions the chat page asks the Agent, in one place.

The page only talks to ``agent.Agent``; this wrapper names what it relies on
and gives a sensible answer when an Agent build lacks an optional part (for
example before the feedback learner lands), so the page still works.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from agent.settings import Settings, load_settings

_DONE = object()


class PageAgent:
    """What the chat page needs from the Agent: chat, feedback, history, settings, tools."""

    def __init__(self, agent: Any) -> None:
        self.agent = agent
        settings = getattr(agent, "settings", None)
        home = getattr(agent, "home", None)
        self.settings: Settings = settings if isinstance(settings, Settings) else load_settings(home=home)
        self.home = Path(home) if home is not None else Path(self.settings.home)

    @property
    def artifacts_dir(self) -> Path:
        path = self.home / "artifacts"
        path.mkdir(parents=True, exist_ok=True)
        return path

    @property
    def uploads_dir(self) -> Path:
        return self.home / "uploads"

    def stream(self, message: str, user: str, session: str) -> Iterator[Any]:
        """``Agent.stream`` run start to end in one thread of its own.

        The Agent keeps per-turn state in context variables, while Gradio resumes a
        generator on whichever worker thread is free; resetting a context variable
        from another thread's context fails. A queue hands the events across.
        """
        events: queue.Queue[Any] = queue.Queue()

        def work() -> None:
            try:
                for event in self.agent.stream(message, user=user, session=session):
                    events.put(event)
            except BaseException as exc:  # handed to the page, which shows it in the chat
                events.put(exc)
            finally:
                events.put(_DONE)

        threading.Thread(target=work, name="agent-turn", daemon=True).start()
        while (item := events.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item

    def feedback(
        self, reply_id: str, score: int, comment: str | None = None, correction: str | None = None
    ) -> None:
        self.agent.feedback(reply_id, score=score, comment=comment or None, correction=correction or None)

    def history(self, user: str, session: str) -> list[Mapping[str, Any]]:
        method = getattr(self.agent, "history", None)
        return list(method(user, session)) if callable(method) else []

    def feedback_given(self, user: str, session: str) -> dict[str, int]:
        method = getattr(self.agent, "feedback_given", None)
        return dict(method(user, session)) if callable(method) else {}

    def style_for(self, user: str) -> str:
        method = getattr(self.agent, "style_for", None)
        return str(method(user)) if callable(method) else f"{self.settings.default_style} (default)"

    def reset_preferences(self, user: str) -> bool:
        method = getattr(self.agent, "reset_preferences", None)
        if not callable(method):
            return False
        method(user)
        return True

    @property
    def backend_description(self) -> str:
        value = getattr(self.agent, "backend_description", None)
        return str(value) if value else self.settings.llm

    def index(self, paths: list[Path]) -> Any:
        return self.agent.index(paths)

    def run_tool(self, name: str, args: dict[str, Any], user: str = "mcp") -> Any:
        """Run one tool directly (for MCP clients); prefers ``Agent.run_tool`` when the Agent has it."""
        method = getattr(self.agent, "run_tool", None)
        if callable(method):
            return method(name, args, user=user)
        # Stand-in until the Agent offers run_tool: its LangChain tools, inside a turn context.
        from agent.toolset import Turn, current_turn
        from tools.base import ToolContext

        tool = next((t for t in getattr(self.agent, "tools", []) if getattr(t, "name", None) == name), None)
        if tool is None:
            raise ValueError(f"unknown tool {name!r}")
        turn = Turn(ctx=ToolContext(home=self.home, user=user), style=self.agent.style(user))
        token = current_turn.set(turn)
        try:
            _text, result = tool.func(**args)
        finally:
            current_turn.reset(token)
        return result
