"""The Chroma collection that holds chunks and their embeddings.

Embedded (a folder under the data home) by default, or a Chroma server when a
URL is given: the rest of the code never knows which.

Each owner has a collection of its own (``collection_name``): the shared library (the bundled notes
and what the operator indexes) is the configured collection itself, each user's uploads live in
``<collection>-u-<hash of the user>``, and a ``Library`` opens them by owner. Why a collection per
owner and not one collection filtered on an ``owner`` field: with 20,000 chunks of one user in the
collection, a filtered query for the shared notes took 26 ms (median; 1.8 ms before they were added),
against 1.5 ms in a collection of its own, and it would grow with every user's uploads; and no filter
can be forgotten (measured with 384-dimension vectors on the shared 2-core machine, chroma 1.5).

Several replicas may share one server, and each keeps a BM25 index built from every chunk, so each
must learn when another replica wrote. Chroma has no collection version to ask (see FACTS), so every
write also stamps a fresh random generation on one record of a small companion collection
(``<collection>.changes``); a reader compares the stamp with the one its BM25 was built at. One
``get`` by id per retrieval; a replica is stale for at most the turn that was already under way.
Indexing a file stamps once, after its last write (``ChunkStore.announce_once``), not once per batch.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from knowledge.types import SHARED, Chunk, owner_key

GENERATION_ID = "generation"  # the one record of the ``.changes`` collection
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
    return {
        "section": chunk.section,
        "source": chunk.source,
        "start": chunk.start,
        "end": chunk.end,
        "page": chunk.page,  # 0 for an unpaged document; records written before pages existed have none
    }


def _chunk(chunk_id: str, text: str, meta: dict[str, Any], owner: str) -> Chunk:
    return Chunk(
        chunk_id,
        text,
        str(meta["section"]),
        str(meta["source"]),
        int(meta["start"]),
        int(meta["end"]),
        int(meta.get("page", 0)),
        owner,
    )


def collection_name(base: str, owner: str = SHARED) -> str:
    """The collection that holds ``owner``'s chunks: ``base`` for the shared library, else ``base-u-HASH``.

    A hash, because a user name may hold any printable character and Chroma names may not.
    """
    if owner == SHARED:
        return base
    return f"{base}-u-{owner_key(owner)}"


class ChunkStore:
    """Chunks by id in one Chroma collection (cosine space): the shared library's, or one owner's."""

    def __init__(
        self,
        path: Path | None = None,
        url: str | None = None,
        collection: str = "notes",
        owner: str = SHARED,
        create: bool = True,
    ) -> None:
        """``create=False`` raises ``LookupError`` when the owner has no collection yet."""
        self._client = _client(path, url)
        self.owner = owner
        self._name = collection_name(collection, owner)
        if create:
            self._collection = self._client.get_or_create_collection(
                self._name, metadata={"hnsw:space": "cosine"}, embedding_function=None
            )
        else:
            try:
                self._collection = self._client.get_collection(self._name, embedding_function=None)
            except Exception as exc:  # chromadb's NotFoundError (a ValueError in some versions)
                raise LookupError(f"no collection {self._name!r}") from exc
        self._changes = self._client.get_or_create_collection(
            f"{self._name}.changes", embedding_function=None
        )
        self._deferring = threading.local()  # a writer inside ``announce_once``: stamp once, at its end

    @contextmanager
    def announce_once(self) -> Iterator[None]:
        """Writes made inside (by this thread) are announced by one stamp at the end, not one each.

        A stamp is a Chroma write too (about 45 ms here), and every write holds up every query of the
        same client; indexing a 20,000-chunk upload wrote 313 batches, so it stamped 313 times, and each
        of its owner's questions rebuilt BM25 in between. The stamp still comes after the last write.
        """
        if getattr(self._deferring, "pending", None) is not None:  # already inside: the outer one stamps
            yield
            return
        self._deferring.pending = False
        try:
            yield
        finally:
            pending, self._deferring.pending = self._deferring.pending, None
            if pending:
                self._changed()

    def generation(self) -> str:
        """The stamp of the collection's latest write, by any process ("" before the first stamped write)."""
        found = self._changes.get(ids=[GENERATION_ID], include=["metadatas"])
        return str(found["metadatas"][0]["generation"]) if found["ids"] else ""

    def _changed(self) -> None:
        """Stamp a new generation, after the write it announces (a reader that sees it sees the write)."""
        if getattr(self._deferring, "pending", None) is not None:
            self._deferring.pending = True
            return
        self._changes.upsert(
            ids=[GENERATION_ID], embeddings=[[1.0]], metadatas=[{"generation": uuid.uuid4().hex}]
        )

    def upsert(self, chunks: list[Chunk], embeddings: np.ndarray) -> None:
        if not chunks:
            return
        self._collection.upsert(
            ids=[c.id for c in chunks],
            documents=[c.text for c in chunks],
            metadatas=[_metadata(c) for c in chunks],
            embeddings=embeddings.tolist(),
        )
        self._changed()

    def update_offsets(self, chunks: list[Chunk]) -> None:
        """Move unchanged chunks to their new offsets (and pages) without re-embedding them."""
        if chunks:
            self._collection.update(ids=[c.id for c in chunks], metadatas=[_metadata(c) for c in chunks])
            self._changed()

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        if ids:
            self._collection.delete(ids=ids)
            self._changed()

    def chunks_of(self, source: str) -> dict[str, Chunk]:
        found = self._collection.get(where={"source": source}, include=["documents", "metadatas"])
        return {
            i: _chunk(i, d, m, self.owner)
            for i, d, m in zip(found["ids"], found["documents"], found["metadatas"], strict=True)
        }

    def all_chunks(self) -> list[Chunk]:
        found = self._collection.get(include=["documents", "metadatas"])
        return [
            _chunk(i, d, m, self.owner)
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

    def count_of(self, source: str) -> int:
        """How many chunks ``source`` has (ids only: no text or vectors are read)."""
        return len(self._collection.get(where={"source": source}, include=[])["ids"])

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
            (_chunk(i, d, m, self.owner), 1.0 - float(dist))
            for i, d, m, dist in zip(
                found["ids"][0],
                found["documents"][0],
                found["metadatas"][0],
                found["distances"][0],
                strict=True,
            )
        ]


