"""Issue 7 targets: hub_lookup offline <= 50 ms, against a local server <= 200 ms, and
generate_text on the bundled GGUF at >= 90% of raw llama-cpp-python's tokens/s (same file, same run).

The raw and wrapped generations alternate, greedy, on the same prompt, so both
produce the same tokens and the ratio compares only the wrapper's overhead.
"""

from __future__ import annotations

import os
import statistics
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.figures import median_seconds

PROMPT = "Write a long story about a robot who learns to paint."
# A new prompt each round, as in real use: repeating one prompt would let the raw Llama skip the
# whole prompt through its KV-cache prefix while generate_text (which re-reads it for reproducible
# seeds) could not, and the comparison would measure that instead of the generation path.
PROMPTS = [
    PROMPT,
    "Write a long story about a lighthouse keeper who befriends a whale.",
    "Write a long story about a child who builds a kite that can talk.",
    "Write a long story about a baker who discovers a secret recipe.",
    "Write a long story about a cat who travels to the moon.",
]
MAX_NEW_TOKENS = 96
REPEATS = len(PROMPTS)


@contextmanager
def _env(**values: str | None) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _hub_rows(home: Path) -> list[dict[str, Any]]:
    import huggingface_hub.constants

    from tools.base import ToolContext
    from tools.hub import hub_lookup

    ctx = ToolContext(home=home)
    rows = []
    with _env(HF_HUB_OFFLINE="1", HF_HUB_CACHE=str(home / "empty-cache")):
        ms = 1000 * median_seconds(lambda: hub_lookup(ctx, model_id="gpt2"), 20)
    rows.append(
        {
            "name": "hub_lookup_offline",
            "value": round(ms, 2),
            "unit": "ms",
            "target": "<= 50 ms",
            "met": ms <= 50,
            "note": "snapshot, median of 20",
        }
    )

    from bench.recorded_hub import start_hub_server, stop_hub_server

    state, server = start_hub_server()
    offline_constant = huggingface_hub.constants.HF_HUB_OFFLINE
    huggingface_hub.constants.HF_HUB_OFFLINE = False
    try:
        with _env(HF_ENDPOINT=state.url, HF_HUB_OFFLINE=None, HF_HUB_CACHE=str(home / "empty-cache")):
            ms = 1000 * median_seconds(lambda: hub_lookup(ctx, model_id="gpt2"), 20)
            assert hub_lookup(ctx, model_id="gpt2").data["source"] == "live"
    finally:
        huggingface_hub.constants.HF_HUB_OFFLINE = offline_constant
        stop_hub_server(state, server)
    rows.append(
        {
            "name": "hub_lookup_local_server",
            "value": round(ms, 2),
            "unit": "ms",
            "target": "<= 200 ms",
            "met": ms <= 200,
            "note": "127.0.0.1 recorded Hub, median of 20",
        }
    )
    return rows


def _generation_rows() -> list[dict[str, Any]]:
    from bench.raw_llama import raw_llama, stream_rate, writing_message, writing_settings
    from tools.generation import LLAMA_THREADS, generate_text

    raw = raw_llama()
    settings = writing_settings(MAX_NEW_TOKENS)
    generate_text("Say hello.", max_new_tokens=8, temperature=0.0)  # load our cached instance
    stream_rate(raw, "Say hello.", settings)
    ours, theirs, counts = [], [], set()
    for prompt in PROMPTS:
        streamed = stream_rate(raw, writing_message(prompt, MAX_NEW_TOKENS), settings)
        rate, tokens = streamed.per_s, streamed.tokens
        theirs.append(rate)
        result = generate_text(prompt, max_new_tokens=MAX_NEW_TOKENS, temperature=0.0)
        ours.append(result.tokens_per_second)
        counts.update({tokens, result.tokens})
    ours_m, theirs_m = statistics.median(ours), statistics.median(theirs)
    note = f"SmolLM2-135M Q4_1, {LLAMA_THREADS} threads, greedy, {sorted(counts)} tokens, median of {REPEATS} prompts, a new one each round"
    return [
        {"name": "generate_text_tokens_per_s", "value": round(ours_m, 1), "unit": "tokens/s", "note": note},
        {"name": "raw_llama_cpp_tokens_per_s", "value": round(theirs_m, 1), "unit": "tokens/s", "note": note},
        {
            "name": "generate_text_vs_raw_ratio",
            "value": round(ours_m / theirs_m, 3),
            "unit": "ratio",
            "target": ">= 0.90",
            "met": ours_m / theirs_m >= 0.90,
            "note": "tools.generation.generate_text against raw llama-cpp-python, side by side",
        },
    ]


def run() -> list[dict[str, Any]]:
    """Rows {"name", "value", "unit", "note"} for the issue 7 targets."""
    with tempfile.TemporaryDirectory() as home:
        return _hub_rows(Path(home)) + _generation_rows()


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']:32} {row['value']:>10} {row['unit']:8} {row['note']}")
