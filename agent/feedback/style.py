"""How an answer should be shaped for one user: the output of the style learner.

A plain frozen dataclass so the agent can put it in a prompt, store it with the
reply, and compare it in tests without knowing how it was learned.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

from knowledge.answer import BRIEF_SENTENCES, DETAILED_SENTENCES
from knowledge.answer import AnswerStyle as BaseAnswerStyle

Detail = Literal["brief", "detailed"]

MAX_SENTENCES = 10

_SENTENCE_END = re.compile(r"[.!?]+(?:\s+|$)")


@dataclass(frozen=True)
class AnswerStyle(BaseAnswerStyle):
    """The composer's AnswerStyle, with what the learners need to store and explain it."""

    @classmethod
    def default(cls, detail: Detail = "detailed") -> AnswerStyle:
        if detail not in ("brief", "detailed"):
            raise ValueError(f"detail must be 'brief' or 'detailed', got {detail!r}")
        return cls(detail, BRIEF_SENTENCES if detail == "brief" else DETAILED_SENTENCES, False)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_value(cls, value: Any) -> AnswerStyle:
        """Accept what callers store: an AnswerStyle, its JSON, a dict, or a bare detail word."""
        if isinstance(value, AnswerStyle):
            return value
        if isinstance(value, dict):
            return cls(
                detail="brief" if value.get("detail") == "brief" else "detailed",
                max_sentences=int(value.get("max_sentences", DETAILED_SENTENCES)),
                examples=bool(value.get("examples", False)),
            )
        text = str(value or "").strip()
        if text.startswith("{"):
            try:
                return cls.from_value(json.loads(text))
            except (ValueError, TypeError):
                pass
        return cls.default("brief" if text == "brief" else "detailed")

    def instruction(self) -> str:
        """A sentence the agent can put into its prompt."""
        words = "one sentence" if self.max_sentences == 1 else f"at most {self.max_sentences} sentences"
        text = f"Answer in {words}" + (
            ", briefly and to the point." if self.detail == "brief" else ", in detail."
        )
        if self.examples:
            text += " Include a short concrete example."
        return text


def count_sentences(text: str) -> int:
    """Sentences in an answer, by terminal punctuation; a fragment without one counts as one."""
    stripped = text.strip()
    if not stripped:
        return 0
    parts = [p for p in _SENTENCE_END.split(stripped) if p.strip()]
    return max(1, len(parts))


def count_words(text: str) -> int:
    return len(text.split())
