"""Options and helpers shared by the CLI's subject modules."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from agent.core import Agent
    from agent.settings import Settings
    from agent.state import StateLocation
    from knowledge.notes import NotesKnowledge

HomeOption = Annotated[
    Path | None,
    typer.Option("--home", help="Data home (default: $ATTENTIVE_HOME or ~/.local/share/attentive)."),
]
LlmOption = Annotated[
    str | None,
    typer.Option("--llm", help="Backend: llamacpp:PATH|embedded, hf:ID_OR_PATH, openai:BASE_URL#MODEL."),
]
UserOption = Annotated[str, typer.Option("--user", "-u", help="Whose conversation and preferences.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def state_location(settings: Settings, url: str | None = None) -> StateLocation:
    """The database named by ``url``, else by ATTENTIVE_DATABASE_URL, else the data home's SQLite files."""
    from agent.state import parse_database_url

    return parse_database_url(url or settings.database_url, Path(settings.home).expanduser())


def make_agent(home: Path | None, llm: str | None = None) -> Agent:
    from agent.core import Agent

    return Agent(home=home, llm=llm)


def open_knowledge(home: Path | None) -> NotesKnowledge:
    """The knowledge base of a data home, without loading the agent's models."""
    from agent.settings import load_settings
    from knowledge.indexer import ChunkLimits
    from knowledge.notes import NotesKnowledge

    s = load_settings(home=home)
    limits = ChunkLimits(s.max_chunks_per_document, s.max_chunks_per_user)
    return NotesKnowledge(
        Path(s.home).expanduser(), s.chroma_url, s.collection, s.max_upload_bytes, limits=limits
    )
