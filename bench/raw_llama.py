"""Raw llama-cpp-python: the side every generation bench compares our layers against.

Built as ``tools.generation`` builds its own Llama (context, threads, repeat window) and sampled with
the settings a caller passes, so a ratio measures what our code adds and nothing else. One place for
it: four benches each had their own copy, and one of them (the agent loop's) had drifted to sampling
without the repeat penalty that generate_text uses.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Streamed:
    """One streamed completion: how many content pieces came, in how many seconds."""

    tokens: int
    seconds: float

    @property
    def per_s(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


def raw_llama() -> Any:
    """A Llama of its own on the bundled GGUF, with generate_text's context, threads and repeat window."""
    from llama_cpp import Llama

    from knowledge.embedded_models import smollm2_gguf_path
    from tools.generation import LLAMA_N_CTX, LLAMA_THREADS, REPEAT_LAST_N

    return Llama(
        model_path=str(smollm2_gguf_path()),
        n_ctx=LLAMA_N_CTX,
        n_threads=LLAMA_THREADS,
        last_n_tokens_size=REPEAT_LAST_N,
        verbose=False,
    )


def writing_settings(max_tokens: int, **overrides: Any) -> dict[str, Any]:
    """generate_text's sampling for ``max_tokens`` new tokens: greedy unless overridden, its repeat penalty."""
    from tools.generation import REPEAT_PENALTY

    return {"max_tokens": max_tokens, "temperature": 0.0, "repeat_penalty": REPEAT_PENALTY, **overrides}


def writing_message(prompt: str, max_tokens: int) -> str:
    """What generate_text sends the model for ``prompt``: the request plus its form's instruction."""
    from tools.generation import MAX_NEW_TOKENS
    from tools.writing import plan_writing

    return plan_writing(prompt, max_tokens, MAX_NEW_TOKENS).message


def stream_rate(llama: Any, message: str, settings: dict[str, Any]) -> Streamed:
    """One user message through ``create_chat_completion(stream=True)``, its content pieces counted."""
    started = time.perf_counter()
    tokens = sum(
        1
        for chunk in llama.create_chat_completion(
            messages=[{"role": "user", "content": message}], stream=True, **settings
        )
        if chunk["choices"][0]["delta"].get("content")
    )
    return Streamed(tokens, time.perf_counter() - started)
