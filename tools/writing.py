"""What a writing request asks for, and when the text written for it is finished.

``plan_writing`` reads the request's form from a small data table (``FORMS``, read from
``tools/data/forms.toml``: haiku, limerick, poem, email, story, summary, list, explanation, ...)
and a length the user asked for ("in 50 words", "three sentences", "two paragraphs", "5 tips",
"a short ..."). The model
gets the user's own text unchanged, followed by one line saying what shape the answer takes,
and a token budget that fits the form and the length.

``TextWatch`` reads the streamed pieces as they come and says when to stop: the asked length
is reached, the form is complete (three haiku lines, an email signed with a name), the tail
repeats an earlier run of words (a loop), or the soft budget has passed and a paragraph or a
sentence ends. It never holds a token back; what it trims (an unfinished last sentence, a
repeated tail) is cut from the final text only.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import resources
from typing import Literal

Unit = Literal["word", "sentence", "paragraph", "line", "item"]
StopReason = Literal["loop", "complete"]

# A run of this many words seen twice means the model is looping. With the repeat penalty, the longest
# repeated run in outputs that read fine was 9 words (a refrain, 60 outputs: 20 writing prompts sampled
# with 2 seeds and greedy), while greedy loops repeated runs of 11 to 21 words; at 6 words the watch cut
# a tip list at its third item ("learn as much as you can" twice). Detection costs a dict lookup per word.
LOOP_WORDS = 10
# About the tokens one unit costs SmolLM2, read off the writing bench's outputs: 1.2 to 1.4 tokens a word
# (poems more), 26 to 31 a sentence, 76 to 88 a paragraph, 9 to 12 a poem line, 12 to 40 a list item.
TOKENS_PER = {"word": 1.4, "sentence": 30, "paragraph": 90, "line": 12, "item": 35}
SHORT_WORDS = frozenset({"short", "brief", "quick", "little", "tiny", "mini", "concise"})
LONG_WORDS = frozenset({"long", "longer", "detailed", "lengthy", "extended", "thorough", "in-depth"})
SHORT_SCALE, LONG_SCALE = 0.6, 1.8
SOFT_PARAGRAPH, SOFT_SENTENCE = 0.7, 0.9  # shares of the budget after which a paragraph / sentence end stops
# An asked number of words is met between these shares: the model may not end before the first,
# a sentence end past the second stops it, and past the third it is cut back to the last sentence end.
MIN_WORDS_SHARE, ENOUGH_WORDS_SHARE, MAX_WORDS_SHARE = 0.8, 0.85, 1.2


@dataclass(frozen=True)
class Length:
    """A length in units of text: 3 lines, 50 words, 2 paragraphs."""

    count: int
    unit: Unit


@dataclass(frozen=True)
class Form:
    """A kind of writing: the request words that name it, what the model is told, how long it runs."""

    name: str
    cues: tuple[str, ...]  # request words naming it, lower case
    instruction: str  # one line after the user's request
    budget: int  # most new tokens when no length is asked
    shape: Length | None = None  # its own length (a haiku is 3 lines)
    in_lines: bool = False  # written line by line (poems, lists, dialogue): trim to a whole line
    signed: bool = False  # ends with a sign-off and a name (email, letter)
    opening: tuple[str, ...] = ()  # the answer's first word is one of these (a greeting)
    sign_off: str = ""  # written for a signed form that would end without one
    line_words: int | None = None  # words after which a line must end (a haiku's lines are short)
    numbered: bool = False  # a numbered list: "1." opens it, and each asked item gets its number


def _read_forms() -> tuple[Form, ...]:
    """The forms table, ``tools/data/forms.toml``: data (request words, instructions, budgets) that is
    tuned by reading the writing bench's outputs, kept apart from the code that applies it."""
    from pydantic import TypeAdapter

    rows = tomllib.loads(resources.files("tools").joinpath("data", "forms.toml").read_text(encoding="utf-8"))
    return tuple(TypeAdapter(list[Form]).validate_python(rows["form"]))


FORMS = _read_forms()
PROSE = Form("prose", (), "", 250)
EXPLANATION = next(f for f in FORMS if f.name == "explanation")
# A request that opens with a question word asks for an explanation ("How do I write a haiku?").
QUESTION_WORDS = frozenset({"what", "why", "how", "who", "when", "where", "which", "whats", "what's"})
# Forms named by a verb only count when no form noun is in the request ("explain in a haiku ..." is a haiku).
_VERB_FORMS = frozenset({"explanation"})

