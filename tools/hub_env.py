"""The Hugging Face environment, read at call time and in one place.

``huggingface_hub`` copies ``HF_ENDPOINT``, ``HF_HUB_OFFLINE`` and the cache
location into constants when it is imported, so a variable set later (by a test,
a notebook, or the agent's settings) would be ignored. Reading them here on every
call and passing them explicitly (``HfApi(endpoint=...)``, ``cache_dir=...``)
keeps the behaviour what the environment says now.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from tools.base import MissingModel, ModelNotCached
from tools.hub_ids import snapshot_record

DEFAULT_ENDPOINT = "https://huggingface.co"
_TRUE = {"1", "true", "yes", "on"}


def endpoint() -> str:
    return os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT).rstrip("/") or DEFAULT_ENDPOINT


def token() -> str | None:
    return os.environ.get("HF_TOKEN") or None


def offline() -> bool:
    """True when the user asked for no network (``HF_HUB_OFFLINE`` or ``TRANSFORMERS_OFFLINE``)."""
    for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(name, "").strip().lower() in _TRUE:
            return True
    return False


def cache_dir() -> Path:
    """Where downloaded weights live: HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]).expanduser() / "hub"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "huggingface" / "hub"


def cached_snapshot(repo_id: str, marker: str = "config.json") -> Path | None:
    """The local snapshot folder of ``repo_id`` if ``marker`` is in the cache, else None."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(repo_id, marker, cache_dir=str(cache_dir()))
    if isinstance(found, str):
        return Path(found).parent
    return None


# One scan of the cache per process, redone only when the cache changes: ``scan_cache_dir`` stats
# every file of every cached repo, the fingerprint only a few folders per repo.
_Fingerprint = tuple[tuple[int, int], ...]
_scans: dict[str, tuple[_Fingerprint, dict[str, Any]]] = {}
_scans_lock = threading.Lock()


def _mark(path: str) -> tuple[int, int]:
    """A folder's modification time and number of entries; (0, 0) when it is missing.

    The count catches a change made within the file system's timestamp tick of the last one.
    """
    try:
        return os.stat(path).st_mtime_ns, len(os.listdir(path))
    except OSError:
        return 0, 0


def _cache_fingerprint(folder: Path) -> _Fingerprint:
    """What changes when a model is downloaded, saved or removed: the cache folder (a repo added
    or deleted) and, per model repo, ``blobs`` (a new file), ``refs`` (a new revision),
    ``snapshots`` and each snapshot folder (a file linked in)."""
    marks = [_mark(str(folder))]
    with os.scandir(folder) as entries:
        repos = sorted(e.path for e in entries if e.name.startswith("models--") and e.is_dir())
    for repo in repos:
        marks += [_mark(os.path.join(repo, sub)) for sub in ("blobs", "refs", "snapshots")]
        snapshots = os.path.join(repo, "snapshots")
        revisions = sorted(os.listdir(snapshots)) if os.path.isdir(snapshots) else []
        marks += [_mark(os.path.join(snapshots, revision)) for revision in revisions]
    return tuple(marks)


def cached_repos() -> dict[str, Any]:
    """Model repos in the local HF cache (``CachedRepoInfo`` by lowercase id); empty without a cache.

    The cache is scanned once per process and folder, and again only when its fingerprint
    changes (``hf download`` in another terminal, a model saved into it); a broken cache gives
    an empty answer rather than breaking a lookup.
    """
    folder = cache_dir()
    if not folder.is_dir():
        return {}
    try:
        fingerprint = _cache_fingerprint(folder)
    except OSError:  # removed or unreadable while we looked
        return {}
    key = str(folder.resolve())
    with _scans_lock:
        known = _scans.get(key)
        if known is None or known[0] != fingerprint:
            import huggingface_hub

            try:
                info = huggingface_hub.scan_cache_dir(folder)
                repos = {repo.repo_id.lower(): repo for repo in info.repos if repo.repo_type == "model"}
            except Exception:  # a broken cache must not break a lookup
                repos = {}
            known = _scans[key] = (fingerprint, repos)
        return dict(known[1])


def forget_cache_scan() -> None:
    """Drop the remembered scans, so the next ``cached_repos`` scans again."""
    with _scans_lock:
        _scans.clear()


def human_bytes(n: float | None) -> str:
    if not n:
        return "unknown size"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1000 or unit == "TB":
            return f"{n:.0f} {unit}" if unit in ("B", "KB") else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def human_count(n: float | None) -> str:
    """12M, 1.3K, 6.74B: short enough for a table, precise enough to compare."""
    if n is None:
        return "unknown"
    for scale, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if n >= scale:
            value = n / scale
            if unit == "B":
                return f"{value:.2f}B" if value < 10 else f"{value:.1f}B"
            return f"{value:.1f}{unit}" if value < 10 else f"{value:.0f}{unit}"
    return str(int(n))


def download_hint(model: MissingModel) -> str:
    """Name, size and the exact fetch command, for messages about missing weights."""
    size = human_bytes(model.size_bytes)  # "unknown size" when the snapshot does not say
    gated = (
        " It is gated: accept its licence on the model page and run `hf auth login` first."
        if model.gated
        else ""
    )
    return (
        f"The weights of {model.repo_id} ({size}) are not in the local Hugging Face cache ({cache_dir()}). "
        f"Fetch them once with `attentive models pull {model.repo_id}` (or `hf download {model.repo_id}`), "
        f"then try again.{gated}"
    )


def model_not_cached(repo_id: str) -> ModelNotCached:
    """The error a tool raises when ``repo_id`` is not cached: the facts as a record (from the Hub
    snapshot: its size and whether it is gated), and the hint written from them."""
    record = snapshot_record(repo_id) or {}
    model = MissingModel(repo_id, size_bytes=record.get("download_bytes"), gated=bool(record.get("gated")))
    return ModelNotCached(download_hint(model), model)
