"""The embedding router: turns a message into tool calls when the model cannot.

Measured here: SmolLM2-135M picked the right tool for 1 of 8 requests, a
nearest-neighbour router over MiniLM embeddings 12 of 14. So the router is a
k-nearest-neighbour classifier over example phrases (seeded, then grown online
from feedback, per user), nudged by cue words, with ``search_notes`` as the
fallback when it is unsure.
"""

from __future__ import annotations

import contextvars
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agent.arguments import extract
from agent.routing_examples import SEED_EXAMPLES

FALLBACK = "search_notes"
MIN_CONFIDENCE = 0.35
current_user: contextvars.ContextVar[str] = contextvars.ContextVar("current_user", default="default")

# Cue words that say which tool a message wants, whatever the embedding thinks.
CUES: dict[str, re.Pattern[str]] = {
    "attention_demo": re.compile(
        r"attention (?:weights?|map|heatmap|picture|pattern|demo|head)|attend(?:s|ing)? to|visuali[sz]e (?:self-)?attention"
        r"|show (?:me )?(?:the )?(?:self-)?attention|heads? \d|all (?:the )?heads",
        re.I,
    ),
    "positional_encoding_demo": re.compile(
        r"(?:show|plot|draw|visuali[sz]e|demo\w*|run|compare)\b.*\bpositi(?:on|onal)"
        r"|positional encoding (?:demo|heatmap|plot)|position embeddings? of",
        re.I,
    ),
    "training_demo": re.compile(
        r"\btrain(?:ing)? (?:a|an|the)? ?(?:small |tiny )?(?:neural )?(?:net|network|mlp|model)\b.*\b(?:on|for)\b"
        r"|training demo|\bxor\b|\bmoons\b|\bcircles\b|loss curve|decision boundary|\bfit a\b",
        re.I,
    ),
    "online_learning_demo": re.compile(
        r"online (?:learning )?(?:vs\.?|versus|and|against) batch|online learning demo|simulat\w* .*drift"
        r"|concept drift|preferences? (?:that )?drift|\bdrift\b.*\b(?:demo|simulat|show)",
        re.I,
    ),
    "hub_lookup": re.compile(
        r"hugging ?face|\bthe hub\b|\bon hub\b|\bdownloads?\b|\blikes\b|\blicen[sc]e\b|model info|model card",
        re.I,
    ),
    "generate_text": re.compile(
        r"\b(?:write|compose|continue|generate)\b (?:me )?(?:a |an |some )?(?:short )?"
        r"(?:poem|story|haiku|text|sentence|paragraph|limerick|joke|tweet|essay)|generate text|continue this",
        re.I,
    ),
    "generate_image": re.compile(
        r"\b(?:draw|paint|sketch)\b|(?:generate|make|create|render) (?:me )?(?:an? )?(?:image|picture|photo|illustration|drawing)"
        r"|stable diffusion (?:of|to draw|to make)|image of|picture of",
        re.I,
    ),
    "generate_audio": re.compile(
        r"\bsay\b.*(?:aloud|out loud)|read (?:this |it )?(?:aloud|out loud)|text[- ]to[- ]speech (?:for|of)|\bspeak\b"
        r"|(?:generate|make|create) (?:me )?(?:some )?(?:speech|audio|a voice|voice|sound)|voice clip|into audio|out loud",
        re.I,
    ),
}
QUESTION_ABOUT = re.compile(
    r"^\s*(?:what|why|how|who|when|where|which|is|are|does|do|can|explain|tell me about|walk me through|describe)\b",
    re.I,
)
DEMOS = ("attention_demo", "positional_encoding_demo", "training_demo", "online_learning_demo")
# A question ("what is the difference between online and batch learning?") wants the notes unless it asks
# to see something run or names a sentence to run it on.
DEMO_SIGNAL = re.compile(
    r"\b(?:show|run|plot|draw|visuali[sz]e|simulate|demo\w*|train (?:a|an|the)|heatmap|picture)\b|[\"“'‘][^\"”'’]{3,}[\"”'’]",
    re.I,
)
ABOUT_MY_NOTES = re.compile(
    r"\b(?:did I|have I|I (?:searched|explored|looked at|wrote|noted)|my notes|in the notes|according to (?:my|the) notes)\b",
    re.I,
)
NOTES_TOO = re.compile(r"\b(?:the )?notes?\b|what (?:do|does) (?:my|the) notes", re.I)


@dataclass
class Route:
    """The router's decision: tool calls to make, and how sure it is."""

    calls: list[tuple[str, dict[str, Any]]]
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)

    @property
    def tool(self) -> str:
        return self.calls[0][0]


