"""Argument extraction: a tool call's arguments read off the user's message with patterns.

Why patterns: the local 135M model cannot fill a JSON schema reliably, so the router picks the
tool with embeddings and each tool's declaration names its extractor from this module. Only the
arguments the user wrote are filled; the tools' defaults cover the rest and their ``Field``
bounds check every value, so an extractor never clamps or validates a number: an out-of-range
value goes through and the tool says what the range is (the one cap: a hidden-layer count, at
MAX_LISTED_LAYERS, so "10^9 hidden layers" does not build a 10^9-long list).

What every extractor promises:

- it never raises, whatever the text (empty, emoji, 20,000 characters, unbalanced quotes);
- it stays linear in the length of the message: patterns are compiled here, at module level,
  without nested unbounded repeats, and quoted passages are found by a scanner (:func:`quote_spans`)
  rather than one large regex, so a hostile message cannot make it backtrack;
- numbers and switches are read outside quoted passages (a sentence to run a demo on may say
  "2 heads" or "GPT"); model ids and dataset names are read everywhere.

Bounds that keep a 20,000-character message cheap, far above what any request needs: the first
MAX_QUOTE_MARKS quote marks and apostrophes, MAX_NUMBERS numbers and MAX_IDS model ids are read,
and an unquoted demo sentence is looked for in the last MAX_SENTENCE_CHARS characters.

This module imports nothing from ``agent/`` and nothing from the other ``tools/`` modules (they
import it for their declarations).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from typing import Any

DEFAULT_ATTENTION_SENTENCE = "The cat sat on the mat"  # the notes' own example
# The notes' example for "what does 'it' refer to": used when a focus word is asked for without
# a sentence and the default sentence does not contain it.
FOCUS_EXAMPLE_SENTENCE = "The animal didn't cross the street because it was too tired."
DEFAULT_HIDDEN_WIDTH = 8  # training_demo's default layer width, used for "two hidden layers"
MAX_LISTED_LAYERS = 16  # "10^9 hidden layers" must not build a 10^9-long list; the tool allows 4

KNOWN_SHORT_IDS = [
    "stable-diffusion-v1-5",
    "stable-diffusion",
    "llama-2-7b",
    "llama-2",
    "llama 2",
    "gpt-neo",
    "gpt neo",
    "gpt2",
    "gpt-2",
    "bark-small",
    "bark",
    "bert-base-uncased",
    "bert",
    "distilbert",
    "roberta",
    "t5-small",
    "t5",
    "whisper",
    "mistral",
    "smollm2",
    "phi-2",
    "gemma",
    "qwen",
    "bloom",
    "clip",
    "all-minilm-l6-v2",
    "minilm",
    # added with this module: families a learner reads about, unlikely as plain English words
    "distilgpt2",
    "gpt-j",
    "llama",
    "llama-3",
    "tinyllama",
    "mixtral",
    "phi-3",
    "pythia",
    "falcon",
    "deberta",
    "xlnet",
    "wav2vec2",
    "speecht5",
    "musicgen",
    "sdxl",
]
# Families generate_text can run; a short name only counts as its model next to a usage cue.
TEXT_MODEL_FAMILIES = frozenset(
    {
        "gpt2",
        "gpt-2",
        "gpt-neo",
        "distilgpt2",
        "gpt-j",
        "llama",
        "llama-2",
        "llama-2-7b",
        "llama-3",
        "tinyllama",
        "mistral",
        "mixtral",
        "phi-2",
        "phi-3",
        "gemma",
        "qwen",
        "bloom",
        "pythia",
        "falcon",
        "t5",
        "t5-small",
    }
)
# Families generate_image's prompt may name as its model ("with stable diffusion"): cut from the prompt.
IMAGE_MODEL_FAMILIES = frozenset({"stable-diffusion", "stable-diffusion-v1-5", "sdxl"})
SPEECH_MODEL_FAMILIES = frozenset({"bark", "bark-small", "mms-tts", "speecht5", "vits"})
# A suffix segment that keeps a short name a model name: "gpt2-medium", "bert-large-cased".
# Any segment with a digit counts too ("llama-2-7b", "gpt-neo-1.3b", "whisper-large-v3").
_VARIANT_WORDS = frozenset(
    "base large small medium mini tiny micro nano xl xxl huge giant cased uncased chat instruct "
    "hf it en multilingual turbo neo j deduped distilled".split()
)
# "and/or", "input/output": slash pairs of plain words are not Hub ids.
_NOT_ID_WORDS = frozenset(
    "and or either input output encoder decoder yes no true false on off he she his her him they "
    "them read write train test validation client server pros cons before after left right up down "
    "in out text image images audio speech video male female black white good bad start stop open "
    "close min max day night am pm km mph per sin cos tan".split()
)
_WORD_NUMBERS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "single": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}

# ---------------------------------------------------------------------------------------------
# Quoted passages
# ---------------------------------------------------------------------------------------------

_MARKS = re.compile(r"[\"'‘’“”„«»‹›「」『』]")
# Which marks may close a passage opened by each opener (people mix straight and curly marks).
_CLOSERS: dict[str, str] = {
    "'": "'’",
    "‘": "’'",
    '"': '"”',
    "“": '”"',
    "„": '“”"',
    "«": "»",
    "‹": "›",
    "「": "」",
    "『": "』",
}
_FAMILY = {
    "'": "single",
    "‘": "single",
    "’": "single",
    '"': "double",
    "“": "double",
    "”": "double",
    "„": "double",
    "«": "guillemet",
    "»": "guillemet",
    "‹": "angle",
    "›": "angle",
    "「": "corner",
    "」": "corner",
    "『": "white corner",
    "』": "white corner",
}
_CLOSING_MARKS = frozenset("".join(_CLOSERS.values()))
_APOSTROPHES = "'’"
_CONTEXT_MARKS = "'\"’"  # marks whose role depends on their neighbours (the rest are one-sided)
_SINGLE = "'‘’"


def _mark_roles(text: str, i: int) -> tuple[bool, bool, bool]:
    """(apostrophe, can open, can close) for the quote mark at ``i``.

    The rule, the same for every message:
    - ``'`` or ``’`` between two letters or digits is an apostrophe, never a quote mark
      ("didn't", "it’s", "rock'n'roll");
    - a straight mark (``'`` ``"``) opens after the start, a space, a bracket or punctuation, and
      only when something other than a space follows;
    - a straight mark or ``’`` closes after something other than a space, and only before the end,
      a space or punctuation;
    - one-sided marks (‘ “ „ « ‹ 「 『 and their partners) open and close by their shape.
    """
    ch = text[i]
    prev = text[i - 1] if i > 0 else ""
    nxt = text[i + 1] if i + 1 < len(text) else ""
    if ch in _APOSTROPHES and prev.isalnum() and nxt.isalnum():
        return True, False, False
    contextual = ch in _CONTEXT_MARKS
    opens = ch in _CLOSERS and bool(nxt) and (not contextual or (not prev.isalnum() and not nxt.isspace()))
    closes = (
        ch in _CLOSING_MARKS and bool(prev) and (not contextual or (not prev.isspace() and not nxt.isalnum()))
    )
    return False, opens, closes


def _possessive(text: str, marks: list[tuple[int, str, bool, bool]], following: list[int], k: int) -> bool:
    """Whether the closing-looking ``s'`` at mark ``k`` is a plural possessive ("the students' notes").

    Rule: an ``s'`` or ``s’`` followed by a space and a letter is read as a possessive when the next
    single quote mark after it can only close a passage ("in 'the students' notes were lost'").
    When the next mark can open one instead ("'the dogs' and 'the cats'"), the ``s'`` closes.
    A trailing possessive right before the closing mark ("'the students''") stays ambiguous and
    is read as the closing mark.
    """
    i, ch = marks[k][0], marks[k][1]
    if ch not in _APOSTROPHES or i + 2 >= len(text) or text[i - 1] not in "sS":
        return False
    if not (text[i + 1].isspace() and text[i + 2].isalpha()):
        return False
    j = following[k]
    return j >= 0 and marks[j][3] and not marks[j][2]


# Quote marks and apostrophes read per message: far above any request, and it bounds the work.
MAX_QUOTE_MARKS = 1000


def quote_spans(text: str) -> list[tuple[int, int, str]]:
    """Every quoted passage as (start, end, content): ``text[start:end]`` includes the marks.

    Handles '…' "…" ‘…’ “…” „…“ «…» ‹…› 「…」 『…』 with apostrophes inside (see :func:`_mark_roles`
    and :func:`_possessive` for the rule). Passages do not nest: inside one, other kinds of marks
    are content. A mark only opens a passage when a mark that could close it comes later, so an
    unbalanced quote does not swallow the rest of the message. Linear in the length of ``text``;
    only the first MAX_QUOTE_MARKS marks (apostrophes included) are read.
    """
    return list(_quote_spans(text))


@lru_cache(maxsize=32)
def _quote_spans(text: str) -> tuple[tuple[int, int, str], ...]:
    marks: list[tuple[int, str, bool, bool]] = []
    for seen, m in enumerate(_MARKS.finditer(text)):
        if seen >= MAX_QUOTE_MARKS:
            break
        apostrophe, opens, closes = _mark_roles(text, m.start())
        if not apostrophe and (opens or closes):
            marks.append((m.start(), m.group(), opens, closes))
    following = [-1] * len(marks)  # index of the next single-family mark, for the possessive rule
    nxt = -1
    for k in range(len(marks) - 1, -1, -1):
        following[k] = nxt
        if marks[k][1] in _SINGLE:
            nxt = k
    last_close: dict[str, int] = {}
    for i, ch, _, closes in marks:
        if closes:
            last_close[ch] = i
    spans: list[tuple[int, int, str]] = []
    open_at, opener = -1, ""
    for k, (i, ch, opens, closes) in enumerate(marks):
        if open_at >= 0:
            if closes and ch in _CLOSERS[opener] and not _possessive(text, marks, following, k):
                content = " ".join(text[open_at + 1 : i].split())
                if content:
                    spans.append((open_at, i + 1, content))
                open_at = -1
                continue
            if not (opens and _FAMILY[ch] == _FAMILY[opener]):
                continue  # a mark of another kind is part of the passage
        if opens and any(last_close.get(c, -1) > i for c in _CLOSERS[ch]):
            open_at, opener = i, ch  # a second opener of the same kind restarts the passage
    return tuple(spans)


def quoted(text: str) -> list[str]:
    """The quoted passages of ``text``, in order, whitespace collapsed (see :func:`quote_spans`)."""
    return [content for _, _, content in quote_spans(text)]


def mask_quoted(text: str, replacement: str = " ") -> str:
    """``text`` with every quoted passage, marks included, replaced by ``replacement``."""
    parts: list[str] = []
    last = 0
    for start, end, _ in quote_spans(text):
        parts.append(text[last:start])
        parts.append(replacement)
        last = end
    parts.append(text[last:])
    return "".join(parts)


def _blank_quotes(text: str) -> str:
    """``text`` with quoted passages turned to spaces: offsets still point into ``text``."""
    parts: list[str] = []
    last = 0
    for start, end, _ in quote_spans(text):
        parts.append(text[last:start])
        parts.append(" " * (end - start))
        last = end
    parts.append(text[last:])
    return "".join(parts)


def _clean(text: str) -> str:
    """One space between words: patterns below use single ``\\s`` steps and stay linear."""
    return " ".join(text.split()) if isinstance(text, str) else ""


class _Gated:
    """A compiled pattern that only runs when one of its key words occurs in the text.

    Python's regex engine tries a pattern that starts with ``\\b`` or a lookbehind at every
    position, about 1 ms per 20,000 characters; a substring test first makes a cue that is not in
    the message cost microseconds. ``keys`` are lower-case substrings every match contains.
    """

    def __init__(self, pattern: str, keys: tuple[str, ...], flags: int = re.I) -> None:
        self.regex = re.compile(pattern, flags)
        self.keys = keys

    def _present(self, text: str) -> bool:
        low = text.lower()
        return any(key in low for key in self.keys)

    def search(self, text: str) -> re.Match[str] | None:
        return self.regex.search(text) if self._present(text) else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        return self.regex.finditer(text) if self._present(text) else iter(())


# ---------------------------------------------------------------------------------------------
# Numbers
# ---------------------------------------------------------------------------------------------

# 1,000 / 500 / 0.05 / .7 / 1e-2; not part of a longer word or number ("3rd", "v2", "1.2.3").
NUMBER = r"(?<![\w.,])(\d{1,3}(?:,\d{3})+(?!\d)|\d+(?:\.\d+)?|\.\d+)([eE][-+]?\d+)?(?!\w)"
_NUMBER_AT = re.compile(NUMBER.removeprefix(r"(?<![\w.,])"))  # matched where a digit run starts
_DIGIT_RUN = re.compile(r"\d+")  # a plain character-class scan: fast over any text
_FILLERS = r"(?:(?:=>?|:|#|~|of|to|is|at|be|was|equals?|about|around|approx(?:imately)?)\s*){0,2}"
MAX_NUMBERS = 256  # numbers read per message: no request names more settings, and it bounds the work
_WORD_SEPARATOR = re.compile(r"[\s_-]+")
_UNIT_WINDOW = 60  # characters before a number searched for "word =" ("a learning rate of about")


def _to_float(digits: str, exponent: str | None) -> float | None:
    try:
        value = float(digits.replace(",", "") + (exponent or ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


@lru_cache(maxsize=32)
def _numbers(text: str) -> tuple[tuple[float, int, int], ...]:
    """The numbers of ``text`` as (value, start, end), in order: at most MAX_NUMBERS of them, read
    from its first 4 * MAX_NUMBERS runs of digits.

    Found from digit runs (one fast scan) and read with NUMBER at each run's start, so that a
    message of 20,000 characters costs one pass whatever it holds.
    """
    found: list[tuple[float, int, int]] = []
    last_end = 0
    for seen, run in enumerate(_DIGIT_RUN.finditer(text)):
        if seen >= 4 * MAX_NUMBERS:
            break
        start = run.start()
        if start > 0 and text[start - 1] == "." and (start < 2 or not text[start - 2].isdigit()):
            start -= 1  # ".7"
        if start < last_end:
            continue  # the exponent or decimals of the number before
        if start and (text[start - 1].isalnum() or text[start - 1] in "_.,"):
            continue  # inside a word or a longer number ("v2", "1.2.3")
        if start and text[start - 1] == "-" and (start < 2 or not text[start - 2].isalnum()):
            continue  # a negative number: no setting takes one, and dropping the sign would lie
        m = _NUMBER_AT.match(text, start)
        value = _to_float(m.group(1), m.group(2)) if m else None
        if m and value is not None:
            found.append((value, start, m.end()))
            last_end = m.end()
            if len(found) >= MAX_NUMBERS:
                break
    return tuple(found)


@lru_cache(maxsize=128)
def _unit(words: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]] | None:
    """The "word = " (before a number) and " word" (after one) patterns for a setting's unit words.

    Spaces, "_" and "-" inside a word are interchangeable ("learning rate", "learning_rate");
    plurals are matched. Each word is its own group, so a match says which word it was.
    """
    bodies = []
    for word in words:
        parts = [re.escape(p) for p in _WORD_SEPARATOR.split(word.strip()) if p]
        if parts:
            bodies.append("(" + r"[\s_-]*".join(parts) + ")")
    if not bodies:
        return None
    alternatives = "|".join(bodies)
    before = re.compile(rf"(?<!\w)(?:{alternatives})(?:e?s)?(?!\w)\s*{_FILLERS}\Z", re.I)
    after = re.compile(rf"\s*-?\s*(?:{alternatives})(?:e?s)?(?!\w)", re.I)
    return before, after


def _number_span(
    text: str, *words: str, numbers: tuple[tuple[float, int, int], ...] | None = None
) -> tuple[float, int, int] | None:
    """The number written with one of ``words``, and the span of the whole phrase.

    Forms: "epochs 500", "epochs=500", "epochs: 500", "learning rate of 0.05", "500 epochs",
    "128-dimensional", "for 1,000 epochs", "lr 1e-2", "temperature .7". An earlier word wins over
    a later one; for one word, "word number" wins over "number word" ("layer 2 head 3": head 3),
    then the first in the text.
    """
    patterns = _unit(tuple(words))
    if patterns is None:
        return None
    before, after = patterns
    best: tuple[tuple[int, int, int], tuple[float, int, int]] | None = None
    for value, start, end in _numbers(text) if numbers is None else numbers:
        m = before.search(text, max(0, start - _UNIT_WINDOW), start)
        if m and m.lastindex and (best is None or (m.lastindex, 0, start) < best[0]):
            best = ((m.lastindex, 0, start), (value, m.start(), end))
        m = after.match(text, end)
        if m and m.lastindex and (best is None or (m.lastindex, 1, start) < best[0]):
            best = ((m.lastindex, 1, start), (value, start, m.end()))
        if best is not None and best[0][:2] == (1, 0):
            break  # the first word, in its preferred form: nothing later can beat it
    return None if best is None else best[1]


def number_after(text: str, *words: str) -> float | None:
    """The number the user gave for a setting named by one of ``words`` ("500 epochs", "lr=0.01").

    ``words`` are plain words, not regexes (plurals and "_"/"-"/space spellings are matched).
    """
    found = _number_span(_clean(text), *words)
    return None if found is None else found[0]


# The unit words of each numeric setting (see _number_span for the forms they are read in).
_LAYER_WORDS = ("layer",)
_HEAD_WORDS = ("head",)
_POSITION_WORDS = ("position", "sequence length", "seq len", "max len", "max length")
_DIM_WORDS = ("dimension", "dimensional", "dim", "dims", "d model", "embedding size", "model dimension")
_EPOCH_WORDS = ("epoch", "training epoch", "iteration", "pass")
_LR_WORDS = ("learning rate", "lr", "step size", "eta", "η")
_SEED_WORDS = ("seed", "random seed")
_STEP_WORDS = ("step", "event", "user event", "simulated event", "iteration", "round")
_TOKEN_WORDS = ("max new tokens", "new token", "token")
_TEMPERATURE_WORDS = ("temperature", "temp")
_TOP_P_WORDS = ("top p", "nucleus")
_IMAGE_STEP_WORDS = ("denoising step", "inference step", "diffusion step", "step")
for _words in (
    _LAYER_WORDS,
    _HEAD_WORDS,
    _POSITION_WORDS,
    _DIM_WORDS,
    _EPOCH_WORDS,
    _LR_WORDS,
    _SEED_WORDS,
    _STEP_WORDS,
    _TOKEN_WORDS,
    _TEMPERATURE_WORDS,
    _TOP_P_WORDS,
    _IMAGE_STEP_WORDS,
):
    _unit(_words)  # compiled at import, not on the first message


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def _blank(text: str, start: int, end: int) -> str:
    """``text`` with a span replaced by spaces, so later searches skip it and offsets hold."""
    return text[:start] + " " * (end - start) + text[end:]


# ---------------------------------------------------------------------------------------------
# Model ids
# ---------------------------------------------------------------------------------------------

_ID_PART = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?")
_HF_URL = _Gated(
    r"(?:huggingface|hf)\.co/(?:models/)?"
    r"([A-Za-z0-9][A-Za-z0-9_.-]*(?:/[A-Za-z0-9][A-Za-z0-9_.-]*)?)",
    ("co/",),
)
_SLASH_ID = _Gated(
    r"(?<![\w./:@-])[A-Za-z0-9][A-Za-z0-9_.-]*+(?:/[A-Za-z0-9_.-]++)++",
    ("/",),
    0,
)
MAX_IDS = 64  # ids read per message: hub_lookup compares at most 6, and it bounds the work
_BACKTICK = _Gated(
    r"`([^`\s]{1,96})`",
    ("`",),
    0,
)


def _trie(names: list[str]) -> str:
    """One regex for many names, as a trie: at each character only the names that fit are tried.

    A plain alternation of fifty names costs fifty tests at every position of the message; the
    trie costs about one. A space or "-" inside a name matches either ("gpt neo", "gpt-neo").
    """
    root: dict[str, Any] = {}
    for name in names:
        node = root
        for ch in name.lower():
            node = node.setdefault("-" if ch in " -" else ch, {})
        node[""] = {}

    def render(node: dict[str, Any]) -> str:
        branches = [
            (r"[\s-]" if ch == "-" else re.escape(ch)) + render(child)
            for ch, child in sorted(node.items())
            if ch
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return render(root)


def _known_pattern() -> re.Pattern[str]:
    firsts = "".join(sorted({n[0].lower() for n in KNOWN_SHORT_IDS}))
    return re.compile(
        rf"(?<![\w/.-])(?=[{firsts}])({_trie(KNOWN_SHORT_IDS)})((?:[-.][A-Za-z0-9]+)*+)(?![\w/-])", re.I
    )


_KNOWN = _known_pattern()
_KNOWN_KEYS = tuple(sorted({n[:3].lower() for n in KNOWN_SHORT_IDS}))  # a cheap test before _KNOWN
_HAS_LETTER = re.compile(r"[A-Za-z]")
_SEGMENT_SPLIT = re.compile(r"[-.]")


def _as_id(token: str) -> str | None:
    """``token`` if it has the shape of a Hub id (NAME or OWNER/NAME), else None."""
    token = token.rstrip(".-")
    parts = token.split("/")
    if len(parts) > 2 or ".." in token or not _HAS_LETTER.search(token):
        return None
    if not all(_ID_PART.fullmatch(p) for p in parts):
        return None
    if len(parts) == 2:
        if min(len(parts[0]), len(parts[1])) < 2:
            return None  # "w/o", "n/a", "km/h"
        if parts[0].lower() in _NOT_ID_WORDS and parts[1].lower() in _NOT_ID_WORDS:
            return None
    return token


def _id_candidates(text: str) -> Iterator[tuple[int, int, str]]:
    """Possible ids as (start, end, id), by source, most explicit source first."""
    for m in _HF_URL.finditer(text):
        ident = _as_id(m.group(1))
        if ident:
            yield m.start(), m.end(), ident
    for m in _SLASH_ID.finditer(text):
        ident = _as_id(m.group())
        if ident and "/" in ident:
            yield m.start(), m.start() + len(ident), ident
    for m in _BACKTICK.finditer(text):
        ident = _as_id(m.group(1))
        if ident:
            yield m.start(1), m.start(1) + len(ident), ident
    for start, _, content in _quote_spans(text):
        if " " not in content and any(c.isdigit() for c in content):
            ident = _as_id(content)
            if ident:
                yield start + 1, start + 1 + len(ident), ident
    low = text.lower()
    if not any(key in low for key in _KNOWN_KEYS):
        return
    for m in _KNOWN.finditer(text):
        suffix = m.group(2).lower()
        segments = [s for s in _SEGMENT_SPLIT.split(suffix) if s]
        if any(not (s in _VARIANT_WORDS or any(c.isdigit() for c in s)) for s in segments):
            continue  # "bert-like", "gpt2-style": a compound word, not a model
        yield m.start(), m.end(), "-".join(m.group(1).lower().split()) + suffix


@lru_cache(maxsize=32)
def _model_id_spans(text: str) -> tuple[tuple[int, int, str], ...]:
    """Model ids with their spans, in the order written, each once (see :func:`model_ids`).

    A candidate overlapping one from a more explicit source is dropped ("gpt-neo" inside
    "EleutherAI/gpt-neo-125m"); at most MAX_IDS are read.
    """
    found: list[tuple[int, int, str]] = []
    for start, end, ident in _id_candidates(text):
        if not any(s < end and start < e for s, e, _ in found):
            found.append((start, end, ident))
            if len(found) >= MAX_IDS:
                break
    seen: set[str] = set()
    unique = []
    for item in sorted(found):
        if item[2].lower() not in seen:
            seen.add(item[2].lower())
            unique.append(item)
    return tuple(unique)


def model_ids(text: str) -> list[str]:
    """Hub ids and well-known short names, in the order written, each once.

    Found: OWNER/NAME ids ("suno/bark", "EleutherAI/gpt-neo-1.3B"), huggingface.co URLs (their
    id), ids in backticks, quoted single words with a digit ('distilgpt2'), and the short names of
    ``KNOWN_SHORT_IDS`` with version or size suffixes ("llama-2-7b-chat", "gpt-neo-125m",
    "whisper-large-v3"). Short names come back lower-case with "-" for spaces ("GPT Neo" ->
    "gpt-neo"); OWNER/NAME ids keep their case. A trailing "." or "?" is never part of an id.
    """
    return [ident for _, _, ident in _model_id_spans(_clean(text))]


# ---------------------------------------------------------------------------------------------
# attention_demo
# ---------------------------------------------------------------------------------------------

_Q = "[\"'“”‘’«»]"
_FOCUS_WORD = r"(\w+(?:['’]\w+)?)"
_FOCUS_VERB = _Gated(
    rf"\b(?:word|token|does|do|did|is|was|are)\s+({_Q}?){_FOCUS_WORD}{_Q}?\s+"
    r"(?:attend|refer|look|point|pay|focus|relate|link)\w*",
    ("attend", "refer", "look", "point", "pay", "focus", "relate", "link"),
)
_FOCUS_NAMED = _Gated(
    rf"\b(?:focus(?:\s+(?:on|word))?|(?:for\s+)?the\s+(?:word|token))\s*[:=]?\s*({_Q}?){_FOCUS_WORD}",
    ("focus", "word", "token"),
)
_SENTENCE_CUE = re.compile(
    r"(?:\b(?:in|for|on|of)\s+|:\s*)(?:the\s+(?:sentence|text|phrase)\b\s*:?\s*)?", re.I
)
_WORDS = re.compile(r"\w+(?:['’]\w+)*")
_CAUSAL = _Gated(
    r"(?<![A-Za-z])(?:smol|causal|gpt|decoder)",
    ("smol", "causal", "gpt", "decoder"),
)
_GRID = _Gated(
    r"\ball\s+(?:the\s+)?(?:\d+\s+)?heads\b|\bgrid\b|\b(?:every|each)\s+head\b|\bheads\s+side\s+by\s+side\b",
    ("head", "grid"),
)
_ALL_N_HEADS = _Gated(
    r"\ball\s+(?:the\s+)?\d+\s+heads\b",
    ("heads",),
)


MAX_SENTENCE_CHARS = 600  # an unquoted demo sentence is read from the message's last 600 characters


def _words_of(sentence: str) -> set[str]:
    return {w.lower().replace("’", "'") for w in _WORDS.findall(sentence)}


def _unquoted_sentence(text: str) -> str | None:
    """A sentence written without quotes after "in", "for", "on", "of" or ":" at the end of the message.

    After "in/for/on/of" it must start with a capital ("attention in The cat sat down"); after ":"
    or "the sentence" any case goes ("for this sentence: it's raining again"). It must have at
    least three words and run to the end of the message (a final "?" is dropped).
    """
    body = text.rstrip().rstrip("?").rstrip()
    boundary = max(body.rfind("?"), body.rfind("!"), len(body) - MAX_SENTENCE_CHARS) + 1
    for m in _SENTENCE_CUE.finditer(body, boundary):
        rest = body[m.end() :]
        if len(rest.split()) < 3:
            return None  # later cues leave even fewer words
        lenient = ":" in m.group() or m.group().strip().lower().endswith(("sentence", "text", "phrase"))
        if lenient or rest[0].isupper():
            return rest.strip()
    return None


def attention_args(text: str) -> dict[str, Any]:
    """Arguments of attention_demo: sentence, focus word, layer, head, model, grid.

    The sentence is the longest quoted passage other than the focus word, else a sentence written
    at the end of the message (see :func:`_unquoted_sentence`), else the default. A focus word
    ("which word does 'it' attend to", "focus on 'bank'") is kept when it was quoted or is a word
    of the sentence; asked for without a sentence, it gets the notes' example sentence when that
    one contains it. Layer, head, model and grid are read outside the quotes.
    """
    text = _clean(text)
    args: dict[str, Any] = {}
    outside = _blank_quotes(text)
    quotes = quoted(text)
    focus = None
    m = _FOCUS_VERB.search(text) or _FOCUS_NAMED.search(text)
    if m:
        focus, focus_quoted = m.group(2), bool(m.group(1))
        quotes = [q for q in quotes if q.lower() != focus.lower()]
    sentence = max(quotes, key=len) if quotes else _unquoted_sentence(outside)
    if focus is not None:
        in_sentence = focus.lower().replace("’", "'") in _words_of(sentence or "")
        if in_sentence or focus_quoted:
            args["focus"] = focus
        if sentence is None and not in_sentence:
            fallback = focus.lower() in _words_of(FOCUS_EXAMPLE_SENTENCE)
            if fallback and focus.lower() not in _words_of(DEFAULT_ATTENTION_SENTENCE):
                sentence = FOCUS_EXAMPLE_SENTENCE
    args["sentence"] = sentence or DEFAULT_ATTENTION_SENTENCE
    numbers = outside
    for span in _ALL_N_HEADS.finditer(outside):  # "all 12 heads" is a count, not head 12
        numbers = _blank(numbers, span.start(), span.end())
    layer, head = _int(number_after(numbers, *_LAYER_WORDS)), _int(number_after(numbers, *_HEAD_WORDS))
    if layer is not None:
        args["layer"] = layer
    if head is not None:
        args["head"] = head
    if _CAUSAL.search(outside):
        args["model"] = "smollm2"
    if _GRID.search(outside):
        args["grid"] = True
    return args


# ---------------------------------------------------------------------------------------------
# positional_encoding_demo
# ---------------------------------------------------------------------------------------------

_PAIR_JOINERS = frozenset(
    {
        "and",
        "vs",
        "vs.",
        "versus",
        "with",
        "compared to",
        "compared with",
        "against",
        "or",
        "to",
        "and then",
        "",
    }
)


def _sentence_pair(text: str) -> list[str] | None:
    """Two quoted sentences to compare: the first two joined by and / vs / versus / with / compared
    to (in any quote style), else simply the first two quoted passages."""
    spans = quote_spans(text)
    for (_, end, first), (start, _, second) in zip(spans, spans[1:], strict=False):
        if text[end:start].strip(" ,;").lower() in _PAIR_JOINERS:
            return [first, second]
    return [spans[0][2], spans[1][2]] if len(spans) >= 2 else None


def positional_args(text: str) -> dict[str, Any]:
    """Arguments of positional_encoding_demo: positions, dim and a pair of sentences.

    "64 positions", "positions=64", "sequence length 100"; "128 dims", "128-dimensional",
    "dimension 128", "d_model=128"; sentences from :func:`_sentence_pair`.
    """
    text = _clean(text)
    outside = _blank_quotes(text)
    args: dict[str, Any] = {}
    positions = _int(number_after(outside, *_POSITION_WORDS))
    dim = _int(number_after(outside, *_DIM_WORDS))
    if positions is not None:
        args["positions"] = positions
    if dim is not None:
        args["dim"] = dim
    pair = _sentence_pair(text)
    if pair:
        args["sentences"] = pair
    return args


# ---------------------------------------------------------------------------------------------
# training_demo
# ---------------------------------------------------------------------------------------------

_DATASETS = _Gated(
    r"\b(xor|moons?|circles?)\b",
    ("xor", "moon", "circle"),
)
_NAMED_DATASET = _Gated(
    r"\b(?:on|the|a)\s+(?:the\s+)?([a-z][\w-]*)\s+(?:data ?set|data|problem)\b",
    ("data", "problem"),
)
_NOT_DATASET_NAMES = frozenset(
    "toy small tiny training test my this that your our same new default example following whole full "
    "simple random synthetic sample some".split()
)
_HIDDEN_LIST = _Gated(
    r"\bhidden(?:[\s_-]*(?:layers?|sizes?|units?|widths?))?\s*[=:]?\s*[\[(]\s*(\d+(?:\s*,\s*\d+){0,7})\s*[\])]",
    ("hidden",),
)
_COMMA = re.compile(r"\s*,\s*")
_COUNT = r"(\d+|an?|one|single|two|three|four|five|six|seven|eight|nine|ten)"
_LAYERS = _Gated(
    rf"\b{_COUNT}\s+(hidden\s+)?layers?\b(?:\s+(?:of|with)\s+(?:size\s+|width\s+)?(\d+)\b"
    r"(?:\s*(?:units?|neurons?|nodes?))?(?:\s+each)?)?",
    ("layer",),
)
_WIDTH = _Gated(
    r"(?<![\w.,])(\d+)\s*(?:hidden\s+)?(?:units?|neurons?|nodes?)\b"
    r"|(?<![\w.,])(\d+)[\s-]*hidden\b(?!\s+layers?)"
    r"|\bhidden\s*(?:layers?\s*)?(?:units?|neurons?|sizes?|width|dim(?:ension)?s?)?\s*(?:of|=|:|with)?\s*(\d+)\b",
    ("hidden", "unit", "neuron", "node"),
)


def _hidden(text: str) -> list[int] | None:
    """Hidden layer sizes: "16 hidden units" -> [16], "two hidden layers of 8" -> [8, 8],
    "hidden=[16, 16]" -> [16, 16], "two hidden layers" -> [8, 8] (the tool's default width).

    The count is capped at MAX_LISTED_LAYERS so the list stays small; the tool rejects more than 4.
    """
    listed = _HIDDEN_LIST.search(text)
    if listed:
        return [int(v) for v in _COMMA.split(listed.group(1))]
    count = width = None
    # "two layers" alone may not be about the hidden ones; "two hidden layers", "3 layers of 16" are
    layers = next((m for m in _LAYERS.finditer(text) if m.group(2) or m.group(3)), None)
    if layers:
        word = layers.group(1).lower()
        count = _WORD_NUMBERS.get(word) or (int(word) if word.isdigit() else None)
        if layers.group(3):
            width = int(layers.group(3))
        text = _blank(text, layers.start(), layers.end())
    if width is None:
        m = _WIDTH.search(text)
        if m:
            width = int(next(g for g in m.groups() if g))
    if count is None and width is None:
        return None
    return [width or DEFAULT_HIDDEN_WIDTH] * min(count or 1, MAX_LISTED_LAYERS)


def training_args(text: str) -> dict[str, Any]:
    """Arguments of training_demo: dataset, epochs, lr, seed, hidden.

    The dataset is the first of xor / moons / circles named (quoted or not), else a name written
    as "on the NAME dataset" (passed through so the tool can list the valid ones).
    """
    text = _clean(text)
    outside = _blank_quotes(text)
    args: dict[str, Any] = {}
    known = _DATASETS.search(text)
    if known:
        name = known.group(1).lower()
        args["dataset"] = {"moon": "moons", "circle": "circles"}.get(name, name)
    else:
        for named in _NAMED_DATASET.finditer(text):
            if named.group(1).lower() not in _NOT_DATASET_NAMES:
                args["dataset"] = named.group(1).lower()
                break
    epochs = _int(number_after(outside, *_EPOCH_WORDS))
    if epochs is not None:
        args["epochs"] = epochs
    lr = number_after(outside, *_LR_WORDS)
    if lr is not None:
        args["lr"] = lr
    seed = _int(number_after(outside, *_SEED_WORDS))
    if seed is not None:
        args["seed"] = seed
    hidden = _hidden(outside)
    if hidden is not None:
        args["hidden"] = hidden
    return args


# ---------------------------------------------------------------------------------------------
# online_learning_demo
# ---------------------------------------------------------------------------------------------

_DRIFT = _Gated(
    r"\b(?:drift|change|shift|switch)\w*(?:\s+(?:happens|occurs|comes|starts|point))?\s*"
    r"(?:_?at|after|from|point|@|=|:)\s*[=:]?\s*(?:(?:step|event|t)\s*[=:]?\s*)?(?:#\s*)?" + NUMBER,
    ("drift", "change", "shift", "switch"),
)
_RETRAIN = _Gated(
    r"\bretrain\w*(?:[^\d.,;:!?]{0,40}?\bevery|\s*(?:interval|period)?\s*(?:=|:|of|is)?)\s*" + NUMBER,
    ("retrain",),
)
_EVERY = _Gated(
    r"\bevery\s+" + NUMBER,
    ("every",),
)


def online_args(text: str) -> dict[str, Any]:
    """Arguments of online_learning_demo: steps, drift_at, retrain_every, seed.

    "drift at step 500" and "retrain every 250 events" are read first and blanked out, so their
    "step"/"events" do not also count as the number of steps ("4,000 steps").
    """
    outside = _blank_quotes(_clean(text))
    args: dict[str, Any] = {}
    for name, pattern in (("drift_at", _DRIFT), ("retrain_every", _RETRAIN), ("retrain_every", _EVERY)):
        if name in args:
            continue
        for m in pattern.finditer(outside):
            value = _to_float(m.group(1), m.group(2))
            if value is not None:
                args[name] = int(value)
                outside = _blank(outside, m.start(), m.end())
                break
    steps = _int(number_after(outside, *_STEP_WORDS))
    if steps is not None:
        args["steps"] = steps
    seed = _int(number_after(outside, *_SEED_WORDS))
    if seed is not None:
        args["seed"] = seed
    return dict(sorted(args.items()))


# ---------------------------------------------------------------------------------------------
# hub_lookup
# ---------------------------------------------------------------------------------------------

_SEARCH_CUE = _Gated(
    r"\b(?:search(?:ing)?|browse|list)\b|\b(?:find|look(?:ing)?\s+for|show\s+me)\b[^.?!]{0,60}?\bmodels\b",
    ("search", "browse", "list", "models"),
)
_QUERY_LEAD = _Gated(
    r"\b(?:search(?:ing)?|browse|list|look(?:ing)?\s+for|find|show(?:\s+me)?)\s+"
    r"(?:(?:on|in)\s+)?(?:the\s+)?(?:(?:hugging\s*face|hf)\s*)?(?:hub\s+)?(?:for\s+)?"
    r"(?:(?:some|all|the|popular|top|good|best|any)\s+)*(?:models?\s+(?:for|about|that|which|to)\s+)?",
    ("search", "browse", "list", "look", "find", "show"),
)
_QUERY_TAIL = re.compile(
    r"(?:\s+(?:models?|checkpoints?))?(?:\s+(?:on|in|from)\s+(?:the\s+)?(?:hugging\s*face|hf|hub)(?:\s+hub)?)?"
    r"\s*[?.!]*\s*$",
    re.I,
)


def hub_args(text: str) -> dict[str, Any]:
    """Arguments of hub_lookup: ``compare`` for two or more ids, else ``model_id`` for one, else
    ``query``. A search request ("search the Hub for whisper models", "list speech models") is a
    query even when it names one model."""
    text = _clean(text)
    ids = model_ids(text)
    if len(ids) >= 2:
        return {"compare": ids}
    if ids and not _SEARCH_CUE.search(text):
        return {"model_id": ids[0]}
    lead = _QUERY_LEAD.search(text)
    if lead:
        rest = text[lead.end() :]
        head, tail = rest[:-120], rest[-120:]
        query = (head + _QUERY_TAIL.sub("", tail)).strip(" ,;:")
        if query:
            return {"query": query}
    return {"query": ids[0] if ids else text.strip()}


# ---------------------------------------------------------------------------------------------
# generate_text, generate_image, generate_audio
# ---------------------------------------------------------------------------------------------

_LEAD_CONNECTOR = re.compile(
    r"(?:[,;]\s*)?(?:\b(?:and|with|at|using|in|of|for|to|a|an|the|max(?:imum)?|up|most|no|more|than|set)\s+)*$",
    re.I,
)
_MODEL_CUE_BEFORE = re.compile(
    r"\b(?:use|using|with|via|run|try|on|in|by|have|let|ask|switch\s+to)\s+(?:the\s+)?$", re.I
)
_MODEL_CUE_AFTER = re.compile(r"(?:\s+model\b)?(?:\s+to\b)?", re.I)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])")
_TEXT_COLON = re.compile(
    r"^(?:(?:please|can\s+you|could\s+you)\s+)?(?:generate|continue|complete|finish|extend|prompt|text|story)\b"
    r"[^:]{0,60}(?<!\d):(?!\d)\s*",
    re.I,
)
_IMAGE_NOUN = _Gated(
    r"\b(?:picture|image|photo(?:graph)?|pic|illustration|painting|drawing|sketch|render(?:ing)?|artwork|"
    r"portrait|poster|watercolou?r|wallpaper|cartoon|logo|icon|scene)s?\s+"
    r"(?:of|showing|depicting|that\s+shows|featuring)\s+",
    (
        "pic",
        "image",
        "photo",
        "illustration",
        "painting",
        "drawing",
        "sketch",
        "render",
        "artwork",
        "portrait",
        "poster",
        "watercolo",
        "wallpaper",
        "cartoon",
        "logo",
        "icon",
        "scene",
    ),
)
_IMAGE_VERB = re.compile(
    r"^(?:(?:please|can\s+you|could\s+you|would\s+you|i'd\s+like\s+you\s+to|i\s+want\s+you\s+to)\s+)*"
    r"(?:draw|paint|sketch|illustrate|render|imagine|visuali[sz]e|create|make|generate|produce|design|show)"
    r"\s+(?:me\s+|us\s+)?",
    re.I,
)
_GENERIC_IMAGE = re.compile(
    r"^(?:an?\s+|the\s+|some\s+)?(?:picture|image|photo|pic|illustration|drawing|painting)s?$", re.I
)
# "Label: payload" ("Read this aloud: deep learning is fun", "Image: a fox"): not the colon of a time
# ("showing 10:30") or of a link ("https://...").
_LABEL_COLON = re.compile(r"^[^:]{1,80}(?<!\d):(?![\d/])\s*")
_AUDIO_CUE = _Gated(
    r"\b(?:saying|says|say|speak(?:ing)?|pronounce|narrate|utter|read(?:\s+out)?(?:\s+(?:loud|aloud))?)\s+"
    r"(?:the\s+(?:words?|sentence|text|phrase)\s+)?(?:out\s+loud\s+|aloud\s+)?",
    ("say", "speak", "pronounce", "narrate", "utter", "read"),
)
_TO_SPEECH = _Gated(r"\s+(?:in)?to\s+(?:speech|audio|voice|sound)\b", ("speech", "audio", "voice", "sound"))
_CONVERT_VERB = re.compile(r"\b(?:convert|turn|make)\s+", re.I)
_AUDIO_TAIL = re.compile(
    r"(?:\s+(?:out\s+loud|aloud|for\s+me|please|as\s+(?:audio|speech)|in\s+an?\s+\w+\s+voice))+\s*[?.!]*\s*$",
    re.I,
)
_PLEASE_TAIL = re.compile(r"(?:,?\s+(?:please|pls|plz))?\s*[?.!]*\s*$", re.I)


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` without the setting phrases at ``spans``, each with its connector ("with 60 tokens")."""
    for start, end in sorted(spans, reverse=True):
        window = text[max(0, start - 40) : start]
        lead = _LEAD_CONNECTOR.search(window)
        if lead:
            start -= len(window) - lead.start()
        text = text[:start] + " " + text[end:]
    return _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(text.split())).strip(" ,;:-")


def _model_clause(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of "use gpt2 to" / "with gpt-neo" / "the gpt2 model" around a model id, if cued."""
    window = text[max(0, start - 24) : start]
    before = _MODEL_CUE_BEFORE.search(window)
    after = _MODEL_CUE_AFTER.match(text, end)
    after_end = after.end() if after else end
    if before:
        return start - (len(window) - before.start()), after_end
    if after_end > end and text[end:after_end].strip().lower().startswith("model"):
        return start, after_end
    return None


def _cued_models(text: str, families: Iterable[str]) -> list[tuple[tuple[int, int], str]]:
    """Models named with a cue ("with bark", "use suno/bark-small to") that are a Hub id with an owner or
    of one of ``families``: each one's clause span (to cut from the payload) and its id, in order."""
    named = []
    for start, end, ident in _model_id_spans(text):
        clause = _model_clause(text, start, end)
        if clause and ("/" in ident or _known_family(ident) in families):
            named.append((clause, ident))
    return named


def _settings(text: str, names: dict[str, tuple[str, ...]]) -> tuple[dict[str, float], list[tuple[int, int]]]:
    """Values and spans of numeric settings, each found by its unit words."""
    values: dict[str, float] = {}
    spans: list[tuple[int, int]] = []
    numbers = _numbers(text)
    for name, words in names.items():
        found = _number_span(text, *words, numbers=numbers)
        if found is not None:
            values[name] = found[0]
            spans.append((found[1], found[2]))
            numbers = tuple(n for n in numbers if not found[1] <= n[1] < found[2])  # each number once
    return values, spans


def _capitalised_like(result: str, original: str) -> str:
    if result and original[:1].isupper() and result[:1].islower():
        return result[0].upper() + result[1:]
    return result


_TEXT_SETTINGS = {
    "max_new_tokens": _TOKEN_WORDS,
    "temperature": _TEMPERATURE_WORDS,
    "top_p": _TOP_P_WORDS,
    "seed": _SEED_WORDS,
}


def generate_text_args(text: str) -> dict[str, Any]:
    """Arguments of generate_text: prompt, max_new_tokens, temperature, top_p, seed, model.

    The prompt is, in order: a quoted passage of two or more words ("Continue this story: 'The
    robot opened the door'"); the text after the colon of "Generate text: …" / "Continue: …" /
    "Complete this: …"; else the whole request, because the instruct model is asked to carry it
    out ("Write a poem about painting"). Setting phrases ("with 60 tokens", "at temperature 0.9",
    "use gpt2 to") are cut out of an unquoted prompt. A model is an OWNER/NAME id, or a known
    text-generation family next to a usage cue ("use gpt2", "with gpt-neo", "the gpt2 model");
    a bare English word such as "mistral" or "llama" in a topic is not a model.
    """
    text = _clean(text)
    outside = _blank_quotes(text)
    values, spans = _settings(outside, _TEXT_SETTINGS)
    args: dict[str, Any] = {}
    model = None
    for start, end, ident in _model_id_spans(text):
        if ident.lower() in ("smollm2", "smollm"):
            continue  # the bundled default: leave model empty
        clause = _model_clause(text, start, end)
        family = _known_family(ident)
        if "/" in ident or (family in TEXT_MODEL_FAMILIES and clause):
            model = ident
            if clause:
                spans.append(clause)
            break
    long_quotes = [q for q in quoted(text) if len(q.split()) >= 2]
    if long_quotes:
        prompt = max(long_quotes, key=len)
    else:
        prompt = _cut(text, spans)
        colon = _TEXT_COLON.match(prompt)
        if colon and prompt[colon.end() :].strip():
            prompt = prompt[colon.end() :].strip()
        else:
            prompt = _capitalised_like(prompt, text)
        prompt = prompt or text
    args["prompt"] = prompt
    for name in ("max_new_tokens", "seed"):
        if name in values:
            args[name] = int(values[name])
    for name in ("temperature", "top_p"):
        if name in values:
            args[name] = values[name]
    if model:
        args["model"] = model
    return args


def _known_family(ident: str) -> str:
    """The KNOWN_SHORT_IDS entry an id starts with ("gpt-neo-125m" -> "gpt-neo"), else the id."""
    m = _KNOWN.fullmatch(ident)
    return "-".join(m.group(1).lower().split()) if m else ident.lower()


_IMAGE_SETTINGS = {"steps": _IMAGE_STEP_WORDS, "seed": _SEED_WORDS}


def generate_image_args(text: str) -> dict[str, Any]:
    """Arguments of generate_image: prompt, steps, seed.

    The prompt is the longest quoted passage, else what follows "Image: …", "a picture/image/
    photo/illustration of …", or a drawing verb ("Draw a cat astronaut" -> "a cat astronaut"),
    else the whole request; setting phrases ("with 10 steps", "seed 7") and a cued model name
    ("with stable diffusion") are cut out.
    """
    text = _clean(text)
    outside = _blank_quotes(text)
    values, spans = _settings(outside, _IMAGE_SETTINGS)
    args: dict[str, Any] = {}
    quotes = quoted(text)
    if quotes:
        args["prompt"] = max(quotes, key=len)
    else:
        # "with stable diffusion" is cut from the prompt; "a tree with bark" keeps its bark
        spans.extend(clause for clause, _ in _cued_models(text, IMAGE_MODEL_FAMILIES))
        rest = _cut(text, spans)
        prompt = ""
        labelled = label_and_payload(rest, 60)  # "Image: a fox"
        noun = _IMAGE_NOUN.search(rest)
        verb = _IMAGE_VERB.match(rest)
        if labelled:
            prompt = labelled[1]
        elif noun:
            prompt = rest[noun.end() :]
        elif verb and not _GENERIC_IMAGE.match(rest[verb.end() :].rstrip(" .!?")):
            prompt = rest[verb.end() :]
        prompt = (prompt[:-120] + _PLEASE_TAIL.sub("", prompt[-120:])).strip(" ,;:")
        args["prompt"] = prompt or text
    for name in ("steps", "seed"):
        if name in values:
            args[name] = int(values[name])
    return args


def label_and_payload(text: str, max_label_chars: int = 80) -> tuple[str, str] | None:
    """The label and the payload of "Label: payload", or None when the message has no such colon."""
    colon = _LABEL_COLON.match(text)
    if colon is None:
        return None
    label, payload = text[: colon.group().index(":")], text[colon.end() :]
    return (label, payload) if len(label) <= max_label_chars and payload.strip() else None


def generate_audio_args(text: str) -> dict[str, Any]:
    """Arguments of generate_audio: the text to speak, and a text-to-speech model when one is named.

    The longest quoted passage ("Say 'hello world' out loud"), else what follows a colon ("Read
    this aloud: deep learning is fun"), else what follows "say / saying / speak / read out /
    pronounce" or sits in "turn … into speech", without "out loud", "aloud", "please" at the end,
    else the whole message. A speech model named with a cue outside the quotes ("with bark",
    "use suno/bark-small to") becomes ``model`` and is not spoken.
    """
    text = _clean(text)
    args: dict[str, Any] = {}
    outside = _blank_quotes(text)
    named = _cued_models(outside, SPEECH_MODEL_FAMILIES)
    if named:
        args["model"] = named[0][1]
    voices = [clause for clause, _ in named]
    quotes = quoted(text)
    if quotes:
        return {"text": max(quotes, key=len)} | args
    text = _cut(text, voices) if voices else text
    spoken = ""
    labelled = label_and_payload(text)
    to_speech = _TO_SPEECH.search(text)
    window = text[max(0, to_speech.start() - 200) : to_speech.start()] if to_speech else ""
    convert = [m.end() for m in _CONVERT_VERB.finditer(window)]  # "turn X into speech": the last verb
    cue = _AUDIO_CUE.search(text)
    if labelled:
        spoken = labelled[1]
    elif convert:
        spoken = window[convert[-1] :]
    elif cue:
        spoken = text[cue.end() :]
    if spoken:
        head, tail = spoken[:-120], spoken[-120:]
        spoken = (head + _AUDIO_TAIL.sub("", tail)).strip().rstrip("?").strip()
    return {"text": spoken or text.strip()} | args


# ---------------------------------------------------------------------------------------------
# Checking extracted arguments
# ---------------------------------------------------------------------------------------------


def _same(expected: Any, got: Any) -> bool:
    if isinstance(expected, str) and isinstance(got, str):
        return expected.lower().rstrip(".?!") == got.lower().rstrip(".?!")
    if isinstance(expected, list) and isinstance(got, list):
        return len(expected) == len(got) and all(_same(e, g) for e, g in zip(expected, got, strict=True))
    return bool(got == expected)


def arguments_match(expected: dict[str, Any], actual: dict[str, Any]) -> bool:
    """Whether extracted arguments hold every expected value.

    Strings (also inside lists) are compared without case or end punctuation, because "the cat
    sat." and "The cat sat" name the same sentence; everything else must be equal.
    """
    return all(_same(value, actual.get(key)) for key, value in expected.items())
