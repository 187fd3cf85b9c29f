"""The intent router: what a message wants, decided by a learned model when the chat model cannot.

Measured here: SmolLM2-135M picked the right tool for 1 of 8 requests, so intents come from a
classifier trained on labelled phrases (``agent/intent_model.py``): every tool's examples from the
registry plus the conversational intents. Each user's routing corrections (a thumbs-down that
names the wanted tool, a picked choice) are learned online: the phrase itself is remembered, and
the user's own model is refit with it, so neighbouring phrasings move too.

A decision is one of: tool calls (with arguments read off the message by the tool's extractor),
a direct reply (small talk, capabilities), or a clarifying question with choices when the two
most likely intents are too close to call.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from agent.conversational import CONVERSATIONAL, ConversationalIntent
from agent.intent_model import IntentModel, LabelledPhrase, mask_payload
from agent.names import clean_text
from agent.types import Choice
from knowledge.manner import read_manner
from tools.registry import ToolDeclaration

FALLBACK = "search_notes"
CLARIFY = "clarify"

# The thresholds below were read off bench/bench_intents.py over the registry's phrases (5-fold
# cross-validation) and the held-out conversation set; each says what it separates.
# Below this the model is guessing, and the notes decide (they answer, or say plainly that they
# cannot). In 5-fold cross-validation 20% of the wrong decisions scored below 0.3, and 1.4% of the
# right ones.
GUESSING_BELOW = 0.3
# Rasa's FallbackClassifier uses 0.1 as its ambiguity margin. Measured by 5-fold cross-validation of
# the registry's phrases (python -m bench.bench_intents --grid): a margin of 0.15 catches 38% of the
# wrong decisions while asking about 11% of the right ones (0.1: 24% and 8%; 0.2: 44% and 13%). A
# question costs the user a click, a wrong demo costs them seconds and a confusing answer.
AMBIGUITY_MARGIN = 0.15
# A learned phrase decides a message that means the same thing: MiniLM puts paraphrases of one
# request at 0.8-0.95 and different requests on the same topic below 0.7.
LEARNED_MATCH = 0.8
# A correction counts as this many seed phrases when the user's model is refit: one correction must
# move its neighbours, and 5 did so without pulling unrelated phrases of the routing set along.
LEARNED_WEIGHT = 5.0
# A second tool in one message ("look gpt2 up on the Hub and compare it with my notes") is called
# only when a clause of its own wants it this clearly, and the whole message gives it at least
# SECOND_INTENT_FLOOR (the routing set's single-intent messages leave every other tool below 0.05).
CLAUSE_CONFIDENCE = 0.6
SECOND_INTENT_FLOOR = 0.05
# A complaint ("no, I wanted the attention picture") names a tool when that tool holds this share of
# the probability the tools get: a tool the complaint does not name never teaches the router.
COMPLAINT_SHARE = 0.6
LONGEST_CLARIFIED = 1000  # characters; a longer message is a document, not a two-way question
CLAUSE_SPLIT = re.compile(r"\s*(?:[;,]\s*)?\b(?:and then|and also|and|then|also)\b\s*|\s*;\s*", re.I)


@dataclass(frozen=True)
class Decision:
    """What the router decided for one message, with the probabilities behind it."""

    intent: str
    probability: float
    ranked: tuple[tuple[str, float], ...]
    calls: tuple[tuple[str, dict[str, Any]], ...] = ()
    reply: str = ""
    choices: tuple[Choice, ...] = ()

    @property
    def tool(self) -> str | None:
        return self.calls[0][0] if self.calls else None


@dataclass
class _Learned:
    texts: list[str] = field(default_factory=list)
    intents: list[str] = field(default_factory=list)
    vectors: np.ndarray | None = None


class IntentRouter:
    """Decides intents; ``learn`` adds a phrase for one user (or for everyone, as ``global_user``).

    Learned phrases live in memory only: the feedback store is their durable home and replays them
    into a new router at start-up, and ``sync_learned`` brings in what other replicas stored.
    """

    def __init__(
        self,
        embed: Callable[[list[str]], np.ndarray],
        tools: Sequence[ToolDeclaration],
        conversational: Sequence[ConversationalIntent] = CONVERSATIONAL,
        global_user: str = "*",
        cache: Path | None = None,
    ) -> None:
        self._embed = embed
        self._tools = {t.name: t for t in tools}
        self._talk = {c.name: c for c in conversational}
        self._global_user = global_user
        self._seeds = [LabelledPhrase(e.text, t.name) for t in tools for e in t.examples] + [
            LabelledPhrase(text, c.name) for c in conversational for text in c.examples
        ]
        self._lock = threading.Lock()
        self._learned: dict[str, _Learned] = {}
        self._models: dict[str, IntentModel] = {"": IntentModel.cached(embed, self._seeds, cache)}

    @property
    def intents(self) -> list[str]:
        return [*self._tools, *self._talk]

    def family(self, intent: str) -> str:
        """The intent callers see: a tool's name, or a conversational intent's family."""
        return self._talk[intent].family if intent in self._talk else intent

    # --- learning ---------------------------------------------------------------------------------
    def learn(self, text: str, intent: str, user: str) -> None:
        """Remember that, for this user, a message like ``text`` wants ``intent``."""
        if intent not in self._tools and intent not in self._talk:
            raise ValueError(f"unknown intent {intent!r}; known: {', '.join(self.intents)}")
        with self._lock:
            learned = self._learned.setdefault(user, _Learned())
            learned.texts.append(text)
            learned.intents.append(intent)
            learned.vectors = None
            self._drop_models(user)

    def forget_user(self, user: str) -> None:
        with self._lock:
            self._learned.pop(user, None)
            self._drop_models(user)

    def sync_learned(self, user: str, lessons: Sequence[tuple[str, str]]) -> bool:
        """Make ``user``'s learned phrases exactly ``lessons`` (text, intent), as the feedback store holds
        them; True when that changed anything. Another replica may have taught or reset this user.

        Compared as a multiset: this router learned in the order events came, the store lists them by
        kind, and a model does not depend on the order of its phrases.
        """
        known = [(t, i) for t, i in lessons if i in self._tools or i in self._talk]
        with self._lock:
            current = self._learned.get(user)
            have = list(zip(current.texts, current.intents, strict=True)) if current else []
            if Counter(have) == Counter(known):
                return False
            if known:
                self._learned[user] = _Learned([t for t, _ in known], [i for _, i in known])
            else:
                self._learned.pop(user, None)
            self._drop_models(user)
        return True

    def _drop_models(self, user: str) -> None:
        if user == self._global_user:  # promoted phrases are in every user's model
            self._models = {"": self._models[""]}
        else:
            self._models.pop(user, None)

    def _model_for(self, user: str) -> IntentModel:
        owners = [who for who in (self._global_user, user) if who in self._learned]
        key = user if user in self._learned else (self._global_user if owners else "")
        with self._lock:
            model = self._models.get(key)
        if model is None:
            extra = [
                LabelledPhrase(text, intent, LEARNED_WEIGHT)
                for who in owners
                for text, intent in zip(self._learned[who].texts, self._learned[who].intents, strict=True)
            ]
            model = self._models[""].with_phrases(extra)
            with self._lock:
                self._models[key] = model
        return model

    def _learned_match(self, vector: np.ndarray, user: str) -> str | None:
        best, intent = LEARNED_MATCH, None
        for who in (user, self._global_user):
            learned = self._learned.get(who)
            if learned is None:
                continue
            if learned.vectors is None:
                learned.vectors = self._embed([mask_payload(t) for t in learned.texts])
            sims = learned.vectors @ vector
            top = int(np.argmax(sims))
            if sims[top] >= best:
                best, intent = float(sims[top]), learned.intents[top]
        return intent

    # --- deciding ---------------------------------------------------------------------------------
    def probabilities(self, text: str, user: str = "default") -> dict[str, float]:
        return self._model_for(user).probabilities(text)

    def classify(self, text: str, user: str = "default") -> str | None:
        """The tool a free-text remark names ("I wanted the attention picture"), if one is clear."""
        tools = {
            k: v for k, v in self.probabilities(text, user).items() if k in self._tools and k != FALLBACK
        }
        tool, best = max(tools.items(), key=lambda item: item[1])
        return tool if best >= COMPLAINT_SHARE * sum(tools.values()) else None

    def decide(
        self, text: str, user: str = "default", allowed: Sequence[str] | None = None, must_call: bool = False
    ) -> Decision:
        """Tool calls, a reply, or a clarifying question for ``text``.

        ``allowed`` limits the tools (those bound to the model); with ``must_call`` a tool is called
        whatever the message says. An empty decision (no calls, no reply) means none of the allowed
        tools is known here.
        """
        text = clean_text(text)  # a lone surrogate would stop the tokenizer; U+FFFD does not
        # "say it simply: what is a neuron?" asks for an explanation, not speech: the model reads what is
        # asked, the chosen tool's extractor the whole message (it may take "briefly" as its style)
        asked = read_manner(text).question
        tools = [t for t in self._tools if allowed is None or t in allowed]
        candidates = tools + ([] if must_call else list(self._talk))
        if not tools:
            return Decision("", 0.0, ())
        model = self._model_for(user)
        vector = model.vector(asked)
        learned = self._learned_match(vector, user)
        if learned in candidates:
            return self._decided(learned, 1.0, ((learned, 1.0),), text)
        scores = model.probabilities(asked, vector)
        ranked = tuple(sorted(((k, scores[k]) for k in candidates), key=lambda item: -item[1]))
        (best, p_best), runner = ranked[0], ranked[1] if len(ranked) > 1 else ("", 0.0)
        if p_best < GUESSING_BELOW and FALLBACK in tools:
            return self._decided(FALLBACK, p_best, ranked, text)
        tools_in_order = self._clause_tools(asked, best, ranked, model) if best in self._tools else []
        if tools_in_order:
            return self._decided(best, p_best, ranked, text, tools_in_order)
        if p_best - runner[1] < AMBIGUITY_MARGIN and self._worth_asking(best, runner[0], text):
            return self._clarify(text, ranked)
        return self._decided(best, p_best, ranked, text)

    def _worth_asking(self, first: str, second: str, text: str) -> bool:
        """Ask only between things that do different work; two ways of chatting need no question."""
        if not second or len(text) > LONGEST_CLARIFIED:
            return False
        return self.family(first) != self.family(second) and not (
            first in self._talk and second in self._talk
        )

    def _decided(
        self,
        intent: str,
        probability: float,
        ranked: tuple[tuple[str, float], ...],
        text: str,
        tools_in_order: Sequence[str] = (),
    ) -> Decision:
        family = self.family(intent)
        if intent in self._talk:
            reply = self._talk[intent].reply(list(self._tools.values()))
            return Decision(family, probability, ranked, reply=reply)
        calls = tuple((name, self._tools[name].extract(text)) for name in (tools_in_order or [intent]))
        return Decision(family, probability, ranked, calls=calls)

    def _clause_tools(
        self, text: str, first: str, ranked: tuple[tuple[str, float], ...], model: IntentModel
    ) -> list[str]:
        """The tools of a message whose clauses ask for different ones, in the order they are asked for
        ("look gpt2 up on the Hub and compare it with my notes"); empty for a message of one intent."""
        runner_ups = {name for name, p in ranked[1:4] if name in self._tools and p >= SECOND_INTENT_FLOOR}
        if not runner_ups:
            return []
        clauses = [c for c in CLAUSE_SPLIT.split(mask_payload(text)) if len(c.split()) >= 3]
        if len(clauses) < 2:
            return []
        wanted: list[str] = []
        for name, p in model.best_of_each(clauses):
            if name in runner_ups | {first} and p >= CLAUSE_CONFIDENCE and name not in wanted:
                wanted.append(name)
        if len(wanted) < 2 or first not in wanted:
            return []
        return wanted

    def _clarify(self, text: str, ranked: tuple[tuple[str, float], ...]) -> Decision:
        options = [name for name, _ in ranked[:2]]
        choices = tuple(
            Choice(label=self._offer(name), message=f"{self._offer(name)}: {text.strip()}", intent=name)
            for name in options
        )
        question = (
            f"I can do this two ways. Do you want me to {choices[0].label[0].lower()}{choices[0].label[1:]} "
            f"or {choices[1].label[0].lower()}{choices[1].label[1:]}? Pick one below."
        )
        return Decision(CLARIFY, ranked[0][1], ranked, reply=question, choices=choices)

    def _offer(self, intent: str) -> str:
        if intent in self._tools:
            return self._tools[intent].offer
        return "Just chat" if self.family(intent) != "capabilities" else "Show what you can do"