_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "single": 1, "two": 2, "couple": 2, "pair": 2, "three": 3, "few": 3,
    "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11,
    "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "hundred": 100,
}  # fmt: skip
_UNITS: dict[str, Unit] = {
    "word": "word", "sentence": "sentence", "paragraph": "paragraph", "para": "paragraph",
    "line": "line", "verse": "line", "item": "item", "point": "item", "bullet": "item", "tip": "item",
    "idea": "item", "step": "item", "reason": "item", "way": "item", "example": "item", "fact": "item",
    "suggestion": "item", "name": "item", "benefit": "item",
}  # fmt: skip
_LENGTH = re.compile(
    r"(?:\b(?P<prep>about|of|on|regarding|for|with|from|into|like)\s+)?"
    r"\b(?P<n>\d{1,4}|" + "|".join(_NUMBERS) + r")(?:\s+of)?[\s-]+"
    r"(?P<unit>" + "|".join(_UNITS) + r")s?\b",
    re.I,
)
_WORD = re.compile(r"[a-z][a-z'-]*")
_LIMITS: dict[Unit, tuple[int, int]] = {  # sensible bounds of an asked count
    "word": (5, 700), "sentence": (1, 30), "paragraph": (1, 8), "line": (1, 60), "item": (1, 30),
}  # fmt: skip


@dataclass(frozen=True)
class WritingPlan:
    """How one request is written: its form, the length aimed at, the token budget, the model's message."""

    form: Form
    length: Length | None  # asked by the user, else the form's own shape
    asked: bool  # the user asked for this length (or for max_new_tokens)
    budget: int  # most new tokens
    message: str  # the user's text plus the form's instruction
    fixed: bool = False  # the caller set max_new_tokens: the text is kept as generated up to it


def request_head(prompt: str) -> str:
    """The part of a prompt that says what to write: before a colon or a line break, at most 40 words."""
    head = re.split(r"[:\n]", prompt.strip(), maxsplit=1)[0]
    return " ".join(head.split()[:40])


def find_form(prompt: str) -> Form:
    """The form a request names: a question is an explanation, else the earliest form word wins."""
    return _form_at(_WORD.findall(request_head(prompt).lower()))[0]


def _form_at(words: list[str]) -> tuple[Form, int]:
    """The form ``words`` name and the position of the word naming it (-1 when none does)."""
    if words and words[0] in QUESTION_WORDS:
        return EXPLANATION, -1
    found: list[tuple[bool, int, int, Form]] = []
    for order, form in enumerate(FORMS):
        position = next((i for i, word in enumerate(words) if word in form.cues), None)
        if position is not None:
            found.append((form.name in _VERB_FORMS, position, order, form))
    if not found:
        return PROSE, -1
    _, position, _, form = min(found, key=lambda item: item[:3])
    return form, position


def find_length(prompt: str) -> Length | None:
    """The length a request asks for ("in 50 words", "three sentences", "a 100-word story"), if any."""
    for match in _LENGTH.finditer(request_head(prompt)):
        word = match.group("n").lower()
        count = int(word) if word.isdigit() else _NUMBERS[word]
        unit = _UNITS[match.group("unit").lower()]
        # "a poem about a line of ants" names a topic, not a length; "about 50 words" is a length.
        if match.group("prep") and word in ("a", "an"):
            continue
        if word in ("a", "an") and unit == "word":  # "in a word", "a word about ..."
            continue
        low, high = _LIMITS[unit]
        if low <= count <= high:
            return Length(count, unit)
    return None


def _scale(words: list[str], position: int) -> float:
    """0.6 for "a short poem", 1.8 for "a long story": a size word among the three before the form word."""
    near = set(words[max(0, position - 3) : position]) if position >= 0 else set()
    if near & SHORT_WORDS or set(words) & {"briefly", "concisely"}:
        return SHORT_SCALE
    if near & LONG_WORDS:
        return LONG_SCALE
    return 1.0