class Library:
    """Every owner's ``ChunkStore`` in one Chroma (folder or server): the shared library and each user's uploads.

    A store is opened once and kept; an owner without a collection (a user who never uploaded) is looked
    up again at most every ``ABSENT_RECHECK_S``, so a question costs no Chroma call for it, and an upload
    by another replica is seen within that time.
    """

    ABSENT_RECHECK_S = 10.0

    def __init__(self, path: Path | None = None, url: str | None = None, collection: str = "notes") -> None:
        self._path, self._url, self.collection = path, url, collection
        self._stores: dict[str, ChunkStore] = {}
        self._absent: dict[str, float] = {}  # owner -> when it was last found to have no collection
        self._lock = threading.Lock()
        self.shared = self.store(SHARED, create=True)

    def store(self, owner: str, create: bool = False) -> ChunkStore | None:
        """``owner``'s store; None when it has none and ``create`` is False."""
        with self._lock:
            found = self._stores.get(owner)
            if found is not None:
                return found
            if not create and time.monotonic() - self._absent.get(owner, -1e9) < self.ABSENT_RECHECK_S:
                return None
        try:
            opened = ChunkStore(self._path, self._url, self.collection, owner=owner, create=create)
        except LookupError:
            with self._lock:
                self._absent[owner] = time.monotonic()
            return None
        with self._lock:
            self._absent.pop(owner, None)
            return self._stores.setdefault(owner, opened)

    def stores(self, owners: Iterable[str]) -> list[ChunkStore]:
        """The stores of ``owners`` that exist, in that order."""
        return [s for s in (self.store(o) for o in dict.fromkeys(owners)) if s is not None]
