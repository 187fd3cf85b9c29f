"""Tokens per second of raw llama-cpp-python against the llamacpp backend's ``.stream`` (issue 5 target: >= 0.9).

Both sides use the same cached ``Llama`` (same GGUF, same context, same
threads), the same messages and greedy decoding, so they produce the same
tokens; only the LangChain layer differs. Runs alternate and the best of each
side is kept, because other processes on a shared machine slow single runs
down at random.
"""

from __future__ import annotations

import time
from typing import Any

from bench.raw_llama import stream_rate

TARGET_RATIO = 0.9
PROMPT = "Explain in a short paragraph what self-attention computes in a transformer."
MAX_TOKENS = 128
ROUNDS = 3


def _backend_tokens_per_s(model: Any) -> tuple[int, float]:
    tick = time.perf_counter()
    tokens = 0
    for chunk in model.stream(PROMPT, temperature=0.0, max_tokens=MAX_TOKENS):
        if chunk.content:
            tokens += 1
    return tokens, time.perf_counter() - tick


def run(n_threads: int = 2) -> list[dict[str, Any]]:
    """Rows {"name", "value", "unit", "note"}: raw and backend tokens/s, and their ratio."""
    from agent.backends import load_chat_model
    from agent.backends.llamacpp import load_llama
    from knowledge.embedded_models import smollm2_gguf_path

    model = load_chat_model("embedded", n_threads=n_threads, max_tokens=MAX_TOKENS)
    llama = load_llama(str(smollm2_gguf_path()), n_threads=n_threads)
    assert model.client is llama  # type: ignore[attr-defined]  # same weights, same context
    # The backend's sampling settings, so both sides generate the same tokens.
    sampling = {k: getattr(model, k) for k in ("top_p", "top_k", "repeat_penalty")}
    sampling |= {"max_tokens": MAX_TOKENS, "temperature": 0.0}
    stream_rate(llama, PROMPT, sampling)  # warm-up: first-call allocations and page faults
    _backend_tokens_per_s(model)

    raw_best = backend_best = 0.0
    raw_tokens = backend_tokens = 0
    for _ in range(ROUNDS):
        streamed = stream_rate(llama, PROMPT, sampling)
        raw_tokens, raw_best = streamed.tokens, max(raw_best, streamed.per_s)
        backend_tokens, seconds = _backend_tokens_per_s(model)
        backend_best = max(backend_best, backend_tokens / seconds)

    ratio = backend_best / raw_best if raw_best else 0.0
    verdict = "ok" if ratio >= TARGET_RATIO else f"below the {TARGET_RATIO} target"
    common = f"SmolLM2-135M Q4_1, {n_threads} threads, greedy, best of {ROUNDS}"
    return [
        {
            "name": "llamacpp_raw_tokens_per_s",
            "value": round(raw_best, 1),
            "unit": "tokens/s",
            "note": f"{common}; {raw_tokens} tokens",
        },
        {
            "name": "llamacpp_backend_stream_tokens_per_s",
            "value": round(backend_best, 1),
            "unit": "tokens/s",
            "note": f"{common}; {backend_tokens} tokens via CachedChatLlamaCpp.stream",
        },
        {
            "name": "llamacpp_backend_stream_ratio",
            "value": round(ratio, 3),
            "unit": "ratio",
            "note": f"backend / raw; target >= {TARGET_RATIO}; {verdict}",
        },
    ]


if __name__ == "__main__":
    import sys

    for row in run(int(sys.argv[1]) if len(sys.argv) > 1 else 2):
        print(row)