def length_instruction(length: Length) -> str:
    """What the model is told about an asked length."""
    plural = "" if length.count == 1 else "s"
    if length.unit == "word":
        return f"Use about {length.count} words."
    if length.unit == "item":
        return f"Give exactly {length.count} item{plural}, numbered, one per line."
    return f"Write exactly {length.count} {length.unit}{plural}."


def length_budget(length: Length) -> int:
    """Tokens enough for ``length`` with room to finish the last unit."""
    return int(length.count * TOKENS_PER[length.unit] * 1.35) + 24


def plan_writing(prompt: str, max_new_tokens: int | None, ceiling: int, instruct: bool = True) -> WritingPlan:
    """The plan for ``prompt``: an explicit ``max_new_tokens`` is the budget; else the form and length set it.

    ``ceiling`` caps every budget (the tool's and the turn's limits). A model without a chat
    template (``instruct=False``) continues the text as it is: no instruction is added.
    """
    words = _WORD.findall(request_head(prompt).lower())
    form, position = _form_at(words)
    asked_length = find_length(prompt)
    length = asked_length or form.shape
    if asked_length is not None:
        budget = length_budget(asked_length)
    else:
        budget = int(form.budget * _scale(words, position))
    asked = asked_length is not None or max_new_tokens is not None
    if max_new_tokens is not None:
        budget = max_new_tokens
    budget = max(1, min(budget, ceiling))
    fixed = max_new_tokens is not None
    if not instruct:  # a base model continues the text: no form to steer it into, only the length
        return WritingPlan(PROSE, asked_length, asked, budget, prompt, fixed)
    lines = [form.instruction] if form.instruction else []
    if asked_length is not None and asked_length != form.shape:
        lines.append(length_instruction(asked_length))
    message = prompt.rstrip() + ("\n\n" + " ".join(lines) if lines else "")
    return WritingPlan(form, length, asked, budget, message, fixed)


# --------------------------------------------------------------------------- watching the stream

_SIGN_OFFS = tuple(
    sorted(
        (
            "best", "regards", "kind regards", "warm regards", "best regards", "warmest regards",
            "kindest regards", "sincerely", "sincerely yours", "yours sincerely", "yours truly",
            "yours faithfully", "yours", "thanks", "thanks again", "thank you", "thank you again", "many thanks",
            "cheers", "warmly", "respectfully", "cordially", "love", "all the best", "take care",
            "with gratitude", "with love", "see you", "talk soon", "best wishes", "warm wishes",
        ),
        key=len,
        reverse=True,
    )
)  # fmt: skip
_ABBREVIATIONS = frozenset({"mr", "mrs", "ms", "dr", "st", "vs", "etc", "jr", "sr", "prof", "no", "approx"})
_ITEM_MARKER = re.compile(r"(?:\d{1,2}[.)]|[-*•])")
_TERMINATORS = ".!?…"
_CLOSERS = "\"')]}”’*_"
_PARAGRAPH_WORDS = 8  # a block shorter than this is a heading or a title, not a paragraph
_NAME_WORDS = 5  # the line after a sign-off is a name when it is this short


def sign_off(line: str) -> Literal["open", "signed"] | None:
    """'Best regards,' is "open" (a name follows), 'Best, Sam' is "signed", anything else None."""
    words = _WORD.findall(line.lower())
    if not words or len(words) > 8:
        return None
    text = " ".join(words)
    phrase = next((s for s in _SIGN_OFFS if text == s or text.startswith(s + " ")), None)
    if phrase is None:
        return None
    rest = words[len(phrase.split()) :]
    if not rest:
        return "open"
    after = line.lower().split(rest[0], 1)[0]  # the sign-off and what separates it from the name
    return "signed" if "," in after and len(rest) <= 4 else None


def _is_preface(line: str) -> bool:
    """'Here is a haiku:', '# Title', '**Title**': lines around a poem that are not part of it."""
    return line.endswith(":") or line.startswith("#") or (line.startswith("**") and line.endswith("**"))


