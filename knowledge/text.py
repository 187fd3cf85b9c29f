"""Word-level text helpers shared by lexical retrieval and the support check."""

from __future__ import annotations

import re
from functools import lru_cache

WORD = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*")
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between both
    but by can could did do does doing down during each few for from further had has have having he her here hers
    herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on
    once only or other our ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves tell explain describe please say mean means
    give show know want notes note something thing things""".split()
)


@lru_cache(maxsize=65_536)  # the same few thousand words recur in every question and passage
def stem(word: str) -> str:
    """A light suffix stripper: enough for 'layers'/'layer' and 'trained'/'training' to meet."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: len(word) - len(suffix)] + keep
    return word


def tokens(text: str) -> list[str]:
    """Lowercased, stemmed content words, in order."""
    return [stem(w) for w in WORD.findall(text.lower()) if w not in STOPWORDS]


def content_terms(text: str) -> set[str]:
    return set(tokens(text))
