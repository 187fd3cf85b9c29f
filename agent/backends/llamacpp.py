"""GGUF models through llama-cpp-python: the embedded default (SmolLM2-135M-Instruct).

We use langchain-community's ``ChatLlamaCpp`` as it is, except for one thing:
it builds a fresh ``llama_cpp.Llama`` in its validator, so every chat model
object would load the weights again. ``CachedChatLlamaCpp`` takes the
``Llama`` from a per-process cache keyed by path and load options instead, so
the agent, the router and the benchmarks share one copy.
"""

from __future__ import annotations

import atexit
import warnings
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import model_validator

with warnings.catch_warnings():  # the sunset notice is for its maintainers, not our users
    warnings.filterwarnings("ignore", message=".*langchain-community.*", category=DeprecationWarning)
    from langchain_community.chat_models import ChatLlamaCpp

if TYPE_CHECKING:
    from langchain_core.language_models import LanguageModelInput
    from langchain_core.language_models.base import LangSmithParams
    from langchain_core.messages import AIMessage, BaseMessage
    from langchain_core.runnables import Runnable
    from langchain_core.tools import BaseTool
    from llama_cpp import Llama

# Context for a system prompt, a capped history and retrieved passages; SmolLM2 was trained on 8192.
N_CTX = 4096
# Prompt tokens evaluated per batch; ChatLlamaCpp's default of 8 makes long prompts crawl.
N_BATCH = 512
# A 135M model wanders at ChatLlamaCpp's 0.8; a tutor should stay close to its sources.
TEMPERATURE = 0.2


def load_llama(path: str, n_threads: int = 2, n_ctx: int = N_CTX, n_batch: int = N_BATCH) -> Llama:
    """The one ``Llama`` for this GGUF file and these options in this process."""
    # Positional call: functools.cache keys on how arguments were passed, not on their values.
    return _load_llama(str(Path(path).resolve()), n_threads, n_ctx, n_batch)


@cache
def _load_llama(path: str, n_threads: int, n_ctx: int, n_batch: int) -> Llama:
    from llama_cpp import Llama

    llama = Llama(model_path=path, n_threads=n_threads, n_ctx=n_ctx, n_batch=n_batch, verbose=False)
    atexit.register(llama.close)  # freed before interpreter teardown, which otherwise prints a TypeError
    return llama


class CachedChatLlamaCpp(ChatLlamaCpp):
    """``ChatLlamaCpp`` whose ``Llama`` comes from ``load_llama``'s cache."""

    @model_validator(mode="after")
    def validate_environment(self) -> CachedChatLlamaCpp:  # same name: replaces the parent's loader
        if self.client is None:
            self.client = load_llama(
                self.model_path,
                n_threads=self.n_threads or 2,
                n_ctx=self.n_ctx,
                n_batch=self.n_batch or N_BATCH,
            )
        if isinstance(self.grammar, str):
            from llama_cpp import LlamaGrammar

            self.grammar = LlamaGrammar.from_string(self.grammar)
        return self

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        """Name the model in traces (ChatLlamaCpp leaves ``ls_model_name`` out)."""
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_model_name"] = kwargs.get("model") or Path(self.model_path).name
        return params

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable | BaseTool],
        *,
        tool_choice: dict | str | bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Accept every standard ``tool_choice``; ChatLlamaCpp only knows "force this tool by name".

        "auto"/"none" bind the tools unforced (the model may answer in prose). "any"/"required"
        force the tool when there is one; with several, no single one can be forced through
        ChatLlamaCpp, so they are bound unforced too: for this backend the router picks tools.
        """
        if tool_choice in ("auto", "none", False):
            tool_choice = None
        elif tool_choice in ("any", "required"):
            tool_choice = True if len(tools) == 1 else None
        return super().bind_tools(tools, tool_choice=tool_choice, **kwargs)

    def _create_message_dicts(self, messages: list[BaseMessage]) -> list[dict[str, Any]]:
        """Tool turns as plain text: GGUF chat templates (SmolLM2's included) know no tool calls.

        ChatLlamaCpp sends ``content=None`` with ``tool_calls`` for an assistant turn that called a
        tool, which such templates cannot render; the model reads what was called instead.
        """
        dicts = super()._create_message_dicts(messages)
        for message in dicts:
            calls = message.pop("tool_calls", None) or []
            said = [message.get("content") or ""]
            said += [f"(called {c['function']['name']} with {c['function']['arguments']})" for c in calls]
            message["content"] = "\n".join(part for part in said if part)
            message.pop("tool_call_id", None)
        return dicts


def build_llamacpp_chat(
    path: Path, *, n_threads: int = 2, max_tokens: int = 512, **params: Any
) -> CachedChatLlamaCpp:
    """A chat model over the GGUF at ``path``; the weights load once per process."""
    return CachedChatLlamaCpp(
        model_path=str(path),
        n_threads=n_threads,
        n_ctx=N_CTX,
        n_batch=N_BATCH,
        max_tokens=max_tokens,
        temperature=params.pop("temperature", TEMPERATURE),
        verbose=False,
        **params,
    )