class TextWatch:
    """Reads streamed text piece by piece and says when it is finished; see the module docstring.

    ``feed`` returns None to go on, or why to stop: "loop" (the last ``loop_words`` words repeat
    an earlier run) or "complete" (the asked length or the form's shape is reached, or the soft
    budget passed at a paragraph or sentence end). ``final`` gives the text to keep. The work per
    character is constant (a dict of word n-grams, counters), so watching costs no throughput.
    """

    def __init__(self, plan: WritingPlan, loop_words: int = LOOP_WORDS) -> None:
        self.plan = plan
        self.loop_words = loop_words
        self.pieces: list[str] = []
        self.size = 0  # characters read
        self.tokens = 0  # pieces read
        self.stopped: StopReason | None = None
        self.cut: int | None = None  # where the kept text ends, once stopped
        self.words: list[str] = []
        self.word_starts: list[int] = []
        self.sentences = 0
        self.lines = 0  # finished lines with content, prefaces and titles left out
        self.paragraphs = 0
        self.items = 0
        self.ends: list[int] = [0]  # where the text may be cut: sentence ends, and line ends for line forms
        self._ngrams: dict[tuple[str, ...], int] = {}
        self._word: list[str] = []
        self._prev = "\n"  # the previous character
        self._pending_end: int | None = None  # a terminator waiting for whitespace to confirm it
        self._line: list[str] = []
        self._line_start = 0
        self._line_is_item = False
        self._line_words = 0
        self._item_kind: str | None = None  # "number" or "bullet": the kind of the first item
        self._last_visible = 0  # just after the last non-space character
        self._newlines = 0  # newlines since the last non-space character
        self._paragraph_words = 0
        self._signed_at: int | None = None  # the line count when an open sign-off line ended
        soft = None if plan.asked or plan.form.signed else plan.budget  # no soft end for an asked length
        self._soft_paragraph = int(soft * SOFT_PARAGRAPH) if soft else None
        self._soft_sentence = int(soft * SOFT_SENTENCE) if soft else None
        self._soft_sign = int(plan.budget * SOFT_PARAGRAPH)  # a signed form signs off past this
        self._sign_forced = False
        self._sign_at: int | None = None  # where the written sign-off begins
        self._splice: int | None = None  # a looping letter is kept up to here, then its sign-off

    @property
    def text(self) -> str:
        return "".join(self.pieces)

    def feed(self, piece: str) -> StopReason | None:
        """Take one streamed piece; the reason to stop, or None."""
        if self.stopped:
            return self.stopped
        self.tokens += 1
        self.pieces.append(piece)
        for char in piece:
            self._char(char, self.size)
            self.size += 1
            if self.stopped:
                break
        return self.stopped

    def final(self, finish: str | None) -> str:
        """The text to keep: cut where the watch stopped; at a derived token cap, up to the last whole sentence.

        A cap the caller set (``max_new_tokens``) keeps the text as generated: they asked for that many tokens.
        A poem cut at a line end loses the comma that line ended with. A letter that looped keeps its text up
        to the loop and the sign-off written after it.
        """
        text = self.text
        cut: int | None = None
        if self.stopped and self.cut is not None:
            cut = self.cut
        elif finish == "length" and not self.plan.fixed:
            last = self._pending_end or self.ends[-1]
            cut = last if last > 0 and text[last:].strip() else None
        if self._splice is not None and self._sign_at is not None:  # the loop out, the sign-off in
            text = text[: self._splice].rstrip() + "\n\n" + text[self._sign_at : cut].lstrip("\n")
            cut = len(text)
        elif self._splice is not None:  # it ended before the sign-off could be written
            cut = self._splice
        if cut is None:
            return text  # as the model wrote it: the streamed pieces, joined
        text = text[:cut].rstrip()
        return text.rstrip(",;") if self.plan.form.in_lines else text

    # ---------------------------------------------------------------- what the steering asks

    def must_go_on(self) -> bool:
        """True while the asked length (or the form's shape) is not reached: the model may not end yet.

        A signed form goes on until its sign-off and the name under it are written.
        """
        if self.stopped:
            return False
        return self.plan.form.signed or self._short_of_length()

    def line_full(self) -> bool:
        """The line has the form's ``line_words`` finished words: it may only end (a word begun may not go on,
        since a token that continues a word cannot be told from one that glues on another)."""
        most = self.plan.form.line_words
        return most is not None and self._line_words >= most

    def due(self, wants_end: bool) -> str | None:
        """Text to write for the model now, or None: a numbered list's "1." at the start and, while asked
        items are missing, the next number at each new line; a signed form's sign-off (``_sign_off_due``).

        ``wants_end``: the model's most likely next token ends the text.
        """
        if self.stopped:
            return None
        length = self.plan.length
        if self.plan.form.numbered and self.tokens == 0:
            return "1."
        asked_items = length.count if length is not None and length.unit == "item" else 0
        if self.plan.form.numbered and self._prev == "\n" and 1 <= self.items < asked_items:
            return f"{self.items + 1}."
        return self._sign_off_due(wants_end)

    def _sign_off_due(self, wants_end: bool) -> str | None:
        """The sign-off, once: the model would end without one, or the soft budget has passed at a
        paragraph break."""
        form = self.plan.form
        if not form.sign_off or self._sign_forced or self._signed_at is not None or self.stopped:
            return None
        if len(self.words) < _PARAGRAPH_WORDS:
            return None
        if not (
            wants_end or self._splice is not None or (self._past(self._soft_sign) and self._newlines >= 2)
        ):
            return None
        self._sign_forced, self._sign_at = True, self.size
        return "\n" * max(0, 2 - self._newlines) + form.sign_off + "\n"

    def _short_of_length(self) -> bool:
        length = self.plan.length
        if length is None:
            return False
        count, unit = length.count, length.unit
        if unit == "word":
            return len(self.words) < int(count * MIN_WORDS_SHARE)
        if unit == "sentence":
            return self.sentences + (self._pending_end is not None) < count
        if unit == "paragraph":
            return self.paragraphs + (self._paragraph_words >= _PARAGRAPH_WORDS) < count
        if unit == "line":
            return self.lines + (self._line_words > 0) < count
        return self.items < count or (self._line_is_item and self._line_words == 0)  # "5." alone is no item

    def _stop(self, reason: StopReason, cut: int) -> None:
        self.stopped, self.cut = reason, cut

    def _reached(self, unit: Unit, count: int) -> bool:
        length = self.plan.length
        return length is not None and length.unit == unit and count >= length.count

    def _words_reached(self, share: float) -> bool:
        length = self.plan.length
        return length is not None and length.unit == "word" and len(self.words) >= int(length.count * share)

    def _past(self, tokens: int | None) -> bool:
        return tokens is not None and self.tokens >= tokens

    # ---------------------------------------------------------------- one character at a time

    def _char(self, char: str, index: int) -> None:
        if char.isalnum() or (char in "'’-" and self._word):
            if not self._word:
                self.word_starts.append(index)
            self._word.append(char)
        elif self._word:
            self._close_word()
            if self.stopped:
                return
        if char == "\n":
            self._confirm_end()
            if not self.stopped:
                self._end_line(index)
            self._newlines += 1
            if self._newlines == 2 and not self.stopped:
                self._end_paragraph()
        elif char.isspace():
            if char == " " and not self._line_is_item and self._line:
                self._check_item("".join(self._line))
            if not self.stopped:
                self._confirm_end()
            self._line.append(char)
        else:
            if self._pending_end is not None:
                self._pending_end = index + 1 if char in _CLOSERS + _TERMINATORS else None
            if char in _TERMINATORS and self._ends_sentence():
                self._pending_end = index + 1
            self._newlines = 0
            self._line.append(char)
            self._last_visible = index + 1
        self._prev = char

    def _ends_sentence(self) -> bool:
        """A terminator right after a word that is not an abbreviation, an initial or a list number."""
        if self._prev in _CLOSERS or self._prev in _TERMINATORS:
            return True
        if not self._prev.isalnum() or not self.words:
            return False
        word = self.words[-1]
        if word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha() and word != "i"):
            return False
        return not (word.isdigit() and "".join(self._line).strip() == word)  # "3." opening a list item

    def _close_word(self) -> None:
        word = "".join(self._word).lower().strip("'’-")
        self._word = []
        if not word:
            self.word_starts.pop()
            return
        self.words.append(word)
        self._paragraph_words += 1
        self._line_words += 1
        self._check_loop()
        if self._words_reached(MAX_WORDS_SHARE) and not self.stopped:  # too long: back to a sentence end
            self._stop("complete", self.ends[-1] or self.word_starts[-1])

    def _check_loop(self) -> None:
        n = self.loop_words
        start = len(self.words) - n
        if start < 0 or self._splice is not None:
            return
        first = self._ngrams.setdefault(tuple(self.words[start:]), start)
        if first == start:
            return
        # The tail repeats the run `shift` words earlier; walk back to where the repetition began.
        shift, repeat = start - first, start
        while repeat - 1 - shift >= 0 and self.words[repeat - 1] == self.words[repeat - 1 - shift]:
            repeat -= 1
        at = self.word_starts[repeat]
        cut = max(end for end in self.ends if end <= at) or at
        if self.plan.form.sign_off and self._signed_at is None and not self._sign_forced:
            self._splice = cut  # an unsigned letter is not left unsigned: its sign-off follows the cut
        else:
            self._stop("loop", cut)

    def _confirm_end(self) -> None:
        if self._pending_end is None:
            return
        end, self._pending_end = self._pending_end, None
        self.sentences += 1
        self.ends.append(end)
        soft = self._past(self._soft_sentence)
        if self._reached("sentence", self.sentences) or self._words_reached(ENOUGH_WORDS_SHARE) or soft:
            self._stop("complete", end)

    def _check_item(self, line: str) -> None:
        """A line opening with '3.' or '-' starts an item, if it is of the list's own kind and not indented."""
        marker = _ITEM_MARKER.fullmatch(line.lstrip())
        if marker is None or line[:1].isspace():
            return
        kind = "number" if marker.group()[0].isdigit() else "bullet"
        self._item_kind = self._item_kind or kind
        if kind != self._item_kind:
            return
        self._line_is_item = True
        self.items += 1
        if self._reached("item", self.items - 1):  # one item past the asked count: stop before it
            self._stop("complete", self._line_start)

    def _end_line(self, index: int) -> None:
        line = "".join(self._line).strip()
        start, was_item = self._line_start, self._line_is_item
        self._line, self._line_start, self._line_is_item, self._line_words = [], index + 1, False, 0
        if not line:
            return
        form = self.plan.form
        if form.in_lines:
            self.ends.append(index)
        if not _is_preface(line):
            self.lines += 1
        # "... for your help. Best regards," counts: the sign-off may close a line of text.
        signature = sign_off(re.split(r"(?<=[.!?])\s+", line)[-1]) if form.signed else None
        last_item = was_item and form.numbered and self._reached("item", self.items)
        if self._reached("line", self.lines) or signature == "signed" or last_item:
            self._stop("complete", index)
        elif form.signed and self._signed_at is not None and self.lines > self._signed_at:
            self._stop("complete", index if len(line.split()) <= _NAME_WORDS else start)  # the name, or not
        elif signature == "open":
            self._signed_at = self.lines
        elif form.in_lines and self._past(self._soft_sentence):
            self._stop("complete", index)

    def _end_paragraph(self) -> None:
        if self._paragraph_words < _PARAGRAPH_WORDS:
            return
        self._paragraph_words = 0
        self.paragraphs += 1
        if self._reached("paragraph", self.paragraphs) or self._past(self._soft_paragraph):
            self._stop("complete", self._last_visible)


def distinct_share(text: str, n: int = 4) -> float:
    """Share of distinct word n-grams in ``text`` (1.0 when it has fewer than n words): 1 never repeats."""
    words = re.findall(r"[\w']+", text.lower())
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 1.0


def count_units(text: str) -> dict[Unit, int]:
    """Words, sentences, paragraphs, lines and list items of a finished ``text``, counted as the watch counts."""
    watch = TextWatch(WritingPlan(PROSE, None, True, 1 << 30, "", True), loop_words=1 << 30)
    watch.feed(text.rstrip() + "\n\n")
    return {
        "word": len(watch.words),
        "sentence": watch.sentences,
        "paragraph": watch.paragraphs,
        "line": watch.lines,
        "item": watch.items,
    }


# How far a finished text may miss an asked length: words within these shares, other units exact.
WORD_TOLERANCE = (0.7, 1.25)


def meets(length: Length, text: str) -> bool:
    """Whether ``text`` has the asked ``length``: words within WORD_TOLERANCE, other units exactly."""
    count = count_units(text)[length.unit]
    if length.unit == "word":
        low, high = WORD_TOLERANCE
        return low * length.count <= count <= high * length.count
    return count == length.count
