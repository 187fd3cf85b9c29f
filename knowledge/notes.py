"""The knowledge base as one object: index documents, retrieve, answer from them.

This is what the search tool and the agent hold; it hides Chroma, BM25 and
the composer behind four verbs.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from knowledge.answer import AnswerStyle, Composer, GroundedAnswer
from knowledge.embeddings import embed_one
from knowledge.indexer import forget_source, index_paths
from knowledge.loader import bundled_notes_path
from knowledge.retrieval import HybridRetriever, Retrieval
from knowledge.store import ChunkStore
from knowledge.text import content_terms
from knowledge.types import IndexReport, ScoredChunk

# Calibrated on tests/data/qa.yaml (in-scope top cosine >= 0.14, out-of-scope <= 0.15, with term coverage
# separating the overlap): a question is covered when its best passage is close in meaning and shares its
# words, or shares every content word (rare names such as "The Pile" that MiniLM does not know).
IN_SCOPE_DENSE = 0.45
IN_SCOPE_DENSE_WITH_TERMS = 0.25
IN_SCOPE_TERMS = 0.5
ALL_TERMS_MIN_DENSE = 0.10
FOLLOW_UP = re.compile(
    r"\b(it|its|it's|they|them|their|this|that|these|those|he|she|his|her|one|ones)\b", re.I
)

Reranker = Callable[[str, list[ScoredChunk]], list[ScoredChunk]]


@dataclass
class NotesAnswer:
    answer: GroundedAnswer
    retrieval: Retrieval
    query: str


def names_a_topic(question: str) -> bool:
    """A capitalised name past the first word ("Bark", "GPT-2", a quoted sentence) makes a question self-contained."""
    words = re.findall(r"[\w'-]+", question)[1:]
    return any(w[0].isupper() and w != "I" for w in words)


def leans_back(question: str) -> bool:
    """Whether a question refers to an earlier one ("what sizes does it come in?")."""
    if len(content_terms(question)) <= 1:
        return True
    return FOLLOW_UP.search(question) is not None and not names_a_topic(question)


def topic_of(previous: list[str]) -> str:
    """The earlier question(s) that name the topic a follow-up refers to."""
    if len(previous) >= 2 and leans_back(previous[-1]):
        return f"{previous[-2]} {previous[-1]}"
    return previous[-1]


def term_coverage(question: str, passages: list[ScoredChunk]) -> float:
    """The largest share of the question's content words that one passage (with its headings) contains."""
    terms = content_terms(question)
    if not terms:
        return 0.0
    return max(
        (len(terms & content_terms(f"{p.chunk.section} {p.chunk.text}")) / len(terms) for p in passages),
        default=0.0,
    )


def is_covered(top_dense: float, coverage: float) -> bool:
    return (
        top_dense >= IN_SCOPE_DENSE
        or (top_dense >= IN_SCOPE_DENSE_WITH_TERMS and coverage >= IN_SCOPE_TERMS)
        or (top_dense >= ALL_TERMS_MIN_DENSE and coverage >= 1.0)
    )


class NotesKnowledge:
    def __init__(
        self,
        home: Path,
        chroma_url: str | None = None,
        collection: str = "notes",
        max_bytes: int = 5_000_000,
        index_bundled: bool = True,
    ) -> None:
        self.store = ChunkStore(path=home / "chroma", url=chroma_url, collection=collection)
        self.retriever = HybridRetriever(self.store, embed_one)
        self.composer = Composer()
        self.max_bytes = max_bytes
        self._write_lock = threading.Lock()
        if index_bundled and bundled_notes_path().name not in set(self.store.sources()):
            self.index([bundled_notes_path()])

    def index(self, paths: Iterable[Path]) -> IndexReport:
        with self._write_lock:
            report = index_paths(self.store, [Path(p) for p in paths], self.max_bytes)
            self.retriever.invalidate()
            return report

    def forget(self, source: str) -> int:
        with self._write_lock:
            removed = forget_source(self.store, Path(source).name)
            self.retriever.invalidate()
            return removed

    def retrieve(self, query: str, k: int = 5) -> Retrieval:
        return self.retriever.retrieve(query, k)

    def answer(
        self,
        question: str,
        style: AnswerStyle,
        previous: list[str] | None = None,
        rerank: Reranker | None = None,
    ) -> NotesAnswer:
        """A grounded answer, or one marked out of scope when the notes do not support it."""
        query = question
        if previous and leans_back(question):
            # A follow-up: the earlier question chooses the passage, this one chooses its sentences.
            query = f"{topic_of(previous)} {question}"
        retrieval = self.retrieve(query, k=5)
        ranked = rerank(query, retrieval.ranked) if rerank else retrieval.ranked
        if query != question:
            grounded = self.composer.compose(embed_one(question), question, ranked[:2], style)
        else:
            grounded = self.composer.compose(retrieval.vector, question, ranked, style)
        in_scope = is_covered(retrieval.top_dense, term_coverage(query, retrieval.ranked[:3])) or (
            # A follow-up borrows its topic's words, so closeness in meaning is enough for it.
            query != question and retrieval.top_dense >= IN_SCOPE_DENSE_WITH_TERMS
        )
        if not in_scope:
            grounded = GroundedAnswer(text="", in_scope=False)
        return NotesAnswer(grounded, retrieval, query)
