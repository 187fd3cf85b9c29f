"""A synthetic Markdown corpus of a chosen size, for indexing and retrieval benchmarks.

Each section is a heading plus one short paragraph, so the chunker makes about
one chunk per section. The words are drawn from a fixed vocabulary with a seed,
so two runs index the same text and their timings compare.
"""

from __future__ import annotations

import random
from pathlib import Path

__all__ = ["queries", "write_corpus"]

_TOPICS = [
    "gradient descent",
    "convolution",
    "recurrent networks",
    "dropout",
    "batch normalisation",
    "tokenisation",
    "beam search",
    "reinforcement learning",
    "contrastive loss",
    "knowledge distillation",
    "quantisation",
    "mixture of experts",
    "diffusion sampling",
    "variational autoencoders",
    "graph networks",
    "federated learning",
    "active learning",
    "anomaly detection",
    "time series forecasting",
    "speech recognition",
]
_WORDS = [
    "model",
    "data",
    "layer",
    "weight",
    "signal",
    "error",
    "update",
    "sample",
    "feature",
    "vector",
    "matrix",
    "token",
    "sequence",
    "memory",
    "cost",
    "speed",
    "accuracy",
    "noise",
    "label",
    "batch",
    "stream",
    "drift",
    "user",
    "preference",
    "image",
    "audio",
    "text",
    "code",
    "metric",
    "kernel",
    "filter",
    "state",
    "policy",
    "reward",
    "agent",
    "network",
    "training",
    "inference",
    "gradient",
    "parameter",
    "optimiser",
    "schedule",
    "cache",
    "index",
    "search",
]


def _paragraph(rng: random.Random, topic: str, n_words: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(n_words)]
    return f"This note about {topic} says that " + " ".join(words) + "."


def write_corpus(folder: Path, sections: int, per_file: int = 100, seed: int = 0) -> list[Path]:
    """Write ``sections`` heading+paragraph sections into files of ``per_file`` sections each."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    files: list[Path] = []
    for start in range(0, sections, per_file):
        lines = [f"# Synthetic notes {start // per_file}", ""]
        for i in range(start, min(start + per_file, sections)):
            topic = _TOPICS[i % len(_TOPICS)]
            lines += [f"## {topic.title()} note {i}", "", _paragraph(rng, topic, 40), ""]
        path = folder / f"synthetic-{start // per_file:04d}.md"
        path.write_text("\n".join(lines), encoding="utf-8")
        files.append(path)
    return files


def queries(n: int, seed: int = 1) -> list[str]:
    """Questions in the corpus's vocabulary, so retrieval has real work to do."""
    rng = random.Random(seed)
    return [f"What does the note say about {rng.choice(_TOPICS)} and {rng.choice(_WORDS)}?" for _ in range(n)]
