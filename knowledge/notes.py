"""The knowledge base as one object: index documents, retrieve, answer from them.

This is what the search tool and the agent hold; it hides Chroma, BM25 and
the composer behind four verbs.

Two checks shape an answer before the composer quotes anything:

* Honest gaps. A question whose concept uses a word that appears nowhere in
  the indexed documents (``knowledge.text.Vocabulary``, rebuilt with the BM25
  index) is answered "your notes do not mention X" by name, never with the
  nearest passage: "What is a recurrent neural network?" reaches the neurons
  passage at cosine 0.49 and covers 2 of its 3 terms, so similarity alone
  passes it (before this check, 23 of the 44 questions in
  bench/data/absent_concepts.yaml were answered, with citations, from a
  nearby passage; now 43 name the concept and none cites). Nearby sections
  are named as related, never cited.
* Several parts. "How do neurons relate to training?" retrieves each part on
  its own and quotes a passage for each (``Composer.compose_parts``).
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from knowledge.answer import AnswerStyle, Composer, GroundedAnswer
from knowledge.embeddings import Embedder
from knowledge.indexer import ChunkLimits, Progress, forget_source, index_paths
from knowledge.loader import bundled_notes_path
from knowledge.manner import read_manner
from knowledge.retrieval import HybridRetriever, Retrieval
from knowledge.store import Library
from knowledge.text import (
    Shape,
    absent_name,
    absent_phrase,
    content_terms,
    named_terms,
    question_clauses,
    shape_of,
)
from knowledge.types import SHARED, Chunk, DocumentError, IndexReport, ScoredChunk

log = logging.getLogger(__name__)

# Calibrated on bench/data/qa.yaml (in-scope top cosine >= 0.14, out-of-scope <= 0.15, with term coverage
# separating the overlap): a question is covered when its best passage is close in meaning and shares its
# words, or shares every content word (rare names such as "The Pile" that MiniLM does not know).
IN_SCOPE_DENSE = 0.45
IN_SCOPE_DENSE_WITH_TERMS = 0.25
IN_SCOPE_TERMS = 0.5
ALL_TERMS_MIN_DENSE = 0.10
# Sections shown as related to an absent concept: RNN -> neurons passage at 0.49, BERT -> 0.33,
# out-of-scope questions (capital of France...) at most 0.15 on bench/data/qa.yaml.
RELATED_DENSE = 0.35
RELATED_SECTIONS = 2
FOLLOW_UP = re.compile(
    r"\b(it|its|it's|they|them|their|this|that|these|those|he|she|his|her|one|ones)\b", re.I
)

Reranker = Callable[[str, list[ScoredChunk]], list[ScoredChunk]]


@dataclass(frozen=True)
class NotesAnswer:
    """An answer with what it was made from: the passages found, and the query they were found for
    (a follow-up's query carries the topic of the question before it, ``is_follow_up``)."""

    answer: GroundedAnswer
    retrieval: Retrieval
    query: str


def names_a_topic(question: str) -> bool:
    """A name past the first word makes a question self-contained: capitalised ("Bark", "GPT-2", a quoted
    sentence) or letters with digits ("gpt2", "llama-2")."""
    words = re.findall(r"[\w'-]+", question)[1:]
    return any(
        (w[0].isupper() and w != "I") or (any(c.isdigit() for c in w) and any(c.isalpha() for c in w))
        for w in words
    )


def is_follow_up(question: str) -> bool:
    """Whether a question refers to an earlier one ("what sizes does it come in?"); "more about Bark" names
    its own topic in its one word."""
    if len(content_terms(question)) <= 1:
        return not names_a_topic(question)
    return FOLLOW_UP.search(question) is not None and not names_a_topic(question)


def topic_of(previous: list[str]) -> str:
    """The earlier question(s) that name the topic a follow-up refers to."""
    if len(previous) >= 2 and is_follow_up(previous[-1]):
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


def naming(question: str, passages: list[ScoredChunk]) -> list[ScoredChunk]:
    """The passages that contain every name the question writes ("Bark", "Meta AI", "LAION-5B")."""
    names = named_terms(question)
    if not names:
        return []
    return [p for p in passages if names <= content_terms(f"{p.chunk.section} {p.chunk.text}")]


def covered_ranking(
    question: str, retrieval: Retrieval, ranked: list[ScoredChunk]
) -> list[ScoredChunk] | None:
    """The passages to answer from when the notes support an answer, else None.

    Covered means close passages that share the question's words (``is_covered``), or a passage
    with every name the question writes: MiniLM barely knows such names ("What is SunoAI known
    for?" scores 0.20 against the Bark passage, "What did OpenAI build?" 0.22) and the verb rarely
    matches the notes' ("made" vs "Developed by"), so the name is the evidence, and only the passages
    that hold it are answered from ("What did Meta AI release?" ranked the adaptive-AI passage first).
    """
    if is_covered(retrieval.top_dense, term_coverage(question, retrieval.ranked[:3])):
        return ranked
    named = naming(question, ranked)
    if named and retrieval.top_dense >= ALL_TERMS_MIN_DENSE:
        return named
    return None


def related_sections(retrieval: Retrieval) -> list[str]:
    """Distinct section paths of the closest passages, for pointing from an absent concept to what is there."""
    sections: list[str] = []
    for scored in retrieval.ranked:
        if scored.dense >= RELATED_DENSE and scored.chunk.section not in sections:
            sections.append(scored.chunk.section)
    return sections[:RELATED_SECTIONS]


def merged(question: str, retrievals: list[Retrieval], k: int = 5) -> Retrieval:
    """One retrieval standing for several parts' ones: their passages interleaved by rank, deduplicated."""
    seen: set[str] = set()
    ranked: list[ScoredChunk] = []
    for rank in range(max(len(r.ranked) for r in retrievals)):
        for retrieval in retrievals:
            if rank < len(retrieval.ranked) and retrieval.ranked[rank].chunk.id not in seen:
                seen.add(retrieval.ranked[rank].chunk.id)
                ranked.append(retrieval.ranked[rank])
    vector = np.mean([r.vector for r in retrievals], axis=0)
    return Retrieval(question, vector / max(float(np.linalg.norm(vector)), 1e-9), ranked[:k])


class NotesKnowledge:
    """The documents one reader may see, and the verbs over them.

    Documents have owners (``Chunk.owner``): the shared library (``SHARED``: the bundled notes, read-only,
    and what the operator indexes) and each user's uploads, in a collection of their own
    (``knowledge.store.Library``). A ``NotesKnowledge`` as built reads the shared library only;
    ``for_owner(user)`` is the same knowledge as ``user`` sees it, their uploads included, and nobody
    else's. Writes name their owner (``index(..., owner=user)``).
    """

    def __init__(
        self,
        home: Path,
        chroma_url: str | None = None,
        collection: str = "notes",
        max_bytes: int = 5_000_000,
        index_bundled: bool = True,
        embedder: Embedder | None = None,
        limits: ChunkLimits | None = None,
    ) -> None:
        """``limits`` caps the chunks per document (everyone) and per user (not the shared library)."""
        self.embedder = embedder or Embedder()
        self.library = Library(path=home / "chroma", url=chroma_url, collection=collection)
        self.store = self.library.shared
        self.retriever = HybridRetriever(self.library, self.embedder.embed_one)
        self.composer = Composer(self.embedder.embed)
        self.max_bytes = max_bytes
        self.limits = limits or ChunkLimits()
        self.owners: tuple[str, ...] = (SHARED,)
        self._write_locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()
        if index_bundled:
            self._index_bundled()

    def _index_bundled(self) -> None:
        """Bring the shared library's copy of the bundled notes in line with the file, at every start.

        Incremental, so an unchanged file writes nothing (reading, chunking and comparing it: 5 ms here);
        checking only that a file of that name was indexed let anything indexed under the name stand in
        for the notes for good.
        """
        report = self.index([bundled_notes_path()])
        if report.errors:
            log.error("the bundled notes could not be indexed: %s", "; ".join(report.errors))

    def for_owner(self, owner: str) -> NotesKnowledge:
        """This knowledge as ``owner`` sees it: the shared library and ``owner``'s own uploads."""
        view = copy.copy(self)
        view.owners = (SHARED, owner) if owner != SHARED else (SHARED,)
        return view

    def _write_lock(self, owner: str) -> threading.Lock:
        """One writer per owner: a user's long upload never holds up another user's."""
        with self._locks_lock:
            return self._write_locks.setdefault(owner, threading.Lock())

    def index(
        self, paths: Iterable[Path], progress: Progress | None = None, owner: str = SHARED
    ) -> IndexReport:
        """Index Markdown, text, PDF and HTML files as ``owner``'s; ``progress`` hears each step.

        Embedding and writing give way to answers under way (``knowledge.priority``). The bundled notes
        are read-only: another file of their name is refused from the shared library (a user's own file
        of that name is theirs alone).
        """
        paths = [Path(p) for p in paths]
        refused: list[str] = []
        if owner == SHARED:
            bundled = bundled_notes_path()
            taken = [p for p in paths if p.name == bundled.name and p.resolve() != bundled.resolve()]
            refused = [
                str(DocumentError("the bundled notes have this name and are read-only; rename the file", p))
                for p in taken
            ]
            paths = [p for p in paths if p not in taken]
        limits = ChunkLimits(self.limits.per_document, None if owner == SHARED else self.limits.per_owner)
        with self._write_lock(owner):
            store = self.library.store(owner, create=bool(paths))
            report = IndexReport()
            if store is not None:
                report = index_paths(
                    store, paths, self.max_bytes, self.embedder.embed_background, progress, limits
                )
            self.retriever.invalidate(owner)
        report.errors = refused + report.errors
        return report

    def forget(self, source: str, owner: str = SHARED) -> int:
        """Drop ``owner``'s document ``source`` (a file name); the number of chunks removed."""
        with self._write_lock(owner):
            store = self.library.store(owner)
            removed = forget_source(store, Path(source).name) if store is not None else 0
            self.retriever.invalidate(owner)
            return removed

    def retrieve(self, query: str, k: int = 5) -> Retrieval:
        return self.retriever.retrieve(query, k, self.owners)

    def chunks(self) -> list[Chunk]:
        """Every chunk this reader may see (the shared library's first)."""
        return [chunk for store in self.library.stores(self.owners) for chunk in store.all_chunks()]

    def sources(self) -> list[str]:
        """The names of the documents this reader may see."""
        return sorted({source for store in self.library.stores(self.owners) for source in store.sources()})

    def absent_concepts(self, question: str, shape: Shape | None = None) -> list[str]:
        """Concept phrases of the question that use a word no indexed document (text or heading) does.

        A framed question ("what is X", "how does X work", "compare X and Y") is
        checked on its subject; any other only on the words it writes as names
        ("How do LSTMs handle long sequences?"), as free-form wording is too often
        a paraphrase ("Why squash a neuron's output...": "squash" is not in the notes).
        """
        vocabulary = self.retriever.vocabulary(self.owners)
        if not len(vocabulary):
            return []
        shape = shape or shape_of(question)
        if shape.framed:
            phrases = [absent_phrase(part, vocabulary) for part in shape.parts]
        else:
            phrases = [absent_name(question, vocabulary)]
        return list(dict.fromkeys(p for p in phrases if p))

    def answer(
        self,
        question: str,
        style: AnswerStyle,
        previous: list[str] | None = None,
        rerank: Reranker | None = None,
    ) -> NotesAnswer:
        """A grounded answer, or one marked out of scope when the notes do not support it.

        A concept the documents never mention comes back out of scope with ``absent`` naming it;
        a question about several parts gets a passage quoted for each. How the question asks to be
        answered ("in simple terms", "briefly") is no part of what it asks about.
        """
        question = read_manner(question).question
        shape = shape_of(question)
        absent = self.absent_concepts(question, shape)
        if absent:
            return self._absent(question, absent)
        follow_up = bool(previous) and is_follow_up(question)
        clauses = question_clauses(question)
        parts = list(shape.parts) if shape.multi else clauses if len(clauses) > 1 else []
        if parts and not follow_up:
            answered = self._answer_parts(question, parts, style, rerank)
            if answered is not None:
                return answered
        query = question
        if previous and follow_up:  # previous is checked again only for the type checker
            # A follow-up: the earlier question chooses the passage, this one chooses its sentences.
            query = f"{topic_of(previous)} {question}"
        retrieval = self.retrieve(query, k=5)
        ranked = rerank(query, retrieval.ranked) if rerank else retrieval.ranked
        covered = covered_ranking(query, retrieval, ranked)
        if covered is None and query != question and retrieval.top_dense >= IN_SCOPE_DENSE_WITH_TERMS:
            # A follow-up borrows its topic's words, so closeness in meaning is enough for it.
            covered = ranked
        if covered is None:
            return NotesAnswer(GroundedAnswer(text="", in_scope=False), retrieval, query)
        if query != question:
            grounded = self.composer.compose(self.embedder.embed_one(question), question, covered[:2], style)
        else:
            grounded = self.composer.compose(retrieval.vector, question, covered, style)
        return NotesAnswer(grounded, retrieval, query)

    def _absent(self, question: str, absent: list[str]) -> NotesAnswer:
        """Out of scope, naming what is missing; related sections are found but nothing is quoted or cited."""
        retrieval = self.retrieve(question, k=5)
        related = related_sections(retrieval)
        grounded = GroundedAnswer(text="", in_scope=False, absent=tuple(absent), related=tuple(related))
        return NotesAnswer(grounded, retrieval, question)

    def _answer_parts(
        self, question: str, parts: list[str], style: AnswerStyle, rerank: Reranker | None
    ) -> NotesAnswer | None:
        """One retrieval per part and a passage quoted for each; None when a part is not covered on its own.

        Retrieving the whole question lets the stronger topic crowd out the other: "How do neurons
        relate to training?" ranks the neurons passage first and training's is never quoted.
        """
        retrievals = [self.retrieve(part, k=5) for part in parts]
        composed = []
        for part, retrieval in zip(parts, retrievals, strict=True):
            ranked = rerank(part, retrieval.ranked) if rerank else retrieval.ranked
            covered = covered_ranking(part, retrieval, ranked)
            if covered is None:
                return None
            composed.append((retrieval.vector, part, covered))
        grounded = self.composer.compose_parts(composed, style)
        return NotesAnswer(grounded, merged(question, retrievals), question)
