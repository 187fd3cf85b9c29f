"""Timings of the concept demos with their default arguments (issue 6 target: <= 3 s each).

Models are loaded before the clock starts: the target is about the demo, and
loading MiniLM happens once per process. Each demo writes into a throw-away
data home.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET_SECONDS = 3.0


def run() -> list[dict[str, Any]]:
    """One row per demo: {"name", "seconds", "note"}."""
    from tools.attention import EXAMPLE, attention_demo
    from tools.base import ToolContext
    from tools.demo_models import load_model
    from tools.figures import pyplot
    from tools.online_learning import online_learning_demo
    from tools.positional import positional_encoding_demo
    from tools.training import training_demo

    tick = time.perf_counter()
    load_model("minilm")
    pyplot()
    _warm_up()
    load_seconds = time.perf_counter() - tick

    rows = [
        {
            "name": "demo_model_load_minilm",
            "seconds": round(load_seconds, 3),
            "note": "MiniLM, matplotlib, torch optimizer, river and scikit-learn imports; once per process",
        }
    ]
    with tempfile.TemporaryDirectory() as home:
        ctx = ToolContext(home=Path(home))
        demos: list[tuple[str, Callable[[], Any], str]] = [
            ("attention_demo", lambda: attention_demo(ctx, EXAMPLE), "minilm, last layer head average"),
            (
                "attention_demo_focus_grid",
                lambda: attention_demo(ctx, EXAMPLE, focus="it", grid=True),
                "focus='it', grid",
            ),
            ("positional_encoding_demo", lambda: positional_encoding_demo(ctx), "defaults"),
            ("training_demo", lambda: training_demo(ctx), "xor, hidden (8,), 300 epochs"),
            ("online_learning_demo", lambda: online_learning_demo(ctx), "2000 events, drift at 1000"),
        ]
        for name, call, note in demos:
            tick = time.perf_counter()
            call()
            seconds = time.perf_counter() - tick
            verdict = "ok" if seconds <= TARGET_SECONDS else f"over the {TARGET_SECONDS:.0f} s target"
            rows.append({"name": name, "seconds": round(seconds, 3), "note": f"{note}; {verdict}"})
    return rows


def _warm_up() -> None:
    """One-off imports the demos pay on first use: creating a torch optimizer imports torch._dynamo."""
    import torch
    from river import linear_model  # noqa: F401
    from sklearn.datasets import make_moons  # noqa: F401
    from sklearn.linear_model import LogisticRegression  # noqa: F401

    torch.optim.Adam(torch.nn.Linear(1, 1).parameters())


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']:<28} {row['seconds']:>7.3f} s  {row['note']}")
