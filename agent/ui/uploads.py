"""Checks on documents uploaded through the chat page, before anything is indexed.

Markdown, plain text, PDF and HTML are indexed. The checks are the loader's own
(``knowledge.loader.read_checked``: suffix, size before reading, content against
the suffix, UTF-8 for text), so the page refuses exactly what ``attentive index``
refuses, with the same reason; parsing (and what only parsing finds: an encrypted
or scanned PDF) happens while indexing and is reported then. Accepted files are
copied into the uploader's own folder of the data home (``owner_folder``), so two users'
files of the same name never meet; Gradio's cached copy of every dropped file, accepted
or refused, is deleted once the upload is handled (``discard_cached``), so nothing stays
behind to be fetched by URL.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from knowledge.loader import DocumentError, read_checked
from knowledge.types import owner_key

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


def owner_folder(user: str) -> str:
    """The folder name of ``user``'s uploads: a hash, as a user name may hold any printable character."""
    return owner_key(user)


def discard_cached(paths: list[Path], cache_dir: Path) -> None:
    """Delete Gradio's cached copies of dropped files (and the per-file folders Gradio made for them),
    touching nothing outside ``cache_dir``."""
    root = cache_dir.resolve()
    for path in paths:
        try:
            resolved = path.resolve()
            resolved.relative_to(root)
        except (OSError, ValueError):
            continue
        resolved.unlink(missing_ok=True)
        folder = resolved.parent
        while folder != root and root in folder.parents:
            try:
                folder.rmdir()  # only when empty
            except OSError:
                break
            folder = folder.parent


def check_uploads(paths: list[Path], max_bytes: int) -> UploadCheck:
    """Sort uploaded files into those we index and those we refuse, with a reason each."""
    accepted: list[Path] = []
    refused: list[str] = []
    for path in paths:
        try:
            read_checked(path, max_bytes)
        except DocumentError as exc:
            refused.append(f"{path.name}: {exc.reason}")
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