class EmbeddingRouter:
    """k-NN over example phrases; ``learn`` adds a phrase for one user (or for everyone, as ``global_user``).

    The router keeps learned phrases in memory only: the feedback store is their
    durable home and replays them into a new router at start-up.
    """

    def __init__(self, embed: Callable[[list[str]], np.ndarray], global_user: str = "*") -> None:
        self._embed = embed
        self._global_user = global_user
        self._lock = threading.Lock()
        self._tools = list(SEED_EXAMPLES)
        phrases = [(tool, p) for tool, ps in SEED_EXAMPLES.items() for p in ps]
        self._seed_labels = [t for t, _ in phrases]
        self._seed_vectors = embed([p for _, p in phrases])
        self._learned: dict[str, list[tuple[str, str]]] = {}
        self._learned_vectors: dict[str, np.ndarray] = {}

    def learn(self, text: str, tool: str, user: str) -> None:
        """Remember that, for this user, a message like ``text`` wants ``tool``."""
        if tool not in self._tools:
            raise ValueError(f"unknown tool {tool!r}; known: {', '.join(self._tools)}")
        with self._lock:
            self._learned.setdefault(user, []).append((tool, text))
            self._learned_vectors.pop(user, None)

    def forget_user(self, user: str) -> None:
        with self._lock:
            self._learned.pop(user, None)
            self._learned_vectors.pop(user, None)

    def _user_examples(self, user: str) -> tuple[list[str], np.ndarray]:
        pairs = self._learned.get(user, [])
        if not pairs:
            return [], np.zeros((0, self._seed_vectors.shape[1]), dtype=np.float32)
        if user not in self._learned_vectors:
            self._learned_vectors[user] = self._embed([p for _, p in pairs])
        return [t for t, _ in pairs], self._learned_vectors[user]

    def scores(self, text: str, user: str = "default", vector: np.ndarray | None = None) -> dict[str, float]:
        """Per-tool score: mean of the two nearest examples, a learned example near the message wins outright."""
        vector = self._embed([text])[0] if vector is None else vector
        sims = self._seed_vectors @ vector
        out: dict[str, float] = {}
        for tool in self._tools:
            tool_sims = np.sort(sims[[i for i, t in enumerate(self._seed_labels) if t == tool]])[::-1]
            out[tool] = float(tool_sims[:2].mean())
        for who in {user, self._global_user}:
            labels, vectors = self._user_examples(who)
            for tool, sim in zip(labels, vectors @ vector, strict=True):
                if sim >= 0.6:
                    out[tool] = max(out[tool], float(sim) + 0.5)
        is_question = QUESTION_ABOUT.search(text) is not None
        asks_about = is_question and not DEMO_SIGNAL.search(text)
        cued = {tool for tool, cue in CUES.items() if cue.search(text)}
        for tool in cued:
            if not (asks_about and tool in DEMOS):
                out[tool] += 0.35
        if is_question and not cued:
            out[FALLBACK] += 0.3
        if ABOUT_MY_NOTES.search(text):
            out[FALLBACK] += 1.0
        return out

    def classify(self, text: str, user: str = "default") -> str | None:
        """The tool a free-text remark names ("I wanted the attention picture"), if any is clear."""
        scores = self.scores(text, user)
        scores.pop(FALLBACK)
        tool, best = max(scores.items(), key=lambda item: item[1])
        return tool if best >= 0.55 else None

    def route(self, text: str, user: str = "default", allowed: list[str] | None = None) -> Route:
        if (
            len(text.split()) <= 2
            and not DEMO_SIGNAL.search(text)
            and (allowed is None or FALLBACK in allowed)
        ):
            return Route(
                [(FALLBACK, extract(FALLBACK, text))], 1.0, {}
            )  # a word or two is a topic to look up
        scores = self.scores(text, user)
        if allowed is not None:
            scores = {t: s for t, s in scores.items() if t in allowed}
        if not scores:
            return Route([], 0.0, {})
        ordered = sorted(scores.items(), key=lambda item: -item[1])
        tool, best = ordered[0]
        if best < MIN_CONFIDENCE and FALLBACK in scores:
            tool = FALLBACK
        calls = [(tool, extract(tool, text))]
        if tool != FALLBACK and FALLBACK in scores and NOTES_TOO.search(text) and tool == "hub_lookup":
            subject = " ".join(calls[0][1].get("compare", [])) or calls[0][1].get("model_id", "")
            calls.append(
                (FALLBACK, {"query": f"What do the notes say about {subject}?" if subject else text})
            )
        margin = best - (ordered[1][1] if len(ordered) > 1 else 0.0)
        return Route(calls, float(min(1.0, max(0.0, 0.5 + margin))), scores)
