"""Word- and sentence-level text helpers shared by lexical retrieval, the support check and the concept check.

``split_sentences`` is the one sentence splitter: chunking, answer building,
the support check and the style learner all cut text the same way, so "a
five-sentence answer" means the same thing to each of them. Besides
``tokens``/``stem``, this module reads a question's shape: the subject
that a question frame ("what is X", "how does X work", "compare X and Y") asks
about, the parts of a question that spans several topics, and the concept
phrases whose words a ``Vocabulary`` of the indexed documents does not know.
All of it is regular expressions and set lookups, so it costs microseconds per
question (see ``NotesKnowledge.answer``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
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


def forms(word: str) -> set[str]:
    """The spellings a word is matched under: as written, stemmed, and stemmed twice.

    ``stem`` strips one suffix, so "encodings" -> "encoding" but "encoding" ->
    "encod"; matching any of the three forms on both sides lets them meet.
    """
    once = stem(word)
    return {word, once, stem(once)}


# A sentence ends at . ! or ? (and any closing quote or bracket) before whitespace and a capital, a digit or an
# opening mark: "e.g. the" and "3.5 points" keep going, "... with a loss. Then ..." does not.
SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[A-Z0-9\"'(\[*])")


def sentence_bounds(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each sentence of ``text``, trimmed of whitespace; empty pieces dropped."""
    bounds: list[tuple[int, int]] = []
    start = 0
    for match in SENTENCE_END.finditer(text):
        bounds.append((start, match.start()))
        start = match.end()
    bounds.append((start, len(text)))
    return [(s, e) for s, e in (trim_span(text, s, e) for s, e in bounds) if e > s]


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """``start``..``end`` moved inwards past whitespace, so offsets point at the words themselves."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text``, in order (a fragment without an end mark is one sentence)."""
    return [text[s:e] for s, e in sentence_bounds(text)]


# Words that frame or qualify a question rather than name what it is about: one of them missing from the
# notes never makes a concept absent ("the drawback of batch learning", "Who made Bark?").
GENERIC_WORDS = """
    work works working worked use uses used using usage useful purpose purposes point role roles goal goals aim
    idea ideas concept concepts meaning meant definition define defined difference differences different differ
    differs similar similarity similarities relation relations relationship relationships relate related relates
    connection connections connect connected compare compared comparison comparing contrast versus vs example
    examples instance instances kind kinds type types sort sorts form forms way ways method methods technique
    techniques algorithm algorithms mechanism mechanisms framework frameworks procedure principle principles theory
    strategy trick tricks tool tools term terms notion paradigm field area topic topics aspect aspects feature features
    advantage advantages disadvantage disadvantages benefit benefits drawback drawbacks downside downsides upside
    pros cons limitation limitations problem problems issue issues reason reasons important importance matter
    matters need needs needed necessary help helps helped helpful happen happens happened basics basic main key
    general overview summary introduction intro simple simply briefly brief quick quickly detail details exactly
    really actually basically mainly get gets got make makes made making done go goes going come comes came
    people person someone anyone everyone everybody us let lets like good bad best better stuff lot lots bit much
    many well also even still play plays played create creates created
    build builds built develop develops developed invent invented design designed release released called call
    name named known application applications apply applied implement implemented implementation common popular
    modern typical standard famous various exist exists existing today nowadays currently practice practical
    everything anything nothing actual become becomes became write writes wrote written noted study studied
    said read
"""
GENERIC = frozenset(f for word in GENERIC_WORDS.split() for f in forms(word))
NEAR_CACHE = 50_000
CLITICS = frozenset({"s", "t", "m", "d", "re", "ve", "ll"})  # what an apostrophe leaves behind: neuron's -> s
LEADING_ARTICLE = re.compile(r"^(?:a|an|some|any)\s+", re.I)
ANY_WORD = re.compile(r"[A-Za-z0-9]+(?:[-.][A-Za-z0-9]+)*")


def is_generic(word: str) -> bool:
    """A stopword, a framing word or an apostrophe's leftover: never a concept's own term."""
    word = word.lower()
    return word in STOPWORDS or word in CLITICS or bool(forms(word) & GENERIC)


