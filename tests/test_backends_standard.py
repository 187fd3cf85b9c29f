"""LangChain's own standard tests for the chat models this project writes or changes.

Pattern for a new chat model (e.g. agent/router_model.py's RouterChatModel): subclass
``ChatModelUnitTests``, return the class from ``chat_model_class`` and cheap constructor
arguments from ``chat_model_params`` (weights must come from a process-wide cache, as
``load_llama`` does, because the suite builds the model many times), and override the
capability properties (``has_tool_calling``, ``has_tool_choice``, ``has_structured_output``,
``returns_usage_metadata``) to say what the model really supports. The integration suite
(``ChatModelIntegrationTests``) runs the model for real; mark what a 135M model cannot do
with ``pytest.mark.xfail(reason=...)`` on an overriding test method.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from tempfile import mkdtemp
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_tests.unit_tests import ChatModelUnitTests
from tiny_models import save_tiny_gpt2

from agent.backends.hf import ChatTransformers, load_pipeline
from agent.backends.llamacpp import CachedChatLlamaCpp
from knowledge.embedded_models import smollm2_gguf_path


class TestCachedChatLlamaCppUnit(ChatModelUnitTests):
    """ChatLlamaCpp with a cached Llama and tool turns rendered as text."""

    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return CachedChatLlamaCpp

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model_path": str(smollm2_gguf_path()), "n_threads": 1, "verbose": False}

    @property
    def has_tool_choice(self) -> bool:
        return False  # forces one named tool only; "any" over several tools binds them unforced

    @property
    def has_structured_output(self) -> bool:
        return False  # ChatLlamaCpp's with_structured_output takes no ``method``; the agent needs none


@cache
def _tiny_gpt2() -> Path:
    return save_tiny_gpt2(Path(mkdtemp(prefix="tiny-gpt2-")))


class TestChatTransformersUnit(ChatModelUnitTests):
    """ChatHuggingFace over a transformers pipeline, accepting tool turns."""

    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        return ChatTransformers

    @property
    def chat_model_params(self) -> dict[str, Any]:
        from langchain_huggingface import HuggingFacePipeline

        path = str(_tiny_gpt2())
        pipe = load_pipeline(path, max_new_tokens=4)
        return {
            "llm": HuggingFacePipeline(pipeline=pipe, model_id=path),
            "tokenizer": pipe.tokenizer,
            "model_id": path,
        }

    @property
    def has_tool_calling(self) -> bool:
        return False  # a local pipeline never sees bound tools; the router picks them for this backend

    @property
    def has_structured_output(self) -> bool:
        return False  # ChatHuggingFace refuses pydantic schemas over a local pipeline


class TestRouterChatModelUnit(ChatModelUnitTests):
    """The router-driven chat model the agent wraps around small local models."""

    @property
    def chat_model_class(self) -> type[BaseChatModel]:
        from agent.router_model import RouterChatModel

        return RouterChatModel

    @property
    def chat_model_params(self) -> dict[str, Any]:
        # No router and no text model: tool calls come from tool names in the message, text is canned.
        return {"model": "attentive-router"}

    @property
    def has_structured_output(self) -> bool:
        # Arguments are read off the message by patterns, nothing is generated: LangChain's default
        # with_structured_output would "succeed" with every string field set to the question itself.
        return False

    @property
    def supports_model_override(self) -> bool:
        return False  # ``model`` only names the router in traces; there is no other model to switch to
