"""The one check for the names a caller picks: user and session.

A name becomes a key in SQLite, a LangGraph thread id and a line in logs and
exports, so it is refused early, with the rule in the message, rather than
stored and stumbled over later.
"""

from __future__ import annotations

import unicodedata

MAX_NAME_CHARS = 200


def check_name(kind: str, value: object) -> str:
    """``value`` if it is text of 1..200 characters, not blank, with no control characters; else ValueError.

    ``kind`` ("user", "session") starts the message, so callers can tell which
    argument was wrong.
    """
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > MAX_NAME_CHARS
        or any(unicodedata.category(c) == "Cc" for c in value)
    ):
        raise ValueError(
            f"{kind} must be 1..{MAX_NAME_CHARS} printable characters (not only spaces, "
            f"no control characters), got {value!r:.80}"
        )
    return value