def _edit_distance_at_most(a: str, b: str, limit: int) -> bool:
    """Optimal-string-alignment distance (swaps count once) of a and b is at most ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return False
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], previous2[j - 2] + 1)
        if min(row) > limit and min(previous) > limit:  # a swap reaches back two rows
            return False
        previous2, previous = previous, row
    return previous[-1] <= limit


class Vocabulary:
    """Every word the indexed documents use (text and heading paths), for the term-level concept check.

    ``knows`` is a set lookup over a word's ``forms`` and, for an agent noun,
    its verb's ("classifier" meets "classify", "learner" meets "learn"). Only a
    word that misses is compared with the words sharing its first letter, to
    forgive typos: edit distance 1 (2 from 8 letters on). The first letter must
    match, so "recurrent" never meets "current", and words under 5 letters must
    match exactly ("RNN", "BERT"), as must words with digits ("GPT-4" is not
    "GPT-2"). Nominalisations do not meet their verbs:
    "layer normalization" is a technique the notes' "we normalize it" is not.
    """

    def __init__(self, texts: Iterable[str]) -> None:
        self._passages: list[frozenset[str]] = []  # the forms each text uses, for ``together``
        for text in texts:
            used: set[str] = set()
            for word in WORD.findall(text.lower()):
                used |= forms(word)
                if "-" in word:
                    used |= forms(word.replace("-", ""))
                    for part in word.split("-"):
                        used |= forms(part)
            self._passages.append(frozenset(used))
        self.words = frozenset().union(*self._passages)
        self._by_initial: dict[str, list[str]] = {}
        for word in self.words:
            self._by_initial.setdefault(word[0], []).append(word)
        self._near: dict[str, bool] = {}

    def __len__(self) -> int:
        return len(self.words)

    def knows(self, word: str) -> bool:
        """Whether the documents use ``word`` (lowercase), allowing for suffixes and small misspellings."""
        if forms(word) & self.words or any(forms(root) & self.words for root in _agent_roots(word)):
            return True
        if "-" in word and (
            forms(word.replace("-", "")) & self.words
            or all(self.knows(p) for p in word.split("-") if p and p not in STOPWORDS)
        ):
            return True
        if word not in self._near:
            if len(self._near) >= NEAR_CACHE:  # a long-running server meets endless new words
                self._near.clear()
            self._near[word] = (
                len(word) >= 5
                and not any(c.isdigit() for c in word)
                and any(
                    _edit_distance_at_most(word, known, 1 if len(word) < 8 else 2)
                    for known in self._by_initial.get(word[0], [])
                    if len(known) >= 5
                )
            )
        return self._near[word]

    def together(self, words: Iterable[str]) -> bool:
        """Whether one text uses every word (exact forms): a concept named by known words may still
        be one the documents never discuss ("diffusion transformers", "support vector machine")."""
        # A word known only by its spelling's neighbour ("positonal") cannot be placed: it is left out.
        wanted = [f for f in (forms(w) for w in words) if f & self.words]
        return len(wanted) < 2 or any(all(f & passage for f in wanted) for passage in self._passages)


def _agent_roots(word: str) -> list[str]:
    """The verb an agent noun comes from: classifier -> classify, learner -> learn, generator -> generat(e)."""
    match = re.fullmatch(r"([a-z]{4,}?)(?:er|or)s?", word)
    if not match:
        return []
    root = match.group(1)
    return [root, f"{root[:-1]}y" if root.endswith("i") else f"{root}e"]


# --- the shape of a question -------------------------------------------------------------------------

_LEAD = re.compile(
    r"^(?:(?:hi|hey|hello|ok|okay|so|and|but|also|now|then|quick question|one more thing)\b[,:!]?\s+)*"
    r"(?:(?:can|could|would|will) you\s+(?:please\s+)?|please\s+|i (?:want|would like|'d like|need) to "
    r"(?:know|understand|learn)\s+)?",
    re.I,
)
_DEVELOP = (
    r"(?:made|makes|created|creates|built|builds|developed|develops|invented|designed|released|trained|owns|"
    r"wrote|maintains|is behind|was behind|are behind)"
)
_RELATE = (
    r"(?:relate|relates|related|connect|connects|connected|compare|compared|differ|differs|different|linked|"
    r"tie|tied|fit|fits|similar|distinct|the same(?: thing)?)"
)
# What notes may do with a topic, as a question asks it: "do my notes explain X?", "does the note cover X?"
_NOTES_SAY = (
    r"(?:mention|cover|talk about|say (?:anything |something |much )?about|discuss|explain|describe|define|"
    r"include|contain|address|deal with|go (?:over|into)|touch on|teach|have (?:anything|something|a section) "
    r"(?:on|about))"
)
# What a question may ask to be "between" two things: "the difference between X and Y".
_BETWEEN = (
    r"(?:differences?|distinctions?|contrasts?|relationships?|relations?|connections?|links?|similarit(?:y|ies)|"
    r"overlaps?)"
)
# Distinction, the other half of comparing. Each family is one word list that every frame using it shares,
# and each is paired with the joining word that makes it a comparison: "separates X from Y" compares,
# "separates positive and negative inputs" does not; "distinguishes X and Y" does.
_SEPARATES = r"(?:separates?|distinguish(?:es)?|differentiates?|divides?|sets? apart)"  # ... X from Y
_DISTINGUISHES = r"(?:distinguish(?:es)?|differentiates?)"  # ... X and Y
_SET_APART = r"(?:apart from|different (?:from|than|to)|distinct from|unlike|separate from)"  # sets X ... Y
_ASKER = r"(?:do|does|can|could|would|should|might) (?:i|we|you|one|people|someone)"  # how can I ...
_TELLS = r"(?:tell|distinguish|differentiate|contrast|compare)"  # how can I tell X from Y
# A yes/no question relating two things ("is X the same as Y?", "does X differ from Y?") by its own words.
_IS_LIKE = (
    r"(?:the same(?: thing)? as|(?:related|connected|linked|similar|equivalent|identical) to|"
    r"(?:different|distinct) (?:from|than)|unlike)"
)
_ALIKE = (
    r"(?:differ|relate|connect|interact|overlap|the same(?: thing)?|different|related|similar|alike|connected|"
    r"linked|distinct)"
)
# "how do X and Y relate to each other", "how does one layer relate to another": the other part is the subject's
_RECIPROCAL = re.compile(r"(?:each other|one another|another|the other|the others|other ones?)", re.I)
# "can I see X compared to Y": the asker is no part. A yes/no question about "it" ("is it related to training?")
# is read whole too, a follow-up the earlier question gives its topic to; "how does it relate to ..." is framed.
_NOT_A_TOPIC = r"(?!(?:i|we|you|it|they|this|that)\s)"
# Ways of asking "how" that name a respect: "in what ways does X differ from Y" asks how it does.
_HOW = re.compile(r"^(?:in (?:what|which) (?:ways?|respects?|sense)|to what (?:extent|degree))\s+", re.I)
# Frames are read in the first this many characters of a question only: a longer message is no single
# comparison, and the frames' lazy subjects cost time growing with the square of the length (2.3 s for a
# 19,800-character "is a and a and ..." before this bound; measured by review).
MAX_FRAMED_CHARS = 400


@dataclass(frozen=True)
class _Frame:
    pattern: re.Pattern[str]
    splits: re.Pattern[str]  # what separates the parts of its subject


def _frame(pattern: str, splits: re.Pattern[str] | None = None) -> _Frame:
    return _Frame(re.compile(pattern, re.I), splits or _AND_SPLIT)


_RELATIONS = (
    r"vs\.?|versus|compared (?:to|with)|in comparison (?:to|with)|(?:is |are )?(?:related|relates?|connected|"
    r"connects?|linked|links?) (?:to|with)|(?:differs?|different|distinct) from|as opposed to|"
    r"(?:works?|working) (?:together )?with|together with|interacts? with|fits? (?:in|into|with)"
)
_RELATION_SPLIT = re.compile(rf"\s+(?:{_RELATIONS})\s+", re.I)  # "X vs Y" splits any question
_AND_SPLIT = re.compile(rf"\s+(?:and|&|{_RELATIONS})\s+", re.I)  # "what are X and Y?" asks about both
_COMPARE_SPLIT = re.compile(rf"\s+(?:and|&|with|to|against|{_RELATIONS})\s+", re.I)  # "compare X with Y"

# Ordered: the first frame that matches gives the subject (group s) and, for relations, a second part (t).
FRAMES = (
    _frame(r"^(?:compare|contrast)\s+(?P<s>.+)$", _COMPARE_SPLIT),
    _frame(
        rf"^(?:(?:what|where)(?:'s| is| are| was| were)\s+(?:the\s+)?|(?:is|are) there\s+(?:an?|any)\s+)"
        rf"(?:main\s+|key\s+|big\s+|real\s+)?{_BETWEEN}\s+between\s+(?P<s>.+)$"
    ),
    _frame(
        r"^(?:tell|explain|show|describe|give)\s+(?:me\s+|us\s+)?the\s+(?:main\s+|key\s+|big\s+|real\s+)?"
        rf"{_BETWEEN}\s+between\s+(?P<s>.+)$"
    ),
    # "what separates X from Y" compares; "which layer separates the input from the output" asks for a layer
    _frame(
        rf"^(?:what\s+(?:exactly\s+|really\s+|actually\s+|mainly\s+)?{_SEPARATES}|which\s+\w+\s+{_DISTINGUISHES})"
        r"\s+(?P<s>.+?)\s+from\s+(?P<t>.+)$"
    ),
    _frame(
        rf"^(?:what|which\s+\w+)\s+(?:exactly\s+|really\s+|actually\s+)?{_DISTINGUISHES}\s+(?P<s>.+?\s+and\s+.+)$"
    ),
    _frame(rf"^what (?:sets|makes|keeps)\s+(?P<s>.+?)\s+{_SET_APART}\s+(?P<t>.+)$"),
    _frame(rf"^how {_ASKER}\s+{_TELLS}\s+(?P<s>.+?)\s+(?:from|versus|vs\.?)\s+(?P<t>.+)$"),
    _frame(
        rf"^how {_ASKER}\s+(?:distinguish|differentiate|contrast|compare|tell apart|tell the difference)"
        r"(?:\s+between)?\s+(?P<s>.+?\s+and\s+.+)$"
    ),
    _frame(rf"^how {_ASKER}\s+contrast\s+(?P<s>.+?)\s+with\s+(?P<t>.+)$"),
    _frame(rf"^how {_ASKER}\s+(?:tell|distinguish|differentiate)\s+(?P<s>.+?\s+and\s+.+?)\s+apart$"),
    _frame(
        rf"^how (?:is|are|does|do|did|can|could|would)\s+(?P<s>.+?)\s+{_RELATE}\s+(?:to|with|from|in|into|than|as)\s+"
        r"(?P<t>.+)$"
    ),
    _frame(
        r"^how (?:do|does|can|could|would|should|are|is)\s+(?P<s>.+?\s+and\s+.+?)\s+(?:work together|"
        r"fit together|interact|differ|compare|relate|connect|work with each other|go together|different|"
        r"similar|alike|related|connected|linked|distinct|the same)\b.*$"
    ),
    # The yes/no forms of the two above, whole: "is X the same as Y?", "are X and Y related (to each other)?"
    _frame(
        rf"^(?:is|are)\s+{_NOT_A_TOPIC}(?P<s>.+?)\s+(?:basically\s+|really\s+|just\s+|actually\s+)?{_IS_LIKE}\s+(?P<t>.+)$"
    ),
    _frame(
        rf"^(?:does|do)\s+{_NOT_A_TOPIC}(?P<s>.+?)\s+(?:differ|relate|connect|compare) (?:from|to|with)\s+(?P<t>.+)$"
    ),
    _frame(
        rf"^(?:do|does|are|is)\s+{_NOT_A_TOPIC}(?P<s>.+?\s+and\s+.+?)\s+(?:basically\s+|really\s+|actually\s+)?"
        rf"{_ALIKE}(?:\s+(?:to|from|with) (?:each other|one another))?$"
    ),
    _frame(r"^what (?:do|does)\s+(?P<s>.+?\s+and\s+.+?)\s+(?:have in common|share)$"),
    _frame(
        r"^how (?:does|do|did|can|could|would|will)\s+(?P<s>.+?)\s+(?:actually |really )?(?:work|function|operate)$"
    ),
    _frame(
        r"^(?:explain|define|describe|summari[sz]e|outline|introduce|clarify)\s+(?:to me\s+)?(?:briefly\s+)?"
        r"(?!why\b|whether\b|if\b)(?:what\s+|how\s+)?(?P<s>.+?)(?:\s+(?:is|are|means?|works?|does))?$"
    ),
    _frame(
        r"^(?:tell|teach)\s+(?:me|us)\s+(?:a bit\s+|a little\s+|more\s+|something\s+)?(?:about|on)\s+(?P<s>.+)$"
    ),
    _frame(
        r"^what (?:do|does|can) (?:you|my notes|the notes|your notes|i) (?:know|say|tell me|have|learn)\s+"
        r"(?:about|on)\s+(?P<s>.+)$"
    ),
    _frame(
        r"^(?:give me|i want|i'd like|i would like)\s+(?:an?\s+)?(?:overview|summary|explanation|introduction|"
        r"intro|definition)\s+(?:of|on|to)\s+(?P<s>.+)$"
    ),
    _frame(
        rf"^(?:do|does|did)\s+(?:my\s+|the\s+|your\s+)?(?:study\s+)?notes?\s+(?:ever\s+|also\s+|even\s+)?{_NOTES_SAY}"
        r"\s+(?P<s>.+)$"
    ),
    # "is X covered (in my notes)?", "anything (in my notes) about X?": the pointer to the notes is gone by now
    _frame(
        r"^(?:is|are)\s+(?P<s>.+?)\s+(?:ever\s+|even\s+|also\s+)?(?:covered|mentioned|discussed|explained|"
        r"described|defined|included|there)$"
    ),
    _frame(
        r"^(?:(?:is|are) there\s+|do i have\s+|have i (?:got|written)\s+)?(?:anything|something|a section|a note|"
        r"notes)\s+(?:about|on)\s+(?P<s>.+)$"
    ),
    _frame(
        r"^why (?:do|does|did|would|should|might)\s+(?:people|we|you|researchers|engineers|practitioners|models|"
        r"networks|one|they|i)\s+(?:use|need|apply|add|choose|prefer|bother with|care about)\s+(?P<s>.+)$"
    ),
    _frame(r"^why (?:is|are|was|were)\s+(?P<s>.+?)\s+(?:used|needed|useful|popular|applied)\b.*$"),
    _frame(rf"^who {_DEVELOP}\s+(?P<s>.+)$", _RELATION_SPLIT),
    _frame(
        r"^(?:which|what)\s+(?:company|companies|organi[sz]ations?|lab|labs|team|group|firm|people|person|"
        rf"researchers?)\s+{_DEVELOP}\s+(?P<s>.+)$",
        _RELATION_SPLIT,
    ),
    _frame(r"^who (?:is|are|was|were)\s+(?P<s>.+)$", _RELATION_SPLIT),
    _frame(
        r"^what (?:does|do|did)\s+(?P<s>.+?)\s+(?:mean|stand for|refer to|do|output|produce|generate|create|"
        r"return|make|predict)$",
        _RELATION_SPLIT,
    ),
    _frame(r"^what(?:'s|s| is| are| was| were)\s+(?P<s>.+?)(?:\s+(?:used for|good for|made of|for|about))?$"),
)


@dataclass(frozen=True)
class Shape:
    """What a question asks about: its subject's parts, and whether a known frame named them."""

    parts: tuple[str, ...]
    framed: bool

    @property
    def multi(self) -> bool:
        return len(self.parts) > 1


