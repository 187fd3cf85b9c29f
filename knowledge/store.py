"""The Chroma collection that holds chunks and their embeddings.

Embedded (a folder under the data home) by default, or a Chroma server when a
URL is given: the rest of the code never knows which.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from knowledge.types import Chunk

_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def _client(path: Path | None, url: str | None) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    key = url or str(path)
    with _clients_lock:
        if key not in _clients:
            chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
            if url:
                parsed = urlparse(url)
                if parsed.scheme not in ("http", "https") or not parsed.hostname:
                    raise ValueError(f"Chroma URL must look like http://HOST:PORT, got {url!r}")
                _clients[key] = chromadb.HttpClient(
                    host=parsed.hostname,
                    port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                    ssl=parsed.scheme == "https",
                    settings=chroma_settings,
                )
            else:
                assert path is not None
                path.mkdir(parents=True, exist_ok=True)
                _clients[key] = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
        return _clients[key]


def _metadata(chunk: Chunk) -> dict[str, Any]:
    return {"section": chunk.section, "source": chunk.source, "start": chunk.start, "end": chunk.end}


def _chunk(chunk_id: str, text: str, meta: dict[str, Any]) -> Chunk:
    return Chunk(
        chunk_id, text, str(meta["section"]), str(meta["source"]), int(meta["start"]), int(meta["end"])
    )


class ChunkStore:
    """Chunks by id in one Chroma collection (cosine space)."""

    def __init__(self, path: Path | None = None, url: str | None = None, collection: str = "notes") -> None:
        self._client = _client(path, url)
        self._name = collection
        self._collection = self._client.get_or_create_collection(
            collection, metadata={"hnsw:space": "cosine"}, embedding_function=None
        )
        self.version = 0

    def upsert(self, chunks: list[Chunk], embeddings: np.ndarray) -> None:
        if not chunks:
            return
        self._collection.upsert(
            ids=[c.id for c in chunks],
            documents=[c.text for c in chunks],
            metadatas=[_metadata(c) for c in chunks],
            embeddings=embeddings.tolist(),
        )
        self.version += 1

    def update_offsets(self, chunks: list[Chunk]) -> None:
        """Move unchanged chunks to their new offsets without re-embedding them."""
        if chunks:
            self._collection.update(ids=[c.id for c in chunks], metadatas=[_metadata(c) for c in chunks])
            self.version += 1

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        if ids:
            self._collection.delete(ids=ids)
            self.version += 1

    def chunks_of(self, source: str) -> dict[str, Chunk]:
        found = self._collection.get(where={"source": source}, include=["documents", "metadatas"])
        return {
            i: _chunk(i, d, m)
            for i, d, m in zip(found["ids"], found["documents"], found["metadatas"], strict=True)
        }

    def all_chunks(self) -> list[Chunk]:
        found = self._collection.get(include=["documents", "metadatas"])
        return [
            _chunk(i, d, m)
            for i, d, m in zip(found["ids"], found["documents"], found["metadatas"], strict=True)
        ]

    def sources(self) -> list[str]:
        found = self._collection.get(include=["metadatas"])
        return sorted({str(m["source"]) for m in found["metadatas"]})

    def embeddings(self, ids: list[str]) -> dict[str, np.ndarray]:
        """Stored vectors by id: lexical hits get their cosine without running the model again."""
        if not ids:
            return {}
        found = self._collection.get(ids=ids, include=["embeddings"])
        return {
            i: np.asarray(e, dtype=np.float32) for i, e in zip(found["ids"], found["embeddings"], strict=True)
        }

    def count(self) -> int:
        return int(self._collection.count())

    def query(self, embedding: np.ndarray, k: int) -> list[tuple[Chunk, float]]:
        """Nearest chunks with their cosine similarity (1 - cosine distance)."""
        n = self.count()
        if n == 0:
            return []
        found = self._collection.query(
            query_embeddings=[embedding.tolist()],
            n_results=min(k, n),
            include=["documents", "metadatas", "distances"],
        )
        return [
            (_chunk(i, d, m), 1.0 - float(dist))
            for i, d, m, dist in zip(
                found["ids"][0],
                found["documents"][0],
                found["metadatas"][0],
                found["distances"][0],
                strict=True,
            )
        ]
