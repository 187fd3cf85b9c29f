"""Sentence embeddings with the bundled all-MiniLM-L6-v2.

Each Agent owns an ``Embedder`` (its runtime, threads and model cache); the encoder behind it is
loaded on first use and shared by every Embedder of the same settings, so a second Agent (a new
dialogue, a new test) costs nothing to start. Two runtimes
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
from knowledge.model_cache import default_model_cache

Runtime = Literal["onnx", "torch"]
log = logging.getLogger(__name__)


class Embed(Protocol):
    """What knowledge needs of an embedder: texts in, L2-normalised rows out (``Embedder.embed``)."""

    def __call__(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray: ...


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


@cache
def _encoder(runtime: Runtime, cache_dir: Path, threads: int) -> Encoder:
    """One encoder per configuration per process: a second Agent with the same settings shares it."""
    if runtime == "onnx":
        try:
            return OnnxMiniLM(ensure_exported(cache_dir), threads)
        except (RuntimeError, ImportError, OSError) as exc:  # ExportFailed is a RuntimeError
            log.warning("ONNX embeddings unavailable (%s); using sentence-transformers instead", exc)
    return SentenceTransformerMiniLM()


_cache: OrderedDict[str, np.ndarray] = OrderedDict()
CACHE_SIZE = 20_000


class Embedder:
    """MiniLM with one runtime, thread count and model cache: each Agent owns one.

    Both runtimes give the same vectors (to within 1e-5), so every Embedder shares one text cache:
    a second data home indexing the same notes, or the same question asked twice, costs no model time.
    """

    def __init__(self, runtime: Runtime = "onnx", threads: int = 2, cache_dir: Path | None = None) -> None:
        if runtime not in ("onnx", "torch"):
            raise ValueError(f"unknown embedding runtime {runtime!r}; use 'onnx' or 'torch'")
        self.runtime: Runtime = runtime
        self.threads = threads
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir else default_model_cache()

    @property
    def encoder(self) -> Encoder:
        return _encoder(self.runtime, self.cache_dir, self.threads)

    def embed(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """L2-normalised float32 rows, one per text; cosine similarity is then a dot product."""
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        with _lock:
            todo = list(dict.fromkeys(t for t in texts if t not in _cache))
            if todo:
                vectors = self.encoder.encode(todo, batch_size=batch_size, progress=progress)
                for text, vector in zip(todo, vectors, strict=True):
                    _cache[text] = vector
            for text in texts:
                _cache.move_to_end(text)
            rows = np.stack([_cache[t] for t in texts])
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
        return rows

    def embed_one(self, text: str) -> np.ndarray:
        return self.embed([text])[0]

    def embed_background(self, texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
        """``embed`` for indexing, in small steps (``background_steps``), each after any answer under way
        (``knowledge.priority``): an answer waits for one small step at most, never a whole batch."""
        from knowledge.priority import yield_to_answers

        parts = []
        for start, end in background_steps(texts):
            yield_to_answers()
            parts.append(self.embed(texts[start:end], batch_size=end - start))
        return np.concatenate(parts) if parts else np.zeros((0, DIMENSION), dtype=np.float32)


# Characters per background step (at least one text): MiniLM's time grows with tokens, not texts, so a
# step is cut by length. 1,000 characters is about 250 tokens, some 50 ms on 2 idle cores: 16 sections
# of 60 characters, or one long chunk. Steps of 8 texts took up to 2 s for long chunks on the busy
# machine, and each answer that arrived during one waited for it.
BACKGROUND_STEP_CHARS = 250


def background_steps(texts: list[str], budget: int | None = None) -> list[tuple[int, int]]:
    """``(start, end)`` spans of ``texts`` of at most ``budget`` characters each (``BACKGROUND_STEP_CHARS``
    by default; a longer text makes a step of its own)."""
    budget = budget or BACKGROUND_STEP_CHARS
    steps: list[tuple[int, int]] = []
    start, used = 0, 0
    for i, text in enumerate(texts):
        if i > start and used + len(text) > budget:
            steps.append((start, i))
            start, used = i, 0
        used += len(text)
    if start < len(texts):
        steps.append((start, len(texts)))
    return steps


_default = Embedder()


def embed(texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
    """The default Embedder's vectors (ONNX, two threads, the default model cache): for scripts and tests."""
    return _default.embed(texts, batch_size, progress)


def embed_one(text: str) -> np.ndarray:
    return _default.embed_one(text)
