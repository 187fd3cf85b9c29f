"""Sentence embeddings with the bundled all-MiniLM-L6-v2.

One model per process, loaded on first use and shared by every Agent, so a
second Agent (a new dialogue, a new test) costs nothing to start.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from knowledge.embedded_models import minilm_path

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

_lock = threading.Lock()


@cache
def _model() -> SentenceTransformer:
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(minilm_path()), device="cpu", local_files_only=True)


_cache: OrderedDict[str, np.ndarray] = OrderedDict()
CACHE_SIZE = 20_000


def embed(texts: list[str], batch_size: int = 64, progress: bool = False) -> np.ndarray:
    """L2-normalised float32 rows, one per text; cosine similarity is then a dot product.

    Recent texts are remembered, so a second data home indexing the same notes,
    or the same question asked twice, costs no model time.
    """
    if not texts:
        return np.zeros((0, 384), dtype=np.float32)
    with _lock:
        todo = list(dict.fromkeys(t for t in texts if t not in _cache))
        if todo:
            vectors = _model().encode(
                todo,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=progress,
            )
            for text, vector in zip(todo, vectors, strict=True):
                _cache[text] = np.asarray(vector, dtype=np.float32)
        for text in texts:
            _cache.move_to_end(text)
        rows = np.stack([_cache[t] for t in texts])
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return rows


def embed_one(text: str) -> np.ndarray:
    return embed([text])[0]
