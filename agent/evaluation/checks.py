"""Checking one reply against a turn's expectations.

Each check returns a Failure saying what was expected and what the reply did,
so a report reader can see why a turn failed without rerunning it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from agent.evaluation.dialogues import Expect

__all__ = ["Failure", "check_reply", "choices_text", "says_not_covered", "word_count"]

# How a reply says that the notes do not answer the question. Kept broad on
# purpose: the check is about the meaning, not one exact sentence.
_NOT_COVERED = re.compile(
    r"not (?:covered|mentioned|discussed|addressed|in (?:the|your|my) (?:study )?notes)"
    r"|notes do(?:n't| not) (?:cover|say|mention|discuss|address|contain|answer)"
    r"|(?:nothing|no information|no passage|none) (?:in|from) (?:the|your) (?:study )?notes"
    r"|(?:could ?n[o']t|can ?n[o']t|did ?n[o']t) find (?:anything|this|that|it|an answer)"
    r"|outside (?:the scope of )?(?:the|your) (?:study )?notes",
    re.IGNORECASE,
)
_CITATION_MARK = re.compile(r"\[\d+\]")
_WORD = re.compile(r"\w")


@dataclass
class Failure:
    """One unmet expectation: the key, what it asked for, and what happened."""

    key: str
    expected: str
    actual: str

    def __str__(self) -> str:
        return f"{self.key}: expected {self.expected}; got {self.actual}"


def word_count(text: str) -> int:
    """Words a reader sees: citation markers like [1] are not words."""
    return sum(1 for token in _CITATION_MARK.sub(" ", text).split() if _WORD.search(token))


def says_not_covered(text: str) -> bool:
    return bool(_NOT_COVERED.search(text))


def choices_text(choices: Any) -> str:
    """The choices a reply offered as people read them: "1. Explain it from my notes; 2. ..."."""
    labels = [getattr(choice, "label", None) or str(choice) for choice in choices or []]
    return "; ".join(f"{number}. {label}" for number, label in enumerate(labels, 1)) or "no choices"


def check_reply(expect: Expect | None, reply: Any, seconds: float) -> list[Failure]:
    """Every expectation of ``expect`` that ``reply`` misses (duck-typed on agent.types.Reply)."""
    if expect is None:
        return []
    failures: list[Failure] = []
    text: str = reply.text or ""
    lowered = text.lower()
    called = [call.name for call in reply.tool_calls]
    called_text = ", ".join(called) or "no tool"
    sections = [citation.section for citation in reply.citations]
    sections_text = "; ".join(sections) or "no citations"

    def fail(key: str, expected: str, actual: str) -> None:
        failures.append(Failure(key, expected, actual))

    if expect.tool is not None:
        wanted = [expect.tool] if isinstance(expect.tool, str) else expect.tool
        if not set(wanted) & set(called):
            fail("tool", "a call to " + " or ".join(wanted), called_text)
    for name in expect.all_tools or []:
        if name not in called:
            fail("all_tools", f"a call to {name}", called_text)
    if expect.cites is not None:
        for wanted_section in [expect.cites] if isinstance(expect.cites, str) else expect.cites:
            if not any(wanted_section.lower() in section.lower() for section in sections):
                fail("cites", f"a citation of a section containing {wanted_section!r}", sections_text)
    if expect.no_citations and sections:
        fail("no_citations", "no citations", sections_text)
    if expect.contains_any and not any(word.lower() in lowered for word in expect.contains_any):
        fail("contains_any", "one of " + ", ".join(map(repr, expect.contains_any)), "none of them")
    for word in expect.contains_all or []:
        if word.lower() not in lowered:
            fail("contains_all", repr(word), "missing")
    for word in expect.not_contains or []:
        if word.lower() in lowered:
            fail("not_contains", f"no {word!r}", "present")
    if expect.artifact is not None:
        kinds = [artifact.kind for artifact in reply.artifacts]
        if expect.artifact not in kinds:
            fail("artifact", f"an artifact of kind {expect.artifact!r}", ", ".join(kinds) or "no artifacts")
    words = word_count(text)
    if expect.max_words is not None and words > expect.max_words:
        fail("max_words", f"at most {expect.max_words} words", f"{words} words")
    if expect.min_words is not None and words < expect.min_words:
        fail("min_words", f"at least {expect.min_words} words", f"{words} words")
    if expect.max_seconds is not None and seconds > expect.max_seconds:
        fail("max_seconds", f"at most {expect.max_seconds:g} s", f"{seconds:.2f} s")
    if expect.says_not_covered is not None and says_not_covered(text) != expect.says_not_covered:
        if expect.says_not_covered:
            fail("says_not_covered", "a reply saying the notes do not cover this", "an answer")
        else:
            fail("says_not_covered", "an answer", "a reply saying the notes do not cover this")
    offered = list(getattr(reply, "choices", None) or [])
    if expect.choices is not None and bool(offered) != expect.choices:
        wanted = "a clarifying question with choices" if expect.choices else "an answer without choices"
        fail("choices", wanted, choices_text(offered))
    return failures
