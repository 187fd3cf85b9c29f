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
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from knowledge.store import ChunkStore
from knowledge.text import Vocabulary, content_terms, tokens
from knowledge.types import Chunk, ScoredChunk

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
    """BM25 and the vocabulary over every chunk (text plus heading path), rebuilt when the store changes."""

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
    def __init__(self, store: ChunkStore, embed_one: Callable[[str], np.ndarray]) -> None:
        self._store = store
        self._embed_one = embed_one
        self._lexical: _LexicalIndex | None = None
        self._lexical_version = -1
        self._lock = threading.Lock()

    def _lexical_index(self) -> _LexicalIndex:
        with self._lock:
            if self._lexical is None or self._lexical_version != self._store.version:
                version = self._store.version
                self._lexical = _LexicalIndex(self._store.all_chunks())
                self._lexical_version = version
            return self._lexical

    def vocabulary(self) -> Vocabulary:
        """Every word the indexed documents use, for telling an absent concept from a paraphrase."""
        return self._lexical_index().vocabulary

    def invalidate(self) -> None:
        with self._lock:
            self._lexical = None

    def retrieve(self, query: str, k: int = 5) -> Retrieval:
        vector = self._embed_one(query)
        dense = self._store.query(vector, CANDIDATES)
        lexical = self._lexical_index()
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
        stored = self._store.embeddings([s.chunk.id for s in top if s.chunk.id not in dense_sim])
        # Lexical-only hits get their real cosine too, so the out-of-scope check sees it.
        top = [
            ScoredChunk(s.chunk, s.score, float(stored[s.chunk.id] @ vector), s.lexical)
            if s.chunk.id in stored
            else s
            for s in top
        ]
        return Retrieval(query, vector, top)
