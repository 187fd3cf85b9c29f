"""Any OpenAI-compatible server (vLLM, llama.cpp's server, Ollama, a hosted API).

This is how a user who outgrows one machine scales the model out: the loop is
the same, only the spec changes. Such servers call tools natively.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from langchain_openai import ChatOpenAI


def build_openai_chat(base_url: str, model: str, *, api_key: str, max_tokens: int = 512) -> ChatOpenAI:
    """A ``ChatOpenAI`` pointed at ``base_url``; local servers accept any key."""
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=base_url,
        model=model,
        api_key=api_key,
        max_tokens=max_tokens,
        # Token usage in the last streamed chunk; servers that do not know the option ignore it.
        stream_usage=True,
        max_retries=1,
    )
