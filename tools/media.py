"""What the image and speech tools share: finding a local model folder, refusing a blank prompt.

Stable Diffusion goes through diffusers (``tools/image.py``), Bark or any text-to-speech model
through a transformers pipeline (``tools/speech.py``, whose default is an offline Piper voice). Their
weights are gigabytes, so they load from a local folder or the local Hugging Face cache only; when
they are missing the tool says which model, how big, and the exact command that fetches it.
diffusers is an optional extra: ``pip install attentive-agent[media]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tools import hub_env
from tools.hub_ids import resolve_model_id

EXTRA_HINT = "pip install attentive-agent[media]"


def not_blank(text: str) -> str:
    """A prompt's words without surrounding spaces; a field validator refusing a blank prompt."""
    if not text.strip():
        raise ValueError("is empty; describe what to generate")
    return text.strip()


@dataclass(frozen=True)
class Source:
    path: str
    label: str


def locate(model: str, marker: str) -> Source:
    """A loadable folder for ``model``; ModelNotCached (size, fetch command) if the cache lacks it."""
    text = str(model).strip()
    path = Path(text).expanduser()
    if text and path.is_dir():
        return Source(str(path.resolve()), path.name)
    model_id = resolve_model_id(text).id  # refuses URLs, missing paths, a/b/c, ".."
    folder = hub_env.cached_snapshot(model_id, marker)
    if folder is None:
        raise hub_env.model_not_cached(model_id)
    return Source(str(folder), model_id)
