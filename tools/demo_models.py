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
from typing import Any

from tools.base import ToolInputError, ToolUnavailable

MODELS: dict[str, str] = {
    "minilm": "all-MiniLM-L6-v2 (bidirectional BERT encoder, 6 layers x 12 heads)",
    "smollm2": "SmolLM2-135M-Instruct (causal decoder from the bundled GGUF, 30 layers x 9 heads; ~25 s to load)",
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


@cache
def load_model(name: str) -> DemoModel:
    """Load a demo model by its short name; cached so each loads once per process."""
    key = check_model_name(name)
    import torch
    from transformers import AutoModel, AutoModelForCausalLM, AutoTokenizer

    from knowledge.embedded_models import EmbeddedModelMissing, minilm_path, smollm2_gguf_path

    try:
        if key == "minilm":
            folder = minilm_path()
            tokenizer = AutoTokenizer.from_pretrained(folder)
            model = AutoModel.from_pretrained(folder, attn_implementation="eager")
            causal = False
        else:
            gguf = smollm2_gguf_path()
            tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
            model = AutoModelForCausalLM.from_pretrained(
                gguf.parent, gguf_file=gguf.name, attn_implementation="eager", dtype=torch.float32
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
