"""What the image and speech tools share: finding a local model folder, loading a model once.

Stable Diffusion goes through diffusers (``tools/image.py``), Bark or any text-to-speech model
through a transformers pipeline (``tools/speech.py``, whose default is an offline Piper voice). Their
weights are gigabytes, so they load from a local folder or the local Hugging Face cache only; when
they are missing the tool says which model, how big, and the exact command that fetches it.
diffusers is an optional extra: ``pip install attentive-agent[media]``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import hub_env
from tools.hub_ids import resolve_model_id

EXTRA_HINT = "pip install attentive-agent[media]"
DESCRIBE = "describe what to generate"  # what a blank image or speech prompt is told to give

# One loaded model per kind per process (Bark alone is 1.7 GB, a diffusion pipeline as much); the lock
# makes concurrent first calls load once and share it. onnxruntime's InferenceSession.run is thread-safe
# and piper-tts guards its espeak-ng phonemizer with its own lock, so one PiperVoice serves every thread.
_loaded: dict[str, tuple[str, Any]] = {}
_load_lock = threading.Lock()


def load_once(kind: str, key: str, load: Callable[[], Any]) -> Any:
    """The model of ``kind`` loaded from ``key``, loading it (and letting the previous one go) if needed."""
    with _load_lock:
        held = _loaded.get(kind)
        if held is None or held[0] != key:
            _loaded.pop(kind, None)  # let the previous model go before the next one loads
            _loaded[kind] = (key, load())
        return _loaded[kind][1]


def is_loaded(kind: str, key: str) -> bool:
    """Whether the model of ``kind`` from ``key`` is already in memory (its first call pays no load)."""
    held = _loaded.get(kind)
    return held is not None and held[0] == key


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
