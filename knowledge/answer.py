"""Grounded answers: chosen sentences of the notes, each one cited.

The embedded 135M model invents facts even with the right passage in its
prompt, so the answer is built from the notes' own sentences (extractive), and
any text a model writes must pass ``support`` against the passages it cites or
it is dropped. Faithfulness then holds by construction, whatever model runs.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from knowledge.embeddings import Embed, embed
from knowledge.links import foreign_links
from knowledge.loader import plain_text
from knowledge.text import content_terms, sentence_bounds, split_sentences
from knowledge.types import Chunk, Citation, ScoredChunk

EXAMPLE_CUE = re.compile(r"for example|for instance|such as|like \"|e\.g\.|\"[^\"]+\"", re.I)
SUPPORT_COSINE = 0.60
SUPPORT_OVERLAP = 0.6
Detail = Literal["brief", "detailed"]
BRIEF_SENTENCES = 2  # sentences per answer for each detail level before any feedback
DETAILED_SENTENCES = 5


@dataclass(frozen=True)
class AnswerStyle:
    """How long and how detailed an answer is; the feedback learners choose it per user.

    The one definition of "brief" and "detailed" (``named``), for the composer,
    the tools and the learners alike. Examples are a separate choice a user
    teaches by comment, so neither level asks for them until then.
    """

    detail: Detail = "detailed"
    max_sentences: int = DETAILED_SENTENCES
    examples: bool = False

    @classmethod
    def named(cls, detail: str) -> AnswerStyle:
        """The style a detail level starts as, before any feedback."""
        if detail == "brief":
            return cls("brief", BRIEF_SENTENCES, False)
        if detail == "detailed":
            return cls("detailed", DETAILED_SENTENCES, False)
        raise ValueError(f"style must be 'brief' or 'detailed', got {detail!r}")

    def describe(self) -> str:
        """The style in words, for the settings panel: "brief (up to 2 sentences, with examples)"."""
        extra = ", with examples" if self.examples else ""
        return f"{self.detail} (up to {self.max_sentences} sentences{extra})"

    def to_json(self) -> str:
        """The form a stored reply keeps, so later feedback knows what it judged."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_value(cls, value: Any) -> AnswerStyle:
        """Read back what callers store: an AnswerStyle, its JSON, a dict, or a bare detail word.

        Anything unreadable is the detailed default: a stored reply must never make
        its own feedback fail.
        """
        if isinstance(value, AnswerStyle):
            return value
        if isinstance(value, dict):
            base = cls.named("brief" if value.get("detail") == "brief" else "detailed")
            return cls(
                detail=base.detail,
                max_sentences=int(value.get("max_sentences", base.max_sentences)),
                examples=bool(value.get("examples", base.examples)),
            )
        text = str(value or "").strip()
        if text.startswith("{"):
            try:
                return cls.from_value(json.loads(text))
            except (ValueError, TypeError):
                pass
        return cls.named("brief" if text == "brief" else "detailed")


@dataclass(frozen=True)
class GroundedAnswer:
    """An answer made only of the documents' sentences, each cited; or none (``in_scope`` False), naming
    the concepts the documents never mention. A finished result: nothing changes it once composed."""

    text: str
    citations: tuple[Citation, ...] = ()
    sentences: tuple[str, ...] = ()
    support: tuple[float, ...] = ()
    in_scope: bool = True
    best_similarity: float = 0.0
    absent: tuple[str, ...] = ()  # concepts the documents never mention (then no text)
    related: tuple[str, ...] = ()  # sections near an absent concept, named but not cited


@dataclass
class Sentence:
    """A sentence of a retrieved passage, as a candidate for the answer: where it stands in its chunk
    (``start``..``end``), the rank of that chunk, and how well it fits the question."""

    chunk: Chunk
    rank: int
    start: int
    end: int
    text: str
    score: float = 0.0
    similarity: float = 0.0


def sentence_spans(chunk: Chunk) -> list[tuple[int, int]]:
    """Sentence offsets inside the source (not the chunk), trimmed of whitespace."""
    return [(chunk.start + s, chunk.start + e) for s, e in sentence_bounds(chunk.text)]


def _display(text: str) -> str:
    return " ".join(plain_text(text).split())