_SOURCE = re.compile(
    r",?\s*\b(?:(?:according to|based on|from|in|using)\s+(?:my|the|your)\s+(?:study\s+)?notes|"
    r"from what (?:i|we)(?: have)? (?:wrote|written|noted|noted down|studied))\b,?",
    re.I,
)


# A relative clause set off by two dashes ("GPT-2 - which OpenAI released in 2019 - how big is it?") is an aside,
# not a question of its own; bounded, so reading stays linear in the message's length.
_ASIDE = re.compile(
    r"\s[-\u2013\u2014]\s(?:which|who|whose|where|when|that)\b.{0,200}?\s[-\u2013\u2014](?=\s)", re.I
)


def _clean(question: str) -> str:
    """The question without greetings, politeness, a pointer to the notes ("based on my notes") or an aside."""
    text = " ".join(question.replace("\u2019", "'").split())
    text = _ASIDE.sub("", _SOURCE.sub("", _LEAD.sub("", text)))
    text = _LEAD.sub("", text.strip())
    return text.strip(" \t?!.;:,\"'")


_WH = r"(?:how|what|why|when|where|who|which|does|do|did|is|are|can|could|would|will|should)\b"
_JOINED = rf"\s*(?:(?:and|but|or|so|also)\s+)?(?={_WH})"
# A comma, a semicolon, a question mark or a dash before a question word joins a question on ("X vs Y - which
# matters more?"); dashes that set off an aside were read past by ``_clean`` first.
_CLAUSE = re.compile(rf"(?:\s*[,;?]|\s+[-\u2013\u2014]){_JOINED}|\s+(?:and|but|or|so)\s+(?={_WH})", re.I)


