"""The real transformers the concept demos look inside, loaded once and lazily.

Both models ship inside our dependencies, so nothing is downloaded. Attention
is forced to the ``eager`` implementation: with the default ``sdpa`` kernel,
``output_attentions=True`` silently returns no weights.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from tools.base import ToolInputError, ToolUnavailable

MODELS: dict[str, str] = {
    "minilm": "all-MiniLM-L6-v2 (bidirectional BERT encoder, 6 layers x 12 heads)",
    "smollm2": "SmolLM2-135M-Instruct (causal decoder from the bundled GGUF, 30 layers x 9 heads)",
}
# (layers, heads) known up front so that bad indices are refused before a slow load.
SHAPES: dict[str, tuple[int, int]] = {"minilm": (6, 12), "smollm2": (30, 9)}


@dataclass(frozen=True)
class DemoModel:
    """A tokenizer and model pair plus the shape facts the demos validate against."""

    name: str
    tokenizer: Any
    model: Any
    n_layers: int
    n_heads: int
    causal: bool


def check_model_name(name: str) -> str:
    key = name.strip().lower()
    if key not in MODELS:
        raise ToolInputError(f"unknown model {name!r}; valid models: {', '.join(MODELS)}")
    return key


def smollm2_folder(cache_dir: Path | None = None) -> Path:
    """SmolLM2 as a transformers folder (fp32 safetensors), converted once from the bundled GGUF.

    transformers de-quantizes a GGUF on every load: several seconds, and for a
    moment 240 MB above the loaded model, which was the peak of a whole session's
    memory. The converted copy in the model cache loads in about a second with no
    such spike, and holds the very same weights.
    """
    from knowledge.embedded_models import smollm2_gguf_path
    from knowledge.model_cache import build_once, default_model_cache

    gguf = smollm2_gguf_path()
    cache = Path(cache_dir).expanduser() if cache_dir else default_model_cache()
    folder = cache / f"SmolLM2-135M-Instruct-fp32-{gguf.stat().st_size}"
    return build_once(
        folder, "model.safetensors", _convert_smollm2, "converting SmolLM2 from GGUF for transformers"
    )


def _convert_smollm2(staging: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from knowledge.embedded_models import smollm2_gguf_path

    gguf = smollm2_gguf_path()
    AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name).save_pretrained(staging)
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    # transformers will not save a model it loaded from GGUF; the same weights in a plain model it will.
    config = loaded.config
    config.__dict__.pop("quantization_config", None)
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    plain.load_state_dict(loaded.state_dict())
    plain.generation_config = loaded.generation_config
    plain.save_pretrained(staging)


@cache
def load_model(name: str, cache_dir: Path | None = None) -> DemoModel:
    """Load a demo model by its short name; cached so each loads once per process.

    ``cache_dir`` is the model cache holding SmolLM2's converted copy (the agent's setting).
    """
    key = check_model_name(name)
    import torch
    from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer

    from knowledge.embedded_models import EmbeddedModelMissing, minilm_path

    try:
        if key == "minilm":
            folder = minilm_path()
            tokenizer = AutoTokenizer.from_pretrained(folder)
            model = AutoModel.from_pretrained(folder, attn_implementation="eager")
            causal = False
        else:
            folder = smollm2_folder(cache_dir)
            tokenizer = AutoTokenizer.from_pretrained(folder)
            model = AutoModelForCausalLM.from_pretrained(
                folder, attn_implementation="eager", dtype=torch.float32
            )
            causal = True
    except EmbeddedModelMissing as exc:
        raise ToolUnavailable(f"the {key} model is not installed: {exc}") from exc
    except ImportError as exc:  # e.g. the ``gguf`` package behind transformers' GGUF loader
        raise ToolUnavailable(f"cannot load {key}: {exc}") from exc
    model.eval()
    config = model.config
    return DemoModel(
        name=key,
        tokenizer=tokenizer,
        model=model,
        n_layers=int(config.num_hidden_layers),
        n_heads=int(config.num_attention_heads),
        causal=causal,
    )


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Run torch on one thread for the demos' tiny inputs, then restore the setting.

    Handing a 16-token forward pass (or a 200-point MLP step) between threads costs
    more than it saves, and far more when other processes share the cores.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
