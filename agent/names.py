"""The API edge for text: the one check for the names a caller picks, the one cleaning of free text.

A name (user, session, reply id, document) becomes a key in SQLite, a LangGraph
thread id and a line in logs and exports, so it is refused early, with the rule
in the message, rather than stored and stumbled over later.

Free text (a message, a comment, a tool argument) is never refused for its
characters: what UTF-8 or a database cannot carry is replaced instead. Python strings can hold
lone surrogates ("\\ud800", from a JSON "\\ud800" escape or a file name of
undecodable bytes) that every encoder rejects: before this check, such a message
raised ``TypeError`` inside the tokenizer, and such a user id
``UnicodeEncodeError`` inside SQLite.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

MAX_NAME_CHARS = 200
REPLACEMENT = "\ufffd"
SURROGATE = re.compile("[\ud800-\udfff]")
# What a store cannot carry: lone surrogates (no encoder takes them) and NUL (PostgreSQL refuses it in
# text; SQLite's length() stops at it, so a correction of "\x00" passed the blank check and then failed
# the table's CHECK constraint: found by the fuzz test).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def check_name(kind: str, value: object) -> str:
    """``value`` if it is text of 1..200 characters, not blank, with no control characters and no lone
    surrogates (which UTF-8 cannot store); else ValueError.

    ``kind`` ("user", "session") starts the message, so callers can tell which
    argument was wrong.
    """
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > MAX_NAME_CHARS
        or any(unicodedata.category(c) in ("Cc", "Cs") for c in value)
    ):
        raise ValueError(
            f"{kind} must be 1..{MAX_NAME_CHARS} printable characters (not only spaces, "
            f"no control characters or lone surrogates), got {value!r:.80}"
        )
    return value


def clean_text(text: str) -> str:
    """``text`` with every code point a store cannot carry (``UNSTORABLE``) replaced by U+FFFD;
    everything else passes unchanged."""
    if not isinstance(text, str):
        raise TypeError(f"expected text (str), got {type(text).__name__}")
    if text.isascii() and "\x00" not in text:
        return text
    return UNSTORABLE.sub(REPLACEMENT, text)


def clean_data(value: Any) -> Any:
    """``clean_text`` applied to every string in a JSON-like value (tool arguments), keys included."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_data(key): clean_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(clean_data(item) for item in value)
    return value
