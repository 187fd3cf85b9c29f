"""Sentence embeddings with the bundled all-MiniLM-L6-v2.

One encoder per process, loaded on first use and shared by every Agent, so a
second Agent (a new dialogue, a new test) costs nothing to start. Two runtimes
give the same vectors: ``onnx`` (the default; starts in a fraction of a second
once exported, see ``knowledge.minilm_onnx``) and ``torch`` (sentence-transformers,
also the fallback when an export cannot be made).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from functools import cache
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from knowledge.embedded_models import minilm_path
from knowledge.minilm_onnx import DIMENSION, OnnxMiniLM, ensure_exported
from knowledge.model_cache import model_cache

Runtime = Literal["onnx", "torch"]
log = logging.getLogger(__name__)


class Encoder(Protocol):
    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray: ...


class SentenceTransformerMiniLM:
    """The reference runtime: sentence-transformers on PyTorch."""

    def __init__(self) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(minilm_path()), device="cpu", local_files_only=True)

    def encode(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        vectors = self._model.encode(
            texts,
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.asarray(vectors, dtype=np.float32)


_lock = threading.Lock()
_choice: dict[str, object] = {"runtime": "onnx", "threads": 2}


def configure(runtime: Runtime = "onnx", threads: int = 2) -> None:
    """Choose the runtime for this process; vectors are the same either way, so the text cache stays valid.

    The ONNX export lives in ``knowledge.model_cache.model_cache()``.
    """
    if runtime not in ("onnx", "torch"):
        raise ValueError(f"unknown embedding runtime {runtime!r}; use 'onnx' or 'torch'")
    with _lock:
        _choice.update(runtime=runtime, threads=threads)


@cache
def _encoder(runtime: Runtime, cache_dir: Path, threads: int) -> Encoder:
    if runtime == "onnx":
        try:
            return OnnxMiniLM(ensure_exported(cache_dir), threads)
        except (RuntimeError, ImportError, OSError) as exc:  # ExportFailed is a RuntimeError
            log.warning("ONNX embeddings unavailable (%s); using sentence-transformers instead", exc)
    return SentenceTransformerMiniLM()


def current_encoder() -> Encoder:
    return _encoder(_choice["runtime"], model_cache(), _choice["threads"])  # type: ignore[arg-type]


_cache: OrderedDict[str, np.ndarray] = OrderedDict()
CACHE_SIZE = 20_000


def embed(texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
    """L2-normalised float32 rows, one per text; cosine similarity is then a dot product.

    Recent texts are remembered, so a second data home indexing the same notes,
    or the same question asked twice, costs no model time.
    """
    if not texts:
        return np.zeros((0, DIMENSION), dtype=np.float32)
    with _lock:
        todo = list(dict.fromkeys(t for t in texts if t not in _cache))
        if todo:
            vectors = current_encoder().encode(todo, batch_size=batch_size, progress=progress)
            for text, vector in zip(todo, vectors, strict=True):
                _cache[text] = vector
        for text in texts:
            _cache.move_to_end(text)
        rows = np.stack([_cache[t] for t in texts])
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return rows


def embed_one(text: str) -> np.ndarray:
    return embed([text])[0]
