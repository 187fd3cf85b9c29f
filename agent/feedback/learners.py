"""The online learners behind feedback: style, retrieval ranking, routing, corrections.

Each learns from one event at a time and never retrains from scratch, which is
the point the study notes make about online learning: when a user's taste
drifts, a model updated per event follows at once, while a batch model refit on
all history is held back by everything it saw before.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, fields, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from agent.feedback.records import Correction
from knowledge.answer import BRIEF_SENTENCES, DETAILED_SENTENCES, AnswerStyle, Detail, answer_sentences
from knowledge.manner import length_asked

if TYPE_CHECKING:
    from agent.feedback.store import FeedbackStore
    from knowledge.types import ScoredChunk

Embed = Callable[[list[str]], np.ndarray]

MAX_SENTENCES = 10  # the longest a "more detail" comment can grow a user's detailed answers

# ---------------------------------------------------------------------------------------
# Comment cues: what a comment says about length and examples.
# ---------------------------------------------------------------------------------------

_NO_EXAMPLES = re.compile(
    r"\b(no|without|skip|drop|fewer|less|too many|stop (giving|adding))\b[^.!?]{0,15}\bexamples?\b",
    re.IGNORECASE,
)
_EXAMPLES = re.compile(
    r"\bexamples?\b|\bfor instance\b|\billustrat\w*|\bconcrete case\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Cues:
    """What a comment asks for: length -1 shorter, +1 longer, 0 silent; examples True/False/None."""

    length: int = 0
    examples: bool | None = None


def comment_cues(comment: str | None) -> Cues:
    if not comment:
        return Cues()
    length = {"brief": -1, "detailed": 1}.get(length_asked(comment) or "", 0)  # the words manner reads too
    examples: bool | None = None
    if _NO_EXAMPLES.search(comment):
        examples = False
    elif _EXAMPLES.search(comment):
        examples = True
    return Cues(length, examples)


# ---------------------------------------------------------------------------------------
# Answer style
# ---------------------------------------------------------------------------------------


@dataclass
class StyleState:
    """One user's style knowledge, kept in the store as JSON (``to_json``) after every event.

    ``log_odds`` is all the river model knows: a ``LogisticRegression`` with no features learns only
    its intercept, so a model rebuilt from it answers exactly as the one that learned (checked in
    ``tests/test_feedback_learners.py``). None until the user's first event.
    """

    log_odds: float | None = None
    brief_sentences: int = BRIEF_SENTENCES
    detailed_sentences: int = DETAILED_SENTENCES
    examples: bool = False
    events: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StyleState:
        """The state ``to_json`` wrote; keys it does not know (from a newer version) are left out."""
        names = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})


class StyleLearner:
    """Per-user online logistic model of "wants detailed", plus comment cues as strong labels.

    Every event becomes a label: a liked detailed answer or a disliked brief one
    says "detailed" (1), the converse says "brief" (0); a comment cue says so
    outright and is learned with a large weight. The model has only an
    intercept, so it is an online estimate of the user's log-odds. Its log-odds
    are kept within +-``bound``: one stray thumb cannot flip a settled
    preference, two contrary events always do, whatever came before. That
    bound is what makes the learner follow a drift quickly.
    """

    name = "style"

    def __init__(
        self,
        default_detail: Detail = "detailed",
        lr: float = 1.0,
        bound: float = 1.0,
        cue_weight: float = 4.0,
    ):
        if default_detail not in ("brief", "detailed"):
            raise ValueError(f"default_style must be 'brief' or 'detailed', got {default_detail!r}")
        self.default_detail = default_detail
        self.lr = lr
        self.bound = bound
        self.cue_weight = cue_weight

    @property
    def prior(self) -> float:
        """Log-odds of "wants detailed" before any feedback: half the bound, towards the default."""
        return 0.5 * self.bound if self.default_detail == "detailed" else -0.5 * self.bound

    def new_state(self) -> StyleState:
        # No model yet: river is imported on a user's first event, so users who never
        # give feedback (and every cold start) skip its second of imports.
        return StyleState()

    def _model(self, state: StyleState) -> Any:
        """The river model as it stands after the state's events (its intercept is the state's log-odds)."""
        from river import linear_model, optim

        start = self.prior if state.log_odds is None else state.log_odds
        return linear_model.LogisticRegression(
            optimizer=optim.SGD(self.lr), intercept_init=start, intercept_lr=self.lr
        )

    def p_detailed(self, state: StyleState) -> float:
        log_odds = self.prior if state.log_odds is None else state.log_odds
        return 1.0 / (1.0 + math.exp(-log_odds))  # what the model's predict_proba_one({}) gives

    def style(self, state: StyleState) -> AnswerStyle:
        if self.p_detailed(state) > 0.5:
            return AnswerStyle("detailed", state.detailed_sentences, state.examples)
        return AnswerStyle("brief", state.brief_sentences, state.examples)

    def update(
        self,
        state: StyleState,
        served: AnswerStyle,
        score: int,
        comment: str | None = None,
        reply_text: str = "",
    ) -> StyleState:
        cues = comment_cues(comment)
        written = len(answer_sentences(reply_text))  # counted as the composer built it
        served_sentences = min(served.max_sentences, written or served.max_sentences)
        if cues.length < 0:
            # Shorter, now: at most 60% of what was just served, and never longer than brief.
            target = max(1, min(state.brief_sentences, math.floor(0.6 * served_sentences)))
            state.brief_sentences = target
            self._learn(state, False, self.cue_weight)
        elif cues.length > 0:
            if served.detail == "detailed":
                state.detailed_sentences = min(
                    MAX_SENTENCES, max(state.detailed_sentences, math.ceil(1.6 * served_sentences))
                )
            self._learn(state, True, self.cue_weight)
        else:
            # A bare thumb: liked says "keep this", disliked says "the other one".
            wants_detailed = (served.detail == "detailed") == (score > 0)
            self._learn(state, wants_detailed, 1.0)
        if cues.examples is not None:
            state.examples = cues.examples
        state.events += 1
        return state

    def _learn(self, state: StyleState, wants_detailed: bool, weight: float) -> None:
        model = self._model(state)
        model.learn_one({}, wants_detailed, w=weight)
        state.log_odds = max(-self.bound, min(self.bound, float(model.intercept)))


# ---------------------------------------------------------------------------------------
# Retrieval ranking
# ---------------------------------------------------------------------------------------


def to_blob(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_blob(blob: bytes | None) -> np.ndarray | None:
    return None if blob is None else np.frombuffer(blob, dtype=np.float32)


class RetrievalPreferences:
    """Passages cited in liked answers rise, those in disliked answers fall, for similar questions.

    The adjustment of a chunk is the sum, over feedback that cited it, of
    sign * weight(similarity of the new question to the judged one), squashed
    with tanh and scaled by the spread of the candidates' scores, so it works
    whatever scale the retriever's fused scores use.
    """

    def __init__(
        self, store: FeedbackStore, embed: Embed, strength: float = 0.75, min_similarity: float = 0.5
    ):
        self.store = store
        self.embed = embed
        self.strength = strength
        self.min_similarity = min_similarity

    def record(
        self, event_id: int, user: str, question_vec: np.ndarray, chunk_ids: Sequence[str], score: int
    ) -> None:
        if chunk_ids:
            self.store.add_chunk_prefs(
                event_id, user, list(chunk_ids), 1 if score > 0 else -1, to_blob(question_vec)
            )

    def adjustments(self, user: str, question_vec: np.ndarray) -> dict[str, float]:
        """chunk id -> summed signed weight for this user (own and promoted feedback)."""
        totals: dict[str, float] = {}
        span = 1.0 - self.min_similarity
        for chunk_id, sign, blob, _promoted in self.store.chunk_prefs(user):
            vec = from_blob(blob)
            if vec is None or vec.shape != question_vec.shape:
                continue
            similarity = float(vec @ question_vec)
            if similarity >= self.min_similarity:
                totals[chunk_id] = (
                    totals.get(chunk_id, 0.0) + sign * (similarity - self.min_similarity) / span
                )
        return totals

    def rerank(self, user: str, question: str, candidates: Sequence[ScoredChunk]) -> list[ScoredChunk]:
        if not candidates:
            return []
        totals = self.adjustments(user, self.embed([question])[0])
        if not totals:
            return list(candidates)
        scores = [c.score for c in candidates]
        scale = (max(scores) - min(scores)) or abs(max(scores)) or 1.0
        adjusted = [
            replace(c, score=c.score + self.strength * scale * math.tanh(totals.get(c.chunk.id, 0.0)))
            for c in candidates
        ]
        return sorted(adjusted, key=lambda c: c.score, reverse=True)


# ---------------------------------------------------------------------------------------
# Routing corrections
# ---------------------------------------------------------------------------------------

# A comment must say a tool was wrong before anything is learned: "no, I wanted ...".
_WRONG_TOOL = re.compile(
    r"\bwanted\b|\bi meant\b|\binstead\b|\bwrong (tool|one|demo|thing|picture)\b|\bi asked for\b|"
    r"\bshould have (used|shown|run|drawn|given)\b|\bnot (the|that|a) (tool|demo|one)\b|\brather\b",
    re.IGNORECASE,
)
# A bare "no, ..." counts only when it also names a tool by keyword.
_BARE_NO = re.compile(r"^\s*no\b", re.IGNORECASE)


class RouteCorrector:
    """Finds the tool a user says they wanted, so the router can learn it.

    Careful on purpose: a false route teaches the router something the user
    never said. The injected classifier (the router's intent model) is asked only
    when the comment says a tool was wrong and carries no style cue ("too long" is
    about length, not routing); a tool named outright ("generate_image", "hub
    lookup") is the fallback.
    """

    def __init__(
        self, tool_names: Sequence[str] = (), classify_tool: Callable[[str], str | None] | None = None
    ):
        self.tool_names = list(tool_names)
        self.classify_tool = classify_tool

    def wanted_tool(self, comment: str | None, ran: Sequence[str]) -> str | None:
        if not comment:
            return None
        strong = bool(_WRONG_TOOL.search(comment))
        if not strong and not _BARE_NO.search(comment):
            return None
        lowered = comment.lower()
        named = [t for t in self.tool_names if t in lowered or t.replace("_", " ") in lowered]
        candidates: list[str] = []
        if strong and self.classify_tool is not None and comment_cues(comment) == Cues():
            guess = self.classify_tool(comment)
            if guess:
                candidates.append(guess)
        for tool in candidates + named:
            if tool not in ran:
                return tool
        return None


# ---------------------------------------------------------------------------------------
# Corrections memory
# ---------------------------------------------------------------------------------------

# Calibrated with all-MiniLM-L6-v2 (see docs/feedback.md): paraphrases that share the key term
# score 0.77-0.94, neighbouring topics ("self-attention" vs "multi-head attention") up to 0.65.
# Precision over recall: a correction shown on the wrong topic is worse than one not shown.
CORRECTION_THRESHOLD = 0.7


class CorrectionsMemory:
    """Corrections a user gave, found again for similar questions."""

    def __init__(self, store: FeedbackStore, embed: Embed, threshold: float = CORRECTION_THRESHOLD):
        self.store = store
        self.embed = embed
        self.threshold = threshold

    def corrections_for(self, user: str, question: str, limit: int = 3) -> list[Correction]:
        stored = self.store.corrections(user, include_promoted=True)
        if not stored:
            return []
        qvec = self.embed([question])[0]
        found: list[Correction] = []
        for correction, blob in stored:
            vec = from_blob(blob)
            if vec is None or vec.shape != qvec.shape:
                continue
            similarity = float(vec @ qvec)
            if similarity >= self.threshold:
                found.append(replace(correction, similarity=round(similarity, 4)))
        found.sort(key=lambda c: c.similarity, reverse=True)
        return found[:limit]
