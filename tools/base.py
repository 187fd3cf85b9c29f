"""The contract every tool honours: plain inputs in, a ToolResult out.

Tools never import ``agent``: the agent hands them a ToolContext (where to write
files, who is asking) and turns their ToolResult into messages and a Reply.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from knowledge.types import Citation

if TYPE_CHECKING:
    from knowledge.answer import AnswerStyle
    from knowledge.notes import NotesKnowledge, Reranker

ArtifactKind = Literal["image", "audio", "table", "text"]


@dataclass(frozen=True)
class Artifact:
    """A file a tool made for the user (a figure, a sound, a table)."""

    kind: ArtifactKind
    path: Path
    caption: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        return data


@dataclass
class ToolResult:
    """What a tool hands back.

    ``text`` is for the user and the model; ``data`` holds the numbers behind it
    so tests and evaluations can check meaning rather than wording.
    """

    text: str
    artifacts: list[Artifact] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


class ToolInputError(ValueError):
    """An argument a user can fix; the message says what is allowed."""


class ToolUnavailable(RuntimeError):
    """The tool cannot run here (missing weights or extra); the message says how to fix it."""


@dataclass(frozen=True)
class MissingModel:
    """A Hub model a tool needs that is not in the local cache: what a Download offer fetches.

    ``size_bytes`` is the download's approximate size (None when unknown); ``gated`` repos need
    the licence accepted on the Hub and a token before they download.
    """

    repo_id: str
    size_bytes: int | None = None
    gated: bool = False


class ModelNotCached(ToolUnavailable):
    """The tool's weights are not in the local Hugging Face cache.

    The message says how to fetch them; ``model`` carries the same facts as a record, so the
    agent can offer a Download without reading the message back.
    """

    def __init__(self, message: str, model: MissingModel) -> None:
        super().__init__(message)
        self.model = model


@dataclass(frozen=True)
class ToolContext:
    """What a tool may know about the turn it runs in.

    The data home and the user for every tool; the knowledge base, the user's answer style,
    the earlier questions of the conversation and the user's reranker for the notes tools; a
    token sink and the token cap for tools that generate text; the machine's model cache for
    tools that load a derived model; a line to the user while the tool runs (``notify``: how
    long it will take) and the time the tool may run (``time_limit_s``), for the slow ones.
    """

    home: Path
    user: str = "default"
    session: str = "default"
    knowledge: NotesKnowledge | None = None
    style: AnswerStyle | None = None
    previous: tuple[str, ...] = ()
    rerank: Reranker | None = None
    on_token: Callable[[str], None] | None = None
    max_new_tokens: int = 1024
    model_cache: Path | None = None
    notify: Callable[[str], None] | None = None
    time_limit_s: float | None = None

    def tell(self, text: str) -> None:
        """Show ``text`` to the user now, while the tool still runs (nothing where no one listens)."""
        if self.notify is not None:
            self.notify(text)

    @property
    def artifacts_dir(self) -> Path:
        path = self.home / "artifacts"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def artifact_path(self, stem: str, suffix: str) -> Path:
        """A fresh, collision-free file name under the data home's artifacts folder."""
        digest = hashlib.sha1(f"{stem}{time.time_ns()}".encode()).hexdigest()[:10]
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in stem)[:40]
        return self.artifacts_dir / f"{safe}-{digest}{suffix}"
