"""Checks on documents uploaded through the chat page, before anything is indexed.

Only Markdown and plain text are indexed; anything else, anything too large and
anything that is not UTF-8 is refused with a message that says what is allowed.
Accepted files are copied into the data home so the index never points into
Gradio's temporary cache.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

ALLOWED_SUFFIXES = (".md", ".txt")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class UploadCheck:
    """The files to index and, for each refused file, why."""

    accepted: list[Path]
    refused: list[str]


def safe_name(name: str) -> str:
    """A file name with no folders and no odd characters, so it cannot escape the uploads folder."""
    base = Path(name).name
    cleaned = _SAFE_NAME.sub("-", base).strip(".-") or "document.txt"
    return cleaned[:120]


def check_uploads(paths: list[Path], max_bytes: int) -> UploadCheck:
    """Sort uploaded files into those we index and those we refuse, with a reason each."""
    accepted: list[Path] = []
    refused: list[str] = []
    limit_mb = max_bytes / 1_000_000
    for path in paths:
        name = path.name
        if path.suffix.lower() not in ALLOWED_SUFFIXES:
            refused.append(
                f"{name}: only .md and .txt files can be indexed (got '{path.suffix or 'no extension'}')"
            )
            continue
        size = path.stat().st_size
        if size > max_bytes:
            refused.append(f"{name}: {size / 1_000_000:.1f} MB is over the {limit_mb:g} MB limit")
            continue
        if size == 0:
            refused.append(f"{name}: the file is empty")
            continue
        try:
            path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            refused.append(f"{name}: not UTF-8 text")
            continue
        accepted.append(path)
    return UploadCheck(accepted=accepted, refused=refused)


def store_uploads(paths: list[Path], uploads_dir: Path) -> list[Path]:
    """Copy accepted files into the data home under their own (cleaned) names."""
    uploads_dir.mkdir(parents=True, exist_ok=True)
    stored = []
    for path in paths:
        target = uploads_dir / safe_name(path.name)
        shutil.copyfile(path, target)
        stored.append(target)
    return stored