def question_clauses(question: str) -> list[str]:
    """The questions a message joins ("What is X, and how does Y work?"): each may need its own passage."""
    text = _clean(question)
    pieces = [p.strip(" ,;?") for p in _CLAUSE.split(text)]
    return [p for p in pieces if len(content_terms(p)) >= 1 and len(p.split()) >= 2]


def _first_clause(text: str) -> str:
    """The question up to a second question joined on ("..., and how does it...", "... and why")."""
    match = _CLAUSE.search(text)
    return text[: match.start()] if match and match.start() > 0 else text


def _tidy(part: str) -> str:
    part = part.strip(" \t?!.;:,\"'")
    return LEADING_ARTICLE.sub("", part).strip()


def _share_head(parts: list[str]) -> list[str]:
    """'batch and online learning' asks about batch learning: a lone modifier takes the last part's head noun."""
    last = parts[-1].split()
    if not 2 <= len(last) <= 3 or any(word.lower() in STOPWORDS for word in last[:-1]):
        return parts  # "noise in data" has no head noun to lend "signal"
    head = last[-1]
    return [f"{p} {head}" if _modifier(p) else p for p in parts]


def _modifier(part: str) -> bool:
    """A lone lowercase word that does not look like a noun: 'batch', 'input', 'deep' (not 'neurons',
    'training', 'Bark'), so "compare training with adaptive AI" keeps its two topics."""
    nounish = part.endswith(("s", "ing", "tion", "sion", "ment", "ness", "ity"))
    return " " not in part and part.islower() and not nounish and not is_generic(part)