class Composer:
    """Builds extractive answers; caches sentence embeddings by chunk id."""

    def __init__(self, embed: Embed = embed) -> None:
        self._embed = embed
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
            self._vectors[chunk.id] = self._embed([s.text for s in sentences])
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
        candidates = self._candidates(question_vec, question, ranked, style, max_chunks)
        if not candidates:
            return GroundedAnswer(text="", in_scope=False)
        chosen = _passage_run(candidates, _best(candidates), style)
        chosen.sort(key=lambda s: (s.rank, s.start))
        return self._render(chosen, question, max(s.similarity for s in candidates))

    def compose_parts(
        self, parts: list[tuple[np.ndarray, str, list[ScoredChunk]]], style: AnswerStyle, max_chunks: int = 3
    ) -> GroundedAnswer:
        """An answer quoting a passage for each part of a question ("how do X and Y work together?").

        Each part gets its share of the sentence budget (at least one, two when
        detailed) read in order from its best passage onwards; a passage two parts
        share is quoted once, in reading order.
        """
        per_part = max(1 if style.detail == "brief" else 2, style.max_sentences // len(parts))
        chosen: list[Sentence] = []
        weakest = 1.0
        for vector, question, ranked in parts:
            candidates = self._candidates(vector, question, ranked, style, max_chunks)
            if not candidates:
                return GroundedAnswer(text="", in_scope=False)
            weakest = min(weakest, max(s.similarity for s in candidates))
            picked = {(s.chunk.id, s.start) for s in chosen}
            run = _run(candidates, _best(candidates), per_part)
            chosen += [s for s in run if (s.chunk.id, s.start) not in picked]
        order = {chunk_id: i for i, chunk_id in enumerate(dict.fromkeys(s.chunk.id for s in chosen))}
        chosen.sort(key=lambda s: (order[s.chunk.id], s.start))
        return self._render(chosen, " ".join(question for _, question, _ in parts), weakest)

    def _candidates(
        self,
        question_vec: np.ndarray,
        question: str,
        ranked: list[ScoredChunk],
        style: AnswerStyle,
        max_chunks: int,
    ) -> list[Sentence]:
        """Every sentence of the top passages, scored by meaning, shared words and its passage's rank."""
        if not ranked:
            return []
        q_terms = content_terms(question)
        candidates: list[Sentence] = []
        top_dense = max(s.dense for s in ranked[:max_chunks])
        for rank, scored in enumerate(ranked[:max_chunks]):
            if rank and scored.dense < top_dense - 0.12:
                continue
            sentences, vectors = self._chunk_sentences(scored.chunk, rank)
            sims = vectors @ question_vec
            for sentence, sim in zip(sentences, sims, strict=True):
                if _shows_foreign_link(sentence, question):
                    continue
                overlap = len(q_terms & content_terms(sentence.text)) / max(1, len(q_terms))
                example = 0.08 if style.examples and EXAMPLE_CUE.search(sentence.text) else 0.0
                sentence.similarity = float(sim)
                sentence.score = float(sim) + 0.25 * overlap + 0.5 * (scored.dense - top_dense) + example
                candidates.append(sentence)
        return candidates

    def _render(self, chosen: list[Sentence], question: str, best_similarity: float) -> GroundedAnswer:
        keys = _citation_keys(chosen, question)
        numbers: dict[tuple[str, int], int] = {}
        spans: dict[tuple[str, int], list[Sentence]] = {}
        for sentence, key in zip(chosen, keys, strict=True):
            numbers.setdefault(key, len(numbers) + 1)
            spans.setdefault(key, []).append(sentence)
        citations = []
        for key in numbers:
            group = spans[key]
            chunk = group[0].chunk
            start, end = min(s.start for s in group), max(s.end for s in group)
            citations.append(chunk.cite(start, end))
        parts: list[str] = []
        for i, sentence in enumerate(chosen):
            parts.append(sentence.text)
            last_of_run = i + 1 == len(chosen) or keys[i + 1] != keys[i]
            if last_of_run:
                parts[-1] = f"{parts[-1]} [{numbers[keys[i]]}]"
        return GroundedAnswer(
            text=" ".join(parts),
            citations=tuple(citations),
            sentences=tuple(s.text for s in chosen),
            support=(1.0,) * len(chosen),
            best_similarity=best_similarity,
        )


def _shows_foreign_link(sentence: Sentence, question: str) -> bool:
    """Whether a sentence carries a link the user may not see (``knowledge.links``), as the answer shows it or
    as its citation quotes it: the quote keeps the Markdown that ``plain_text`` strips from the answer."""
    chunk = sentence.chunk
    raw = chunk.text[sentence.start - chunk.start : sentence.end - chunk.start]
    return bool(
        foreign_links(raw, question, chunk.source, chunk.owner)
        or foreign_links(sentence.text, question, chunk.source, chunk.owner)
    )


def _citation_keys(chosen: list[Sentence], question: str) -> list[tuple[str, int]]:
    """The citation each chosen sentence belongs to: one per passage, split where the text between two of its
    chosen sentences carries a link the user may not see, since a citation quotes its whole span."""
    keys: list[tuple[str, int]] = []
    # chunk id -> (its current citation, the end of its last chosen sentence)
    last: dict[str, tuple[int, int]] = {}
    for sentence in chosen:
        chunk = sentence.chunk
        segment, end = last.get(chunk.id, (0, sentence.start))
        gap = chunk.text[end - chunk.start : max(end, sentence.start) - chunk.start]
        if gap.strip() and foreign_links(gap, question, chunk.source, chunk.owner):
            segment += 1
        last[chunk.id] = (segment, sentence.end)
        keys.append((chunk.id, segment))
    return keys


def _best(candidates: list[Sentence]) -> Sentence:
    """The passage comes first (retrieval ranks passages well), then its best sentence;
    another passage wins only with a clearly better sentence."""
    best = max(candidates, key=lambda s: (s.rank == 0, s.score))
    rival = max(candidates, key=lambda s: s.score)
    return rival if rival.score > best.score + 0.15 else best


def _run(candidates: list[Sentence], best: Sentence, n: int) -> list[Sentence]:
    """``n`` sentences of the best sentence's passage, from the best one onwards (back if it ends)."""
    own = [s for s in candidates if s.chunk.id == best.chunk.id]
    start = max(0, min(own.index(best), len(own) - n))
    return own[start : start + n]


# A sentence that leans on the one before it ("This process is called attention.", "Then, we compare the
# results ..."): alone, a brief answer of it says nothing. Measured on 16 two-sentence brief answers to
# questions about the notes: 3 were such a sentence alone before this rule, and each now comes with the
# sentence before it, or, when that is in another passage, the one after.
REFERS_BACK = re.compile(
    r"^(?:this|these|that|those|it|its|they|their|such|therefore|thus|hence|so|however|but|also|then|otherwise|"
    r"instead|on the other hand|in contrast|as a result|for this reason)\b",
    re.I,
)


def _passage_run(candidates: list[Sentence], best: Sentence, style: AnswerStyle) -> list[Sentence]:
    """The answer's sentences: a run of the best passage around its best sentence, plus a strong sentence elsewhere.

    Reading a passage in order keeps its explanation whole (start, compare with
    a loss, backpropagate), where cherry-picked sentences lose the thread.
    """
    budget = max(1, style.max_sentences)
    own = [s for s in candidates if s.chunk.id == best.chunk.id]
    at = own.index(best)
    if style.detail == "brief" and REFERS_BACK.match(best.text):
        standalone = [s for s in own if not REFERS_BACK.match(s.text)]
        if budget > 1 and at and own[at - 1] in standalone:
            return [own[at - 1], best]  # what "this process" is, then its name
        if budget > 1 and at + 1 < len(own):
            return [best, own[at + 1]]  # what it refers to is in another passage: say what it does instead
        fits = [s for s in standalone if s.score >= best.score - 0.15]
        if budget == 1 and fits:
            return [max(fits, key=lambda s: s.score)]
    if style.detail == "brief":
        neighbours = [
            s for s in own[max(0, at - 1) : at + 2] if s is not best and s.score >= best.score - 0.15
        ]
        return [best, *sorted(neighbours, key=lambda s: -s.score)[: budget - 1]]
    length = min(len(own), max(1, budget - 1))
    # One sentence of lead-in, then onwards; a one-sentence run is the best sentence itself.
    lead = 1 if length > 1 else 0
    start = max(0, min(at - lead, len(own) - length))
    chosen = own[start : start + length]
    others = sorted((s for s in candidates if s.chunk.id != best.chunk.id), key=lambda s: -s.score)
    chosen += [s for s in others if s.score >= best.score - 0.1][: budget - len(chosen)]
    return chosen


MARKER = re.compile(r"\s*\[(\d+)\]")


def answer_sentences(text: str) -> list[str]:
    """The sentences of a composed answer, as it was built: its ``[n]`` citation markers are not sentences.

    The style learner counts these to know how long the answer it judges was.
    """
    return split_sentences(MARKER.sub("", text))


def support(sentence: str, passages: list[str], embed: Embed = embed) -> float:
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


def guard(text: str, citations: list[Citation], embed: Embed = embed) -> tuple[str, list[float], list[str]]:
    """Keep only sentences the cited passages support; return kept text, scores and dropped sentences."""
    passages = [c.quote for c in citations]
    kept: list[str] = []
    scores: list[float] = []
    dropped: list[str] = []
    for sentence in split_sentences(text):
        score = support(sentence, passages, embed)
        if score >= 1.0:
            kept.append(sentence)
            scores.append(score)
        else:
            dropped.append(sentence)
    return " ".join(kept), scores, dropped
