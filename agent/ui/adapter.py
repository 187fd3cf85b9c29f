"""The few questions the chat page asks the Agent, in one place.

The page only talks to ``agent.Agent``; this wrapper names what it relies on
and gives a sensible answer when an Agent build lacks an optional part (for
example before the feedback learner lands), so the page still works.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from agent.settings import Settings, load_settings


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
        return self.agent.stream(message, user=user, session=session)

    def feedback(
        self, reply_id: str, score: int, comment: str | None = None, correction: str | None = None
    ) -> None:
        self.agent.feedback(reply_id, score=score, comment=comment or None, correction=correction or None)

    def history(self, user: str, session: str) -> list[Mapping[str, Any]]:
        return list(self.agent.history(user, session))

    def feedback_given(self, user: str, session: str) -> dict[str, int]:
        return dict(self.agent.feedback_given(user, session))

    def style_for(self, user: str) -> str:
        return str(self.agent.style_for(user))

    def reset_preferences(self, user: str) -> bool:
        self.agent.reset_preferences(user)
        return True

    @property
    def backend_description(self) -> str:
        return str(self.agent.backend_description)

    def index(self, paths: list[Path]) -> Any:
        return self.agent.index(paths)

    def run_tool(self, name: str, args: dict[str, Any], user: str = "mcp") -> Any:
        """Run one tool directly, for MCP clients."""
        return self.agent.run_tool(name, args, user=user)
