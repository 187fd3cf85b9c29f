"""Hybrid retrieval: dense (Chroma + MiniLM) and lexical (BM25) fused by reciprocal rank.

Dense search finds paraphrases; BM25 finds rare exact words (model names,
"WebText", "117M") that embeddings blur. The heading path is part of both
indexes, so a question that names a section finds it. Fusion is by rank, so
neither score scale has to be calibrated against the other.

The same rebuild also collects the documents' ``Vocabulary`` (every word of
every chunk and heading path), so that whether a question's concept appears
anywhere in the documents is a set lookup per question, current with the store.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from knowledge.store import Library
from knowledge.text import Vocabulary, content_terms, tokens
from knowledge.types import SHARED, Chunk, ScoredChunk

RRF_K = 10
CANDIDATES = 20
SECTION_BONUS = 0.004


@dataclass
class Retrieval:
    """A ranked list plus what the out-of-scope decision needs."""

    query: str
    vector: np.ndarray
    ranked: list[ScoredChunk]

    @property
    def top_dense(self) -> float:
        return max((s.dense for s in self.ranked), default=0.0)


class _LexicalIndex:
    """BM25 and the vocabulary over every chunk (text plus heading path), rebuilt when the store changes.

    "Changes" is read from the store itself (``ChunkStore.generation``), not from a counter of this
    process, so a document another replica indexed or forgot reaches BM25 on the next retrieval."""

    def __init__(self, chunks: list[Chunk]) -> None:
        import bm25s

        self.chunks = chunks
        self.vocabulary = Vocabulary(f"{c.section} {c.text}" for c in chunks)
        self._bm25 = None
        if chunks:
            corpus = [tokens(f"{c.section} {c.text}") or ["_empty_"] for c in chunks]
            self._bm25 = bm25s.BM25()
            self._bm25.index(corpus, show_progress=False)

    def scores(self, query: str) -> np.ndarray:
        if self._bm25 is None:
            return np.zeros(0, dtype=np.float32)
        words = [w for w in tokens(query) if w in self._bm25.vocab_dict]
        if not words:
            return np.zeros(len(self.chunks), dtype=np.float32)
        return np.asarray(self._bm25.get_scores(words), dtype=np.float32)


class HybridRetriever:
    """Retrieval over the documents one reader may see: the shared library and, for a user, their own uploads.

    Dense search asks each visible owner's collection and merges by cosine (the same scale everywhere);
    BM25 and the vocabulary are built over exactly the visible chunks, once per set of owners and kept
    until one of their stores changes, so another user's upload neither shows up nor costs a rebuild.
    """

    LEXICAL_CACHE = 64  # sets of owners whose BM25 is kept (least recently used beyond that)

    def __init__(self, library: Library, embed_one: Callable[[str], np.ndarray]) -> None:
        self._library = library
        self._embed_one = embed_one
        self._lexical: OrderedDict[tuple[str, ...], tuple[tuple[str, ...], _LexicalIndex]] = OrderedDict()
        self._building: dict[tuple[str, ...], threading.Lock] = {}
        self._lock = threading.Lock()

    def _lexical_index(self, owners: tuple[str, ...]) -> _LexicalIndex:
        stores = self._library.stores(owners)
        key = tuple(store.owner for store in stores)
        # Read before the chunks: a write in between shows next time.
        generations = tuple(store.generation() for store in stores)
        with self._lock:
            cached = self._lexical.get(key)
            if cached is not None and cached[0] == generations:
                self._lexical.move_to_end(key)
                return cached[1]
            building = self._building.setdefault(key, threading.Lock())
        with building:  # one build per set of owners at a time; other sets are not held up
            with self._lock:
                cached = self._lexical.get(key)
                if cached is not None and cached[0] == generations:
                    return cached[1]
            index = _LexicalIndex([chunk for store in stores for chunk in store.all_chunks()])
            with self._lock:
                self._lexical[key] = (generations, index)
                self._lexical.move_to_end(key)
                while len(self._lexical) > self.LEXICAL_CACHE:
                    self._lexical.popitem(last=False)
            return index

    def vocabulary(self, owners: tuple[str, ...] = (SHARED,)) -> Vocabulary:
        """Every word the documents ``owners`` may see use, for telling an absent concept from a paraphrase."""
        return self._lexical_index(owners).vocabulary

    def invalidate(self, owner: str | None = None) -> None:
        """Drop the BM25 indexes that include ``owner``'s documents (every one when None)."""
        with self._lock:
            for key in [k for k in self._lexical if owner is None or owner in k]:
                del self._lexical[key]

    def _dense(self, vector: np.ndarray, owners: tuple[str, ...]) -> list[tuple[Chunk, float]]:
        found = [hit for store in self._library.stores(owners) for hit in store.query(vector, CANDIDATES)]
        return sorted(found, key=lambda hit: -hit[1])[:CANDIDATES]

    def retrieve(self, query: str, k: int = 5, owners: tuple[str, ...] = (SHARED,)) -> Retrieval:
        """The ``k`` best passages for ``query`` among the documents of ``owners``."""
        vector = self._embed_one(query)
        dense = self._dense(vector, owners)
        lexical = self._lexical_index(owners)
        bm25 = lexical.scores(query)
        fused: dict[str, float] = {}
        dense_sim: dict[str, float] = {}
        lexical_score: dict[str, float] = {}
        by_id: dict[str, Chunk] = {}
        for rank, (chunk, sim) in enumerate(dense):
            fused[chunk.id] = fused.get(chunk.id, 0.0) + 1.0 / (RRF_K + rank + 1)
            dense_sim[chunk.id] = sim
            by_id[chunk.id] = chunk
        order = np.argsort(-bm25)[:CANDIDATES]
        for rank, i in enumerate(order):
            if bm25[i] <= 0:
                break
            chunk = lexical.chunks[int(i)]
            fused[chunk.id] = fused.get(chunk.id, 0.0) + 1.0 / (RRF_K + rank + 1)
            lexical_score[chunk.id] = float(bm25[i])
            by_id[chunk.id] = chunk
        query_terms = content_terms(query)
        for chunk_id, chunk in by_id.items():
            heading_terms = content_terms(chunk.section.rsplit(" > ", 1)[-1])
            if heading_terms and query_terms & heading_terms:
                fused[chunk_id] += SECTION_BONUS * len(query_terms & heading_terms) / len(heading_terms)
        ranked = [
            ScoredChunk(by_id[i], score, dense_sim.get(i, 0.0), lexical_score.get(i, 0.0))
            for i, score in sorted(fused.items(), key=lambda item: -item[1])
        ]
        top = ranked[:k]
        stored: dict[str, np.ndarray] = {}
        for store in self._library.stores(owners):
            stored |= store.embeddings(
                [s.chunk.id for s in top if s.chunk.id not in dense_sim and s.chunk.owner == store.owner]
            )
        # Lexical-only hits get their real cosine too, so the out-of-scope check sees it.
        top = [
            ScoredChunk(s.chunk, s.score, float(stored[s.chunk.id] @ vector), s.lexical)
            if s.chunk.id in stored
            else s
            for s in top
        ]
        return Retrieval(query, vector, top)
