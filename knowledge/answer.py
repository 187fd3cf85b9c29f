"""Grounded answers: chosen sentences of the notes, each one cited.

The embedded 135M model invents facts even with the right passage in its
prompt, so the answer is built from the notes' own sentences (extractive), and
any text a model writes must pass ``support`` against the passages it cites or
it is dropped. Faithfulness then holds by construction, whatever model runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from knowledge.embeddings import embed
from knowledge.loader import SENTENCE_END, plain_text
from knowledge.text import content_terms
from knowledge.types import Chunk, Citation, ScoredChunk

EXAMPLE_CUE = re.compile(r"for example|for instance|such as|like \"|e\.g\.|\"[^\"]+\"", re.I)
SUPPORT_COSINE = 0.60
SUPPORT_OVERLAP = 0.6
# A link in a document is data, but a link shown to the user is an invitation to click: an answer
# never carries one the user did not write (a planted "visit https://..." must not reach them).
LINK_TEXT = re.compile(
    r"https?://[^\s)\]>\"']+|www\.[^\s)\]>\"']+|\b[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}/[^\s)\]>\"']*", re.I
)


def foreign_links(text: str, question: str) -> list[str]:
    """Links in ``text`` (with or without a scheme) that the question does not contain."""
    links = [link.rstrip(".,;:!?") for link in LINK_TEXT.findall(text)]
    return [link for link in links if link not in question]


BRIEF_SENTENCES = 2  # sentences per answer for each detail level before any feedback
DETAILED_SENTENCES = 5


@dataclass(frozen=True)
class AnswerStyle:
    """How long and how detailed an answer is; the feedback learners choose it per user."""

    detail: Literal["brief", "detailed"] = "detailed"
    max_sentences: int = DETAILED_SENTENCES
    examples: bool = False

    @classmethod
    def named(cls, name: str) -> AnswerStyle:
        if name == "brief":
            return cls("brief", BRIEF_SENTENCES, False)
        if name == "detailed":
            return cls("detailed", DETAILED_SENTENCES, True)
        raise ValueError(f"style must be 'brief' or 'detailed', got {name!r}")

    def describe(self) -> str:
        extra = ", with examples" if self.examples else ""
        return f"{self.detail} (up to {self.max_sentences} sentences{extra})"


@dataclass
class Sentence:
    chunk: Chunk
    rank: int
    start: int
    end: int
    text: str
    score: float = 0.0
    similarity: float = 0.0


@dataclass
class GroundedAnswer:
    text: str
    citations: list[Citation] = field(default_factory=list)
    sentences: list[str] = field(default_factory=list)
    support: list[float] = field(default_factory=list)
    in_scope: bool = True
    best_similarity: float = 0.0


def sentence_spans(chunk: Chunk) -> list[tuple[int, int]]:
    """Sentence offsets inside the source (not the chunk), trimmed of whitespace."""
    spans: list[tuple[int, int]] = []
    local = 0
    for match in SENTENCE_END.finditer(chunk.text):
        spans.append((local, match.start()))
        local = match.end()
    spans.append((local, len(chunk.text)))
    out = []
    for s, e in spans:
        piece = chunk.text[s:e]
        lead = len(piece) - len(piece.lstrip())
        trail = len(piece) - len(piece.rstrip())
        if e - trail > s + lead:
            out.append((chunk.start + s + lead, chunk.start + e - trail))
    return out


def _display(text: str) -> str:
    return " ".join(plain_text(text).split())


class Composer:
    """Builds extractive answers; caches sentence embeddings by chunk id."""

    def __init__(self) -> None:
        self._sentences: dict[str, list[Sentence]] = {}
        self._vectors: dict[str, np.ndarray] = {}

    def _chunk_sentences(self, chunk: Chunk, rank: int) -> tuple[list[Sentence], np.ndarray]:
        if chunk.id not in self._sentences:
            spans = sentence_spans(chunk)
            sentences = [
                Sentence(chunk, rank, s, e, _display(chunk.text[s - chunk.start : e - chunk.start]))
                for s, e in spans
            ]
            sentences = [s for s in sentences if len(s.text) > 2 and not s.text.endswith(":")] or sentences
            self._sentences[chunk.id] = sentences
            self._vectors[chunk.id] = embed([s.text for s in sentences])
        fresh = [Sentence(s.chunk, rank, s.start, s.end, s.text) for s in self._sentences[chunk.id]]
        return fresh, self._vectors[chunk.id]

    def compose(
        self,
        question_vec: np.ndarray,
        question: str,
        ranked: list[ScoredChunk],
        style: AnswerStyle,
        max_chunks: int = 3,
    ) -> GroundedAnswer:
        """Pick the best-supported sentences of the top passages and cite each."""
        if not ranked:
            return GroundedAnswer(text="", in_scope=False)
        q_terms = content_terms(question)
        candidates: list[Sentence] = []
        top_dense = max(s.dense for s in ranked[:max_chunks])
        for rank, scored in enumerate(ranked[:max_chunks]):
            if rank and scored.dense < top_dense - 0.12:
                continue
            sentences, vectors = self._chunk_sentences(scored.chunk, rank)
            sims = vectors @ question_vec
            for sentence, sim in zip(sentences, sims, strict=True):
                if foreign_links(sentence.text, question):
                    continue
                overlap = len(q_terms & content_terms(sentence.text)) / max(1, len(q_terms))
                example = 0.08 if style.examples and EXAMPLE_CUE.search(sentence.text) else 0.0
                sentence.similarity = float(sim)
                sentence.score = float(sim) + 0.25 * overlap + 0.5 * (scored.dense - top_dense) + example
                candidates.append(sentence)
        if not candidates:
            return GroundedAnswer(text="", in_scope=False)
        # The passage comes first (retrieval ranks passages well), then its best sentence;
        # another passage wins only with a clearly better sentence.
        best = max(candidates, key=lambda s: (s.rank == 0, s.score))
        rival = max(candidates, key=lambda s: s.score)
        if rival.score > best.score + 0.15:
            best = rival
        chosen = _walk_through(candidates, best, style)
        chosen.sort(key=lambda s: (s.rank, s.start))
        answer = self._render(chosen)
        answer.best_similarity = max(s.similarity for s in candidates)
        return answer

    def _render(self, chosen: list[Sentence]) -> GroundedAnswer:
        numbers: dict[str, int] = {}
        spans: dict[str, list[Sentence]] = {}
        for sentence in chosen:
            numbers.setdefault(sentence.chunk.id, len(numbers) + 1)
            spans.setdefault(sentence.chunk.id, []).append(sentence)
        citations = []
        for chunk_id in numbers:
            group = spans[chunk_id]
            chunk = group[0].chunk
            start, end = min(s.start for s in group), max(s.end for s in group)
            quote = chunk.text[start - chunk.start : end - chunk.start]
            citations.append(Citation(chunk.section, chunk.source, start, end, quote, chunk.id))
        parts: list[str] = []
        for i, sentence in enumerate(chosen):
            parts.append(sentence.text)
            last_of_run = i + 1 == len(chosen) or chosen[i + 1].chunk.id != sentence.chunk.id
            if last_of_run:
                parts[-1] = f"{parts[-1]} [{numbers[sentence.chunk.id]}]"
        return GroundedAnswer(
            text=" ".join(parts),
            citations=citations,
            sentences=[s.text for s in chosen],
            support=[1.0] * len(chosen),
        )


def _walk_through(candidates: list[Sentence], best: Sentence, style: AnswerStyle) -> list[Sentence]:
    """The answer's sentences: a run of the best passage around its best sentence, plus a strong sentence elsewhere.

    Reading a passage in order keeps its explanation whole (start, compare with
    a loss, backpropagate), where cherry-picked sentences lose the thread.
    """
    budget = max(1, style.max_sentences)
    own = [s for s in candidates if s.chunk.id == best.chunk.id]
    at = own.index(best)
    if style.detail == "brief":
        neighbours = [
            s for s in own[max(0, at - 1) : at + 2] if s is not best and s.score >= best.score - 0.15
        ]
        return [best, *sorted(neighbours, key=lambda s: -s.score)[: budget - 1]]
    length = min(len(own), max(1, budget - 1))
    start = max(0, min(at - 1, len(own) - length))  # one sentence of lead-in, then onwards
    chosen = own[start : start + length]
    others = sorted((s for s in candidates if s.chunk.id != best.chunk.id), key=lambda s: -s.score)
    chosen += [s for s in others if s.score >= best.score - 0.1][: budget - len(chosen)]
    return chosen


def split_sentences(text: str) -> list[str]:
    pieces = SENTENCE_END.split(text.strip())
    return [p.strip() for p in pieces if p.strip()]


MARKER = re.compile(r"\s*\[(\d+)\]")


def support(sentence: str, passages: list[str]) -> float:
    """How well the passages back a sentence: the weaker of embedding similarity and term coverage.

    Both must hold: similar meaning with different facts fails on terms, the same
    words in a different claim fails on meaning.
    """
    sentence = MARKER.sub("", sentence).strip()
    terms = content_terms(sentence)
    if not passages or not sentence:
        return 0.0
    passage_sentences = [s for p in passages for s in split_sentences(_display(p))]
    vectors = embed([sentence, *passage_sentences])
    cosine = float(np.max(vectors[1:] @ vectors[0])) if passage_sentences else 0.0
    passage_terms = set().union(*(content_terms(p) for p in passages))
    coverage = len(terms & passage_terms) / len(terms) if terms else 1.0
    return min(cosine / SUPPORT_COSINE, coverage / SUPPORT_OVERLAP, 1.0)


def guard(text: str, citations: list[Citation]) -> tuple[str, list[float], list[str]]:
    """Keep only sentences the cited passages support; return kept text, scores and dropped sentences."""
    passages = [c.quote for c in citations]
    kept: list[str] = []
    scores: list[float] = []
    dropped: list[str] = []
    for sentence in split_sentences(text):
        score = support(sentence, passages)
        if score >= 1.0:
            kept.append(sentence)
            scores.append(score)
        else:
            dropped.append(sentence)
    return " ".join(kept), scores, dropped
