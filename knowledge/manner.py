"""How a message asks to be answered, read apart from what it asks about.

"In your own words, how is batch learning unlike online learning?", "Explain self-attention in
plain English", "what is a transformer? keep it short": the manner ("in your own words", "in plain
English", "keep it short") names no topic. Left in the question it was answered as one ("Your
notes do not mention plain English"), retrieved as one ("Simply put, ..." quoted the training
passage that says "Simply put"), or routed as one ("say it simply: what is a neuron?" was spoken
aloud). One declaration of the category, by its grammar rather than by phrasing: families of
phrases (shorter, longer, plainer, requests of their own) in the places a sentence puts them
(leading, trailing, set off by commas or brackets, beside the verb they modify), and a message
made of nothing else, which asks for the last answer again ("shorter please", "can you elaborate?").

Some phrases are manner only when set apart: "for beginners", "in English", "step by step" end
the question in "Are transformers good for beginners?", "Can gpt2 write in English?", "Does
training happen step by step?"; after a comma, or after an imperative ("explain X step by step"),
they say how to answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from knowledge.answer import BRIEF_SENTENCES, DETAILED_SENTENCES, Detail

# A longer message is a document or several questions, not a question with a manner: reading it
# costs time for nothing (and bounds the regular expressions' work).
MAX_MANNER_CHARS = 1000
_LONGEST_REQUEST = 120  # characters; "could you say that again but a bit shorter and simpler, please?"

# --- the phrases, one family each ----------------------------------------------------------------

_PLEASE = r"(?:please|pls|plz|thanks|thank you|thx|ty|for me|lol|haha|lmao)"
# "really briefly", "keep it super short", "a bit simpler"
_VERY = r"(?:(?:very|really|super|extra|quite|pretty|a bit|a little|way|much|even|nice and)\s+)?"
_COUNT = r"(?:one|a single|a|two|three|four|five|six|seven|eight|nine|ten|a couple of|a few|[1-9][0-9]?)"
_UNIT = r"(?:sentences?|lines?|words?|bullets?|bullet points?)"
_COUNTED = rf"{_COUNT}(?: or (?:two|three|2|3))? (?:short )?{_UNIT}(?: or two)?(?: answer)?"
_SHORT = (
    r"(?:briefly|concisely|succinctly|in brief|in short|in a nutshell|tl;? ?dr|short and sweet|"
    rf"in {_COUNTED}|(?:in )?(?:no more than|at most|under|fewer than|less than) {_COUNT} {_UNIT}|"
    r"in (?:fewer|less|as few) words(?: as possible)?|more (?:briefly|concisely|succinctly)|"
    r"(?:just )?(?:a |the )?one[- ]liner|(?:(?:sum (?:it|this|that) up|summari[sz]e(?: it| this| that)?)(?: in)?|"
    rf"keep (?:it|this|that|the answer) (?:to|under|within)) {_COUNTED})"
)
_LONG = (
    r"(?:in (?:more |great |full |much |some |greater |a lot of |lots of )?detail|in (?:more )?depth|in-depth|"
    r"thoroughly|at length|exhaustively|comprehensively|with (?:all the |full |more )?details)"
)
_AUDIENCE = (
    r"(?:a |an |the |my )?(?:complete |total |absolute )?(?:beginners?|novices?|newbies?|dummies|laym[ae]n|"
    r"laypeople|layperson|non-?experts?|non-?technical (?:person|people|audience|reader)|kids?|child(?:ren)?|"
    r"(?:five|5|ten|10|twelve|12)[- ]year[- ]olds?|grandma|grandmother|mom|mum|dad|"
    r"(?:someone|somebody|people|a person) (?:new to (?:this|it|ai|ml|the (?:topic|field))|with (?:no|zero|little|"
    r"limited|without) (?:background|experience|knowledge)(?: in \w+)?))"
)
_PLAIN = (
    r"(?:simply put|(?:to )?(?:put|say|explain) (?:it |this |that )?(?:simply|plainly|briefly)|plainly|"
    r"intuitively|roughly speaking|generally speaking|at a (?:high|basic) level|more (?:simply|plainly|clearly)|"
    r"in (?:your|my|our) own words|in (?:simple|simpler|plain|plainer|basic|easy|easier|everyday|laym[ae]n'?s?|"
    r"lay|non-?technical|beginner-?friendly|human|normal|ordinary|clear|simplest|plainest) (?:terms|words|"
    r"language)|(?:in )?(?:simple|plain|basic) english|in an? (?:simple|simpler|easy|basic|plain|clear|"
    r"intuitive|detailed|short|brief|quick|concise|thorough|in-depth) (?:way|manner|fashion)|"
    rf"(?:explain(?:ed)?(?: it)? )?(?:to me )?like (?:i'?m|i am|you'?re talking to) (?:{_AUDIENCE}|new to (?:this|it)|"
    r"(?:five|5|ten|10|twelve|12)(?: years old)?)|eli5|eli12|"
    r"without (?:the |any |too much )?(?:jargon|math|maths|equations|formulas|technical terms))"
)
_ADJECTIVE = (
    rf"(?:{_VERY}(?:short|quick|brief|concise|simple|easy|basic|plain|detailed|long|longer|full|thorough|in-depth|"
    r"high[- ]level|one[- ]sentence|one[- ]line|two[- ]sentence))"
)
_NOUN = r"(?:answer|version|explanation|overview|summary|description|introduction|intro|rundown|take)"
# Requests of their own: "keep it short and simple", "be concise", "short answer please", "Give me the short
# answer", "I want a detailed answer".
_REQUEST = (
    rf"(?:(?:keep|make) (?:it|this|that|the answer|your answer) {_ADJECTIVE}(?:(?:,| and| &) {_ADJECTIVE})*|"
    r"be (?:more )?(?:brief|concise|quick|thorough|detailed|succinct|specific)|"
    r"(?:don'?t|do not) go into (?:too much |much |a lot of )?detail|"
    r"(?:say|put|explain|tell)(?: it| this| that)? (?:simply|plainly|briefly|short|quickly|in a simple way)|"
    rf"(?:(?:give me|gimme|i want|i'?d like|i need|just)\s+)?(?:the |a |an )?{_ADJECTIVE} {_NOUN}"
    r"(?!\s+(?:of|on|about|for|to)\b)(?: please)?)"
)
# Manner only when set apart: after punctuation, or ending an imperative ("explain X step by step")
_SET_APART = (
    rf"(?:(?:explained |told |written )?(?:for|to) {_AUDIENCE}|in english|step[- ]by[- ]step|"
    r"no (?:jargon|math|maths|equations)|short|brief|simple|simply|quickly|quick|concise|"
    rf"(?:max(?:imum)? |at most |just |only )?{_COUNTED}(?: (?:max|maximum|only|at most|tops))?)"
)
_PHRASE = rf"(?:{_VERY}(?:{_SHORT}|{_LONG}|{_PLAIN})|{_REQUEST})"
_ANY_PHRASE = rf"(?:{_PHRASE}|{_VERY}{_SET_APART})"
# Between two phrases; "no wait" and "actually" correct the first ("briefly. no wait, in detail"): the last wins
_CORRECTS = r"(?:no wait|actually|or rather|i mean)"
_JOIN = rf"(?:(?:\s*(?:,|;|\.|!|and|&|but|or|{_CORRECTS}))+\s*)"
_PHRASES = rf"{_PHRASE}(?:{_JOIN}{_ANY_PHRASE})*"
_ANY_PHRASES = rf"{_ANY_PHRASE}(?:{_JOIN}{_ANY_PHRASE})*"

# --- the places a sentence puts them ---------------------------------------------------------------

# A leading phrase may follow a greeting or "can you", which stay; it is set off by punctuation, or
# followed by the question itself ("in simple terms what is X").
_KEPT_LEAD = (
    r"(?P<keep>(?:(?:hi|hey|hello|ok|okay|so|now|quick question)\b[,:!]?\s+)*"
    r"(?:(?:can|could|would|will) (?:you|u)\s+(?:please\s+)?|please\s+|pls\s+)?)"
)
_QUESTION_START = (
    r"(?:what|how|why|when|where|who|which|is|are|does|do|did|can|could|explain|describe|define|tell|give|show|"
    r"summari[sz]e|compare|walk)\b"
)
_LEADING = re.compile(
    rf"^{_KEPT_LEAD}(?:(?:{_ANY_PHRASES}|roughly|conceptually)(?:\s*,?\s*{_PLEASE})?"
    rf"(?:\s*[,:;!.\u2013\u2014-]+\s*|\s+(?={_QUESTION_START}))"
    r"|(?:eli5|eli12|tl;? ?dr)(?:\s+(?:of|on|for))?\s+)(?=\S)",
    re.I,
)
_MARK = r"\s*[,;:.?!(\u2013\u2014-]\s*"
_SAYS = r"(?:explain(?:ed)?|answer|say|describe|put|summari[sz]e|tell me|give me|i want|i'?d like|i need)"
_TAIL = rf"(?:{_PLEASE}\s+)?(?:just\s+)?(?:{_SAYS}\b(?: it| this| that)?\s+)?"
_END = rf"(?:\s*,?\s*{_PLEASE})*\s*\)?\s*[.!?]*\s*$"
# After punctuation anything of the family; after a space only what is never a question's own end
_TRAILING = re.compile(rf"(?:{_MARK}{_TAIL}{_ANY_PHRASES}|\s+(?:and |but )?{_TAIL}{_PHRASES}){_END}", re.I)
# A yes/no question about something else ends with its own words: "Can GPT-2 summarize text in one sentence?",
# "Does training happen step by step?"; only a phrase set off by punctuation is manner there
_YES_NO = re.compile(
    r"^(?:can|could|does|do|did|is|are|was|were|will|would|should|has|have)\s+(?!(?:you|u)\b)", re.I
)
_TRAILING_MARKED = re.compile(rf"{_MARK}{_TAIL}{_ANY_PHRASES}{_END}", re.I)
_TRAILING_IMPERATIVE = re.compile(rf"(?:{_MARK}|\s+(?:and |but )?){_TAIL}{_ANY_PHRASES}{_END}", re.I)
_SET_OFF = re.compile(rf"\s*(?:,\s*{_ANY_PHRASES}\s*,|\(\s*{_ANY_PHRASES}\s*\))\s*", re.I)
# "briefly explain X", "explain in simple terms what X is", "tell me in one sentence what X does"
_VERB = (
    r"(?:explain|describe|summari[sz]e|tell me|say|define|outline|go over|walk me through|show me|put|state|recap|"
    r"sum up|break down|run through|introduce|clarify|give me|draw|write|speak)"
)
_IMPERATIVE = re.compile(rf"^(?:(?:please|now|ok|okay|so)\s+)?(?:can you\s+|could you\s+)?{_VERB}\b", re.I)
_BEFORE_VERB = re.compile(
    rf"(?i)\b(?:briefly|quickly|concisely|succinctly|simply|plainly|roughly|intuitively|thoroughly)\s+(?={_VERB}\b)"
)
_AFTER_VERB = re.compile(
    rf"\b(?P<verb>{_VERB})(?P<it>\s+(?:it|this|that))?\s*,?\s+(?:{_PHRASE}|step[- ]by[- ]step|(?:for|to) {_AUDIENCE})"
    r"\s*,?\s+(?=\S)",
    re.I,
)
# "give me a detailed explanation of X": the adjective is the manner, the noun stays the request
_ADJECTIVE_OF = re.compile(
    rf"(?i)\b(?P<article>a|an|the)\s+{_ADJECTIVE}\s+(?={_NOUN}\s+(?:of|on|about|for)\b)"
)

# --- a message of nothing else: the last answer again ----------------------------------------------

_PREFIX = (
    r"(?:(?:(?:hi|hey|ok|okay|so|now|hmm+|um+|uh+|no|nah|sorry|huh|what about|how about|pls|please|"
    r"i (?:don'?t|do not) (?:understand|get it)|that'?s confusing|confusing|(?:that|it) went over my head|"
    r"i'?m (?:lost|confused))\b|what\?|huh\?)[,.!?]*\s+)*"
)
_AGAIN = (
    r"(?:(?:can|could|would|will) (?:you|u)\s+)?(?:please\s+)?(?:(?:say|explain|put|tell me|write|give me|give|do|"
    r"answer|"
    r"describe|try|make|keep|rephrase|phrase|word|repeat|go into|go|be)\s+)?"
    r"(?:(?:it|that|this|the answer|your answer|any)\s+)?(?:(?:again|once more),?\s+)?"
    r"(?:(?:but|and|only|just|a (?:bit|little|lot)|much|even|way)\s+)*"
)
_COMPARATIVE = (
    r"(?:shorter|briefer|simpler|easier|plainer|clearer|longer|deeper|"
    r"more (?:simply|plainly|briefly|concisely|clearly|slowly|succinctly)|less technical(?:ly)?|with less jargon|"
    r"(?:in |with |into |at )?(?:more|greater|fuller|full|less) (?:detail|details|depth|length)|"
    r"more (?:detailed|in depth|thoroughly|fully)|in simpler (?:terms|words|language)|"
    r"differently|another way|in (?:a )?(?:different|other) (?:way|words))"
)
_ELABORATE = (
    r"(?:elaborate(?: on (?:it|that|this))?|expand(?: on (?:it|that|this))?|(?:go|dig) deeper(?: on (?:it|that|this))?|"
    r"go on|keep going|continue|tell me more|more please|simplify(?: (?:it|that|this))?|"
    r"summari[sz]e(?: (?:it|that|this))?|sum (?:it|that|this) up|summary|the gist|gist|"
    r"(?:shorten|condense|trim|cut) (?:it|that|this)(?: down)?|dumb (?:it|that|this) down|"
    r"(?:that'?s |it'?s |that was |way |much )*too (?:long|short|complicated|complex|technical|brief|wordy|dense)"
    r"(?:;? ?didn'?t read)?|(?:a )?(?:tl;? ?dr|eli5|eli12)(?: (?:it|that|this|version))?|"
    r"what does (?:that|this|it) mean (?:in (?:plain|simple) (?:english|terms|words)|simply))"
)
_RESTYLE = (
    rf"(?:{_AGAIN}{_VERY}(?:{_COMPARATIVE}|{_ELABORATE}|{_ANY_PHRASE})"
    r"(?: (?:on|about|of) (?:that|it|this)| (?:a bit|a little|further|more|again))?)"
)
_ALONE = re.compile(
    rf"{_PREFIX}{_RESTYLE}(?:(?:{_JOIN}|\s+){_RESTYLE})*(?:\s*[,.!]?\s*{_PLEASE})*\s*[.!?]*", re.I
)

# --- what length was asked ---------------------------------------------------------------------------

_NUMBERED = re.compile(
    rf"(?P<count>{_COUNT})(?P<more>\s+or\s+(?:two|three|2|3))?\s+(?:short\s+)?(?P<unit>{_UNIT})(?P<also> or two)?",
    re.I,
)
_NUMBERS = {"one": 1, "a single": 1, "a": 1, "two": 2, "a couple of": 2, "three": 3, "a few": 3, "four": 4}
_NUMBERS |= {"five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
# Words about length, wherever they stand: in a manner phrase ("in a nutshell") or in a comment on an
# answer ("too long!", "not detailed enough"; ``agent.feedback.learners.comment_cues``). Read by
# ``length_asked``: the phrases whose words point the other way ("too long", "too short") are read first.
_LENGTH_WORDS = {
    "less": r"too (?:long|verbose|wordy|dense|complicated|complex|technical)|too (?:much|many) (?:detail|details|"
    r"text|words|sentences|information|info)|(?:don'?t|do not) go into|less detail|fewer (?:details?|words|"
    r"sentences)|get to the point",
    "more": r"too (?:short|brief|terse)|not (?:long|detailed) enough|not enough detail",
    "shorter": rf"{_SHORT}|short|brief|concise|succinct|wordy|quick|summar|sum (?:it|that|this) up|gist|condense|trim",
    "longer": rf"{_LONG}|detail|thorough|long|deeper|depth|elaborate|expand|go on|keep going|continue|"
    r"tell me more|explain more|more please|step[- ]by[- ]step",
}
_LENGTH_ASKED = {way: re.compile(words, re.I) for way, words in _LENGTH_WORDS.items()}
# Asked of the last answer, plainer can only mean shorter: an answer is the notes' own sentences
_ASKS_PLAINER = re.compile(
    r"simpl|easier|easy|plain|clear|eli\d|less technical|less jargon|too (?:complicated|complex)|laym|beginner|"
    r"novice|newbie|kid|child|year[- ]old|grandm|like (?:i'?m|i am|you'?re)|own words|dumb|non-?technical|differ|"
    r"another way|other words|mean",
    re.I,
)


@dataclass(frozen=True)
class Manner:
    """A message read apart from how it asks to be answered.

    ``question`` is the message without those phrases; ``detail`` and ``sentences`` say what length
    was asked, when one was. A message that asks only how ("keep it short", "can you elaborate?")
    is ``alone``: its question is the message itself, and it is about the last answer.
    """

    question: str
    detail: Detail | None = None
    sentences: int | None = None
    alone: bool = False

    def in_words(self) -> str:
        """The manner as a phrase ``read_manner`` reads back: "briefly", "in 2 sentences", "in detail"."""
        if self.sentences:
            return f"in {self.sentences} sentence{'s' if self.sentences > 1 else ''}"
        return {"brief": "briefly", "detailed": "in detail"}.get(self.detail or "", "in simple terms")

    def again(self, earlier: str) -> str:
        """An earlier request, asked this way: "what is X?" and "shorter" make "what is X?, briefly"."""
        return f"{earlier.rstrip()}, {self.in_words()}"


# Emoji and pictographs say nothing of how to answer ("shorter 😅"); quoted text is the user's own words
# ("why do the notes say 'simply put'?", "plot attention for 'explain it briefly'"), kept whole.
_PICTOGRAPHS = re.compile("[\u2190-\u21ff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d\U0001f000-\U0001faff]+")
_QUOTED = re.compile("\"[^\"]*\"|\u201c[^\u201d]*\u201d|(?<!\\w)'[^']*'(?!\\w)")


def read_manner(message: str) -> Manner:
    """The message's question and the length it asks for ("briefly", "in one sentence", "in detail")."""
    return Manner(message) if len(message) > MAX_MANNER_CHARS else _read(message)