def _names_something(part: str) -> bool:
    """A part with a word of its own: not empty, not only 'it', 'why', 'the difference' or a number."""
    return any(not is_generic(w) and not w.isdigit() for w in ANY_WORD.findall(part))


def _split(subject: str, pattern: re.Pattern[str]) -> list[str]:
    parts = [p for p in (_tidy(p) for p in pattern.split(subject)) if _names_something(p)]
    return _share_head(parts) if len(parts) > 1 else parts


def shape_of(question: str) -> Shape:
    """The parts a question asks about, read from its frame ("how does X relate to Y", "compare X and Y").

    Only the first clause is read ("What is a token, and how does it become a
    vector?" asks about a token). A question without a known frame keeps its
    whole text as one unframed part, except that "X vs Y" or "X related to Y"
    still splits it: free-form questions are too varied to read a subject from.
    """
    text = _HOW.sub("how ", _first_clause(_clean(question)))
    for frame in FRAMES if len(text) <= MAX_FRAMED_CHARS else ():
        match = frame.pattern.match(text)
        if not match:
            continue
        subject = match.group("s")
        second = match.groupdict().get("t")
        if second and _names_something(second) and not _RECIPROCAL.fullmatch(second.strip()):
            # "how does it relate to training?" asks about training
            parts = [p for p in (_tidy(subject), _tidy(second)) if _names_something(p)]
        else:  # no second part, or "each other": the subject names them all ("how do X and Y relate to each other")
            parts = _split(subject, frame.splits) or [_tidy(subject)]
        return Shape(tuple(p for p in parts if p), True)
    parts = _split(text, _RELATION_SPLIT)
    return Shape(tuple(parts) if len(parts) > 1 else (_clean(question),), False)


