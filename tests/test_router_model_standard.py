"""LangChain's integration suite run against RouterChatModel with the real router and the embedded model.

The suite builds a fresh model for every test, so the router (MiniLM over the
seed phrases) and the text model (SmolLM2-135M through llama.cpp) come from
process-wide caches: only the first test pays for loading them.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_tests.integration_tests import ChatModelIntegrationTests

from agent.router_model import RouterChatModel

pytestmark = pytest.mark.slow


@cache
def _router() -> Any:
    from agent.router import IntentRouter
    from knowledge.embeddings import embed
    from tools.registry import discover

    return IntentRouter(embed, discover())


@cache
def _text_model() -> BaseChatModel:
    from agent.backends import load_chat_model

    # One thread and short answers: the suite makes about fifty calls on a shared machine.
    return load_chat_model("llamacpp:embedded", n_threads=1, max_tokens=32)


class TestRouterChatModelIntegration(ChatModelIntegrationTests):
    """The router picks tools, SmolLM2 talks, tool results are answered word for word."""

    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return RouterChatModel

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "attentive-router", "router": _router(), "text_model": _text_model()}

    @property
    def has_structured_output(self) -> bool:
        # Arguments are read off the message by patterns, nothing is generated: LangChain's default
        # with_structured_output would "succeed" with every string field set to the question itself.
        return False

    @property
    def supports_model_override(self) -> bool:
        return False  # ``model`` only names the router in traces; there is no other model to switch to