# A turn reads one message up to four times (router, extractor, notes, history); kept short messages
# only, so the cache holds at most 4096 x 1,000 characters.
@lru_cache(maxsize=4096)
def _read(message: str) -> Manner:
    text = " ".join(_PICTOGRAPHS.sub(" ", message.replace("\u2019", "'")).split())
    quoted = _QUOTED.findall(text)
    for i, quote in enumerate(quoted):  # hidden from the phrases, put back after
        text = text.replace(quote, f"\ue000{i}\ue001", 1)
    if len(text) <= _LONGEST_REQUEST and _ALONE.fullmatch(text):
        detail, sentences = _length([text])
        if detail == "detailed" and sentences is None:  # "more detail" than the detailed answer it may follow
            sentences = 2 * DETAILED_SENTENCES
        plainer = "brief" if _ASKS_PLAINER.search(text) else None
        return Manner(message, detail or plainer, sentences, alone=True)
    said: list[str] = []

    def take(match: re.Match[str], keep: str = "") -> str:
        said.append(match.group(0))
        return keep

    trailing = (
        _TRAILING_IMPERATIVE
        if _IMPERATIVE.match(text)
        else _TRAILING_MARKED
        if _YES_NO.match(text)
        else _TRAILING
    )
    for _ in range(3):  # "Briefly: what is X, in plain English?" has two
        before = text
        text = _LEADING.sub(lambda m: take(m, m.group("keep")), text, count=1)
        text = trailing.sub(lambda m: take(m), text, count=1)
        text = _SET_OFF.sub(lambda m: take(m, " "), text)
        text = _BEFORE_VERB.sub(lambda m: take(m), text)
        text = _AFTER_VERB.sub(lambda m: take(m, f"{m.group('verb')}{m.group('it') or ''} "), text)
        text = _ADJECTIVE_OF.sub(lambda m: take(m, f"{m.group('article')} "), text)
        if text == before:
            break
    for i, quote in enumerate(quoted):
        text = text.replace(f"\ue000{i}\ue001", quote, 1)
    text = text.strip()
    if not said:
        return Manner(message)
    return Manner(text if re.search(r"\w", text) else message, *_length(said))