# --- concepts the vocabulary does not know -----------------------------------------------------------


def _runs(text: str, keep: Iterable[bool] | None = None) -> list[list[re.Match[str]]]:
    """Runs of consecutive words that are not generic (optionally also filtered by ``keep``)."""
    runs: list[list[re.Match[str]]] = []
    current: list[re.Match[str]] = []
    previous_end = 0
    flags = list(keep) if keep is not None else None
    for i, match in enumerate(ANY_WORD.finditer(text)):
        between = text[previous_end : match.start()]
        broken = bool(re.search(r"[,;:()\"!?]", between))
        wanted = not is_generic(match.group()) and (flags is None or flags[i])
        if current and (not wanted or broken):
            runs.append(current)
            current = []
        if wanted:
            current.append(match)
        previous_end = match.end()
    if current:
        runs.append(current)
    return runs


def _phrase(text: str, runs: list[list[re.Match[str]]]) -> str:
    """The text from the first run to the last, with a 'the' just before it kept ("the capital of France")."""
    start, end = runs[0][0].start(), runs[-1][-1].end()
    before = text[:start].rstrip()
    if before.lower().endswith(" the") or before.lower() == "the":
        start = len(before) - 3
    return " ".join(text[start:end].split())


def _unknown(word: str, vocabulary: Vocabulary) -> bool:
    return not is_generic(word) and not vocabulary.knows(word.lower())


