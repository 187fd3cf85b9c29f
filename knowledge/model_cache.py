"""The per-machine cache of files derived from the bundled models, and building them once.

Derived files (MiniLM exported to ONNX, SmolLM2 converted from GGUF for
transformers) take tens of seconds to make and are the same for every data
home, so they live per machine, like the Hugging Face cache. A build goes to a
staging folder that is renamed into place under a file lock: several processes
may start at once, and a crash mid-build leaves nothing a later start would trust.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path


def default_model_cache() -> Path:
    """``$XDG_CACHE_HOME/attentive`` (``~/.cache/attentive``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "attentive"


def build_once(folder: Path, marker: str, build: Callable[[Path], None], what: str) -> Path:
    """``folder``, built by ``build(staging)`` first unless ``folder/marker`` exists already."""
    if (folder / marker).is_file():
        return folder
    from filelock import FileLock

    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(folder) + ".lock"):
        if (folder / marker).is_file():
            return folder
        print(f"attentive: {what}, once for this machine, into {folder} ...", file=sys.stderr, flush=True)
        staging = Path(tempfile.mkdtemp(prefix=".build-", dir=folder.parent))
        staging.chmod(0o755)
        try:
            build(staging)
            if not (staging / marker).is_file():
                raise RuntimeError(f"building {folder.name} wrote no {marker}")
            os.replace(staging, folder)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return folder
