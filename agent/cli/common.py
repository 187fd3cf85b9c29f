"""Options and helpers shared by the CLI's subject modules."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from agent.core import Agent

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="Data home (default: $ATTENTIVE_HOME or ~/.local/share/attentive)."),
]
LlmOption = Annotated[
    str | None,
    typer.Option("--llm", help="Backend: llamacpp:PATH|embedded, hf:ID_OR_PATH, openai:BASE_URL#MODEL."),
]
UserOption = Annotated[str, typer.Option("--user", "-u", help="Whose conversation and preferences.")]


def make_agent(home: Path | None, llm: str | None = None) -> Agent:
    from agent.core import Agent

    return Agent(home=home, llm=llm)