def absent_phrase(part: str, vocabulary: Vocabulary) -> str | None:
    """The concept phrase of a framed subject that uses a word the documents never do, else None."""
    runs = [run for run in _runs(part) if any(_unknown(m.group(), vocabulary) for m in run)]
    if not runs:  # every word is known: a phrase of them still names nothing the texts discuss together
        runs = [
            run
            for run in _runs(part)
            if len(run) >= 2 and not vocabulary.together(m.group().lower() for m in run)
        ]
    return _phrase(part, runs) if runs else None


def name_like(question: str) -> list[bool]:
    """Per word of ``question``: written as a name (an acronym, a capital past a sentence's start, a digit)."""
    flags = []
    sentence_start = True
    previous_end = 0
    for match in ANY_WORD.finditer(question):
        gap = question[previous_end : match.start()]
        if re.search(r"[.!?\"'(]\s*$", gap) or previous_end == 0:
            sentence_start = True
        word = match.group()
        capital = word[:1].isupper() and not sentence_start and word != "I"
        acronym = sum(c.isupper() for c in word) >= 2
        mixed = any(c.isdigit() for c in word) and any(c.isalpha() for c in word)
        flags.append((capital or acronym or mixed) and word.lower() not in STOPWORDS)
        sentence_start = False
        previous_end = match.end()
    return flags


def absent_name(question: str, vocabulary: Vocabulary) -> str | None:
    """An unknown name in a question without a frame ("How do LSTMs handle long sequences?")."""
    runs = [
        run
        for run in _runs(question, name_like(question))
        if any(_unknown(m.group(), vocabulary) for m in run)
    ]
    return _phrase(question, runs) if runs else None


def named_terms(question: str) -> set[str]:
    """The stemmed terms of the words a question writes as names ("Bark", "LAION-5B", "GPT-2")."""
    words = [
        m.group() for m, flag in zip(ANY_WORD.finditer(question), name_like(question), strict=True) if flag
    ]
    return content_terms(" ".join(words))
