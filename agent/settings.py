"""Every setting in one place, read from ``ATTENTIVE_*`` environment variables.

Defaults are the embedded ones, so a fresh install works offline with no
configuration at all. Limits live here too, so the README's configuration table
and the code cannot disagree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge.model_cache import default_model_cache


def default_home() -> Path:
    return Path.home() / ".local" / "share" / "attentive"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ATTENTIVE_", extra="ignore")

    home: Path = Field(default_factory=default_home, description="Data home: every file the agent writes.")
    llm: str = Field(
        default="llamacpp:embedded",
        description="Chat backend: llamacpp:PATH|embedded, hf:ID_OR_PATH, openai:BASE_URL#MODEL.",
    )
    tool_choice: Literal["auto", "native", "router"] = Field(
        default="auto", description="Who picks tools: the model (native), the intent router, or auto."
    )
    model_cache: Path = Field(
        default_factory=default_model_cache,
        description="Per-machine cache of derived model files (MiniLM as ONNX, SmolLM2 for transformers).",
    )
    embedding_runtime: Literal["onnx", "torch"] = Field(
        default="onnx", description="MiniLM runtime: onnx (fast start) or torch (sentence-transformers)."
    )
    chroma_url: str | None = Field(default=None, description="Use a Chroma server (http://HOST:PORT).")
    collection: str = Field(default="notes", description="Chroma collection name.")
    database_url: str | None = Field(
        default=None,
        description="Where memory and feedback live: postgresql://USER:PASS@HOST:PORT/DB for a server shared by "
        "several replicas; unset (or sqlite:///FOLDER) for the SQLite files in the data home.",
    )
    tool_packages: list[str] = Field(
        default=["tools"],
        description="Packages whose modules declare tools (each exports TOOL); add your own to extend the agent.",
    )
    max_message_chars: int = Field(default=20_000, description="Longest accepted message.")
    max_upload_bytes: int = Field(default=5_000_000, description="Largest document accepted for indexing.")
    max_chunks_per_document: int = Field(
        default=25_000,
        ge=1,
        description="Most chunks one document may have (a 1.2 MB file of 20,000 short sections has about 20,000).",
    )
    max_chunks_per_user: int = Field(
        default=50_000, ge=1, description="Most chunks of one user's own uploads, all documents together."
    )
    max_history_messages: int = Field(default=20, description="Most earlier messages that reach the model.")
    max_steps: int = Field(default=6, description="Most model/tool steps in one turn.")
    tool_timeout_s: float = Field(default=120.0, description="Time limit of one tool call.")
    max_new_tokens: int = Field(default=1024, description="Cap on generated tokens.")
    max_comment_chars: int = Field(default=5_000, description="Longest feedback comment.")
    n_threads: int = Field(default=2, description="CPU threads for llama.cpp and torch.")
    default_style: Literal["brief", "detailed"] = Field(
        default="detailed", description="Answer style before feedback."
    )


def load_settings(home: Path | None = None, **overrides: object) -> Settings:
    """Settings from the environment, with explicit arguments winning."""
    values = {k: v for k, v in overrides.items() if v is not None}
    if home is not None:
        values["home"] = Path(home)
    return Settings(**values)