def last_requests(messages: Sequence[str], n: int = 1) -> list[str]:
    """The last ``n`` messages that ask something of their own, oldest first: "shorter please" asks
    nothing new, so a follow-up or a restyle after it refers to the request before it."""
    found: list[str] = []
    for message in reversed(messages):  # from the end: a long session is not read whole every turn
        if len(found) == n:
            break
        if not read_manner(message).alone:
            found.append(message)
    return found[::-1]


def length_asked(text: str) -> Detail | None:
    """Whether ``text`` asks for a shorter answer ("brief") or a longer one ("detailed"); None when it
    asks neither, or both."""
    rest = _LENGTH_ASKED["more"].sub(" ", _LENGTH_ASKED["less"].sub(" ", text))
    shorter = bool(_LENGTH_ASKED["less"].search(text) or _LENGTH_ASKED["shorter"].search(rest))
    longer = bool(_LENGTH_ASKED["more"].search(text) or _LENGTH_ASKED["longer"].search(rest))
    if shorter == longer:
        return None
    return "brief" if shorter else "detailed"


def _length(phrases: list[str]) -> tuple[Detail | None, int | None]:
    """Brief, detailed or neither, and a number of sentences: "in one sentence" is brief and one."""
    detail: Detail | None = None
    sentences = None
    pieces = [piece for phrase in phrases for piece in re.split(_CORRECTS, phrase, flags=re.I)]
    for phrase in pieces:  # the last that says a length wins: "briefly. no wait, in detail"
        counted = _NUMBERED.search(phrase)
        if counted:
            words = counted.group("unit").lower().startswith("word")
            more = counted.group("more") or counted.group("also")
            said = (more.split()[-1] if more else counted.group("count")).lower()
            sentences = 1 if words else int(said) if said.isdigit() else _NUMBERS[said]
            detail = "brief" if sentences <= BRIEF_SENTENCES else "detailed"
        else:
            detail = length_asked(phrase) or detail
    return detail, sentences
