"""Hugging Face model ids: refuse what is not one, and guess what a short name meant.

Every tool that takes a model id checks it here first, before anything is fetched
or loaded, so a path, a URL or ``a/b/c`` never reaches the network or the disk.
Short names ("bark", "gpt-neo") are resolved with difflib over the ids and
aliases of the bundled snapshot, which is what a learner reading the notes types.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tools.base import ToolInputError

MAX_ID_CHARS = 96
SNAPSHOT_PATH = Path(__file__).parent / "data" / "hub_snapshot.json"

_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")
ID_RULE = (
    "a model id is NAME or OWNER/NAME, at most one '/' (e.g. gpt2, openai-community/gpt2): "
    "letters, digits, '-', '_' and '.', each part neither starting nor ending with '-' or '.', "
    f"no '--' or '..', not ending in '.git', at most {MAX_ID_CHARS} characters"
)


def check_model_id(model_id: str) -> str:
    """Return ``model_id`` stripped, or raise ToolInputError saying why it is not a Hub id.

    The rule itself is huggingface_hub's ``validate_repo_id`` (the Hub's own, which refuses
    ``foo--bar`` and ``org/x.git``); the checks before it only name the usual mistakes
    (a URL, a file path, an over-long paste) in words a learner recognises.
    """
    from huggingface_hub.errors import HFValidationError
    from huggingface_hub.utils import validate_repo_id

    if not isinstance(model_id, str):
        raise ToolInputError(f"model id must be a string; {ID_RULE}")
    text = model_id.strip()
    if not text:
        raise ToolInputError(f"model id is empty; {ID_RULE}")
    if _URL_RE.match(text) or text.startswith("www."):
        raise ToolInputError(f"URLs are not accepted, got {text[:80]!r}; {ID_RULE}")
    if len(text) > MAX_ID_CHARS:
        raise ToolInputError(f"model id has {len(text)} characters, the most is {MAX_ID_CHARS}; {ID_RULE}")
    if text.startswith(("/", "~", "./", "../", "\\")) or "\\" in text:
        raise ToolInputError(f"file paths are not model ids, got {text!r}; {ID_RULE}")
    try:
        validate_repo_id(text)
    except HFValidationError as error:
        raise ToolInputError(f"not a valid model id: {text!r} ({error}); {ID_RULE}") from None
    return text


@cache
def load_snapshot() -> dict[str, Any]:
    """The bundled, dated metadata snapshot (read once per process)."""
    return json.loads(SNAPSHOT_PATH.read_text(encoding="utf-8"))


def snapshot_record(model_id: str) -> dict[str, Any] | None:
    """The snapshot's record for an exact id (case-insensitive), or None."""
    wanted = model_id.lower()
    for record in load_snapshot()["models"]:
        if record["id"].lower() == wanted:
            return record
    return None


@dataclass(frozen=True)
class Resolution:
    """What a name resolved to and how: ``exact``, ``alias``, ``fuzzy`` or ``as-is``."""

    id: str
    how: str
    asked: str


def _normalise(name: str) -> str:
    return re.sub(r"[\s_]+", "-", name.strip().lower())


@cache
def _name_table() -> dict[str, str]:
    """Every lowercase spelling we know (id, its name part, aliases) mapped to the canonical id."""
    table: dict[str, str] = {}
    for record in load_snapshot()["models"]:
        canonical = record["id"]
        names = [canonical, canonical.split("/")[-1], *record.get("aliases", [])]
        for name in names:
            table.setdefault(_normalise(name), canonical)
    return table


def resolve_model_id(name: str, cutoff: float = 0.75) -> Resolution:
    """Check ``name`` and map a short or misspelt one onto a known id.

    Unknown but well-formed ids pass through unchanged ("as-is") because the
    live Hub has far more models than the snapshot.
    """
    spaced = name.strip() if isinstance(name, str) else name
    if isinstance(spaced, str) and "/" not in spaced and "://" not in spaced:
        spaced = re.sub(r"\s+", "-", spaced)  # "bark small" is how people type bark-small
    text = check_model_id(spaced)
    table = _name_table()
    key = _normalise(text)
    if key in table:
        canonical = table[key]
        how = "exact" if canonical.lower() == text.lower() else "alias"
        return Resolution(id=canonical, how=how, asked=text)
    if "/" not in text:
        close = difflib.get_close_matches(key, list(table), n=1, cutoff=cutoff)
        if close:
            return Resolution(id=table[close[0]], how="fuzzy", asked=text)
    return Resolution(id=text, how="as-is", asked=text)


def suggestions(name: str, n: int = 3) -> list[str]:
    """Known ids that look like ``name``, for "did you mean" messages."""
    table = _name_table()
    close = difflib.get_close_matches(_normalise(name), list(table), n=n * 3, cutoff=0.5)
    seen: list[str] = []
    for key in close:
        if table[key] not in seen:
            seen.append(table[key])
    return seen[:n]
